//! The Management-API client (`wire::manage`, its operations typed by graphql_client) against
//! the sandbox's management endpoint over HTTP on 127.0.0.1 (spec §9): every call, PERM-4's
//! refusal changing nothing, AUTH-4's revocation; and its error kinds against stub servers
//! (wiremock on 127.0.0.1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use tollgate::model::grant::{Action, GrantSpec};
use tollgate::model::spec::EnvSpec;
use tollgate::sandbox::faults::Faults;
use tollgate::target::http_client;
use tollgate::wire::manage::{GrantTarget, ManageError, ManagementClient};

use crate::run_support;

const ENV: &str = r#"
stages: [QA]
locales: [en, de]
models:
  - name: Post
    fields: [{name: title, type: String, localized: true}]
"#;

/// The status of `{ posts { id } }` sent to `endpoint` with `token`.
async fn status_with(endpoint: &str, token: &str) -> u16 {
    http_client()
        .unwrap()
        .post(endpoint)
        .bearer_auth(token)
        .json(&json!({"query": "{ posts { id } }"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The ids of the content permissions of the environment's PATs, read back over GraphQL.
async fn permission_ids(server: &tollgate::sandbox::server::Running, project: &str) -> Value {
    let answer: Value = http_client()
        .unwrap()
        .post(server.management_url())
        .bearer_auth(server.admin_secret())
        .json(&json!({"query": format!(
            "{{ viewer {{ project(id: \"{project}\") {{ environment(name: \"master\") {{ permanentAuthTokens {{ contentPermissions {{ id enabled }} }} }} }} }} }}"
        )}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["data"]["viewer"]["project"]["environment"]["permanentAuthTokens"].clone()
}

#[tokio::test]
async fn the_client_provisions_a_sandbox_project_through_every_call() {
    let (server, admin) = run_support::sandbox(Faults::NONE).await;
    let env: EnvSpec = serde_yaml_ng::from_str(ENV).unwrap();
    server.load_project("mc", vec![env]).await.unwrap();
    let client = admin.management();

    let ids = client.environment("mc", "master").await.unwrap();
    assert_eq!(ids.endpoint, server.content_endpoint("mc", "master"));
    assert!(ids.models.contains_key("Post"), "{ids:?}");
    for stage in ["DRAFT", "PUBLISHED", "QA"] {
        assert!(ids.stages.contains_key(stage), "{stage} in {ids:?}");
    }
    assert!(ids.locales.contains_key("en") && ids.locales.contains_key("de"));

    // A new PAT reads with PERM-5's default grant.
    let pat = client.create_pat(&ids, "p", Some("QA")).await.unwrap();
    assert_eq!(status_with(&ids.endpoint, &pat.token).await, 200);
    let before = permission_ids(&server, "mc").await;
    assert_eq!(before[0]["contentPermissions"].as_array().unwrap().len(), 1);

    // A grant of every action: created, disabled (PERM-1), deleted.
    let target = GrantTarget::Pat(pat.id.clone());
    for action in Action::ALL {
        let mut spec = GrantSpec::all(action);
        spec.model = Some("Post".into());
        if action != Action::ReadVersions {
            spec.locales = Some(vec!["de".into()]);
        }
        let id = client.create_grant(&ids, &target, &spec).await.unwrap();
        let listed = permission_ids(&server, "mc").await;
        assert!(
            listed[0]["contentPermissions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["id"] == id.as_str() && p["enabled"] == true),
            "{action:?}: {id} in {listed}"
        );
        client.set_grant_enabled(&id, false).await.unwrap();
        let listed = permission_ids(&server, "mc").await;
        assert!(listed[0]["contentPermissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == id.as_str() && p["enabled"] == false));
        client.delete_grant(&id).await.unwrap();
    }
    assert_eq!(permission_ids(&server, "mc").await, before);

    // PERM-4: a condition without a model, and READ_VERSIONS with locales, are refused by the
    // server (the client sends them as built) and change nothing.
    let mut no_model = GrantSpec::all(Action::Read);
    no_model.condition = Some(r#"{"title": "x"}"#.into());
    let mut versions_with_locales = GrantSpec::all(Action::ReadVersions);
    versions_with_locales.locales = Some(vec!["en".into()]);
    for spec in [no_model, versions_with_locales] {
        let got = client.create_grant(&ids, &target, &spec).await;
        assert!(
            matches!(got, Err(ManageError::Refused(_))),
            "{spec:?}: {got:?}"
        );
    }
    assert_eq!(permission_ids(&server, "mc").await, before);

    // Default stages.
    client
        .set_pat_default_stage(&ids, &pat.id, "PUBLISHED")
        .await
        .unwrap();
    client.set_public_default_stage(&ids, "QA").await.unwrap();
    let unknown = client.set_public_default_stage(&ids, "NOPE").await;
    assert!(
        matches!(unknown, Err(ManageError::Refused(_))),
        "{unknown:?}"
    );

    // AUTH-4: deletion revokes the token from the next request on.
    client.delete_pat(&pat.id).await.unwrap();
    assert_eq!(status_with(&ids.endpoint, &pat.token).await, 401);
    let again = client.delete_pat(&pat.id).await;
    assert!(matches!(again, Err(ManageError::Refused(_))), "{again:?}");

    let missing = client.environment("mc", "nope").await;
    assert!(
        matches!(&missing, Err(ManageError::Refused(m)) if m.contains("no environment")),
        "{missing:?}"
    );
}

#[tokio::test]
async fn answers_the_client_cannot_use_are_told_apart() {
    let stub = MockServer::start().await;
    let client = ManagementClient::new(http_client().unwrap(), stub.uri(), "s");

    // A 200 whose data does not have the operation's shape.
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": {"viewer": {"project": 5}}})),
        )
        .up_to_n_times(1)
        .mount(&stub)
        .await;
    let got = client.environment("p", "master").await;
    assert!(matches!(got, Err(ManageError::Protocol(_))), "{got:?}");

    // A GraphQL error is a refusal, with the server's message.
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"errors": [{"message": "no such stage"}], "data": null})),
        )
        .up_to_n_times(1)
        .mount(&stub)
        .await;
    let got = client.delete_grant("g").await;
    assert_eq!(got, Err(ManageError::Refused("no such stage".into())));

    // Another status, with a body that is not JSON.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("maintenance"))
        .mount(&stub)
        .await;
    let got = client.delete_pat("x").await;
    assert!(
        matches!(&got, Err(ManageError::Status { status: 503, message }) if message == "maintenance"),
        "{got:?}"
    );

    // Nothing listening.
    let closed = ManagementClient::new(http_client().unwrap(), "http://127.0.0.1:1/m", "s");
    let got = closed.delete_pat("x").await;
    assert!(matches!(got, Err(ManageError::Transport { .. })), "{got:?}");
}
