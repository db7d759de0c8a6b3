//! Shared by the `sandbox_http*` tests: one signing key per test binary, a server started in
//! process on port 0 with a small project loaded, and a raw HTTP client (reqwest to 127.0.0.1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::sync::OnceLock;

use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{json, Value as J};
use tollgate::model::spec::EnvSpec;
use tollgate::sandbox::faults::Faults;
use tollgate::sandbox::server::{self, Config, LoadedProject, Running};
use tollgate::sandbox::token::KeyRing;

/// The admin secret of the test servers.
pub const SECRET: &str = "test-admin-secret";

/// The project of [`PROJECT_YAML`].
pub const PROJECT: &str = "p";

/// Two environments: `master` (stages DRAFT, PUBLISHED, QA; locales en, de; public READ on
/// published posts; PATs `all`, `drafts`, `none`, `gone` (revoked), `writer`) and `staging`
/// (no public grants; PAT `st`). PAT names are unique across the project, as the reference
/// model resolves them by name.
pub const PROJECT_YAML: &str = r#"
- name: master
  stages: [QA]
  locales: [en, de]
  models:
    - name: Post
      fields:
        - {name: title, type: String, localized: true}
        - {name: views, type: Int}
    - name: Author
      fields:
        - {name: name, type: String}
  entries:
    - {model: Post, id: p1, data: {title: One, views: 1}, localizations: {de: {title: Eins}}, publish: [PUBLISHED, QA]}
    - {model: Post, id: p2, data: {title: Two, views: 2}, publish: [QA]}
    - {model: Post, id: p3, data: {title: Three, views: 3}}
    - {model: Author, id: a1, data: {name: Ada}, publish: [PUBLISHED]}
  public:
    grants:
      - {action: READ, model: Post, stages: [PUBLISHED]}
  pats:
    - name: all
      grants: [{action: READ}]
    - name: drafts
      default_stage: DRAFT
      grants: [{action: READ, model: Post, stages: [DRAFT, QA], locales: [de]}]
    - name: none
    - name: gone
      revoked: true
      grants: [{action: READ}]
    - name: writer
      default_stage: DRAFT
      grants:
        - {action: READ}
        - {action: CREATE, model: Post}
        - {action: UPDATE, model: Post, condition: '{"views_lt": 3}'}
- name: staging
  models:
    - name: Post
      fields:
        - {name: title, type: String}
  entries:
    - {model: Post, id: s1, data: {title: S}, publish: [PUBLISHED]}
  pats:
    - name: st
      grants: [{action: READ}]
"#;

/// The key every test server of this binary signs with (one RSA key generation per binary).
pub fn keys() -> &'static KeyRing {
    static KEYS: OnceLock<KeyRing> = OnceLock::new();
    KEYS.get_or_init(|| KeyRing::generate().unwrap())
}

/// A key no server has.
pub fn other_keys() -> &'static KeyRing {
    static KEYS: OnceLock<KeyRing> = OnceLock::new();
    KEYS.get_or_init(|| KeyRing::generate().unwrap())
}

/// The environments of [`PROJECT_YAML`].
pub fn project_envs() -> Vec<EnvSpec> {
    serde_yaml_ng::from_str(PROJECT_YAML).unwrap()
}

/// A server with the shared key and [`SECRET`].
pub async fn start(faults: Faults) -> Running {
    server::start(Config {
        keys: Some(keys().clone()),
        admin_secret: Some(SECRET.into()),
        faults,
        ..Config::default()
    })
    .await
    .unwrap()
}

/// A server with [`PROJECT_YAML`] loaded.
pub async fn fixture(faults: Faults) -> (Running, LoadedProject) {
    let running = start(faults).await;
    let loaded = running.load_project(PROJECT, project_envs()).await.unwrap();
    (running, loaded)
}

/// The token of a PAT of the fixture.
pub fn token(loaded: &LoadedProject, env: &str, pat: &str) -> String {
    loaded
        .environment(env)
        .unwrap()
        .token(pat)
        .unwrap()
        .to_string()
}

/// An HTTP answer: status and body (JSON, or `null` when empty, or the text as a string).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The body.
    pub body: J,
}

impl Answer {
    /// The first error's message.
    pub fn message(&self) -> &str {
        self.body["errors"][0]["message"].as_str().unwrap_or("")
    }

    /// Asserts ERR-2's shape for a non-200: `errors` non-empty, `data: null`, each error with a
    /// string message.
    pub fn assert_error_shape(&self) {
        assert_ne!(self.status, 200, "{self:?}");
        let errors = self.body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{self:?}"));
        assert!(!errors.is_empty(), "{self:?}");
        assert!(errors.iter().all(|e| e["message"].is_string()), "{self:?}");
        assert_eq!(self.body.get("data"), Some(&J::Null), "{self:?}");
    }

    /// Asserts a 200 `{"data": …}` without `errors` and returns `data`.
    pub fn data(&self) -> &J {
        assert_eq!(self.status, 200, "{self:?}");
        assert!(self.body.get("errors").is_none(), "{self:?}");
        &self.body["data"]
    }
}

/// One request, headers as raw bytes (repeated names allowed).
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &[u8])],
    body: Option<Vec<u8>>,
) -> Answer {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    let client = CLIENT.get_or_init(reqwest::Client::new);
    let mut req = client.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url);
    for (name, value) in headers {
        req = req.header(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let bytes = res.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        J::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| J::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Answer { status, body }
}

/// A POST of `{"query": query}` with `Content-Type: application/json` and extra headers.
pub async fn post(url: &str, query: &str, headers: &[(&str, &[u8])]) -> Answer {
    let mut all: Vec<(&str, &[u8])> = vec![("content-type", b"application/json")];
    all.extend_from_slice(headers);
    let body = json!({ "query": query }).to_string().into_bytes();
    send("POST", url, &all, Some(body)).await
}

/// A POST with a PAT's token.
pub async fn post_as(url: &str, query: &str, token: &str) -> Answer {
    let auth = format!("Bearer {token}");
    post(url, query, &[("authorization", auth.as_bytes())]).await
}

/// An admin POST of a JSON body.
pub async fn admin_post(url: &str, body: &J) -> Answer {
    let auth = format!("Bearer {SECRET}");
    send(
        "POST",
        url,
        &[
            ("content-type", b"application/json"),
            ("authorization", auth.as_bytes()),
        ],
        Some(body.to_string().into_bytes()),
    )
    .await
}

/// A Management API call.
pub async fn manage(running: &Running, query: &str, variables: J) -> Answer {
    admin_post(
        &running.management_url(),
        &json!({ "query": query, "variables": variables }),
    )
    .await
}

/// Form-encodes one query parameter value.
pub fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A token with one character of its signature changed.
pub fn tampered(token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let i = chars.len() - 5;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

/// Sends raw bytes on a new connection and reads until the server closes it (blocking I/O on
/// the blocking pool; the request should say `Connection: close`).
pub async fn raw(addr: std::net::SocketAddr, request: Vec<u8>) -> String {
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let _ = stream.write_all(&request);
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .unwrap()
}

impl Answer {
    /// A 200 with `data`, or an ERR-2 error body.
    pub fn assert_error_shape_or_200(&self) {
        if self.status == 200 {
            self.data();
        } else {
            self.assert_error_shape();
        }
    }
}

/// The `id`s of the entries listed under `key` in `data`.
pub fn ids_of(data: &J, key: &str) -> Vec<String> {
    data[key]
        .as_array()
        .unwrap_or_else(|| panic!("{data}"))
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

/// The claims of a JWT, decoded without verification.
pub fn claims_of(token: &str) -> serde_json::Map<String, J> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// An introspection query of both root fields.
pub const INTROSPECTION: &str =
    "{ __schema { queryType { name } types { name } } __type(name: \"Post\") { name fields { name } } }";
