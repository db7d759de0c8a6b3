//! The sandbox's admin surface over real HTTP: the Management API subset of spec §9 (PERM-4
//! refusals that change nothing, PERM-5's default grant, revocation and grant changes effective
//! on the next request, AUTH-5), the bulk project endpoint and its refusals (all or nothing),
//! dropping a project, the info route, the admin guard; persistence of content, principals and
//! the signing key across a restart with a database file; graceful shutdown; and the
//! `tollgate serve` command line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::sandbox_http_support as support;

use std::path::PathBuf;

use serde_json::{json, Value as J};
use support::*;
use tollgate::sandbox::faults::Faults;
use tollgate::sandbox::server::{self, Config};

const POSTS: &str = "{ posts { id } }";

fn ids(data: &J) -> Vec<String> {
    data["posts"]
        .as_array()
        .unwrap_or_else(|| panic!("{data}"))
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

const PERMISSIONS: &str = r#"query($p: ID!, $e: String!) { viewer { project(id: $p) { environment(name: $e) {
  id
  permanentAuthTokens { id name defaults { stage { apiId } }
    contentPermissions { __typename id enabled ... on ReadContentPermission { model { apiId } condition locales { apiId } stages { apiId } } } }
  publicContentAPI { defaults { stage { apiId } } contentPermissions { __typename id enabled ... on ReadContentPermission { model { apiId } condition stages { apiId } } } } } } } }"#;

async fn permissions(s: &server::Running, env: &str) -> J {
    let a = manage(s, PERMISSIONS, json!({"p": PROJECT, "e": env})).await;
    a.data()["viewer"]["project"]["environment"].clone()
}

#[tokio::test]
async fn the_admin_routes_need_the_secret() {
    let s = start(Faults::NONE).await;
    let routes = [
        ("POST", "/management/graphql"),
        ("POST", "/sandbox/projects"),
        ("DELETE", "/sandbox/projects/p"),
        ("POST", "/sandbox/tokens"),
        ("GET", "/sandbox"),
    ];
    for (method, path) in routes {
        let url = format!("{}{path}", s.url());
        for auth in [
            None,
            Some("Bearer nope"),
            Some("Basic test-admin-secret"),
            Some(SECRET),
        ] {
            let headers: Vec<(&str, &[u8])> = auth
                .iter()
                .map(|a| ("authorization", a.as_bytes()))
                .collect();
            let a = send(method, &url, &headers, Some(b"{}".to_vec())).await;
            assert_eq!(a.status, 401, "{method} {path} {auth:?}: {a:?}");
            assert_eq!(
                a.body,
                json!({"errors": [{"message": "admin secret required"}], "data": null})
            );
        }
    }
    let a = send(
        "GET",
        &format!("{}/sandbox", s.url()),
        &[("authorization", format!("bearer {SECRET}").as_bytes())],
        None,
    )
    .await;
    assert_eq!(
        a.body,
        json!({
            "name": "tollgate-sandbox",
            "version": env!("CARGO_PKG_VERSION"),
            "faults": [],
            "content": format!("{}/v2/{{projectId}}/{{environment}}", s.url()),
            "management": s.management_url(),
        })
    );
    s.shutdown().await.unwrap();
    // The faults switched on are listed.
    let s = start(Faults::NONE.with(tollgate::sandbox::faults::Fault::NotAsNotAny)).await;
    let a = send(
        "GET",
        &format!("{}/sandbox", s.url()),
        &[("authorization", format!("Bearer {SECRET}").as_bytes())],
        None,
    )
    .await;
    assert_eq!(a.body["faults"], json!(["not-as-not-any"]));
    s.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// The Management API

#[tokio::test]
async fn provisioning_takes_effect_on_the_next_request() {
    let (s, loaded) = fixture(Faults::NONE).await;
    let url = s.content_endpoint(PROJECT, "master");
    let env_id = loaded.environment("master").unwrap().id.clone();
    // A new PAT holds PERM-5's default READ grant and reads in its default stage.
    let a = manage(
        &s,
        "mutation($e: ID!) { createPermanentAuthToken(data: {environmentId: $e, name: \"new\", defaults: {stage: \"QA\"}}) {
           createdPermanentAuthToken { id name token defaults { stage { apiId } } contentPermissions { __typename id } } } }",
        json!({"e": env_id}),
    )
    .await;
    let created = a.data()["createPermanentAuthToken"]["createdPermanentAuthToken"].clone();
    assert_eq!(created["name"], "new");
    assert_eq!(
        created["contentPermissions"][0]["__typename"],
        "ReadContentPermission"
    );
    let token = created["token"].as_str().unwrap().to_string();
    let pat_id = created["id"].as_str().unwrap().to_string();
    let default_grant = created["contentPermissions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(ids(post_as(&url, POSTS, &token).await.data()), ["p1", "p2"]);
    // A READ grant for it on DRAFT with a condition, then remove the default grant.
    let a = manage(
        &s,
        "mutation($pat: ID!, $g: ID!) {
           createReadContentPermission(data: {target: {kind: PAT, patId: $pat}, model: {id: \"Post\", condition: \"{\\\"views_gte\\\": 2}\"}, stages: [\"DRAFT\"]}) { permission { id } }
           deleteContentPermission(data: {permissionId: $g}) { deletedContentPermissionId } }",
        json!({"pat": pat_id, "g": default_grant}),
    )
    .await;
    let grant = a.data()["createReadContentPermission"]["permission"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(post_as(&url, POSTS, &token).await.status, 403);
    let a = post_as(&url, "{ posts(stage: DRAFT) { id } }", &token).await;
    assert_eq!(ids(a.data()), ["p2", "p3"]);
    // Disable it: 403 on the next request; enable it again: 200.
    for (enabled, status) in [(false, 403), (true, 200)] {
        let a = manage(
            &s,
            "mutation($g: ID!, $on: Boolean!) { updateContentPermissionEnabled(data: {permissionId: $g, enabled: $on}) { permission { id enabled } } }",
            json!({"g": grant, "on": enabled}),
        )
        .await;
        assert_eq!(
            a.data()["updateContentPermissionEnabled"]["permission"]["enabled"],
            enabled
        );
        let a = post_as(&url, "{ posts(stage: DRAFT) { id } }", &token).await;
        assert_eq!(a.status, status);
    }
    // Its default stage.
    let a = manage(
        &s,
        "mutation($id: ID!) { updatePermanentAuthToken(data: {id: $id, defaults: {stage: \"DRAFT\"}}) { updatedPermanentAuthToken { id } } }",
        json!({"id": pat_id}),
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(ids(post_as(&url, POSTS, &token).await.data()), ["p2", "p3"]);
    // The public default stage: QA, where the public's grant (PUBLISHED) covers nothing.
    let a = manage(
        &s,
        "mutation($e: ID!) { updatePublicEndpoint(data: {environmentId: $e, defaults: {stage: \"QA\"}}) { environment { id } } }",
        json!({"e": env_id}),
    )
    .await;
    assert_eq!(
        a.data()["updatePublicEndpoint"]["environment"]["id"],
        json!(env_id)
    );
    assert_eq!(post(&url, POSTS, &[]).await.status, 403);
    assert_eq!(
        ids(post(&url, "{ posts(stage: PUBLISHED) { id } }", &[])
            .await
            .data()),
        ["p1"]
    );
    // Revocation: 401 from the next request on.
    let a = manage(
        &s,
        "mutation($id: ID!) { deletePermanentAuthToken(data: {id: $id}) { deletedPermanentAuthTokenId } }",
        json!({"id": pat_id}),
    )
    .await;
    assert_eq!(
        a.data()["deletePermanentAuthToken"]["deletedPermanentAuthTokenId"],
        json!(pat_id)
    );
    let a = post_as(&url, "{ __schema { queryType { name } } }", &token).await;
    assert_eq!(a.status, 401);
    s.shutdown().await.unwrap();
}

#[tokio::test]
async fn refused_provisioning_changes_nothing() {
    let (s, loaded) = fixture(Faults::NONE).await;
    let url = s.content_endpoint(PROJECT, "master");
    let env_id = loaded.environment("master").unwrap().id.clone();
    let staging_id = loaded.environment("staging").unwrap().id.clone();
    let all_id = loaded.environment("master").unwrap().pats[0].id.clone();
    let before = permissions(&s, "master").await;
    let before_staging = permissions(&s, "staging").await;
    let refusals = [
        ("a condition naming no field", r#"createReadContentPermission(data: {target: {kind: PUBLIC, environmentId: $e}, model: {id: "Post", condition: "{\"nope\": 1}"}})"#, "data.model.condition"),
        ("a condition that is not one object", r#"createReadContentPermission(data: {target: {kind: PUBLIC, environmentId: $e}, model: {id: "Post", condition: "{} {}"}})"#, "data.model.condition"),
        ("a condition of 33 levels", "createReadContentPermission(data: {target: {kind: PUBLIC, environmentId: $e}, model: {id: \"Post\", condition: $deep}})", "data.model.condition"),
        ("an unknown model", r#"createUpdateContentPermission(data: {target: {kind: PUBLIC, environmentId: $e}, model: {id: "Nope"}})"#, "data.model.id"),
        ("an unknown stage", r#"createPublishContentPermission(data: {target: {kind: PAT, patId: $pat}, toStages: ["LIVE"]})"#, "data.toStages"),
        ("an unknown locale", r#"createDeleteContentPermission(data: {target: {kind: PAT, patId: $pat}, locales: ["fr"]})"#, "data.locales"),
        ("a model of another environment", r#"createReadVersionContentPermission(data: {target: {kind: PUBLIC, environmentId: $s}, modelId: "Author"})"#, "data.modelId"),
        ("an unknown PAT", r#"createReadContentPermission(data: {target: {kind: PAT, patId: "nope"}})"#, "data.target.patId"),
        ("an unknown environment", r#"createPermanentAuthToken(data: {environmentId: "nope", name: "x"})"#, "data.environmentId"),
        ("an unknown permission", r#"deleteContentPermission(data: {permissionId: "nope"})"#, "data.permissionId"),
        ("an unknown default stage", r#"updatePublicEndpoint(data: {environmentId: $e, defaults: {stage: "draft"}})"#, "data.defaults.stage"),
    ];
    let deep = (0..33)
        .fold(json!({"id": "p1"}), |w, _| json!({"AND": [w]}))
        .to_string();
    for (what, call, path) in refusals {
        // A valid call first in the same operation: it must not be applied either.
        let declared: Vec<&str> = [
            ("$s", "$s: ID!"),
            ("$pat", "$pat: ID!"),
            ("$deep", "$deep: String!"),
        ]
        .into_iter()
        .filter(|(v, _)| call.contains(v))
        .map(|(_, d)| d)
        .collect();
        let q = format!(
            "mutation($e: ID!{}) {{
               first: createReadContentPermission(data: {{target: {{kind: PUBLIC, environmentId: $e}}}}) {{ permission {{ id }} }}
               bad: {call} {{ __typename }} }}",
            declared.iter().map(|d| format!(", {d}")).collect::<String>()
        );
        let a = manage(
            &s,
            &q,
            json!({"e": env_id, "s": staging_id, "pat": all_id, "deep": deep}),
        )
        .await;
        assert_eq!(a.status, 400, "{what}: {a:?}");
        a.assert_error_shape();
        assert!(
            a.message().starts_with(&format!("bad.{path}:")),
            "{what}: {}",
            a.message()
        );
        assert_eq!(
            a.body["errors"][0]["extensions"],
            json!({"code": "400", "rule": "PERM-4"})
        );
        assert_eq!(
            permissions(&s, "master").await,
            before,
            "{what} changed something"
        );
        assert_eq!(permissions(&s, "staging").await, before_staging, "{what}");
    }
    // Documents that do not validate: 400 with the messages, nothing changed.
    for q in [
        "mutation { createReadContentPermission(data: {target: {kind: ROLE}}) { permission { id } } }",
        "mutation { createReadContentPermission(data: {}) { permission { id } } }",
        "{ viewer { nope } }",
        "{ viewer",
    ] {
        let a = manage(&s, q, J::Null).await;
        assert_eq!(a.status, 400, "{q}: {a:?}");
        assert!(a.body["errors"][0].get("extensions").is_some_and(|e| e.get("rule").is_none()));
    }
    assert_eq!(permissions(&s, "master").await, before);
    // And the content API answers as before.
    assert_eq!(ids(post(&url, POSTS, &[]).await.data()), ["p1"]);
    s.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// The bulk endpoint

fn bulk_url(s: &server::Running) -> String {
    format!("{}/sandbox/projects", s.url())
}

#[tokio::test]
async fn bulk_load_takes_a_projects_page_sizes() {
    let s = start(Faults::NONE).await;
    let envs = serde_json::to_value(project_envs()).unwrap();
    for bad in [
        json!({"default": 0, "max": 10}),
        json!({"default": 20, "max": 10}),
        json!({"default": 10, "max": 20000}),
        json!({"default": 10, "max": 100, "min": 1}),
    ] {
        let a = admin_post(
            &bulk_url(&s),
            &json!({"project": "paged", "environments": envs, "pagination": bad}),
        )
        .await;
        assert_eq!(a.status, 400, "{bad}: {a:?}");
    }
    let a = admin_post(
        &bulk_url(&s),
        &json!({"project": "paged", "environments": envs, "pagination": {"default": 2, "max": 3}}),
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
    let url = s.content_endpoint("paged", "master");
    let token = a.body["environments"][0]["pats"][0]["token"]
        .as_str()
        .unwrap()
        .to_string();
    // READ-3 with the project's sizes: 2 by default, 3 at most.
    let a = post_as(&url, "{ posts(stage: DRAFT) { id } }", &token).await;
    assert_eq!(ids(a.data()), ["p1", "p2"]);
    let a = post_as(&url, "{ posts(stage: DRAFT, first: 3) { id } }", &token).await;
    assert_eq!(ids(a.data()), ["p1", "p2", "p3"]);
    let a = post_as(&url, "{ posts(stage: DRAFT, first: 4) { id } }", &token).await;
    assert_eq!(a.status, 400, "{a:?}");
    // The Management API tells them, as Hygraph's does.
    let q =
        "query($p: ID!) { viewer { project(id: $p) { defaultPaginationSize maxPaginationSize } } }";
    let a = manage(&s, q, json!({"p": "paged"})).await;
    assert_eq!(
        a.body["data"]["viewer"]["project"],
        json!({"defaultPaginationSize": 2, "maxPaginationSize": 3}),
        "{a:?}"
    );
    let a = manage(&s, q, json!({"p": "blog"})).await;
    assert_eq!(a.body["data"]["viewer"]["project"], json!(null), "{a:?}");
}

#[tokio::test]
async fn bulk_load_answers_ids_endpoints_and_tokens() {
    let s = start(Faults::NONE).await;
    let a = admin_post(
        &bulk_url(&s),
        &json!({"project": "blog", "environments": serde_json::to_value(project_envs()).unwrap()}),
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.body["project"], "blog");
    let envs = a.body["environments"].as_array().unwrap();
    assert_eq!(envs.len(), 2);
    assert_eq!(envs[0]["name"], "master");
    assert_eq!(
        envs[0]["endpoint"],
        json!(s.content_endpoint("blog", "master"))
    );
    let pats: Vec<&str> = envs[0]["pats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(pats, ["all", "drafts", "none", "gone", "writer"]);
    let url = s.content_endpoint("blog", "master");
    let token_of = |i: usize| envs[0]["pats"][i]["token"].as_str().unwrap().to_string();
    let a = post_as(&url, "{ posts(stage: DRAFT) { id } }", &token_of(0)).await;
    assert_eq!(ids(a.data()), ["p1", "p2", "p3"]);
    assert_eq!(
        post_as(&url, POSTS, &token_of(3)).await.status,
        401,
        "revoked"
    );
    // Exactly its grants: no PERM-5 default grant on `none`.
    assert_eq!(post_as(&url, POSTS, &token_of(2)).await.status, 403);
    // The environment id works with the Management API.
    let a = manage(
        &s,
        "query($p: ID!) { viewer { project(id: $p) { environments { id name } } } }",
        json!({"p": "blog"}),
    )
    .await;
    assert_eq!(
        a.data()["viewer"]["project"]["environments"][0]["id"],
        envs[0]["id"]
    );
    s.shutdown().await.unwrap();
}

/// Grant ids are the server's: two projects loaded with the same grant names get distinct ids,
/// answered as a map, and a management call through one project's id leaves the other alone.
#[tokio::test]
async fn bulk_loaded_grants_get_server_ids_per_project() {
    let s = start(Faults::NONE).await;
    let env = json!([{
        "models": [{"name": "Post", "fields": [{"name": "title", "type": "String"}]}],
        "entries": [{"model": "Post", "id": "p1", "data": {"title": "x"}}],
        "pats": [{"name": "t", "grants": [{"id": "g1", "action": "READ"}, {"action": "CREATE"}]}],
    }]);
    let mut grant_ids = Vec::new();
    let mut tokens = Vec::new();
    for project in ["one", "two"] {
        let a = admin_post(
            &bulk_url(&s),
            &json!({"project": project, "environments": env}),
        )
        .await;
        assert_eq!(a.status, 200, "{a:?}");
        let e = &a.body["environments"][0];
        assert_eq!(
            e["grants"].as_array().unwrap().len(),
            1,
            "only named grants: {e}"
        );
        assert_eq!(e["grants"][0]["case_id"], "g1");
        let id = e["grants"][0]["id"].as_str().unwrap().to_string();
        assert_ne!(id, "g1");
        grant_ids.push(id);
        tokens.push(e["pats"][0]["token"].as_str().unwrap().to_string());
    }
    assert_ne!(grant_ids[0], grant_ids[1]);
    let a = manage(
        &s,
        "mutation($id: ID!) { updateContentPermissionEnabled(data: {permissionId: $id, enabled: false}) { permission { id } } }",
        json!({"id": grant_ids[0]}),
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
    let q = "{ posts(stage: DRAFT) { id } }";
    assert_eq!(
        post_as(&s.content_endpoint("one", "master"), q, &tokens[0])
            .await
            .status,
        403
    );
    let b = post_as(&s.content_endpoint("two", "master"), q, &tokens[1]).await;
    assert_eq!(ids(b.data()), ["p1"]);
    s.shutdown().await.unwrap();
}

#[tokio::test]
async fn bulk_refusals_store_nothing() {
    let s = start(Faults::NONE).await;
    let good = serde_json::to_value(project_envs()).unwrap();
    let with = |f: &dyn Fn(&mut J)| {
        let mut envs = good.clone();
        f(&mut envs);
        envs
    };
    let cases: Vec<(&str, J, &str)> = vec![
        (
            "DATA-1: an Int that is a string",
            json!({"project": "q", "environments": with(&|e| e[0]["entries"][1]["data"]["views"] = json!("x"))}),
            "environments[0].entries[1]",
        ),
        (
            "PERM-4 in a PAT's grant",
            json!({"project": "q", "environments": with(&|e| e[0]["pats"][0]["grants"][0]["condition"] = json!("{\"nope\": 1}"))}),
            "environments[0].pats[0].grants[0]",
        ),
        (
            "the second environment refused",
            json!({"project": "q", "environments": with(&|e| e[1]["entries"][0]["data"]["title"] = json!(1.5))}),
            "environments[1].entries[0]",
        ),
        (
            "an unknown stage published to",
            json!({"project": "q", "environments": with(&|e| e[0]["entries"][0]["publish"] = json!(["LIVE"]))}),
            "environments[0].",
        ),
        (
            "a link to no entry",
            json!({"project": "q", "environments": [{"models": [{"name": "A", "fields": [{"name": "b", "type": "A"}]}], "entries": [{"model": "A", "id": "a", "data": {"b": "zz"}}]}]}),
            "environments[0].entries[0]",
        ),
        (
            "an environment twice",
            json!({"project": "q", "environments": [{"name": "x"}, {"name": "x"}]}),
            "environments[1].name",
        ),
        (
            "a project id with a slash",
            json!({"project": "a/b", "environments": [{}]}),
            "project",
        ),
        (
            "an empty project id",
            json!({"project": "", "environments": [{}]}),
            "project",
        ),
        (
            "no environment",
            json!({"project": "q", "environments": []}),
            "environments",
        ),
        (
            "an unknown member",
            json!({"project": "q", "environments": [], "extra": 1}),
            "the body",
        ),
        (
            "an unknown member of an environment",
            json!({"project": "q", "environments": [{"nope": 1}]}),
            "the body",
        ),
    ];
    for (what, body, path) in cases {
        let a = admin_post(&bulk_url(&s), &body).await;
        assert_eq!(a.status, 400, "{what}: {a:?}");
        assert!(a.message().starts_with(path), "{what}: {}", a.message());
        assert_eq!(a.body["data"], J::Null);
        let c = post(&s.content_endpoint("q", "master"), POSTS, &[]).await;
        assert_eq!(c.status, 404, "{what}: something was stored");
        let m = manage(&s, "{ viewer { project(id: \"q\") { id } } }", J::Null).await;
        assert_eq!(m.data()["viewer"]["project"], J::Null, "{what}");
    }
    // Not JSON.
    let a = send(
        "POST",
        &bulk_url(&s),
        &[("authorization", format!("Bearer {SECRET}").as_bytes())],
        Some(b"\xff".to_vec()),
    )
    .await;
    assert_eq!(a.status, 400);
    // 409: the project already has an environment of that name; what is there stays.
    let a = admin_post(
        &bulk_url(&s),
        &json!({"project": "q", "environments": good}),
    )
    .await;
    assert_eq!(a.status, 200);
    let token = a.body["environments"][0]["pats"][0]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let a = admin_post(
        &bulk_url(&s),
        &json!({"project": "q", "environments": [{"name": "other"}, {"name": "staging"}]}),
    )
    .await;
    assert_eq!(a.status, 409, "{a:?}");
    a.assert_error_shape();
    let c = post(&s.content_endpoint("q", "other"), POSTS, &[]).await;
    assert_eq!(
        c.status, 404,
        "the non-conflicting environment was not stored"
    );
    let c = post_as(&s.content_endpoint("q", "master"), POSTS, &token).await;
    assert_eq!(ids(c.data()), ["p1"]);
    // Another environment of the same project is fine.
    let other = json!({"name": "other", "models": [{"name": "Post", "fields": [{"name": "t", "type": "String"}]}]});
    let a = admin_post(
        &bulk_url(&s),
        &json!({"project": "q", "environments": [other]}),
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
    // DELETE: 204, then 404 everywhere; the same project can be loaded again.
    let del = |p: &str| {
        let url = format!("{}/{p}", bulk_url(&s));
        async move {
            send(
                "DELETE",
                &url,
                &[("authorization", format!("Bearer {SECRET}").as_bytes())],
                None,
            )
            .await
        }
    };
    let a = del("q").await;
    assert_eq!((a.status, a.body.clone()), (204, J::Null));
    for env in ["master", "staging", "other"] {
        assert_eq!(
            post(&s.content_endpoint("q", env), POSTS, &[]).await.status,
            404
        );
    }
    assert_eq!(
        post_as(&s.content_endpoint("q", "master"), POSTS, &token)
            .await
            .status,
        404
    );
    let a = del("q").await;
    assert_eq!(a.status, 404);
    assert_eq!(a.message(), "not found");
    let a = admin_post(
        &bulk_url(&s),
        &json!({"project": "q", "environments": good}),
    )
    .await;
    assert_eq!(a.status, 200);
    // The old token's jti names no PAT of the new environment.
    assert_eq!(
        post_as(&s.content_endpoint("q", "master"), POSTS, &token)
            .await
            .status,
        401
    );
    s.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Persistence with a database file

fn temp_db(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!("tollgate-{name}-{}-{nanos}.db", std::process::id()))
}

async fn start_db(
    path: &std::path::Path,
    keys: Option<tollgate::sandbox::token::KeyRing>,
) -> server::Running {
    server::start(Config {
        db: Some(path.to_path_buf()),
        keys,
        admin_secret: Some(SECRET.into()),
        ..Config::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_database_file_survives_a_restart() {
    let path = temp_db("restart");
    // First run: a generated key, kept in the file.
    let s = start_db(&path, None).await;
    let loaded = s.load_project(PROJECT, project_envs()).await.unwrap();
    let url = s.content_endpoint(PROJECT, "master");
    let all = token(&loaded, "master", "all");
    let env_id = loaded.environment("master").unwrap().id.clone();
    let a = manage(
        &s,
        "mutation($e: ID!) { createPermanentAuthToken(data: {environmentId: $e, name: \"later\"}) { createdPermanentAuthToken { id token } } }",
        json!({"e": env_id}),
    )
    .await;
    let later = a.data()["createPermanentAuthToken"]["createdPermanentAuthToken"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let drafts_id = loaded.environment("master").unwrap().pats[1].id.clone();
    let drafts = token(&loaded, "master", "drafts");
    manage(
        &s,
        "mutation($id: ID!) { deletePermanentAuthToken(data: {id: $id}) { deletedPermanentAuthTokenId } }",
        json!({"id": drafts_id}),
    )
    .await;
    let before = post_as(&url, "{ posts(stage: DRAFT) { id title } }", &all).await;
    let perms_before = permissions(&s, "master").await;
    s.shutdown().await.unwrap();

    // Second run on the same file, another port: tokens issued before still verify.
    let s = start_db(&path, None).await;
    let url = s.content_endpoint(PROJECT, "master");
    assert_eq!(
        post_as(&url, "{ posts(stage: DRAFT) { id title } }", &all).await,
        before
    );
    assert_eq!(ids(post_as(&url, POSTS, &later).await.data()), ["p1"]);
    assert_eq!(
        post_as(&url, POSTS, &drafts).await.status,
        401,
        "still revoked"
    );
    assert_eq!(permissions(&s, "master").await, perms_before);
    let a = manage(
        &s,
        "{ viewer { project(id: \"p\") { environment(name: \"master\") { permanentAuthTokens { name token } } } } }",
        J::Null,
    )
    .await;
    let listed = &a.data()["viewer"]["project"]["environment"]["permanentAuthTokens"];
    assert_eq!(
        listed[0],
        json!({"name": "all", "token": all}),
        "the same token string"
    );
    // The project is still there: loading it again is a conflict.
    let again = s.load_project(PROJECT, project_envs()).await;
    assert!(
        matches!(again, Err(server::BulkError::Conflict(_))),
        "{again:?}"
    );
    s.shutdown().await.unwrap();

    // Third run with another signing key (`--key`): old tokens still verify (the kept key
    // stays for verification), new ones are signed by the given key.
    let s = start_db(&path, Some(keys().clone())).await;
    let url = s.content_endpoint(PROJECT, "master");
    assert_eq!(
        post_as(&url, "{ posts(stage: DRAFT) { id title } }", &all).await,
        before
    );
    let a = manage(
        &s,
        "mutation($e: ID!) { createPermanentAuthToken(data: {environmentId: $e, name: \"third\"}) { createdPermanentAuthToken { token } } }",
        json!({"e": env_id}),
    )
    .await;
    let third = a.data()["createPermanentAuthToken"]["createdPermanentAuthToken"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let kid = |t: &str| {
        use base64::Engine as _;
        let h = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t.split('.').next().unwrap())
            .unwrap();
        serde_json::from_slice::<J>(&h).unwrap()["kid"].clone()
    };
    assert_eq!(kid(&third), json!(keys().signing_key().kid()));
    assert_ne!(kid(&third), kid(&all));
    assert_eq!(post_as(&url, POSTS, &third).await.status, 200);
    s.shutdown().await.unwrap();
    let _ = std::fs::remove_file(&path);
}

// ---------------------------------------------------------------------------------------------
// Graceful shutdown

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_request_in_flight_finish() {
    use std::io::{BufRead, BufReader, Read, Write};
    let (s, _) = fixture(Faults::NONE).await;
    let addr = s.addr();
    let body = json!({ "query": POSTS }).to_string();
    let head = format!(
        "POST /v2/{PROJECT}/master HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    // The handler is reading the body once the server says `100 Continue`.
    let stream = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 100"), "{line}");
        reader.read_line(&mut line).unwrap();
        stream
    })
    .await
    .unwrap();
    let stopping = tokio::spawn(s.shutdown());
    // The server stops accepting connections…
    let mut refused = false;
    for _ in 0..2000 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(refused, "the listener was not closed");
    assert!(
        !stopping.is_finished(),
        "shutdown did not wait for the request in flight"
    );
    // …and still answers the request in flight.
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = stream;
        stream.write_all(body.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = stream.read_to_string(&mut out);
        out
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.ends_with(r#"{"data":{"posts":[{"id":"p1"}]}}"#),
        "{answer}"
    );
    stopping.await.unwrap().unwrap();
}

// ---------------------------------------------------------------------------------------------
// The command line

#[test]
fn serve_lists_faults_and_refuses_unknown_ones() {
    let bin = env!("CARGO_BIN_EXE_tollgate");
    let out = std::process::Command::new(bin)
        .args(["serve", "--list-faults"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() >= 20, "{text}");
    assert!(text
        .lines()
        .any(|l| l.starts_with("revoked-token-accepted ")));
    let out = std::process::Command::new(bin)
        .args(["serve", "--fault", "no-such-fault", "--addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("unknown fault \"no-such-fault\""), "{err}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_prints_its_first_line_then_logs_requests() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    for show in [false, true] {
        let mut args = vec!["serve", "--demo", "--addr", "127.0.0.1:0"];
        if show {
            args.push("--show-tokens");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(&args)
            .env_remove("TOLLGATE_ADMIN_SECRET")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (first, mut reader) = tokio::task::spawn_blocking(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            (line, reader)
        })
        .await
        .unwrap();
        let v: J = serde_json::from_str(&first).unwrap();
        let endpoint = v["endpoint"].as_str().unwrap().to_string();
        assert!(endpoint.ends_with("/v2/demo/master"), "{first}");
        assert!(v["management"]
            .as_str()
            .unwrap()
            .ends_with("/management/graphql"));
        let tokens = v["tokens"].as_object().unwrap();
        assert_eq!(
            tokens.keys().collect::<Vec<_>>(),
            ["drafts", "editor", "reader", "revoked"]
        );
        let reader_token = tokens["reader"].as_str().unwrap();
        let secret = v["admin_secret"].as_str().unwrap();
        if show {
            assert_eq!(reader_token.split('.').count(), 3);
            let a = post_as(&endpoint, POSTS, reader_token).await;
            assert_eq!(ids(a.data()), ["hello", "permissions"]);
            let a = post_as(&endpoint, POSTS, tokens["revoked"].as_str().unwrap()).await;
            assert_eq!(a.status, 401);
            assert_eq!(secret.len(), 32);
        } else {
            for t in tokens.values().map(|t| t.as_str().unwrap()).chain([secret]) {
                assert!(
                    t.ends_with('…') && t.chars().count() <= 9,
                    "not redacted: {t}"
                );
            }
            let a = post(&endpoint, POSTS, &[]).await;
            assert_eq!(ids(a.data()), ["hello", "permissions"]);
        }
        // One log line per request, then a graceful stop on SIGINT.
        let pid = child.id().to_string();
        let killed = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(killed.success());
        let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
        assert!(status.success(), "{status:?}");
        let rest = tokio::task::spawn_blocking(move || {
            let mut rest = String::new();
            std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
            rest
        })
        .await
        .unwrap();
        let lines: Vec<&str> = rest.lines().collect();
        assert_eq!(lines[0], "POST /v2/demo/master 200", "{rest}");
        assert!(
            lines.iter().all(|l| l.starts_with("POST /v2/demo/master ")),
            "{rest}"
        );
    }
}
