//! Planning a validated query (ERR-1 step 5, the part the validator leaves to the executor):
//! the selection tree of [`SelectedField`]s becomes a tree of [`Item`]s with every argument
//! resolved, and every 400 is found here, before any permission check (ERR-1: every 400 of
//! step 5 comes before any 403 of step 6).
//!
//! What is checked, on the whole selection (any depth, below `documentInStages` included):
//! - `where` of list roots, connections, list relation and reverse fields: parsed with §5's
//!   grammar and LIMIT-1's bounds (WHERE-1, WHERE-4, a null operand, a duplicate key, …);
//! - paging (READ-3, READ-9): a negative `first` or `skip`, a `first` above the project's
//!   maximum (its [`Pagination`](crate::sandbox::store::Pagination), passed as `max`);
//! - `locales: []` on a root or relation field (CTX-2);
//! - `orderBy` naming a field the model cannot be ordered by (the validator's enum already
//!   refuses it; checked again so a plan never holds one);
//! - `documentInStages`' `stages` naming unknown stages (READ-7; duplicates are dropped here);
//! - `post(where: …)` without a string `id` (READ-10).
//!
//! Introspection root fields (`__schema`, `__type`) are left out of the plan: the HTTP layer
//! answers them (READ-8).

use serde_json::Value as Json;

use crate::model::condition::Where;
use crate::model::condition::{parse_value, Limits};
use crate::model::project::{FieldIdx, FieldKind, Model, ModelIdx, Schema, SystemField};
use crate::sandbox::read::ReadError;
use crate::sandbox::schema::SelectedField;

/// `where`, `orderBy`, `first` and `skip` of a list (READ-3, READ-9).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ListArgs {
    /// The request's filter.
    pub filter: Option<Where>,
    /// ORDER-1's key.
    pub order: Option<Order>,
    /// `first`, when given.
    pub first: Option<i64>,
    /// `skip` (0 when absent).
    pub skip: i64,
}

/// `orderBy: <key>_ASC | <key>_DESC` (ORDER-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Order {
    /// What is compared.
    pub key: OrderKey,
    /// `_DESC`.
    pub desc: bool,
}

/// The field an `orderBy` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderKey {
    /// `id`.
    Id,
    /// `createdAt`.
    CreatedAt,
    /// `updatedAt`.
    UpdatedAt,
    /// `publishedAt`.
    PublishedAt,
    /// A scalar field, by index.
    Field(FieldIdx),
}

/// Which list of related entries a list field reads (DATA-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rel {
    /// A list relation declared on the entry's model, by field index.
    Own(FieldIdx),
    /// A reverse field of the entry's model, by index into [`Model::reverse`].
    Reverse(usize),
}

/// A planned field of an entry's selection.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// `__typename` (the model's api id).
    Typename(String),
    /// A system field.
    System(String, SystemField),
    /// A scalar field, by index.
    Scalar(String, FieldIdx),
    /// A single relation (READ-6, CTX-4).
    Single {
        /// Response key.
        key: String,
        /// The relation field.
        field: FieldIdx,
        /// The related model.
        target: ModelIdx,
        /// A `locales:` argument replacing the inherited list (CTX-4).
        locales: Option<Vec<String>>,
        /// Sub-selection.
        sel: Vec<Item>,
    },
    /// A list relation or reverse field (READ-6, READ-9, CTX-4).
    Many {
        /// Response key.
        key: String,
        /// Which relation.
        rel: Rel,
        /// The related model.
        target: ModelIdx,
        /// A `locales:` argument replacing the inherited list (CTX-4).
        locales: Option<Vec<String>>,
        /// `where`, `orderBy`, paging.
        args: ListArgs,
        /// Sub-selection.
        sel: Vec<Item>,
    },
    /// `documentInStages` (READ-7).
    Stages {
        /// Response key.
        key: String,
        /// The stages asked for, in order, duplicates dropped.
        stages: Vec<String>,
        /// `includeCurrent`.
        include_current: bool,
        /// Sub-selection (over the same model).
        sel: Vec<Item>,
    },
}

/// A part of a connection's selection.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ConnPart {
    /// `__typename` (`PostConnection`).
    Typename(String),
    /// `aggregate { … }`: each key and whether it is `count` (else `__typename`).
    Aggregate(String, Vec<(String, bool)>),
    /// `edges { … }`.
    Edges(String, Vec<EdgePart>),
}

/// A part of an edge's selection.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EdgePart {
    /// `__typename` (`PostEdge`).
    Typename(String),
    /// `node { … }`.
    Node(String, Vec<Item>),
}

/// What a model's root field returns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    /// `post(where: {id})` (READ-4).
    One {
        /// The id asked for.
        id: String,
        /// Selection.
        sel: Vec<Item>,
    },
    /// `posts(…)`.
    List {
        /// List arguments.
        args: ListArgs,
        /// Selection.
        sel: Vec<Item>,
    },
    /// `postsConnection(…)` (READ-5).
    Connection {
        /// List arguments.
        args: ListArgs,
        /// Selection.
        parts: Vec<ConnPart>,
    },
}

/// A planned root field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Root {
    /// `__typename` on the root.
    Typename(String),
    /// A root field of a model.
    Model {
        /// Response key.
        key: String,
        /// The model.
        model: ModelIdx,
        /// The `stage:` argument, when given (CTX-1).
        stage: Option<String>,
        /// The `locales:` argument, when given, duplicates dropped (CTX-2).
        locales: Option<Vec<String>>,
        /// What it returns.
        shape: Shape,
    },
}

fn invalid<T>(message: impl Into<String>) -> Result<T, ReadError> {
    Err(ReadError::Invalid(message.into()))
}

/// `Post` → `post`.
pub(crate) fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Plans the root fields of a query.
pub(crate) fn plan_query(
    schema: &Schema,
    max: i64,
    fields: &[SelectedField],
) -> Result<Vec<Root>, ReadError> {
    let mut out = Vec::new();
    for f in fields {
        let key = f.key().to_string();
        match f.name.as_str() {
            "__typename" => {
                out.push(Root::Typename(key));
                continue;
            }
            // READ-8: answered by the HTTP layer, beside the data.
            "__schema" | "__type" => continue,
            _ => {}
        }
        let found = schema.models.iter().enumerate().find_map(|(i, m)| {
            if f.name == lower_first(&m.api_id) {
                Some((i, 0))
            } else if f.name == m.plural {
                Some((i, 1))
            } else if f.name == format!("{}Connection", m.plural) {
                Some((i, 2))
            } else {
                None
            }
        });
        let Some((model, kind)) = found else {
            return invalid(format!("Query has no field {:?}", f.name));
        };
        let stage = match f.args.get("stage") {
            None => None,
            Some(Json::String(s)) if schema.stage(s).is_some() => Some(s.clone()),
            Some(other) => return invalid(format!("{key}: unknown stage {other}")),
        };
        let locales = locales_arg(schema, f)?;
        let shape = match kind {
            0 => Shape::One {
                id: unique_id(f)?,
                sel: plan_items(schema, max, model, &f.selection)?,
            },
            1 => Shape::List {
                args: list_args(schema, max, model, f)?,
                sel: plan_items(schema, max, model, &f.selection)?,
            },
            _ => Shape::Connection {
                args: list_args(schema, max, model, f)?,
                parts: plan_connection(schema, max, model, &f.selection)?,
            },
        };
        out.push(Root::Model {
            key,
            model,
            stage,
            locales,
            shape,
        });
    }
    Ok(out)
}

/// `where: {id}` of a single-entry root field (READ-10: exactly `id`).
fn unique_id(f: &SelectedField) -> Result<String, ReadError> {
    match f.args.get("where") {
        Some(Json::Object(o)) if o.len() == 1 => match o.get("id") {
            Some(Json::String(id)) => Ok(id.clone()),
            _ => invalid(format!("{}: where takes exactly a non-null id", f.key())),
        },
        _ => invalid(format!("{}: where takes exactly a non-null id", f.key())),
    }
}

/// A `locales:` argument: `None` when absent; `[]` is a 400 (CTX-2); duplicates dropped.
fn locales_arg(schema: &Schema, f: &SelectedField) -> Result<Option<Vec<String>>, ReadError> {
    let items: Vec<&Json> = match f.args.get("locales") {
        None => return Ok(None),
        Some(Json::Array(a)) => a.iter().collect(),
        Some(one) => vec![one],
    };
    if items.is_empty() {
        return invalid(format!("{}: locales must not be empty", f.key()));
    }
    let mut out: Vec<String> = Vec::new();
    for it in items {
        match it.as_str() {
            Some(l) if schema.locale(l).is_some() => {
                if !out.iter().any(|x| x == l) {
                    out.push(l.to_string());
                }
            }
            _ => return invalid(format!("{}: unknown locale {it}", f.key())),
        }
    }
    Ok(Some(out))
}

/// `where`, `orderBy`, `first`, `skip` of a list field over `model`.
fn list_args(
    schema: &Schema,
    max: i64,
    model: ModelIdx,
    f: &SelectedField,
) -> Result<ListArgs, ReadError> {
    let filter = match f.args.get("where") {
        None | Some(Json::Null) => None,
        Some(w) => Some(
            parse_value(schema, model, w, &Limits::SPEC)
                .map_err(|e| ReadError::Invalid(format!("{}: where: {e}", f.key())))?,
        ),
    };
    let order = match f.args.get("orderBy") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(parse_order(model_of(schema, model)?, s)?),
        Some(other) => return invalid(format!("{}: orderBy {other}", f.key())),
    };
    let first = count_arg(f, "first")?;
    if first.is_some_and(|n| n > max) {
        return invalid(format!("{}: first must not exceed {max}", f.key()));
    }
    let skip = count_arg(f, "skip")?.unwrap_or(0);
    Ok(ListArgs {
        filter,
        order,
        first,
        skip,
    })
}

/// A non-negative integer argument (`first`, `skip`), `None` when absent (READ-3).
fn count_arg(f: &SelectedField, name: &str) -> Result<Option<i64>, ReadError> {
    match f.args.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) if n < 0 => invalid(format!("{}: {name} must not be negative", f.key())),
            Some(n) => Ok(Some(n)),
            None => invalid(format!("{}: {name} is not an Int", f.key())),
        },
    }
}

fn parse_order(m: &Model, s: &str) -> Result<Order, ReadError> {
    let (name, desc) = match (s.strip_suffix("_ASC"), s.strip_suffix("_DESC")) {
        (Some(n), _) => (n, false),
        (_, Some(n)) => (n, true),
        _ => return invalid(format!("orderBy: unknown value {s:?}")),
    };
    let key = match name {
        "id" => OrderKey::Id,
        "createdAt" => OrderKey::CreatedAt,
        "updatedAt" => OrderKey::UpdatedAt,
        "publishedAt" => OrderKey::PublishedAt,
        _ => match m
            .fields
            .iter()
            .position(|f| f.api_id == name && matches!(f.kind, FieldKind::Scalar(_)))
        {
            Some(i) => OrderKey::Field(i),
            None => return invalid(format!("orderBy: unknown value {s:?}")),
        },
    };
    Ok(Order { key, desc })
}

fn model_of(schema: &Schema, model: ModelIdx) -> Result<&Model, ReadError> {
    schema
        .models
        .get(model)
        .ok_or_else(|| ReadError::Unsupported(format!("model #{model}")))
}

/// Plans an entry selection of `model`.
pub(crate) fn plan_items(
    schema: &Schema,
    max: i64,
    model: ModelIdx,
    sels: &[SelectedField],
) -> Result<Vec<Item>, ReadError> {
    let m = model_of(schema, model)?;
    let mut out = Vec::with_capacity(sels.len());
    for s in sels {
        let key = s.key().to_string();
        if s.name == "__typename" {
            out.push(Item::Typename(key));
            continue;
        }
        if s.name == "documentInStages" {
            out.push(plan_stages(schema, max, model, s)?);
            continue;
        }
        if let Some(f) = SystemField::from_name(&s.name) {
            out.push(Item::System(key, f));
            continue;
        }
        if let Some(i) = m.fields.iter().position(|f| f.api_id == s.name) {
            let item = match m.fields.get(i).map(|f| &f.kind) {
                Some(FieldKind::Relation {
                    target, list: true, ..
                }) => Item::Many {
                    key,
                    rel: Rel::Own(i),
                    target: *target,
                    locales: locales_arg(schema, s)?,
                    args: list_args(schema, max, *target, s)?,
                    sel: plan_items(schema, max, *target, &s.selection)?,
                },
                Some(FieldKind::Relation { target, .. }) => Item::Single {
                    key,
                    field: i,
                    target: *target,
                    locales: locales_arg(schema, s)?,
                    sel: plan_items(schema, max, *target, &s.selection)?,
                },
                _ => Item::Scalar(key, i),
            };
            out.push(item);
            continue;
        }
        if let Some(r) = m.reverse.iter().position(|r| r.api_id == s.name) {
            let target = m.reverse.get(r).map_or(model, |r| r.owner);
            out.push(Item::Many {
                key,
                rel: Rel::Reverse(r),
                target,
                locales: locales_arg(schema, s)?,
                args: list_args(schema, max, target, s)?,
                sel: plan_items(schema, max, target, &s.selection)?,
            });
            continue;
        }
        return invalid(format!("{} has no field {:?}", m.api_id, s.name));
    }
    Ok(out)
}

/// `documentInStages(stages, includeCurrent)` (READ-7): the validator applied the defaults
/// (`[DRAFT, PUBLISHED]`, `false`) and refused nulls; duplicates are dropped here.
fn plan_stages(
    schema: &Schema,
    max: i64,
    model: ModelIdx,
    s: &SelectedField,
) -> Result<Item, ReadError> {
    let items: Vec<Json> = match s.args.get("stages") {
        None => schema
            .stages
            .iter()
            .take(2)
            .cloned()
            .map(Json::String)
            .collect(),
        Some(Json::Array(a)) => a.clone(),
        Some(Json::Null) => return invalid("documentInStages: stages must not be null"),
        Some(one) => vec![one.clone()],
    };
    let mut stages: Vec<String> = Vec::new();
    for it in &items {
        match it.as_str() {
            Some(st) if schema.stage(st).is_some() => {
                if !stages.iter().any(|x| x == st) {
                    stages.push(st.to_string());
                }
            }
            _ => return invalid(format!("documentInStages: unknown stage {it}")),
        }
    }
    let include_current = match s.args.get("includeCurrent") {
        None => false,
        Some(Json::Bool(b)) => *b,
        Some(other) => return invalid(format!("documentInStages: includeCurrent {other}")),
    };
    Ok(Item::Stages {
        key: s.key().to_string(),
        stages,
        include_current,
        sel: plan_items(schema, max, model, &s.selection)?,
    })
}

fn plan_connection(
    schema: &Schema,
    max: i64,
    model: ModelIdx,
    sels: &[SelectedField],
) -> Result<Vec<ConnPart>, ReadError> {
    let mut out = Vec::new();
    for s in sels {
        let key = s.key().to_string();
        match s.name.as_str() {
            "__typename" => out.push(ConnPart::Typename(key)),
            "aggregate" => {
                let mut parts = Vec::new();
                for a in &s.selection {
                    match a.name.as_str() {
                        "count" => parts.push((a.key().to_string(), true)),
                        "__typename" => parts.push((a.key().to_string(), false)),
                        other => return invalid(format!("Aggregate has no field {other:?}")),
                    }
                }
                out.push(ConnPart::Aggregate(key, parts));
            }
            "edges" => {
                let mut parts = Vec::new();
                for e in &s.selection {
                    match e.name.as_str() {
                        "__typename" => parts.push(EdgePart::Typename(e.key().to_string())),
                        "node" => parts.push(EdgePart::Node(
                            e.key().to_string(),
                            plan_items(schema, max, model, &e.selection)?,
                        )),
                        other => return invalid(format!("an edge has no field {other:?}")),
                    }
                }
                out.push(ConnPart::Edges(key, parts));
            }
            other => return invalid(format!("a connection has no field {other:?}")),
        }
    }
    Ok(out)
}
