//! Each fault of area `Writes` makes the sandbox disagree with the reference on a mutation
//! exercising exactly that bug, while the faithful sandbox agrees on the same steps (so the
//! disagreement is the fault's, and the harness can see it). `mutation-result-unfiltered`
//! (WRITE-7) is the read helper's and tested with `read_back`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::sandbox_write_harness;

use sandbox_write_harness::run_case;
use tollgate::sandbox::faults::{Area, Fault, Faults};

const SCHEMA: &str = r#"
stages: [QA]
locales: [en, de]
models:
  - name: Author
    fields: [{name: name, type: String}]
  - name: Post
    fields:
      - {name: title, type: String, localized: true}
      - {name: locked, type: Boolean}
      - {name: author, type: Author, reverse: posts}
entries:
  - {model: Author, id: ann, data: {name: Ann}}
  - {model: Post, id: p1, data: {title: One, locked: false}, publish: [PUBLISHED]}
  - {model: Post, id: p2, data: {title: Two, locked: false}}
pats:
"#;

/// Runs `steps` faithfully (they must agree) and with `fault` (they must disagree), and
/// returns the faulted run's error, which names the step that differed.
fn exposes(fault: Fault, pats: &str, steps: &[(&str, &str)]) -> String {
    let yaml = format!("{SCHEMA}{pats}");
    if let Err(e) = run_case(&yaml, Faults::NONE, steps) {
        panic!("the faithful sandbox disagrees: {e}");
    }
    match run_case(&yaml, Faults::NONE.with(fault), steps) {
        Ok(_) => panic!("fault {fault} went unnoticed"),
        Err(e) => e,
    }
}

#[test]
fn write2_update_condition_stored_only() {
    // The updated document fails the condition; only the stored one is checked.
    let e = exposes(
        Fault::UpdateConditionStoredOnly,
        r#"  - {name: w, grants: [{action: READ}, {action: UPDATE, model: Post, condition: '{"locked": false}'}]}"#,
        &[(
            "w",
            r#"mutation { updatePost(where: {id: "p1"}, data: {locked: true}) { id } }"#,
        )],
    );
    assert!(e.starts_with("step 0"), "{e}");
}

#[test]
fn write1_create_skips_default_locale() {
    // A CREATE grant for de only: creating touches en, which it does not cover.
    let e = exposes(
        Fault::CreateSkipsDefaultLocale,
        r#"  - {name: w, grants: [{action: READ}, {action: CREATE, model: Post, locales: [de]}]}"#,
        &[(
            "w",
            r#"mutation { createPost(data: {title: "x"}) { title } }"#,
        )],
    );
    assert!(e.starts_with("step 0"), "{e}");
}

#[test]
fn write3_delete_skips_unpublish() {
    // p1 is published; the deleter holds no UNPUBLISH.
    let e = exposes(
        Fault::DeleteSkipsUnpublish,
        r#"  - {name: w, grants: [{action: READ}, {action: DELETE}]}"#,
        &[("w", r#"mutation { deletePost(where: {id: "p1"}) { id } }"#)],
    );
    assert!(e.starts_with("step 0"), "{e}");
}

#[test]
fn write4_publish_ignores_to_stages() {
    // toStages covers QA only; the default target is PUBLISHED.
    let e = exposes(
        Fault::PublishIgnoresToStages,
        r#"  - {name: w, grants: [{action: READ}, {action: PUBLISH, to_stages: [QA]}]}"#,
        &[("w", r#"mutation { publishPost(where: {id: "p2"}) { id } }"#)],
    );
    assert!(e.starts_with("step 0"), "{e}");
}

#[test]
fn write10_connect_skips_related_update() {
    // A two-way link made needs UPDATE on the Author at the other end.
    let e = exposes(
        Fault::ConnectSkipsRelatedUpdate,
        r#"  - {name: w, grants: [{action: READ}, {action: UPDATE, model: Post}]}"#,
        &[(
            "w",
            r#"mutation { updatePost(where: {id: "p2"}, data: {author: {connect: {id: "ann"}}}) { id } }"#,
        )],
    );
    assert!(e.starts_with("step 0"), "{e}");
}

#[test]
fn write8_half_applied_mutation() {
    // The first field writes, the second is denied: the outcome is the same 403, but the
    // faulted sandbox kept the first write, which the environment dump after it shows.
    let e = exposes(
        Fault::HalfAppliedMutation,
        r#"  - {name: w, grants: [{action: READ}, {action: UPDATE, model: Post}]}"#,
        &[(
            "w",
            r#"mutation { a: updatePost(where: {id: "p1"}, data: {title: "changed"}) { id } b: deletePost(where: {id: "p2"}) { id } }"#,
        )],
    );
    assert!(
        e.starts_with("after step 0") && e.contains("changed"),
        "{e}"
    );
}

#[test]
fn every_write_fault_but_the_read_backs_is_covered_here() {
    let tested = [
        Fault::UpdateConditionStoredOnly,
        Fault::CreateSkipsDefaultLocale,
        Fault::DeleteSkipsUnpublish,
        Fault::PublishIgnoresToStages,
        Fault::ConnectSkipsRelatedUpdate,
        Fault::HalfAppliedMutation,
    ];
    let writes: Vec<Fault> = Fault::ALL
        .iter()
        .copied()
        .filter(|f| f.area() == Area::Writes && *f != Fault::MutationResultUnfiltered)
        .collect();
    assert_eq!(writes, tested);
}
