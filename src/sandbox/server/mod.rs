//! The sandbox's HTTP server (axum on tokio): many projects on one `127.0.0.1:PORT`, each
//! environment's Content API at `/v2/{projectId}/{environment}`, and an admin surface to
//! provision them. `tollgate serve` runs it; [`start`] runs the same server in process (port 0
//! in tests) and [`Running::shutdown`] stops it gracefully (requests in flight finish).
//!
//! # Content API (spec §8)
//!
//! `POST /v2/{projectId}/{environment}` with `Content-Type: application/json` and a body
//! `{"query": …, "variables": …?, "operationName": …?}`, or `GET` with the same members as URL
//! query parameters (`variables` as JSON text). Checks run in ERR-1's order, the first failing
//! one answers:
//!
//! 1. **404** `not found`: the path is not `/v2/{projectId}/{environment}` of an existing
//!    environment (any other path too).
//! 2. **413** `request body too large`: the body (for a GET, the URL's query component) is
//!    longer than [`MAX_BODY_BYTES`] = 81,920 bytes (ERR-3). The body is read with that limit and
//!    never buffered beyond it.
//! 3. **400** envelope (ERR-3): a method other than POST and GET; a POST whose `Content-Type`
//!    is not `application/json` (parameters allowed); a `Content-Encoding` other than
//!    `identity`; a body that is not UTF-8, not JSON or not an object, or whose `query` is not a
//!    string, `variables` not an object or null, `operationName` not a string or null (other
//!    members are ignored); a mutation sent by GET.
//! 4. **401** `token verification failed: <reason>` (AUTH-2, AUTH-3): every `Authorization`
//!    header as received goes to [`token::authorize`](crate::sandbox::token::authorize); no header is the public
//!    principal (AUTH-1); a rejected token never falls back to public access. The `jti` must
//!    name a live PAT of the environment, so a deleted PAT's tokens fail from the next request
//!    on (AUTH-4, AUTH-5).
//! 5. **400** validation: the document against the environment's cached schema
//!    ([`ContentSchema::validate`](crate::sandbox::schema::ContentSchema::validate)), then the
//!    `gcms-stage` and `gcms-locales` headers and `locales: []` ([`context`](crate::sandbox::context), CTX-1,
//!    CTX-2), refused even when nothing uses them.
//! 6. **403** (READ-1, READ-6; a denied mutation) and 7. **400** data checks, by the
//!    executors ([`read::execute_query`](crate::sandbox::read::execute_query),
//!    [`write::execute_mutation`](crate::sandbox::write::execute_mutation)); otherwise **200**
//!    `{"data": …}`.
//!
//! Bodies follow ERR-2: every non-200 body is `{"errors":[…],"data":null}`; a 403 read error is
//! `{"message":"not allowed","extensions":{"code":"403","path":[…]}}` (one per denied field); a
//! 403 mutation `{"message":"Mutation failed due to permission errors","extensions":{"code":"403","failedActions":[…]}}`;
//! a 400 carries `extensions.code` `"400"` and, when known, `extensions.rule`.
//! Introspection (`__schema`, `__type`; READ-8) is answered by `apollo-compiler` from the cached
//! schema for any accepted credential, a principal without grants included; beside model
//! fields, those run through the read executor and the answers are merged, a 403 winning.
//! A 5xx means a real internal failure (a panic in a handler is caught and answered 500); the
//! write executor is not merged yet, so mutations answer 500 `not supported by the sandbox
//! yet` for now.
//!
//! # Admin surface (sandbox-only)
//!
//! Every admin route needs `Authorization: Bearer <admin secret>` (generated per server unless
//! given); without it: 401 `{"errors":[{"message":"admin secret required"}],"data":null}`.
//!
//! - `POST /management/graphql`: the Management API subset of §9 ([`manage`](crate::sandbox::manage)).
//!   A refused call (PERM-4, an unknown id) is a 400 whose error has `extensions.rule`
//!   `"PERM-4"`, and changes nothing.
//! - `POST /sandbox/projects` with `{"project": id, "environments": [EnvSpec…], "pagination":
//!   {"default", "max"}}` (the shape of a scenario file's environments; page sizes 10 and 100
//!   when absent, READ-3): creates the environments with schema, stages, locales,
//!   content and principals (each PAT with exactly its grants, no PERM-5 default grant; a
//!   `revoked: true` PAT created then deleted), all or nothing ([`bulk`]). 200
//!   `{"project", "environments": [{"name", "id", "endpoint", "pats": [{"name", "id", "token"}],
//!   "grants": [{"case_id", "id"}]}]}`: grant ids are the server's, unique across projects (a
//!   spec's `id: g1` is only a name, mapped in `grants`); 400 naming the refused input (`environments[0].entries[3] …: …`); 409 if the project
//!   already has an environment of that name.
//! - `DELETE /sandbox/projects/{id}`: drops a project (204; 404 if unknown).
//! - `POST /sandbox/tokens` with `{"token", "issuer"?, "environment"?}`: the same claims (same
//!   `jti`) with `iss` replaced and/or `aud[0]` pointed at another environment of the token's
//!   project, signed by the server's key (AUTH-4 re-encoding, AUTH-3 other environment); 400
//!   if the token does not verify under the server's keys.
//! - `GET /sandbox`: `{"name":"tollgate-sandbox","version","faults":[…],"content","management"}`.
//!
//! # State
//!
//! One SQLite connection ([`Store`]) behind a mutex; handlers do their store work on tokio's
//! blocking pool. In memory by default; with a database file ([`Config::db`]) the content, the
//! principals, the issued tokens and the generated signing key survive a restart, so a token
//! issued before still verifies after it. Faults ([`Config::faults`]) are switched on for the
//! whole store; those of area `Auth` live in the content handler's authentication.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post};
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::model::spec::EnvSpec;
use crate::sandbox::faults::Faults;
use crate::sandbox::manage::directory::MANAGEMENT_PATH;
use crate::sandbox::store::{Pagination, Store};
use crate::sandbox::token::{content_endpoint, KeyRing};

mod admin;
pub mod bulk;
mod content;
mod http;
mod state;

pub use bulk::{BulkError, LoadedEnvironment, LoadedPat, LoadedProject};

/// ERR-3's `max_body_bytes`: the longest Content API body (for a GET, URL query component).
pub const MAX_BODY_BYTES: usize = 81_920;

/// The longest body of an admin request (a bulk load can be large).
pub const MAX_ADMIN_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The length of a generated admin secret.
const ADMIN_SECRET_LEN: usize = 32;

/// Why the server could not start or stop.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Binding or serving failed.
    #[error("cannot serve on {addr}: {source}")]
    Io {
        /// The address.
        addr: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] crate::sandbox::store::StoreError),
    /// A key could not be read, generated or kept.
    #[error("signing key: {0}")]
    Key(String),
    /// An environment's schema could not be built.
    #[error(transparent)]
    Schema(#[from] crate::sandbox::schema::SchemaError),
    /// The management schema could not be built.
    #[error(transparent)]
    Manage(#[from] crate::sandbox::manage::ManageError),
    /// The token table could not be prepared.
    #[error(transparent)]
    Directory(#[from] crate::sandbox::manage::directory::DirectoryError),
    /// SQLite failed while preparing the server's tables.
    #[error("sqlite: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The server task failed.
    #[error("the server task failed: {0}")]
    Task(String),
}

impl From<crate::sandbox::token::TokenError> for ServerError {
    fn from(e: crate::sandbox::token::TokenError) -> Self {
        ServerError::Key(e.to_string())
    }
}

/// How to run a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen (`127.0.0.1:0` by default: a free port).
    pub addr: SocketAddr,
    /// A database file (created if missing); `None`: in memory.
    pub db: Option<PathBuf>,
    /// The signing keys (`--key`); `None`: the key kept in the database, else a new one.
    pub keys: Option<KeyRing>,
    /// The admin secret; `None`: a random one.
    pub admin_secret: Option<String>,
    /// The faults to switch on.
    pub faults: Faults,
    /// Print one line per request on stdout (`METHOD PATH STATUS`).
    pub log_requests: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            db: None,
            keys: None,
            admin_secret: None,
            faults: Faults::NONE,
            log_requests: false,
        }
    }
}

/// A running server. Dropping it stops the server too (gracefully, in the background).
pub struct Running {
    app: Arc<state::App>,
    addr: SocketAddr,
    url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// A random admin secret: [`ADMIN_SECRET_LEN`] lower-case letters and digits.
fn new_secret() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..ADMIN_SECRET_LEN)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

async fn log_requests(State(app): State<Arc<state::App>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    if app.log_requests {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stdout().lock(),
            "{method} {path} {}",
            res.status().as_u16()
        );
    }
    res
}

/// A future that turns a panic while it is polled into `Err` with the panic's message.
struct CatchPanic<F>(std::pin::Pin<Box<F>>);

impl<F: std::future::Future> std::future::Future for CatchPanic<F> {
    type Output = Result<F::Output, String>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Ok(v)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(p) => std::task::Poll::Ready(Err(state::panic_message(p.as_ref()))),
        }
    }
}

/// Answers a panic in a handler's async part with a 500 instead of a dropped connection (the
/// blocking parts catch their own, [`state::blocking`]).
async fn catch_panics(req: Request, next: Next) -> Response {
    match CatchPanic(Box::pin(next.run(req))).await {
        Ok(res) => res,
        Err(message) => http::Reply::internal(format!("internal error: {message}")).into_response(),
    }
}

async fn not_found() -> Response {
    http::Reply::not_found().into_response()
}

fn router(app: Arc<state::App>) -> Router {
    Router::new()
        .route("/v2/{project}/{environment}", any(content::handle))
        .route(MANAGEMENT_PATH, post(admin::management))
        .route("/sandbox", get(admin::info))
        .route("/sandbox/projects", post(admin::create_project))
        .route("/sandbox/projects/{id}", delete(admin::delete_project))
        .route("/sandbox/tokens", post(admin::forge_token))
        .fallback(not_found)
        .layer(middleware::from_fn(catch_panics))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            log_requests,
        ))
        .with_state(app)
}

/// Starts a server: opens the store (`config.db`, else in memory) with `config.faults`, sets
/// up the keys and the admin secret, binds `config.addr` and serves in a background task.
pub async fn start(config: Config) -> Result<Running, ServerError> {
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServerError::Io {
            addr: config.addr.to_string(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Io {
        addr: config.addr.to_string(),
        source,
    })?;
    let host = if addr.ip().is_unspecified() {
        SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
    } else {
        addr
    };
    let url = format!("http://{host}");
    let Config {
        db,
        keys,
        admin_secret,
        faults,
        log_requests,
        ..
    } = config;
    let origin = url.clone();
    let app = state::blocking(move || -> Result<state::App, ServerError> {
        let mut store = match &db {
            Some(path) => Store::open(path)?,
            None => Store::in_memory()?,
        };
        store.set_faults(faults);
        let keys = state::server_keys(&store, keys)?;
        let secret = admin_secret.unwrap_or_else(new_secret);
        state::App::new(store, keys, origin, secret, log_requests)
    })
    .await
    .map_err(ServerError::Task)??;
    let app = Arc::new(app);
    let (stop, stopped) = oneshot::channel::<()>();
    let service = router(Arc::clone(&app));
    let task = tokio::spawn(async move {
        axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Running {
        app,
        addr,
        url,
        stop: Some(stop),
        task: Some(task),
    })
}

impl Running {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its origin, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The content endpoint of an environment, `http://127.0.0.1:PORT/v2/{project}/{env}`.
    pub fn content_endpoint(&self, project: &str, environment: &str) -> String {
        content_endpoint(&self.url, project, environment)
    }

    /// The Management API's URL.
    pub fn management_url(&self) -> String {
        format!("{}{MANAGEMENT_PATH}", self.url)
    }

    /// The admin secret (a secret: print it [`redact`](crate::sandbox::token::redact)ed).
    pub fn admin_secret(&self) -> &str {
        &self.app.admin_secret
    }

    /// The faults switched on.
    pub fn faults(&self) -> Faults {
        self.app.faults
    }

    /// The server's signing keys.
    pub fn keys(&self) -> &KeyRing {
        &self.app.keys
    }

    /// Loads a project in process, exactly as `POST /sandbox/projects` does (default page sizes).
    pub async fn load_project(
        &self,
        project: &str,
        environments: Vec<EnvSpec>,
    ) -> Result<LoadedProject, BulkError> {
        let app = Arc::clone(&self.app);
        let project = project.to_string();
        state::blocking(move || {
            bulk::load_project(&app, &project, &environments, Pagination::default())
        })
        .await
        .map_err(BulkError::Internal)?
    }

    /// The token of every PAT of an environment by name, revoked ones included, as they were
    /// issued (e.g. for a project that a file store kept over a restart).
    pub async fn tokens(
        &self,
        project: &str,
        environment: &str,
    ) -> Result<Vec<(String, String)>, ServerError> {
        let app = Arc::clone(&self.app);
        let (project, environment) = (project.to_string(), environment.to_string());
        state::blocking(move || -> Result<Vec<(String, String)>, ServerError> {
            let store = app.store();
            let Some(key) = store.find(&project, &environment) else {
                return Ok(Vec::new());
            };
            let dir = app.directory(&store);
            let mut out = Vec::new();
            for pat in crate::sandbox::principals::pats(&store, key)
                .map_err(crate::sandbox::manage::directory::DirectoryError::from)?
            {
                out.push((pat.name.clone(), dir.pat_token(key, &pat)?));
            }
            Ok(out)
        })
        .await
        .map_err(ServerError::Task)?
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the server
    /// task to end.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => match task.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(source)) => Err(ServerError::Io {
                    addr: self.addr.to_string(),
                    source,
                }),
                Err(e) => Err(ServerError::Task(e.to_string())),
            },
            None => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn panics_become_errors() {
        let caught = CatchPanic(Box::pin(async { panic!("boom in a handler") })).await;
        let message: Result<(), String> = caught;
        assert_eq!(message.unwrap_err(), "boom in a handler");
        let ok = CatchPanic(Box::pin(async { 7 })).await;
        assert_eq!(ok, Ok(7));
        let blocked: Result<(), String> = state::blocking(|| panic!("boom in the store")).await;
        assert!(blocked.unwrap_err().contains("boom in the store"));
        assert_eq!(state::blocking(|| 5).await, Ok(5));
    }

    #[test]
    fn secrets_are_random_and_long() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), ADMIN_SECRET_LEN);
        assert_ne!(a, b);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    }
}
