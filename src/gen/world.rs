//! What the build functions know about the case being built: the first environment's schema by
//! names ([`ModelInfo`]), its loaded entries' ids and the values its content holds (so filters
//! and conditions can use them), and the principals, grant ids and created entries known at
//! each step.

use serde_json::Value as Json;

use crate::model::grant::{Action, GrantSpec};
use crate::model::value::ScalarType;

/// A declared scalar field.
#[derive(Debug, Clone)]
pub(crate) struct ScalarInfo {
    /// The api id.
    pub name: String,
    /// The type.
    pub ty: ScalarType,
    /// Localized.
    pub localized: bool,
    /// Required (DATA-5).
    pub required: bool,
}

/// A relation-like field: a declared relation or a reverse field.
#[derive(Debug, Clone)]
pub(crate) struct RelInfo {
    /// The api id.
    pub name: String,
    /// The related model.
    pub target: usize,
    /// A list (reverse fields always are).
    pub list: bool,
}

/// A model by names.
#[derive(Debug, Clone)]
pub(crate) struct ModelInfo {
    /// The api id (`Post`).
    pub name: String,
    /// The plural (`posts`).
    pub plural: String,
    /// The single-entry root field (`post`).
    pub single: String,
    /// Scalar fields in declaration order.
    pub scalars: Vec<ScalarInfo>,
    /// Declared relations (the links the model owns), in declaration order.
    pub owned: Vec<RelInfo>,
    /// Every relation-like field: declared relations, then reverse fields.
    pub rels: Vec<RelInfo>,
}

impl ModelInfo {
    /// Whether the model has localized fields (WRITE-9's `localizations` input exists).
    pub fn localized(&self) -> bool {
        self.scalars.iter().any(|s| s.localized)
    }
}

/// A field a filter can name: a declared scalar (by index) or a system field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filterable {
    /// `scalars[i]`.
    Scalar(usize),
    /// `id`.
    Id,
    /// `createdAt`, `updatedAt`, `publishedAt` (index 0, 1, 2).
    Stamp(usize),
}

/// The system timestamp names, in [`Filterable::Stamp`] order.
pub(crate) const STAMPS: [&str; 3] = ["createdAt", "updatedAt", "publishedAt"];

/// The case being built.
#[derive(Debug, Clone, Default)]
pub(crate) struct World {
    /// Every stage: `DRAFT`, `PUBLISHED`, then the custom ones.
    pub stages: Vec<String>,
    /// Locales, the default first.
    pub locales: Vec<String>,
    /// Models.
    pub models: Vec<ModelInfo>,
    /// Loaded entry ids per model.
    pub ids: Vec<Vec<String>>,
    /// Distinct values the loaded content holds, per model and scalar field (every stage and
    /// locale).
    pub observed: Vec<Vec<Vec<Json>>>,
    /// Distinct loaded timestamps (DATA-1 output form), in increasing order.
    pub stamps: Vec<String>,
    /// The latest loaded timestamp (µs): filters on system timestamps stay at or below it.
    pub latest: i64,
    /// Whether the case's steps create entries (then id substring operators and `orderBy:
    /// id_*` are not generated: run-created ids differ between the sides).
    pub creates: bool,
    /// The second environment's name, when the case has one.
    pub second_env: Option<String>,
    /// PAT names of the first environment known so far (loaded, then created by steps).
    pub pats: Vec<String>,
    /// What the first environment's PATs may do, as far as their enabled grants tell: (PAT,
    /// action, model or `None` for all). Grants created by steps are added; toggles and
    /// deletions are not tracked (this only biases which PAT a mutation is sent with).
    pub abilities: Vec<(String, Action, Option<usize>)>,
    /// PATs of the first environment revoked so far (loaded so, or deleted by a step).
    pub revoked: Vec<String>,
    /// PAT names of the second environment.
    pub second_pats: Vec<String>,
    /// Grant ids of the first environment known so far (loaded, then created by steps).
    pub grants: Vec<String>,
    /// The model of each entry created by an earlier step's `create` field, in order
    /// (`{{created:K}}` names the K-th).
    pub created: Vec<usize>,
    /// How many PATs and grants steps created (for fresh names).
    pub made_pats: usize,
    /// See [`World::made_pats`].
    pub made_grants: usize,
}

impl World {
    /// The model at `raw` modulo the model count.
    pub fn model_at(&self, raw: u8) -> usize {
        usize::from(raw) % self.models.len().max(1)
    }

    /// Relation `raw` (modulo their number) of model `m`, if it has any.
    pub fn rel_at(&self, m: usize, raw: u8) -> Option<&RelInfo> {
        let rels = self
            .models
            .get(m)
            .map(|x| x.rels.as_slice())
            .unwrap_or_default();
        rels.get(usize::from(raw) % rels.len().max(1))
    }

    /// The filterable fields of model `m`: scalars first, then `id` and the timestamps.
    pub fn filterable(&self, m: usize) -> Vec<Filterable> {
        let n = self.models.get(m).map_or(0, |x| x.scalars.len());
        (0..n)
            .map(Filterable::Scalar)
            .chain([
                Filterable::Id,
                Filterable::Stamp(0),
                Filterable::Stamp(1),
                Filterable::Stamp(2),
            ])
            .collect()
    }

    /// The name and type of a filterable field.
    pub fn field(&self, m: usize, f: Filterable) -> (String, ScalarType) {
        match f {
            Filterable::Scalar(i) => self
                .models
                .get(m)
                .and_then(|x| x.scalars.get(i))
                .map_or_else(
                    || ("id".to_string(), ScalarType::Id),
                    |s| (s.name.clone(), s.ty.clone()),
                ),
            Filterable::Id => ("id".into(), ScalarType::Id),
            Filterable::Stamp(i) => (
                STAMPS.get(i).copied().unwrap_or("createdAt").to_string(),
                ScalarType::DateTime,
            ),
        }
    }

    /// The stage at `raw` modulo the stage count.
    pub fn stage_at(&self, raw: u8) -> String {
        self.stages
            .get(usize::from(raw) % self.stages.len().max(1))
            .cloned()
            .unwrap_or_default()
    }

    /// The locale at `raw` modulo the locale count.
    pub fn locale_at(&self, raw: u8) -> String {
        self.locales
            .get(usize::from(raw) % self.locales.len().max(1))
            .cloned()
            .unwrap_or_default()
    }

    /// The stages whose bit is set in `mask` (bit 0 = `stages[offset]`).
    pub fn stage_mask(&self, mask: u8, offset: usize) -> Vec<String> {
        self.stages
            .iter()
            .skip(offset)
            .enumerate()
            .filter(|(i, _)| *i < 8 && mask & (1 << i) != 0)
            .map(|(_, s)| s.clone())
            .collect()
    }

    /// The locales whose bit is set in `mask`.
    pub fn locale_mask(&self, mask: u8) -> Vec<String> {
        self.locales
            .iter()
            .enumerate()
            .filter(|(i, _)| *i < 8 && mask & (1 << i) != 0)
            .map(|(_, s)| s.clone())
            .collect()
    }

    /// The PATs of the first environment not revoked so far.
    pub fn live_pats(&self) -> Vec<&String> {
        self.pats
            .iter()
            .filter(|p| !self.revoked.contains(p))
            .collect()
    }

    /// Records what grant `g` of PAT `pat` allows (nothing if disabled).
    pub fn record_grant(&mut self, pat: &str, g: &GrantSpec) {
        if !g.enabled {
            return;
        }
        let model = match &g.model {
            None => None,
            Some(name) => match self.models.iter().position(|m| &m.name == name) {
                Some(i) => Some(i),
                None => return,
            },
        };
        self.abilities.push((pat.to_string(), g.action, model));
    }

    /// The models PAT `pat` holds a `READ` grant on, when it holds none on all models
    /// (`None`: it reads every model, or nothing is known of it).
    pub fn readable(&self, pat: &str) -> Option<Vec<usize>> {
        let reads: Vec<Option<usize>> = self
            .abilities
            .iter()
            .filter(|(p, a, _)| p == pat && *a == Action::Read)
            .map(|(_, _, m)| *m)
            .collect();
        if reads.is_empty() || reads.contains(&None) {
            return None;
        }
        let mut models: Vec<usize> = reads.into_iter().flatten().collect();
        models.sort_unstable();
        models.dedup();
        Some(models)
    }

    /// The live PATs with a grant of `action`, each with the model it is on (`None`: all).
    pub fn able(&self, action: Action) -> Vec<(String, Option<usize>)> {
        let live = self.live_pats();
        let mut out: Vec<(String, Option<usize>)> = Vec::new();
        for (p, a, model) in &self.abilities {
            let pair = (p.clone(), *model);
            if *a == action && live.contains(&p) && !out.contains(&pair) {
                out.push(pair);
            }
        }
        out
    }

    /// The placeholders of entries of model `m` created by earlier steps.
    pub fn created_of(&self, m: usize) -> Vec<String> {
        self.created
            .iter()
            .enumerate()
            .filter(|(_, x)| **x == m)
            .map(|(k, _)| crate::case::placeholder(k))
            .collect()
    }
}
