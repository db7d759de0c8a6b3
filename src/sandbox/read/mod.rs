//! Reads of the sandbox (spec §6): executes a validated query ([`Validated`]) against the
//! SQLite [`Store`] in ERR-1's order, and reads a mutation's result back (WRITE-7).
//!
//! A query runs in three passes:
//!
//! 1. **Plan** (ERR-1 step 5, the checks the validator leaves to the executor; `plan`): every
//!    `where` at any depth parsed by §5 and LIMIT-1, paging bounds of roots, connections and
//!    relation lists (READ-3, READ-9), `locales: []` anywhere (CTX-2), `documentInStages`'
//!    arguments (READ-7). Any failure is [`ReadError::Invalid`] (a 400), before any permission
//!    check.
//! 2. **Check** (ERR-1 step 6): READ-1 for every root field with its stage (CTX-1: argument,
//!    else `gcms-stage`, else the principal's default) and locale list (CTX-2), and READ-6 for
//!    every relation field below a covered root (any depth, not below `documentInStages`), each
//!    with the inherited stage and locale list (CTX-4). Any denial is [`ReadError::Denied`] (a
//!    403) with one path per denied field, in document order.
//! 3. **Execute** (`exec`): every list of documents is one SQL statement with READ-2's
//!    visibility, the request's `where`, ORDER-1 and paging in it.
//!
//! Supported root fields per model `Post`: `posts(where, orderBy, first, skip, stage, locales)`,
//! `post(where: {id}, stage, locales)` (READ-4), `postsConnection { aggregate { count } edges
//! { node {…} } }` (READ-5) and `__typename`; `__schema` and `__type` are left to the HTTP
//! layer (READ-8). On an entry: `__typename`, the system fields, scalar fields (localized ones
//! in the served locale), single and list relations and reverse fields (DATA-4, READ-6, READ-9,
//! CTX-4) and `documentInStages` (READ-7).
//!
//! The read faults live here: `header-beats-stage-arg` (stage resolution),
//! `paginate-before-filter`, `count-ignores-conditions`, `relation-ignores-grants`,
//! `relation-locale-reset`, `document-in-stages-leak` (in `exec`) and
//! `single-ignores-conditions`; the grant and filter faults in
//! [`principals`](crate::sandbox::principals) and [`sql`](crate::sandbox::sql).

mod check;
mod exec;
mod plan;
mod render;

use serde_json::{Map, Value as Json};

use crate::model::project::{Schema, DRAFT};
use crate::sandbox::faults::Fault;
use crate::sandbox::principals::{Principal, PrincipalError};
use crate::sandbox::schema::{OperationKind, SelectedField, Validated};
use crate::sandbox::sql::CompileError;
use crate::sandbox::store::{EnvKey, Store, StoreError};

use exec::{Access, DocQuery, Exec, Scope};
use plan::{Root, Shape};

/// Why a query could not be answered with `data`.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// READ-1, READ-6: a 403 with one error per denied field, each path the response keys from
    /// the root field to the denied field (no list indices), in document order.
    #[error("not allowed: {paths:?}")]
    Denied {
        /// The `extensions.path` of each error, in document order.
        paths: Vec<Vec<String>>,
    },
    /// Something the executor does not handle: a mutation given to [`execute_query`], or a
    /// selection that does not fit the environment's schema (a validator bug).
    #[error("not supported: {0}")]
    Unsupported(String),
    /// A 400 of ERR-1 step 5 that the validator left to the executor (paging bounds, a `where`
    /// that breaks §5 or LIMIT-1, `locales: []`, …).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading principals or grants failed.
    #[error(transparent)]
    Principals(#[from] PrincipalError),
    /// A filter did not compile.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// Validated `gcms-*` headers (the caller validated them; checked again here so a bad value
/// is a 400 rather than an empty answer).
fn header_locales(
    schema: &Schema,
    headers: Option<Vec<String>>,
) -> Result<Option<Vec<String>>, ReadError> {
    let Some(list) = headers else {
        return Ok(None);
    };
    if list.is_empty() {
        return Err(ReadError::Invalid("gcms-locales is empty".into()));
    }
    let mut out: Vec<String> = Vec::new();
    for l in list {
        if schema.locale(&l).is_none() {
            return Err(ReadError::Invalid(format!(
                "gcms-locales: unknown locale {l:?}"
            )));
        }
        if !out.contains(&l) {
            out.push(l);
        }
    }
    Ok(Some(out))
}

/// Executes a validated query for `principal` in environment `env` and returns its `data`
/// (without the introspection fields, which the HTTP layer answers and merges).
///
/// `headers_stage` and `headers_locales` are the already validated `gcms-stage` and
/// `gcms-locales` headers (CTX-1, CTX-2). Stage: the root field's `stage` argument, else the
/// header, else the principal's default stage; locales: the `locales` argument (duplicates
/// dropped), else the header, else `[default locale]`. See the module docs for the order of
/// the checks: [`ReadError::Invalid`] before [`ReadError::Denied`] before any data.
pub fn execute_query(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    validated: &Validated,
    headers_stage: Option<&str>,
    headers_locales: Option<Vec<String>>,
) -> Result<Json, ReadError> {
    if validated.kind != OperationKind::Query {
        return Err(ReadError::Unsupported("a mutation is not a query".into()));
    }
    let loaded = store.env(env)?;
    let schema = &loaded.schema;
    // ERR-1 step 5.
    let roots = plan::plan_query(schema, loaded.pagination.max, &validated.fields)?;
    if let Some(s) = headers_stage {
        if schema.stage(s).is_none() {
            return Err(ReadError::Invalid(format!(
                "gcms-stage: unknown stage {s:?}"
            )));
        }
    }
    let headers_locales = header_locales(schema, headers_locales)?;
    let ex = Exec::new(store, loaded, principal);
    // CTX-1, CTX-2: each root field's stage and locale list.
    let mut contexts = Vec::with_capacity(roots.len());
    for r in &roots {
        let Root::Model { stage, locales, .. } = r else {
            contexts.push((String::new(), Vec::new()));
            continue;
        };
        let header = headers_stage.map(str::to_string);
        let chosen = if store.has_fault(Fault::HeaderBeatsStageArg) {
            header.or_else(|| stage.clone())
        } else {
            stage.clone().or(header)
        };
        let stage = match chosen {
            Some(s) => s,
            None => ex.default_stage()?,
        };
        let locales = match (locales, &headers_locales) {
            (Some(l), _) | (None, Some(l)) => l.clone(),
            (None, None) => vec![schema.default_locale().to_string()],
        };
        contexts.push((stage, locales));
    }
    // ERR-1 step 6: READ-1 and READ-6, for every root field before execution.
    let mut denied = Vec::new();
    for (r, (stage, locales)) in roots.iter().zip(&contexts) {
        let Root::Model {
            key, model, shape, ..
        } = r
        else {
            continue;
        };
        if ex.covered(*model, stage, locales)? {
            denied.extend(ex.denied_relations(key, shape, stage, locales)?);
        } else {
            denied.push(vec![key.clone()]);
        }
    }
    if !denied.is_empty() {
        return Err(ReadError::Denied { paths: denied });
    }
    // Execution.
    let mut data = Map::new();
    for (r, (stage, locales)) in roots.iter().zip(&contexts) {
        let (key, value) = match r {
            Root::Typename(k) => (k, Json::String("Query".into())),
            Root::Model {
                key, model, shape, ..
            } => {
                let value = match shape {
                    Shape::One { id, sel } => {
                        let mut q = DocQuery::new(*model, stage, locales, Scope::Entry(id));
                        if store.has_fault(Fault::SingleIgnoresConditions) {
                            q.access = Access::Covered;
                        }
                        ex.one(&q, sel)?
                    }
                    Shape::List { args, sel } => {
                        let q = DocQuery::new(*model, stage, locales, Scope::All);
                        ex.list(q, args, sel)?
                    }
                    Shape::Connection { args, parts } => {
                        let q = DocQuery::new(*model, stage, locales, Scope::All);
                        ex.connection(q, args, parts)?
                    }
                };
                (key, value)
            }
        };
        data.insert(key.clone(), value);
    }
    Ok(Json::Object(data))
}

/// ERR-1 step 5 for a mutation's result selection over `model` (api id): the checks
/// [`execute_query`] makes on a query's selection (`where` and paging of relation lists,
/// `locales: []`, `documentInStages`' arguments), for the write executor to run before its
/// permission checks. [`read_back`] makes them too.
pub fn validate_selection(
    store: &Store,
    env: EnvKey,
    model: &str,
    selection: &[SelectedField],
) -> Result<(), ReadError> {
    let loaded = store.env(env)?;
    let schema = &loaded.schema;
    let m = schema
        .model(model)
        .ok_or_else(|| ReadError::Unsupported(format!("model {model}")))?;
    plan::plan_items(schema, loaded.pagination.max, m, selection).map(|_| ())
}

/// WRITE-7's read-back of a mutation's result: entry `entry_id` of `model` as `principal` sees
/// it in `DRAFT` with locales `[default locale]`, rendered with `selection`; `Ok(Json::Null)` when
/// it is not visible (or has no DRAFT document). Relation fields and `documentInStages` below it
/// read as in a query (READ-2, READ-6's filtering, READ-7), but READ-1 and READ-6's checks do not
/// apply: a relation field whose related model no grant covers gives `null` or `[]`, never a
/// 403. A selection that breaks step 5 is [`ReadError::Invalid`] (see [`validate_selection`]).
///
/// Fault `mutation-result-unfiltered` (WRITE-7) renders the entry whatever the grants say.
pub fn read_back(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    model: &str,
    entry_id: &str,
    selection: &[SelectedField],
) -> Result<Json, ReadError> {
    let loaded = store.env(env)?;
    let schema = &loaded.schema;
    let m = schema
        .model(model)
        .ok_or_else(|| ReadError::Unsupported(format!("model {model}")))?;
    let items = plan::plan_items(schema, loaded.pagination.max, m, selection)?;
    let ex = Exec::new(store, loaded, principal);
    let locales = vec![schema.default_locale().to_string()];
    let mut q = DocQuery::new(m, DRAFT, &locales, Scope::Entry(entry_id));
    if store.has_fault(Fault::MutationResultUnfiltered) {
        q.access = Access::Present;
    }
    ex.one(&q, &items)
}
