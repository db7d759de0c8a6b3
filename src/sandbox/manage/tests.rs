use std::sync::OnceLock;

use serde_json::json;

use super::*;
use crate::model::spec::EnvSpec;
use crate::sandbox::principals::{is_live, list_grants, load_principals, Principal};
use crate::sandbox::store::Store;
use crate::sandbox::token::{verify, KeyRing};

fn keys() -> &'static KeyRing {
    static KEYS: OnceLock<KeyRing> = OnceLock::new();
    KEYS.get_or_init(|| KeyRing::generate().unwrap())
}

const ORIGIN: &str = "http://127.0.0.1:4000";

fn store() -> Store {
    let mut store = Store::in_memory().unwrap();
    for name in ["master", "staging"] {
        let env: EnvSpec = serde_yaml_ng::from_str(&format!(
            "{{name: {name}, stages: [QA], locales: [en, de], models: [{{name: Post, fields: [{{name: title, type: String, localized: true}}]}}],
              pats: [{{name: seeded, grants: [{{id: g1, action: READ, model: Post, stages: [DRAFT]}}]}}]}}"
        ))
        .unwrap();
        let key = store.load("p", &env).unwrap();
        load_principals(&store, key, &env).unwrap();
    }
    store
}

fn run(store: &Store, query: &str, vars: Option<Json>) -> Outcome {
    let api = ManagementApi::new().unwrap();
    let dir = Directory {
        store,
        keys: keys(),
        origin: ORIGIN,
    };
    api.execute(&dir, query, vars.as_ref(), None)
}

fn data(o: Outcome) -> Json {
    match o {
        Outcome::Data(d) => d,
        other => panic!("expected data, got {other:?}"),
    }
}

fn env_id(name: &str) -> String {
    directory::environment_id("p", name)
}

#[test]
fn the_sdl_builds() {
    assert!(ManagementApi::new().is_ok());
}

#[test]
fn reads_the_project_back() {
    let s = store();
    let d = data(run(
        &s,
        r#"{ viewer { project(id: "p") { id environments { id name endpoint }
             environment(name: "master") { id contentModel { models { id apiId } stages { id apiId isSystem } locales { id apiId isDefault } }
               permanentAuthTokens { id name token defaults { stage { id apiId } }
                 contentPermissions { __typename id enabled ... on ReadContentPermission { model { id apiId } condition locales { apiId } stages { apiId } } } }
               publicContentAPI { defaults { stage { apiId } } contentPermissions { id } } } }
           none: project(id: "nope") { id } } }"#,
        None,
    ));
    let p = &d["viewer"]["project"];
    assert_eq!(p["id"], "p");
    assert_eq!(
        p["environments"][1],
        json!({"id": env_id("staging"), "name": "staging", "endpoint": "http://127.0.0.1:4000/v2/p/staging"})
    );
    let e = &p["environment"];
    assert_eq!(e["id"], env_id("master"));
    assert_eq!(
        e["contentModel"]["models"],
        json!([{"id": "Post", "apiId": "Post"}])
    );
    assert_eq!(
        e["contentModel"]["stages"],
        json!([{"id": "DRAFT", "apiId": "DRAFT", "isSystem": true}, {"id": "PUBLISHED", "apiId": "PUBLISHED", "isSystem": true}, {"id": "QA", "apiId": "QA", "isSystem": false}])
    );
    assert_eq!(e["contentModel"]["locales"][0]["isDefault"], true);
    assert_eq!(e["contentModel"]["locales"][1]["isDefault"], false);
    let pat = &e["permanentAuthTokens"][0];
    assert_eq!(pat["name"], "seeded");
    assert_eq!(pat["defaults"]["stage"]["apiId"], "PUBLISHED");
    assert_eq!(
        pat["contentPermissions"],
        json!([{"__typename": "ReadContentPermission", "id": "g1", "enabled": true,
                "model": {"id": "Post", "apiId": "Post"}, "condition": null, "locales": null, "stages": [{"apiId": "DRAFT"}]}])
    );
    let token = pat["token"].as_str().unwrap();
    assert!(verify(token, "/v2/p/master", keys()).is_ok());
    assert!(verify(token, "/v2/p/staging", keys()).is_err());
    // The same string every time.
    let again = data(run(
        &s,
        r#"{ viewer { project(id: "p") { environment(name: "master") { permanentAuthTokens { token } } } } }"#,
        None,
    ));
    assert_eq!(
        again["viewer"]["project"]["environment"]["permanentAuthTokens"][0]["token"],
        pat["token"]
    );
    assert_eq!(
        e["publicContentAPI"],
        json!({"defaults": {"stage": {"apiId": "PUBLISHED"}}, "contentPermissions": []})
    );
    assert_eq!(d["viewer"]["none"], Json::Null);
}

#[test]
fn a_new_pat_holds_the_default_grant_and_verifies() {
    let s = store();
    let d = data(run(
        &s,
        "mutation($e: ID!) { createPermanentAuthToken(data: {environmentId: $e, name: \"x\", description: \"d\", defaults: {stage: \"QA\"}}) {
           createdPermanentAuthToken { id name token defaults { stage { apiId } }
             contentPermissions { __typename enabled ... on ReadContentPermission { model { id } locales { id } stages { id } condition } } } } }",
        Some(json!({"e": env_id("master")})),
    ));
    let pat = &d["createPermanentAuthToken"]["createdPermanentAuthToken"];
    assert_eq!(pat["name"], "x");
    assert_eq!(pat["defaults"]["stage"]["apiId"], "QA");
    assert_eq!(
        pat["contentPermissions"],
        json!([{"__typename": "ReadContentPermission", "enabled": true, "model": null, "locales": null, "stages": null, "condition": null}])
    );
    let jti = verify(pat["token"].as_str().unwrap(), "/v2/p/master", keys()).unwrap();
    let key = s.find("p", "master").unwrap();
    assert!(is_live(&s, key, &jti).unwrap());
}

fn grant_count(s: &Store) -> usize {
    let key = s.find("p", "master").unwrap();
    let mut n = list_grants(s, key, &Principal::Public).unwrap().len();
    for p in crate::sandbox::principals::pats(s, key).unwrap() {
        if !p.revoked {
            n += list_grants(s, key, &Principal::Pat(p.id)).unwrap().len();
        }
    }
    n
}

fn refused(o: Outcome) -> String {
    match o {
        Outcome::Refused(m) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn perm4_refusals_change_nothing() {
    let s = store();
    let before = grant_count(&s);
    let e = env_id("master");
    let cases = [
        (
            r#"{kind: PUBLIC, environmentId: $e}, model: {id: "Post", condition: "{\"nope\": 1}"}"#,
            "data.model.condition",
        ),
        (
            r#"{kind: PUBLIC, environmentId: $e}, model: {id: "Post", condition: ""}"#,
            "data.model.condition",
        ),
        (
            r#"{kind: PUBLIC, environmentId: $e}, model: {id: "Nope"}"#,
            "data.model.id",
        ),
        (
            r#"{kind: PUBLIC, environmentId: $e}, stages: ["draft"]"#,
            "data.stages",
        ),
        (
            r#"{kind: PUBLIC, environmentId: $e}, locales: ["DE"]"#,
            "data.locales",
        ),
        (
            r#"{kind: PUBLIC, environmentId: "nope"}"#,
            "data.target.environmentId",
        ),
        (r#"{kind: PUBLIC}"#, "data.target.environmentId"),
        (r#"{kind: PAT, patId: "nope"}"#, "data.target.patId"),
        (r#"{kind: PAT}"#, "data.target.patId"),
    ];
    for (input, path) in cases {
        let q = format!(
            "mutation($e: ID!) {{ ok: createReadContentPermission(data: {{target: {{kind: PUBLIC, environmentId: $e}}}}) {{ permission {{ id }} }}
               bad: createReadContentPermission(data: {{target: {input}}}) {{ permission {{ id }} }} }}"
        );
        let m = refused(run(&s, &q, Some(json!({"e": e}))));
        assert!(m.starts_with(&format!("bad.{path}:")), "{input}: {m}");
        assert_eq!(grant_count(&s), before, "{input} changed something");
    }
}

#[test]
fn enable_disable_delete_and_revoke() {
    let s = store();
    let key = s.find("p", "master").unwrap();
    let e = env_id("master");
    let d = data(run(
        &s,
        "mutation($e: ID!) { createPublishContentPermission(data: {target: {kind: PUBLIC, environmentId: $e}, model: {id: \"Post\", condition: \"{}\"}, locales: [\"de\"], fromStages: [\"DRAFT\"], toStages: [\"QA\"], enabled: false}) {
            permission { __typename id enabled ... on PublishContentPermission { model { apiId } condition locales { apiId } fromStages { apiId } toStages { apiId } } } } }",
        Some(json!({"e": e})),
    ));
    let perm = &d["createPublishContentPermission"]["permission"];
    assert_eq!(
        perm.as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "id")
            .collect::<Vec<_>>()
            .len(),
        7
    );
    assert_eq!(perm["enabled"], false);
    assert_eq!(perm["toStages"], json!([{"apiId": "QA"}]));
    let id = perm["id"].as_str().unwrap().to_string();
    let d = data(run(
        &s,
        "mutation($id: ID!) { updateContentPermissionEnabled(data: {permissionId: $id, enabled: true}) { permission { id enabled } } }",
        Some(json!({"id": id})),
    ));
    assert_eq!(
        d["updateContentPermissionEnabled"]["permission"]["enabled"],
        true
    );
    assert!(
        list_grants(&s, key, &Principal::Public).unwrap()[0]
            .spec
            .enabled
    );
    let d = data(run(
        &s,
        "mutation($id: ID!) { deleteContentPermission(data: {permissionId: $id}) { deletedContentPermissionId } }",
        Some(json!({"id": id})),
    ));
    assert_eq!(
        d["deleteContentPermission"]["deletedContentPermissionId"],
        json!(id)
    );
    assert!(list_grants(&s, key, &Principal::Public).unwrap().is_empty());
    // Deleting it again: an unknown id.
    let m = refused(run(
        &s,
        "mutation($id: ID!) { deleteContentPermission(data: {permissionId: $id}) { deletedContentPermissionId } }",
        Some(json!({"id": id})),
    ));
    assert!(m.contains("permissionId"), "{m}");
    // "g1" exists in both environments: ambiguous, refused.
    let m = refused(run(
        &s,
        "mutation { updateContentPermissionEnabled(data: {permissionId: \"g1\", enabled: false}) { permission { id } } }",
        None,
    ));
    assert!(m.contains("several environments"), "{m}");
    // Revocation.
    let pat = crate::sandbox::principals::pats(&s, key).unwrap().remove(0);
    let d = data(run(
        &s,
        "mutation($id: ID!) { deletePermanentAuthToken(data: {id: $id}) { deletedPermanentAuthTokenId } }",
        Some(json!({"id": pat.id})),
    ));
    assert_eq!(
        d["deletePermanentAuthToken"]["deletedPermanentAuthTokenId"],
        json!(pat.id)
    );
    assert!(!is_live(&s, key, &pat.jti).unwrap());
    let d = data(run(
        &s,
        "{ viewer { project(id: \"p\") { environment(name: \"master\") { permanentAuthTokens { id } } } } }",
        None,
    ));
    assert_eq!(
        d["viewer"]["project"]["environment"]["permanentAuthTokens"],
        json!([])
    );
    // The public default stage.
    let d = data(run(
        &s,
        "mutation($e: ID!) { updatePublicEndpoint(data: {environmentId: $e, defaults: {stage: \"QA\"}}) { environment { id publicContentAPI { defaults { stage { apiId } } } } } }",
        Some(json!({"e": e})),
    ));
    assert_eq!(
        d["updatePublicEndpoint"]["environment"]["publicContentAPI"]["defaults"]["stage"]["apiId"],
        "QA"
    );
    let m = refused(run(
        &s,
        "mutation($e: ID!) { updatePublicEndpoint(data: {environmentId: $e, defaults: {stage: \"NOPE\"}}) { environment { id } } }",
        Some(json!({"e": e})),
    ));
    assert!(
        m.starts_with("updatePublicEndpoint.data.defaults.stage:"),
        "{m}"
    );
}

#[test]
fn a_pat_deleted_earlier_in_the_operation_is_gone() {
    let s = store();
    let key = s.find("p", "master").unwrap();
    let pat = crate::sandbox::principals::pats(&s, key).unwrap().remove(0);
    let m = refused(run(
        &s,
        "mutation($id: ID!) { deletePermanentAuthToken(data: {id: $id}) { deletedPermanentAuthTokenId }
           createReadContentPermission(data: {target: {kind: PAT, patId: $id}}) { permission { id } } }",
        Some(json!({"id": pat.id})),
    ));
    assert!(
        m.starts_with("createReadContentPermission.data.target.patId"),
        "{m}"
    );
    assert!(
        is_live(&s, key, &pat.jti).unwrap(),
        "the delete was applied"
    );
}

#[test]
fn documents_that_do_not_validate() {
    let s = store();
    for q in [
        "{ viewer { nope } }",
        "{ viewer ",
        "mutation { createPermanentAuthToken(data: {name: \"x\"}) { createdPermanentAuthToken { id } } }",
        "query A { viewer { project(id: \"p\") { id } } } query B { viewer { project(id: \"p\") { id } } }",
        "subscription { viewer }",
    ] {
        assert!(matches!(run(&s, q, None), Outcome::Invalid(_)), "{q}");
    }
    let deep = format!("{{ viewer {}", "{".repeat(5000));
    assert!(matches!(run(&s, &deep, None), Outcome::Invalid(_)));
    assert!(matches!(
        run(
            &s,
            "query($e: ID!) { viewer { project(id: $e) { id } } }",
            Some(json!({"e": 5.5}))
        ),
        Outcome::Invalid(_)
    ));
}
