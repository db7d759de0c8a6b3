//! `documentInStages` (READ-7) in the sandbox, each case compared with the reference and
//! with what the rule says: the order of `stages`, duplicates ignored, the parent document's
//! own stage skipped unless `includeCurrent`, visibility per stage with the inherited locale
//! list, never a 403 (a stage no grant covers contributes nothing), READ-6 not applied below
//! it, and relation fields below a returned document read that document's stage.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::sandbox_read_support;

use serde_json::{json, Value as J};

use sandbox_read_support::{Answer, Both, Who};

/// p1: DRAFT and PUBLISHED alike (en and de; author a1, tags [t1]); in QA another document
/// (en only; author a2, tags [t2, t1]).
const CONTENT: &str = r#"
stages: [QA]
locales: [en, de]
models:
  - name: Post
    fields:
      - {name: title, type: String, localized: true}
      - {name: author, type: Author}
      - {name: tags, type: Tag, list: true, reverse: posts}
  - name: Author
    fields: [{name: name, type: String}]
  - name: Tag
    fields: [{name: label, type: String}]
entries:
  - {model: Author, id: a1, data: {name: Ann}, publish: [PUBLISHED]}
  - {model: Author, id: a2, data: {name: Bob}, publish: [QA]}
  - {model: Tag, id: t1, data: {label: x}, publish: [PUBLISHED, QA]}
  - {model: Tag, id: t2, data: {label: y}, publish: [QA]}
  - model: Post
    id: p1
    data: {title: draft-en, author: a1, tags: [t1]}
    localizations: {de: {title: draft-de}}
    publish: [PUBLISHED]
    stages:
      QA: {data: {title: qa-en, author: a2, tags: [t2, t1]}}
"#;

fn case(principals: &str) -> Both {
    Both::yaml(&format!("{CONTENT}{principals}\n"))
}

const READ_ALL: &str = "pats: [{name: t, grants: [{action: READ}]}]";

/// The data of a query both sides agree on.
fn data(both: &mut Both, query: &str) -> J {
    match both.agree(Who::Pat, query) {
        Answer::Data(d) => d,
        other => panic!("{query}: {other:?}"),
    }
}

/// The `field` of each element of `post.documentInStages`.
fn column(d: &J, field: &str) -> Vec<J> {
    d["post"]["documentInStages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].clone())
        .collect()
}

#[test]
fn stages_come_in_the_order_given_without_duplicates() {
    let mut both = case(READ_ALL);
    let d = data(
        &mut both,
        r#"{ post(where: {id: "p1"}, stage: DRAFT) {
               documentInStages(stages: [QA, PUBLISHED, QA, DRAFT], includeCurrent: true) { stage title } } }"#,
    );
    assert_eq!(
        column(&d, "stage"),
        [json!("QA"), json!("PUBLISHED"), json!("DRAFT")]
    );
    assert_eq!(
        column(&d, "title"),
        [json!("qa-en"), json!("draft-en"), json!("draft-en")]
    );
}

#[test]
fn the_own_stage_is_skipped_unless_include_current() {
    let mut both = case(READ_ALL);
    let d = data(
        &mut both,
        r#"{ post(where: {id: "p1"}, stage: DRAFT) { documentInStages(stages: [QA, DRAFT, PUBLISHED]) { stage } } }"#,
    );
    assert_eq!(column(&d, "stage"), [json!("QA"), json!("PUBLISHED")]);
    // Default stages [DRAFT, PUBLISHED], from QA.
    let d = data(
        &mut both,
        r#"{ post(where: {id: "p1"}, stage: QA) { documentInStages { stage } } }"#,
    );
    assert_eq!(column(&d, "stage"), [json!("DRAFT"), json!("PUBLISHED")]);
    let d = data(
        &mut both,
        r#"{ post(where: {id: "p1"}, stage: QA) { documentInStages(stages: []) { stage } } }"#,
    );
    assert_eq!(column(&d, "stage"), Vec::<J>::new());
}

#[test]
fn a_stage_no_grant_covers_contributes_nothing_and_never_403() {
    let mut both = case(
        r#"pats: [{name: t, grants: [{action: READ, model: Post, stages: [DRAFT]},
             {action: READ, model: Post, stages: [PUBLISHED, QA], condition: '{"title": "qa-en"}'}]}]"#,
    );
    // PUBLISHED is covered but its document fails the condition; QA's holds.
    let d = data(
        &mut both,
        r#"{ post(where: {id: "p1"}, stage: DRAFT) { documentInStages(stages: [PUBLISHED, QA]) { stage } } }"#,
    );
    assert_eq!(column(&d, "stage"), [json!("QA")]);
    let mut both = case("pats: [{name: t, grants: [{action: READ, stages: [DRAFT]}]}]");
    let d = data(
        &mut both,
        r#"{ post(where: {id: "p1"}, stage: DRAFT) { documentInStages(stages: [PUBLISHED, QA]) { stage } } }"#,
    );
    assert_eq!(column(&d, "stage"), Vec::<J>::new());
}

#[test]
fn relation_fields_below_read_the_returned_documents_stage() {
    let mut both = case(READ_ALL);
    let d = data(
        &mut both,
        r#"{ post(where: {id: "p1"}, stage: DRAFT) {
               author { name } tags { id }
               documentInStages(stages: [QA, PUBLISHED]) { stage author { name } tags { id stage } } } }"#,
    );
    assert_eq!(d["post"]["author"], json!({"name": "Ann"}));
    assert_eq!(
        d["post"]["documentInStages"],
        json!([
            {"stage": "QA", "author": {"name": "Bob"},
             "tags": [{"id": "t2", "stage": "QA"}, {"id": "t1", "stage": "QA"}]},
            {"stage": "PUBLISHED", "author": {"name": "Ann"}, "tags": [{"id": "t1", "stage": "PUBLISHED"}]}
        ])
    );
}

#[test]
fn read_6_does_not_apply_below_document_in_stages() {
    let mut both = case("pats: [{name: t, grants: [{action: READ, model: Post}]}]");
    let d = data(
        &mut both,
        r#"{ post(where: {id: "p1"}, stage: DRAFT) { documentInStages(stages: [QA]) { stage author { name } tags { id } } } }"#,
    );
    assert_eq!(
        d["post"]["documentInStages"],
        json!([{"stage": "QA", "author": null, "tags": []}])
    );
    // Outside documentInStages the same relation fields are READ-6's 403.
    assert_eq!(
        both.agree(
            Who::Pat,
            r#"{ post(where: {id: "p1"}, stage: DRAFT) { author { name } documentInStages { tags { id } } } }"#
        ),
        Answer::Denied(vec![vec!["post".to_string(), "author".to_string()]])
    );
}

#[test]
fn documents_are_visible_by_the_inherited_locale_list() {
    let mut both = case(READ_ALL);
    // The QA document has no de localization: invisible with [de], served in en with [de, en].
    let d = data(
        &mut both,
        r#"{ post(where: {id: "p1"}, stage: DRAFT, locales: [de]) {
               documentInStages(stages: [PUBLISHED, QA]) { stage locale title } } }"#,
    );
    assert_eq!(
        d["post"]["documentInStages"],
        json!([{"stage": "PUBLISHED", "locale": "de", "title": "draft-de"}])
    );
    let d = data(
        &mut both,
        r#"{ post(where: {id: "p1"}, stage: DRAFT, locales: [de, en]) {
               documentInStages(stages: [PUBLISHED, QA]) { stage locale } } }"#,
    );
    assert_eq!(column(&d, "locale"), [json!("de"), json!("en")]);
    // Below a relation field with its own locales, that list is inherited.
    let d = data(
        &mut both,
        r#"{ tag(where: {id: "t1"}, stage: QA) { posts(locales: [de]) { id documentInStages(stages: [PUBLISHED]) { locale } } } }"#,
    );
    assert_eq!(
        d["tag"]["posts"],
        json!([]),
        "the QA post has no de localization"
    );
    let d = data(
        &mut both,
        r#"{ tag(where: {id: "t1"}, stage: PUBLISHED) { posts(locales: [de]) { id locale documentInStages(stages: [DRAFT]) { locale } } } }"#,
    );
    assert_eq!(
        d["tag"]["posts"],
        json!([{"id": "p1", "locale": "de", "documentInStages": [{"locale": "de"}]}])
    );
}
