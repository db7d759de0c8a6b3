//! Integration tests of the condition language (spec §5, DATA-1, DATA-4, LIMIT-1, PERM-3/4,
//! the §10 edge-input rows on `where`): parsing, evaluation, printing, on a hand-built schema.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;
use tollgate::model::condition::{
    eval, parse_condition, parse_value, print, Clause, EvalCtx, Limits, Op, Operand, ScalarRef,
};
use tollgate::model::profile::NullLogic;
use tollgate::model::project::{
    Content, Document, Entry, Field, FieldKind, Link, Model, ReverseField, Schema,
};
use tollgate::model::value::{parse_datetime, ScalarType, Value};

// Post fields.
const TITLE: usize = 0; // String, localized
const VIEWS: usize = 1; // Int
const SCORE: usize = 2; // Float
const LIVE: usize = 3; // Boolean
const KIND: usize = 4; // Enum
const WHEN: usize = 5; // DateTime
const AUTHOR: usize = 6; // -> Author
const TAGS: usize = 7; // -> [Tag]
const POST: usize = 0;
const AUTHOR_M: usize = 1;
const TAG_M: usize = 2;
const EN: usize = 0;
const DE: usize = 1;
const DRAFT: usize = 0;
const PUBLISHED: usize = 1;

fn f(api_id: &str, ty: ScalarType, localized: bool) -> Field {
    Field {
        api_id: api_id.into(),
        kind: FieldKind::Scalar(ty),
        localized,
        required: false,
    }
}

fn rel(api_id: &str, target: usize, list: bool) -> Field {
    Field {
        api_id: api_id.into(),
        kind: FieldKind::Relation {
            target,
            list,
            reverse: Some("posts".into()),
        },
        localized: false,
        required: false,
    }
}

fn schema() -> Schema {
    Schema {
        stages: vec!["DRAFT".into(), "PUBLISHED".into()],
        locales: vec!["en".into(), "de".into()],
        models: vec![
            Model {
                api_id: "Post".into(),
                plural: "posts".into(),
                fields: vec![
                    f("title", ScalarType::String, true),
                    f("views", ScalarType::Int, false),
                    f("score", ScalarType::Float, false),
                    f("live", ScalarType::Boolean, false),
                    f(
                        "kind",
                        ScalarType::Enum(vec!["NEWS".into(), "BLOG".into()]),
                        false,
                    ),
                    f("when", ScalarType::DateTime, false),
                    rel("author", AUTHOR_M, false),
                    rel("tags", TAG_M, true),
                ],
                reverse: vec![],
            },
            Model {
                api_id: "Author".into(),
                plural: "authors".into(),
                fields: vec![f("name", ScalarType::String, false)],
                reverse: vec![ReverseField {
                    api_id: "posts".into(),
                    owner: POST,
                    owner_field: AUTHOR,
                }],
            },
            Model {
                api_id: "Tag".into(),
                plural: "tags".into(),
                fields: vec![f("label", ScalarType::String, true)],
                reverse: vec![ReverseField {
                    api_id: "posts".into(),
                    owner: POST,
                    owner_field: TAGS,
                }],
            },
        ],
    }
}

fn links(ids: &[&str]) -> Vec<Link> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| Link::new((*id).to_string(), i as u64))
        .collect()
}

/// A document of `n` fields: non-localized values, links, localizations (locale → values).
fn doc(
    values: Vec<Value>,
    link_lists: Vec<Vec<Link>>,
    localizations: Vec<(usize, Vec<Value>)>,
) -> Document {
    Document {
        values,
        links: link_lists,
        localizations: localizations.into(),
        created_at: 1_000_000,
        updated_at: 2_000_000,
        published_at: None,
    }
}

fn entry(id: &str, model: usize, docs: Vec<Option<Document>>) -> Entry {
    Entry {
        id: id.into(),
        model,
        order: 0,
        documents: docs,
    }
}

/// A post document with the given non-localized values and an English title.
fn post_doc(title: Value, set: &[(usize, Value)], author: &[&str], tags: &[&str]) -> Document {
    let mut values = vec![Value::Null; 8];
    for (i, v) in set {
        values[*i] = v.clone();
    }
    let mut ls = vec![Vec::new(); 8];
    ls[AUTHOR] = links(author);
    ls[TAGS] = links(tags);
    let mut loc = vec![Value::Null; 8];
    loc[TITLE] = title;
    doc(values, ls, vec![(EN, loc)])
}

fn s(x: &str) -> Value {
    Value::String(x.into())
}

fn dt(x: &str) -> Value {
    Value::DateTime(parse_datetime(x).unwrap())
}

/// The default world: post `p1` (views 5, score 1.5, live, kind BLOG, when 2024-01-01T08:00Z,
/// title "Hello World" in en and "Hallo" in de) linked to author `a1` and tags `t1`, `t2`,
/// `ghost` (dangling); `t2` has no PUBLISHED document; `t1` has only an English label;
/// post `p2` has every field null and no links.
fn world() -> Content {
    let mut p1_draft = post_doc(
        s("Hello World"),
        &[
            (VIEWS, Value::Int(5)),
            (SCORE, Value::Float(1.5)),
            (LIVE, Value::Boolean(true)),
            (KIND, Value::Enum(1)),
            (WHEN, dt("2024-01-01T08:00:00Z")),
        ],
        &["a1"],
        &["t1", "t2", "ghost"],
    );
    let mut de = vec![Value::Null; 8];
    de[TITLE] = s("Hallo");
    p1_draft.localizations.insert(DE, de);
    let mut p1_pub = p1_draft.clone();
    p1_pub.published_at = Some(3_000_000);
    let p2 = post_doc(Value::Null, &[], &[], &[]);
    let author = doc(vec![s("Ada")], vec![vec![]], vec![(EN, vec![Value::Null])]);
    let tag = |label_en: &str, label_de: Option<&str>| {
        let mut locs = vec![(EN, vec![s(label_en)])];
        if let Some(l) = label_de {
            locs.push((DE, vec![s(l)]));
        }
        doc(vec![Value::Null], vec![vec![]], locs)
    };
    let mut c = Content {
        entries: vec![
            entry("p1", POST, vec![Some(p1_draft), Some(p1_pub)]),
            entry("p2", POST, vec![Some(p2), None]),
            entry(
                "a1",
                AUTHOR_M,
                vec![Some(author.clone()), Some(author.clone())],
            ),
            entry(
                "t1",
                TAG_M,
                vec![Some(tag("rust", None)), Some(tag("rust", None))],
            ),
            entry("t2", TAG_M, vec![Some(tag("go", Some("los"))), None]),
        ],
        ..Content::default()
    };
    c.reindex();
    c
}

struct Env {
    schema: Schema,
    content: Content,
}

impl Env {
    fn new() -> Env {
        Env {
            schema: schema(),
            content: world(),
        }
    }

    fn run(&self, cond: &str, id: &str, stage: usize, locale: usize, nl: NullLogic) -> bool {
        let e = self.content.get(id).unwrap();
        let w = parse_condition(&self.schema, e.model, cond, &Limits::SPEC)
            .unwrap_or_else(|err| panic!("{cond}: {err}"));
        let ctx = EvalCtx {
            schema: &self.schema,
            content: &self.content,
            stage,
            locale,
            null_logic: nl,
        };
        eval(&w, &ctx, e, e.document(stage).unwrap())
    }

    /// On `p1` (DRAFT, en, two-valued).
    fn p1(&self, cond: &str) -> bool {
        self.run(cond, "p1", DRAFT, EN, NullLogic::TwoValued)
    }

    /// On `p2` (every field null).
    fn p2(&self, cond: &str) -> bool {
        self.run(cond, "p2", DRAFT, EN, NullLogic::TwoValued)
    }

    fn err(&self, cond: &str) -> String {
        match parse_condition(&self.schema, POST, cond, &Limits::SPEC) {
            Ok(w) => panic!("{cond} parsed as {w:?}"),
            Err(e) => e.to_string(),
        }
    }
}

fn check_all(env: &Env, cases: &[(&str, bool)]) {
    for (cond, want) in cases {
        assert_eq!(env.p1(cond), *want, "{cond} on p1");
    }
}

#[test]
fn string_operators() {
    let env = Env::new();
    check_all(
        &env,
        &[
            (r#"{"title":"Hello World"}"#, true),
            (r#"{"title":"hello world"}"#, false),
            (r#"{"title_not":"x"}"#, true),
            (r#"{"title_not":"Hello World"}"#, false),
            (r#"{"title_in":["a","Hello World"]}"#, true),
            (r#"{"title_in":"Hello World"}"#, true),
            (r#"{"title_in":["a"]}"#, false),
            (r#"{"title_not_in":["a"]}"#, true),
            (r#"{"title_not_in":["Hello World"]}"#, false),
            (r#"{"title_contains":"lo W"}"#, true),
            (r#"{"title_contains":"LO"}"#, false),
            (r#"{"title_not_contains":"lo W"}"#, false),
            (r#"{"title_not_contains":"zz"}"#, true),
            (r#"{"title_starts_with":"Hell"}"#, true),
            (r#"{"title_starts_with":"ello"}"#, false),
            (r#"{"title_not_starts_with":"Hell"}"#, false),
            (r#"{"title_ends_with":"rld"}"#, true),
            (r#"{"title_ends_with":"Worl"}"#, false),
            (r#"{"title_not_ends_with":"rld"}"#, false),
            (r#"{"title_not_ends_with":"x"}"#, true),
            // WHERE-5: literal operands.
            (r#"{"title_contains":"%"}"#, false),
            (r#"{"title_contains":"H_llo"}"#, false),
            (r#"{"title_starts_with":"*"}"#, false),
        ],
    );
}

#[test]
fn string_operators_on_unicode_scalar_values() {
    let env = Env::new();
    // The German title is "Hallo"; read in de.
    let run = |c: &str| env.run(c, "p1", DRAFT, DE, NullLogic::TwoValued);
    assert!(run(r#"{"title":"Hallo"}"#));
    assert!(!run(r#"{"title":"Hello World"}"#));
    let mut content = world();
    content.entries[0].documents[0]
        .as_mut()
        .unwrap()
        .localizations
        .get_mut(0)
        .unwrap()[TITLE] = s("naïve 😀");
    let env2 = Env {
        schema: schema(),
        content,
    };
    assert!(env2.p1(r#"{"title_ends_with":"😀"}"#));
    assert!(env2.p1(r#"{"title_contains":"ï"}"#));
    assert!(!env2.p1(r#"{"title_starts_with":"nai"}"#));
}

#[test]
fn empty_string_operand() {
    let env = Env::new();
    for op in ["contains", "starts_with", "ends_with"] {
        assert!(env.p1(&format!(r#"{{"title_{op}":""}}"#)), "{op}");
        assert!(!env.p1(&format!(r#"{{"title_not_{op}":""}}"#)), "not_{op}");
        // On a null value every one of them is false.
        assert!(!env.p2(&format!(r#"{{"title_{op}":""}}"#)), "{op} on null");
        assert!(!env.p2(&format!(r#"{{"title_not_{op}":""}}"#)));
    }
}

#[test]
fn id_operators() {
    let env = Env::new();
    check_all(
        &env,
        &[
            (r#"{"id":"p1"}"#, true),
            (r#"{"id":"p2"}"#, false),
            (r#"{"id_not":"p2"}"#, true),
            (r#"{"id_in":["p2","p1"]}"#, true),
            (r#"{"id_not_in":["p1"]}"#, false),
            (r#"{"id_contains":"1"}"#, true),
            (r#"{"id_not_contains":"1"}"#, false),
            (r#"{"id_starts_with":"p"}"#, true),
            (r#"{"id_not_starts_with":"p"}"#, false),
            (r#"{"id_ends_with":"1"}"#, true),
            (r#"{"id_not_ends_with":"1"}"#, false),
            (r#"{"id":1}"#, false),
        ],
    );
    assert!(env
        .err(r#"{"id_lt":"a"}"#)
        .ends_with("operator not defined for ID"));
}

#[test]
fn int_and_float_operators() {
    let env = Env::new();
    check_all(
        &env,
        &[
            (r#"{"views":5}"#, true),
            (r#"{"views_not":5}"#, false),
            (r#"{"views_in":[1,5]}"#, true),
            (r#"{"views_in":5}"#, true),
            (r#"{"views_not_in":[1,5]}"#, false),
            (r#"{"views_lt":6}"#, true),
            (r#"{"views_lt":5}"#, false),
            (r#"{"views_lte":5}"#, true),
            (r#"{"views_gt":5}"#, false),
            (r#"{"views_gt":4}"#, true),
            (r#"{"views_gte":5}"#, true),
            (r#"{"views_gte":6}"#, false),
            (r#"{"score":1.5}"#, true),
            (r#"{"score_gt":1}"#, true),
            (r#"{"score_lt":1}"#, false),
            (r#"{"score_lte":1.5}"#, true),
            (r#"{"score_gte":1.6}"#, false),
            (r#"{"score_in":[1.5]}"#, true),
            (r#"{"score_not_in":[2]}"#, true),
            (r#"{"score_not":1.5}"#, false),
        ],
    );
    // `1` for a Float equals 1.0; `-0.0` is stored as 0.
    let mut content = world();
    content.entries[0].documents[0].as_mut().unwrap().values[SCORE] = Value::Float(1.0);
    let env2 = Env {
        schema: schema(),
        content,
    };
    assert!(env2.p1(r#"{"score":1}"#));
    assert!(env2.p1(r#"{"score":1.0}"#));
}

#[test]
fn boolean_enum_datetime_operators() {
    let env = Env::new();
    check_all(
        &env,
        &[
            (r#"{"live":true}"#, true),
            (r#"{"live":false}"#, false),
            (r#"{"live_not":false}"#, true),
            (r#"{"live_not":true}"#, false),
            (r#"{"kind":"BLOG"}"#, true),
            (r#"{"kind":"NEWS"}"#, false),
            (r#"{"kind_not":"NEWS"}"#, true),
            (r#"{"kind_in":["NEWS","BLOG"]}"#, true),
            (r#"{"kind_not_in":"BLOG"}"#, false),
            (r#"{"when":"2024-01-01T10:00:00+02:00"}"#, true),
            (r#"{"when_not":"2024-01-01T08:00:00Z"}"#, false),
            (r#"{"when_lt":"2024-01-01T08:00:00.000001Z"}"#, true),
            (r#"{"when_lte":"2024-01-01T08:00:00Z"}"#, true),
            (r#"{"when_gt":"2024-01-01T07:59:59.999999Z"}"#, true),
            (r#"{"when_gte":"2024-01-01T08:00:01Z"}"#, false),
            (r#"{"when_in":["2024-01-01t08:00:00z"]}"#, true),
            (r#"{"when_not_in":["2024-01-01T09:00:00+01:00"]}"#, false),
        ],
    );
    for (c, want) in [
        (
            r#"{"live_in":[true]}"#,
            "live_in: operator not defined for Boolean",
        ),
        (
            r#"{"live_lt":true}"#,
            "live_lt: operator not defined for Boolean",
        ),
        (
            r#"{"kind_lt":"NEWS"}"#,
            "kind_lt: operator not defined for Enum",
        ),
        (
            r#"{"kind_contains":"N"}"#,
            "kind_contains: operator not defined for Enum",
        ),
        (
            r#"{"views_contains":"1"}"#,
            "views_contains: operator not defined for Int",
        ),
        (
            r#"{"when_starts_with":"2"}"#,
            "when_starts_with: operator not defined for DateTime",
        ),
        (
            r#"{"score_ends_with":"1"}"#,
            "score_ends_with: operator not defined for Float",
        ),
    ] {
        assert_eq!(env.err(c), want);
    }
}

#[test]
fn system_timestamps() {
    let env = Env::new();
    // created 1 s, updated 2 s after the epoch; publishedAt null in DRAFT, 3 s in PUBLISHED.
    assert!(env.p1(r#"{"createdAt":"1970-01-01T00:00:01Z"}"#));
    assert!(env.p1(r#"{"updatedAt_gt":"1970-01-01T00:00:01Z"}"#));
    assert!(env.p1(r#"{"publishedAt":null}"#));
    assert!(!env.p1(r#"{"publishedAt_lt":"2000-01-01T00:00:00Z"}"#));
    let pubd = |c: &str| env.run(c, "p1", PUBLISHED, EN, NullLogic::TwoValued);
    assert!(pubd(r#"{"publishedAt":"1970-01-01T00:00:03Z"}"#));
    assert!(pubd(r#"{"publishedAt_not":null}"#));
    assert_eq!(
        env.err(r#"{"stage":"DRAFT"}"#),
        "stage: stage cannot be filtered"
    );
    assert_eq!(
        env.err(r#"{"locale_in":["en"]}"#),
        "locale_in: locale cannot be filtered"
    );
}

#[test]
fn null_semantics_two_valued() {
    let env = Env::new();
    // p2 has every field null.
    for (c, want) in [
        (r#"{"title":null}"#, true),
        (r#"{"title_not":null}"#, false),
        (r#"{"title":"x"}"#, false),
        (r#"{"title_not":"x"}"#, false),
        (r#"{"NOT":[{"title":"x"}]}"#, true),
        (r#"{"NOT":[{"title_not_in":["x"]}]}"#, true),
        (r#"{"title_not_in":["x"]}"#, false),
        (r#"{"title_not_in":[]}"#, false),
        (r#"{"title_in":[]}"#, false),
        (r#"{"views_lt":100}"#, false),
        (r#"{"NOT":{"views_lt":100}}"#, true),
        (r#"{"title_not_contains":"x"}"#, false),
    ] {
        assert_eq!(env.p2(c), want, "{c} on null");
    }
    assert!(!env.p1(r#"{"title":null}"#));
    assert!(env.p1(r#"{"title_not":null}"#));
    // `f_in: []` false, `f_not_in: []` true on a non-null value.
    assert!(!env.p1(r#"{"title_in":[]}"#));
    assert!(env.p1(r#"{"title_not_in":[]}"#));
}

#[test]
fn null_semantics_three_valued() {
    let env = Env::new();
    let run = |c: &str, id: &str| env.run(c, id, DRAFT, EN, NullLogic::SqlThreeValued);
    assert!(!run(r#"{"NOT":[{"title":"x"}]}"#, "p2"));
    assert!(!run(r#"{"title":"x"}"#, "p2"));
    assert!(run(r#"{"title":null}"#, "p2"));
    assert!(run(r#"{"NOT":[{"title_not":null}]}"#, "p2"));
    // unknown OR true is true; unknown AND false is false, so NOT of it holds.
    assert!(run(r#"{"OR":[{"title":"x"},{"id":"p2"}]}"#, "p2"));
    assert!(run(r#"{"NOT":[{"title":"x"},{"id":"zz"}]}"#, "p2"));
    assert!(!run(r#"{"NOT":[{"title":"x"},{"id":"p2"}]}"#, "p2"));
    // Definite values behave as two-valued.
    assert!(run(r#"{"NOT":[{"title":"x"}]}"#, "p1"));
}

#[test]
fn logic_connectives() {
    let env = Env::new();
    check_all(
        &env,
        &[
            (r#"{"AND":[]}"#, true),
            (r#"{"OR":[]}"#, false),
            (r#"{"NOT":[]}"#, false),
            (r#"{}"#, true),
            (r#"{"AND":[{"views":5},{"live":true}]}"#, true),
            (r#"{"AND":[{"views":5},{"live":false}]}"#, false),
            (r#"{"OR":[{"views":1},{"live":true}]}"#, true),
            (r#"{"OR":[{"views":1},{"live":false}]}"#, false),
            // NOT is not(all of them).
            (r#"{"NOT":[{"views":5},{"live":false}]}"#, true),
            (r#"{"NOT":[{"views":5},{"live":true}]}"#, false),
            (r#"{"NOT":{"views":5}}"#, false),
            (r#"{"AND":{"views":5}}"#, true),
            (r#"{"views":5,"live":false}"#, false),
        ],
    );
}

#[test]
fn relation_filters_follow_links_in_stage() {
    let env = Env::new();
    check_all(
        &env,
        &[
            (r#"{"author":{}}"#, true),
            (r#"{"author":{"name":"Ada"}}"#, true),
            (r#"{"author":{"name":"Bob"}}"#, false),
            (r#"{"tags_some":{}}"#, true),
            (r#"{"tags_some":{"label":"go"}}"#, true),
            (r#"{"tags_every":{"label_in":["go","rust"]}}"#, true),
            (r#"{"tags_every":{"label":"go"}}"#, false),
            (r#"{"tags_none":{"label":"java"}}"#, true),
            (r#"{"tags_none":{}}"#, false),
            (r#"{"tags_every":{}}"#, true),
            (r#"{"author":{"posts_some":{"id":"p1"}}}"#, true),
            (r#"{"author":{"posts_every":{"views":5}}}"#, true),
            (
                r#"{"tags_some":{"posts_some":{"tags_some":{"label":"go"}}}}"#,
                true,
            ),
        ],
    );
    // p2 has no related entries.
    for (c, want) in [
        (r#"{"author":{}}"#, false),
        (r#"{"tags_some":{}}"#, false),
        (r#"{"tags_every":{}}"#, true),
        (r#"{"tags_every":{"label":"nothing"}}"#, true),
        (r#"{"tags_none":{}}"#, true),
        (r#"{"NOT":[{"author":{"name":"x"}}]}"#, true),
    ] {
        assert_eq!(env.p2(c), want, "{c} on p2");
    }
    // In PUBLISHED, t2 has no document: the link is ignored; the ghost link always is.
    let pubd = |c: &str| env.run(c, "p1", PUBLISHED, EN, NullLogic::TwoValued);
    assert!(!pubd(r#"{"tags_some":{"label":"go"}}"#));
    assert!(pubd(r#"{"tags_every":{"label":"rust"}}"#));
    // A reverse field sees the owner's links in the same stage.
    let tag = |c: &str, stage| env.run(c, "t1", stage, EN, NullLogic::TwoValued);
    assert!(tag(r#"{"posts_some":{"id":"p1"}}"#, DRAFT));
    assert!(tag(r#"{"posts_none":{"id":"p2"}}"#, PUBLISHED));
    let author = |c: &str| env.run(c, "a1", DRAFT, EN, NullLogic::TwoValued);
    assert!(author(r#"{"posts_some":{"title_starts_with":"Hello"}}"#));
    assert!(author(r#"{"posts_every":{"id":"p1"}}"#));
}

#[test]
fn relation_filters_read_the_same_locale_without_fallback() {
    let env = Env::new();
    let de = |c: &str| env.run(c, "p1", DRAFT, DE, NullLogic::TwoValued);
    // In de, t1 has no localization: it still exists, its label null.
    assert!(de(r#"{"tags_some":{"label":"los"}}"#));
    assert!(!de(r#"{"tags_some":{"label":"rust"}}"#));
    assert!(de(r#"{"tags_some":{"label":null}}"#));
    assert!(!de(r#"{"tags_every":{"label_not":null}}"#));
    assert!(de(r#"{"tags_some":{"id":"t1"}}"#));
    // The English reading sees the English labels.
    assert!(env.p1(r#"{"tags_some":{"label":"rust"}}"#));
}

#[test]
fn error_paths() {
    let env = Env::new();
    for (c, want) in [
        (
            r#"{"AND":[{"title":"a"},{"title_lt":"b"}]}"#,
            "AND[1].title_lt: operator not defined for String",
        ),
        (r#"{"foo":1}"#, "foo: unknown field"),
        (r#"{"title_foo":1}"#, "title_foo: unknown field"),
        (r#"{"author":{"nope":1}}"#, "author.nope: unknown field"),
        (
            r#"{"tags_some":{"OR":[{},{"x":1}]}}"#,
            "tags_some.OR[1].x: unknown field",
        ),
        (r#"{"NOT":{"x":1}}"#, "NOT[0].x: unknown field"),
        (
            r#"{"tags":{}}"#,
            "tags: a list relation needs _some, _every or _none",
        ),
        (
            r#"{"author_some":{}}"#,
            "author_some: operator not defined for a single relation",
        ),
        (
            r#"{"tags_in":{}}"#,
            "tags_in: operator not defined for a list relation",
        ),
        (
            r#"{"views":"5"}"#,
            "views: Int cannot represent this value: \"5\"",
        ),
        (
            r#"{"views":1.0}"#,
            "views: Int cannot represent a non-integer value: 1.0",
        ),
        (
            r#"{"views_in":[1,1e2]}"#,
            "views_in[1]: Int cannot represent a non-integer value: 100.0",
        ),
        (
            r#"{"views":2147483648}"#,
            "views: Int cannot represent a value outside 32 bits: 2147483648",
        ),
        (
            r#"{"kind":"OTHER"}"#,
            "kind: Enum cannot represent a value that is not declared: \"OTHER\"",
        ),
        (
            r#"{"title":"a\u0000"}"#,
            "title: String cannot represent a string containing U+0000: \"a\\u0000\"",
        ),
        (
            r#"{"title":["a"]}"#,
            "title: String cannot represent a list",
        ),
        (r#"{"AND":[1]}"#, "AND[0]: expected an object"),
        (r#"{"AND":5}"#, "AND: expected a list of objects"),
        (r#"{"author":5}"#, "author: expected an object"),
    ] {
        assert_eq!(env.err(c), want, "{c}");
    }
    let e = env.err(r#"{"when":"2024-01-01T10:00:00"}"#);
    assert!(e.starts_with("when: DateTime cannot represent"), "{e}");
}

#[test]
fn null_operands_are_refused() {
    let env = Env::new();
    for (c, path) in [
        (r#"{"title_in":[null]}"#, "title_in[0]"),
        (r#"{"title_in":["a",null]}"#, "title_in[1]"),
        (r#"{"title_in":null}"#, "title_in"),
        (r#"{"views_gt":null}"#, "views_gt"),
        (r#"{"title_contains":null}"#, "title_contains"),
        (r#"{"AND":null}"#, "AND"),
        (r#"{"OR":null}"#, "OR"),
        (r#"{"NOT":null}"#, "NOT"),
        (r#"{"NOT":[null]}"#, "NOT[0]"),
        (r#"{"author":null}"#, "author"),
        (r#"{"tags_some":null}"#, "tags_some"),
        (r#"{"tags_every":null}"#, "tags_every"),
    ] {
        let e = env.err(c);
        assert!(e.starts_with(&format!("{path}: ")), "{c}: {e}");
        assert!(e.contains("null"), "{c}: {e}");
    }
}

#[test]
fn duplicate_keys_are_refused_at_every_level() {
    let env = Env::new();
    assert_eq!(
        env.err(r#"{"title":"a","title":"b"}"#),
        "title: duplicate key"
    );
    assert_eq!(
        env.err(r#"{"AND":[{},{"views":1,"views":1}]}"#),
        "AND[1].views: duplicate key"
    );
    assert_eq!(
        env.err(r#"{"author":{"name":"a","name":"a"}}"#),
        "author.name: duplicate key"
    );
    // Even inside an operand that would be refused anyway.
    assert_eq!(
        env.err(r#"{"title":{"a":1,"a":2}}"#),
        "title.a: duplicate key"
    );
    // The same key in sibling objects is fine.
    assert!(env.p1(r#"{"OR":[{"views":5},{"views":6}]}"#));
}

#[test]
fn condition_text_must_be_one_object() {
    let env = Env::new();
    for c in [
        "",
        " ",
        "null",
        "[]",
        r#"[{"title":"a"}]"#,
        "1",
        r#""{}""#,
        "{} x",
        "{}{}",
        "{",
        r#"{"title":"a""#,
        "{}\u{0}",
    ] {
        let e = parse_condition(&env.schema, POST, c, &Limits::SPEC);
        assert!(e.is_err(), "{c:?} accepted");
    }
    assert!(parse_condition(&env.schema, POST, " \n\t{}\r\n ", &Limits::SPEC).is_ok());
    let w = parse_condition(&env.schema, POST, "{}", &Limits::SPEC).unwrap();
    assert!(w.clauses.is_empty());
    // Deep nesting never panics (serde_json's recursion limit or LIMIT-1's depth).
    let deep = format!("{}{{}}{}", r#"{"NOT":"#.repeat(5000), "}".repeat(5000));
    assert!(parse_condition(&env.schema, POST, &deep, &Limits::SPEC).is_err());
    let deep_list = format!(r#"{{"title_in":{}{}}}"#, "[".repeat(5000), "]".repeat(5000));
    assert!(parse_condition(&env.schema, POST, &deep_list, &Limits::SPEC).is_err());
    // A non-object where value.
    assert_eq!(
        parse_value(&env.schema, POST, &json!([]), &Limits::SPEC)
            .unwrap_err()
            .to_string(),
        ": expected an object"
    );
}

/// A where `depth` levels deep (the top object is level 1), each level an `AND` whose operand
/// is a single object (coerced to a list of one).
fn nested(depth: usize) -> String {
    let mut s = "{}".to_string();
    for _ in 1..depth {
        s = format!(r#"{{"AND":{s}}}"#);
    }
    s
}

#[test]
fn limit_depth() {
    let schema = schema();
    let limits = Limits::SPEC;
    let mut at = "{}".to_string();
    for _ in 1..32 {
        at = format!(r#"{{"NOT":[{at}]}}"#);
    }
    assert!(parse_condition(&schema, POST, &at, &limits).is_ok());
    let over = format!(r#"{{"NOT":[{at}]}}"#);
    let e = parse_condition(&schema, POST, &over, &limits).unwrap_err();
    assert!(e.message.contains("deeper than 32"), "{e}");
    // Relation operands count as levels too.
    let mut rel = "{}".to_string();
    for i in 1..32 {
        rel = if i % 2 == 1 {
            format!(r#"{{"author":{rel}}}"#)
        } else {
            format!(r#"{{"posts_some":{rel}}}"#)
        };
    }
    // 31 wrappings alternate Post.author / Author.posts_some, ending on Post at the top.
    assert!(
        parse_condition(&schema, POST, &rel, &limits).is_ok(),
        "{rel}"
    );
    let over = format!(r#"{{"tags_some":{{"posts_some":{rel}}}}}"#);
    assert!(parse_condition(&schema, POST, &over, &limits).is_err());
    // A smaller limit from a profile-like value.
    let small = Limits {
        max_depth: 3,
        ..Limits::SPEC
    };
    assert!(parse_condition(&schema, POST, &nested(3), &small).is_ok());
    assert!(parse_condition(&schema, POST, &nested(4), &small).is_err());
    assert!(parse_condition(&schema, POST, &nested(32), &limits).is_ok());
    assert_eq!(
        parse_condition(&schema, POST, &nested(33), &limits)
            .unwrap_err()
            .message,
        "nested deeper than 32 levels"
    );
}

#[test]
fn limit_size_keys_and_objects() {
    let schema = schema();
    let limits = Limits::SPEC;
    // 1 + 255 keys and 1 + 255 objects: at the limit.
    let at = json!({"AND": (0..255).map(|i| json!({"views": i})).collect::<Vec<_>>()});
    assert!(parse_value(&schema, POST, &at, &limits).is_ok());
    let over = json!({"AND": (0..256).map(|i| json!({"views": i})).collect::<Vec<_>>()});
    let e = parse_value(&schema, POST, &over, &limits).unwrap_err();
    assert!(e.message.contains("256"), "{e}");
    // Objects alone: 256 empty objects are fine, 257 are not (keys: 1).
    let at = json!({"OR": vec![json!({}); 255]});
    assert!(parse_value(&schema, POST, &at, &limits).is_ok());
    let over = json!({"OR": vec![json!({}); 256]});
    let e = parse_value(&schema, POST, &over, &limits).unwrap_err();
    assert_eq!(e.to_string(), "OR[255]: more than 256 objects");
    // Keys alone, in one object of a small limit.
    let small = Limits {
        max_size: 3,
        ..Limits::SPEC
    };
    assert!(parse_value(
        &schema,
        POST,
        &json!({"views": 1, "live": true, "id": "x"}),
        &small
    )
    .is_ok());
    let e = parse_value(
        &schema,
        POST,
        &json!({"views": 1, "live": true, "id": "x", "title": "y"}),
        &small,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "title: more than 3 keys");
}

#[test]
fn limit_list_len_and_string_len() {
    let schema = schema();
    let limits = Limits::SPEC;
    let at = json!({"views_in": (0..1000).collect::<Vec<_>>()});
    assert!(parse_value(&schema, POST, &at, &limits).is_ok());
    let over = json!({"views_in": (0..1001).collect::<Vec<_>>()});
    assert_eq!(
        parse_value(&schema, POST, &over, &limits)
            .unwrap_err()
            .to_string(),
        "views_in: a list of more than 1000 members"
    );
    let small = Limits {
        max_list_len: 2,
        ..Limits::SPEC
    };
    assert!(parse_value(&schema, POST, &json!({"OR": [{}, {}]}), &small).is_ok());
    assert!(parse_value(&schema, POST, &json!({"OR": [{}, {}, {}]}), &small).is_err());
    // Strings are measured in Unicode scalar values, not bytes.
    let at = json!({"title": "é".repeat(4096)});
    assert!(parse_value(&schema, POST, &at, &limits).is_ok());
    let over = json!({"title": "é".repeat(4097)});
    assert_eq!(
        parse_value(&schema, POST, &over, &limits)
            .unwrap_err()
            .to_string(),
        "title: a string operand longer than 4096 characters"
    );
    let over_in = json!({"title_in": ["a", "x".repeat(4097)]});
    assert!(parse_value(&schema, POST, &over_in, &limits)
        .unwrap_err()
        .to_string()
        .starts_with("title_in[1]: "));
}

#[test]
fn print_is_canonical() {
    let schema = schema();
    let input = r#"{"NOT":{"title":"a"},"title_in":"x","when":"2024-01-01T10:00:00+02:00","score":1,"kind_in":"BLOG","id":7,"author":{"name_not":null},"tags_every":{}}"#;
    let w = parse_condition(&schema, POST, input, &Limits::SPEC).unwrap();
    assert_eq!(
        print(&schema, &w),
        r#"{"NOT":[{"title":"a"}],"title_in":["x"],"when":"2024-01-01T08:00:00+00:00","score":1.0,"kind_in":["BLOG"],"id":"7","author":{"name_not":null},"tags_every":{}}"#
    );
    let again = parse_condition(&schema, POST, &print(&schema, &w), &Limits::SPEC).unwrap();
    assert_eq!(again, w);
}

#[test]
fn ast_shape() {
    let schema = schema();
    let w = parse_condition(&schema, POST, r#"{"views_gte":3,"id":"x"}"#, &Limits::SPEC).unwrap();
    assert_eq!(w.model, POST);
    assert_eq!(
        w.clauses[0],
        Clause::Field {
            field: ScalarRef::Field {
                index: VIEWS,
                name: "views".into()
            },
            op: Op::Gte,
            operand: Operand::One(Value::Int(3)),
        }
    );
    assert!(matches!(
        &w.clauses[1],
        Clause::Field {
            field: ScalarRef::System(_),
            op: Op::Eq,
            ..
        }
    ));
}

#[test]
fn suffix_resolution_prefers_the_longest_field_name() {
    let mut schema = schema();
    schema.models[POST]
        .fields
        .push(f("title_not", ScalarType::String, false));
    schema.models[POST]
        .fields
        .push(f("in", ScalarType::Int, false));
    let parse = |c: &str| parse_condition(&schema, POST, c, &Limits::SPEC).unwrap();
    let field_of = |c: &str| match &parse(c).clauses[0] {
        Clause::Field {
            field: ScalarRef::Field { name, .. },
            op,
            ..
        } => (name.clone(), *op),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field_of(r#"{"title_not":"x"}"#),
        ("title_not".into(), Op::Eq)
    );
    assert_eq!(
        field_of(r#"{"title_not_in":["x"]}"#),
        ("title_not".into(), Op::In)
    );
    assert_eq!(
        field_of(r#"{"title_not_not_in":["x"]}"#),
        ("title_not".into(), Op::NotIn)
    );
    assert_eq!(field_of(r#"{"title_in":["x"]}"#), ("title".into(), Op::In));
    assert_eq!(
        field_of(r#"{"title_not_contains":"x"}"#),
        ("title_not".into(), Op::Contains)
    );
    assert_eq!(field_of(r#"{"in":1}"#), ("in".into(), Op::Eq));
    assert_eq!(field_of(r#"{"in_in":[1]}"#), ("in".into(), Op::In));
    assert_eq!(field_of(r#"{"in_not_in":[1]}"#), ("in".into(), Op::NotIn));
    // An invalid longer match falls back to a valid shorter one: `in` is an Int without
    // `_contains`, no other field matches, so the error names Int.
    assert_eq!(
        parse_condition(&schema, POST, r#"{"in_contains":"1"}"#, &Limits::SPEC)
            .unwrap_err()
            .to_string(),
        "in_contains: operator not defined for Int"
    );
    // Without the `title_not` field, `title_not_in` is `title` + `_not_in`.
    let plain = self::schema();
    let w = parse_condition(&plain, POST, r#"{"title_not_in":["x"]}"#, &Limits::SPEC).unwrap();
    assert!(matches!(w.clauses[0], Clause::Field { op: Op::NotIn, .. }));
    // Round trip keeps the resolution.
    for c in [r#"{"title_not_in":["x"]}"#, r#"{"in_not_in":[1]}"#] {
        let w = parse(c);
        assert_eq!(
            parse_condition(&schema, POST, &print(&schema, &w), &Limits::SPEC).unwrap(),
            w
        );
    }
}
