//! The sandbox's Content API over real HTTP, as a whole: status and data against the reference
//! model for many credentials × queries × headers, malformed and huge inputs (4xx, never a
//! 5xx), 200 concurrent mixed requests, the demo's checks (README's curl calls), and the faults
//! of area `Auth`, each observable as a real deviation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::sandbox_http_support as support;

use std::collections::BTreeSet;

use serde_json::{json, Value as J};
use support::*;
use tollgate::model::profile::Profile;
use tollgate::model::{apply, State};
use tollgate::op::graphql::decode;
use tollgate::op::{Credential, Operation, Outcome, Request, TokenForm};
use tollgate::sandbox::demo;
use tollgate::sandbox::faults::Faults;
use tollgate::sandbox::token::{issue, PatClaims};

const POSTS: &str = "{ posts { id } }";

fn ids(data: &J, key: &str) -> Vec<String> {
    ids_of(data, key)
}

// ---------------------------------------------------------------------------------------------
// Differential: status and data of the sandbox over HTTP against the reference model

/// The `Authorization` values that stand for a credential on the wire.
async fn wire_credential(
    s: &tollgate::sandbox::server::Running,
    loaded: &tollgate::sandbox::server::LoadedProject,
    env: &str,
    c: &Credential,
) -> Vec<Vec<u8>> {
    match c {
        Credential::Public => Vec::new(),
        Credential::Header { values } => values.iter().map(|v| v.clone().into_bytes()).collect(),
        Credential::Token { pat, form, scheme } => {
            let _ = env;
            let t = loaded
                .environments
                .iter()
                .find_map(|e| e.token(pat))
                .unwrap()
                .to_string();
            let forge = |body: J| {
                let url = format!("{}/sandbox/tokens", s.url());
                async move {
                    admin_post(&url, &body).await.body["token"]
                        .as_str()
                        .unwrap()
                        .to_string()
                }
            };
            let t = match form {
                TokenForm::Valid => t,
                TokenForm::Tampered => tampered(&t),
                TokenForm::Malformed => "not-a-jwt".to_string(),
                TokenForm::OtherKey => {
                    let c: PatClaims = serde_json::from_value(J::Object(claims_of(&t))).unwrap();
                    issue(other_keys(), &c).unwrap().into_exposed()
                }
                TokenForm::Reencoded => {
                    forge(json!({"token": t, "issuer": "https://other/"})).await
                }
                TokenForm::Audience(e) => forge(json!({"token": t, "environment": e})).await,
            };
            vec![format!("{scheme} {t}").into_bytes()]
        }
    }
}

fn cred(pat: &str, form: TokenForm, scheme: &str) -> Credential {
    Credential::Token {
        pat: pat.into(),
        form,
        scheme: scheme.into(),
    }
}

#[tokio::test]
async fn status_and_data_agree_with_the_reference() {
    let (s, loaded) = fixture(Faults::NONE).await;
    let mut state = State::load(PROJECT, &project_envs(), Profile::default()).unwrap();
    let queries = [
        POSTS,
        "{ posts(stage: DRAFT) { id title locale } }",
        "{ posts(stage: QA, locales: [de, en]) { id title locale stage } }",
        "{ x: authors { name } }",
        "{ post(where: {id: \"p2\"}, stage: QA) { id views } }",
        "{ postsConnection(stage: DRAFT) { aggregate { count } } }",
        "{ __schema { queryType { name } } }",
        "{ posts { nope } }",
    ];
    let master_creds = vec![
        Credential::Public,
        cred("all", TokenForm::Valid, "Bearer"),
        cred("all", TokenForm::Valid, "bearer"),
        cred("drafts", TokenForm::Valid, "Bearer"),
        cred("none", TokenForm::Valid, "Bearer"),
        cred("gone", TokenForm::Valid, "Bearer"),
        cred("all", TokenForm::Tampered, "Bearer"),
        cred("all", TokenForm::OtherKey, "Bearer"),
        cred("all", TokenForm::Malformed, "Bearer"),
        cred("all", TokenForm::Reencoded, "Bearer"),
        cred("all", TokenForm::Audience("staging".into()), "Bearer"),
        Credential::Header {
            values: vec!["Bearer".into()],
        },
        Credential::Header {
            values: vec!["".into(), "".into()],
        },
        cred("st", TokenForm::Valid, "Bearer"),
    ];
    let staging_creds = vec![
        Credential::Public,
        cred("st", TokenForm::Valid, "Bearer"),
        cred("st", TokenForm::Audience("master".into()), "Bearer"),
    ];
    let headers: [(Vec<&str>, Vec<&str>); 4] = [
        (vec![], vec![]),
        (vec!["QA"], vec![]),
        (vec![], vec!["de"]),
        (vec!["draft"], vec![]),
    ];
    let mut compared = 0;
    for (env, creds) in [("master", &master_creds), ("staging", &staging_creds)] {
        let url = s.content_endpoint(PROJECT, env);
        for c in creds {
            let auth = wire_credential(&s, &loaded, env, c).await;
            for q in queries {
                for (stage_h, locales_h) in &headers {
                    let mut h: Vec<(&str, &[u8])> = auth
                        .iter()
                        .map(|v| ("authorization", v.as_slice()))
                        .collect();
                    h.extend(stage_h.iter().map(|v| ("gcms-stage", v.as_bytes())));
                    h.extend(locales_h.iter().map(|v| ("gcms-locales", v.as_bytes())));
                    let got = post(&url, q, &h).await;
                    let mut request = Request {
                        environment: Some(env.into()),
                        credential: c.clone(),
                        stage_header: stage_h.iter().map(|s| s.to_string()).collect(),
                        locales_header: locales_h.iter().map(|s| s.to_string()).collect(),
                        ..Request::default()
                    };
                    match decode(q, None, None) {
                        Ok(d) => {
                            request.operation = d.operation;
                            request.fields = d.fields;
                        }
                        Err(m) => request.invalid = Some(m),
                    }
                    let want = apply(&mut state, &Operation::Request(request));
                    let what = format!("{env} {c:?} {q} {stage_h:?} {locales_h:?}");
                    assert_eq!(got.status, want.status(), "{what}: {got:?} vs {want:?}");
                    match &want {
                        Outcome::Ok { data } => assert_eq!(got.data(), data, "{what}"),
                        Outcome::Denied { errors, .. } => {
                            let want_paths: BTreeSet<String> =
                                errors.iter().map(|e| json!(e.path).to_string()).collect();
                            let got_paths: BTreeSet<String> = got.body["errors"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|e| e["extensions"]["path"].to_string())
                                .collect();
                            assert_eq!(got_paths, want_paths, "{what}");
                        }
                        Outcome::Unauthenticated { .. } => {
                            assert!(got.message().starts_with("token verification failed:"));
                        }
                        _ => got.assert_error_shape_or_200(),
                    }
                    compared += 1;
                }
            }
        }
    }
    assert_eq!(compared, (14 + 3) * 8 * 4);
    s.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Robustness: malformed and huge inputs are 4xx with a message, never a 5xx

#[tokio::test]
async fn malformed_inputs_are_4xx() {
    let (s, loaded) = fixture(Faults::NONE).await;
    let url = s.content_endpoint(PROJECT, "master");
    let ct: (&str, &[u8]) = ("content-type", b"application/json");
    let deep_json = format!(
        "{{\"query\":\"{{ posts {{ id }} }}\",\"variables\":{}{}}}",
        "{\"a\":".repeat(5000),
        "1}".repeat(5000) + "}"
    );
    let deep_query = format!("{}{}", "{ posts ".repeat(3000), "}".repeat(3000));
    let deep_where = format!(
        "{{ posts(where: {}{}) {{ id }} }}",
        "{AND: [".repeat(40),
        "{id: \"p1\"}".to_string() + &"]}".repeat(40)
    );
    let deep_var = json!({
        "query": "query($w: PostWhereInput) { posts(where: $w) { id } }",
        "variables": {"w": (0..100).fold(json!({"id": "p1"}), |w, _| json!({"AND": [w]}))},
    })
    .to_string();
    let ids_1001: Vec<String> = (0..1001).map(|i| format!("\"i{i}\"")).collect();
    let list_1001 = format!(
        "{{ posts(where: {{id_in: [{}]}}) {{ id }} }}",
        ids_1001.join(",")
    );
    let list_1001_var = json!({
        "query": "query($l: [ID!]) { posts(where: {id_in: $l}) { id } }",
        "variables": {"l": (0..1001).map(|i| format!("i{i}")).collect::<Vec<_>>()},
    })
    .to_string();
    let many_fields = format!(
        "{{ {} }}",
        (0..2000)
            .map(|i| format!("a{i}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let fragment_bomb = {
        let mut q = String::from("query { ...F0 }\n");
        for i in 0..30 {
            q.push_str(&format!(
                "fragment F{i} on Query {{ a: posts {{ ...G{i} }} b: posts {{ ...G{i} }} }}\n"
            ));
            q.push_str(&format!("fragment G{i} on Post {{ id ...F{} }}\n", i + 1));
        }
        q.push_str("fragment F30 on Query { __typename }\n");
        q
    };
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("invalid JSON", b"{\"query\": ".to_vec()),
        ("invalid UTF-8", b"{\"query\": \"\xc3\x28\"}".to_vec()),
        (
            "a lone surrogate escape",
            br#"{"query": "\ud800"}"#.to_vec(),
        ),
        ("deep JSON", deep_json.into_bytes()),
        (
            "deep selection",
            json!({"query": deep_query}).to_string().into_bytes(),
        ),
        (
            "deep where",
            json!({"query": deep_where}).to_string().into_bytes(),
        ),
        ("deep where variable", deep_var.into_bytes()),
        (
            "a 1,001-item list",
            json!({"query": list_1001}).to_string().into_bytes(),
        ),
        ("a 1,001-item variable", list_1001_var.into_bytes()),
        (
            "NUL in a string",
            json!({"query": "{ posts(where: {id: \"a\u{0}\"}) { id } }"})
                .to_string()
                .into_bytes(),
        ),
        (
            "an Int outside 32 bits",
            json!({"query": "{ posts(where: {views: 4294967296}) { id } }"})
                .to_string()
                .into_bytes(),
        ),
        (
            "fragment cycle",
            json!({"query": "{ ...A } fragment A on Query { ...A }"})
                .to_string()
                .into_bytes(),
        ),
        (
            "fragment bomb",
            json!({"query": fragment_bomb}).to_string().into_bytes(),
        ),
    ];
    let all = format!("Bearer {}", token(&loaded, "master", "all"));
    for (what, body) in bodies {
        let a = send(
            "POST",
            &url,
            &[ct, ("authorization", all.as_bytes())],
            Some(body),
        )
        .await;
        assert!((400..500).contains(&a.status), "{what}: {a:?}");
        a.assert_error_shape();
        assert!(!a.message().is_empty(), "{what}");
    }
    // Many aliases of __typename are fine (no depth, no list): 200.
    let a = post_as(&url, &many_fields, &token(&loaded, "master", "all")).await;
    assert_eq!(a.status, 200, "{:?}", a.status);
    // 100 KB headers: an Authorization of 100 KB is a 401, a gcms-locales of 100 KB a 400,
    // any other header is ignored.
    let big = "a".repeat(100 * 1024);
    let big_auth = format!("Bearer {big}");
    let a = post(&url, POSTS, &[("authorization", big_auth.as_bytes())]).await;
    assert_eq!(a.status, 401);
    let big_locales = vec!["de"; 25_000].join(",");
    let a = post(&url, POSTS, &[("gcms-locales", big_locales.as_bytes())]).await;
    assert_eq!(a.status, 200, "duplicates are dropped: {a:?}");
    let a = post(&url, POSTS, &[("gcms-locales", big.as_bytes())]).await;
    assert_eq!(a.status, 400);
    assert!(
        a.message().len() < 300,
        "the message quotes the value short"
    );
    let a = post(&url, POSTS, &[("gcms-stage", big.as_bytes())]).await;
    assert_eq!(a.status, 400);
    let a = post(&url, POSTS, &[("x-padding", big.as_bytes())]).await;
    assert_eq!(a.status, 200);
    // A raw request line with a path that is not UTF-8 once decoded.
    let a = send(
        "POST",
        &format!("{}/v2/%ff/master", s.url()),
        &[ct],
        Some(b"{}".to_vec()),
    )
    .await;
    assert_eq!(a.status, 404);
    s.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_mixed_requests_see_no_5xx() {
    let (s, loaded) = fixture(Faults::NONE).await;
    let url = s.content_endpoint(PROJECT, "master");
    let management = s.management_url();
    let all = token(&loaded, "master", "all");
    let drafts = token(&loaded, "master", "drafts");
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (url, management, all, drafts) =
            (url.clone(), management.clone(), all.clone(), drafts.clone());
        tasks.push(tokio::spawn(async move {
            let a = match i % 10 {
                0 => post(&url, POSTS, &[]).await,
                1 => post_as(&url, "{ posts(stage: DRAFT, orderBy: views_DESC) { id title views } }", &all).await,
                2 => post_as(&url, "{ postsConnection(stage: QA) { aggregate { count } edges { node { id } } } }", &drafts).await,
                3 => post(&url, INTROSPECTION, &[]).await,
                4 => post_as(&url, POSTS, &tampered(&all)).await,
                5 => post(&url, POSTS, &[("authorization", b"Bearer")]).await,
                6 => send("POST", &url, &[("content-type", b"application/json")], Some(b"{\"query\":".to_vec())).await,
                7 => send("POST", &url, &[("content-type", b"application/json")], Some(b"\xff\xfe".to_vec())).await,
                8 => admin_post(&management, &json!({"query": "{ viewer { project(id: \"p\") { environment(name: \"master\") { permanentAuthTokens { id name contentPermissions { id } } } } } }"})).await,
                _ => post(&url, "{ posts(gcms: 1) { id } }", &[("gcms-locales", b"de,,en")]).await,
            };
            (i, a)
        }));
    }
    let mut statuses = BTreeSet::new();
    for t in tasks {
        let (i, a) = t.await.unwrap();
        assert!(a.status < 500, "request {i}: {a:?}");
        statuses.insert(a.status);
    }
    assert_eq!(statuses, BTreeSet::from([200, 400, 401, 403]));
    s.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// The demo (`serve --demo`)

#[tokio::test]
async fn the_demo_answers_as_the_readme_says() {
    let s = start(Faults::NONE).await;
    let d = demo::load(&s).await.unwrap();
    let url = &d.endpoint;
    assert_eq!(url, &s.content_endpoint(demo::PROJECT, demo::ENVIRONMENT));
    assert_eq!(
        d.tokens.keys().collect::<Vec<_>>(),
        ["drafts", "editor", "reader", "revoked"]
    );
    // Introspection.
    let a = post(url, "{ __schema { queryType { name } } }", &[]).await;
    assert_eq!(a.data()["__schema"]["queryType"]["name"], "Query");
    // `{ posts { id } }` without a token: only PUBLISHED posts.
    let a = post(url, POSTS, &[]).await;
    assert_eq!(ids(a.data(), "posts"), ["hello", "permissions"]);
    // With `stage: DRAFT`: 403 not allowed.
    let a = post(url, "{ posts(stage: DRAFT) { id } }", &[]).await;
    assert_eq!(a.status, 403);
    assert_eq!(a.message(), "not allowed");
    // A tampered token: 401; the revoked one: 401.
    let a = post_as(url, POSTS, &tampered(&d.tokens["reader"])).await;
    assert_eq!(a.status, 401);
    let a = post_as(url, POSTS, &d.tokens["revoked"]).await;
    assert_eq!(a.status, 401);
    assert!(a.message().starts_with("token verification failed:"));
    // The others work as their grants say.
    let a = post_as(url, POSTS, &d.tokens["reader"]).await;
    assert_eq!(ids(a.data(), "posts"), ["hello", "permissions"]);
    let a = post_as(
        url,
        "{ posts(locales: [de]) { id title } }",
        &d.tokens["drafts"],
    )
    .await;
    assert_eq!(a.status, 403, "drafts reads posts in English only: {a:?}");
    let a = post_as(url, "{ posts { id title } }", &d.tokens["drafts"]).await;
    assert_eq!(
        ids(a.data(), "posts"),
        ["hello", "permissions", "wip", "idea"]
    );
    let a = post_as(
        url,
        "{ posts(stage: QA, locales: [de, en]) { id title } }",
        &d.tokens["editor"],
    )
    .await;
    assert_eq!(
        a.data(),
        &json!({"posts": [{"id": "hello", "title": "Hallo"}, {"id": "wip", "title": "In Arbeit"}]})
    );
    // Loading it again finds it there (a file store kept over a restart).
    let again = demo::load(&s).await.unwrap();
    assert_eq!(again.tokens, d.tokens);
    s.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Faults of area Auth: each observable as a real deviation

#[tokio::test]
async fn auth_faults_deviate_where_they_say() {
    use tollgate::sandbox::faults::Fault;
    let cases = [
        Fault::RevokedTokenAccepted,
        Fault::ForeignEnvironmentToken,
        Fault::MalformedTokenPublic,
    ];
    for fault in cases {
        let (s, loaded) = fixture(Faults::NONE.with(fault)).await;
        let url = s.content_endpoint(PROJECT, "master");
        let revoked = token(&loaded, "master", "gone");
        let foreign = token(&loaded, "staging", "st");
        let bad = tampered(&token(&loaded, "master", "all"));
        let r = post_as(&url, INTROSPECTION, &revoked).await.status;
        let f = post_as(&url, INTROSPECTION, &foreign).await.status;
        let m = post_as(&url, POSTS, &bad).await;
        // The faithful answer is 401 for all three; exactly the fault's own case deviates.
        let expect = |on: bool| if on { 200 } else { 401 };
        assert_eq!(r, expect(fault == Fault::RevokedTokenAccepted), "{fault}");
        assert_eq!(
            f,
            expect(fault == Fault::ForeignEnvironmentToken),
            "{fault}"
        );
        assert_eq!(
            m.status,
            expect(fault == Fault::MalformedTokenPublic),
            "{fault}"
        );
        if fault == Fault::MalformedTokenPublic {
            // Public access: the public's posts.
            assert_eq!(ids(m.data(), "posts"), ["p1"]);
            // Two headers stay a 401 (not a token failure).
            let all = format!("Bearer {}", token(&loaded, "master", "all"));
            let two = post(
                &url,
                POSTS,
                &[
                    ("authorization", all.as_bytes()),
                    ("authorization", all.as_bytes()),
                ],
            )
            .await;
            assert_eq!(two.status, 401);
        }
        if fault == Fault::RevokedTokenAccepted {
            // Accepted, but the deleted PAT holds no grants: 403 on model fields.
            assert_eq!(post_as(&url, POSTS, &revoked).await.status, 403);
        }
        if fault == Fault::ForeignEnvironmentToken {
            // Accepted as staging's PAT, which holds no grants in master: 403.
            assert_eq!(post_as(&url, POSTS, &foreign).await.status, 403);
        }
        s.shutdown().await.unwrap();
    }
}
