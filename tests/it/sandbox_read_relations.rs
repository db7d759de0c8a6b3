//! The sandbox's reads (`sandbox::read::execute_query`) against the reference on generated
//! cases: random content over Post (localized title, single `author`, list `tags`), Author and
//! Tag (reverse fields `posts`), with documents in DRAFT, PUBLISHED and QA, some links dangling
//! in a stage (DATA-4); random READ grants for the public principal and a PAT (model, stage and
//! locale lists, conditions, disabled ones); and random queries: root lists, single entries and
//! connections with `stage`, `locales`, `where`, `orderBy`, `first`, `skip`, nested single,
//! list and reverse relation fields with their own `locales`, `where`, `orderBy` and paging
//! (READ-6, READ-9, CTX-4), `documentInStages` (READ-7), aliases, `gcms-*` headers, and now
//! and then an argument that step 5 refuses (READ-3, READ-9, CTX-2, WHERE-1) next to a field
//! the principal may not read (ERR-1: the 400 wins). Both sides must give the same `data`, the
//! same 403 paths in the same order, or both a 400. Beside them, a fixed list of relation
//! reads over fixed content and grant sets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::sandbox_read_support;

use proptest::prelude::*;
use tollgate::fuzzing::Bytes;

use sandbox_read_support::gen::{gen_case, Gen};
use sandbox_read_support::{Answer, Ask, Both, Who};

fn differential(
    b: &mut Bytes<'_>,
    queries: usize,
    invalid_odds: usize,
) -> Result<(), TestCaseError> {
    let env = gen_case(b);
    let mut both = Both::load(&env);
    let schema = tollgate::sandbox::store::build_schema(&env).unwrap();
    let mut g = Gen::new(&schema, invalid_odds);
    for _ in 0..queries {
        let ask = g.ask(b);
        for who in [Who::Public, Who::Pat] {
            let (r, s) = both.both(who, &ask);
            prop_assert_eq!(
                &s,
                &r,
                "{:?} {:?}\nvariables {:?}\nheaders {:?} {:?}\n{}",
                who,
                ask.query,
                ask.variables,
                ask.stage,
                ask.locales,
                serde_yaml_ng::to_string(&env).unwrap()
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// READ-6, READ-9, CTX-4, DATA-4, READ-7 on valid queries.
    #[test]
    fn relation_reads_agree_with_the_reference(bytes in prop::collection::vec(any::<u8>(), 0..1500)) {
        let mut b = Bytes::new(&bytes);
        differential(&mut b, 6, 0)?;
    }

    /// ERR-1: with now and then an argument step 5 refuses, anywhere in the selection.
    #[test]
    fn invalid_arguments_are_400s_before_any_403(bytes in prop::collection::vec(any::<u8>(), 0..1500)) {
        let mut b = Bytes::new(&bytes);
        differential(&mut b, 6, 40)?;
    }
}

#[test]
fn the_generator_reaches_every_outcome() {
    // Guard against a generator that only ever produces one kind of answer.
    let (mut data, mut denied, mut invalid, mut nonempty_relation) = (0, 0, 0, 0);
    for seed in 0u32..60 {
        let bytes: Vec<u8> = (0..1500u32)
            .map(|i| {
                (i.wrapping_mul(2_654_435_761)
                    .wrapping_add(seed.wrapping_mul(97))
                    >> 13) as u8
            })
            .collect();
        let mut b = Bytes::new(&bytes);
        let env = gen_case(&mut b);
        let mut both = Both::load(&env);
        let schema = tollgate::sandbox::store::build_schema(&env).unwrap();
        let mut g = Gen::new(&schema, if seed % 2 == 0 { 0 } else { 40 });
        for _ in 0..4 {
            let ask = g.ask(&mut b);
            match both.reference(Who::Pat, &ask) {
                Answer::Data(d) => {
                    data += 1;
                    let text = d.to_string();
                    if text.contains("\"tags\":[{") || text.contains("\"posts\":[{") {
                        nonempty_relation += 1;
                    }
                }
                Answer::Denied(_) => denied += 1,
                Answer::Invalid => invalid += 1,
            }
        }
    }
    assert!(data > 20 && denied > 5 && invalid > 5 && nonempty_relation > 3,
        "data {data}, denied {denied}, invalid {invalid}, non-empty relation lists {nonempty_relation}");
}

/// Fixed content for the listed cases: p1 links t1 and t2, and t2 has no PUBLISHED document
/// (a dangling link there, DATA-4); p4's QA document links other entries than its DRAFT one.
const FIXED: &str = r#"
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
  - {model: Author, id: a1, data: {name: Ann}, publish: [PUBLISHED, QA]}
  - {model: Author, id: a2, data: {name: Bob}}
  - {model: Tag, id: t1, data: {label: x}, localizations: {de: {label: y}}, publish: [PUBLISHED, QA]}
  - {model: Tag, id: t2, data: {label: z}, publish: [QA]}
  - {model: Tag, id: t3, data: {label: w}, localizations: {de: {label: v}}}
  - {model: Post, id: p1, data: {title: Hello, views: 1, author: a1, tags: [t1, t2]}, localizations: {de: {title: Hallo}}, publish: [PUBLISHED]}
  - {model: Post, id: p2, data: {title: Bye, views: 5, author: a1, tags: [t3, t1]}, publish: [PUBLISHED, QA]}
  - {model: Post, id: p3, data: {views: 9, author: a2, tags: [t2]}, localizations: {de: {title: Drei}}}
  - model: Post
    id: p4
    data: {title: Four, views: 4, tags: [t1]}
    stages:
      QA: {data: {title: Vier, views: 4, author: a1, tags: [t2, t1]}}
"#;

const FIXED_GRANTS: [&str; 4] = [
    "pats: [{name: t, grants: [{action: READ}]}]",
    // Tags only in de and with a condition; authors only in PUBLISHED.
    r#"pats: [{name: t, default_stage: DRAFT, grants: [{action: READ, model: Post},
        {action: READ, model: Tag, locales: [de], condition: '{"label_in": ["y", "v"]}'},
        {action: READ, model: Tag, stages: [QA]},
        {action: READ, model: Author, stages: [PUBLISHED, QA]}]}]"#,
    // Posts with more than one view; no authors.
    r#"pats: [{name: t, grants: [{action: READ, model: Post, condition: '{"views_gt": 1}'},
        {action: READ, model: Tag}]}]"#,
    // Posts only, in DRAFT and QA.
    "pats: [{name: t, default_stage: QA, grants: [{action: READ, model: Post, stages: [DRAFT, QA]}]}]",
];

const FIXED_QUERIES: &[&str] = &[
    "{ posts { id author { id name } tags { id label locale } } }",
    "{ posts(stage: PUBLISHED) { id tags { id } author { id } } }",
    "{ posts(stage: QA) { id title tags { id stage } author { name } } }",
    "{ posts(where: {tags_some: {label: \"z\"}}) { id } }",
    "{ posts(locales: [de, en]) { id locale tags { id locale label } } }",
    "{ posts { id tags(locales: [de]) { id locale label } } }",
    "{ posts(locales: [de]) { id tags(locales: [en]) { id locale } } }",
    "{ tags { id posts { id title locale } } }",
    "{ tags(stage: QA) { id posts(orderBy: views_DESC) { id views } } }",
    "{ authors { id posts(orderBy: views_DESC, first: 1, skip: 1) { id views } } }",
    "{ authors(stage: DRAFT) { id posts(where: {views_gt: 2}, orderBy: title_ASC) { id title } } }",
    "{ tags { posts(where: {author: {name: \"Ann\"}}) { id } } }",
    "{ posts { tags(orderBy: label_DESC) { id label } } }",
    "{ posts { tags(skip: 1) { id } x: tags(first: 1) { id } } }",
    "{ postsConnection { aggregate { count } edges { node { id author { name } } } } }",
    "{ post(where: {id: \"p1\"}) { tags(first: 1) { id posts { id } } } }",
    "{ post(where: {id: \"p4\"}, stage: DRAFT) { author { id } tags { id } documentInStages(stages: [QA]) { author { id } tags { id } } } }",
    "{ posts { documentInStages(stages: [PUBLISHED, QA]) { id stage tags { id stage } } } }",
];

#[test]
fn listed_relation_reads_agree_with_the_reference() {
    let headers: [(Option<&str>, Option<&str>); 3] =
        [(None, None), (Some("QA"), None), (None, Some("de,en"))];
    let mut failures = Vec::new();
    let mut answers = std::collections::BTreeMap::new();
    for (i, grants) in FIXED_GRANTS.iter().enumerate() {
        let mut both = Both::yaml(&format!("{FIXED}{grants}\n"));
        for q in FIXED_QUERIES {
            for (stage, locales) in headers {
                let ask = Ask {
                    query: q.to_string(),
                    stage: stage.map(str::to_string),
                    locales: locales.map(str::to_string),
                    ..Ask::default()
                };
                let (r, s) = both.both(Who::Pat, &ask);
                let kind = match &r {
                    Answer::Data(_) => "data",
                    Answer::Denied(_) => "denied",
                    Answer::Invalid => "invalid",
                };
                *answers.entry(kind).or_insert(0) += 1;
                if r != s {
                    failures.push(format!(
                        "grants {i}, headers {stage:?} {locales:?}: {q}\n  reference: {r:?}\n  sandbox:   {s:?}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        answers.get("data").is_some_and(|n| *n > 100)
            && answers.get("denied").is_some_and(|n| *n > 20),
        "{answers:?}"
    );
}
