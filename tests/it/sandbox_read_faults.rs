//! Every grant, filter and read fault of the sandbox (`sandbox::faults`, areas `Grants`,
//! `Filters`, `Reads`) is observable: on a request that exercises exactly its bug, the faithful
//! sandbox agrees with the reference and the faulted one does not. Each test names the rule the
//! fault violates and checks that the fault cites it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::sandbox_read_support;

use tollgate::sandbox::faults::{Fault, Faults};

use sandbox_read_support::{Answer, Ask, Both, Who};

/// p1 is published with its links; t2 has no PUBLISHED document, so p1's PUBLISHED link to it
/// dangles (DATA-4). p3 has no `title` (null in `en`).
const CONTENT: &str = r#"
stages: [QA]
locales: [en, de]
models:
  - name: Post
    fields:
      - {name: title, type: String, localized: true}
      - {name: views, type: Int}
      - {name: author, type: Author, reverse: posts}
      - {name: tags, type: Tag, list: true, reverse: posts}
  - name: Author
    fields: [{name: name, type: String}]
  - name: Tag
    fields: [{name: label, type: String, localized: true}]
entries:
  - {model: Author, id: a1, data: {name: Ann}, publish: [PUBLISHED]}
  - {model: Tag, id: t1, data: {label: x}, localizations: {de: {label: y}}, publish: [PUBLISHED]}
  - {model: Tag, id: t2, data: {label: z}}
  - {model: Post, id: p1, data: {title: Hello, views: 1, author: a1, tags: [t1, t2]}, localizations: {de: {title: Hallo}}, publish: [PUBLISHED]}
  - {model: Post, id: p2, data: {title: "50%_off", views: 5}, publish: [PUBLISHED, QA]}
  - {model: Post, id: p3, data: {views: 9, tags: [t2]}}
"#;

/// Asserts that `fault` cites `rule`, that the faithful sandbox agrees with the reference on
/// `ask` for the case `CONTENT` + `principals`, and that the faulted sandbox does not.
fn observable(fault: Fault, rule: &str, principals: &str, who: Who, ask: Ask) {
    assert_eq!(fault.rule(), rule, "{fault} cites another rule");
    let mut both = Both::yaml(&format!("{CONTENT}{principals}\n"));
    let (reference, faithful) = both.both(who, &ask);
    assert_eq!(faithful, reference, "faithful sandbox on {}", ask.query);
    both.faults(Faults::NONE.with(fault));
    let faulted = both.sandbox(who, &ask);
    assert_ne!(
        faulted, reference,
        "{fault} ({rule}) is not observable on {}",
        ask.query
    );
    // Both answers are real answers (not a 400 from a broken request).
    assert_ne!(reference, Answer::Invalid, "{}", ask.query);
}

const READ_ALL: &str = "pats: [{name: t, grants: [{action: READ}]}]";
/// Posts with more than one view (p2, p3) and everything else.
const VIEWS_GT_1: &str = r#"pats: [{name: t, default_stage: DRAFT, grants: [
  {action: READ, model: Post, condition: '{"views_gt": 1}'},
  {action: READ, model: Author}, {action: READ, model: Tag}]}]"#;

// --- grants ------------------------------------------------------------------------------

#[test]
fn grant_locales_ignored_breaks_perm_2() {
    observable(
        Fault::GrantLocalesIgnored,
        "PERM-2",
        "pats: [{name: t, grants: [{action: READ, locales: [de]}]}]",
        Who::Pat,
        Ask::new("{ posts(locales: [en]) { id } }"),
    );
}

#[test]
fn disabled_grants_honoured_breaks_perm_1() {
    observable(
        Fault::DisabledGrantsHonoured,
        "PERM-1",
        "pats: [{name: t, grants: [{action: READ, enabled: false}]}]",
        Who::Pat,
        Ask::new("{ posts { id } }"),
    );
}

#[test]
fn empty_stages_mean_all_breaks_perm_2() {
    observable(
        Fault::EmptyStagesMeanAll,
        "PERM-2",
        "pats: [{name: t, grants: [{action: READ, stages: []}]}]",
        Who::Pat,
        Ask::new("{ posts { id } }"),
    );
}

#[test]
fn public_adds_to_pat_breaks_auth_1() {
    observable(
        Fault::PublicAddsToPat,
        "AUTH-1",
        "public: {grants: [{action: READ}]}\npats: [{name: t}]",
        Who::Pat,
        Ask::new("{ posts { id } }"),
    );
}

#[test]
fn pat_default_stage_ignored_breaks_ctx_1() {
    observable(
        Fault::PatDefaultStageIgnored,
        "CTX-1",
        "pats: [{name: t, default_stage: DRAFT, grants: [{action: READ}]}]",
        Who::Pat,
        Ask::new("{ posts { id stage } }"),
    );
}

#[test]
fn locale_fallback_on_condition_breaks_read_2() {
    // p1 is served in en, where its title is Hello: the condition fails and p1 is invisible;
    // it must not fall back to de, where it would hold.
    observable(
        Fault::LocaleFallbackOnCondition,
        "READ-2",
        r#"pats: [{name: t, grants: [{action: READ, model: Post, condition: '{"title": "Hallo"}'}]}]"#,
        Who::Pat,
        Ask::new("{ posts(locales: [en, de]) { id locale title } }"),
    );
}

// --- filters -----------------------------------------------------------------------------

#[test]
fn not_matches_null_breaks_where_1() {
    observable(
        Fault::NotMatchesNull,
        "WHERE-1",
        READ_ALL,
        Who::Pat,
        Ask::new(r#"{ posts(stage: DRAFT, where: {title_not: "Hello"}) { id } }"#),
    );
}

#[test]
fn contains_case_insensitive_breaks_where_5() {
    observable(
        Fault::ContainsCaseInsensitive,
        "WHERE-5",
        READ_ALL,
        Who::Pat,
        Ask::new(r#"{ posts(stage: DRAFT, where: {title_contains: "hello"}) { id } }"#),
    );
    // `%` and `_` are literal: "5_" occurs in no title, though LIKE's `_` matches "50".
    observable(
        Fault::ContainsCaseInsensitive,
        "WHERE-5",
        READ_ALL,
        Who::Pat,
        Ask::new(r#"{ posts(stage: DRAFT, where: {title_contains: "5_"}) { id } }"#),
    );
}

#[test]
fn not_as_not_any_breaks_where_1() {
    // p1: views 1 but title not "Bye": not all hold, so NOT holds.
    observable(
        Fault::NotAsNotAny,
        "WHERE-1",
        READ_ALL,
        Who::Pat,
        Ask::new(r#"{ posts(stage: DRAFT, where: {NOT: [{views: 1}, {title: "Bye"}]}) { id } }"#),
    );
}

#[test]
fn three_valued_nulls_break_where_1() {
    // p3's title is null: `title: "Hello"` is false there, so its NOT is true.
    observable(
        Fault::ThreeValuedNulls,
        "WHERE-1",
        READ_ALL,
        Who::Pat,
        Ask::new(r#"{ posts(stage: DRAFT, where: {NOT: [{title: "Hello"}]}) { id } }"#),
    );
    // In a grant condition too: the public principal reads posts whose title is not Hello.
    observable(
        Fault::ThreeValuedNulls,
        "WHERE-1",
        r#"public: {grants: [{action: READ, model: Post, condition: '{"NOT": {"title": "Hello"}}'}]}"#,
        Who::Public,
        Ask::new("{ posts(stage: DRAFT) { id } }"),
    );
}

#[test]
fn relation_filter_any_stage_breaks_data_4() {
    // In PUBLISHED, p1's link to t2 dangles: t2 has a DRAFT document only.
    observable(
        Fault::RelationFilterAnyStage,
        "DATA-4",
        READ_ALL,
        Who::Pat,
        Ask::new(r#"{ posts(stage: PUBLISHED, where: {tags_some: {id: "t2"}}) { id } }"#),
    );
}

// --- reads -------------------------------------------------------------------------------

#[test]
fn header_beats_stage_arg_breaks_ctx_1() {
    let mut ask = Ask::new("{ posts(stage: DRAFT) { id stage } }");
    ask.stage = Some("PUBLISHED".into());
    observable(Fault::HeaderBeatsStageArg, "CTX-1", READ_ALL, Who::Pat, ask);
}

#[test]
fn paginate_before_filter_breaks_read_3() {
    // Visible: p2, p3. The first page of two holds both; paged before the filter, it holds
    // p1 (dropped) and p2.
    observable(
        Fault::PaginateBeforeFilter,
        "READ-3",
        VIEWS_GT_1,
        Who::Pat,
        Ask::new("{ posts(first: 2) { id } }"),
    );
    // Relation lists are paged the same way (READ-9): t2's posts p1 and p3, p3 visible.
    observable(
        Fault::PaginateBeforeFilter,
        "READ-3",
        VIEWS_GT_1,
        Who::Pat,
        Ask::new(r#"{ tag(where: {id: "t2"}) { posts(first: 1) { id } } }"#),
    );
}

#[test]
fn count_ignores_conditions_breaks_read_5() {
    observable(
        Fault::CountIgnoresConditions,
        "READ-5",
        VIEWS_GT_1,
        Who::Pat,
        Ask::new("{ postsConnection { aggregate { count } } }"),
    );
}

#[test]
fn relation_ignores_grants_breaks_read_6() {
    // No grant on Author: the relation field is a 403 ...
    observable(
        Fault::RelationIgnoresGrants,
        "READ-6",
        "pats: [{name: t, grants: [{action: READ, model: Post}]}]",
        Who::Pat,
        Ask::new("{ posts { id author { id } } }"),
    );
    // ... and a condition on Tag filters the related entries.
    observable(
        Fault::RelationIgnoresGrants,
        "READ-6",
        r#"pats: [{name: t, grants: [{action: READ, model: Post},
             {action: READ, model: Tag, condition: '{"label": "x"}'}]}]"#,
        Who::Pat,
        Ask::new("{ posts(stage: DRAFT) { id tags { id } } }"),
    );
}

#[test]
fn relation_locale_reset_breaks_ctx_4() {
    // With [de] inherited, p1's tags are t1 (served in de); t2 has no de localization.
    observable(
        Fault::RelationLocaleReset,
        "CTX-4",
        READ_ALL,
        Who::Pat,
        Ask::new("{ posts(stage: DRAFT, locales: [de]) { id tags { id locale label } } }"),
    );
}

#[test]
fn document_in_stages_leak_breaks_read_7() {
    observable(
        Fault::DocumentInStagesLeak,
        "READ-7",
        "pats: [{name: t, grants: [{action: READ, stages: [DRAFT]}]}]",
        Who::Pat,
        Ask::new(
            "{ posts(stage: DRAFT) { id documentInStages(stages: [PUBLISHED, QA]) { id stage } } }",
        ),
    );
}

#[test]
fn single_ignores_conditions_breaks_read_4() {
    observable(
        Fault::SingleIgnoresConditions,
        "READ-4",
        VIEWS_GT_1,
        Who::Pat,
        Ask::new(r#"{ post(where: {id: "p1"}) { id } }"#),
    );
}

#[test]
fn every_grant_filter_and_read_fault_has_a_test_here() {
    use tollgate::sandbox::faults::Area;
    let text = include_str!("sandbox_read_faults.rs");
    for f in Fault::ALL {
        if matches!(f.area(), Area::Grants | Area::Filters | Area::Reads) {
            let variant = format!("Fault::{f:?},");
            assert!(text.contains(&variant), "no test for {f}");
        }
    }
}
