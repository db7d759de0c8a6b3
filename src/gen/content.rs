//! Content: entries with a DRAFT document, copies published to other stages and documents of
//! their own there, localizations in some locales, null values, links (DATA-4) and explicit
//! timestamps from a small set of instants (so ties and order filters are interesting). Values
//! come from the pools of [`values`](crate::gen::values); a link's target is an index reduced
//! modulo the related model's entries. [`build`] also records, in the [`World`], every value the
//! content holds, for filters and conditions to use.

use std::collections::BTreeMap;

use proptest::prelude::*;

use crate::gen::{maybe, zero_or};
use serde_json::{Map, Value as Json};

use crate::gen::config::GenConfig;
use crate::gen::values::{pool, stamp};
use crate::gen::world::World;
use crate::model::spec::{DocSpec, EntrySpec};
use crate::model::value::{format_datetime, Value};

/// One document: values by field position (`None`: null), the other locales present (bit i:
/// `locales[i + 1]`) with their values, links as (relation, target) indices, and timestamp slots.
#[derive(Debug, Clone)]
pub(crate) struct DocRaw {
    pub values: Vec<Option<u16>>,
    pub locales: u8,
    pub loc_values: Vec<Option<u16>>,
    pub links: Vec<(u8, u16)>,
    pub created: u8,
    pub updated: u8,
}

/// An entry: its model, DRAFT document, the stages it is published to (bit i: `stages[i +
/// 1]`) and a document of its own in one stage.
#[derive(Debug, Clone)]
pub(crate) struct EntryRaw {
    pub model: u8,
    pub draft: DocRaw,
    pub publish: u8,
    pub own: Option<(u8, DocRaw)>,
}

fn value_raw() -> strategy!(Option<u16>) {
    maybe(85, 0..64u16)
}

fn doc_raw() -> strategy!(DocRaw) {
    (
        prop::collection::vec(value_raw(), 0..7),
        any::<u8>(),
        prop::collection::vec(value_raw(), 0..5),
        prop::collection::vec((any::<u8>(), any::<u16>()), 0..4),
        0..10u8,
        0..4u8,
    )
        .prop_map(
            |(values, locales, loc_values, links, created, updated)| DocRaw {
                values,
                locales,
                loc_values,
                links,
                created,
                updated,
            },
        )
}

/// The content strategy.
pub(crate) fn entries_raw(cfg: &GenConfig) -> strategy!(Vec<EntryRaw>) {
    let entry = (
        any::<u8>(),
        doc_raw(),
        zero_or(5, 8),
        maybe(15, (any::<u8>(), doc_raw())),
    )
        .prop_map(|(model, draft, publish, own)| EntryRaw {
            model,
            draft,
            publish,
            own,
        });
    prop::collection::vec(entry, 0..=usize::from(cfg.max_entries))
}

/// The id of the `k`-th (0-based) loaded entry of a model: `post1`, `author3`, ….
fn entry_id(model: &str, k: usize) -> String {
    format!("{}{}", crate::model::read::single_name(model), k + 1)
}

/// Builds the entries of the first environment and records ids, values and timestamps.
pub(crate) fn build(raw: &[EntryRaw], world: &mut World) -> Vec<EntrySpec> {
    let nm = world.models.len();
    if nm == 0 {
        return Vec::new();
    }
    // Ids first: links may point at any entry.
    let mut ids: Vec<Vec<String>> = vec![Vec::new(); nm];
    let models: Vec<usize> = raw.iter().map(|e| world.model_at(e.model)).collect();
    let mut own_ids = Vec::new();
    for &m in &models {
        let k = ids[m].len();
        let id = entry_id(&world.models[m].name, k);
        ids[m].push(id.clone());
        own_ids.push(id);
    }
    world.ids = ids;
    world.observed = world
        .models
        .iter()
        .map(|m| vec![Vec::new(); m.scalars.len()])
        .collect();
    let mut stamps: Vec<i64> = Vec::new();
    let mut out = Vec::new();
    for ((e, &m), id) in raw.iter().zip(&models).zip(own_ids) {
        let draft = doc(world, m, &e.draft, &mut stamps);
        let nstages = world.stages.len();
        let own_stage = e
            .own
            .as_ref()
            .map(|(s, _)| 1 + usize::from(*s) % (nstages - 1).max(1));
        let publish: Vec<String> = world
            .stages
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(i, _)| e.publish & (1 << (i - 1)) != 0 && Some(*i) != own_stage)
            .map(|(_, s)| s.clone())
            .collect();
        let mut stages = BTreeMap::new();
        if let (Some((_, d)), Some(si)) = (&e.own, own_stage) {
            if let Some(name) = world.stages.get(si).cloned() {
                stages.insert(name, doc(world, m, d, &mut stamps));
            }
        }
        out.push(EntrySpec {
            model: world.models[m].name.clone(),
            id,
            data: draft.data,
            localizations: draft.localizations,
            created_at: draft.created_at,
            updated_at: draft.updated_at,
            publish,
            stages,
        });
    }
    stamps.sort_unstable();
    stamps.dedup();
    world.latest = stamps.last().copied().unwrap_or(0);
    world.stamps = stamps.into_iter().map(format_datetime).collect();
    out
}

/// One document of model `m`.
fn doc(world: &mut World, m: usize, d: &DocRaw, stamps: &mut Vec<i64>) -> DocSpec {
    let mut data = Map::new();
    let mut localizations: BTreeMap<String, Map<String, Json>> = BTreeMap::new();
    let Some(model) = world.models.get(m) else {
        return DocSpec::default();
    };
    let mut seen: Vec<(usize, Json)> = Vec::new();
    for (fi, s) in model.scalars.iter().enumerate() {
        let raw = d.values.get(fi).copied().flatten();
        let v = match raw {
            Some(p) => pool(&s.ty, p),
            None if s.required => pool(&s.ty, 0),
            None => Json::Null,
        };
        if !v.is_null() {
            seen.push((fi, v.clone()));
        }
        data.insert(s.name.clone(), v);
    }
    if model.localized() {
        for (li, locale) in world.locales.iter().enumerate().skip(1) {
            if li > 8 || d.locales & (1 << (li - 1)) == 0 {
                continue;
            }
            let mut lv = Map::new();
            for (fi, s) in model.scalars.iter().enumerate() {
                if !s.localized {
                    continue;
                }
                let k = d.loc_values.len();
                let raw = if k == 0 {
                    None
                } else {
                    d.loc_values.get((fi + li * 3) % k).copied().flatten()
                };
                let v = match raw {
                    Some(p) => pool(&s.ty, p.wrapping_add(u16::try_from(li).unwrap_or(0))),
                    None if s.required => pool(&s.ty, 1),
                    None => continue,
                };
                seen.push((fi, v.clone()));
                lv.insert(s.name.clone(), v);
            }
            localizations.insert(locale.clone(), lv);
        }
    }
    // Links, on the relations the model owns.
    if !model.owned.is_empty() {
        let mut links: Vec<(usize, Vec<String>)> = Vec::new();
        for &(r, t) in &d.links {
            let ri = usize::from(r) % model.owned.len();
            let rel = &model.owned[ri];
            let Some(targets) = world.ids.get(rel.target).filter(|x| !x.is_empty()) else {
                continue;
            };
            let id = targets[usize::from(t) % targets.len()].clone();
            match links.iter_mut().find(|(x, _)| *x == ri) {
                Some((_, ids)) if rel.list && !ids.contains(&id) => ids.push(id),
                Some(_) => {}
                None => links.push((ri, vec![id])),
            }
        }
        for (ri, ids) in links {
            let rel = &model.owned[ri];
            let v = if rel.list {
                Json::from(ids)
            } else {
                ids.into_iter().next().map_or(Json::Null, Json::String)
            };
            data.insert(rel.name.clone(), v);
        }
    }
    for (fi, v) in seen {
        if let Some(list) = world.observed.get_mut(m).and_then(|x| x.get_mut(fi)) {
            let ty = &model.scalars[fi].ty;
            let same = |x: &Json| matches!((Value::coerce(ty, x), Value::coerce(ty, &v)), (Ok(a), Ok(b)) if a == b);
            if !list.iter().any(same) {
                list.push(v);
            }
        }
    }
    let created = stamp(d.created, d.created % 3 == 1);
    let updated = created + i64::from(d.updated) * crate::gen::values::HOUR_US / 2;
    stamps.push(created);
    stamps.push(updated);
    DocSpec {
        data,
        localizations,
        created_at: Some(format_datetime(created)),
        updated_at: Some(format_datetime(updated)),
        published_at: None,
    }
}
