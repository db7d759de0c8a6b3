//! WRITE-7's read-back (`sandbox::read::read_back`): a written entry rendered in DRAFT with the
//! default locale under READ visibility, `null` when the principal cannot see it, and always
//! rendered under fault `mutation-result-unfiltered`; relation fields and `documentInStages`
//! below it as in a query but without READ-6's 403, compared with the reference's mutation
//! results on generated cases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::sandbox_read_support;

use proptest::prelude::*;
use serde_json::{json, Value as J};
use tollgate::fuzzing::Bytes;
use tollgate::model::spec::EnvSpec;
use tollgate::sandbox::faults::{Fault, Faults};
use tollgate::sandbox::principals::{load_principals, Principal};
use tollgate::sandbox::read::{read_back, validate_selection, ReadError};
use tollgate::sandbox::schema::{ContentSchema, SelectedField};
use tollgate::sandbox::store::Store;

use sandbox_read_support::gen::{gen_case, pick, Gen, PLAN};
use sandbox_read_support::{Answer, Ask, Both, Who};

const ENV: &str = r#"
locales: [en, de]
models:
  - name: Post
    fields:
      - {name: title, type: String, localized: true}
      - {name: views, type: Int}
entries:
  - {model: Post, id: p1, data: {title: a, views: 1}, localizations: {de: {title: b}}, publish: [PUBLISHED]}
  - {model: Post, id: p2, data: {title: c, views: 5}}
pats:
  - name: t
    grants: [{action: READ, model: Post, stages: [DRAFT], condition: '{"views_gt": 2}'}]
"#;

fn selection(store: &Store) -> Vec<tollgate::sandbox::schema::SelectedField> {
    let cs = ContentSchema::new(&store.env(store.envs()[0].key).unwrap().schema).unwrap();
    let v = cs
        .validate(
            "{ post(where: {id: \"x\"}) { id stage locale title publishedAt } }",
            None,
            None,
        )
        .unwrap();
    v.fields[0].selection.clone()
}

#[test]
fn read_back_follows_read_visibility_in_draft_and_the_default_locale() {
    let env: EnvSpec = serde_yaml_ng::from_str(ENV).unwrap();
    let mut store = Store::in_memory().unwrap();
    let k = store.load("p", &env).unwrap();
    let pats = load_principals(&store, k, &env).unwrap();
    let who = Principal::Pat(pats[0].id.clone());
    let sel = selection(&store);
    assert_eq!(
        read_back(&store, k, &who, "Post", "p2", &sel).unwrap(),
        json!({"id": "p2", "stage": "DRAFT", "locale": "en", "title": "c", "publishedAt": null})
    );
    // p1 fails the grant's condition: the mutation's field is null (WRITE-7).
    assert_eq!(
        read_back(&store, k, &who, "Post", "p1", &sel).unwrap(),
        json!(null)
    );
    assert_eq!(
        read_back(&store, k, &who, "Post", "nope", &sel).unwrap(),
        json!(null)
    );
    store.set_faults(Faults::NONE.with(Fault::MutationResultUnfiltered));
    assert_eq!(
        read_back(&store, k, &who, "Post", "p1", &sel).unwrap(),
        json!({"id": "p1", "stage": "DRAFT", "locale": "en", "title": "a", "publishedAt": null})
    );
}

/// The selection of `post(where: {id: "x"}) { <sel> }` as the sandbox's validator resolves it.
fn resolve(
    both: &Both,
    header: &str,
    variables: Option<&J>,
    sel: &str,
) -> Option<Vec<SelectedField>> {
    let q = format!("query{header} {{ post(where: {{id: \"x\"}}) {{ {sel} }} }}");
    both.schema
        .validate(&q, variables, None)
        .ok()
        .map(|v| v.fields[0].selection.clone())
}

/// WRITE-7 against the reference: the reference answers `updatePost(where: {id}, data:
/// {views: <its own value>}) { <sel> }` (a write that changes no value the selection reads);
/// the sandbox's `read_back` of the same entry with the same selection must equal the
/// mutation's field, relation fields and `documentInStages` included, READ-6 never denying.
/// A selection that step 5 refuses is a 400 on both sides.
fn read_back_differential(b: &mut Bytes<'_>) -> Result<usize, TestCaseError> {
    let mut env: EnvSpec = gen_case(b);
    // The PAT may update posts, so that the mutation passes WRITE-0 and reaches WRITE-7.
    env.pats[0]
        .grants
        .push(serde_yaml_ng::from_str("{action: UPDATE, model: Post}").unwrap());
    let mut both = Both::load(&env);
    let schema = tollgate::sandbox::store::build_schema(&env).unwrap();
    let principal = both.pat.clone().unwrap();
    let mut compared = 0;
    for _ in 0..4 {
        let mut g = Gen::new(&schema, if b.below(3) == 0 { 20 } else { 0 });
        let sel = g.selection(b, "Post", 1);
        let (header, variables) = g.declarations();
        let id = pick(b, &PLAN[..4]).1;
        let views = env
            .entries
            .iter()
            .find(|e| e.id == id)
            .and_then(|e| e.data.get("views").cloned())
            .unwrap_or(J::Null);
        let ask = Ask {
            query: format!(
                "mutation{header} {{ updatePost(where: {{id: \"{id}\"}}, data: {{views: {views}}}) {{ {sel} }} }}"
            ),
            variables: variables.clone(),
            ..Ask::default()
        };
        let reference = both.reference(Who::Pat, &ask);
        let Some(selection) = resolve(&both, &header, variables.as_ref(), &sel) else {
            prop_assert_eq!(reference, Answer::Invalid, "{}", ask.query);
            continue;
        };
        let valid = validate_selection(&both.store, both.key, "Post", &selection);
        let got = read_back(&both.store, both.key, &principal, "Post", id, &selection);
        match reference {
            Answer::Invalid => {
                prop_assert!(
                    matches!(valid, Err(ReadError::Invalid(_))),
                    "{}: {:?}",
                    ask.query,
                    valid
                );
                prop_assert!(
                    matches!(got, Err(ReadError::Invalid(_))),
                    "{}: {:?}",
                    ask.query,
                    got
                );
            }
            Answer::Denied(_) => prop_assert!(valid.is_ok(), "{}: {:?}", ask.query, valid),
            Answer::Data(data) => {
                prop_assert!(valid.is_ok(), "{}: {:?}", ask.query, valid);
                let got = got.unwrap();
                prop_assert_eq!(
                    &got,
                    &data["updatePost"],
                    "{}\n{}",
                    ask.query,
                    serde_yaml_ng::to_string(&env).unwrap()
                );
                compared += 1;
            }
        }
    }
    Ok(compared)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn read_back_agrees_with_the_references_mutation_results(bytes in prop::collection::vec(any::<u8>(), 0..1500)) {
        let mut b = Bytes::new(&bytes);
        read_back_differential(&mut b)?;
    }
}

#[test]
fn read_back_never_denies_an_uncovered_related_model() {
    // WRITE-7: no grant on Author or Tag; the result still reads, with null and [].
    let env: EnvSpec = serde_yaml_ng::from_str(
        r#"
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
    fields: [{name: label, type: String}]
entries:
  - {model: Author, id: a1, data: {name: Ann}}
  - {model: Tag, id: t1, data: {label: x}}
  - {model: Post, id: p1, data: {title: a, author: a1, tags: [t1]}, publish: [PUBLISHED]}
pats:
  - name: t
    grants: [{action: READ, model: Post}]
"#,
    )
    .unwrap();
    let both = Both::load(&env);
    let who = both.pat.clone().unwrap();
    let sel = resolve(
        &both,
        "",
        None,
        "id author { id } tags(first: 1) { id } documentInStages { id stage author { name } }",
    )
    .unwrap();
    assert_eq!(
        read_back(&both.store, both.key, &who, "Post", "p1", &sel).unwrap(),
        json!({"id": "p1", "author": null, "tags": [],
               "documentInStages": [{"id": "p1", "stage": "PUBLISHED", "author": null}]})
    );
    // The same selection in a query is READ-6's 403.
    let mut both = both;
    assert_eq!(
        both.agree(
            Who::Pat,
            r#"{ post(where: {id: "p1"}) { id author { id } tags(first: 1) { id } } }"#
        ),
        Answer::Denied(vec![
            vec!["post".to_string(), "author".to_string()],
            vec!["post".to_string(), "tags".to_string()]
        ])
    );
    // Step 5 applies to a mutation's result selection too.
    let bad = resolve(&both, "", None, "id tags(first: 101) { id }").unwrap();
    assert!(matches!(
        read_back(&both.store, both.key, &who, "Post", "p1", &bad),
        Err(ReadError::Invalid(_))
    ));
}

/// Guards the differential above against answering nothing but 403s and 400s.
#[test]
fn the_read_back_differential_compares_data() {
    let mut total = 0;
    for seed in 0u32..40 {
        let bytes: Vec<u8> = (0..1500u32)
            .map(|i| {
                (i.wrapping_mul(2_654_435_761)
                    .wrapping_add(seed.wrapping_mul(97))
                    >> 13) as u8
            })
            .collect();
        let mut b = Bytes::new(&bytes);
        total += read_back_differential(&mut b).unwrap();
    }
    assert!(
        total > 40,
        "only {total} of 160 read-backs compared with data"
    );
}

#[test]
fn read_back_runs_inside_the_callers_transaction() {
    // The write executor reads a result back before it commits (WRITE-7, WRITE-11): grants
    // and visibility are read in its transaction, which stays open and is the caller's to end.
    let env: EnvSpec = serde_yaml_ng::from_str(ENV).unwrap();
    let mut store = Store::in_memory().unwrap();
    let k = store.load("p", &env).unwrap();
    let pats = load_principals(&store, k, &env).unwrap();
    let who = Principal::Pat(pats[0].id.clone());
    let sel = selection(&store);
    let tx = store.conn().unchecked_transaction().unwrap();
    tx.execute(
        &format!(
            "UPDATE {} SET \"f_views\" = 9 WHERE \"entry_id\" = 'p1'",
            k.doc_table("Post")
        ),
        [],
    )
    .unwrap();
    // p1 now passes the grant's condition, inside the transaction.
    assert_eq!(
        read_back(&store, k, &who, "Post", "p1", &sel).unwrap()["id"],
        json!("p1")
    );
    assert!(
        !store.conn().is_autocommit(),
        "the transaction is still open"
    );
    tx.rollback().unwrap();
    assert_eq!(
        read_back(&store, k, &who, "Post", "p1", &sel).unwrap(),
        json!(null)
    );
}
