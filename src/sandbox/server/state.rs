//! The server's shared state: the store behind one mutex (one SQLite connection), the registry
//! of environments with their cached Content API schemas, the signing keys (persisted in the
//! store when generated), the admin secret, and [`blocking`], which runs store work on tokio's
//! blocking pool and turns a panic into an error instead of a dead connection.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use apollo_compiler::collections::HashMap as ApolloMap;
use apollo_compiler::schema::Implementers;
use apollo_compiler::Name;
use rsa::pkcs1::{EncodeRsaPrivateKey as _, LineEnding};

use crate::model::project::Schema;
use crate::sandbox::faults::Faults;
use crate::sandbox::manage::directory::{self, Directory};
use crate::sandbox::manage::ManagementApi;
use crate::sandbox::schema::ContentSchema;
use crate::sandbox::server::ServerError;
use crate::sandbox::store::{quote, EnvKey, LoadedEnv, Store};
use crate::sandbox::token::{KeyRing, SigningKey, GENERATED_KEY_BITS};

/// The table of the server's private keys (PKCS#1 PEM), oldest first; the first signs.
pub const KEYS_TABLE: &str = "tollgate_server_keys";

/// One environment as the HTTP layer sees it: its key and its schemas, built once.
pub struct EnvInfo {
    /// The store's key.
    pub key: EnvKey,
    /// The project id.
    pub project: String,
    /// The environment's name.
    pub name: String,
    /// The model's schema (names of stages, locales, models).
    pub schema: Schema,
    /// The GraphQL schema of the Content API (READ-10), validated.
    pub content: ContentSchema,
    /// The schema's implementers map, for introspection.
    pub implementers: ApolloMap<Name, Implementers>,
}

impl EnvInfo {
    /// Builds the schemas of a loaded environment.
    pub fn new(env: &LoadedEnv) -> Result<EnvInfo, crate::sandbox::schema::SchemaError> {
        let content = ContentSchema::new(&env.schema)?;
        let implementers = content.schema().implementers_map();
        Ok(EnvInfo {
            key: env.key,
            project: env.project.clone(),
            name: env.name.clone(),
            schema: env.schema.clone(),
            content,
            implementers,
        })
    }
}

/// The environments by (project, name).
pub type Registry = HashMap<(String, String), Arc<EnvInfo>>;

/// Everything the handlers share.
pub struct App {
    store: Mutex<Store>,
    registry: RwLock<Registry>,
    /// The signing keys.
    pub keys: KeyRing,
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    /// The admin secret.
    pub admin_secret: String,
    /// The Management API's schema.
    pub management: ManagementApi,
    /// The faults switched on.
    pub faults: Faults,
    /// Print one line per request on stdout.
    pub log_requests: bool,
}

impl App {
    /// The state of a server over `store`: the registry is built from the environments the
    /// store already holds (a reopened file store).
    pub fn new(
        store: Store,
        keys: KeyRing,
        origin: String,
        admin_secret: String,
        log_requests: bool,
    ) -> Result<App, ServerError> {
        directory::ensure_tables(&store)?;
        let mut registry = Registry::new();
        for env in store.envs() {
            let info = EnvInfo::new(env)?;
            registry.insert((env.project.clone(), env.name.clone()), Arc::new(info));
        }
        Ok(App {
            faults: store.faults(),
            store: Mutex::new(store),
            registry: RwLock::new(registry),
            keys,
            origin,
            admin_secret,
            management: ManagementApi::new()?,
            log_requests,
        })
    }

    /// The store, locked. A poisoned lock (a panic while it was held) is taken over: every
    /// store operation is a transaction, so a panic leaves nothing half-written.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An environment by project and name.
    pub fn env(&self, project: &str, name: &str) -> Option<Arc<EnvInfo>> {
        let registry = self.registry.read().unwrap_or_else(|e| e.into_inner());
        registry
            .get(&(project.to_string(), name.to_string()))
            .cloned()
    }

    /// Whether `info` is still the registered environment of its name (it may have been
    /// dropped, or dropped and loaded again, since it was looked up). Call with the store
    /// locked.
    pub fn is_current(&self, store: &Store, info: &Arc<EnvInfo>) -> bool {
        store.find(&info.project, &info.name) == Some(info.key)
            && self
                .env(&info.project, &info.name)
                .is_some_and(|x| Arc::ptr_eq(&x, info))
    }

    /// Registers an environment (after a load).
    pub fn register(&self, info: EnvInfo) {
        let mut registry = self.registry.write().unwrap_or_else(|e| e.into_inner());
        registry.insert((info.project.clone(), info.name.clone()), Arc::new(info));
    }

    /// Forgets an environment (after a drop).
    pub fn unregister(&self, project: &str, name: &str) {
        let mut registry = self.registry.write().unwrap_or_else(|e| e.into_inner());
        registry.remove(&(project.to_string(), name.to_string()));
    }

    /// A directory over a locked store.
    pub fn directory<'a>(&'a self, store: &'a Store) -> Directory<'a> {
        Directory {
            store,
            keys: &self.keys,
            origin: &self.origin,
        }
    }
}

/// The server's keys. With `given` (`--key`), it signs, and the keys kept in the store stay
/// for verification, so tokens issued before still verify. Without, the first key kept in the
/// store signs; a store without one gets a freshly generated key, recorded in it so that a
/// file store's tokens survive a restart.
pub fn server_keys(store: &Store, given: Option<KeyRing>) -> Result<KeyRing, ServerError> {
    let conn = store.conn();
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {} (\"seq\" INTEGER PRIMARY KEY, \"pem\" TEXT NOT NULL) STRICT;",
        quote(KEYS_TABLE)
    ))?;
    let stored: Vec<String> = {
        let mut st = conn.prepare(&format!(
            "SELECT \"pem\" FROM {} ORDER BY \"seq\"",
            quote(KEYS_TABLE)
        ))?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()?
    };
    let mut stored_keys = Vec::new();
    for pem in &stored {
        stored_keys.push(SigningKey::from_pem(pem)?);
    }
    let mut ring = match given {
        Some(ring) => ring,
        None => match stored_keys.first() {
            Some(first) => KeyRing::new(first.clone()),
            None => {
                let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), GENERATED_KEY_BITS)
                    .map_err(|e| ServerError::Key(format!("cannot generate an rsa key: {e}")))?;
                let pem = private
                    .to_pkcs1_pem(LineEnding::LF)
                    .map_err(|e| ServerError::Key(format!("cannot encode the key: {e}")))?;
                let pem: &str = &pem;
                conn.execute(
                    &format!("INSERT INTO {} (\"pem\") VALUES (?)", quote(KEYS_TABLE)),
                    [pem],
                )?;
                KeyRing::from_pem(pem)?
            }
        },
    };
    for key in stored_keys {
        if ring.get(key.kid()).is_none() {
            ring.add(key)?;
        }
    }
    Ok(ring)
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic".to_string()
    }
}

/// Runs `f` on tokio's blocking pool (store work, validation). A panic becomes `Err` with its
/// message: the request gets a 500 and the server carries on.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let task = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(AssertUnwindSafe(f))
            .map_err(|p| format!("internal error: {}", panic_message(p.as_ref())))
    });
    match task.await {
        Ok(r) => r,
        Err(e) => Err(format!("internal error: {e}")),
    }
}
