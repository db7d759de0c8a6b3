//! ERR-1's order for queries and the checks of ERR-1 step 6 in the sandbox, each case
//! compared with the reference and with what the rules say: READ-1 and READ-6 paths (response
//! keys from the root field, without list indices, one per denied field in document order,
//! nothing checked below a denied field, checked whether or not a parent is visible), the
//! stage and locale list a relation field is checked with (CTX-4), and every 400 of step 5
//! (READ-3, READ-9, CTX-2, WHERE-1, WHERE-4, LIMIT-1) winning over any 403, wherever in the
//! selection it is.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::sandbox_read_support;

use serde_json::json;

use sandbox_read_support::{Answer, Ask, Both, Who};

const CONTENT: &str = r#"
locales: [en, de]
models:
  - name: Post
    fields:
      - {name: title, type: String, localized: true}
      - {name: author, type: Author, reverse: posts}
      - {name: tags, type: Tag, list: true, reverse: posts}
  - name: Author
    fields: [{name: name, type: String}]
  - name: Tag
    fields: [{name: label, type: String, localized: true}]
entries:
  - {model: Author, id: a1, data: {name: Ann}, publish: [PUBLISHED]}
  - {model: Tag, id: t1, data: {label: x}, localizations: {de: {label: y}}, publish: [PUBLISHED]}
  - {model: Post, id: p1, data: {title: a, author: a1, tags: [t1]}, publish: [PUBLISHED]}
"#;

fn case(grants: &str) -> Both {
    Both::yaml(&format!(
        "{CONTENT}pats: [{{name: t, default_stage: DRAFT, grants: {grants}}}]\n"
    ))
}

fn path(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

fn denied(paths: &[&[&str]]) -> Answer {
    Answer::Denied(paths.iter().map(|p| path(p)).collect())
}

#[test]
fn read_6_paths_are_response_keys_without_list_indices() {
    let mut both = case("[{action: READ, model: Post}]");
    assert_eq!(
        both.agree(
            Who::Pat,
            "{ postsConnection { aggregate { count } e: edges { node { author { id } tags { id } } } }
               a: posts { x: author { name } } }"
        ),
        denied(&[
            &["postsConnection", "e", "node", "author"],
            &["postsConnection", "e", "node", "tags"],
            &["a", "x"],
        ])
    );
}

#[test]
fn read_1_and_read_6_errors_come_in_document_order() {
    let mut both = case("[{action: READ, model: Post}]");
    assert_eq!(
        both.agree(
            Who::Pat,
            "{ posts { author { id } } a: authors { id } tags { id } p: post(where: {id: \"p1\"}) { tags { id } } }"
        ),
        denied(&[&["posts", "author"], &["a"], &["tags"], &["p", "tags"]])
    );
}

#[test]
fn nothing_below_a_denied_field_is_checked() {
    let mut both = case("[{action: READ, model: Post}]");
    assert_eq!(
        both.agree(Who::Pat, "{ posts { tags { posts { author { id } } } } }"),
        denied(&[&["posts", "tags"]])
    );
    assert_eq!(
        both.agree(Who::Pat, "{ authors { posts { id } } }"),
        denied(&[&["authors"]])
    );
}

#[test]
fn read_6_checks_whether_or_not_a_parent_is_visible() {
    let mut both = case("[{action: READ, model: Post}]");
    assert_eq!(
        both.agree(
            Who::Pat,
            "{ posts(where: {id: \"none\"}) { author { id } } p: post(where: {id: \"none\"}) { tags { id } } }"
        ),
        denied(&[&["posts", "author"], &["p", "tags"]])
    );
}

#[test]
fn relation_fields_are_checked_with_the_inherited_stage_and_locales() {
    // CTX-4: Tag only in de; Author only in PUBLISHED.
    let mut both = case(
        "[{action: READ, model: Post}, {action: READ, model: Tag, locales: [de]},
          {action: READ, model: Author, stages: [PUBLISHED]}]",
    );
    assert_eq!(
        both.agree(Who::Pat, "{ posts { tags { id } } }"),
        denied(&[&["posts", "tags"]])
    );
    for ok in [
        "{ posts(locales: [de]) { tags { id locale label } } }",
        "{ posts { tags(locales: [en, de]) { id locale label } } }",
        "{ posts(stage: PUBLISHED) { author { name } } }",
    ] {
        assert!(matches!(both.agree(Who::Pat, ok), Answer::Data(_)), "{ok}");
    }
    // The stage is the root's: in DRAFT (the PAT's default stage) no grant covers Author.
    assert_eq!(
        both.agree(Who::Pat, "{ posts(stage: DRAFT) { author { id } } }"),
        denied(&[&["posts", "author"]])
    );
    // A relation's own locales replace the list for its whole subtree.
    assert!(matches!(
        both.agree(
            Who::Pat,
            "{ posts { tags(locales: [de]) { posts { tags { id } } } } }"
        ),
        Answer::Data(_)
    ));
    assert_eq!(
        both.agree(
            Who::Pat,
            "{ posts(locales: [de]) { tags(locales: [en]) { id } } }"
        ),
        denied(&[&["posts", "tags"]])
    );
    // The gcms-locales header is the root's list, inherited below.
    let mut ask = Ask::new("{ posts { tags { posts { id } } } }");
    ask.locales = Some("de".into());
    let (r, s) = both.both(Who::Pat, &ask);
    assert_eq!(s, r);
    assert!(matches!(s, Answer::Data(_)), "{s:?}");
}

/// ERR-1: the 400s of step 5, each next to a denied root field and a denied relation field.
#[test]
fn every_400_of_step_5_comes_before_any_403() {
    let mut both = case("[{action: READ, model: Post}]");
    let deep_where = {
        let mut w = json!({"id": "x"});
        for _ in 0..33 {
            w = json!({ "AND": [w] });
        }
        w
    };
    let cases: Vec<(String, Option<serde_json::Value>)> = vec![
        ("{ a: authors { id } posts(first: 101) { id } }".into(), None),
        ("{ a: authors { id } posts(first: -1) { id } }".into(), None),
        ("{ a: authors { id } postsConnection(skip: -1) { aggregate { count } } }".into(), None),
        ("{ posts(locales: []) { id } a: authors { id } }".into(), None),
        ("{ a: authors { id } posts { author { id } tags(first: 101) { id } } }".into(), None),
        ("{ a: authors { id } posts { tags(skip: -1) { id } } }".into(), None),
        ("{ a: authors { id } posts { author(locales: []) { id } } }".into(), None),
        // Below a denied relation field and below documentInStages.
        ("{ posts { author { posts(first: 101) { id } } } }".into(), None),
        ("{ posts { documentInStages { tags(locales: []) { id } } } }".into(), None),
        (
            "query($w: TagWhereInput) { a: authors { id } posts { documentInStages { tags(where: $w) { id } } } }"
                .into(),
            Some(json!({"w": {"AND": null}})),
        ),
        (
            "query($w: PostWhereInput) { a: authors { id } posts(where: $w) { id } }".into(),
            Some(json!({"w": {"title_lt": "a"}})),
        ),
        (
            "query($w: PostWhereInput) { a: authors { id } posts { author { posts(where: $w) { id } } } }"
                .into(),
            Some(json!({ "w": deep_where })),
        ),
        (
            "query($w: PostWhereInput) { a: authors { id } posts(where: $w) { id } }".into(),
            Some(json!({"w": {"title_contains": "x".repeat(4097)}})),
        ),
    ];
    for (query, variables) in cases {
        let ask = Ask {
            query: query.clone(),
            variables,
            ..Ask::default()
        };
        let (r, s) = both.both(Who::Pat, &ask);
        assert_eq!(r, Answer::Invalid, "reference: {query}");
        assert_eq!(s, Answer::Invalid, "sandbox: {query}");
    }
    // The same queries without the refused argument are 403s: the 400 was not a side effect.
    assert_eq!(
        both.agree(Who::Pat, "{ a: authors { id } posts(first: 100) { id } }"),
        denied(&[&["a"]])
    );
}

#[test]
fn first_zero_and_skip_past_the_end_are_empty_pages() {
    let mut both = case("[{action: READ}]");
    let d = both.agree(
        Who::Pat,
        "{ posts(first: 0) { id } p: posts(skip: 5) { id } a: authors { posts(first: 0) { id } q: posts(skip: 3) { id } } }",
    );
    assert_eq!(
        d,
        Answer::Data(json!({"posts": [], "p": [], "a": [{"posts": [], "q": []}]}))
    );
}

#[test]
fn introspection_root_fields_are_left_to_the_http_layer() {
    // READ-8: `__schema` and `__type` are not the executor's; beside them the model fields
    // are answered (or denied) as usual, and `__typename` stays.
    let mut both = case("[{action: READ, model: Post}]");
    let ask =
        Ask::new("{ __schema { queryType { name } } __typename posts(stage: PUBLISHED) { id } }");
    assert_eq!(
        both.sandbox(Who::Pat, &ask),
        Answer::Data(json!({"__typename": "Query", "posts": [{"id": "p1"}]}))
    );
    assert_eq!(
        both.agree(
            Who::Pat,
            "{ __type(name: \"Post\") { name } authors { id } }"
        ),
        denied(&[&["authors"]])
    );
}
