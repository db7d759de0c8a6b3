//! Mutations (spec §7): `create`, `update`, `delete`, `publish`, `unpublish` of every model, one
//! field or a batch of two (WRITE-11), aimed at existing entries most of the time (loaded or
//! created earlier, `{{created:K}}`), with data holding scalar values (from the content and
//! the pools, so conditions hold before or after), localizations (WRITE-9) and relation inputs
//! on relations and reverse fields (WRITE-10), `to`/`from` stage lists, and a result
//! selection (WRITE-7).

use proptest::prelude::*;

use crate::gen::{maybe, pick, some_of};
use serde_json::{json, Map, Value as Json};

use crate::gen::config::GenConfig;
use crate::gen::filter::{id_raw, operand_raw, IdRaw, OperandRaw, Scope, Source};
use crate::gen::ops::query::{dedupe_keys, entry_selection, id_value, sel_raw, SelRaw};
use crate::gen::ops::{invalid, req_raw, ReqRaw};
use crate::gen::values::pool;
use crate::gen::world::{Filterable, World};
use crate::model::condition::Op;
use crate::model::grant::Action;
use crate::op::{OperationType, Request, Selection};

/// A mutation kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MutKind {
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

impl MutKind {
    /// Every kind.
    pub(crate) const ALL: [MutKind; 5] = [
        MutKind::Create,
        MutKind::Update,
        MutKind::Delete,
        MutKind::Publish,
        MutKind::Unpublish,
    ];

    /// The action it needs (§7).
    pub(crate) fn action(self) -> Action {
        match self {
            MutKind::Create => Action::Create,
            MutKind::Update => Action::Update,
            MutKind::Delete => Action::Delete,
            MutKind::Publish => Action::Publish,
            MutKind::Unpublish => Action::Unpublish,
        }
    }
}

/// A relation input: which relation-like field, which operation (`connect`, `disconnect`,
/// `set`; for a single relation `connect` or `disconnect: true`), which ids.
#[derive(Debug, Clone)]
pub(crate) struct RelInputRaw {
    pub rel: u8,
    pub op: u8,
    pub ids: Vec<IdRaw>,
}

/// A localization input: operation (`create`, `update`, `upsert`, `delete`), locale (one
/// of the non-default ones), values by localized field position.
#[derive(Debug, Clone)]
pub(crate) struct LocInputRaw {
    pub op: u8,
    pub locale: u8,
    pub values: Vec<(u8, OperandRaw)>,
}

/// `data`: scalar values by field position, relation inputs, localization inputs.
#[derive(Debug, Clone)]
pub(crate) struct DataRaw {
    pub scalars: Vec<(u8, OperandRaw)>,
    pub rels: Vec<RelInputRaw>,
    pub locs: Vec<LocInputRaw>,
}

/// One mutation field.
#[derive(Debug, Clone)]
pub(crate) struct MutFieldRaw {
    pub model: u8,
    pub kind: MutKind,
    pub target: IdRaw,
    pub data: DataRaw,
    pub stages: Option<u8>,
    pub sel: SelRaw,
    pub alias: bool,
}

/// A mutation step.
#[derive(Debug, Clone)]
pub(crate) struct MutationRaw {
    pub req: ReqRaw,
    pub fields: Vec<MutFieldRaw>,
}

fn data_raw() -> strategy!(DataRaw) {
    let rel = (
        any::<u8>(),
        any::<u8>(),
        prop::collection::vec(id_raw(), 0..3),
    )
        .prop_map(|(rel, op, ids)| RelInputRaw { rel, op, ids });
    let loc = (
        any::<u8>(),
        any::<u8>(),
        prop::collection::vec((any::<u8>(), operand_raw()), 0..3),
    )
        .prop_map(|(op, locale, values)| LocInputRaw { op, locale, values });
    (
        prop::collection::vec((any::<u8>(), operand_raw()), 0..4),
        some_of(45, 2, rel),
        prop::collection::vec(loc, 0..2),
    )
        .prop_map(|(scalars, rels, locs)| DataRaw {
            scalars,
            rels,
            locs,
        })
}

fn field_raw(cfg: &GenConfig) -> strategy!(MutFieldRaw) {
    (
        any::<u8>(),
        pick([
            (6, MutKind::Create),
            (6, MutKind::Update),
            (2, MutKind::Delete),
            (4, MutKind::Publish),
            (3, MutKind::Unpublish),
        ]),
        id_raw(),
        data_raw(),
        maybe(
            40,
            (0..31u8).prop_map(|x| if x == 0 { 0 } else { 1 + (x - 1) % 15 }),
        ),
        sel_raw(cfg, 1, false),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(model, kind, target, data, stages, sel, alias)| MutFieldRaw {
                model,
                kind,
                target,
                data,
                stages,
                sel,
                alias,
            },
        )
}

/// The mutation strategy: one field, sometimes two.
pub(crate) fn mutation_raw(cfg: &GenConfig) -> strategy!(MutationRaw) {
    (
        req_raw(cfg, false),
        field_raw(cfg),
        maybe(20, field_raw(cfg)),
    )
        .prop_map(|(req, first, second)| MutationRaw {
            req,
            fields: std::iter::once(first).chain(second).collect(),
        })
}

/// A value for scalar `fi` of model `m` in data (from the content or the pool; null only for a
/// field that is not required).
fn data_value(world: &World, m: usize, fi: usize, raw: &OperandRaw) -> Json {
    let scope = Scope {
        world,
        request: true,
    };
    let (_, ty) = world.field(m, Filterable::Scalar(fi));
    let required = world
        .models
        .get(m)
        .and_then(|x| x.scalars.get(fi))
        .is_some_and(|s| s.required);
    let raw = if required && raw.source == Source::Null {
        OperandRaw {
            source: Source::Content,
            ..raw.clone()
        }
    } else {
        raw.clone()
    };
    let v = scope.operand(m, Filterable::Scalar(fi), &ty, Op::Eq, &raw);
    if v.is_null() && required {
        pool(&ty, raw.pick)
    } else {
        v
    }
}

/// The localized values of one localization input (required ones filled on create).
fn loc_data(world: &World, m: usize, values: &[(u8, OperandRaw)], create: bool) -> Json {
    let Some(model) = world.models.get(m) else {
        return json!({});
    };
    let localized: Vec<usize> = (0..model.scalars.len())
        .filter(|i| model.scalars[*i].localized)
        .collect();
    let mut out = Map::new();
    for (f, raw) in values {
        let Some(&fi) = localized.get(usize::from(*f) % localized.len().max(1)) else {
            continue;
        };
        let name = &model.scalars[fi].name;
        if !out.contains_key(name) {
            out.insert(name.clone(), data_value(world, m, fi, raw));
        }
    }
    if create {
        for &fi in &localized {
            let s = &model.scalars[fi];
            if s.required && !out.contains_key(&s.name) {
                out.insert(s.name.clone(), pool(&s.ty, 0));
            }
        }
    }
    Json::Object(out)
}

/// `data` of a create (`create`) or update field on model `m`.
fn data(world: &World, m: usize, raw: &DataRaw, create: bool) -> Json {
    let Some(model) = world.models.get(m) else {
        return json!({});
    };
    let mut out = Map::new();
    if !model.scalars.is_empty() {
        for (f, v) in &raw.scalars {
            let fi = usize::from(*f) % model.scalars.len();
            let name = &model.scalars[fi].name;
            if !out.contains_key(name) {
                out.insert(name.clone(), data_value(world, m, fi, v));
            }
        }
    }
    if create {
        for s in &model.scalars {
            if s.required && !out.contains_key(&s.name) {
                out.insert(s.name.clone(), pool(&s.ty, 0));
            }
        }
    }
    for r in &raw.rels {
        let Some(rel) = model.rels.get(usize::from(r.rel) % model.rels.len().max(1)) else {
            continue;
        };
        if out.contains_key(&rel.name) {
            continue;
        }
        let mut ids: Vec<String> = Vec::new();
        for id in &r.ids {
            let v = id_value(world, rel.target, id);
            if !ids.contains(&v) {
                ids.push(v);
            }
        }
        let unique = |ids: &[String]| -> Json {
            Json::Array(ids.iter().map(|i| json!({"id": i})).collect())
        };
        let input = if !rel.list {
            match (create, r.op % 4, ids.first()) {
                (false, 1, _) => json!({"disconnect": true}),
                (false, 2, _) => json!({"disconnect": false}),
                (_, _, Some(id)) => json!({"connect": {"id": id}}),
                (_, _, None) => continue,
            }
        } else if create {
            json!({"connect": unique(&ids)})
        } else {
            let op = ["connect", "disconnect", "set"][usize::from(r.op % 3)];
            json!({op: unique(&ids)})
        };
        out.insert(rel.name.clone(), input);
    }
    if model.localized() && world.locales.len() > 1 && !raw.locs.is_empty() {
        let others = world.locales.len() - 1;
        let mut used: Vec<String> = Vec::new();
        let mut groups: Map<String, Json> = Map::new();
        for l in &raw.locs {
            let locale = world.locale_at(1 + l.locale % u8::try_from(others).unwrap_or(1));
            if used.contains(&locale) {
                continue;
            }
            used.push(locale.clone());
            let (op, item) = match (create, l.op % 4) {
                (true, _) | (false, 0) => (
                    "create",
                    json!({"locale": locale, "data": loc_data(world, m, &l.values, true)}),
                ),
                (false, 1) => (
                    "update",
                    json!({"locale": locale, "data": loc_data(world, m, &l.values, false)}),
                ),
                (false, 2) => (
                    "upsert",
                    json!({
                        "locale": locale,
                        "create": loc_data(world, m, &l.values, true),
                        "update": loc_data(world, m, &l.values, false),
                    }),
                ),
                (false, _) => ("delete", json!(locale)),
            };
            match groups.get_mut(op) {
                Some(Json::Array(items)) => items.push(item),
                _ => {
                    groups.insert(op.to_string(), json!([item]));
                }
            }
        }
        out.insert("localizations".into(), Json::Object(groups));
    }
    Json::Object(out)
}

/// One mutation field, and the model it is about (`None` when the case has no models).
fn field(
    world: &World,
    raw: &MutFieldRaw,
    model: Option<usize>,
    kind: MutKind,
) -> (Selection, Option<usize>) {
    let m = model.unwrap_or_else(|| world.model_at(raw.model));
    let Some(model) = world.models.get(m) else {
        return (Selection::default(), None);
    };
    let mut args = Map::new();
    let verb = match kind {
        MutKind::Create => "create",
        MutKind::Update => "update",
        MutKind::Delete => "delete",
        MutKind::Publish => "publish",
        MutKind::Unpublish => "unpublish",
    };
    if kind != MutKind::Create {
        args.insert(
            "where".into(),
            json!({"id": id_value(world, m, &raw.target)}),
        );
    }
    match kind {
        MutKind::Create => {
            args.insert("data".into(), data(world, m, &raw.data, true));
        }
        MutKind::Update => {
            args.insert("data".into(), data(world, m, &raw.data, false));
        }
        MutKind::Publish | MutKind::Unpublish => {
            if let Some(mask) = raw.stages {
                let key = if kind == MutKind::Publish {
                    "to"
                } else {
                    "from"
                };
                // `Just(0)` is `[]` (a 400); other masks name at least one stage.
                let n = world.stages.len().saturating_sub(1).min(7);
                let bits = u8::try_from((1u16 << n) - 1).unwrap_or(u8::MAX);
                let mask = match mask & bits {
                    0 if mask != 0 => 1,
                    x => x,
                };
                let stages = world.stage_mask(mask, 1);
                args.insert(key.into(), json!(stages));
            }
        }
        MutKind::Delete => {}
    }
    let name = format!("{verb}{}", model.name);
    let selection = Selection {
        alias: raw.alias.then(|| format!("{verb}It")),
        name,
        args,
        selection: entry_selection(world, m, &raw.sel),
    };
    (selection, Some(m))
}

/// Builds a mutation step, then records the entries its `create` fields make.
pub(crate) fn build(raw: &MutationRaw, world: &mut World) -> Request {
    // Mostly sent by a PAT that holds the first field's action, on a model it holds it on;
    // when no PAT holds that action, mostly another kind that some PAT holds, never a create
    // (whether a case creates entries is decided from the raw kinds, `ops::creates`; WRITE-0
    // denials still come from the rest).
    let Some(first) = raw.fields.first() else {
        return super::request(world, &raw.req, &[]);
    };
    let steer = raw.req.cred.kind == super::CredKind::Pat && raw.req.cred.pat < 192;
    let mut kind = first.kind;
    if steer && world.able(kind.action()).is_empty() {
        let held: Vec<MutKind> = MutKind::ALL
            .into_iter()
            .filter(|k| *k != MutKind::Create && !world.able(k.action()).is_empty())
            .collect();
        if let Some(k) = held.get(usize::from(first.model) % held.len().max(1)) {
            kind = *k;
        }
    }
    let able = world.able(kind.action());
    let chosen = if steer {
        able.get(usize::from(raw.req.cred.pat) % able.len().max(1))
    } else {
        None
    };
    let prefer: Vec<String> = chosen.map(|(p, _)| p.clone()).into_iter().collect();
    let mut r = super::request(world, &raw.req, &prefer);
    r.operation = OperationType::Mutation;
    let kinds: Vec<MutKind> = std::iter::once(kind)
        .chain(raw.fields.iter().skip(1).map(|f| f.kind))
        .collect();
    let (mut fields, models): (Vec<Selection>, Vec<Option<usize>>) = raw
        .fields
        .iter()
        .zip(&kinds)
        .enumerate()
        .map(|(i, (f, k))| {
            let model = chosen.and_then(|(_, m)| *m).filter(|_| i == 0);
            field(world, f, model, *k)
        })
        .unzip();
    dedupe_keys(&mut fields);
    r.fields = fields;
    if let Some(v) = raw.req.invalid {
        invalid::apply(world, &mut r, v);
    }
    // Only creates in the first environment of the case's project make entries that
    // `{{created:K}}` names.
    if r.environment.is_none() && r.project.is_none() {
        for (m, k) in models.iter().zip(&kinds) {
            if *k == MutKind::Create {
                world.created.extend(*m);
            }
        }
    }
    r
}
