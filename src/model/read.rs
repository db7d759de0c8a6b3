//! Reads (spec §6): planning a query's selections against the schema (ERR-1 step 5), the
//! up-front permission checks of READ-1 and READ-6 (step 6), and execution: visibility
//! (READ-2), filtering, ordering and paging (READ-3, ORDER-1, READ-9), single entries (READ-4),
//! counts (READ-5), relation fields (READ-6, CTX-4) and `documentInStages` (READ-7).

use std::cmp::Ordering;

use serde_json::{Map, Value as J};

use crate::model::condition::{eval, parse_value, EvalCtx, Limits, ListRelation, Where};
use crate::model::ctx::{self, invalid, Invalid};
use crate::model::grant::{Action, Grant};
use crate::model::profile::Profile;
use crate::model::project::{
    Content, Document, Entry, FieldIdx, FieldKind, FieldRef, LocaleIdx, ModelIdx, Schema, StageIdx,
    SystemField,
};
use crate::model::value::{format_datetime, ScalarType, Value};
use crate::op::{DeniedError, Selection};

/// `orderBy` resolved (ORDER-1).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    /// What is compared.
    pub key: OrderKey,
    /// `_DESC`.
    pub desc: bool,
}

/// The field an `orderBy` names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OrderKey {
    /// `id`, `createdAt`, `updatedAt`, `publishedAt`.
    System(SystemField),
    /// A scalar field.
    Scalar(FieldIdx),
}

/// `where`, `orderBy`, `first`, `skip` of a list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListArgs {
    /// The request's filter.
    pub filter: Option<Where>,
    /// The order.
    pub order: Option<OrderBy>,
    /// `first`.
    pub first: Option<usize>,
    /// `skip`.
    pub skip: usize,
}

/// A planned field of an entry's selection.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `__typename`.
    Typename(String, String),
    /// A system field.
    System(String, SystemField),
    /// A scalar field.
    Scalar(String, FieldIdx),
    /// A single relation.
    Single {
        /// Response key.
        key: String,
        /// The relation field.
        field: FieldIdx,
        /// Related model.
        target: ModelIdx,
        /// A `locales:` argument replacing the inherited list (CTX-4).
        locales: Option<Vec<LocaleIdx>>,
        /// Sub-selection.
        sel: Vec<Item>,
    },
    /// A list relation or reverse field.
    Many {
        /// Response key.
        key: String,
        /// Which relation.
        rel: ListRelation,
        /// Related model.
        target: ModelIdx,
        /// `locales:`.
        locales: Option<Vec<LocaleIdx>>,
        /// `where`, `orderBy`, paging (READ-9).
        args: ListArgs,
        /// Sub-selection.
        sel: Vec<Item>,
    },
    /// `documentInStages` (READ-7).
    Stages {
        /// Response key.
        key: String,
        /// Stages in order, duplicates removed.
        stages: Vec<StageIdx>,
        /// `includeCurrent`.
        include_current: bool,
        /// Sub-selection.
        sel: Vec<Item>,
    },
}

/// A part of a connection's selection.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnPart {
    /// `__typename` (`PostConnection`).
    Typename(String),
    /// `aggregate { count __typename }`: keys and whether each is `count`.
    Aggregate(String, Vec<(String, bool)>),
    /// `edges { node {…} __typename }`.
    Edges(String, Vec<EdgePart>),
}

/// A part of an edge's selection.
#[derive(Debug, Clone, PartialEq)]
pub enum EdgePart {
    /// `__typename` (`PostEdge`).
    Typename(String),
    /// `node { … }`.
    Node(String, Vec<Item>),
}

/// Which model a root field reads, and how it was asked: `stage:` and `locales:` as written
/// (resolved against the headers and the principal's default by CTX-1 and CTX-2).
#[derive(Debug, Clone, PartialEq)]
pub struct RootTarget {
    /// Response key.
    pub key: String,
    /// Model.
    pub model: ModelIdx,
    /// `stage:` argument.
    pub stage: Option<StageIdx>,
    /// `locales:` argument.
    pub locales: Option<Vec<LocaleIdx>>,
}

/// What a model's root field returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// `post(where: {id})`: one entry or null (READ-4).
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
    /// `postsConnection(…)`.
    Connection {
        /// List arguments.
        args: ListArgs,
        /// Selection.
        parts: Vec<ConnPart>,
    },
}

/// A planned root field of a query.
#[derive(Debug, Clone, PartialEq)]
pub enum Root {
    /// `__typename` on the root.
    Typename(String),
    /// `__schema` / `__type`.
    Introspection(String),
    /// A root field of a model.
    Model(RootTarget, Shape),
}

/// The GraphQL name of a model's single root field (`Post` → `post`).
pub fn single_name(api_id: &str) -> String {
    let mut c = api_id.chars();
    match c.next() {
        Some(f) => format!("{}{}", f.to_lowercase(), c.as_str()),
        None => String::new(),
    }
}

/// Parses a request `where` (a 400 on any §5 or LIMIT-1 problem).
pub fn parse_where(
    schema: &Schema,
    model: ModelIdx,
    v: &J,
    profile: &Profile,
) -> Result<Where, Invalid> {
    parse_value(schema, model, v, &Limits::from(profile)).map_err(|e| Invalid {
        rule: e.rule,
        message: format!("where: {e}"),
    })
}

fn plan_list_args(
    schema: &Schema,
    model: ModelIdx,
    sel: &Selection,
    profile: &Profile,
    rule: &'static str,
) -> Result<ListArgs, Invalid> {
    let filter = match sel.args.get("where") {
        None | Some(J::Null) => None,
        Some(v) => Some(parse_where(schema, model, v, profile)?),
    };
    let order = match sel.args.get("orderBy") {
        None | Some(J::Null) => None,
        Some(J::String(s)) => Some(parse_order(schema, model, s)?),
        Some(other) => return invalid("CTX-3", format!("orderBy: not an order value: {other}")),
    };
    let first = ctx::count_arg(sel, "first")?;
    if first.is_some_and(|f| f > profile.page_max) {
        return invalid(rule, format!("first must not exceed {}", profile.page_max));
    }
    let skip = ctx::count_arg(sel, "skip")?.unwrap_or(0);
    Ok(ListArgs {
        filter,
        order,
        first,
        skip,
    })
}

fn parse_order(schema: &Schema, model: ModelIdx, s: &str) -> Result<OrderBy, Invalid> {
    let bad = || invalid("CTX-3", format!("orderBy: unknown value {s:?}"));
    let (name, desc) = if let Some(n) = s.strip_suffix("_ASC") {
        (n, false)
    } else if let Some(n) = s.strip_suffix("_DESC") {
        (n, true)
    } else {
        return bad();
    };
    let Some(m) = schema.models.get(model) else {
        return bad();
    };
    let key = match m.field(name) {
        Some(FieldRef::System(
            f @ (SystemField::Id
            | SystemField::CreatedAt
            | SystemField::UpdatedAt
            | SystemField::PublishedAt),
        )) => OrderKey::System(f),
        Some(FieldRef::Scalar(i)) => OrderKey::Scalar(i),
        _ => return bad(),
    };
    Ok(OrderBy { key, desc })
}

/// Plans an entry selection of `model` (fields, arguments, sub-selections) at `depth`.
pub fn plan_items(
    schema: &Schema,
    profile: &Profile,
    model: ModelIdx,
    sels: &[Selection],
) -> Result<Vec<Item>, Invalid> {
    let Some(m) = schema.models.get(model) else {
        return invalid("CTX-3", "unknown model");
    };
    let mut out = Vec::new();
    for s in ctx::merge(sels)? {
        let key = s.key().to_string();
        if s.name == "__typename" {
            ctx::check_args(&s, &[])?;
            ctx::check_leaf(&s, true)?;
            out.push(Item::Typename(key, m.api_id.clone()));
            continue;
        }
        if s.name == "documentInStages" {
            ctx::check_args(&s, &["stages", "includeCurrent"])?;
            ctx::check_leaf(&s, false)?;
            let stages = match s.args.get("stages") {
                None => vec![0, 1],
                Some(J::Null) => return invalid("CTX-5", "documentInStages: stages is null"),
                Some(v) => {
                    let items: Vec<&J> = match v {
                        J::Array(a) => a.iter().collect(),
                        one => vec![one],
                    };
                    let mut st = Vec::new();
                    for it in items {
                        let Some(i) = it.as_str().and_then(|x| schema.stage(x)) else {
                            return invalid("CTX-3", format!("unknown stage {it}"));
                        };
                        if !st.contains(&i) {
                            st.push(i);
                        }
                    }
                    st
                }
            };
            let include_current = match s.args.get("includeCurrent") {
                None => false,
                Some(J::Bool(b)) => *b,
                Some(J::Null) => {
                    return invalid("CTX-5", "documentInStages: includeCurrent is null")
                }
                Some(other) => return invalid("DATA-1", format!("includeCurrent: {other}")),
            };
            let sel = plan_items(schema, profile, model, &s.selection)?;
            out.push(Item::Stages {
                key,
                stages,
                include_current,
                sel,
            });
            continue;
        }
        match m.field(&s.name) {
            Some(FieldRef::System(f)) => {
                ctx::check_args(&s, &[])?;
                ctx::check_leaf(&s, true)?;
                out.push(Item::System(key, f));
            }
            Some(FieldRef::Scalar(i)) => {
                ctx::check_args(&s, &[])?;
                ctx::check_leaf(&s, true)?;
                out.push(Item::Scalar(key, i));
            }
            Some(FieldRef::Relation(i)) => {
                let Some(FieldKind::Relation { target, list, .. }) =
                    m.fields.get(i).map(|f| &f.kind)
                else {
                    return invalid("CTX-3", "not a relation");
                };
                let (target, list) = (*target, *list);
                ctx::check_leaf(&s, false)?;
                if list {
                    ctx::check_args(&s, &["where", "orderBy", "first", "skip", "locales"])?;
                    let args = plan_list_args(schema, target, &s, profile, "READ-9")?;
                    let locales = ctx::locales_value(schema, s.args.get("locales"), false)?;
                    let sel = plan_items(schema, profile, target, &s.selection)?;
                    out.push(Item::Many {
                        key,
                        rel: ListRelation::Own(i),
                        target,
                        locales,
                        args,
                        sel,
                    });
                } else {
                    ctx::check_args(&s, &["locales"])?;
                    let locales = ctx::locales_value(schema, s.args.get("locales"), false)?;
                    let sel = plan_items(schema, profile, target, &s.selection)?;
                    out.push(Item::Single {
                        key,
                        field: i,
                        target,
                        locales,
                        sel,
                    });
                }
            }
            Some(FieldRef::Reverse(r)) => {
                let Some(target) = m.reverse.get(r).map(|x| x.owner) else {
                    return invalid("CTX-3", "not a relation");
                };
                ctx::check_leaf(&s, false)?;
                ctx::check_args(&s, &["where", "orderBy", "first", "skip", "locales"])?;
                let args = plan_list_args(schema, target, &s, profile, "READ-9")?;
                let locales = ctx::locales_value(schema, s.args.get("locales"), false)?;
                let sel = plan_items(schema, profile, target, &s.selection)?;
                out.push(Item::Many {
                    key,
                    rel: ListRelation::Reverse(r),
                    target,
                    locales,
                    args,
                    sel,
                });
            }
            None => {
                return ctx::unknown(&s.name, format!("{} has no field {:?}", m.api_id, s.name))
            }
        }
    }
    Ok(out)
}

fn plan_connection(
    schema: &Schema,
    profile: &Profile,
    model: ModelIdx,
    sels: &[Selection],
) -> Result<Vec<ConnPart>, Invalid> {
    let api = schema
        .models
        .get(model)
        .map(|m| m.api_id.clone())
        .unwrap_or_default();
    let mut out = Vec::new();
    for s in ctx::merge(sels)? {
        let key = s.key().to_string();
        ctx::check_args(&s, &[])?;
        match s.name.as_str() {
            "__typename" => {
                ctx::check_leaf(&s, true)?;
                out.push(ConnPart::Typename(key));
            }
            "aggregate" => {
                ctx::check_leaf(&s, false)?;
                let mut parts = Vec::new();
                for a in ctx::merge(&s.selection)? {
                    ctx::check_args(&a, &[])?;
                    ctx::check_leaf(&a, true)?;
                    match a.name.as_str() {
                        "count" => parts.push((a.key().to_string(), true)),
                        "__typename" => parts.push((a.key().to_string(), false)),
                        other => return ctx::unknown(other, format!("Aggregate has no {other:?}")),
                    }
                }
                out.push(ConnPart::Aggregate(key, parts));
            }
            "edges" => {
                ctx::check_leaf(&s, false)?;
                let mut parts = Vec::new();
                for e in ctx::merge(&s.selection)? {
                    ctx::check_args(&e, &[])?;
                    match e.name.as_str() {
                        "node" => {
                            ctx::check_leaf(&e, false)?;
                            parts.push(EdgePart::Node(
                                e.key().to_string(),
                                plan_items(schema, profile, model, &e.selection)?,
                            ));
                        }
                        "__typename" => {
                            ctx::check_leaf(&e, true)?;
                            parts.push(EdgePart::Typename(e.key().to_string()));
                        }
                        other => return ctx::unknown(other, format!("{api}Edge has no {other:?}")),
                    }
                }
                out.push(ConnPart::Edges(key, parts));
            }
            other => return ctx::unknown(other, format!("{api}Connection has no {other:?}")),
        }
    }
    Ok(out)
}

/// Plans the root fields of a query (ERR-1 step 5).
pub fn plan_query(
    schema: &Schema,
    profile: &Profile,
    fields: &[Selection],
) -> Result<Vec<Root>, Invalid> {
    let mut out = Vec::new();
    for s in ctx::merge(fields)? {
        let key = s.key().to_string();
        if s.name == "__typename" {
            ctx::check_leaf(&s, true)?;
            out.push(Root::Typename(key));
            continue;
        }
        if s.name == "__schema" || s.name == "__type" {
            out.push(Root::Introspection(key));
            continue;
        }
        let found = schema.models.iter().enumerate().find_map(|(i, m)| {
            if s.name == single_name(&m.api_id) {
                Some((i, 0))
            } else if s.name == m.plural {
                Some((i, 1))
            } else if s.name == format!("{}Connection", m.plural) {
                Some((i, 2))
            } else {
                None
            }
        });
        let Some((model, kind)) = found else {
            return ctx::unknown(&s.name, format!("Query has no field {:?}", s.name));
        };
        ctx::check_leaf(&s, false)?;
        let stage = ctx::stage_arg(schema, &s, profile.explicit_null_arg)?;
        let locales = ctx::locales_value(schema, s.args.get("locales"), profile.explicit_null_arg)?;
        let shape = if kind == 0 {
            ctx::check_args(&s, &["where", "stage", "locales"])?;
            Shape::One {
                id: unique_where(&s, profile)?,
                sel: plan_items(schema, profile, model, &s.selection)?,
            }
        } else {
            ctx::check_args(
                &s,
                &["where", "orderBy", "first", "skip", "stage", "locales"],
            )?;
            let args = plan_list_args(schema, model, &s, profile, "READ-3")?;
            if kind == 1 {
                Shape::List {
                    args,
                    sel: plan_items(schema, profile, model, &s.selection)?,
                }
            } else {
                Shape::Connection {
                    args,
                    parts: plan_connection(schema, profile, model, &s.selection)?,
                }
            }
        };
        out.push(Root::Model(
            RootTarget {
                key,
                model,
                stage,
                locales,
            },
            shape,
        ));
    }
    Ok(out)
}

/// A `<Model>WhereUniqueInput` (`{id: ID!}`, READ-10) → the id.
pub fn unique_where(s: &Selection, profile: &Profile) -> Result<String, Invalid> {
    match s.args.get("where") {
        None => invalid("CTX-5", format!("{}: where is required", s.key())),
        Some(J::Null) => {
            if profile.explicit_null_arg {
                invalid("CTX-5", format!("{}: where must not be null", s.key()))
            } else {
                invalid("CTX-5", format!("{}: where is required", s.key()))
            }
        }
        Some(J::Object(o)) => {
            if o.len() != 1 {
                return invalid("READ-10", "a unique where takes exactly `id`");
            }
            match o.get("id") {
                Some(J::String(id)) if id.contains('\u{0}') => {
                    invalid("DATA-1", "where.id: a string containing U+0000")
                }
                Some(J::String(id)) => Ok(id.clone()),
                Some(J::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
                Some(J::Null) => invalid("READ-10", "where.id must not be null"),
                Some(other) => invalid("DATA-1", format!("where.id: ID cannot represent {other}")),
                None => invalid("READ-10", "a unique where takes exactly `id`"),
            }
        }
        Some(other) => invalid("DATA-1", format!("where: not an input object: {other}")),
    }
}

// ----------------------------------------------------------------------------------------
// Permission checks and execution.

/// What a read looks at: schema, content, the principal's enabled READ grants, the profile.
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    /// The schema.
    pub schema: &'a Schema,
    /// The content.
    pub content: &'a Content,
    /// The principal's enabled READ grants.
    pub grants: &'a [&'a Grant],
    /// The knobs.
    pub profile: &'a Profile,
}

/// The enabled READ grants among `grants`.
pub fn read_grants<'g>(grants: impl IntoIterator<Item = &'g Grant>) -> Vec<&'g Grant> {
    grants
        .into_iter()
        .filter(|g| g.enabled && g.action == Action::Read)
        .collect()
}

impl<'a> Reader<'a> {
    /// READ-1's coverage test: some READ grant covers (model, stage, L) for some L in `locales`,
    /// conditions aside.
    pub fn covered(&self, model: ModelIdx, stage: StageIdx, locales: &[LocaleIdx]) -> bool {
        self.grants.iter().any(|g| {
            locales
                .iter()
                .any(|&l| g.covers(Action::Read, model, stage, self.locale_for_grant(model, l)))
        })
    }

    fn locale_for_grant(&self, model: ModelIdx, l: LocaleIdx) -> Option<LocaleIdx> {
        let localized = self
            .schema
            .models
            .get(model)
            .is_some_and(|m| m.has_localized_fields());
        if localized || self.profile.unlocalized_locales {
            Some(l)
        } else {
            None
        }
    }

    /// READ-2: the locale an entry's document is served in, if it is visible.
    pub fn visible(
        &self,
        entry: &Entry,
        doc: &Document,
        stage: StageIdx,
        locales: &[LocaleIdx],
    ) -> Option<LocaleIdx> {
        let model = self.schema.models.get(entry.model)?;
        let localized = model.has_localized_fields();
        let served = if localized {
            *locales.iter().find(|&&l| doc.has_locale(l))?
        } else {
            *locales.first()?
        };
        let gl = (localized || self.profile.unlocalized_locales).then_some(served);
        let ctx = EvalCtx {
            schema: self.schema,
            content: self.content,
            stage,
            locale: served,
            null_logic: self.profile.null_logic,
        };
        let ok = self
            .grants
            .iter()
            .any(|g| g.covers(Action::Read, entry.model, stage, gl) && g.holds(&ctx, entry, doc));
        ok.then_some(served)
    }

    /// READ-6's up-front check of every relation field of `items`, with the stage and locales
    /// in force; pushes one error per denied field (fields below a denied one unchecked).
    /// `model` is the model `items` select from. With the knob `stages_field_silent` off, a
    /// `documentInStages` stage that no grant covers is denied the same way (READ-7).
    pub fn check_relations(
        &self,
        model: ModelIdx,
        items: &[Item],
        stage: StageIdx,
        locales: &[LocaleIdx],
        path: &mut Vec<String>,
        errors: &mut Vec<DeniedError>,
    ) {
        for it in items {
            if let Item::Stages {
                key,
                stages,
                include_current,
                ..
            } = it
            {
                let uncovered = stages
                    .iter()
                    .filter(|&&s| *include_current || s != stage)
                    .any(|&s| !self.covered(model, s, locales));
                if !self.profile.stages_field_silent && uncovered {
                    path.push(key.clone());
                    errors.push(DeniedError {
                        message: "not allowed".into(),
                        path: Some(path.clone()),
                        failed_actions: None,
                    });
                    path.pop();
                }
                continue;
            }
            let (key, target, own, sel) = match it {
                Item::Single {
                    key,
                    target,
                    locales,
                    sel,
                    ..
                }
                | Item::Many {
                    key,
                    target,
                    locales,
                    sel,
                    ..
                } => (key, *target, locales, sel),
                _ => continue,
            };
            let locs: &[LocaleIdx] = own.as_deref().unwrap_or(locales);
            path.push(key.clone());
            if self.covered(target, stage, locs) {
                self.check_relations(target, sel, stage, locs, path, errors);
            } else {
                errors.push(DeniedError {
                    message: "not allowed".into(),
                    path: Some(path.clone()),
                    failed_actions: None,
                });
            }
            path.pop();
        }
    }

    fn sort_key_cmp(
        &self,
        model: ModelIdx,
        order: &OrderBy,
        a: (&Entry, &Document, LocaleIdx),
        b: (&Entry, &Document, LocaleIdx),
    ) -> Ordering {
        let value = |(e, d, l): (&Entry, &Document, LocaleIdx)| -> Value {
            match order.key {
                OrderKey::System(SystemField::Id) => Value::String(e.id.clone()),
                OrderKey::System(SystemField::CreatedAt) => Value::DateTime(d.created_at),
                OrderKey::System(SystemField::UpdatedAt) => Value::DateTime(d.updated_at),
                OrderKey::System(SystemField::PublishedAt) => {
                    d.published_at.map(Value::DateTime).unwrap_or(Value::Null)
                }
                OrderKey::System(_) => Value::Null,
                OrderKey::Scalar(f) => match self.schema.models.get(model) {
                    Some(m) => d.scalar(m, f, l).clone(),
                    None => Value::Null,
                },
            }
        };
        let (va, vb) = (value(a), value(b));
        let primary = match (va.is_null(), vb.is_null()) {
            (true, true) => Ordering::Equal,
            // Nulls last for _ASC, first for _DESC.
            (true, false) => {
                if order.desc {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if order.desc {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, false) => {
                let c = self.compare_values(model, &order.key, &va, &vb);
                if order.desc {
                    c.reverse()
                } else {
                    c
                }
            }
        };
        primary.then(a.0.order.cmp(&b.0.order))
    }

    fn compare_values(&self, model: ModelIdx, key: &OrderKey, a: &Value, b: &Value) -> Ordering {
        if let (Value::Enum(x), Value::Enum(y), false, OrderKey::Scalar(f)) =
            (a, b, self.profile.enum_order_declaration, key)
        {
            if let Some(ScalarType::Enum(vals)) = self
                .schema
                .models
                .get(model)
                .and_then(|m| m.scalar_type(*f))
            {
                return vals.get(*x as usize).cmp(&vals.get(*y as usize));
            }
        }
        a.compare(b).unwrap_or(Ordering::Equal)
    }

    /// READ-2 then `where`, then ORDER-1, without paging: the visible matching entries with
    /// the locale each is served in. `candidates` are in their default order (creation order,
    /// or link order for relations).
    pub fn select<'e>(
        &self,
        model: ModelIdx,
        candidates: impl Iterator<Item = (&'e Entry, &'e Document)>,
        stage: StageIdx,
        locales: &[LocaleIdx],
        args: &ListArgs,
    ) -> Vec<(&'e Entry, &'e Document, LocaleIdx)> {
        let mut out: Vec<(&Entry, &Document, LocaleIdx)> = candidates
            .filter_map(|(e, d)| {
                let l = self.visible(e, d, stage, locales)?;
                let ok = args.filter.as_ref().is_none_or(|w| {
                    eval(
                        w,
                        &EvalCtx {
                            schema: self.schema,
                            content: self.content,
                            stage,
                            locale: l,
                            null_logic: self.profile.null_logic,
                        },
                        e,
                        d,
                    )
                });
                ok.then_some((e, d, l))
            })
            .collect();
        if let Some(order) = &args.order {
            out.sort_by(|a, b| self.sort_key_cmp(model, order, *a, *b));
        }
        out
    }

    /// `skip` then `first` (default `page_default` when `apply_default`).
    pub fn page<T>(&self, items: Vec<T>, args: &ListArgs, apply_default: bool) -> Vec<T> {
        let first = args
            .first
            .or(apply_default.then_some(self.profile.page_default));
        let it = items.into_iter().skip(args.skip);
        match first {
            Some(n) => it.take(n).collect(),
            None => it.collect(),
        }
    }

    /// Renders one visible entry's selection.
    pub fn render(
        &self,
        entry: &Entry,
        doc: &Document,
        stage: StageIdx,
        served: LocaleIdx,
        locales: &[LocaleIdx],
        items: &[Item],
    ) -> J {
        let mut obj = Map::new();
        let Some(model) = self.schema.models.get(entry.model) else {
            return J::Null;
        };
        for it in items {
            match it {
                Item::Typename(k, v) => {
                    obj.insert(k.clone(), J::String(v.clone()));
                }
                Item::System(k, f) => {
                    let v = match f {
                        SystemField::Id => J::String(entry.id.clone()),
                        SystemField::Stage => {
                            J::String(self.schema.stages.get(stage).cloned().unwrap_or_default())
                        }
                        SystemField::Locale => {
                            J::String(self.schema.locales.get(served).cloned().unwrap_or_default())
                        }
                        SystemField::CreatedAt => J::String(format_datetime(doc.created_at)),
                        SystemField::UpdatedAt => J::String(format_datetime(doc.updated_at)),
                        SystemField::PublishedAt => doc
                            .published_at
                            .map(|t| J::String(format_datetime(t)))
                            .unwrap_or(J::Null),
                    };
                    obj.insert(k.clone(), v);
                }
                Item::Scalar(k, f) => {
                    let v = match model.scalar_type(*f) {
                        Some(t) => doc.scalar(model, *f, served).to_json(t),
                        None => J::Null,
                    };
                    obj.insert(k.clone(), v);
                }
                Item::Single {
                    key,
                    field,
                    locales: own,
                    sel,
                    ..
                } => {
                    let locs: &[LocaleIdx] = own.as_deref().unwrap_or(locales);
                    let v = doc
                        .links
                        .get(*field)
                        .and_then(|ls| ls.first())
                        .and_then(|l| self.content.follow(l, stage))
                        .and_then(|(e, d)| {
                            let l = self.visible(e, d, stage, locs)?;
                            Some(self.render(e, d, stage, l, locs, sel))
                        })
                        .unwrap_or(J::Null);
                    obj.insert(key.clone(), v);
                }
                Item::Many {
                    key,
                    rel,
                    target,
                    locales: own,
                    args,
                    sel,
                } => {
                    let locs: &[LocaleIdx] = own.as_deref().unwrap_or(locales);
                    let related: Vec<(&Entry, &Document)> = match rel {
                        ListRelation::Own(f) => doc
                            .links
                            .get(*f)
                            .map(|ls| {
                                ls.iter()
                                    .filter_map(|l| self.content.follow(l, stage))
                                    .collect()
                            })
                            .unwrap_or_default(),
                        ListRelation::Reverse(r) => match model.reverse.get(*r) {
                            Some(rf) => self
                                .content
                                .reverse_links(rf.owner, rf.owner_field, &entry.id, stage)
                                .into_iter()
                                .map(|(_, e, d)| (e, d))
                                .collect(),
                            None => Vec::new(),
                        },
                    };
                    let chosen = self.select(*target, related.into_iter(), stage, locs, args);
                    let paged = self.page(chosen, args, self.profile.relation_paging);
                    let list = paged
                        .into_iter()
                        .map(|(e, d, l)| self.render(e, d, stage, l, locs, sel))
                        .collect();
                    obj.insert(key.clone(), J::Array(list));
                }
                Item::Stages {
                    key,
                    stages,
                    include_current,
                    sel,
                } => {
                    let list = stages
                        .iter()
                        .filter(|&&s| *include_current || s != stage)
                        .filter_map(|&s| {
                            let d = entry.document(s)?;
                            let l = self.visible(entry, d, s, locales)?;
                            Some(self.render(entry, d, s, l, locales, sel))
                        })
                        .collect();
                    obj.insert(key.clone(), J::Array(list));
                }
            }
        }
        J::Object(obj)
    }
}
