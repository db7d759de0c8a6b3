//! Provisioning a whole project in one call (`POST /sandbox/projects`, and
//! [`Running::load_project`](super::Running::load_project) in process): its environments'
//! schemas, stages, locales, content and principals, all or nothing; and dropping a project.
//!
//! All or nothing, in two phases: the project is first loaded into a **scratch in-memory
//! store** (content by [`Store::load`], DATA-1 and DATA-5; principals by
//! [`principals::load_principals`], PERM-4; the Content API schema built), so every refusal is
//! found before the real store is touched. Only then is it loaded into the server's store; if
//! that fails anyway (a disk error), the environments this call loaded are dropped again
//! ([`Store::drop_env`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::grant::GrantSpec;
use crate::model::spec::EnvSpec;
use crate::sandbox::manage::directory::{self, environment_id};
use crate::sandbox::principals::{self, Principal, PrincipalError};
use crate::sandbox::server::state::{App, EnvInfo};
use crate::sandbox::store::{EnvKey, Pagination, Store, StoreError};
use crate::sandbox::token::{content_endpoint, redact};

/// The longest project id or environment name.
const MAX_NAME: usize = 64;

/// The body of `POST /sandbox/projects`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    /// The project id.
    pub project: String,
    /// Its environments, as a scenario file writes them.
    pub environments: Vec<EnvSpec>,
    /// Its page sizes (READ-3): `{"default": 10, "max": 100}` when absent.
    #[serde(default)]
    pub pagination: Pagination,
}

/// A PAT created by a load, with its token (a secret: `Debug` redacts it).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct LoadedPat {
    /// The PAT's name, as in the spec.
    pub name: String,
    /// Its provisioning id.
    pub id: String,
    /// Its token (a JWT).
    pub token: String,
}

impl fmt::Debug for LoadedPat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedPat")
            .field("name", &self.name)
            .field("id", &self.id)
            .field("token", &redact(&self.token))
            .finish()
    }
}

/// An environment created by a load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadedEnvironment {
    /// Its name.
    pub name: String,
    /// Its opaque id (for the Management API).
    pub id: String,
    /// Its content endpoint.
    pub endpoint: String,
    /// The PATs of its spec, in order (revoked ones included, their tokens rejected).
    pub pats: Vec<LoadedPat>,
    /// The grants the spec gave an `id`, with the id the server gave them: grant ids are the
    /// server's (unique across every project, as Hygraph's are), so a spec's own ids are only
    /// names for the client to map.
    pub grants: Vec<LoadedGrant>,
}

/// A grant a spec named, and the id it was created with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadedGrant {
    /// The id the spec gave it.
    pub case_id: String,
    /// The server's id of the grant.
    pub id: String,
}

impl LoadedEnvironment {
    /// The token of the PAT with a name.
    pub fn token(&self, name: &str) -> Option<&str> {
        self.pats
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.token.as_str())
    }
}

/// The answer of a load: `{"project": …, "environments": […]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadedProject {
    /// The project id.
    pub project: String,
    /// Its environments, in the spec's order.
    pub environments: Vec<LoadedEnvironment>,
}

impl LoadedProject {
    /// The environment with a name.
    pub fn environment(&self, name: &str) -> Option<&LoadedEnvironment> {
        self.environments.iter().find(|e| e.name == name)
    }
}

/// Why a load was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BulkError {
    /// The input breaks a rule (400); nothing was stored.
    #[error("{0}")]
    Invalid(String),
    /// The project already has an environment of that name (409); nothing was stored.
    #[error("{0}")]
    Conflict(String),
    /// The store failed (500); nothing was kept.
    #[error("{0}")]
    Internal(String),
}

/// Whether a project id or environment name can stand as one path segment unencoded.
fn is_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Phase one: the whole project in a scratch store; any refusal names its path.
fn rehearse(project: &str, envs: &[EnvSpec]) -> Result<(), BulkError> {
    let mut scratch = Store::in_memory().map_err(|e| BulkError::Internal(e.to_string()))?;
    for (i, env) in envs.iter().enumerate() {
        // Errors that carry a path (`entries[3] "p1".data.title: …`) are put under the
        // environment's; the others follow it.
        let at = |e: &dyn fmt::Display| BulkError::Invalid(format!("environments[{i}]: {e}"));
        let at_path = |e: &dyn fmt::Display| BulkError::Invalid(format!("environments[{i}].{e}"));
        let key = scratch.load(project, env).map_err(|e| match e {
            StoreError::Refused { .. } => at_path(&e),
            other => at(&other),
        })?;
        let loaded = scratch.env(key).map_err(|e| at(&e))?;
        EnvInfo::new(loaded).map_err(|e| at(&e))?;
        principals::load_principals(&scratch, key, env).map_err(|e| match e {
            PrincipalError::Load { .. } => at_path(&e),
            other => at(&other),
        })?;
    }
    Ok(())
}

/// Loads `project` with `envs` and page sizes `pagination` into the server's store (see the
/// module docs).
pub fn load_project(
    app: &App,
    project: &str,
    envs: &[EnvSpec],
    pagination: Pagination,
) -> Result<LoadedProject, BulkError> {
    pagination.check().map_err(BulkError::Invalid)?;
    if !is_segment(project) {
        return Err(BulkError::Invalid(format!(
            "project: {project:?} is not 1 to {MAX_NAME} ASCII letters, digits, `_` or `-`"
        )));
    }
    if envs.is_empty() {
        return Err(BulkError::Invalid(
            "environments: at least one is needed".into(),
        ));
    }
    for (i, env) in envs.iter().enumerate() {
        if !is_segment(&env.name) {
            return Err(BulkError::Invalid(format!(
                "environments[{i}].name: {:?} is not 1 to {MAX_NAME} ASCII letters, digits, `_` or `-`",
                env.name
            )));
        }
        if envs[..i].iter().any(|e| e.name == env.name) {
            return Err(BulkError::Invalid(format!(
                "environments[{i}].name: {:?} is given twice",
                env.name
            )));
        }
    }
    let mut store = app.store();
    if let Some(env) = envs.iter().find(|e| store.find(project, &e.name).is_some()) {
        return Err(BulkError::Conflict(format!(
            "project {project:?} already has an environment {:?}",
            env.name
        )));
    }
    rehearse(project, envs)?;
    let mut loaded: Vec<EnvKey> = Vec::new();
    let result = load_for_real(app, &mut store, project, envs, pagination, &mut loaded);
    match result {
        Ok((out, infos)) => {
            for info in infos {
                app.register(info);
            }
            Ok(out)
        }
        Err(e) => {
            for key in loaded {
                // Best effort: the load already failed, and each drop is its own transaction.
                let _ = directory::forget_environment(&store, key);
                let _ = store.drop_env(key);
            }
            Err(e)
        }
    }
}

fn load_for_real(
    app: &App,
    store: &mut Store,
    project: &str,
    envs: &[EnvSpec],
    pagination: Pagination,
    loaded: &mut Vec<EnvKey>,
) -> Result<(LoadedProject, Vec<EnvInfo>), BulkError> {
    let internal = |e: &dyn fmt::Display| BulkError::Internal(format!("loading failed: {e}"));
    let mut infos = Vec::new();
    let mut out = LoadedProject {
        project: project.to_string(),
        environments: Vec::new(),
    };
    for env in envs {
        let key = store
            .load_paged(project, env, pagination)
            .map_err(|e| internal(&e))?;
        loaded.push(key);
        // Grant ids are the server's: the spec's own are mapped, never stored (two projects,
        // or two environments of one, may use the same names).
        let mut unnamed = env.clone();
        for g in unnamed
            .public
            .grants
            .iter_mut()
            .chain(unnamed.pats.iter_mut().flat_map(|p| p.grants.iter_mut()))
        {
            g.id = None;
        }
        let pats = principals::load_principals(store, key, &unnamed).map_err(|e| internal(&e))?;
        let mut grants = Vec::new();
        let mut name_grants =
            |principal: &Principal, specs: &[GrantSpec]| -> Result<(), BulkError> {
                let stored =
                    principals::list_grants(store, key, principal).map_err(|e| internal(&e))?;
                for (spec, made) in specs.iter().zip(stored) {
                    if let Some(case_id) = &spec.id {
                        grants.push(LoadedGrant {
                            case_id: case_id.clone(),
                            id: made.id,
                        });
                    }
                }
                Ok(())
            };
        name_grants(&Principal::Public, &env.public.grants)?;
        for (pat, spec) in pats.iter().zip(&env.pats) {
            // A revoked PAT's grants can no longer be listed, nor addressed.
            if !pat.revoked {
                name_grants(&Principal::Pat(pat.id.clone()), &spec.grants)?;
            }
        }
        let info =
            EnvInfo::new(store.env(key).map_err(|e| internal(&e))?).map_err(|e| internal(&e))?;
        let dir = app.directory(store);
        let mut loaded_pats = Vec::new();
        for pat in &pats {
            let token = dir.pat_token(key, pat).map_err(|e| internal(&e))?;
            loaded_pats.push(LoadedPat {
                name: pat.name.clone(),
                id: pat.id.clone(),
                token,
            });
        }
        out.environments.push(LoadedEnvironment {
            name: env.name.clone(),
            id: environment_id(project, &env.name),
            endpoint: content_endpoint(&app.origin, project, &env.name),
            pats: loaded_pats,
            grants,
        });
        infos.push(info);
    }
    Ok((out, infos))
}

/// Drops every environment of a project; `false` when it has none.
pub fn drop_project(app: &App, project: &str) -> Result<bool, BulkError> {
    let mut store = app.store();
    let envs: Vec<(EnvKey, String)> = store
        .envs()
        .iter()
        .filter(|e| e.project == project)
        .map(|e| (e.key, e.name.clone()))
        .collect();
    if envs.is_empty() {
        return Ok(false);
    }
    for (key, name) in envs {
        app.unregister(project, &name);
        directory::forget_environment(&store, key)
            .map_err(|e| BulkError::Internal(e.to_string()))?;
        store
            .drop_env(key)
            .map_err(|e| BulkError::Internal(e.to_string()))?;
    }
    Ok(true)
}
