//! Reading the root fields of a validated mutation into plans: which mutation of which model,
//! `where.id`, `to` / `from`, and `data` as typed values (ERR-1 step 5, the part the validator
//! leaves to the executor), with the data-check failures of step 7 that the input alone shows
//! (WRITE-9, WRITE-10) recorded for later.
//!
//! Step 5 refusals here: `to` / `from` empty or containing `DRAFT` (WRITE-5), an explicit
//! `null` for a relation input, `localizations` or anything inside them (CTX-5), a required
//! field missing or null in create data (DATA-5), a value its type refuses (DATA-1). The
//! validator has already checked the shapes against the schema, so most of these are
//! defensive.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use crate::model::grant::Action;
use crate::model::project::{
    FieldIdx, FieldKind, FieldRef, LocaleIdx, Model, ModelIdx, Schema, DRAFT,
};
use crate::model::value::Value;
use crate::sandbox::schema::SelectedField;

/// A step-5 refusal (a 400 before permissions).
pub(super) type Refusal = String;

/// Which mutation a root field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verb {
    /// `createX(data)`.
    Create,
    /// `updateX(where, data)`.
    Update,
    /// `deleteX(where)`.
    Delete,
    /// `publishX(where, to)`.
    Publish,
    /// `unpublishX(where, from)`.
    Unpublish,
}

impl Verb {
    const ALL: [Verb; 5] = [
        Verb::Create,
        Verb::Update,
        Verb::Delete,
        Verb::Publish,
        Verb::Unpublish,
    ];

    fn prefix(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Delete => "delete",
            Verb::Publish => "publish",
            Verb::Unpublish => "unpublish",
        }
    }

    /// The grant action the mutation is judged by (WRITE-0).
    pub(super) fn action(self) -> Action {
        match self {
            Verb::Create => Action::Create,
            Verb::Update => Action::Update,
            Verb::Delete => Action::Delete,
            Verb::Publish => Action::Publish,
            Verb::Unpublish => Action::Unpublish,
        }
    }
}

/// Values by field index.
pub(super) type Values = Vec<(FieldIdx, Value)>;

/// A relation-like field written in `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RelField {
    /// A relation field the model owns.
    Own(FieldIdx),
    /// A reverse field, by its index in `Model::reverse`.
    Reverse(usize),
}

/// A relation input (WRITE-10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RelOp {
    /// `connect` (one id on a single field, a list on a list field).
    Connect(Vec<String>),
    /// `disconnect: [..]` on a list field.
    Disconnect(Vec<String>),
    /// `disconnect: true | false` on a single field.
    DisconnectSingle(bool),
    /// `set: [..]` on a list field.
    Set(Vec<String>),
}

impl RelOp {
    /// The ids the input names.
    pub(super) fn ids(&self) -> &[String] {
        match self {
            RelOp::Connect(ids) | RelOp::Disconnect(ids) | RelOp::Set(ids) => ids,
            RelOp::DisconnectSingle(_) => &[],
        }
    }
}

/// One item of `data.localizations`, as written.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum LocWrite {
    /// `create: {locale, data}`.
    Create(LocaleIdx, Values),
    /// `update: {locale, data}`.
    Update(LocaleIdx, Values),
    /// `upsert: {locale, create, update}`.
    Upsert(LocaleIdx, Values, Values),
    /// `delete: locale`.
    Delete(LocaleIdx),
}

impl LocWrite {
    /// The locale the item names.
    pub(super) fn locale(&self) -> LocaleIdx {
        match self {
            LocWrite::Create(l, _)
            | LocWrite::Update(l, _)
            | LocWrite::Upsert(l, _, _)
            | LocWrite::Delete(l) => *l,
        }
    }

    /// Where the item is applied among the others of an update: creates, updates, upserts,
    /// deletes (§7 does not order them; this is the reading the reference holds too, and it
    /// matters only to the document judged when a locale is named twice, itself a WRITE-9
    /// failure).
    pub(super) fn rank(&self) -> u8 {
        match self {
            LocWrite::Create(..) => 0,
            LocWrite::Update(..) => 1,
            LocWrite::Upsert(..) => 2,
            LocWrite::Delete(_) => 3,
        }
    }
}

/// The `data` of a create or update, typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct DataPlan {
    /// Top-level scalar values; localized ones are the default locale's (WRITE-9).
    pub scalars: Values,
    /// Relation inputs, in input order.
    pub relations: Vec<(RelField, RelOp)>,
    /// The items of `localizations`, in input order.
    pub localizations: Vec<LocWrite>,
    /// Step-7 data-check failures the input alone shows (WRITE-9, WRITE-10).
    pub errors: Vec<String>,
}

impl DataPlan {
    /// §7's touched locales of a create: the default locale (unless `with_default` is off, a
    /// fault) and every locale the localizations create.
    pub(super) fn create_locales(&self, with_default: bool) -> BTreeSet<LocaleIdx> {
        let created = self.localizations.iter().map(LocWrite::locale);
        with_default
            .then_some(0)
            .into_iter()
            .chain(created)
            .collect()
    }

    /// §7's touched locales of an update: every locale the localizations name, and the
    /// default locale when a top-level field or a relation is set or nothing else is named.
    pub(super) fn update_locales(&self) -> BTreeSet<LocaleIdx> {
        let mut touched: BTreeSet<LocaleIdx> =
            self.localizations.iter().map(LocWrite::locale).collect();
        let top_level = !(self.scalars.is_empty() && self.relations.is_empty());
        if top_level || touched.is_empty() {
            touched.insert(0);
        }
        touched
    }
}

/// One mutation field, planned.
#[derive(Debug, Clone)]
pub(super) struct FieldPlan<'a> {
    /// The response key.
    pub key: String,
    /// The model.
    pub model: ModelIdx,
    /// Which mutation.
    pub verb: Verb,
    /// `where.id` (not for create).
    pub id: Option<String>,
    /// `data` (create and update; empty otherwise).
    pub data: DataPlan,
    /// The distinct stages of `to` (publish) or `from` (unpublish), in order; empty otherwise.
    pub stages: Vec<String>,
    /// The result's selection.
    pub selection: &'a [SelectedField],
}

/// A root field of a mutation operation, planned.
#[derive(Debug, Clone)]
pub(super) enum RootPlan<'a> {
    /// `__typename`, by response key.
    Typename(String),
    /// A mutation of a model.
    Field(Box<FieldPlan<'a>>),
}

/// Plans one root field of a validated mutation.
pub(super) fn root<'a>(schema: &Schema, f: &'a SelectedField) -> Result<RootPlan<'a>, Refusal> {
    if f.name == "__typename" {
        return Ok(RootPlan::Typename(f.key().to_string()));
    }
    let found = schema.models.iter().enumerate().find_map(|(mi, m)| {
        Verb::ALL
            .iter()
            .find(|v| f.name.strip_prefix(v.prefix()) == Some(m.api_id.as_str()))
            .map(|v| (mi, *v))
    });
    let Some((model, verb)) = found else {
        return Err(format!("Mutation has no field {:?}", f.name));
    };
    let id = match verb {
        Verb::Create => None,
        _ => Some(where_id(f)?),
    };
    let data = match verb {
        Verb::Create | Verb::Update => match f.args.get("data") {
            Some(Json::Object(d)) => plan_data(schema, model, d, verb == Verb::Create)?,
            _ => return Err(format!("{}: data must be an input object", f.key())),
        },
        _ => DataPlan::default(),
    };
    let stages = match verb {
        Verb::Publish => stage_list(schema, f, "to")?,
        Verb::Unpublish => stage_list(schema, f, "from")?,
        _ => Vec::new(),
    };
    Ok(RootPlan::Field(Box::new(FieldPlan {
        key: f.key().to_string(),
        model,
        verb,
        id,
        data,
        stages,
        selection: &f.selection,
    })))
}

fn where_id(f: &SelectedField) -> Result<String, Refusal> {
    match f.args.get("where").and_then(|w| w.get("id")) {
        Some(Json::String(id)) => Ok(id.clone()),
        _ => Err(format!("{}: where must be {{id: ID!}}", f.key())),
    }
}

/// `to` / `from` (WRITE-4, WRITE-5): default `[PUBLISHED]` (applied by the schema); empty, or
/// containing `DRAFT`, is a 400; duplicates are dropped.
fn stage_list(schema: &Schema, f: &SelectedField, arg: &str) -> Result<Vec<String>, Refusal> {
    let items: Vec<&Json> = match f.args.get(arg) {
        Some(Json::Array(a)) => a.iter().collect(),
        Some(Json::Null) | None => return Err(format!("{}: {arg} is required", f.key())),
        Some(one) => vec![one],
    };
    if items.is_empty() {
        return Err(format!("{}: {arg} must not be empty (WRITE-5)", f.key()));
    }
    let mut out: Vec<String> = Vec::new();
    for it in items {
        let Some(s) = it.as_str().filter(|s| schema.stage(s).is_some()) else {
            return Err(format!("{}: {arg}: unknown stage {it}", f.key()));
        };
        if s == DRAFT {
            return Err(format!(
                "{}: {arg} must not contain DRAFT (WRITE-5)",
                f.key()
            ));
        }
        if !out.iter().any(|x| x == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

fn coerce(
    schema: &Schema,
    model: ModelIdx,
    fi: FieldIdx,
    v: &Json,
    path: &str,
) -> Result<Value, Refusal> {
    let Some(ty) = schema.models.get(model).and_then(|m| m.scalar_type(fi)) else {
        return Err(format!("{path}: not a scalar field"));
    };
    Value::coerce(ty, v).map_err(|e| format!("{path}: {} (DATA-1)", e.0))
}

/// Validates `data` into a [`DataPlan`].
fn plan_data(
    schema: &Schema,
    model: ModelIdx,
    data: &Map<String, Json>,
    create: bool,
) -> Result<DataPlan, Refusal> {
    let Some(m) = schema.models.get(model) else {
        return Err(format!("no model #{model}"));
    };
    let mut plan = DataPlan::default();
    for (k, v) in data {
        if k == "localizations" && m.has_localized_fields() {
            plan_localizations(schema, model, v, create, &mut plan)?;
            continue;
        }
        match m.field(k) {
            Some(FieldRef::Scalar(fi)) => {
                let val = coerce(schema, model, fi, v, &format!("data.{k}"))?;
                plan.scalars.push((fi, val));
            }
            Some(FieldRef::Relation(fi)) => {
                let single = matches!(
                    m.fields.get(fi).map(|f| &f.kind),
                    Some(FieldKind::Relation { list: false, .. })
                );
                plan_relation(k, v, single, create, RelField::Own(fi), &mut plan)?;
            }
            Some(FieldRef::Reverse(ri)) => {
                plan_relation(k, v, false, create, RelField::Reverse(ri), &mut plan)?;
            }
            Some(FieldRef::System(_)) | None => {
                return Err(format!("{} has no input field {k:?}", m.api_id));
            }
        }
    }
    if create {
        if let Some(name) = missing_required(m, &plan.scalars, false) {
            return Err(format!(
                "required field {name:?} is missing from create data (DATA-5)"
            ));
        }
    }
    Ok(plan)
}

/// The first required field (only localized ones with `localized_only`) that `values` leaves
/// out or sets to null (DATA-5).
fn missing_required<'m>(m: &'m Model, values: &Values, localized_only: bool) -> Option<&'m str> {
    m.fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.required && (f.localized || !localized_only))
        .find(|(fi, _)| !values.iter().any(|(i, v)| i == fi && !v.is_null()))
        .map(|(_, f)| f.api_id.as_str())
}

/// Localized values of one `localizations` item (its `data`, or upsert's `create` / `update`);
/// a `create` must hold every required localized field.
fn localized_values(
    schema: &Schema,
    model: ModelIdx,
    v: &Json,
    create: bool,
    path: &str,
) -> Result<Values, Refusal> {
    let m = schema
        .models
        .get(model)
        .ok_or_else(|| format!("no model #{model}"))?;
    let values = object(v, path)?
        .iter()
        .map(|(k, x)| {
            let fi = m
                .fields
                .iter()
                .position(|f| &f.api_id == k && f.localized)
                .ok_or_else(|| format!("{path}.{k}: not a localized field"))?;
            Ok((fi, coerce(schema, model, fi, x, &format!("{path}.{k}"))?))
        })
        .collect::<Result<Values, Refusal>>()?;
    match missing_required(m, &values, true).filter(|_| create) {
        Some(name) => Err(format!(
            "{path}: required field {name:?} is missing (DATA-5)"
        )),
        None => Ok(values),
    }
}

fn locale_of(schema: &Schema, v: Option<&Json>, path: &str) -> Result<LocaleIdx, Refusal> {
    v.and_then(Json::as_str)
        .and_then(|l| schema.locale(l))
        .ok_or_else(|| format!("{path}: unknown or missing locale"))
}

/// The items of a list input; a single value stands for a list of one (DATA-1); `null` is
/// refused (CTX-5).
fn items<'v>(v: &'v Json, path: &str) -> Result<Vec<&'v Json>, Refusal> {
    match v {
        Json::Null => Err(format!("{path}: must not be null")),
        Json::Array(a) => Ok(a.iter().collect()),
        one => Ok(vec![one]),
    }
}

fn object<'v>(v: &'v Json, path: &str) -> Result<&'v Map<String, Json>, Refusal> {
    match v {
        Json::Object(o) => Ok(o),
        Json::Null => Err(format!("{path}: must not be null")),
        _ => Err(format!("{path}: not an input object")),
    }
}

/// `data.localizations` (WRITE-9): create data may only `create`.
fn plan_localizations(
    schema: &Schema,
    model: ModelIdx,
    v: &Json,
    create: bool,
    plan: &mut DataPlan,
) -> Result<(), Refusal> {
    for (verb, list) in object(v, "localizations")? {
        let allowed = match verb.as_str() {
            "create" => true,
            "update" | "upsert" | "delete" => !create,
            _ => false,
        };
        if !allowed {
            return Err(format!("localizations.{verb}: not in this contract"));
        }
        for (i, item) in items(list, &format!("localizations.{verb}"))?
            .into_iter()
            .enumerate()
        {
            let path = format!("localizations.{verb}[{i}]");
            plan.localizations
                .push(localization(schema, model, verb, item, &path)?);
        }
    }
    // WRITE-9's checks on the input alone: the default locale is written through top-level
    // fields, and one data names a locale once.
    let mut named: BTreeMap<LocaleIdx, usize> = BTreeMap::new();
    for w in &plan.localizations {
        *named.entry(w.locale()).or_default() += 1;
    }
    for (l, n) in named {
        if l == 0 {
            plan.errors.push(
                "localizations: the default locale is written through top-level fields (WRITE-9)"
                    .into(),
            );
        }
        if n > 1 {
            plan.errors.push(format!(
                "localizations: locale {:?} given {n} times (WRITE-9)",
                schema.locales.get(l).map_or("", String::as_str)
            ));
        }
    }
    Ok(())
}

/// One item of `localizations.{verb}`.
fn localization(
    schema: &Schema,
    model: ModelIdx,
    verb: &str,
    item: &Json,
    path: &str,
) -> Result<LocWrite, Refusal> {
    if verb == "delete" {
        return Ok(LocWrite::Delete(locale_of(schema, Some(item), path)?));
    }
    let o = object(item, path)?;
    let locale = locale_of(schema, o.get("locale"), path)?;
    let part = |name: &str, create: bool| -> Result<Values, Refusal> {
        let x = o
            .get(name)
            .ok_or_else(|| format!("{path}: {name} is required"))?;
        localized_values(schema, model, x, create, &format!("{path}.{name}"))
    };
    Ok(match verb {
        "create" => LocWrite::Create(locale, part("data", true)?),
        "update" => LocWrite::Update(locale, part("data", false)?),
        _ => LocWrite::Upsert(locale, part("create", true)?, part("update", false)?),
    })
}

/// The ids of `[{id}, …]` (or one `{id}`).
fn ids_of(v: &Json, path: &str) -> Result<Vec<String>, Refusal> {
    let mut out = Vec::new();
    for (i, x) in items(v, path)?.into_iter().enumerate() {
        match x.get("id") {
            Some(Json::String(id)) if x.as_object().is_some_and(|o| o.len() == 1) => {
                out.push(id.clone())
            }
            _ => return Err(format!("{path}[{i}]: expected {{id: ID!}}")),
        }
    }
    Ok(out)
}

/// A relation input on `key` (WRITE-10). Create data may only `connect`; a single relation
/// connects one `{id}` or `disconnect`s by a Boolean; a list relation connects, disconnects or
/// `set`s lists of `{id}`. Two operations in one input, or an id twice in one list, are data
/// failures of step 7, recorded.
fn plan_relation(
    key: &str,
    v: &Json,
    single: bool,
    create: bool,
    rf: RelField,
    plan: &mut DataPlan,
) -> Result<(), Refusal> {
    let input = object(v, key)?;
    let refuse = |path: &str| Err(format!("{path}: not in this contract (WRITE-10)"));
    let mut ops = Vec::with_capacity(input.len());
    for (verb, x) in input {
        let path = format!("{key}.{verb}");
        let op = match (verb.as_str(), create, single) {
            ("connect", _, true) => RelOp::Connect(ids_of(object(x, &path).map(|_| x)?, &path)?),
            ("connect", _, false) => RelOp::Connect(ids_of(x, &path)?),
            ("disconnect", false, true) => match x.as_bool() {
                Some(b) => RelOp::DisconnectSingle(b),
                None => return Err(format!("{path}: expected a Boolean")),
            },
            ("disconnect", false, false) => RelOp::Disconnect(ids_of(x, &path)?),
            ("set", false, false) => RelOp::Set(ids_of(x, &path)?),
            _ => return refuse(&path),
        };
        let distinct: BTreeSet<&String> = op.ids().iter().collect();
        if distinct.len() < op.ids().len() {
            plan.errors
                .push(format!("{path}: an id twice in one list (WRITE-10)"));
        }
        ops.push((rf, op));
    }
    if ops.len() > 1 {
        plan.errors.push(format!(
            "{key}: two of connect, disconnect, set in one input (WRITE-10)"
        ));
    }
    plan.relations.extend(ops);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::model::spec::EnvSpec;
    use crate::sandbox::schema::ContentSchema;

    const ENV: &str = r#"
locales: [en, de]
stages: [QA]
models:
  - name: Post
    fields:
      - {name: title, type: String, localized: true, required: true}
      - {name: views, type: Int}
      - {name: author, type: Author, reverse: posts}
      - {name: tags, type: Tag, list: true}
  - name: Author
    fields: [{name: name, type: String}]
  - name: Tag
    fields: [{name: label, type: String}]
"#;

    fn plan(query: &str) -> Result<Vec<String>, Refusal> {
        let env: EnvSpec = serde_yaml_ng::from_str(ENV).unwrap();
        let schema = env.schema("env").unwrap();
        let cs = ContentSchema::new(&schema).unwrap();
        let v = cs.validate(query, None, None).unwrap();
        let mut out = Vec::new();
        for f in &v.fields {
            match root(&schema, f)? {
                RootPlan::Typename(k) => out.push(format!("typename {k}")),
                RootPlan::Field(p) => out.push(format!(
                    "{:?} {} {:?} {:?} {:?}",
                    p.verb, p.model, p.id, p.stages, p.data.errors
                )),
            }
        }
        Ok(out)
    }

    #[test]
    fn fields_verbs_and_stage_lists() {
        assert_eq!(
            plan("mutation { __typename a: publishPost(where: {id: \"p\"}, to: [QA, QA, PUBLISHED]) { id } unpublishAuthor(where: {id: \"a\"}) { id } }")
                .unwrap(),
            [
                "typename __typename",
                "Publish 0 Some(\"p\") [\"QA\", \"PUBLISHED\"] []",
                "Unpublish 1 Some(\"a\") [\"PUBLISHED\"] []"
            ]
        );
        for bad in [
            "mutation { publishPost(where: {id: \"p\"}, to: []) { id } }",
            "mutation { publishPost(where: {id: \"p\"}, to: [QA, DRAFT]) { id } }",
            "mutation { unpublishPost(where: {id: \"p\"}, from: [DRAFT]) { id } }",
            "mutation { updatePost(where: {id: \"p\"}, data: {author: null}) { id } }",
            "mutation { updatePost(where: {id: \"p\"}, data: {tags: {connect: null}}) { id } }",
            "mutation { updatePost(where: {id: \"p\"}, data: {localizations: null}) { id } }",
            "mutation { updatePost(where: {id: \"p\"}, data: {localizations: {delete: null}}) { id } }",
        ] {
            assert!(plan(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn input_only_data_checks_are_recorded_for_step_7() {
        let got = plan(
            "mutation { updatePost(where: {id: \"p\"}, data: {tags: {connect: [{id: \"t\"}, {id: \"t\"}], set: []}, \
             localizations: {create: [{locale: en, data: {title: \"x\"}}], delete: [de, de]}}) { id } }",
        )
        .unwrap();
        let errors = &got[0];
        for want in [
            "two of connect",
            "an id twice",
            "default locale",
            "\\\"de\\\" given 2 times",
        ] {
            assert!(errors.contains(want), "{want} in {errors}");
        }
        assert!(
            plan("mutation { createPost(data: {title: \"x\", views: 1}) { id } }").unwrap()[0]
                .ends_with("[]")
        );
    }
}
