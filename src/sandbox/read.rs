//! Root list reads of the sandbox (spec §6), first increment: executes a validated query
//! ([`Validated`]) against the SQLite [`Store`], with READ-1 checked for every root field before
//! execution and READ-2 visibility, the request's `where`, ORDER-1 and paging (READ-3) all in
//! SQL.
//!
//! Supported root fields per model `Post`: `posts(where, orderBy, first, skip, stage, locales)`,
//! `post(where: {id}, stage, locales)` (READ-4) and `postsConnection { aggregate { count } edges
//! { node {…} } }` (READ-5), plus `__typename` anywhere. On an entry: `__typename`, the system
//! fields `id`, `stage`, `locale`, `createdAt`, `updatedAt`, `publishedAt` and scalar fields
//! (localized ones in the served locale, Enums by name, Booleans as booleans, DateTimes in
//! DATA-1's output form).
//!
//! **Not yet supported** (this is an increment): relation and reverse fields (READ-6, READ-9)
//! and `documentInStages` (READ-7), and mutations; they give [`ReadError::Unsupported`]. The
//! checks of ERR-1 step 5 that precede this (headers, `locales: []`, the `where` grammar's
//! limits) belong to the caller; a `where` that does not parse, or paging out of bounds, is
//! reported as [`ReadError::Invalid`].
//!
//! # SQL
//!
//! For a list, with `d` the `doc` row and `<served>` READ-2's served locale:
//! `SELECT d.entry_id, <served> FROM doc d WHERE d.stage = ? AND <visible> AND <where>
//! ORDER BY <key> IS NULL [DESC], <key> ASC|DESC, d.creation_order LIMIT ? OFFSET ?`. Nulls come
//! last for `_ASC` and first for `_DESC`, ties go by creation order ascending in both directions
//! (ORDER-1); Strings compare with SQLite's `BINARY` collation (code points for UTF-8), Enums by
//! their stored declaration index. A localized key is read in the served locale.

use rusqlite::params_from_iter;
use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value as Json};

use crate::model::condition::{parse_value, Limits};
use crate::model::project::{FieldKind, Model, ModelIdx, Schema, DRAFT};
use crate::model::value::{format_datetime, ScalarType};
use crate::sandbox::faults::Fault;
use crate::sandbox::principals::{
    covered, default_stage, visible_predicate, Principal, PrincipalError,
};
use crate::sandbox::schema::{OperationKind, SelectedField, Validated};
use crate::sandbox::sql::{compile, served_locale, CompileError};
use crate::sandbox::store::{field_column, quote, EnvKey, Store, StoreError};

/// READ-3's default `first`.
pub const PAGE_DEFAULT: i64 = 10;
/// READ-3's maximum `first`.
pub const PAGE_MAX: i64 = 100;

/// Why a query could not be answered with `data`.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// READ-1: a 403 with one error per denied root field, each path the field's response key.
    #[error("not allowed: {paths:?}")]
    Denied {
        /// The `extensions.path` of each error, in document order.
        paths: Vec<Vec<String>>,
    },
    /// A request this increment does not execute yet (relation fields, `documentInStages`,
    /// mutations, …), by the field's name.
    #[error("not supported yet: {0}")]
    Unsupported(String),
    /// A 400 the validator left to the executor (paging bounds, a `where` that breaks §5).
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

/// What a root field reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RootKind {
    Single,
    List,
    Connection,
    Typename,
}

/// A root field resolved against the schema and the request context.
struct Root<'a> {
    field: &'a SelectedField,
    kind: RootKind,
    model: ModelIdx,
    stage: String,
    locales: Vec<String>,
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn root_kind(schema: &Schema, name: &str) -> Option<(RootKind, ModelIdx)> {
    for (i, m) in schema.models.iter().enumerate() {
        if name == lower_first(&m.api_id) {
            return Some((RootKind::Single, i));
        }
        if name == m.plural {
            return Some((RootKind::List, i));
        }
        if name == format!("{}Connection", m.plural) {
            return Some((RootKind::Connection, i));
        }
    }
    None
}

/// Executes a validated query for `principal` in environment `env` and returns its `data`.
///
/// `headers_stage` and `headers_locales` are the already validated `gcms-stage` and
/// `gcms-locales` headers (CTX-1, CTX-2). Stage: the root field's `stage` argument, else the
/// header, else the principal's default stage; locales: the `locales` argument (duplicates
/// dropped), else the header, else `[default locale]`. READ-1 is checked for every root field
/// first: any denied field makes the whole request a [`ReadError::Denied`].
pub fn execute_query(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    validated: &Validated,
    headers_stage: Option<&str>,
    headers_locales: Option<Vec<String>>,
) -> Result<Json, ReadError> {
    if validated.kind != OperationKind::Query {
        return Err(ReadError::Unsupported("mutation".into()));
    }
    let schema = &store.env(env)?.schema;
    let mut roots = Vec::new();
    for f in &validated.fields {
        if f.name == "__typename" {
            roots.push(Root {
                field: f,
                kind: RootKind::Typename,
                model: 0,
                stage: String::new(),
                locales: Vec::new(),
            });
            continue;
        }
        let (kind, model) =
            root_kind(schema, &f.name).ok_or_else(|| ReadError::Unsupported(f.name.clone()))?;
        let stage = match f.args.get("stage").and_then(Json::as_str) {
            Some(s) => s.to_string(),
            None => match headers_stage {
                Some(s) => s.to_string(),
                None => default_stage(store, env, principal)?,
            },
        };
        let locales = match f.args.get("locales").and_then(Json::as_array) {
            Some(list) => {
                let mut out: Vec<String> = Vec::new();
                for l in list.iter().filter_map(Json::as_str) {
                    if !out.iter().any(|x| x == l) {
                        out.push(l.to_string());
                    }
                }
                out
            }
            None => match &headers_locales {
                Some(h) => h.clone(),
                None => schema.locales.first().cloned().into_iter().collect(),
            },
        };
        roots.push(Root {
            field: f,
            kind,
            model,
            stage,
            locales,
        });
    }
    // READ-1, for every root field before execution.
    let mut denied = Vec::new();
    for r in &roots {
        if r.kind == RootKind::Typename {
            continue;
        }
        let m = model_of(schema, r.model)?;
        if !covered(store, env, principal, &m.api_id, &r.stage, &r.locales)? {
            denied.push(vec![r.field.key().to_string()]);
        }
    }
    if !denied.is_empty() {
        return Err(ReadError::Denied { paths: denied });
    }
    let mut data = Map::new();
    for r in &roots {
        let value = match r.kind {
            RootKind::Typename => Json::String("Query".into()),
            RootKind::Single => single(store, env, principal, schema, r)?,
            RootKind::List => {
                let docs = select(store, env, principal, schema, r, true)?;
                Json::Array(nodes(store, env, schema, r, &docs, &r.field.selection)?)
            }
            RootKind::Connection => connection(store, env, principal, schema, r)?,
        };
        data.insert(r.field.key().to_string(), value);
    }
    Ok(Json::Object(data))
}

/// WRITE-7's read-back of a mutation's result: entry `entry_id` of `model` as `principal` sees
/// it in `DRAFT` with locales `[default locale]`, rendered with `selection`; `Ok(Json::Null)` when
/// it is not visible (or has no DRAFT document). READ-1 and READ-6 do not apply here: a relation
/// field whose related model no grant covers gives `null` or `[]` instead of a 403.
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
    let schema = &store.env(env)?.schema;
    let m = schema
        .model(model)
        .ok_or_else(|| ReadError::Unsupported(format!("model {model}")))?;
    let default_locale = schema.locales.first().cloned().unwrap_or_default();
    let field = SelectedField {
        alias: None,
        name: lower_first(model),
        ty: model.to_string(),
        args: Map::new(),
        selection: selection.to_vec(),
    };
    let r = Root {
        field: &field,
        kind: RootKind::Single,
        model: m,
        stage: DRAFT.to_string(),
        locales: vec![default_locale.clone()],
    };
    let docs = if store.has_fault(Fault::MutationResultUnfiltered) {
        let present = store.localizations(env, model, entry_id, DRAFT)?;
        if present.contains(&default_locale) || !has_localized(schema, m) {
            vec![Doc {
                id: entry_id.to_string(),
                locale: default_locale,
            }]
        } else {
            Vec::new()
        }
    } else {
        query_docs(
            store,
            env,
            principal,
            schema,
            &r,
            Some(("entry_id", SqlValue::Text(entry_id.to_string()))),
            false,
        )?
    };
    let mut out = nodes(store, env, schema, &r, &docs, selection)?;
    Ok(if out.is_empty() {
        Json::Null
    } else {
        out.swap_remove(0)
    })
}

fn has_localized(schema: &Schema, m: ModelIdx) -> bool {
    schema
        .models
        .get(m)
        .is_some_and(|m| m.fields.iter().any(|f| f.localized))
}

fn model_of(schema: &Schema, m: ModelIdx) -> Result<&Model, ReadError> {
    schema
        .models
        .get(m)
        .ok_or_else(|| ReadError::Unsupported(format!("model #{m}")))
}

/// A selected document: its entry id and served locale.
struct Doc {
    id: String,
    locale: String,
}

/// The visible documents of a root field matching its `where`, ordered and (when `page`)
/// paged, or with `count`, their number.
fn query_docs(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    schema: &Schema,
    r: &Root<'_>,
    extra: Option<(&str, SqlValue)>,
    page: bool,
) -> Result<Vec<Doc>, ReadError> {
    let m = model_of(schema, r.model)?;
    let vis = visible_predicate(store, env, principal, &m.api_id, &r.stage, &r.locales, "d")?;
    let locale = served_locale(env, schema, r.model, "d", &r.locales)?;
    let mut params: Vec<SqlValue> = Vec::new();
    params.extend(vis.served.params.iter().cloned());
    params.push(SqlValue::Text(r.stage.clone()));
    params.extend(vis.visible.params.iter().cloned());
    let mut sql = format!(
        "SELECT \"d\".\"entry_id\", {} FROM {} \"d\" WHERE \"d\".\"stage\" = ? AND {}",
        vis.served.sql,
        env.doc_table(&m.api_id),
        vis.visible.sql
    );
    if let Some((col, v)) = extra {
        sql.push_str(&format!(" AND \"d\".{} = ?", quote(col)));
        params.push(v);
    }
    if let Some(w) = r.field.args.get("where") {
        if r.kind != RootKind::Single {
            let parsed = parse_value(schema, r.model, w, &Limits::SPEC)
                .map_err(|e| ReadError::Invalid(format!("where: {e}")))?;
            let c = compile(env, schema, &parsed, "d", &locale)?;
            sql.push_str(&format!(" AND ({})", c.sql));
            params.extend(c.params);
        }
    }
    sql.push_str(" ORDER BY ");
    if let Some(order) = r.field.args.get("orderBy").and_then(Json::as_str) {
        let (name, desc) = match (order.strip_suffix("_ASC"), order.strip_suffix("_DESC")) {
            (Some(n), _) => (n, false),
            (_, Some(n)) => (n, true),
            _ => return Err(ReadError::Invalid(format!("orderBy {order}"))),
        };
        let key = match name {
            "id" => "\"d\".\"entry_id\"".to_string(),
            "createdAt" => "\"d\".\"created_at\"".to_string(),
            "updatedAt" => "\"d\".\"updated_at\"".to_string(),
            "publishedAt" => "\"d\".\"published_at\"".to_string(),
            _ => {
                let f = m
                    .fields
                    .iter()
                    .find(|f| f.api_id == name && matches!(f.kind, FieldKind::Scalar(_)))
                    .ok_or_else(|| ReadError::Invalid(format!("orderBy {order}")))?;
                if f.localized {
                    params.extend(vis.served.params.iter().cloned());
                    format!(
                        "(SELECT \"o\".{} FROM {} \"o\" WHERE \"o\".\"entry_id\" = \"d\".\"entry_id\" \
                         AND \"o\".\"stage\" = \"d\".\"stage\" AND \"o\".\"locale\" = {})",
                        field_column(&f.api_id),
                        env.loc_table(&m.api_id),
                        vis.served.sql
                    )
                } else {
                    format!("\"d\".{}", field_column(&f.api_id))
                }
            }
        };
        // The key appears twice: bind its parameters (if any) twice, in textual order.
        let key_params: Vec<SqlValue> = if key.starts_with("(SELECT") {
            vis.served.params.clone()
        } else {
            Vec::new()
        };
        params.extend(key_params);
        let dir = if desc { "DESC" } else { "ASC" };
        sql.push_str(&format!("({key} IS NULL) {dir}, {key} {dir}, "));
    }
    sql.push_str("\"d\".\"creation_order\" ASC");
    if page {
        let first = int_arg(r.field, "first")?.unwrap_or(PAGE_DEFAULT);
        let skip = int_arg(r.field, "skip")?.unwrap_or(0);
        if !(0..=PAGE_MAX).contains(&first) || skip < 0 {
            return Err(ReadError::Invalid("paging out of bounds".into()));
        }
        sql.push_str(" LIMIT ? OFFSET ?");
        params.push(SqlValue::Integer(first));
        params.push(SqlValue::Integer(skip));
    }
    let conn = store.conn();
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(params.iter()), |row| {
        Ok(Doc {
            id: row.get(0)?,
            locale: row.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn int_arg(f: &SelectedField, name: &str) -> Result<Option<i64>, ReadError> {
    match f.args.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| ReadError::Invalid(format!("{name} is not an integer"))),
    }
}

fn select(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    schema: &Schema,
    r: &Root<'_>,
    page: bool,
) -> Result<Vec<Doc>, ReadError> {
    query_docs(store, env, principal, schema, r, None, page)
}

fn single(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    schema: &Schema,
    r: &Root<'_>,
) -> Result<Json, ReadError> {
    let id = r
        .field
        .args
        .get("where")
        .and_then(|w| w.get("id"))
        .and_then(Json::as_str)
        .ok_or_else(|| ReadError::Invalid("post needs where: {id}".into()))?;
    let docs = query_docs(
        store,
        env,
        principal,
        schema,
        r,
        Some(("entry_id", SqlValue::Text(id.to_string()))),
        false,
    )?;
    let mut out = nodes(store, env, schema, r, &docs, &r.field.selection)?;
    Ok(if out.is_empty() {
        Json::Null
    } else {
        out.swap_remove(0)
    })
}

fn connection(
    store: &Store,
    env: EnvKey,
    principal: &Principal,
    schema: &Schema,
    r: &Root<'_>,
) -> Result<Json, ReadError> {
    let m = model_of(schema, r.model)?;
    let mut out = Map::new();
    let mut all: Option<usize> = None;
    for f in &r.field.selection {
        let v = match f.name.as_str() {
            "__typename" => Json::String(format!("{}Connection", m.api_id)),
            "aggregate" => {
                let n = match all {
                    Some(n) => n,
                    None => {
                        let n = select(store, env, principal, schema, r, false)?.len();
                        all = Some(n);
                        n
                    }
                };
                let mut agg = Map::new();
                for a in &f.selection {
                    let v = match a.name.as_str() {
                        "__typename" => Json::String("Aggregate".into()),
                        "count" => Json::from(n),
                        other => return Err(ReadError::Unsupported(other.to_string())),
                    };
                    agg.insert(a.key().to_string(), v);
                }
                Json::Object(agg)
            }
            "edges" => {
                let docs = select(store, env, principal, schema, r, true)?;
                let mut edges = Vec::new();
                for d in &docs {
                    let mut edge = Map::new();
                    for e in &f.selection {
                        let v = match e.name.as_str() {
                            "__typename" => Json::String(format!("{}Edge", m.api_id)),
                            "node" => {
                                let mut n = nodes(
                                    store,
                                    env,
                                    schema,
                                    r,
                                    std::slice::from_ref(d),
                                    &e.selection,
                                )?;
                                if n.is_empty() {
                                    Json::Null
                                } else {
                                    n.swap_remove(0)
                                }
                            }
                            other => return Err(ReadError::Unsupported(other.to_string())),
                        };
                        edge.insert(e.key().to_string(), v);
                    }
                    edges.push(Json::Object(edge));
                }
                Json::Array(edges)
            }
            other => return Err(ReadError::Unsupported(other.to_string())),
        };
        out.insert(f.key().to_string(), v);
    }
    Ok(Json::Object(out))
}

/// The selected fields of each document.
fn nodes(
    store: &Store,
    env: EnvKey,
    schema: &Schema,
    r: &Root<'_>,
    docs: &[Doc],
    selection: &[SelectedField],
) -> Result<Vec<Json>, ReadError> {
    let m = model_of(schema, r.model)?;
    let conn = store.conn();
    let mut out = Vec::new();
    for d in docs {
        let mut obj = Map::new();
        for f in selection {
            let v = match f.name.as_str() {
                "__typename" => Json::String(m.api_id.clone()),
                "id" => Json::String(d.id.clone()),
                "stage" => Json::String(r.stage.clone()),
                "locale" => Json::String(d.locale.clone()),
                "createdAt" | "updatedAt" | "publishedAt" => {
                    let col = match f.name.as_str() {
                        "createdAt" => "created_at",
                        "updatedAt" => "updated_at",
                        _ => "published_at",
                    };
                    let sql = format!(
                        "SELECT {} FROM {} WHERE \"entry_id\" = ?1 AND \"stage\" = ?2",
                        quote(col),
                        env.doc_table(&m.api_id)
                    );
                    let v: Option<i64> =
                        conn.query_row(&sql, [&d.id, &r.stage], |row| row.get(0))?;
                    v.map_or(Json::Null, |us| Json::String(format_datetime(us)))
                }
                name => {
                    let field = m
                        .fields
                        .iter()
                        .find(|x| x.api_id == name)
                        .ok_or_else(|| ReadError::Unsupported(name.to_string()))?;
                    let FieldKind::Scalar(ty) = &field.kind else {
                        return Err(ReadError::Unsupported(name.to_string()));
                    };
                    let col = field_column(&field.api_id);
                    let raw: Option<SqlValue> = if field.localized {
                        let sql = format!(
                            "SELECT {col} FROM {} WHERE \"entry_id\" = ?1 AND \"stage\" = ?2 \
                             AND \"locale\" = ?3",
                            env.loc_table(&m.api_id)
                        );
                        let mut stmt = conn.prepare(&sql)?;
                        let mut rows = stmt.query([&d.id, &r.stage, &d.locale])?;
                        match rows.next()? {
                            Some(row) => Some(row.get(0)?),
                            None => None,
                        }
                    } else {
                        let sql = format!(
                            "SELECT {col} FROM {} WHERE \"entry_id\" = ?1 AND \"stage\" = ?2",
                            env.doc_table(&m.api_id)
                        );
                        Some(conn.query_row(&sql, [&d.id, &r.stage], |row| row.get(0))?)
                    };
                    scalar_json(ty, raw.unwrap_or(SqlValue::Null))
                }
            };
            obj.insert(f.key().to_string(), v);
        }
        out.push(Json::Object(obj));
    }
    Ok(out)
}

/// A stored scalar as its JSON output (DATA-1).
fn scalar_json(ty: &ScalarType, v: SqlValue) -> Json {
    match (ty, v) {
        (_, SqlValue::Null) => Json::Null,
        (ScalarType::Boolean, SqlValue::Integer(i)) => Json::Bool(i != 0),
        (ScalarType::DateTime, SqlValue::Integer(us)) => Json::String(format_datetime(us)),
        (ScalarType::Enum(values), SqlValue::Integer(i)) => usize::try_from(i)
            .ok()
            .and_then(|i| values.get(i))
            .map_or(Json::Null, |s| Json::String(s.clone())),
        (ScalarType::Float, SqlValue::Integer(i)) => {
            serde_json::Number::from_f64(i as f64).map_or(Json::Null, Json::Number)
        }
        (_, SqlValue::Integer(i)) => Json::from(i),
        (_, SqlValue::Real(f)) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
        (_, SqlValue::Text(s)) => Json::String(s),
        (_, SqlValue::Blob(_)) => Json::Null,
    }
}
