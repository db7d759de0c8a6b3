//! WRITE-7's read-back (`sandbox::read::read_back`): a written entry rendered in DRAFT with the
//! default locale under READ visibility, `null` when the principal cannot see it, and always
//! rendered under fault `mutation-result-unfiltered`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;
use tollgate::model::spec::EnvSpec;
use tollgate::sandbox::faults::{Fault, Faults};
use tollgate::sandbox::principals::{load_principals, Principal};
use tollgate::sandbox::read::read_back;
use tollgate::sandbox::schema::ContentSchema;
use tollgate::sandbox::store::Store;

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
