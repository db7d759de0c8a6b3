//! One project of a target, over HTTP: provisioning it (the sandbox's bulk load plus the
//! harness's own PAT, spec §9), carrying out a case's Management-API calls, and sending its
//! Content API requests exactly as a client would (method, body or URL, `Authorization` and
//! `gcms-*` headers, a body padded to a given size), decoding each response
//! ([`wire::decode`](crate::wire::decode)).
//!
//! This is the one implementation of the request path: the campaign runner
//! ([`crate::run::case`]) and scenario replay over HTTP ([`super::scenario`]) both go through a
//! [`Session`].
//!
//! - **Credentials.** A [`Credential::Token`] names a PAT of the case; its token is the one the
//!   bulk load (or a `create_pat` step) returned, in the form the credential asks for (AUTH-3,
//!   AUTH-4): `reencoded` and `audience` are re-signed by the server's key through its admin
//!   surface; `tampered` changes a character of the signature; `other_key` re-signs the claims
//!   with a key of the harness's own; `malformed` is not a JWS. A name is looked up as the
//!   reference does: the first environment (in the case's order) with a PAT of that name.
//! - **Status handling** (spec, "How a harness compares"): a 429 is not a verdict: the request
//!   is resent after `Retry-After` (seconds), else after an exponential back-off, at most
//!   [`RetryPolicy::max_retries`] times, after which it is indeterminate; 5xx, timeouts and
//!   transport errors are [`Outcome::Indeterminate`].
//! - **The harness PAT** [`HARNESS_PAT`] is added to every environment with one `READ` grant on
//!   everything (§9). It is used only to learn the ids of entries created during a run
//!   ([`Session::newest_ids`], DATA-2); a case's own PAT of that name is refused.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;

use crate::model::grant::{Action, GrantSpec};
use crate::model::profile::Profile;
use crate::model::spec::{EnvSpec, PatSpec};
use crate::op::{Credential, Manage, Method, Outcome, Request, Target, TokenForm};
use crate::sandbox::token::{issue, redact, KeyRing, PatClaims};
use crate::target::sandbox::{AdminError, SandboxAdmin};
use crate::wire::manage::{EnvironmentIds, GrantTarget, ManageError};
use crate::wire::{decode, is_introspection, Envelope, MAX_RESPONSE_BYTES};

/// How long one content request may take before it is indeterminate.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The name of the harness's own PAT in every environment of a provisioned case (§9).
pub const HARNESS_PAT: &str = "__tollgate";

/// The issuer a re-encoded token is given (AUTH-4: any other `iss` is the same PAT).
const REENCODED_ISSUER: &str = "https://reencoded.tollgate.invalid/";

/// How 429 answers are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Resends after a 429 before the request is indeterminate.
    pub max_retries: u32,
    /// The first back-off when no `Retry-After` is given; doubled on each retry.
    pub base_backoff: Duration,
    /// The longest single wait (a longer `Retry-After` is cut to this).
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_backoff: Duration::from_millis(50),
            max_wait: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0-based), given the `Retry-After` header value.
    pub fn wait(&self, attempt: u32, retry_after: Option<&str>) -> Duration {
        let given = retry_after
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64);
        let backoff = || {
            self.base_backoff
                .saturating_mul(2u32.saturating_pow(attempt.min(16)))
        };
        given.unwrap_or_else(backoff).min(self.max_wait)
    }
}

/// A Content API request as it goes on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct WireRequest {
    /// The environment addressed (`None`: the case's first).
    pub environment: Option<String>,
    /// The project addressed (`None` or the case's own project name: the provisioned project).
    pub project: Option<String>,
    /// The credential.
    pub credential: Credential,
    /// The method.
    pub method: Method,
    /// The GraphQL document text.
    pub query: String,
    /// GraphQL variables.
    pub variables: Option<Value>,
    /// `operationName`.
    pub operation_name: Option<String>,
    /// Further headers (`gcms-stage`, `gcms-locales`), one entry per header line.
    pub headers: Vec<(String, String)>,
    /// Pad the body (or the URL's query component) to this many bytes (ERR-3).
    pub pad_to: Option<usize>,
    /// The request asks for introspection: a 200 is compared by status only (READ-8).
    pub introspection: bool,
}

impl WireRequest {
    /// The wire form of a structured request whose document text is `query`: its credential,
    /// headers and method; padded to `body_bytes` when that is longer than the encoding.
    pub fn from_request(r: &Request, query: String) -> WireRequest {
        let mut headers = Vec::new();
        for v in &r.stage_header {
            headers.push(("gcms-stage".to_string(), v.clone()));
        }
        for v in &r.locales_header {
            headers.push(("gcms-locales".to_string(), v.clone()));
        }
        WireRequest {
            environment: r.environment.clone(),
            project: r.project.clone(),
            credential: r.credential.clone(),
            method: r.method,
            query,
            variables: None,
            operation_name: None,
            headers,
            pad_to: r.body_bytes,
            introspection: is_introspection(&r.fields),
        }
    }

    /// The encoded envelope (body or URL query component).
    pub fn envelope(&self) -> Envelope {
        Envelope::encode(
            self.method,
            &self.query,
            self.variables.as_ref(),
            self.operation_name.as_deref(),
            self.pad_to,
        )
    }
}

/// The answer to one request or call.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    /// The decoded outcome.
    pub outcome: Outcome,
    /// The time of the last attempt, in microseconds.
    pub micros: u64,
    /// 429 answers retried.
    pub retries: u32,
}

/// A PAT known to a session.
#[derive(Clone)]
struct KnownPat {
    env: usize,
    name: String,
    id: String,
    token: String,
}

/// The harness's own signing key (AUTH-3's `other_key` form), generated once per process.
fn other_key() -> Result<&'static KeyRing, String> {
    static KEY: OnceLock<Result<KeyRing, String>> = OnceLock::new();
    KEY.get_or_init(|| KeyRing::generate().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// Why a project could not be provisioned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProvisionError {
    /// The case names a PAT like the harness's own.
    #[error("the case has a PAT named {HARNESS_PAT:?}, the harness's own name")]
    HarnessName,
    /// The target refused or failed the load.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// The load's answer lacks an environment or the harness PAT.
    #[error("the bulk load's answer lacks {0}")]
    Answer(String),
}

impl std::fmt::Debug for KnownPat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownPat")
            .field("env", &self.env)
            .field("name", &self.name)
            .field("id", &self.id)
            .field("token", &redact(&self.token))
            .finish()
    }
}

/// One provisioned project of a target. `Debug` shows tokens redacted.
pub struct Session {
    admin: SandboxAdmin,
    project: String,
    case_project: String,
    environments: Vec<String>,
    pats: Vec<KnownPat>,
    harness: Vec<String>,
    /// (environment name, the case's grant id) → the server's grant id.
    grants: HashMap<(String, String), String>,
    env_ids: HashMap<String, EnvironmentIds>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("project", &self.project)
            .field("environments", &self.environments)
            .field("pats", &self.pats)
            .field(
                "harness",
                &self.harness.iter().map(|t| redact(t)).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Provisions `environments` under the new project id `project` (which must not exist on
    /// the target yet) with `profile`'s page sizes, adding the harness PAT to each. `case_project` is the project name the
    /// case's steps use for their own project (a step naming another project is sent to that
    /// name: a 404).
    pub async fn provision(
        admin: &SandboxAdmin,
        project: &str,
        case_project: &str,
        environments: &[EnvSpec],
        profile: &Profile,
        retry: RetryPolicy,
    ) -> Result<Session, ProvisionError> {
        let mut specs = environments.to_vec();
        for env in &mut specs {
            if env.pats.iter().any(|p| p.name == HARNESS_PAT) {
                return Err(ProvisionError::HarnessName);
            }
            env.pats.push(PatSpec {
                name: HARNESS_PAT.to_string(),
                default_stage: None,
                revoked: false,
                grants: vec![GrantSpec::all(Action::Read)],
            });
        }
        // The project's page sizes are the profile's (READ-3: `hygraph-legacy` projects page by
        // 100, up to 1000).
        let pagination = (profile.page_default, profile.page_max);
        let loaded = admin.load_project(project, &specs, pagination).await?;
        let mut session = Session {
            admin: admin.clone(),
            project: project.to_string(),
            case_project: case_project.to_string(),
            environments: environments.iter().map(|e| e.name.clone()).collect(),
            pats: Vec::new(),
            harness: Vec::new(),
            grants: HashMap::new(),
            env_ids: HashMap::new(),
            retry,
        };
        for (i, spec) in environments.iter().enumerate() {
            let env = loaded
                .environments
                .iter()
                .find(|e| e.name == spec.name)
                .ok_or_else(|| ProvisionError::Answer(format!("environment {:?}", spec.name)))?;
            let harness = env
                .pats
                .iter()
                .find(|p| p.name == HARNESS_PAT)
                .ok_or_else(|| {
                    ProvisionError::Answer(format!("the harness PAT of {:?}", spec.name))
                })?;
            session.harness.push(harness.token.clone());
            for p in env.pats.iter().filter(|p| p.name != HARNESS_PAT) {
                session.pats.push(KnownPat {
                    env: i,
                    name: p.name.clone(),
                    id: p.id.clone(),
                    token: p.token.clone(),
                });
            }
            // Grant ids are the server's; the answer maps the case's names to them.
            for g in &env.grants {
                session
                    .grants
                    .insert((spec.name.clone(), g.case_id.clone()), g.id.clone());
            }
        }
        Ok(session)
    }

    /// The project id on the target.
    pub fn project(&self) -> &str {
        &self.project
    }

    /// The admin surface the session uses.
    pub fn admin(&self) -> &SandboxAdmin {
        &self.admin
    }

    /// Drops the project from the target.
    pub async fn drop_project(&self) -> Result<(), AdminError> {
        self.admin.delete_project(&self.project).await
    }

    fn env_name<'a>(&'a self, env: Option<&'a str>) -> &'a str {
        env.or_else(|| self.environments.first().map(String::as_str))
            .unwrap_or("master")
    }

    /// The content endpoint a request is sent to.
    pub fn url(&self, r: &WireRequest) -> String {
        let project = match r.project.as_deref() {
            None => &self.project,
            Some(p) if p == self.case_project => &self.project,
            Some(p) => p,
        };
        self.admin
            .content_url(project, self.env_name(r.environment.as_deref()))
    }

    /// The server's id of a grant the case names in an environment (an unknown name is sent
    /// as it is: the server refuses it, as the reference does).
    fn grant_id(&self, env: Option<&str>, case_id: &str) -> String {
        let key = (self.env_name(env).to_string(), case_id.to_string());
        self.grants
            .get(&key)
            .cloned()
            .unwrap_or_else(|| case_id.to_string())
    }

    async fn env_ids(&mut self, env: Option<&str>) -> Result<EnvironmentIds, ManageError> {
        let name = self.env_name(env).to_string();
        if let Some(ids) = self.env_ids.get(&name) {
            return Ok(ids.clone());
        }
        let ids = self
            .admin
            .management()
            .environment(&self.project, &name)
            .await?;
        self.env_ids.insert(name, ids.clone());
        Ok(ids)
    }

    fn pat(&self, name: &str) -> Option<&KnownPat> {
        (0..self.environments.len())
            .find_map(|env| self.pats.iter().find(|p| p.env == env && p.name == name))
    }

    fn pat_id(&self, name: &str) -> String {
        // An unknown name is sent as given: the server refuses it.
        self.pat(name)
            .map_or_else(|| name.to_string(), |p| p.id.clone())
    }

    /// Carries out a Management-API call (§9): `provisioned`, `refused`, or indeterminate.
    pub async fn manage(&mut self, m: &Manage) -> Sent {
        let start = Instant::now();
        let outcome = match self.manage_call(m).await {
            Ok(()) => Outcome::Provisioned,
            Err(ManageError::Refused(message)) => Outcome::Refused {
                rule: None,
                message,
            },
            Err(e) => indeterminate(e),
        };
        Sent {
            outcome,
            micros: micros(start),
            retries: 0,
        }
    }

    async fn manage_call(&mut self, m: &Manage) -> Result<(), ManageError> {
        let client = self.admin.management();
        match m {
            Manage::CreateGrant {
                environment,
                target,
                grant,
            } => {
                let env = self.env_ids(environment.as_deref()).await?;
                let target = match target {
                    Target::Public => GrantTarget::Public,
                    Target::Pat(name) => GrantTarget::Pat(self.pat_id(name)),
                };
                let spec = GrantSpec {
                    id: None,
                    ..grant.clone()
                };
                let id = client.create_grant(&env, &target, &spec).await?;
                if let Some(case_id) = &grant.id {
                    let env = self.env_name(environment.as_deref()).to_string();
                    self.grants.insert((env, case_id.clone()), id);
                }
                Ok(())
            }
            Manage::SetGrantEnabled {
                environment,
                id,
                enabled,
            } => {
                let id = self.grant_id(environment.as_deref(), id);
                client.set_grant_enabled(&id, *enabled).await
            }
            Manage::DeleteGrant { environment, id } => {
                let id = self.grant_id(environment.as_deref(), id);
                client.delete_grant(&id).await
            }
            Manage::CreatePat {
                environment,
                name,
                default_stage,
            } => {
                let env = self.env_ids(environment.as_deref()).await?;
                let created = client
                    .create_pat(&env, name, default_stage.as_deref())
                    .await?;
                let env_index = self
                    .environments
                    .iter()
                    .position(|e| e == self.env_name(environment.as_deref()))
                    .unwrap_or(0);
                self.pats.push(KnownPat {
                    env: env_index,
                    name: name.clone(),
                    id: created.id,
                    token: created.token,
                });
                Ok(())
            }
            Manage::DeletePat { name, .. } => client.delete_pat(&self.pat_id(name)).await,
            Manage::SetDefaultStage {
                environment,
                target,
                stage,
            } => {
                let env = self.env_ids(environment.as_deref()).await?;
                match target {
                    Target::Public => client.set_public_default_stage(&env, stage).await,
                    Target::Pat(name) => {
                        client
                            .set_pat_default_stage(&env, &self.pat_id(name), stage)
                            .await
                    }
                }
            }
        }
    }

    /// The token string a credential form stands for.
    async fn token(&self, pat: &str, form: &TokenForm) -> Result<String, String> {
        let known = self
            .pat(pat)
            .ok_or_else(|| format!("no token known for PAT {pat:?}"))?
            .token
            .clone();
        match form {
            TokenForm::Valid => Ok(known),
            TokenForm::Reencoded => self
                .admin
                .forge(&known, Some(REENCODED_ISSUER), None)
                .await
                .map_err(|e| e.to_string()),
            TokenForm::Audience(env) => self
                .admin
                .forge(&known, None, Some(env))
                .await
                .map_err(|e| e.to_string()),
            TokenForm::Tampered => Ok(tamper(&known)),
            TokenForm::Malformed => Ok("not-a-jwt".to_string()),
            TokenForm::OtherKey => {
                let payload = known
                    .split('.')
                    .nth(1)
                    .ok_or("the token is not a compact JWS")?;
                let bytes = URL_SAFE_NO_PAD
                    .decode(payload)
                    .map_err(|e| format!("token payload: {e}"))?;
                let claims: PatClaims =
                    serde_json::from_slice(&bytes).map_err(|e| format!("token claims: {e}"))?;
                issue(other_key()?, &claims)
                    .map(|t| t.into_exposed())
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// The `Authorization` header lines a credential is sent as (secrets: never print them
    /// unredacted).
    pub async fn authorization(&self, credential: &Credential) -> Result<Vec<String>, String> {
        match credential {
            Credential::Public => Ok(Vec::new()),
            Credential::Header { values } => Ok(values.clone()),
            Credential::Token { pat, form, scheme } => {
                let t = self.token(pat, form).await?;
                Ok(vec![format!("{scheme} {t}")])
            }
        }
    }

    /// Sends a request as `envelope` (its [`WireRequest::envelope`], encoded once by the caller,
    /// who also needs its length) and decodes its answer; a 429 is retried by the session's
    /// policy.
    pub async fn send(&self, r: &WireRequest, envelope: &Envelope) -> Sent {
        let authorization = match self.authorization(&r.credential).await {
            Ok(a) => a,
            Err(e) => {
                return Sent {
                    outcome: indeterminate(format!("harness: {e}")),
                    micros: 0,
                    retries: 0,
                }
            }
        };
        send_with_retry(
            self.admin.http(),
            &self.url(r),
            r,
            envelope,
            &authorization,
            &self.retry,
        )
        .await
    }

    /// A `curl` command that sends `r` as the session does (the token redacted unless
    /// `show_tokens`).
    pub async fn curl(&self, r: &WireRequest, show_tokens: bool) -> String {
        let authorization = match self.authorization(&r.credential).await {
            Ok(a) => a,
            Err(e) => vec![format!("<no token: {e}>")],
        };
        curl_command(&self.url(r), r, &authorization, show_tokens)
    }

    /// The ids of the newest `count` DRAFT entries of each model (by plural) in environment
    /// `env`, newest last, read through the harness PAT (`orderBy: createdAt_DESC`; creation
    /// timestamps strictly increase, DATA-3). `Err` when the read did not succeed.
    pub async fn newest_ids(
        &self,
        env: usize,
        models: &[(String, usize)],
    ) -> Result<Vec<Vec<String>>, String> {
        let token = self
            .harness
            .get(env)
            .ok_or_else(|| format!("no harness PAT in environment {env}"))?;
        let mut query = String::from("{");
        for (i, (plural, count)) in models.iter().enumerate() {
            query.push_str(&format!(
                " m{i}: {plural}(stage: DRAFT, orderBy: createdAt_DESC, first: {}) {{ id }}",
                (*count).clamp(1, 100)
            ));
        }
        query.push_str(" }");
        let r = WireRequest {
            environment: self.environments.get(env).cloned(),
            project: None,
            credential: Credential::Header {
                values: vec![format!("Bearer {token}")],
            },
            method: Method::Post,
            query,
            variables: None,
            operation_name: None,
            headers: Vec::new(),
            pad_to: None,
            introspection: false,
        };
        let sent = self.send(&r, &r.envelope()).await;
        let Outcome::Ok { data } = sent.outcome else {
            return Err(format!(
                "the harness PAT's read answered {}",
                serde_json::to_string(&sent.outcome).unwrap_or_default()
            ));
        };
        (0..models.len())
            .map(|i| {
                let list = data
                    .get(format!("m{i}"))
                    .and_then(Value::as_array)
                    .ok_or_else(|| format!("no list m{i} in the harness read"))?;
                let mut ids: Vec<String> = list
                    .iter()
                    .filter_map(|x| x.get("id").and_then(Value::as_str).map(str::to_string))
                    .collect();
                ids.reverse();
                Ok(ids)
            })
            .collect()
    }
}

fn micros(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

fn indeterminate(why: impl std::fmt::Display) -> Outcome {
    Outcome::Indeterminate {
        reason: why.to_string(),
    }
}

/// Sends `r`, encoded as `envelope`, to `url` with these `Authorization` lines, retrying 429
/// answers by `policy`.
pub async fn send_with_retry(
    http: &reqwest::Client,
    url: &str,
    r: &WireRequest,
    envelope: &Envelope,
    authorization: &[String],
    policy: &RetryPolicy,
) -> Sent {
    let mut retries = 0;
    loop {
        let mut req = match envelope {
            Envelope::Post(body) => http
                .post(url)
                .header("content-type", "application/json")
                .body(body.clone()),
            Envelope::Get(q) => http.get(format!("{url}?{q}")),
        };
        req = req.timeout(REQUEST_TIMEOUT);
        for v in authorization {
            req = req.header("authorization", v);
        }
        for (name, value) in &r.headers {
            req = req.header(name.as_str(), value);
        }
        let start = Instant::now();
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => {
                return Sent {
                    outcome: indeterminate(format!("transport: {e}")),
                    micros: micros(start),
                    retries,
                }
            }
        };
        let status = resp.status().as_u16();
        if status == 429 {
            if retries >= policy.max_retries {
                return Sent {
                    outcome: indeterminate(format!(
                        "HTTP 429: still rate limited after {retries} retries"
                    )),
                    micros: micros(start),
                    retries,
                };
            }
            let after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            // Read the body so the connection can be reused.
            let _ = resp.bytes().await;
            tokio::time::sleep(policy.wait(retries, after.as_deref())).await;
            retries += 1;
            continue;
        }
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
        {
            return Sent {
                outcome: indeterminate(format!("HTTP {status}: response too large")),
                micros: micros(start),
                retries,
            };
        }
        let outcome = match resp.bytes().await {
            Ok(body) => decode(status, &body, r.introspection),
            Err(e) => indeterminate(format!("HTTP {status}: reading the body: {e}")),
        };
        return Sent {
            outcome,
            micros: micros(start),
            retries,
        };
    }
}

/// A shell-quoted word.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A `curl` command sending `r` to `url` with these `Authorization` lines; tokens are redacted
/// unless `show_tokens`.
pub fn curl_command(url: &str, r: &WireRequest, authorization: &[String], show: bool) -> String {
    let mut out = String::from("curl -sS");
    let envelope = r.envelope();
    match &envelope {
        Envelope::Post(_) => {
            out.push_str(&format!(" -X POST {}", shell_quote(url)));
            out.push_str(" -H 'content-type: application/json'");
        }
        Envelope::Get(q) => out.push_str(&format!(" {}", shell_quote(&format!("{url}?{q}")))),
    }
    for v in authorization {
        let shown = if show {
            v.clone()
        } else {
            match v.split_once(' ') {
                Some((scheme, token)) => format!("{scheme} {}", redact(token)),
                None => redact(v),
            }
        };
        out.push_str(&format!(
            " -H {}",
            shell_quote(&format!("authorization: {shown}"))
        ));
    }
    for (name, value) in &r.headers {
        out.push_str(&format!(" -H {}", shell_quote(&format!("{name}: {value}"))));
    }
    if let Envelope::Post(body) = &envelope {
        let text = String::from_utf8_lossy(body);
        let trimmed = text.trim_end();
        if trimmed.len() < text.len() {
            // A padded body: say so instead of printing the padding.
            out.push_str(&format!(
                " --data-raw {}  # padded with spaces to {} bytes",
                shell_quote(trimmed),
                body.len()
            ));
        } else {
            out.push_str(&format!(" --data-raw {}", shell_quote(trimmed)));
        }
    }
    out
}

/// The token with the first character of its signature changed (still base64url).
fn tamper(token: &str) -> String {
    match token.rfind('.') {
        Some(i) if i + 1 < token.len() => {
            let mut out = token.to_string();
            let c = if token[i + 1..].starts_with('A') {
                "B"
            } else {
                "A"
            };
            out.replace_range(i + 1..i + 2, c);
            out
        }
        _ => format!("{token}A"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn tampering_changes_only_the_signature() {
        let t = "aaa.bbb.Ccc";
        let x = tamper(t);
        assert_ne!(x, t);
        assert!(x.starts_with("aaa.bbb."));
        assert_eq!(x.len(), t.len());
        assert_eq!(tamper("aaa.bbb.Acc"), "aaa.bbb.Bcc");
    }

    #[test]
    fn retry_waits_follow_retry_after_else_back_off() {
        let p = RetryPolicy {
            max_retries: 3,
            base_backoff: Duration::from_millis(10),
            max_wait: Duration::from_secs(2),
        };
        assert_eq!(p.wait(0, Some("1")), Duration::from_secs(1));
        assert_eq!(p.wait(5, Some(" 0 ")), Duration::ZERO);
        assert_eq!(p.wait(0, Some("3600")), Duration::from_secs(2));
        assert_eq!(p.wait(0, None), Duration::from_millis(10));
        assert_eq!(p.wait(2, Some("soon")), Duration::from_millis(40));
        assert_eq!(p.wait(30, None), Duration::from_secs(2));
    }

    #[test]
    fn curl_redacts_tokens_unless_asked() {
        let r = WireRequest {
            environment: None,
            project: None,
            credential: Credential::Public,
            method: Method::Post,
            query: "{ posts { id } }".into(),
            variables: None,
            operation_name: None,
            headers: vec![("gcms-stage".into(), "DRAFT".into())],
            pad_to: None,
            introspection: false,
        };
        let secret = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNlY3JldA";
        let auth = vec![format!("Bearer {secret}")];
        let c = curl_command("http://127.0.0.1:1/v2/p/master", &r, &auth, false);
        assert!(!c.contains(secret), "{c}");
        assert!(c.contains("authorization: Bearer eyJ"), "{c}");
        assert!(c.contains("-H 'gcms-stage: DRAFT'"), "{c}");
        assert!(
            c.contains(r#"--data-raw '{"query":"{ posts { id } }""#),
            "{c}"
        );
        let shown = curl_command("http://127.0.0.1:1/v2/p/master", &r, &auth, true);
        assert!(shown.contains(secret));
        let get = WireRequest {
            method: Method::Get,
            ..r
        };
        let c = curl_command("http://x/v2/p/m", &get, &[], false);
        assert!(c.starts_with("curl -sS 'http://x/v2/p/m?query="), "{c}");
    }
}
