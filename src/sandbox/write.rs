//! Mutations of the sandbox (spec §7): `create/update/delete/publish/unpublish<Model>` executed
//! in SQLite transactions, with WRITE-0's model-level check, the requirements of §7's table
//! checked against grants compiled into SQL, and WRITE-8's atomicity.
//!
//! **Not yet implemented**: this is the interface the HTTP layer is written against; every
//! mutation is answered [`WriteError::Unsupported`].

use serde_json::Value as Json;

use crate::op::FailedAction;
use crate::sandbox::principals::{Principal, PrincipalError};
use crate::sandbox::schema::{OperationKind, Validated};
use crate::sandbox::store::{EnvKey, Store, StoreError};

/// Why a mutation could not be answered with `data`.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A 403 `Mutation failed due to permission errors` with every failed (action, model,
    /// stage), sorted and distinct (§7, WRITE-0, WRITE-11).
    #[error("mutation failed due to permission errors: {failed_actions:?}")]
    Denied {
        /// The failed actions.
        failed_actions: Vec<FailedAction>,
    },
    /// A 400 (ERR-1 step 5 checks left to the executor, or step 7's data checks).
    #[error("invalid mutation: {0}")]
    Invalid(String),
    /// Not implemented yet.
    #[error("not supported yet: {0}")]
    Unsupported(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading principals or grants failed.
    #[error(transparent)]
    Principals(#[from] PrincipalError),
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// Executes a validated mutation for `principal` in environment `env` and returns its `data`.
/// A denied or failed mutation changes nothing (WRITE-8).
pub fn execute_mutation(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    validated: &Validated,
) -> Result<Json, WriteError> {
    let _ = (store, env, principal);
    if validated.kind != OperationKind::Mutation {
        return Err(WriteError::Unsupported("a query".into()));
    }
    Err(WriteError::Unsupported("mutations".into()))
}
