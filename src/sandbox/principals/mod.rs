//! Principals and content permissions of the sandbox (spec §2, §3, §9): Permanent Auth Tokens,
//! the public principal and their grants, stored in the same SQLite database as the content, and
//! READ visibility (READ-1, READ-2) compiled into SQL.
//!
//! This is the sandbox's own reading of the contract; it shares only the data types
//! ([`GrantSpec`], [`Action`]) and the condition parser with the reference.
//!
//! # Tables
//!
//! Per environment `e{n}` (created on first use, `CREATE TABLE IF NOT EXISTS`):
//!
//! - `"{key}/pats"`: `seq` (rowid, creation order), `id` TEXT unique, `name`, `jti` TEXT unique,
//!   `default_stage` TEXT, `revoked` 0/1. A deleted PAT keeps its row with `revoked = 1`, so its
//!   `jti` stays recorded and is never live again (AUTH-3, AUTH-4).
//! - `"{key}/grants"`: `seq` (rowid, creation order), `id` TEXT unique, `principal` (`PUBLIC` or a
//!   PAT id; generated PAT ids start with `c`, so never collide with it), `action` (`READ`, …),
//!   `model` (NULL = all models), `condition` TEXT NULL (as given, validated), `locales`,
//!   `stages`, `from_stages`, `to_stages` (JSON arrays of api ids, NULL = all; `[]` covers nothing,
//!   PERM-2), `enabled` 0/1.
//! - `"{key}/public"`: one row, the public default stage (`PUBLISHED` until set).
//!
//! Every change is one transaction and is visible to the next statement (AUTH-5 with no delay).
//!
//! # PERM-4
//!
//! [`create_grant`] refuses ([`Refusal`]), creating nothing: a condition that is not exactly one
//! JSON object or does not parse against the model (§5, LIMIT-1, via
//! [`parse_condition`]); a condition without a model; an unknown model, stage or locale; a
//! `READ_VERSIONS` grant with locales, stages or a condition; a stage list on an action that does
//! not take it (`stages` only on READ and UNPUBLISH, `fromStages`/`toStages` only on PUBLISH).
//!
//! # Visibility
//!
//! [`visible_predicate`] compiles READ-2 for (principal, model, stage, requested locales) into a
//! boolean expression over a document row: the served locale L (the first requested locale the
//! document has, or the first requested one for a model without localized fields) must exist,
//! and some enabled READ grant whose model and stage list cover (model, stage) must have L in its
//! locale list (or no list) and a condition that holds in L (compiled by
//! [`sql::compile_with`](crate::sandbox::sql::compile_with) with the store's faults). The grants'
//! model and stage scopes are decided when compiling; only locale coverage and conditions are
//! left to SQL. [`visibility`] asks the same question with
//! options (conditions left out, for faults of the read executor). [`covered`] is READ-1's and
//! READ-6's test (some requested locale covered, conditions aside).
//!
//! Reads and writes take a principal's grants from one place, [`acting_grants`]. Visibility
//! questions only read; inside a caller's transaction (a mutation reading its result back)
//! they run in that transaction.
//!
//! # Faults
//!
//! The grant faults live here: `disabled-grants-honoured`, `public-adds-to-pat`,
//! `grant-locales-ignored` and `empty-stages-mean-all` in the grants a request acts with,
//! `pat-default-stage-ignored` in [`default_stage`], `locale-fallback-on-condition` in
//! [`visibility`]'s served locale.
//!
//! The knobs this follows are those of the default profile: `pat_default_stage` `PUBLISHED`,
//! `pat_default_grant` READ on everything, `unlocalized_locales` on.

use rusqlite::{params, Connection, OptionalExtension};

use crate::model::condition::{parse_condition, Limits};
use crate::model::grant::{Action, GrantSpec};
use crate::model::project::{Schema, PUBLISHED};
use crate::sandbox::faults::{Fault, Faults};
use crate::sandbox::sql::CompileError;
use crate::sandbox::store::{quote, EnvKey, Store, StoreError};
use crate::sandbox::token::new_jti;

/// The `principal` column of the public principal's grants.
const PUBLIC: &str = "PUBLIC";

/// Limits for re-parsing a stored condition: it was validated with the limits in force when it
/// was created, so none apply again.
const STORED: Limits = Limits {
    max_depth: usize::MAX,
    max_size: usize::MAX,
    max_list_len: usize::MAX,
    max_string: usize::MAX,
};

/// A principal of an environment (AUTH-1, AUTH-2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// The public principal.
    Public,
    /// A PAT, by its id.
    Pat(String),
}

impl Principal {
    fn key(&self) -> &str {
        match self {
            Principal::Public => PUBLIC,
            Principal::Pat(id) => id,
        }
    }
}

/// A stored Permanent Auth Token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pat {
    /// Its provisioning id (`c` and 24 lower-case letters and digits).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The `jti` of its JWTs (AUTH-4).
    pub jti: String,
    /// `defaults.stage`.
    pub default_stage: String,
    /// Deleted: its tokens are rejected (AUTH-3).
    pub revoked: bool,
}

/// A stored grant: its id, principal and specification (`spec.id` is the grant's id).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredGrant {
    /// The grant's id.
    pub id: String,
    /// Whose grant it is.
    pub principal: Principal,
    /// What it grants, by names, as created (with `enabled` as it is now).
    pub spec: GrantSpec,
}

/// Why PERM-4 refuses a grant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The condition is not one JSON object, or breaks §5 or LIMIT-1.
    #[error("condition: {0}")]
    Condition(String),
    /// A condition without a model.
    #[error("a condition needs a model")]
    ConditionWithoutModel,
    /// A model the environment lacks.
    #[error("model {0:?} does not exist")]
    UnknownModel(String),
    /// A stage the environment lacks.
    #[error("{list}: stage {stage:?} does not exist")]
    UnknownStage {
        /// `stages`, `fromStages` or `toStages`.
        list: &'static str,
        /// The stage named.
        stage: String,
    },
    /// A locale the environment lacks.
    #[error("locale {0:?} does not exist")]
    UnknownLocale(String),
    /// A READ_VERSIONS grant with locales, stages or a condition (PERM-4, PERM-6).
    #[error("READ_VERSIONS takes no locales, stages or condition")]
    ReadVersionsScoped,
    /// A stage list the action does not take.
    #[error("{action} takes no `{list}`")]
    StagesNotTaken {
        /// The action's name.
        action: &'static str,
        /// The list given.
        list: &'static str,
    },
    /// A grant id already used in the environment.
    #[error("grant id {0:?} is already used")]
    DuplicateId(String),
}

/// Why a principals operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PrincipalError {
    /// PERM-4 refused a grant; nothing was created.
    #[error("grant refused: {0}")]
    Refused(#[from] Refusal),
    /// No live PAT with that id (never created, or deleted).
    #[error("no live PAT {0:?}")]
    UnknownPat(String),
    /// No grant with that id.
    #[error("no grant {0:?}")]
    UnknownGrant(String),
    /// A default stage the environment lacks.
    #[error("stage {0:?} does not exist")]
    UnknownStage(String),
    /// A model the environment lacks (in a visibility question).
    #[error("model {0:?} does not exist")]
    UnknownModel(String),
    /// Loading a case's principals failed; nothing was stored.
    #[error("{path}: {source}")]
    Load {
        /// Where in the case, e.g. `pats[1].grants[0]`.
        path: String,
        /// Why.
        #[source]
        source: Box<PrincipalError>,
    },
    /// A stored row could not be read back (a bug, or a database edited by hand).
    #[error("corrupt principals table: {0}")]
    Corrupt(String),
    /// A condition did not compile into SQL.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn sql_err(doing: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> PrincipalError {
    let doing = doing.into();
    move |source| PrincipalError::Store(StoreError::Sql { doing, source })
}

fn pats_table(env: EnvKey) -> String {
    quote(&format!("{env}/pats"))
}

fn grants_table(env: EnvKey) -> String {
    quote(&format!("{env}/grants"))
}

fn public_table(env: EnvKey) -> String {
    quote(&format!("{env}/public"))
}

/// A fresh id: `c` and 24 random lower-case letters and digits (the shape of DATA-2's ids).
fn new_id() -> String {
    let mut id = String::from("c");
    id.extend(new_jti().chars().take(24));
    id
}

/// Creates the environment's principal tables if missing (a read when they exist, so that
/// visibility questions do not write).
fn ensure(conn: &Connection, env: EnvKey) -> Result<(), PrincipalError> {
    let present: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM \"sqlite_master\" WHERE \"type\" = 'table' AND \"name\" = ?",
            [format!("{env}/public")],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql_err("looking for the principal tables"))?;
    if present.is_some() {
        return Ok(());
    }
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {pats} (
           \"seq\" INTEGER PRIMARY KEY, \"id\" TEXT NOT NULL UNIQUE, \"name\" TEXT NOT NULL,
           \"jti\" TEXT NOT NULL UNIQUE, \"default_stage\" TEXT NOT NULL,
           \"revoked\" INTEGER NOT NULL CHECK (\"revoked\" IN (0, 1))) STRICT;
         CREATE TABLE IF NOT EXISTS {grants} (
           \"seq\" INTEGER PRIMARY KEY, \"id\" TEXT NOT NULL UNIQUE, \"principal\" TEXT NOT NULL,
           \"action\" TEXT NOT NULL, \"model\" TEXT, \"condition\" TEXT, \"locales\" TEXT,
           \"stages\" TEXT, \"from_stages\" TEXT, \"to_stages\" TEXT,
           \"enabled\" INTEGER NOT NULL CHECK (\"enabled\" IN (0, 1))) STRICT;
         CREATE INDEX IF NOT EXISTS {grants_idx} ON {grants} (\"principal\");
         CREATE TABLE IF NOT EXISTS {public} (
           \"one\" INTEGER PRIMARY KEY CHECK (\"one\" = 1), \"default_stage\" TEXT NOT NULL) STRICT;
         INSERT OR IGNORE INTO {public} (\"one\", \"default_stage\") VALUES (1, '{PUBLISHED}');",
        pats = pats_table(env),
        grants = grants_table(env),
        grants_idx = quote(&format!("{env}/grants/principal")),
        public = public_table(env),
    ))
    .map_err(sql_err(format!("creating the principal tables of {env}")))
}

/// Runs `f` in one transaction on the store's connection, after making sure the tables exist;
/// commits on success, rolls back otherwise. When the connection is already inside a
/// transaction (not in autocommit mode), `f` runs in that one instead.
fn in_tx<T>(
    store: &Store,
    env: EnvKey,
    f: impl FnOnce(&Connection, &Schema) -> Result<T, PrincipalError>,
) -> Result<T, PrincipalError> {
    let schema = &store.env(env)?.schema;
    let conn = store.conn();
    if !conn.is_autocommit() {
        // Inside a caller's transaction (a mutation reading its result back, WRITE-7): run in
        // it; the caller commits or rolls back.
        ensure(conn, env)?;
        return f(conn, schema);
    }
    let tx = conn
        .unchecked_transaction()
        .map_err(sql_err("starting a transaction"))?;
    ensure(&tx, env)?;
    let out = f(&tx, schema)?;
    tx.commit().map_err(sql_err("committing"))?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// PATs and the public principal

fn insert_pat(
    conn: &Connection,
    env: EnvKey,
    schema: &Schema,
    name: &str,
    default_stage: Option<&str>,
) -> Result<Pat, PrincipalError> {
    let stage = default_stage.unwrap_or(PUBLISHED);
    if schema.stage(stage).is_none() {
        return Err(PrincipalError::UnknownStage(stage.to_string()));
    }
    let pat = Pat {
        id: new_id(),
        name: name.to_string(),
        jti: new_jti(),
        default_stage: stage.to_string(),
        revoked: false,
    };
    conn.execute(
        &format!(
            "INSERT INTO {} (\"id\", \"name\", \"jti\", \"default_stage\", \"revoked\") \
             VALUES (?, ?, ?, ?, 0)",
            pats_table(env)
        ),
        params![pat.id, pat.name, pat.jti, pat.default_stage],
    )
    .map_err(sql_err(format!("creating PAT {name:?}")))?;
    Ok(pat)
}

/// `createPermanentAuthToken`: a new live PAT with a fresh id and `jti`, default stage
/// `default_stage` (`PUBLISHED` when `None`, AUTH-2), holding PERM-5's default grant: one enabled
/// `READ` grant on all models, all locales, all stages.
pub fn create_pat(
    store: &Store,
    env: EnvKey,
    name: &str,
    default_stage: Option<&str>,
) -> Result<Pat, PrincipalError> {
    in_tx(store, env, |conn, schema| {
        let pat = insert_pat(conn, env, schema, name, default_stage)?;
        let default_grant = GrantSpec::all(Action::Read);
        insert_grant(
            conn,
            env,
            schema,
            &Principal::Pat(pat.id.clone()),
            &default_grant,
            &Limits::SPEC,
        )?;
        Ok(pat)
    })
}

fn pat_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Pat> {
    Ok(Pat {
        id: r.get(0)?,
        name: r.get(1)?,
        jti: r.get(2)?,
        default_stage: r.get(3)?,
        revoked: r.get::<_, i64>(4)? != 0,
    })
}

const PAT_COLUMNS: &str = "\"id\", \"name\", \"jti\", \"default_stage\", \"revoked\"";

fn find_pat(
    conn: &Connection,
    env: EnvKey,
    column: &str,
    value: &str,
) -> Result<Option<Pat>, PrincipalError> {
    conn.query_row(
        &format!(
            "SELECT {PAT_COLUMNS} FROM {} WHERE {} = ?",
            pats_table(env),
            quote(column)
        ),
        [value],
        pat_row,
    )
    .optional()
    .map_err(sql_err("reading a PAT"))
}

fn live_pat(conn: &Connection, env: EnvKey, id: &str) -> Result<Pat, PrincipalError> {
    match find_pat(conn, env, "id", id)? {
        Some(p) if !p.revoked => Ok(p),
        _ => Err(PrincipalError::UnknownPat(id.to_string())),
    }
}

/// `deletePermanentAuthToken`: revokes a live PAT. Its row stays, marked revoked, so
/// [`is_live`] is false for its `jti` from now on (AUTH-3, AUTH-4, AUTH-5); its grants are
/// deleted.
pub fn delete_pat(store: &Store, env: EnvKey, id: &str) -> Result<(), PrincipalError> {
    in_tx(store, env, |conn, _| revoke(conn, env, id))
}

fn revoke(conn: &Connection, env: EnvKey, id: &str) -> Result<(), PrincipalError> {
    live_pat(conn, env, id)?;
    conn.execute(
        &format!(
            "UPDATE {} SET \"revoked\" = 1 WHERE \"id\" = ?",
            pats_table(env)
        ),
        [id],
    )
    .map_err(sql_err(format!("revoking PAT {id:?}")))?;
    conn.execute(
        &format!("DELETE FROM {} WHERE \"principal\" = ?", grants_table(env)),
        [id],
    )
    .map_err(sql_err(format!("deleting the grants of PAT {id:?}")))?;
    Ok(())
}

/// AUTH-3's last test: whether `jti` names a live (created, not deleted) PAT of `env`.
pub fn is_live(store: &Store, env: EnvKey, jti: &str) -> Result<bool, PrincipalError> {
    Ok(pat_by_jti(store, env, jti)?.is_some_and(|p| !p.revoked))
}

/// The PAT (live or revoked) whose tokens carry `jti`.
pub fn pat_by_jti(store: &Store, env: EnvKey, jti: &str) -> Result<Option<Pat>, PrincipalError> {
    in_tx(store, env, |conn, _| find_pat(conn, env, "jti", jti))
}

/// The PATs of `env` (revoked ones included) in creation order.
pub fn pats(store: &Store, env: EnvKey) -> Result<Vec<Pat>, PrincipalError> {
    in_tx(store, env, |conn, _| {
        let mut st = conn
            .prepare(&format!(
                "SELECT {PAT_COLUMNS} FROM {} ORDER BY \"seq\"",
                pats_table(env)
            ))
            .map_err(sql_err("listing PATs"))?;
        let rows = st.query_map([], pat_row).map_err(sql_err("listing PATs"))?;
        rows.collect::<rusqlite::Result<Vec<Pat>>>()
            .map_err(sql_err("listing PATs"))
    })
}

/// The live PAT of `env` with a name (the first created, if several share it).
pub fn pat_by_name(store: &Store, env: EnvKey, name: &str) -> Result<Option<Pat>, PrincipalError> {
    Ok(pats(store, env)?
        .into_iter()
        .find(|p| p.name == name && !p.revoked))
}

fn set_default_stage_in(
    conn: &Connection,
    env: EnvKey,
    schema: &Schema,
    principal: &Principal,
    stage: &str,
) -> Result<(), PrincipalError> {
    if schema.stage(stage).is_none() {
        return Err(PrincipalError::UnknownStage(stage.to_string()));
    }
    match principal {
        Principal::Public => conn.execute(
            &format!("UPDATE {} SET \"default_stage\" = ?", public_table(env)),
            [stage],
        ),
        Principal::Pat(id) => {
            live_pat(conn, env, id)?;
            conn.execute(
                &format!(
                    "UPDATE {} SET \"default_stage\" = ? WHERE \"id\" = ?",
                    pats_table(env)
                ),
                [stage, id.as_str()],
            )
        }
    }
    .map_err(sql_err("setting a default stage"))?;
    Ok(())
}

/// `updatePublicEndpoint` (public principal) or a PAT's `defaults.stage` (CTX-1).
pub fn set_default_stage(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    stage: &str,
) -> Result<(), PrincipalError> {
    in_tx(store, env, |conn, schema| {
        set_default_stage_in(conn, env, schema, principal, stage)
    })
}

/// A principal's default stage (CTX-1): the public default stage, or the PAT's `defaults.stage`.
/// Fault `pat-default-stage-ignored` answers the public default stage for a PAT too.
pub fn default_stage(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
) -> Result<String, PrincipalError> {
    let faults = store.faults();
    in_tx(store, env, |conn, _| {
        default_stage_in(conn, env, principal, faults)
    })
}

fn default_stage_in(
    conn: &Connection,
    env: EnvKey,
    principal: &Principal,
    faults: Faults,
) -> Result<String, PrincipalError> {
    match principal {
        Principal::Public => conn
            .query_row(
                &format!("SELECT \"default_stage\" FROM {}", public_table(env)),
                [],
                |r| r.get(0),
            )
            .map_err(sql_err("reading the public default stage")),
        Principal::Pat(id) => {
            let pat = live_pat(conn, env, id)?;
            if faults.has(Fault::PatDefaultStageIgnored) {
                // The bug: the PAT's own default is never consulted.
                return default_stage_in(conn, env, &Principal::Public, Faults::NONE);
            }
            Ok(pat.default_stage)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Grants

/// PERM-4, independently of the reference: the refusal for `spec` in `schema`, if any.
pub fn validate_grant(schema: &Schema, spec: &GrantSpec, limits: &Limits) -> Result<(), Refusal> {
    let model = match &spec.model {
        None => None,
        Some(m) => Some(
            schema
                .model(m)
                .ok_or_else(|| Refusal::UnknownModel(m.clone()))?,
        ),
    };
    if spec.action == Action::ReadVersions
        && (spec.locales.is_some()
            || spec.condition.is_some()
            || spec.stages.is_some()
            || spec.from_stages.is_some()
            || spec.to_stages.is_some())
    {
        return Err(Refusal::ReadVersionsScoped);
    }
    let takes_stages = matches!(spec.action, Action::Read | Action::Unpublish);
    let takes_publish = spec.action == Action::Publish;
    let lists: [(&'static str, &Option<Vec<String>>, bool); 3] = [
        ("stages", &spec.stages, takes_stages),
        ("fromStages", &spec.from_stages, takes_publish),
        ("toStages", &spec.to_stages, takes_publish),
    ];
    for (list, stages, taken) in lists {
        let Some(stages) = stages else { continue };
        if !taken {
            return Err(Refusal::StagesNotTaken {
                action: spec.action.name(),
                list,
            });
        }
        if let Some(s) = stages.iter().find(|s| schema.stage(s).is_none()) {
            return Err(Refusal::UnknownStage {
                list,
                stage: s.clone(),
            });
        }
    }
    if let Some(l) = spec
        .locales
        .iter()
        .flatten()
        .find(|l| schema.locale(l).is_none())
    {
        return Err(Refusal::UnknownLocale(l.clone()));
    }
    if let Some(text) = &spec.condition {
        let Some(m) = model else {
            return Err(Refusal::ConditionWithoutModel);
        };
        parse_condition(schema, m, text, limits).map_err(|e| Refusal::Condition(e.to_string()))?;
    }
    Ok(())
}

fn json_list(list: &Option<Vec<String>>) -> Result<Option<String>, PrincipalError> {
    list.as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| PrincipalError::Corrupt(format!("cannot encode a list: {e}")))
}

fn insert_grant(
    conn: &Connection,
    env: EnvKey,
    schema: &Schema,
    principal: &Principal,
    spec: &GrantSpec,
    limits: &Limits,
) -> Result<String, PrincipalError> {
    if let Principal::Pat(id) = principal {
        live_pat(conn, env, id)?;
    }
    validate_grant(schema, spec, limits)?;
    let id = match &spec.id {
        Some(id) => {
            let used: Option<i64> = conn
                .query_row(
                    &format!("SELECT 1 FROM {} WHERE \"id\" = ?", grants_table(env)),
                    [id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql_err("checking a grant id"))?;
            if used.is_some() {
                return Err(Refusal::DuplicateId(id.clone()).into());
            }
            id.clone()
        }
        None => new_id(),
    };
    conn.execute(
        &format!(
            "INSERT INTO {} (\"id\", \"principal\", \"action\", \"model\", \"condition\", \
             \"locales\", \"stages\", \"from_stages\", \"to_stages\", \"enabled\") \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            grants_table(env)
        ),
        params![
            id,
            principal.key(),
            spec.action.name(),
            spec.model,
            spec.condition,
            json_list(&spec.locales)?,
            json_list(&spec.stages)?,
            json_list(&spec.from_stages)?,
            json_list(&spec.to_stages)?,
            i64::from(spec.enabled),
        ],
    )
    .map_err(sql_err("creating a grant"))?;
    Ok(id)
}

/// `create…ContentPermission`: validates `spec` by PERM-4 (LIMIT-1 at the spec's values) and
/// stores it for `principal`; returns the grant's id (`spec.id` when given, else a fresh one).
/// A refusal ([`PrincipalError::Refused`]) creates nothing.
pub fn create_grant(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    spec: &GrantSpec,
) -> Result<String, PrincipalError> {
    create_grant_with_limits(store, env, principal, spec, &Limits::SPEC)
}

/// [`create_grant`] with LIMIT-1 bounds of a profile's own.
pub fn create_grant_with_limits(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    spec: &GrantSpec,
    limits: &Limits,
) -> Result<String, PrincipalError> {
    in_tx(store, env, |conn, schema| {
        insert_grant(conn, env, schema, principal, spec, limits)
    })
}

/// `updateContentPermissionEnabled` (PERM-1).
pub fn set_grant_enabled(
    store: &Store,
    env: EnvKey,
    grant: &str,
    enabled: bool,
) -> Result<(), PrincipalError> {
    in_tx(store, env, |conn, _| {
        let n = conn
            .execute(
                &format!(
                    "UPDATE {} SET \"enabled\" = ? WHERE \"id\" = ?",
                    grants_table(env)
                ),
                params![i64::from(enabled), grant],
            )
            .map_err(sql_err("enabling a grant"))?;
        if n == 0 {
            return Err(PrincipalError::UnknownGrant(grant.to_string()));
        }
        Ok(())
    })
}

/// `deleteContentPermission`.
pub fn delete_grant(store: &Store, env: EnvKey, grant: &str) -> Result<(), PrincipalError> {
    in_tx(store, env, |conn, _| {
        let n = conn
            .execute(
                &format!("DELETE FROM {} WHERE \"id\" = ?", grants_table(env)),
                [grant],
            )
            .map_err(sql_err("deleting a grant"))?;
        if n == 0 {
            return Err(PrincipalError::UnknownGrant(grant.to_string()));
        }
        Ok(())
    })
}

fn parse_list(text: Option<String>) -> Result<Option<Vec<String>>, PrincipalError> {
    text.map(|t| serde_json::from_str::<Vec<String>>(&t))
        .transpose()
        .map_err(|e| PrincipalError::Corrupt(format!("a stored list: {e}")))
}

fn parse_action(name: &str) -> Result<Action, PrincipalError> {
    Action::ALL
        .into_iter()
        .find(|a| a.name() == name)
        .ok_or_else(|| PrincipalError::Corrupt(format!("action {name:?}")))
}

type GrantRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

fn grants_in(
    conn: &Connection,
    env: EnvKey,
    principal: &Principal,
) -> Result<Vec<StoredGrant>, PrincipalError> {
    if let Principal::Pat(id) = principal {
        live_pat(conn, env, id)?;
    }
    let mut st = conn
        .prepare_cached(&format!(
            "SELECT \"id\", \"principal\", \"action\", \"model\", \"condition\", \"locales\", \
             \"stages\", \"from_stages\", \"to_stages\", \"enabled\" FROM {} \
             WHERE \"principal\" = ? ORDER BY \"seq\"",
            grants_table(env)
        ))
        .map_err(sql_err("listing grants"))?;
    let rows = st
        .query_map([principal.key()], |r| {
            Ok::<GrantRow, rusqlite::Error>((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ))
        })
        .map_err(sql_err("listing grants"))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, _, action, model, condition, locales, stages, from, to, enabled) =
            row.map_err(sql_err("listing grants"))?;
        out.push(StoredGrant {
            principal: principal.clone(),
            spec: GrantSpec {
                id: Some(id.clone()),
                action: parse_action(&action)?,
                model,
                condition,
                locales: parse_list(locales)?,
                stages: parse_list(stages)?,
                from_stages: parse_list(from)?,
                to_stages: parse_list(to)?,
                enabled: enabled != 0,
            },
            id,
        });
    }
    Ok(out)
}

/// A principal's grants in creation order, enabled or not (`contentPermissions`).
pub fn list_grants(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
) -> Result<Vec<StoredGrant>, PrincipalError> {
    in_tx(store, env, |conn, _| grants_in(conn, env, principal))
}

/// Puts a case's principals (§9) into `env`, in one transaction (a refusal stores nothing): the
/// public default stage and exactly the public grants; each PAT with exactly its grants (no
/// PERM-5 default grant, as a harness deletes it) and its default stage (`PUBLISHED` when none);
/// a `revoked` PAT is created and then deleted. Meant for an environment without principals yet:
/// it adds to what is there. Returns the PATs created, in the case's order.
pub fn load_principals(
    store: &Store,
    env: EnvKey,
    spec: &crate::model::spec::EnvSpec,
) -> Result<Vec<Pat>, PrincipalError> {
    let at = |path: String| {
        move |e: PrincipalError| PrincipalError::Load {
            path,
            source: Box::new(e),
        }
    };
    in_tx(store, env, |conn, schema| {
        if let Some(s) = &spec.public.default_stage {
            set_default_stage_in(conn, env, schema, &Principal::Public, s)
                .map_err(at("public.default_stage".into()))?;
        }
        for (i, g) in spec.public.grants.iter().enumerate() {
            insert_grant(conn, env, schema, &Principal::Public, g, &Limits::SPEC)
                .map_err(at(format!("public.grants[{i}]")))?;
        }
        let mut out = Vec::new();
        for (pi, p) in spec.pats.iter().enumerate() {
            let mut pat = insert_pat(conn, env, schema, &p.name, p.default_stage.as_deref())
                .map_err(at(format!("pats[{pi}]")))?;
            let principal = Principal::Pat(pat.id.clone());
            for (i, g) in p.grants.iter().enumerate() {
                insert_grant(conn, env, schema, &principal, g, &Limits::SPEC)
                    .map_err(at(format!("pats[{pi}].grants[{i}]")))?;
            }
            if p.revoked {
                revoke(conn, env, &pat.id).map_err(at(format!("pats[{pi}]")))?;
                pat.revoked = true;
            }
            out.push(pat);
        }
        Ok(out)
    })
}

mod visibility;

pub use visibility::{
    acting_grants, covered, visibility, visible_predicate, Visibility, VisibilityQuery,
};

#[cfg(test)]
mod tests;
