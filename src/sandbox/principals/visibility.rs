//! READ visibility (READ-1, READ-2) compiled into SQL, and the grants a request acts with
//! ([`acting_grants`]): see the [module docs](super) for the scheme and the faults that live
//! here.

use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;

use crate::model::condition::parse_condition;
use crate::model::grant::{Action, GrantSpec};
use crate::model::project::Schema;
use crate::sandbox::faults::{Fault, Faults};
use crate::sandbox::principals::{grants_in, in_tx, Principal, PrincipalError, STORED};
use crate::sandbox::sql::{self, served_locale, Compiled, LocaleSql};
use crate::sandbox::store::{quote, EnvKey, Store};

/// The grants a request by `principal` acts with for `action`: its enabled grants of that action
/// (PERM-1), in creation order; only its own (AUTH-1: public grants never apply to a PAT). A PAT
/// that does not exist or is revoked holds nothing. Faults `disabled-grants-honoured`,
/// `public-adds-to-pat`, `grant-locales-ignored` (every locale list read as "all") and
/// `empty-stages-mean-all` (a `[]` stage list read as "all") change this set, for reads and
/// writes alike.
fn acting_grants_in(
    conn: &Connection,
    env: EnvKey,
    faults: Faults,
    principal: &Principal,
    action: Action,
) -> Result<Vec<GrantSpec>, PrincipalError> {
    let mut grants = match grants_in(conn, env, principal) {
        Ok(g) => g,
        Err(PrincipalError::UnknownPat(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    if faults.has(Fault::PublicAddsToPat) && *principal != Principal::Public {
        grants.extend(grants_in(conn, env, &Principal::Public)?);
    }
    let honour_disabled = faults.has(Fault::DisabledGrantsHonoured);
    let ignore_locales = faults.has(Fault::GrantLocalesIgnored);
    let empty_means_all = faults.has(Fault::EmptyStagesMeanAll);
    Ok(grants
        .into_iter()
        .map(|g| g.spec)
        .filter(|g| g.action == action && (g.enabled || honour_disabled))
        .map(|mut g| {
            if ignore_locales {
                g.locales = None;
            }
            if empty_means_all {
                for list in [&mut g.stages, &mut g.from_stages, &mut g.to_stages] {
                    if list.as_ref().is_some_and(Vec::is_empty) {
                        *list = None;
                    }
                }
            }
            g
        })
        .collect())
}

/// The grants a request by `principal` acts with for `action` (see the module docs): enabled
/// (PERM-1), the principal's own (AUTH-1), in creation order. Readers and writers both take
/// their grants from here.
pub fn acting_grants(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    action: Action,
) -> Result<Vec<GrantSpec>, PrincipalError> {
    let faults = store.faults();
    in_tx(store, env, |conn, _| {
        acting_grants_in(conn, env, faults, principal, action)
    })
}

/// The principal's enabled READ grants whose model and stage list cover (`model`, `stage`)
/// (PERM-1, PERM-2; `[]` covers nothing).
fn read_grants(
    conn: &Connection,
    env: EnvKey,
    faults: Faults,
    principal: &Principal,
    model: &str,
    stage: &str,
) -> Result<Vec<GrantSpec>, PrincipalError> {
    let grants = acting_grants_in(conn, env, faults, principal, Action::Read)?;
    Ok(grants
        .into_iter()
        .filter(|g| {
            g.model.as_deref().is_none_or(|m| m == model)
                && g.stages
                    .as_ref()
                    .is_none_or(|s| s.iter().any(|x| x == stage))
        })
        .collect())
}

/// READ-2 as SQL for one (principal, model, stage, requested locales).
#[derive(Debug, Clone, PartialEq)]
pub struct Visibility {
    /// True (1) exactly when the document row is visible; never NULL.
    pub visible: Compiled,
    /// The locale the row is served in (NULL when it has none of the requested locales).
    pub served: Compiled,
}

/// One READ-2 question for [`visibility`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisibilityQuery<'a> {
    /// The model's api id.
    pub model: &'a str,
    /// The stage whose grants apply: the stage of the rows tested (the caller restricts the
    /// rows to a stage itself).
    pub stage: &'a str,
    /// The requested locales, in preference order (CTX-2, CTX-4).
    pub locales: &'a [String],
    /// The alias of the `doc` row tested.
    pub alias: &'a str,
    /// Whether grant conditions take part (READ-2). Without them the predicate is READ-1's
    /// coverage of the row's served locale: model, stage and locale lists only.
    pub conditions: bool,
}

/// READ-2 compiled: over the `doc` row aliased `alias` of `model` in `stage` (the caller
/// restricts the rows to `stage`), `visible` is true exactly when the document is visible to
/// `principal` for the requested `locales` (in preference order), and `served` is the locale it
/// is served in. For example:
/// `SELECT d.entry_id, <served> FROM doc d WHERE d.stage = ? AND <visible> AND <where>`, binding
/// in textual order `served.params`, the stage, `visible.params`, then the request's parameters.
/// `<where>` should read localized fields in the served locale too: compile it with
/// `served` as its locale ([`LocaleSql::Expr`]).
///
/// A PAT that does not exist or is revoked holds no grant: `visible` is `0`.
pub fn visible_predicate(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    model: &str,
    stage: &str,
    locales: &[String],
    alias: &str,
) -> Result<Visibility, PrincipalError> {
    visibility(
        store,
        env,
        principal,
        &VisibilityQuery {
            model,
            stage,
            locales,
            alias,
            conditions: true,
        },
    )
}

/// [`visible_predicate`] for a [`VisibilityQuery`] (which may leave grant conditions out).
///
/// Fault `locale-fallback-on-condition`: the served locale becomes the first requested locale
/// the document has **and is visible in** (some grant covers it and its condition holds there),
/// so an entry hidden in its first present locale shows in a later one.
pub fn visibility(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    q: &VisibilityQuery<'_>,
) -> Result<Visibility, PrincipalError> {
    let schema = &store.env(env)?.schema;
    let m = schema
        .model(q.model)
        .ok_or_else(|| PrincipalError::UnknownModel(q.model.to_string()))?;
    let faults = store.faults();
    let grants = in_tx(store, env, |conn, _| {
        read_grants(conn, env, faults, principal, q.model, q.stage)
    })?;
    if q.conditions && faults.has(Fault::LocaleFallbackOnCondition) {
        return fallback_visibility(store, env, schema, m, &grants, q);
    }
    let locale = served_locale(env, schema, m, q.alias, q.locales)?;
    let served = match &locale {
        LocaleSql::Bound(l) => Compiled {
            sql: "?".into(),
            params: vec![SqlValue::Text(l.clone())],
        },
        LocaleSql::Expr { sql, params } => Compiled {
            sql: format!("({sql})"),
            params: params.clone(),
        },
    };
    let mut alternatives = Vec::new();
    let mut params = Vec::new();
    for g in &grants {
        let mut parts = Vec::new();
        if let Some(list) = &g.locales {
            match &locale {
                LocaleSql::Bound(l) => {
                    if !list.contains(l) {
                        continue;
                    }
                }
                LocaleSql::Expr { .. } => {
                    if list.is_empty() {
                        continue;
                    }
                    let marks = vec!["?"; list.len()].join(", ");
                    parts.push(format!("COALESCE({} IN ({marks}), 0)", served.sql));
                    params.extend(served.params.iter().cloned());
                    params.extend(list.iter().map(|l| SqlValue::Text(l.clone())));
                }
            }
        }
        if let (true, Some(text)) = (q.conditions, &g.condition) {
            let c = condition_sql(store, env, schema, m, text, q.alias, &locale)?;
            parts.push(format!("({})", c.sql));
            params.extend(c.params);
        }
        if parts.is_empty() {
            // A grant without locale list or condition covers every present document.
            alternatives.clear();
            params.clear();
            alternatives.push("1".to_string());
            break;
        }
        alternatives.push(parts.join(" AND "));
    }
    let visible = if alternatives.is_empty() || q.locales.is_empty() {
        Compiled {
            sql: "0".into(),
            params: Vec::new(),
        }
    } else {
        let mut all = served.params.clone();
        all.extend(params);
        Compiled {
            sql: format!(
                "({} IS NOT NULL AND ({}))",
                served.sql,
                alternatives
                    .iter()
                    .map(|a| format!("({a})"))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            ),
            params: all,
        }
    };
    Ok(Visibility { visible, served })
}

/// A stored grant condition compiled over the row `alias`, read in `locale`.
fn condition_sql(
    store: &Store,
    env: EnvKey,
    schema: &Schema,
    model: usize,
    text: &str,
    alias: &str,
    locale: &LocaleSql,
) -> Result<Compiled, PrincipalError> {
    let w = parse_condition(schema, model, text, &STORED)
        .map_err(|e| PrincipalError::Corrupt(format!("stored condition {text:?}: {e}")))?;
    Ok(sql::compile_with(
        env,
        schema,
        &w,
        alias,
        locale,
        store.faults(),
    )?)
}

/// The visibility of fault `locale-fallback-on-condition`: each requested locale L in turn is
/// tried, and the row is served in the first one it has a localization in (every one, for a
/// model without localized fields) **and** is visible in.
fn fallback_visibility(
    store: &Store,
    env: EnvKey,
    schema: &Schema,
    model: usize,
    grants: &[GrantSpec],
    q: &VisibilityQuery<'_>,
) -> Result<Visibility, PrincipalError> {
    let m = schema
        .models
        .get(model)
        .ok_or_else(|| PrincipalError::UnknownModel(q.model.to_string()))?;
    let a = quote(q.alias);
    let loc = env.loc_table(&m.api_id);
    let mut sql = String::from("(CASE");
    let mut params = Vec::new();
    for l in q.locales {
        let present = if m.has_localized_fields() {
            params.push(SqlValue::Text(l.clone()));
            format!(
                "EXISTS (SELECT 1 FROM {loc} \"_sl\" WHERE \"_sl\".\"entry_id\" = {a}.\"entry_id\" \
                 AND \"_sl\".\"stage\" = {a}.\"stage\" AND \"_sl\".\"locale\" = ?)"
            )
        } else {
            "1".to_string()
        };
        let mut alternatives = Vec::new();
        for g in grants {
            if g.locales.as_ref().is_some_and(|list| !list.contains(l)) {
                continue;
            }
            match &g.condition {
                None => {
                    alternatives.push("1".to_string());
                }
                Some(text) => {
                    let c = condition_sql(
                        store,
                        env,
                        schema,
                        model,
                        text,
                        q.alias,
                        &LocaleSql::Bound(l.clone()),
                    )?;
                    alternatives.push(format!("({})", c.sql));
                    params.extend(c.params);
                }
            }
        }
        let visible = if alternatives.is_empty() {
            "0".to_string()
        } else {
            alternatives.join(" OR ")
        };
        sql.push_str(&format!(" WHEN {present} AND ({visible}) THEN ?"));
        params.push(SqlValue::Text(l.clone()));
    }
    sql.push_str(" ELSE NULL END)");
    let served = Compiled { sql, params };
    let visible = Compiled {
        sql: format!("({} IS NOT NULL)", served.sql),
        params: served.params.clone(),
    };
    Ok(Visibility { visible, served })
}

/// READ-1's and READ-6's coverage test: does some enabled READ grant of `principal` cover
/// (`model`, `stage`, L) for some L in `locales`, conditions aside? (With no locale requested,
/// nothing is covered.)
pub fn covered(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    model: &str,
    stage: &str,
    locales: &[String],
) -> Result<bool, PrincipalError> {
    let schema = &store.env(env)?.schema;
    if schema.model(model).is_none() {
        return Err(PrincipalError::UnknownModel(model.to_string()));
    }
    let faults = store.faults();
    let grants = in_tx(store, env, |conn, _| {
        read_grants(conn, env, faults, principal, model, stage)
    })?;
    Ok(grants.iter().any(|g| match &g.locales {
        None => !locales.is_empty(),
        Some(list) => locales.iter().any(|l| list.contains(l)),
    }))
}
