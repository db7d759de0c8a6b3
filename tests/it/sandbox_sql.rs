//! The sandbox's SQL compilation of `where` filters (spec §5) against hand-written expected id
//! sets for every operator, field type and §10 null row; and a differential property test that
//! compares the SQL result sets with the reference evaluator (`model::condition::eval`) on
//! random content and random conditions, in a fixed locale and in READ-2's served locale.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::{json, Value as J};
use tollgate::fuzzing::{fixture_schema, gen_where, Bytes};
use tollgate::model::condition::{eval, parse_value, EvalCtx, Limits};
use tollgate::model::profile::{NullLogic, Profile};
use tollgate::model::spec::{DocSpec, EntrySpec, EnvSpec};
use tollgate::model::value::format_datetime;
use tollgate::model::State;
use tollgate::sandbox::sql::{select_ids, select_ids_served, LocaleSql};
use tollgate::sandbox::store::{build_schema, EnvKey, Store};

/// The models of `tollgate::fuzzing::fixture_schema`, by name.
const FIXTURE_MODELS: &str = r#"
stages: [QA]
locales: [en, de]
models:
  - name: Post
    fields:
      - {name: title, type: String, localized: true}
      - {name: views, type: Int}
      - {name: score, type: Float}
      - {name: live, type: Boolean}
      - {name: kind, type: Enum, values: [NEWS, BLOG, in]}
      - {name: when, type: DateTime}
      - {name: title_not, type: String}
      - {name: in, type: Int}
      - {name: author, type: Author, reverse: posts}
      - {name: tags, type: Tag, list: true, reverse: posts}
  - name: Author
    fields:
      - {name: name, type: String}
      - {name: age, type: Int}
      - {name: best, type: Post}
  - name: Tag
    fields:
      - {name: label, type: String, localized: true}
      - {name: weight, type: Float}
"#;

const HAND_ENTRIES: &str = r#"
entries:
  - model: Post
    id: p1
    createdAt: "2023-12-31T00:00:00Z"
    data: {title: Hello World, views: 10, score: 1.5, live: true, kind: NEWS,
           when: "2024-01-01T10:00:00+02:00", title_not: x, in: 1, author: a1, tags: [t1, t2]}
    localizations: {de: {title: Hallo}}
    publish: [PUBLISHED]
  - model: Post
    id: p2
    data: {title: "50%_off", views: 20, score: 2, live: false, kind: BLOG,
           when: "2024-06-01T00:00:00Z", author: a2, tags: t3}
    stages:
      PUBLISHED:
        publishedAt: "2024-02-01T00:00:00Z"
        data: {title: pub, views: 20, author: a2, tags: [t3]}
  - {model: Post, id: p3}
  - {model: Author, id: a1, data: {name: Ann, age: 30, best: p2}, publish: [PUBLISHED]}
  - {model: Author, id: a2, data: {name: bob}}
  - model: Tag
    id: t1
    data: {label: red, weight: 1.0}
    localizations: {de: {label: rot}}
    publish: [PUBLISHED]
  - {model: Tag, id: t2, data: {label: Blue}}
  - {model: Tag, id: t3, data: {label: red, weight: 3.0}}
"#;

fn fixture_env(entries: &str) -> EnvSpec {
    serde_yaml_ng::from_str(&format!("{FIXTURE_MODELS}{entries}")).unwrap()
}

struct Hand {
    store: Store,
    key: EnvKey,
}

impl Hand {
    fn new() -> Hand {
        let mut store = Store::in_memory().unwrap();
        let key = store.load("hand", &fixture_env(HAND_ENTRIES)).unwrap();
        Hand { store, key }
    }

    fn ids(&self, model: &str, w: J, stage: &str, locale: &str) -> Vec<String> {
        let schema = &self.store.env(self.key).unwrap().schema;
        let m = schema.model(model).unwrap();
        let w = parse_value(schema, m, &w, &Limits::SPEC).unwrap_or_else(|e| panic!("{w}: {e}"));
        select_ids(
            &self.store,
            self.key,
            &w,
            stage,
            &LocaleSql::Bound(locale.into()),
        )
        .unwrap()
    }

    fn served(&self, model: &str, w: J, stage: &str, locales: &[&str]) -> Vec<String> {
        let schema = &self.store.env(self.key).unwrap().schema;
        let m = schema.model(model).unwrap();
        let w = parse_value(schema, m, &w, &Limits::SPEC).unwrap();
        let locales: Vec<String> = locales.iter().map(|l| l.to_string()).collect();
        select_ids_served(&self.store, self.key, &w, stage, &locales).unwrap()
    }
}

/// Asserts `model` filtered by each `where` in `stage` and `locale` gives the expected ids.
fn check(h: &Hand, model: &str, stage: &str, locale: &str, cases: &[(J, &[&str])]) {
    let mut failures = Vec::new();
    for (w, expected) in cases {
        let got = h.ids(model, w.clone(), stage, locale);
        if got != *expected {
            failures.push(format!(
                "{model} {stage} {locale} {w}: got {got:?}, expected {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_store_builds_the_fixture_schema() {
    assert_eq!(build_schema(&fixture_env("")).unwrap(), fixture_schema());
}

#[test]
fn string_and_id_operators() {
    let h = Hand::new();
    check(
        &h,
        "Post",
        "DRAFT",
        "en",
        &[
            (json!({"title": "Hello World"}), &["p1"]),
            (json!({"title": "hello world"}), &[]),
            (json!({"title": null}), &["p3"]),
            // `title_not…` keys name the field `title_not` (only p1 has one: "x").
            (json!({"title_not": "Hello World"}), &[]),
            (json!({"title_not": "x"}), &["p1"]),
            (json!({"title_not_contains": ""}), &["p1"]),
            (json!({"title_not_starts_with": "y"}), &[]),
            (json!({"title_not_not": "x"}), &[]),
            (json!({"title_not_not": null}), &["p1"]),
            (json!({"title_not_in": ["x"]}), &["p1"]),
            (json!({"title_in": ["Hello World", "nope"]}), &["p1"]),
            (json!({"title_in": "50%_off"}), &["p2"]),
            (json!({"title_in": []}), &[]),
            (json!({"title_contains": "o"}), &["p1", "p2"]),
            (json!({"title_contains": "%_"}), &["p2"]),
            (json!({"title_contains": "_"}), &["p2"]),
            (json!({"title_contains": "%"}), &["p2"]),
            (json!({"title_contains": "world"}), &[]),
            (json!({"title_contains": ""}), &["p1", "p2"]),
            (json!({"title_starts_with": "Hello"}), &["p1"]),
            (json!({"title_starts_with": "hello"}), &[]),
            (json!({"title_starts_with": ""}), &["p1", "p2"]),
            (json!({"title_starts_with": "Hello World!"}), &[]),
            (json!({"title_ends_with": "off"}), &["p2"]),
            (json!({"title_ends_with": "x50%_off"}), &[]),
            (json!({"title_ends_with": ""}), &["p1", "p2"]),
            (json!({"id": "p2"}), &["p2"]),
            (json!({"id": 7}), &[]),
            (json!({"id_not": "p1"}), &["p2", "p3"]),
            (json!({"id_in": ["p1", "p3", "ghost"]}), &["p1", "p3"]),
            (json!({"id_not_in": ["p1"]}), &["p2", "p3"]),
            (json!({"id_starts_with": "p"}), &["p1", "p2", "p3"]),
            (json!({"id_contains": "3"}), &["p3"]),
            (json!({"id_not_ends_with": "3"}), &["p1", "p2"]),
        ],
    );
    // The `_not_` string forms, on a localized field and a plain one.
    check(
        &h,
        "Tag",
        "DRAFT",
        "en",
        &[
            (json!({"label_not": "red"}), &["t2"]),
            (json!({"label_not_contains": "r"}), &["t2"]),
            (json!({"label_not_contains": "e"}), &[]),
            (json!({"label_not_contains": ""}), &[]),
            (json!({"label_not_starts_with": "B"}), &["t1", "t3"]),
            (json!({"label_not_starts_with": "b"}), &["t1", "t2", "t3"]),
            (json!({"label_not_starts_with": ""}), &[]),
            (json!({"label_not_ends_with": "d"}), &["t2"]),
            (json!({"label_not_ends_with": "xred"}), &["t1", "t2", "t3"]),
            (json!({"label_not_ends_with": ""}), &[]),
            (json!({"label_not_in": ["red"]}), &["t2"]),
        ],
    );
    check(
        &h,
        "Tag",
        "DRAFT",
        "de",
        &[
            (json!({"label_not_contains": "x"}), &["t1"]),
            (json!({"label_not_starts_with": "x"}), &["t1"]),
            (json!({"label_not_in": ["x"]}), &["t1"]),
            (json!({"NOT": {"label_not_in": ["x"]}}), &["t2", "t3"]),
        ],
    );
    check(
        &h,
        "Author",
        "DRAFT",
        "en",
        &[
            (json!({"name_not_contains": "n"}), &["a2"]),
            (json!({"name_starts_with": "b"}), &["a2"]),
            (json!({"name_not_ends_with": "b"}), &["a1"]),
            (json!({"age_not_in": [1]}), &["a1"]),
        ],
    );
    // Localized values are read in the locale given; an absent localization reads as null.
    check(
        &h,
        "Post",
        "DRAFT",
        "de",
        &[
            (json!({"title": "Hallo"}), &["p1"]),
            (json!({"title": "Hello World"}), &[]),
            (json!({"title": null}), &["p2", "p3"]),
            (json!({"NOT": {"title": null}}), &["p1"]),
            (json!({"NOT": {"title_contains": ""}}), &["p2", "p3"]),
        ],
    );
}

#[test]
fn number_boolean_enum_and_datetime_operators() {
    let h = Hand::new();
    check(
        &h,
        "Post",
        "DRAFT",
        "en",
        &[
            (json!({"views": 10}), &["p1"]),
            (json!({"views_not": 10}), &["p2"]),
            (json!({"views_not": null}), &["p1", "p2"]),
            (json!({"views": null}), &["p3"]),
            (json!({"views_gt": 10}), &["p2"]),
            (json!({"views_gte": 10}), &["p1", "p2"]),
            (json!({"views_lt": 20}), &["p1"]),
            (json!({"views_lte": 5}), &[]),
            (json!({"views_in": [10, 30]}), &["p1"]),
            (json!({"views_not_in": [10]}), &["p2"]),
            (json!({"views_not_in": []}), &["p1", "p2"]),
            (json!({"in": 1}), &["p1"]),
            (json!({"in_not_in": [1]}), &[]),
            (json!({"score": 2}), &["p2"]),
            (json!({"score": 2.0}), &["p2"]),
            (json!({"score_lt": 2}), &["p1"]),
            (json!({"score_gt": 1}), &["p1", "p2"]),
            (json!({"score_lte": 1.5}), &["p1"]),
            (json!({"score_in": [1.5, 7]}), &["p1"]),
            (json!({"live": true}), &["p1"]),
            (json!({"live": false}), &["p2"]),
            (json!({"live_not": true}), &["p2"]),
            (json!({"live": null}), &["p3"]),
            (json!({"live_not": null}), &["p1", "p2"]),
            (json!({"kind": "NEWS"}), &["p1"]),
            (json!({"kind_not": "NEWS"}), &["p2"]),
            (json!({"kind_in": ["BLOG", "in"]}), &["p2"]),
            (json!({"kind_not_in": ["NEWS"]}), &["p2"]),
            (json!({"when": "2024-01-01T08:00:00Z"}), &["p1"]),
            (json!({"when": "2024-01-01T09:00:00+01:00"}), &["p1"]),
            (json!({"when_gt": "2024-01-01T08:00:00Z"}), &["p2"]),
            (
                json!({"when_lte": "2024-06-01T00:00:00+00:00"}),
                &["p1", "p2"],
            ),
            (
                json!({"when_lt": "2024-06-01T00:00:00.000001Z"}),
                &["p1", "p2"],
            ),
            (json!({"when_gt": "2024-06-01T00:00:00Z"}), &[]),
            (json!({"createdAt_lt": "2024-01-01T00:00:00Z"}), &["p1"]),
            (
                json!({"createdAt_gte": "2024-01-01T00:01:00Z"}),
                &["p2", "p3"],
            ),
            (json!({"createdAt": "2024-01-01T00:02:00Z"}), &["p3"]),
            (
                json!({"updatedAt_lte": "2024-01-01T00:01:00Z"}),
                &["p1", "p2"],
            ),
            (json!({"publishedAt": null}), &["p1", "p2", "p3"]),
            (json!({"publishedAt_not": null}), &[]),
        ],
    );
    check(
        &h,
        "Post",
        "PUBLISHED",
        "en",
        &[
            (json!({"publishedAt_not": null}), &["p1", "p2"]),
            (json!({"publishedAt": "2023-12-31T00:00:00Z"}), &["p1"]),
            (json!({"publishedAt_gt": "2024-01-15T00:00:00Z"}), &["p2"]),
            (json!({"title": "pub"}), &["p2"]),
            (json!({"score": null}), &["p2"]),
        ],
    );
}

#[test]
fn logic_and_the_null_rows_of_section_10() {
    let h = Hand::new();
    check(
        &h,
        "Post",
        "DRAFT",
        "en",
        &[
            (json!({}), &["p1", "p2", "p3"]),
            (json!({"AND": []}), &["p1", "p2", "p3"]),
            (json!({"OR": []}), &[]),
            (json!({"NOT": []}), &[]),
            (json!({"AND": [{"views": 10}, {"live": true}]}), &["p1"]),
            (json!({"AND": [{"views": 10}, {"live": false}]}), &[]),
            (json!({"OR": [{"views": 10}, {"views": 20}]}), &["p1", "p2"]),
            (json!({"NOT": {"views": 10}}), &["p2", "p3"]),
            (
                json!({"NOT": [{"views": 10}, {"live": false}]}),
                &["p1", "p2", "p3"],
            ),
            (
                json!({"NOT": [{"views": 10}, {"live": true}]}),
                &["p2", "p3"],
            ),
            // WHERE-1: two-valued; NOT of a leaf on a null value is true.
            (json!({"NOT": [{"title": "x"}]}), &["p1", "p2", "p3"]),
            (json!({"NOT": [{"title_in": ["x"]}]}), &["p1", "p2", "p3"]),
            (json!({"NOT": [{"views_not_in": [10]}]}), &["p1", "p3"]),
            (json!({"NOT": [{"views_lt": 100}]}), &["p3"]),
            (
                json!({"NOT": [{"NOT": [{"views_lt": 100}]}]}),
                &["p1", "p2"],
            ),
            (json!({"NOT": [{"views_not": 10}]}), &["p1", "p3"]),
            (json!({"views": 10, "live": true, "kind": "NEWS"}), &["p1"]),
            (json!({"views": 10, "live": false}), &[]),
            (
                json!({"OR": [{"AND": []}, {"views": 1}]}),
                &["p1", "p2", "p3"],
            ),
        ],
    );
}

#[test]
fn relation_filters() {
    let h = Hand::new();
    check(
        &h,
        "Post",
        "DRAFT",
        "en",
        &[
            (json!({"author": {}}), &["p1", "p2"]),
            (json!({"author": {"name": "Ann"}}), &["p1"]),
            (json!({"author": {"age": null}}), &["p2"]),
            (json!({"NOT": {"author": {}}}), &["p3"]),
            (json!({"NOT": {"author": {"age_gt": 1}}}), &["p2", "p3"]),
            (json!({"author": {"posts_some": {"views": 20}}}), &["p2"]),
            (
                json!({"author": {"best": {"title_ends_with": "off"}}}),
                &["p1"],
            ),
            (json!({"tags_some": {}}), &["p1", "p2"]),
            (json!({"tags_every": {}}), &["p1", "p2", "p3"]),
            (json!({"tags_none": {}}), &["p3"]),
            (json!({"tags_some": {"label": "red"}}), &["p1", "p2"]),
            (json!({"tags_every": {"label": "red"}}), &["p2", "p3"]),
            (json!({"tags_none": {"label": "red"}}), &["p3"]),
            (json!({"tags_every": {"weight": null}}), &["p3"]),
            (
                json!({"tags_some": {"weight_gt": 0.5, "label": "Blue"}}),
                &[],
            ),
            (
                json!({"tags_some": {"label_in": ["Blue"]}, "author": {"age": 30}}),
                &["p1"],
            ),
        ],
    );
    // Related entries' localized fields are read in the same locale, without fallback.
    check(
        &h,
        "Post",
        "DRAFT",
        "de",
        &[
            (json!({"tags_some": {"label": "rot"}}), &["p1"]),
            (json!({"tags_some": {"label": "red"}}), &[]),
            (json!({"tags_some": {"label": null}}), &["p1", "p2"]),
            (json!({"tags_every": {"label": "rot"}}), &["p3"]),
            (json!({"tags_some": {}}), &["p1", "p2"]),
        ],
    );
    // PUBLISHED: links are followed in the same stage; t2, t3 and a2 have no PUBLISHED
    // document, so links to them dangle and are ignored.
    check(
        &h,
        "Post",
        "PUBLISHED",
        "en",
        &[
            (json!({"tags_some": {}}), &["p1"]),
            (json!({"tags_none": {}}), &["p2"]),
            (json!({"tags_every": {"label": "red"}}), &["p1", "p2"]),
            (json!({"tags_some": {"label": "Blue"}}), &[]),
            (json!({"author": {}}), &["p1"]),
            (json!({"NOT": {"author": {}}}), &["p2"]),
        ],
    );
    // Reverse fields: the links owned by Post, seen from the other end.
    check(
        &h,
        "Tag",
        "DRAFT",
        "en",
        &[
            (json!({"posts_some": {"views": 10}}), &["t1", "t2"]),
            (json!({"posts_some": {}}), &["t1", "t2", "t3"]),
            (json!({"posts_none": {}}), &[]),
            (json!({"posts_every": {"live": false}}), &["t3"]),
            (
                json!({"posts_some": {"tags_some": {"label": "Blue"}}}),
                &["t1", "t2"],
            ),
        ],
    );
    check(
        &h,
        "Tag",
        "PUBLISHED",
        "en",
        &[
            (json!({"posts_some": {}}), &["t1"]),
            (json!({"posts_some": {"title": "Hello World"}}), &["t1"]),
        ],
    );
    check(
        &h,
        "Author",
        "DRAFT",
        "en",
        &[
            (json!({"posts_every": {"live": true}}), &["a1"]),
            (json!({"posts_none": {"live": true}}), &["a2"]),
            (json!({"best": {}}), &["a1"]),
            (json!({"best": {"author": {"name": "bob"}}}), &["a1"]),
        ],
    );
    check(
        &h,
        "Author",
        "PUBLISHED",
        "en",
        &[
            (json!({"posts_some": {}}), &["a1"]),
            (json!({"best": {}}), &["a1"]),
            (json!({"best": {"title": "pub"}}), &["a1"]),
        ],
    );
}

#[test]
fn served_locale_is_chosen_by_presence_without_fallback() {
    let h = Hand::new();
    // p1 has `de`: it is served (and filtered) in de; p2 and p3 fall back to en.
    assert_eq!(
        h.served("Post", json!({"title": "Hallo"}), "DRAFT", &["de", "en"]),
        ["p1"]
    );
    assert!(h
        .served(
            "Post",
            json!({"title": "Hello World"}),
            "DRAFT",
            &["de", "en"]
        )
        .is_empty());
    assert_eq!(
        h.served("Post", json!({"title": "50%_off"}), "DRAFT", &["de", "en"]),
        ["p2"]
    );
    // Only `de` requested: entries without a de localization are invisible.
    assert_eq!(h.served("Post", json!({}), "DRAFT", &["de"]), ["p1"]);
    // Related entries are read in the served locale of the tested document.
    assert_eq!(
        h.served(
            "Post",
            json!({"tags_some": {"label": "rot"}}),
            "DRAFT",
            &["de", "en"]
        ),
        ["p1"]
    );
    assert_eq!(
        h.served(
            "Post",
            json!({"tags_some": {"label": "red"}}),
            "DRAFT",
            &["de", "en"]
        ),
        ["p2"]
    );
    // A model without localized fields serves every requested locale.
    assert_eq!(
        h.served("Author", json!({}), "DRAFT", &["de"]),
        ["a1", "a2"]
    );
}

// ---------------------------------------------------------------------------------------------
// Differential: the sandbox's SQL against the reference evaluator.

const STRINGS: [&str; 9] = ["", "a", "ab", "ba", "A", "é", "%", "a_b", "ñé"];
const INTS: [i64; 6] = [-1, 0, 1, 2, 2_147_483_647, -2_147_483_648];
const FLOATS: [f64; 5] = [0.0, 0.5, 1.0, -2.5, 2.0];
const TIMES: [i64; 4] = [0, 1, 1_000_000, 1_704_067_200_000_000];
const PLAN: [(&str, &str); 8] = [
    ("Post", "p0"),
    ("Post", "p1"),
    ("Post", "p2"),
    ("Author", "a0"),
    ("Author", "a1"),
    ("Tag", "t0"),
    ("Tag", "t1"),
    ("Tag", "t2"),
];

fn pick<T: Copy>(b: &mut Bytes<'_>, items: &[T]) -> T {
    items[b.below(items.len())]
}

fn time(b: &mut Bytes<'_>) -> String {
    format_datetime(pick(b, &TIMES))
}

/// A random JSON value of a scalar type (absent: `None`; null included).
fn value(b: &mut Bytes<'_>, ty: &str) -> Option<J> {
    match b.below(7) {
        0 => return None,
        1 => return Some(J::Null),
        _ => {}
    }
    Some(match ty {
        "String" => json!(pick(b, &STRINGS)),
        "Int" => json!(pick(b, &INTS)),
        "Float" => json!(pick(b, &FLOATS)),
        "Boolean" => json!(b.below(2) == 1),
        "DateTime" => json!(time(b)),
        _ => json!(["NEWS", "BLOG", "in"][b.below(3)]),
    })
}

/// Random fields of one document of `model` (non-localized values, default-locale localized
/// values and links in `data`; a `de` localization or not).
fn doc(b: &mut Bytes<'_>, model: &str, published: bool) -> DocSpec {
    let mut d = DocSpec::default();
    let fields: &[(&str, &str)] = match model {
        "Post" => &[
            ("title", "String"),
            ("views", "Int"),
            ("score", "Float"),
            ("live", "Boolean"),
            ("kind", "Enum"),
            ("when", "DateTime"),
            ("title_not", "String"),
            ("in", "Int"),
        ],
        "Author" => &[("name", "String"), ("age", "Int")],
        _ => &[("label", "String"), ("weight", "Float")],
    };
    for (f, ty) in fields {
        if let Some(v) = value(b, ty) {
            d.data.insert(f.to_string(), v);
        }
    }
    let links: &[(&str, &[&str], bool)] = match model {
        "Post" => &[
            ("author", &["a0", "a1"], false),
            ("tags", &["t0", "t1", "t2"], true),
        ],
        "Author" => &[("best", &["p0", "p1", "p2"], false)],
        _ => &[],
    };
    for (f, targets, list) in links {
        let n = if *list { b.below(4) } else { b.below(2) };
        let mut ids: Vec<&str> = Vec::new();
        for _ in 0..n {
            let t = pick(b, targets);
            if !ids.contains(&t) {
                ids.push(t);
            }
        }
        match (ids.as_slice(), list) {
            ([], _) if b.below(2) == 0 => {}
            ([one], true) if b.below(2) == 0 => {
                d.data.insert(f.to_string(), json!(one)); // a single value as a list of one
            }
            (_, true) => {
                d.data.insert(f.to_string(), json!(ids));
            }
            ([], false) => {
                d.data.insert(f.to_string(), J::Null);
            }
            (_, false) => {
                d.data.insert(f.to_string(), json!(ids[0]));
            }
        }
    }
    let localized = match model {
        "Post" => Some("title"),
        "Tag" => Some("label"),
        _ => None,
    };
    if let Some(f) = localized {
        if b.below(2) == 0 {
            let mut m = serde_json::Map::new();
            if let Some(v) = value(b, "String") {
                m.insert(f.to_string(), v);
            }
            d.localizations.insert("de".into(), m);
        }
    }
    if b.below(2) == 0 {
        d.created_at = Some(time(b));
    }
    if b.below(2) == 0 {
        d.updated_at = Some(time(b));
    }
    if published && b.below(2) == 0 {
        d.published_at = Some(time(b));
    }
    d
}

/// A random fixture environment: the 8 entries of `PLAN`, each with a DRAFT document and, per
/// other stage, none, a published copy, or a document of its own.
fn gen_env(b: &mut Bytes<'_>) -> EnvSpec {
    let mut env = fixture_env("");
    for (model, id) in PLAN {
        let draft = doc(b, model, false);
        let mut e = EntrySpec {
            model: model.into(),
            id: id.into(),
            data: draft.data,
            localizations: draft.localizations,
            created_at: draft.created_at,
            updated_at: draft.updated_at,
            publish: Vec::new(),
            stages: Default::default(),
        };
        for stage in ["PUBLISHED", "QA"] {
            match b.below(3) {
                0 => {}
                1 => e.publish.push(stage.into()),
                _ => {
                    e.stages.insert(stage.into(), doc(b, model, true));
                }
            }
        }
        env.entries.push(e);
    }
    env
}

/// Loads `env` on both sides and compares, for every model, stage and locale, and for served
/// locale lists, the ids `wj` selects.
fn differential(env: &EnvSpec, model: usize, wj: &J) -> Result<(), TestCaseError> {
    let state = State::load("diff", std::slice::from_ref(env), Profile::default())
        .map_err(|e| TestCaseError::fail(format!("reference load: {e}")))?;
    let renv = &state.environments[0];
    let (schema, content) = (&renv.schema, &renv.content);
    let mut store = Store::in_memory().unwrap();
    let key = store.load("diff", env).unwrap();
    prop_assert_eq!(&store.env(key).unwrap().schema, schema);
    let w = parse_value(schema, model, wj, &Limits::SPEC).unwrap();
    let localized = schema.models[model].has_localized_fields();
    for (stage, stage_name) in schema.stages.iter().enumerate() {
        for (locale, locale_name) in schema.locales.iter().enumerate() {
            let ctx = EvalCtx {
                schema,
                content,
                stage,
                locale,
                null_logic: NullLogic::TwoValued,
            };
            let reference: Vec<&str> = content
                .of_model(model)
                .filter(|e| e.document(stage).is_some_and(|d| eval(&w, &ctx, e, d)))
                .map(|e| e.id.as_str())
                .collect();
            let sandbox = select_ids(
                &store,
                key,
                &w,
                stage_name,
                &LocaleSql::Bound(locale_name.clone()),
            )
            .unwrap();
            prop_assert_eq!(
                &sandbox,
                &reference,
                "{} in {} {}\n{}",
                wj,
                stage_name,
                locale_name,
                serde_yaml_ng::to_string(env).unwrap()
            );
        }
        for list in [vec![1usize, 0], vec![1], vec![0, 1]] {
            let names: Vec<String> = list.iter().map(|&l| schema.locales[l].clone()).collect();
            let reference: Vec<&str> = content
                .of_model(model)
                .filter(|e| {
                    let Some(d) = e.document(stage) else {
                        return false;
                    };
                    let served = if localized {
                        list.iter().copied().find(|&l| d.has_locale(l))
                    } else {
                        list.first().copied()
                    };
                    served.is_some_and(|locale| {
                        let ctx = EvalCtx {
                            schema,
                            content,
                            stage,
                            locale,
                            null_logic: NullLogic::TwoValued,
                        };
                        eval(&w, &ctx, e, d)
                    })
                })
                .map(|e| e.id.as_str())
                .collect();
            let sandbox = select_ids_served(&store, key, &w, stage_name, &names).unwrap();
            prop_assert_eq!(
                &sandbox,
                &reference,
                "{} in {} served from {:?}\n{}",
                wj,
                stage_name,
                names,
                serde_yaml_ng::to_string(env).unwrap()
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn sql_agrees_with_the_reference_evaluator(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let schema = fixture_schema();
        let mut b = Bytes::new(&bytes);
        let model = b.below(3);
        let wj = gen_where(&schema, model, &mut b, 1);
        let env = gen_env(&mut b);
        differential(&env, model, &wj)?;
    }

    /// Single leaves (`gen_where` at its leaf depth), whose result sets are more often mixed.
    #[test]
    fn sql_agrees_with_the_reference_on_single_leaves(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let schema = fixture_schema();
        let mut b = Bytes::new(&bytes);
        let model = b.below(3);
        let wj = gen_where(&schema, model, &mut b, 3);
        let env = gen_env(&mut b);
        differential(&env, model, &wj)?;
    }
}
