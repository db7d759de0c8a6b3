//! Planning mutation fields (ERR-1 step 5): which mutation of which model, the validated
//! `data` (types, required fields of create data, WRITE-9 localization and WRITE-10 relation
//! inputs, with the data-check failures of step 7 that the input alone shows), `to` / `from`.

use std::collections::BTreeSet;

use serde_json::{Map, Value as J};

use crate::model::ctx::{self, invalid, Invalid};
use crate::model::grant::Action;
use crate::model::profile::Profile;
use crate::model::project::{
    FieldIdx, FieldKind, FieldRef, LocaleIdx, ModelIdx, Schema, StageIdx, DRAFT_IDX, PUBLISHED_IDX,
};
use crate::model::read::{self, Item};
use crate::model::value::Value;
use crate::op::Selection;

/// Which mutation.
#[derive(Debug, Clone, PartialEq)]
pub enum MutKind {
    /// `createX(data)`.
    Create(DataPlan),
    /// `updateX(where, data)`.
    Update(DataPlan),
    /// `deleteX(where)`.
    Delete,
    /// `publishX(where, to)`.
    Publish(Vec<StageIdx>),
    /// `unpublishX(where, from)`.
    Unpublish(Vec<StageIdx>),
}

impl MutKind {
    pub(crate) fn action(&self) -> Action {
        match self {
            MutKind::Create(_) => Action::Create,
            MutKind::Update(_) => Action::Update,
            MutKind::Delete => Action::Delete,
            MutKind::Publish(_) => Action::Publish,
            MutKind::Unpublish(_) => Action::Unpublish,
        }
    }

    pub(crate) fn rule(&self) -> &'static str {
        match self {
            MutKind::Create(_) => "WRITE-1",
            MutKind::Update(_) => "WRITE-2",
            MutKind::Delete => "WRITE-3",
            MutKind::Publish(_) => "WRITE-4",
            MutKind::Unpublish(_) => "WRITE-5",
        }
    }
}

/// A relation field as written: an owned relation or a reverse field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RelField {
    /// An owned relation field.
    Own(FieldIdx),
    /// A reverse field (index into `Model::reverse`).
    Reverse(usize),
}

/// A relation input (WRITE-10).
#[derive(Debug, Clone, PartialEq)]
pub enum RelOp {
    /// `connect`.
    Connect(Vec<String>),
    /// `disconnect: [...]`.
    Disconnect(Vec<String>),
    /// `disconnect: true|false` on a single relation.
    DisconnectSingle(bool),
    /// `set`.
    Set(Vec<String>),
}

/// Values per field.
pub type Values = Vec<(FieldIdx, Value)>;

/// Validated `data` of a create or update.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataPlan {
    /// Top-level scalar values (localized ones are the default locale's).
    pub scalars: Values,
    /// Relation inputs.
    pub relations: Vec<(RelField, RelOp)>,
    /// `localizations.create`.
    pub loc_create: Vec<(LocaleIdx, Values)>,
    /// `localizations.update`.
    pub loc_update: Vec<(LocaleIdx, Values)>,
    /// `localizations.upsert`: locale, create data, update data.
    pub loc_upsert: Vec<(LocaleIdx, Values, Values)>,
    /// `localizations.delete`.
    pub loc_delete: Vec<LocaleIdx>,
    /// Data-check failures found while reading the input (ERR-1 step 7).
    pub data_errors: Vec<Invalid>,
}

impl DataPlan {
    pub(crate) fn sets_top_level(&self) -> bool {
        !self.scalars.is_empty() || !self.relations.is_empty()
    }

    pub(crate) fn named_locales(&self) -> Vec<LocaleIdx> {
        let mut out: Vec<LocaleIdx> = Vec::new();
        let all = self
            .loc_create
            .iter()
            .map(|(l, _)| *l)
            .chain(self.loc_update.iter().map(|(l, _)| *l))
            .chain(self.loc_upsert.iter().map(|(l, _, _)| *l))
            .chain(self.loc_delete.iter().copied());
        for l in all {
            if !out.contains(&l) {
                out.push(l);
            }
        }
        out
    }
}

/// A planned mutation field.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // planned once per request, never stored in bulk
pub enum MutRoot {
    /// `__typename` (`Mutation`).
    Typename(String),
    /// A mutation of a model.
    Field {
        /// Response key.
        key: String,
        /// The model.
        model: ModelIdx,
        /// `where.id` (not for create).
        id: Option<String>,
        /// Which mutation.
        kind: MutKind,
        /// The result's selection.
        sel: Vec<Item>,
    },
}

fn model_prefixes(name: &str) -> Option<(&'static str, &str)> {
    for p in ["create", "update", "delete", "unpublish", "publish"] {
        if let Some(rest) = name.strip_prefix(p) {
            if !rest.is_empty() {
                return Some((p, rest));
            }
        }
    }
    None
}

/// Plans the root fields of a mutation (ERR-1 step 5).
pub fn plan_mutation(
    schema: &Schema,
    profile: &Profile,
    fields: &[Selection],
) -> Result<Vec<MutRoot>, Invalid> {
    let mut out = Vec::new();
    for s in ctx::merge(fields)? {
        let key = s.key().to_string();
        if s.name == "__typename" {
            ctx::check_leaf(&s, true)?;
            out.push(MutRoot::Typename(key));
            continue;
        }
        let Some((verb, api)) = model_prefixes(&s.name) else {
            return ctx::unknown(&s.name, format!("Mutation has no field {:?}", s.name));
        };
        let Some(model) = schema.model(api) else {
            return ctx::unknown(&s.name, format!("Mutation has no field {:?}", s.name));
        };
        ctx::check_leaf(&s, false)?;
        let sel = read::plan_items(schema, profile, model, &s.selection)?;
        let (id, kind) = match verb {
            "create" => {
                ctx::check_args(&s, &["data"])?;
                let data = data_arg(&s)?;
                (None, MutKind::Create(plan_data(schema, model, data, true)?))
            }
            "update" => {
                ctx::check_args(&s, &["where", "data"])?;
                let id = read::unique_where(&s, profile)?;
                let data = data_arg(&s)?;
                (
                    Some(id),
                    MutKind::Update(plan_data(schema, model, data, false)?),
                )
            }
            "delete" => {
                ctx::check_args(&s, &["where"])?;
                (Some(read::unique_where(&s, profile)?), MutKind::Delete)
            }
            "publish" => {
                ctx::check_args(&s, &["where", "to"])?;
                let id = read::unique_where(&s, profile)?;
                (Some(id), MutKind::Publish(stage_list(schema, &s, "to")?))
            }
            _ => {
                ctx::check_args(&s, &["where", "from"])?;
                let id = read::unique_where(&s, profile)?;
                (
                    Some(id),
                    MutKind::Unpublish(stage_list(schema, &s, "from")?),
                )
            }
        };
        out.push(MutRoot::Field {
            key,
            model,
            id,
            kind,
            sel,
        });
    }
    Ok(out)
}

fn data_arg(s: &Selection) -> Result<&Map<String, J>, Invalid> {
    match s.args.get("data") {
        None => invalid("CTX-5", format!("{}: data is required", s.key())),
        Some(J::Null) => invalid("CTX-5", format!("{}: data must not be null", s.key())),
        Some(J::Object(o)) => Ok(o),
        Some(other) => invalid("DATA-1", format!("data: not an input object: {other}")),
    }
}

/// `to` / `from` (WRITE-4, WRITE-5): default `[PUBLISHED]`; `[]`, `DRAFT` or null are a 400.
fn stage_list(schema: &Schema, s: &Selection, arg: &str) -> Result<Vec<StageIdx>, Invalid> {
    let items: Vec<&J> = match s.args.get(arg) {
        None => return Ok(vec![PUBLISHED_IDX]),
        Some(J::Null) => return invalid("CTX-5", format!("{arg} must not be null")),
        Some(J::Array(a)) => a.iter().collect(),
        Some(one) => vec![one],
    };
    if items.is_empty() {
        return invalid("WRITE-5", format!("{arg} must not be empty"));
    }
    let mut out = Vec::new();
    for it in items {
        let Some(st) = it.as_str().and_then(|x| schema.stage(x)) else {
            return invalid("CTX-3", format!("{arg}: unknown stage {it}"));
        };
        if st == DRAFT_IDX {
            return invalid("WRITE-5", format!("{arg} must not contain DRAFT"));
        }
        if !out.contains(&st) {
            out.push(st);
        }
    }
    Ok(out)
}

fn coerce_field(
    schema: &Schema,
    model: ModelIdx,
    fi: FieldIdx,
    v: &J,
    path: &str,
) -> Result<Value, Invalid> {
    let Some(t) = schema.models.get(model).and_then(|m| m.scalar_type(fi)) else {
        return invalid("READ-10", format!("{path}: not a scalar field"));
    };
    Value::coerce(t, v).map_err(|e| Invalid {
        rule: "DATA-1",
        message: format!("{path}: {e}"),
    })
}

fn plan_localized(
    schema: &Schema,
    model: ModelIdx,
    v: &J,
    create: bool,
    path: &str,
) -> Result<Values, Invalid> {
    let Some(m) = schema.models.get(model) else {
        return invalid("READ-10", "unknown model");
    };
    let J::Object(o) = v else {
        return invalid("DATA-1", format!("{path}: not an input object"));
    };
    let mut out = Vec::new();
    for (k, x) in o {
        let Some(fi) = m.fields.iter().position(|f| &f.api_id == k && f.localized) else {
            return invalid("READ-10", format!("{path}.{k}: not a localized field"));
        };
        out.push((
            fi,
            coerce_field(schema, model, fi, x, &format!("{path}.{k}"))?,
        ));
    }
    if create {
        for (fi, f) in m.fields.iter().enumerate() {
            if f.localized && f.required && !out.iter().any(|(i, v)| *i == fi && !v.is_null()) {
                return invalid(
                    "DATA-5",
                    format!("{path}: required field {:?} missing", f.api_id),
                );
            }
        }
    }
    Ok(out)
}

fn locale_of(schema: &Schema, v: Option<&J>, path: &str) -> Result<LocaleIdx, Invalid> {
    match v.and_then(J::as_str).and_then(|l| schema.locale(l)) {
        Some(l) => Ok(l),
        None => invalid("CTX-3", format!("{path}: unknown or missing locale")),
    }
}

fn list_of(v: &J) -> Vec<&J> {
    match v {
        J::Array(a) => a.iter().collect(),
        one => vec![one],
    }
}

fn ids_of(v: &J, path: &str) -> Result<Vec<String>, Invalid> {
    let mut out = Vec::new();
    for (i, x) in list_of(v).into_iter().enumerate() {
        match x {
            J::Object(o) if o.len() == 1 => match o.get("id") {
                Some(J::String(id)) if id.contains('\u{0}') => {
                    return invalid(
                        "DATA-1",
                        format!("{path}[{i}].id: a string containing U+0000"),
                    )
                }
                Some(J::String(id)) => out.push(id.clone()),
                _ => return invalid("DATA-1", format!("{path}[{i}]: expected {{id: ID!}}")),
            },
            _ => return invalid("DATA-1", format!("{path}[{i}]: expected {{id: ID!}}")),
        }
    }
    Ok(out)
}

fn plan_localizations(
    schema: &Schema,
    model: ModelIdx,
    v: &J,
    create: bool,
    plan: &mut DataPlan,
) -> Result<(), Invalid> {
    let J::Object(o) = v else {
        return invalid("DATA-1", "localizations: not an input object");
    };
    let allowed: &[&str] = if create {
        &["create"]
    } else {
        &["create", "update", "upsert", "delete"]
    };
    let mut seen: Vec<LocaleIdx> = Vec::new();
    let mut note = |l: LocaleIdx, plan: &mut DataPlan| {
        if l == 0 {
            plan.data_errors.push(Invalid {
                rule: "WRITE-9",
                message: "localizations: the default locale is written through top-level fields"
                    .into(),
            });
        }
        if seen.contains(&l) {
            plan.data_errors.push(Invalid {
                rule: "WRITE-9",
                message: "localizations: one locale twice".into(),
            });
        }
        seen.push(l);
    };
    for (k, x) in o {
        if !allowed.contains(&k.as_str()) {
            return invalid(
                "READ-10",
                format!("localizations.{k}: not in this contract"),
            );
        }
        for (i, item) in list_of(x).into_iter().enumerate() {
            let path = format!("localizations.{k}[{i}]");
            match k.as_str() {
                "delete" => {
                    let l = locale_of(schema, Some(item), &path)?;
                    note(l, plan);
                    plan.loc_delete.push(l);
                }
                "upsert" => {
                    let J::Object(io) = item else {
                        return invalid("DATA-1", format!("{path}: not an input object"));
                    };
                    if let Some(bad) = io
                        .keys()
                        .find(|k| !["locale", "create", "update"].contains(&k.as_str()))
                    {
                        return invalid("READ-10", format!("{path}.{bad}: unknown"));
                    }
                    let l = locale_of(schema, io.get("locale"), &path)?;
                    let (Some(c), Some(u)) = (io.get("create"), io.get("update")) else {
                        return invalid("CTX-5", format!("{path}: create and update are required"));
                    };
                    let c = plan_localized(schema, model, c, true, &format!("{path}.create"))?;
                    let u = plan_localized(schema, model, u, false, &format!("{path}.update"))?;
                    note(l, plan);
                    plan.loc_upsert.push((l, c, u));
                }
                _ => {
                    let J::Object(io) = item else {
                        return invalid("DATA-1", format!("{path}: not an input object"));
                    };
                    if let Some(bad) = io
                        .keys()
                        .find(|k| !["locale", "data"].contains(&k.as_str()))
                    {
                        return invalid("READ-10", format!("{path}.{bad}: unknown"));
                    }
                    let l = locale_of(schema, io.get("locale"), &path)?;
                    let Some(d) = io.get("data") else {
                        return invalid("CTX-5", format!("{path}: data is required"));
                    };
                    let is_create = k == "create";
                    let vals =
                        plan_localized(schema, model, d, is_create, &format!("{path}.data"))?;
                    note(l, plan);
                    if is_create {
                        plan.loc_create.push((l, vals));
                    } else {
                        plan.loc_update.push((l, vals));
                    }
                }
            }
        }
    }
    Ok(())
}

fn plan_relation(
    key: &str,
    v: &J,
    single: bool,
    create: bool,
    plan: &mut DataPlan,
    rf: RelField,
) -> Result<(), Invalid> {
    let J::Object(o) = v else {
        return invalid("DATA-1", format!("{key}: not a relation input"));
    };
    let allowed: &[&str] = match (create, single) {
        (true, _) => &["connect"],
        (false, true) => &["connect", "disconnect"],
        (false, false) => &["connect", "disconnect", "set"],
    };
    if let Some(bad) = o.keys().find(|k| !allowed.contains(&k.as_str())) {
        return invalid("WRITE-10", format!("{key}.{bad}: not in this contract"));
    }
    if o.len() > 1 {
        plan.data_errors.push(Invalid {
            rule: "WRITE-10",
            message: format!("{key}: two of connect, disconnect, set"),
        });
    }
    for (k, x) in o {
        let path = format!("{key}.{k}");
        let op = match (k.as_str(), single) {
            ("connect", true) => match x {
                J::Object(_) => RelOp::Connect(ids_of(x, &path)?),
                _ => return invalid("DATA-1", format!("{path}: expected {{id: ID!}}")),
            },
            ("disconnect", true) => match x {
                J::Bool(b) => RelOp::DisconnectSingle(*b),
                _ => return invalid("DATA-1", format!("{path}: expected a Boolean")),
            },
            ("connect", false) => RelOp::Connect(ids_of(x, &path)?),
            ("disconnect", false) => RelOp::Disconnect(ids_of(x, &path)?),
            _ => RelOp::Set(ids_of(x, &path)?),
        };
        if let RelOp::Connect(ids) | RelOp::Disconnect(ids) | RelOp::Set(ids) = &op {
            let mut seen = BTreeSet::new();
            if ids.iter().any(|i| !seen.insert(i)) {
                plan.data_errors.push(Invalid {
                    rule: "WRITE-10",
                    message: format!("{path}: an id twice in one list"),
                });
            }
        }
        plan.relations.push((rf, op));
    }
    Ok(())
}

/// Validates `data` (ERR-1 step 5) into a [`DataPlan`].
pub fn plan_data(
    schema: &Schema,
    model: ModelIdx,
    data: &Map<String, J>,
    create: bool,
) -> Result<DataPlan, Invalid> {
    let Some(m) = schema.models.get(model) else {
        return invalid("READ-10", "unknown model");
    };
    let mut plan = DataPlan::default();
    for (k, v) in data {
        if k == "localizations" {
            if !m.has_localized_fields() {
                return invalid(
                    "READ-10",
                    format!("{} has no localizations input", m.api_id),
                );
            }
            plan_localizations(schema, model, v, create, &mut plan)?;
            continue;
        }
        match m.field(k) {
            Some(FieldRef::Scalar(fi)) => {
                let val = coerce_field(schema, model, fi, v, k)?;
                plan.scalars.push((fi, val));
            }
            Some(FieldRef::Relation(fi)) => {
                let single = matches!(
                    m.fields.get(fi).map(|f| &f.kind),
                    Some(FieldKind::Relation { list: false, .. })
                );
                if v.is_null() {
                    return invalid("CTX-5", format!("{k}: a relation input must not be null"));
                }
                plan_relation(k, v, single, create, &mut plan, RelField::Own(fi))?;
            }
            Some(FieldRef::Reverse(ri)) => {
                if v.is_null() {
                    return invalid("CTX-5", format!("{k}: a relation input must not be null"));
                }
                plan_relation(k, v, false, create, &mut plan, RelField::Reverse(ri))?;
            }
            Some(FieldRef::System(_)) => {
                return invalid("READ-10", format!("{k}: system fields cannot be written"))
            }
            None => return ctx::unknown(k, format!("{} has no field {k:?}", m.api_id)),
        }
    }
    if create {
        for (fi, f) in m.fields.iter().enumerate() {
            if f.required && !plan.scalars.iter().any(|(i, v)| *i == fi && !v.is_null()) {
                return invalid(
                    "DATA-5",
                    format!("required field {:?} is missing from create data", f.api_id),
                );
            }
        }
    }
    Ok(plan)
}
