//! Projects and schemas: 1–4 models with every scalar type (localized or not, required or not,
//! Enums), single and list relations one-way or two-way (with reverse fields), 0–2 custom stages
//! and 1–3 locales (spec §1). Generated as plain index-based data ([`SchemaRaw`]) and named by
//! [`build`]: a relation's target is an index reduced modulo the model count.

use proptest::prelude::*;

use crate::gen::pick;

use crate::gen::config::GenConfig;
use crate::gen::world::{ModelInfo, RelInfo, ScalarInfo, World};
use crate::model::read::single_name;
use crate::model::spec::{default_plural, FieldSpec, ModelSpec};
use crate::model::value::ScalarType;

/// Model api ids, in the order models are declared.
const MODELS: [&str; 4] = ["Post", "Author", "Tag", "Page"];

/// Custom stages, in order.
const STAGES: [&str; 2] = ["QA", "REVIEW"];

/// Locales; a case takes a rotation of a prefix (so the default is not always `en`).
const LOCALES: [&str; 3] = ["en", "de", "fr_CH"];

/// Enum values, declared in an order that is not alphabetical (ORDER-1).
const ENUM_VALUES: [&str; 3] = ["MEDIUM", "LOW", "HIGH"];

/// Scalar field names per type (String, Int, Float, Boolean, DateTime, Enum).
const SCALAR_NAMES: [[&str; 3]; 6] = [
    ["title", "body", "slug"],
    ["views", "rank", "votes"],
    ["score", "price", "ratio"],
    ["done", "pinned", "hidden"],
    ["due", "date", "seen"],
    ["status", "kind", "level"],
];

/// One declared field, index-based: a scalar of type `ty` (0 String … 5 Enum) or, with
/// `relation`, a relation to model `target` (modulo the model count).
#[derive(Debug, Clone)]
pub(crate) struct FieldRaw {
    pub relation: bool,
    pub ty: u8,
    pub localized: bool,
    pub required: bool,
    pub enum_values: u8,
    pub target: u8,
    pub list: bool,
    pub two_way: bool,
}

/// A schema: locale count and rotation, custom stage count, models (each a list of fields).
#[derive(Debug, Clone)]
pub(crate) struct SchemaRaw {
    pub locales: u8,
    pub rotation: u8,
    pub stages: u8,
    pub models: Vec<Vec<FieldRaw>>,
}

fn field_raw() -> strategy!(FieldRaw) {
    (
        prop::bool::weighted(0.25),
        0..6u8,
        prop::bool::weighted(0.35),
        prop::bool::weighted(0.2),
        0..3u8,
        0..4u8,
        prop::bool::weighted(0.45),
        prop::bool::weighted(0.45),
    )
        .prop_map(
            |(relation, ty, localized, required, enum_values, target, list, two_way)| FieldRaw {
                relation,
                ty,
                localized,
                required,
                enum_values,
                target,
                list,
                two_way,
            },
        )
}

/// The schema strategy.
pub(crate) fn schema_raw(cfg: &GenConfig) -> strategy!(SchemaRaw) {
    let models = usize::from(cfg.max_models.clamp(1, 4));
    let fields = usize::from(cfg.max_fields.max(1));
    (
        pick([(3, 2u8), (2, 1u8), (2, 3u8)]),
        0..3u8,
        pick([(2, 1u8), (1, 0u8), (1, 2u8)]),
        prop::collection::vec(prop::collection::vec(field_raw(), 1..=fields), 1..=models),
    )
        .prop_map(|(locales, rotation, stages, models)| SchemaRaw {
            locales,
            rotation,
            stages,
            models,
        })
}

/// `author` → `Author`.
fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The first candidate not yet taken (then the base with a number).
fn fresh(taken: &[String], candidates: &[String]) -> String {
    for c in candidates {
        if !taken.contains(c) {
            return c.clone();
        }
    }
    let base = candidates.first().cloned().unwrap_or_else(|| "f".into());
    (2..)
        .map(|n| format!("{base}{n}"))
        .find(|c| !taken.contains(c))
        .unwrap_or(base)
}

/// Names the schema: fills the world's stages, locales and models, and returns the models as
/// specs.
pub(crate) fn build(raw: &SchemaRaw, world: &mut World) -> Vec<ModelSpec> {
    let nloc = usize::from(raw.locales.clamp(1, 3));
    let mut locales: Vec<String> = LOCALES[..nloc].iter().map(|s| s.to_string()).collect();
    locales.rotate_left(usize::from(raw.rotation) % nloc);
    world.locales = locales;
    world.stages = ["DRAFT", "PUBLISHED"]
        .iter()
        .chain(STAGES[..usize::from(raw.stages.min(2))].iter())
        .map(|s| s.to_string())
        .collect();

    let n = raw.models.len().clamp(1, MODELS.len());
    let mut specs: Vec<ModelSpec> = Vec::new();
    let mut infos: Vec<ModelInfo> = Vec::new();
    // Pass 1: declared fields.
    for (mi, fields) in raw.models.iter().take(n).enumerate() {
        let name = MODELS[mi].to_string();
        let mut taken: Vec<String> = Vec::new();
        let mut info = ModelInfo {
            plural: default_plural(&name),
            single: single_name(&name),
            name: name.clone(),
            scalars: Vec::new(),
            owned: Vec::new(),
            rels: Vec::new(),
        };
        let mut fspecs = Vec::new();
        let has_scalar = fields.iter().any(|f| !f.relation);
        for (fi, f) in fields.iter().enumerate() {
            if f.relation && (has_scalar || fi > 0) {
                let target = usize::from(f.target) % n;
                let tname = single_name(MODELS[target]);
                let base = if f.list { format!("{tname}s") } else { tname };
                let fname = fresh(&taken, &[base]);
                taken.push(fname.clone());
                fspecs.push(FieldSpec {
                    name: fname.clone(),
                    ty: MODELS[target].to_string(),
                    list: f.list,
                    localized: false,
                    required: false,
                    values: None,
                    // Named in pass 2.
                    reverse: f.two_way.then(String::new),
                });
                info.owned.push(RelInfo {
                    name: fname,
                    target,
                    list: f.list,
                });
            } else {
                let ty = usize::from(f.ty % 6);
                let names = SCALAR_NAMES[ty].map(str::to_string);
                let fname = fresh(&taken, &names);
                taken.push(fname.clone());
                let (sty, tyname, values) = match ty {
                    0 => (ScalarType::String, "String", None),
                    1 => (ScalarType::Int, "Int", None),
                    2 => (ScalarType::Float, "Float", None),
                    3 => (ScalarType::Boolean, "Boolean", None),
                    4 => (ScalarType::DateTime, "DateTime", None),
                    _ => {
                        let k = 1 + usize::from(f.enum_values % 3);
                        let v: Vec<String> =
                            ENUM_VALUES[..k].iter().map(|s| s.to_string()).collect();
                        (ScalarType::Enum(v.clone()), "Enum", Some(v))
                    }
                };
                fspecs.push(FieldSpec {
                    name: fname.clone(),
                    ty: tyname.to_string(),
                    list: false,
                    localized: f.localized,
                    required: f.required,
                    values,
                    reverse: None,
                });
                info.scalars.push(ScalarInfo {
                    name: fname,
                    ty: sty,
                    localized: f.localized,
                    required: f.required,
                });
            }
        }
        specs.push(ModelSpec {
            name,
            plural: None,
            fields: fspecs,
        });
        infos.push(info);
    }
    // Pass 2: reverse fields, named on the related model.
    let mut taken: Vec<Vec<String>> = specs
        .iter()
        .map(|m| m.fields.iter().map(|f| f.name.clone()).collect())
        .collect();
    let mut reverses: Vec<(usize, RelInfo)> = Vec::new();
    for (mi, m) in specs.iter_mut().enumerate() {
        for f in &mut m.fields {
            if f.reverse.is_none() {
                continue;
            }
            let Some(target) = MODELS[..n].iter().position(|x| *x == f.ty) else {
                continue;
            };
            let owner_plural = default_plural(MODELS[mi]);
            let candidates = [
                owner_plural.clone(),
                format!("{owner_plural}Via{}", upper_first(&f.name)),
            ];
            let Some(t) = taken.get_mut(target) else {
                continue;
            };
            let rname = fresh(t, &candidates);
            t.push(rname.clone());
            f.reverse = Some(rname.clone());
            reverses.push((
                target,
                RelInfo {
                    name: rname,
                    target: mi,
                    list: true,
                },
            ));
        }
    }
    for info in &mut infos {
        info.rels = info.owned.clone();
    }
    for (target, rel) in reverses {
        if let Some(info) = infos.get_mut(target) {
            info.rels.push(rel);
        }
    }
    world.models = infos;
    specs
}
