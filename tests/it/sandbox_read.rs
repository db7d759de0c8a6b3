//! The sandbox's root reads (`sandbox::read`) against the reference: for a few fixed small
//! cases and ~30 queries without relation fields (where, orderBy, first, skip, stage, locales,
//! connection counts, single entries), each under a few `gcms-stage`/`gcms-locales` header
//! combinations, the sandbox's `data` must equal the reference's, or both
//! must be a 403 with the same paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value as J;
use tollgate::model::profile::Profile;
use tollgate::model::spec::EnvSpec;
use tollgate::model::{apply, State};
use tollgate::op::graphql::decode;
use tollgate::op::{Credential, Operation, Outcome, Request};
use tollgate::sandbox::principals::{load_principals, Principal};
use tollgate::sandbox::read::{execute_query, ReadError};
use tollgate::sandbox::schema::ContentSchema;
use tollgate::sandbox::store::Store;

const CONTENT: &str = r#"
stages: [QA]
locales: [en, de]
models:
  - name: Post
    fields:
      - {name: title, type: String, localized: true}
      - {name: views, type: Int}
      - {name: status, type: Enum, values: [PUBLISHED_S, ARCHIVED, DRAFT_S]}
      - {name: flag, type: Boolean}
      - {name: at, type: DateTime}
      - {name: score, type: Float}
entries:
  - {model: Post, id: p1, data: {title: b, views: 3, status: ARCHIVED, flag: true, score: 2, at: "2024-02-03T04:05:06.25Z"}, localizations: {de: {title: Bé}}, publish: [PUBLISHED]}
  - {model: Post, id: p2, data: {title: a, views: 1, status: PUBLISHED_S, at: "2020-01-01T00:00:00Z"}, publish: [PUBLISHED, QA]}
  - {model: Post, id: p3, data: {views: 3, status: DRAFT_S, flag: false}, localizations: {de: {title: Z}}}
  - {model: Post, id: p4, data: {title: B, views: 2, score: 1.5}, localizations: {de: {title: a}}, publish: [QA], createdAt: "2023-05-01T10:00:00.5Z"}
  - {model: Post, id: p5, data: {title: "é", status: ARCHIVED}, publish: [PUBLISHED]}
  - {model: Post, id: p6, data: {title: b, views: 1}}
"#;

const PATS: [&str; 4] = [
    // Everything.
    r#"pats: [{name: t, grants: [{action: READ}]}]"#,
    // Conditional, locale- and stage-limited.
    r#"pats: [{name: t, default_stage: DRAFT, grants: [
        {action: READ, model: Post, stages: [DRAFT, QA], condition: '{"views_gte": 2}'},
        {action: READ, model: Post, locales: [de], condition: '{"title_in": ["a", "Z"]}'}]}]"#,
    // Only QA in en, a condition on an Enum.
    r#"pats: [{name: t, grants: [{action: READ, model: Post, stages: [QA], locales: [en], condition: '{"OR": [{"status": "PUBLISHED_S"}, {"views": null}, {"flag": true}]}'}]}]"#,
    // Nothing.
    r#"pats: [{name: t, default_stage: QA}]"#,
];

const QUERIES: &[&str] = &[
    "{ posts { id } }",
    "{ posts { __typename id stage locale title views status flag createdAt updatedAt publishedAt } }",
    "{ posts(stage: PUBLISHED) { id title locale publishedAt } }",
    "{ posts(stage: QA) { id title locale } }",
    "{ posts(stage: DRAFT) { id title locale } }",
    "{ posts(locales: [de]) { id title locale } }",
    "{ posts(locales: [de, en]) { id title locale } }",
    "{ posts(locales: [en, de, en]) { id title locale } }",
    "{ posts(orderBy: title_ASC) { id title } }",
    "{ posts(orderBy: title_DESC) { id title } }",
    "{ posts(orderBy: title_ASC, locales: [de, en]) { id title locale } }",
    "{ posts(orderBy: views_ASC) { id views } }",
    "{ posts(orderBy: views_DESC) { id views } }",
    "{ posts(orderBy: status_ASC) { id status } }",
    "{ posts(orderBy: status_DESC) { id status } }",
    "{ posts(orderBy: flag_DESC) { id flag } }",
    "{ posts(orderBy: at_ASC) { id at } }",
    "{ posts(orderBy: score_DESC, where: {score_lt: 3}) { id score } }",
    "{ posts(orderBy: at_DESC, where: {at_gt: \"2021-01-01T00:00:00Z\"}) { id at } }",
    "{ posts(orderBy: createdAt_DESC) { id createdAt } }",
    "{ posts(orderBy: id_DESC, first: 2) { id } }",
    "{ posts(orderBy: publishedAt_ASC, stage: QA) { id publishedAt } }",
    "{ posts(first: 2, skip: 1) { id } }",
    "{ posts(skip: 4) { id } }",
    "{ posts(first: 0) { id } }",
    "{ posts(where: {views_gt: 1}) { id views } }",
    "{ posts(where: {title_contains: \"a\"}, locales: [de, en]) { id title } }",
    "{ posts(where: {OR: [{status: ARCHIVED}, {title: null}]}) { id } }",
    "{ posts(where: {NOT: [{flag: true}]}, orderBy: views_DESC) { id } }",
    "{ postsConnection { aggregate { count } } }",
    "{ c: postsConnection(where: {views_lte: 2}, first: 1, skip: 1) { __typename aggregate { count } edges { node { id title } } } }",
    "{ postsConnection(stage: QA, locales: [de]) { edges { __typename node { __typename id locale } } } }",
    "{ post(where: {id: \"p1\"}) { id title locale } }",
    "{ post(where: {id: \"p3\"}, locales: [de]) { id title } }",
    "{ post(where: {id: \"nope\"}) { id } }",
    "{ a: post(where: {id: \"p2\"}, stage: QA) { id stage } b: posts(stage: PUBLISHED) { id } }",
    "{ __typename x: posts(stage: QA, locales: [en]) { id } y: posts(stage: PUBLISHED, locales: [de]) { id } }",
];

/// `Ok(data)` or `Err(paths)` of a 403.
type Answer = Result<J, Vec<Vec<String>>>;

/// `gcms-stage` and `gcms-locales` header combinations (CTX-1, CTX-2).
const HEADERS: [(Option<&str>, Option<&str>); 4] = [
    (None, None),
    (Some("QA"), None),
    (None, Some("de,en")),
    (Some("PUBLISHED"), Some("de")),
];

fn reference(env: &EnvSpec, query: &str, headers: (Option<&str>, Option<&str>)) -> Answer {
    let mut state = State::load("p", std::slice::from_ref(env), Profile::default()).unwrap();
    let d = decode(query, None, None).unwrap();
    let op = Operation::Request(Request {
        credential: Credential::Token {
            pat: "t".into(),
            form: Default::default(),
            scheme: "Bearer".into(),
        },
        operation: d.operation,
        fields: d.fields,
        stage_header: headers.0.map(str::to_string).into_iter().collect(),
        locales_header: headers.1.map(str::to_string).into_iter().collect(),
        ..Request::default()
    });
    match apply(&mut state, &op) {
        Outcome::Ok { data } => Ok(data),
        Outcome::Denied { errors, .. } => Err(errors
            .into_iter()
            .map(|e| e.path.unwrap_or_default())
            .collect()),
        other => panic!("reference answered {other:?} to {query}"),
    }
}

fn sandbox(env: &EnvSpec, query: &str, headers: (Option<&str>, Option<&str>)) -> Answer {
    let mut store = Store::in_memory().unwrap();
    let k = store.load("p", env).unwrap();
    let pats = load_principals(&store, k, env).unwrap();
    let principal = Principal::Pat(pats[0].id.clone());
    let cs = ContentSchema::new(&store.env(k).unwrap().schema).unwrap();
    let v = cs
        .validate(query, None, None)
        .unwrap_or_else(|e| panic!("{query}: {e:?}"));
    match execute_query(
        &store,
        k,
        &principal,
        &v,
        headers.0,
        headers
            .1
            .map(|l| l.split(',').map(str::to_string).collect()),
    ) {
        Ok(data) => Ok(data),
        Err(ReadError::Denied { paths }) => Err(paths),
        Err(e) => panic!("sandbox failed on {query}: {e}"),
    }
}

#[test]
fn root_reads_agree_with_the_reference() {
    let mut failures = Vec::new();
    let mut compared = 0;
    for (i, pats) in PATS.iter().enumerate() {
        let env: EnvSpec = serde_yaml_ng::from_str(&format!("{CONTENT}{pats}\n")).unwrap();
        for q in QUERIES {
            for h in HEADERS {
                let r = reference(&env, q, h);
                let s = sandbox(&env, q, h);
                compared += 1;
                if r != s {
                    failures.push(format!(
                        "case {i}, headers {h:?}: {q}\n  reference: {r:?}\n  sandbox:   {s:?}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(compared, PATS.len() * QUERIES.len() * HEADERS.len());
}
