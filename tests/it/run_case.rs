//! The runner (`run::case`) against the embedded sandbox: every scenario-derived case agrees
//! step by step with the reference on the faithful sandbox, entries created during a run are
//! paired (DATA-2) and `{{created:K}}` placeholders address the same entry on both sides.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::run_support;

use std::path::Path;

use run_support::{case_of, sandbox, scenario_files};
use serde_json::Value;
use tollgate::op::Outcome;
use tollgate::run::Runner;
use tollgate::sandbox::faults::Faults;
use tollgate::scenario::load::{load_file, load_str};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_case_agrees_on_the_faithful_sandbox() {
    let (server, admin) = sandbox(Faults::NONE).await;
    let runner = Runner::new(admin);
    let mut failures = Vec::new();
    let mut steps = 0;
    let mut created = 0;
    for file in scenario_files() {
        let case = case_of(&load_file(&file).unwrap());
        let run = runner
            .run_case(&case)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(run.steps.len(), case.steps.len());
        steps += run.steps.len();
        created += run.created_target.len();
        assert!(run.notes.is_empty(), "{}: {:?}", file.display(), run.notes);
        for (i, s) in run.steps.iter().enumerate() {
            if !s.verdict.is_agree() {
                failures.push(format!(
                    "{} step {i}: {}\n  request:   {}\n  reference: {}\n  target:    {}",
                    file.display(),
                    serde_json::to_string(&s.verdict).unwrap(),
                    s.request.as_deref().unwrap_or("(manage)"),
                    serde_json::to_string(&s.reference).unwrap(),
                    serde_json::to_string(&s.target).unwrap(),
                ));
            }
        }
    }
    server.shutdown().await.unwrap();
    assert!(
        failures.is_empty(),
        "{} of {steps} steps:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(steps >= 300, "{steps}");
    assert!(created >= 5, "only {created} entries created");
}

/// Steps that create entries and address them by `{{created:K}}` afterwards (the expectations
/// are placeholders: the test takes the reference's outcomes).
const CREATING: &str = r#"
description: entries created during the run, addressed by placeholder
rules: [DATA-2, WRITE-1, WRITE-2, WRITE-10]
environments:
  - models:
      - name: Post
        fields:
          - {name: title, type: String}
          - {name: author, type: Author}
      - name: Author
        fields: [{name: name, type: String}]
    pats:
      - name: w
        grants: [{action: CREATE}, {action: READ}, {action: UPDATE}]
steps:
  - token: w
    query: 'mutation { createAuthor(data: {name: "A"}) { id name } }'
    expect: {outcome: not_found}
  - token: w
    query: 'mutation { a: createPost(data: {title: "x", author: {connect: {id: "{{created:0}}"}}}) { id author { id } } b: createPost(data: {title: "y"}) { id createdAt } }'
    expect: {outcome: not_found}
  - token: w
    query: 'mutation { updatePost(where: {id: "{{created:2}}"}, data: {title: "z"}) { id title updatedAt } }'
    expect: {outcome: not_found}
  - token: w
    query: '{ posts(stage: DRAFT, orderBy: createdAt_ASC) { id title author { id name } } }'
    expect: {outcome: not_found}
  - token: w
    query: '{ post(where: {id: "{{created:1}}"}, stage: DRAFT) { id title author { name } } }'
    expect: {outcome: not_found}
"#;

fn data(o: &Outcome) -> &Value {
    match o {
        Outcome::Ok { data } => data,
        other => panic!("not a 200: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_entries_are_paired_and_addressed_by_placeholder() {
    let loaded = load_str(CREATING, Path::new("creating.yaml")).unwrap();
    let case = case_of(&loaded);
    let (server, admin) = sandbox(Faults::NONE).await;
    let runner = Runner::new(admin.clone());
    let run = runner.run_case(&case).await.unwrap();
    for (i, s) in run.steps.iter().enumerate() {
        assert!(s.verdict.is_agree(), "step {i}: {:?}\n{s:?}", s.verdict);
    }
    assert!(run.notes.is_empty(), "{:?}", run.notes);
    assert_eq!(run.created_reference.len(), 3);
    assert_eq!(run.created_target.len(), 3);
    for (r, t) in run.created_reference.iter().zip(&run.created_target) {
        assert_ne!(r, t);
        assert!(t.len() == 25 && t.starts_with('c'), "{t}");
    }
    // Each side was sent its own ids: the link made to `{{created:0}}` is there on both.
    let (rs, ts) = (&run.steps[3].reference, &run.steps[3].target);
    assert_eq!(
        data(rs)["posts"][0]["author"]["id"],
        run.created_reference[0].as_str()
    );
    assert_eq!(
        data(ts)["posts"][0]["author"]["id"],
        run.created_target[0].as_str()
    );
    assert_eq!(data(ts)["posts"][1]["title"], "z");
    assert_eq!(data(ts)["posts"][1]["id"], run.created_target[2].as_str());
    assert_eq!(data(&run.steps[4].target)["post"]["author"]["name"], "A");

    // The same steps as a scenario file (placeholders in its text, the reference's outcomes as
    // expectations): the reference's replay and the HTTP replay both agree.
    let expects = run.steps.iter().map(|s| s.reference.clone()).collect();
    let scenario = case
        .to_scenario("placeholders", vec!["DATA-2".into()], expects)
        .unwrap();
    let text = serde_yaml_ng::to_string(&scenario).unwrap();
    assert!(text.contains("{{created:2}}"), "{text}");
    let persisted = load_str(&text, Path::new("persisted.yaml")).unwrap();
    let reference = tollgate::scenario::replay::replay(&persisted);
    assert_eq!(reference.agreed(), 5, "{:#?}", reference.steps);
    let http = tollgate::target::scenario::replay(&admin, &persisted, "placeholders")
        .await
        .unwrap();
    assert_eq!(http.agreed(), 5, "{:#?}", http.steps);
    server.shutdown().await.unwrap();
}
