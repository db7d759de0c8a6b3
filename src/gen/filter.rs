//! `where` filters and grant conditions (one grammar, spec §5): every operator of every field
//! type, `null` operands where WHERE-1 allows them, relation filters (`r`, `r_some`, `r_every`,
//! `r_none`, also on reverse fields) and `AND`/`OR`/`NOT`, always valid (PERM-4 refusals come
//! from [`manage`](crate::gen::ops) steps, 400s from the invalid variants).
//!
//! A filter is a flat list of nodes ([`WhereRaw`]): node i is placed in container
//! `parent % (containers so far)` — the top object, or a logic or relation node made earlier —
//! so removing a node while shrinking never invalidates the others. Operands come from the
//! content's own values most of the time, or values near them ([`near`]), so filters and
//! conditions match some entries and miss others.

use proptest::prelude::*;

use crate::gen::{pick, zero_or};
use serde_json::{Map, Value as Json};

use crate::gen::values::{is_substring, near, pool};
use crate::gen::world::{Filterable, World};
use crate::model::condition::parse::op_defined;
use crate::model::condition::Op;
use crate::model::value::ScalarType;

/// Where an operand comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// A value the content holds for this field (else the pool).
    Content,
    /// The type's pool.
    Pool,
    /// `null` (only for `f` and `f_not`; else as `Content`).
    Null,
}

/// An operand, index-based: source, which value, how to move it ([`near`]), and a list length
/// for `_in` / `_not_in` (0–3).
#[derive(Debug, Clone)]
pub(crate) struct OperandRaw {
    pub source: Source,
    pub pick: u16,
    pub tweak: u8,
    pub len: u8,
}

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeKind {
    /// A scalar operator.
    Leaf,
    /// A relation filter (`op` picks the quantifier of a list relation).
    Relation,
    /// `AND`.
    And,
    /// `OR`.
    Or,
    /// `NOT`.
    Not,
}

/// One node of a filter.
#[derive(Debug, Clone)]
pub(crate) struct NodeRaw {
    pub parent: u8,
    pub slot: bool,
    pub kind: NodeKind,
    pub system: bool,
    pub field: u8,
    pub op: u8,
    pub operand: OperandRaw,
}

/// A filter: its nodes (none: `{}`).
#[derive(Debug, Clone)]
pub(crate) struct WhereRaw(pub Vec<NodeRaw>);

/// Where an id goes: an entry of the intended model (loaded), one created by an earlier step,
/// an entry of another model, or no entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdSource {
    /// A loaded entry of the model.
    Existing,
    /// An entry created earlier in the case (`{{created:K}}`), else a loaded one.
    Created,
    /// An entry of another model.
    OtherModel,
    /// An id no entry has.
    Missing,
}

/// An id, index-based.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdRaw {
    pub source: IdSource,
    pub pick: u16,
}

/// The id strategy: mostly existing entries.
pub(crate) fn id_raw() -> strategy!(IdRaw) {
    (
        pick([
            (14, IdSource::Existing),
            (3, IdSource::Created),
            (1, IdSource::OtherModel),
            (2, IdSource::Missing),
        ]),
        any::<u16>(),
    )
        .prop_map(|(source, pick)| IdRaw { source, pick })
}

/// The operand strategy.
pub(crate) fn operand_raw() -> strategy!(OperandRaw) {
    (
        pick([(13, Source::Content), (6, Source::Pool), (1, Source::Null)]),
        any::<u16>(),
        zero_or(5, 7),
        pick([(3, 1u8), (2, 2u8), (1, 0u8), (1, 3u8)]),
    )
        .prop_map(|(source, pick, tweak, len)| OperandRaw {
            source,
            pick,
            tweak,
            len,
        })
}

fn node_raw() -> strategy!(NodeRaw) {
    (
        any::<u8>(),
        any::<bool>(),
        pick([
            (12, NodeKind::Leaf),
            (3, NodeKind::Relation),
            (1, NodeKind::And),
            (2, NodeKind::Or),
            (2, NodeKind::Not),
        ]),
        prop::bool::weighted(0.2),
        any::<u8>(),
        any::<u8>(),
        operand_raw(),
    )
        .prop_map(|(parent, slot, kind, system, field, op, operand)| NodeRaw {
            parent,
            slot,
            kind,
            system,
            field,
            op,
            operand,
        })
}

/// A filter of `1..=max` nodes.
pub(crate) fn where_raw(max: u8) -> strategy!(WhereRaw) {
    prop::collection::vec(node_raw(), 1..=usize::from(max.max(1))).prop_map(WhereRaw)
}

/// How a filter is being built.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    /// The case so far.
    pub world: &'a World,
    /// A request's `where` (placeholders of created entries allowed) rather than a condition.
    pub request: bool,
}

impl Scope<'_> {
    /// The `pick`-th candidate value of a field of model `m` from the content (ids: the
    /// model's loaded entries, and in a request those created earlier), if there is any.
    fn content(&self, m: usize, f: Filterable, pick: u16) -> Option<Json> {
        let w = self.world;
        let pick = usize::from(pick);
        match f {
            Filterable::Scalar(i) => {
                let c = w.observed.get(m)?.get(i)?;
                c.get(pick % c.len().max(1)).cloned()
            }
            Filterable::Id => {
                let loaded = w.ids.get(m).map_or(&[][..], Vec::as_slice);
                let created = if self.request {
                    w.created.iter().filter(|x| **x == m).count()
                } else {
                    0
                };
                let n = loaded.len() + created;
                if n == 0 {
                    return None;
                }
                let i = pick % n;
                match loaded.get(i) {
                    Some(id) => Some(Json::String(id.clone())),
                    None => w
                        .created_of(m)
                        .get(i - loaded.len())
                        .cloned()
                        .map(Json::String),
                }
            }
            Filterable::Stamp(_) => w
                .stamps
                .get(pick % w.stamps.len().max(1))
                .cloned()
                .map(Json::String),
        }
    }

    /// The pool of a field: its type's pool, for `id` every loaded id and two that name no
    /// entry.
    fn pool(&self, f: Filterable, ty: &ScalarType, pick: u16) -> Json {
        if f == Filterable::Id {
            let all: Vec<&String> = self.world.ids.iter().flatten().collect();
            let i = usize::from(pick) % (all.len() + 2);
            return match all.get(i) {
                Some(s) => Json::String((*s).clone()),
                None if i == all.len() => Json::String("missing".into()),
                None => Json::String("cmissingmissingmissing000".into()),
            };
        }
        pool(ty, pick)
    }

    /// One operand value.
    fn value(
        &self,
        m: usize,
        f: Filterable,
        ty: &ScalarType,
        op: Op,
        raw: &OperandRaw,
        k: u16,
    ) -> Json {
        let pick = raw.pick.wrapping_add(k);
        // In an `_in` list, every other value comes from the pool (the content may hold one
        // value only).
        let source = if k % 2 == 1 { Source::Pool } else { raw.source };
        let clamp = matches!(f, Filterable::Stamp(_)).then_some(self.world.latest);
        let base = match source {
            Source::Content | Source::Null => self
                .content(m, f, pick)
                .unwrap_or_else(|| self.pool(f, ty, pick)),
            Source::Pool => self.pool(f, ty, pick),
        };
        // Ids are taken as they are, or cut for the substring operators.
        if f == Filterable::Id && !is_substring(op) {
            return base;
        }
        // (A pool date past the latest loaded timestamp is clamped by `near` too.)
        near(ty, &base, raw.tweak, op, clamp)
    }

    /// The operand of `op` on field `f`.
    pub(crate) fn operand(
        &self,
        m: usize,
        f: Filterable,
        ty: &ScalarType,
        op: Op,
        raw: &OperandRaw,
    ) -> Json {
        if raw.source == Source::Null && matches!(op, Op::Eq | Op::NotEq) {
            return Json::Null;
        }
        if matches!(op, Op::In | Op::NotIn) {
            let n = u16::from(raw.len % 4);
            return Json::Array((0..n).map(|k| self.value(m, f, ty, op, raw, k)).collect());
        }
        self.value(m, f, ty, op, raw, 0)
    }

    /// A leaf: `(key, operand)`.
    fn leaf(&self, m: usize, node: &NodeRaw) -> Option<(String, Json)> {
        let fields = self.world.filterable(m);
        let scalars = fields
            .iter()
            .filter(|f| matches!(f, Filterable::Scalar(_)))
            .count();
        // Localized fields count twice: a filter on one is read in the served locale
        // (WHERE-2), where READ-2's locale choice and fallback are decided.
        let localized: Vec<Filterable> = self
            .world
            .models
            .get(m)
            .map(|x| {
                (0..x.scalars.len())
                    .filter(|i| x.scalars[*i].localized)
                    .map(Filterable::Scalar)
                    .collect()
            })
            .unwrap_or_default();
        let f = if node.system || scalars == 0 {
            *fields.get(scalars + usize::from(node.field) % (fields.len() - scalars).max(1))?
        } else {
            let i = usize::from(node.field) % (scalars + localized.len());
            match fields.get(i).filter(|_| i < scalars) {
                Some(f) => *f,
                None => *localized.get(i - scalars)?,
            }
        };
        let (name, ty) = self.world.field(m, f);
        // Strings favour the substring operators (WHERE-5 holds most of their edge cases).
        const STRING_WEIGHTED: [Op; 14] = [
            Op::Eq,
            Op::NotEq,
            Op::In,
            Op::NotIn,
            Op::Contains,
            Op::NotContains,
            Op::StartsWith,
            Op::NotStartsWith,
            Op::EndsWith,
            Op::NotEndsWith,
            Op::Contains,
            Op::StartsWith,
            Op::EndsWith,
            Op::Contains,
        ];
        let defined: Vec<Op>;
        let ops: &[Op] = match ty {
            ScalarType::String => &STRING_WEIGHTED,
            _ => {
                defined = Op::ALL
                    .into_iter()
                    .filter(|o| op_defined(&ty, *o))
                    .collect();
                &defined
            }
        };
        let mut op = *ops.get(usize::from(node.op) % ops.len())?;
        if f == Filterable::Id && is_substring(op) && self.world.creates {
            op = Op::Eq;
        }
        let operand = self.operand(m, f, &ty, op, &node.operand);
        Some((format!("{name}{}", op.suffix()), operand))
    }

    /// Builds the filter `raw` over model `m` as a JSON object.
    pub(crate) fn build(&self, m: usize, raw: &WhereRaw) -> Json {
        /// A container: the model its objects filter, its objects (a logic node's list, or
        /// one object), and the key and object of its parent it fills.
        struct Container {
            model: usize,
            objects: Vec<Map<String, Json>>,
            list: bool,
            at: Option<(usize, usize, String)>,
        }
        enum Made {
            Leaf(Json),
            Container(Container),
        }
        let mut cs = vec![Container {
            model: m,
            objects: vec![Map::new()],
            list: false,
            at: None,
        }];
        for node in &raw.0 {
            let mut p = usize::from(node.parent) % cs.len();
            if cs[p].objects.is_empty() {
                p = 0;
            }
            let slot = usize::from(node.slot) % cs[p].objects.len().max(1);
            let pm = cs[p].model;
            let made = match node.kind {
                NodeKind::Leaf => self.leaf(pm, node).map(|(k, v)| (k, Made::Leaf(v))),
                NodeKind::Relation => self.world.rel_at(pm, node.field).map(|r| {
                    let key = if r.list {
                        let q = ["_some", "_every", "_none"][usize::from(node.op) % 3];
                        format!("{}{q}", r.name)
                    } else {
                        r.name.clone()
                    };
                    let c = Container {
                        model: r.target,
                        objects: vec![Map::new()],
                        list: false,
                        at: None,
                    };
                    (key, Made::Container(c))
                }),
                NodeKind::And | NodeKind::Or | NodeKind::Not => {
                    let key = match node.kind {
                        NodeKind::And => "AND",
                        NodeKind::Or => "OR",
                        _ => "NOT",
                    };
                    // 0, 1 or 2 objects (`AND: []` is allowed, §5).
                    let c = Container {
                        model: pm,
                        objects: vec![Map::new(); usize::from(node.op % 3)],
                        list: true,
                        at: None,
                    };
                    Some((key.to_string(), Made::Container(c)))
                }
            };
            let Some((key, made)) = made else {
                continue;
            };
            let Some(obj) = cs[p].objects.get_mut(slot) else {
                continue;
            };
            if obj.contains_key(&key) {
                continue;
            }
            match made {
                Made::Leaf(v) => {
                    obj.insert(key, v);
                }
                Made::Container(mut c) => {
                    // Reserve the key's place; filled in bottom-up below.
                    obj.insert(key.clone(), Json::Null);
                    c.at = Some((p, slot, key));
                    cs.push(c);
                }
            }
        }
        // Children come after their parents: fill bottom-up.
        while cs.len() > 1 {
            let Some(c) = cs.pop() else { break };
            let Some((p, slot, key)) = c.at else { continue };
            let v = if c.list {
                Json::Array(c.objects.into_iter().map(Json::Object).collect())
            } else {
                c.objects
                    .into_iter()
                    .next()
                    .map_or(Json::Object(Map::new()), Json::Object)
            };
            if let Some(obj) = cs.get_mut(p).and_then(|x| x.objects.get_mut(slot)) {
                obj.insert(key, v);
            }
        }
        cs.pop()
            .and_then(|c| c.objects.into_iter().next())
            .map_or(Json::Object(Map::new()), Json::Object)
    }
}
