//! The runner's HTTP handling against tiny local stub servers (wiremock on 127.0.0.1): a 429 is
//! retried after `Retry-After` (or a back-off) and the answer after it is the outcome; retries
//! are bounded; 5xx answers and transport errors are indeterminate; and a campaign counts
//! indeterminate outcomes as unknown, never as agreement.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use tollgate::case::Case;
use tollgate::op::graphql::decode;
use tollgate::op::{Credential, Method, Operation, Outcome, Request};
use tollgate::run::{campaign, CampaignConfig, Runner};
use tollgate::target::http::{send_with_retry, RetryPolicy, WireRequest};
use tollgate::target::http_client;
use tollgate::target::sandbox::SandboxAdmin;

fn wire(query: &str) -> WireRequest {
    WireRequest {
        environment: None,
        project: None,
        credential: Credential::Public,
        method: Method::Post,
        query: query.into(),
        variables: None,
        operation_name: None,
        headers: Vec::new(),
        pad_to: None,
        introspection: false,
    }
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_backoff: Duration::from_millis(1),
        max_wait: Duration::from_millis(50),
    }
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_and_then_answered() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(2)
        .with_priority(1)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"posts": []}})))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let url = format!("{}/v2/p/master", server.uri());
    let sent = send_with_retry(
        &http_client().unwrap(),
        &url,
        &wire("{ posts { id } }"),
        &wire("{ posts { id } }").envelope(),
        &[],
        &quick(),
    )
    .await;
    assert_eq!(sent.retries, 2);
    assert_eq!(
        sent.outcome,
        Outcome::Ok {
            data: json!({"posts": []})
        }
    );
    server.verify().await;
}

#[tokio::test]
async fn retries_are_bounded_and_other_failures_indeterminate() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/p/limited"))
        .respond_with(ResponseTemplate::new(429))
        .expect(4)
        .mount(&server)
        .await;
    Mock::given(path("/v2/p/broken"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .expect(1)
        .mount(&server)
        .await;
    let http = http_client().unwrap();
    let limited = send_with_retry(
        &http,
        &format!("{}/v2/p/limited", server.uri()),
        &wire("{ a }"),
        &wire("{ a }").envelope(),
        &[],
        &quick(),
    )
    .await;
    assert_eq!(limited.retries, 3);
    let Outcome::Indeterminate { reason } = &limited.outcome else {
        panic!("{:?}", limited.outcome)
    };
    assert!(reason.contains("429"), "{reason}");
    let broken = send_with_retry(
        &http,
        &format!("{}/v2/p/broken", server.uri()),
        &wire("{ a }"),
        &wire("{ a }").envelope(),
        &[],
        &quick(),
    )
    .await;
    assert_eq!(broken.retries, 0);
    assert!(matches!(broken.outcome, Outcome::Indeterminate { .. }));
    server.verify().await;
    // Nothing listens on a port just released: a transport error.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let gone = send_with_retry(
        &http,
        &format!("http://{addr}/v2/p/m"),
        &wire("{ a }"),
        &wire("{ a }").envelope(),
        &[],
        &quick(),
    )
    .await;
    let Outcome::Indeterminate { reason } = &gone.outcome else {
        panic!("{:?}", gone.outcome)
    };
    assert!(reason.starts_with("transport"), "{reason}");
}

/// A case: one model, no entries, a public grant, and `reads` public list reads.
fn case(reads: usize) -> Case {
    let env = serde_yaml_ng::from_str(
        "models: [{name: Post, fields: [{name: title, type: String}]}]\npublic: {grants: [{action: READ}]}",
    )
    .unwrap();
    let d = decode("{ posts { title } }", None, None).unwrap();
    let op = Operation::Request(Request {
        operation: d.operation,
        fields: d.fields,
        ..Request::default()
    });
    Case {
        profile: "hygraph-2025".into(),
        environments: vec![env],
        steps: vec![op; reads],
    }
}

/// A stub of the sandbox's admin surface: the bulk load answers for any project, the drop
/// succeeds.
async fn stub_admin(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/sandbox/projects"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "project": "p",
            "environments": [{"name": "master", "id": "e1", "endpoint": "x",
                "pats": [{"name": "__tollgate", "id": "h", "token": "harness-token"}]}]
        })))
        .mount(server)
        .await;
    Mock::given(method("DELETE"))
        .and(path_regex("^/sandbox/projects/.*$"))
        .respond_with(ResponseTemplate::new(204))
        .mount(server)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_retries_a_429_and_compares_the_answer() {
    let server = MockServer::start().await;
    stub_admin(&server).await;
    Mock::given(method("POST"))
        .and(path_regex("^/v2/"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("^/v2/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"posts": []}})))
        .with_priority(2)
        .mount(&server)
        .await;
    let admin = SandboxAdmin::new(http_client().unwrap(), server.uri(), "secret");
    let runner = Runner::new(admin).with_retry(quick());
    let run = runner.run_case(&case(2)).await.unwrap();
    assert_eq!(run.counts(), (2, 0, 0), "{:?}", run.steps);
    assert!(run.notes.is_empty(), "{:?}", run.notes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indeterminate_outcomes_are_unknown_never_agreement() {
    let server = MockServer::start().await;
    stub_admin(&server).await;
    Mock::given(method("POST"))
        .and(path_regex("^/v2/"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({"errors": [{"message": "down for maintenance"}]})),
        )
        .mount(&server)
        .await;
    let admin = SandboxAdmin::new(http_client().unwrap(), server.uri(), "secret");
    let runner = Arc::new(Runner::new(admin).with_retry(quick()));
    let mut config = CampaignConfig::new(1);
    config.cases = Some(3);
    config.out = None;
    let one = case(2);
    let result = campaign(runner, Arc::new(move |_| Some(one.clone())), config, |_| {}).await;
    let r = &result.report;
    assert_eq!(r.cases, 3);
    assert_eq!(r.operations, 6);
    assert_eq!(
        (r.verdicts.agree, r.verdicts.differ, r.verdicts.unknown),
        (0, 0, 6)
    );
    assert_eq!(r.unknowns.len(), 1, "{:?}", r.unknowns);
    assert_eq!(r.unknowns[0].count, 6);
    assert!(
        r.unknowns[0]
            .reason
            .contains("HTTP 503: down for maintenance"),
        "{:?}",
        r.unknowns
    );
    assert!(r.divergences.is_empty());
    // Indeterminate answers are not timed as allowed or denied requests.
    assert!(r.latency.is_empty(), "{:?}", r.latency);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_time_limit_starts_no_case() {
    let server = MockServer::start().await;
    stub_admin(&server).await;
    let admin = SandboxAdmin::new(http_client().unwrap(), server.uri(), "secret");
    let mut config = CampaignConfig::new(1);
    config.cases = None;
    config.time_limit = Some(Duration::ZERO);
    config.out = None;
    let one = case(1);
    let result = campaign(
        Arc::new(Runner::new(admin)),
        Arc::new(move |_| Some(one.clone())),
        config,
        |_| {},
    )
    .await;
    assert_eq!(result.report.cases, 0);
    assert_eq!(result.report.operations, 0);
    assert!(server.received_requests().await.unwrap().is_empty());
}
