//! Queries: every read root (`posts`, `post(where: {id})`, `postsConnection` with `aggregate {
//! count }` and `edges { node }`) with `where`, `orderBy`, `first`/`skip` (edge values
//! included), `stage` and `locales` arguments; entry selections with scalar and system fields,
//! `__typename`, aliases, nested relation selections with their own arguments (READ-6, READ-9,
//! CTX-4) and `documentInStages` (READ-7).
//!
//! Relation selections are a flat list: selection i hangs below `parent % (nodes so far)`,
//! the root entry or an earlier relation selection, so shrinking can drop any of them.

use proptest::prelude::*;

use crate::gen::{maybe, pick, some_of};
use serde_json::{json, Map, Value as Json};

use crate::gen::config::GenConfig;
use crate::gen::filter::{id_raw, where_raw, IdRaw, IdSource, Scope, WhereRaw};
use crate::gen::ops::{invalid, req_raw, ReqRaw};
use crate::gen::world::{Filterable, World};
use crate::op::{Credential, OperationType, Request, Selection};

/// The deepest chain of relation selections below a root entry.
const MAX_REL_DEPTH: usize = 3;

/// `first` values: mostly small, the default and the maximum; sometimes over it or negative.
const FIRST: [i64; 8] = [2, 1, 3, 5, 0, 10, 100, 20];
/// `skip` values.
const SKIP: [i64; 6] = [1, 2, 0, 5, 10, 100];

/// Which root field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootKind {
    /// `posts`.
    List,
    /// `postsConnection`.
    Connection,
    /// `post(where: {id})`.
    Single,
}

/// `documentInStages` below an entry: stages mask (`None`: the default argument), an
/// `includeCurrent`, the selection and maybe one relation.
#[derive(Debug, Clone)]
pub(crate) struct DisRaw {
    pub stages: Option<u8>,
    pub include_current: Option<bool>,
    pub leaves: u16,
    pub system: u8,
    pub rel: Option<u8>,
}

/// A relation selection: its parent node, which relation, alias, arguments, selection.
#[derive(Debug, Clone)]
pub(crate) struct RelSelRaw {
    pub parent: u8,
    pub rel: u8,
    pub alias: bool,
    pub filter: Option<WhereRaw>,
    pub order: Option<(u8, bool)>,
    pub first: Option<u8>,
    pub skip: Option<u8>,
    pub locales: Option<Option<Vec<u8>>>,
    pub leaves: u16,
    pub system: u8,
}

/// An entry selection: scalar fields (bit i: `scalars[i]`), system fields (bits: `id`,
/// `stage`, `locale`, `createdAt`, `updatedAt`, `publishedAt`, `__typename`), relations and
/// `documentInStages`. Nothing selected means `id`.
#[derive(Debug, Clone)]
pub(crate) struct SelRaw {
    pub leaves: u16,
    pub system: u8,
    pub rels: Vec<RelSelRaw>,
    pub dis: Option<DisRaw>,
}

/// A root field.
#[derive(Debug, Clone)]
pub(crate) struct RootRaw {
    pub model: u8,
    pub kind: RootKind,
    pub alias: bool,
    pub filter: Option<WhereRaw>,
    pub order: Option<(u8, bool)>,
    pub first: Option<u8>,
    pub skip: Option<u8>,
    pub stage: Option<u8>,
    pub locales: Option<Vec<u8>>,
    pub id: IdRaw,
    pub sel: SelRaw,
    pub conn: u8,
}

/// A root field besides the model fields: `__typename`, or introspection (READ-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extra {
    /// Nothing.
    Nothing,
    /// `__typename`.
    Typename,
    /// `__schema { queryType { name } }`.
    Schema,
    /// `__type(name: "<Model>") { name }`.
    Type,
}

/// A query: request parts, root fields, and maybe an extra root field.
#[derive(Debug, Clone)]
pub(crate) struct QueryRaw {
    pub req: ReqRaw,
    pub roots: Vec<RootRaw>,
    pub extra: Extra,
}

fn system_bits() -> strategy!(u8) {
    // Mostly `id`, sometimes more.
    (0..7u8, any::<u8>()).prop_map(|(w, b)| match w {
        0..=2 => 1,
        3 | 4 => 0,
        _ => b,
    })
}

fn locales_list() -> strategy!(Vec<u8>) {
    prop::collection::vec(any::<u8>(), 1..4)
}

fn rel_sel_raw(cfg: &GenConfig) -> strategy!(RelSelRaw) {
    (
        (any::<u8>(), any::<u8>(), prop::bool::weighted(0.2)),
        maybe(25, where_raw(cfg.max_where_nodes.min(2))),
        maybe(20, (any::<u8>(), any::<bool>())),
        maybe(20, any::<u8>()),
        maybe(10, any::<u8>()),
        maybe(15, maybe(85, locales_list())),
        any::<u16>(),
        system_bits(),
    )
        .prop_map(
            |((parent, rel, alias), filter, order, first, skip, locales, leaves, system)| {
                RelSelRaw {
                    parent,
                    rel,
                    alias,
                    filter,
                    order,
                    first,
                    skip,
                    locales,
                    leaves,
                    system,
                }
            },
        )
}

fn dis_raw() -> strategy!(DisRaw) {
    (
        maybe(60, any::<u8>()),
        maybe(50, any::<bool>()),
        any::<u16>(),
        system_bits(),
        maybe(30, any::<u8>()),
    )
        .prop_map(|(stages, include_current, leaves, system, rel)| DisRaw {
            stages,
            include_current,
            leaves,
            system,
            rel,
        })
}

/// An entry selection with at most `rels` relation selections (and `documentInStages` when
/// `dis`).
pub(crate) fn sel_raw(cfg: &GenConfig, rels: u8, dis: bool) -> strategy!(SelRaw) {
    let dis = if dis { 12 } else { 0 };
    (
        any::<u16>(),
        system_bits(),
        some_of(35, usize::from(rels), rel_sel_raw(cfg)),
        maybe(dis, dis_raw()),
    )
        .prop_map(|(leaves, system, rels, dis)| SelRaw {
            leaves,
            system,
            rels,
            dis,
        })
}

fn root_raw(cfg: &GenConfig) -> strategy!(RootRaw) {
    (
        (
            any::<u8>(),
            pick([
                (5, RootKind::List),
                (2, RootKind::Connection),
                (3, RootKind::Single),
            ]),
            prop::bool::weighted(0.15),
        ),
        maybe(45, where_raw(cfg.max_where_nodes)),
        maybe(30, (any::<u8>(), any::<bool>())),
        maybe(35, any::<u8>()),
        maybe(20, any::<u8>()),
        maybe(30, any::<u8>()),
        maybe(35, locales_list()),
        id_raw(),
        sel_raw(cfg, cfg.max_relation_selections, true),
        0..6u8,
    )
        .prop_map(
            |((model, kind, alias), filter, order, first, skip, stage, locales, id, sel, conn)| {
                RootRaw {
                    model,
                    kind,
                    alias,
                    filter,
                    order,
                    first,
                    skip,
                    stage,
                    locales,
                    id,
                    sel,
                    conn,
                }
            },
        )
}

/// The query strategy.
pub(crate) fn query_raw(cfg: &GenConfig) -> strategy!(QueryRaw) {
    (
        req_raw(cfg, true),
        root_raw(cfg),
        some_of(
            30,
            usize::from(cfg.max_root_fields.max(1)) - 1,
            root_raw(cfg),
        ),
        pick([
            (96, Extra::Nothing),
            (2, Extra::Typename),
            (1, Extra::Schema),
            (1, Extra::Type),
        ]),
    )
        .prop_map(|(req, first, more, extra)| QueryRaw {
            req,
            roots: std::iter::once(first).chain(more).collect(),
            extra,
        })
}

/// A `first` value (a few over the maximum or negative).
pub(crate) fn first_value(raw: u8) -> i64 {
    match raw {
        0..=249 => FIRST[usize::from(raw) % FIRST.len()],
        250..=252 => 101,
        253 | 254 => -1,
        _ => 1001,
    }
}

/// A `skip` value (a few negative).
pub(crate) fn skip_value(raw: u8) -> i64 {
    if raw < 252 {
        SKIP[usize::from(raw) % SKIP.len()]
    } else {
        -1
    }
}

/// An `orderBy` value over model `m`'s scalars and system fields (no `id_*` when the case
/// creates entries).
pub(crate) fn order_value(world: &World, m: usize, (f, desc): (u8, bool)) -> Json {
    let fields: Vec<Filterable> = world
        .filterable(m)
        .into_iter()
        .filter(|f| !(world.creates && *f == Filterable::Id))
        .collect();
    let f = fields
        .get(usize::from(f) % fields.len().max(1))
        .copied()
        .unwrap_or(Filterable::Stamp(0));
    let (name, _) = world.field(m, f);
    json!(format!("{name}_{}", if desc { "DESC" } else { "ASC" }))
}

/// An id for a field aimed at model `m`.
pub(crate) fn id_value(world: &World, m: usize, raw: &IdRaw) -> String {
    let pick = usize::from(raw.pick);
    let loaded = world.ids.get(m).map_or(&[][..], Vec::as_slice);
    let missing = || "cmissing0000000000000000".to_string();
    match raw.source {
        IdSource::Created => {
            let created = world.created_of(m);
            match (created.get(pick % created.len().max(1)), loaded.is_empty()) {
                (Some(p), _) => p.clone(),
                (None, false) => loaded[pick % loaded.len()].clone(),
                (None, true) => missing(),
            }
        }
        IdSource::Existing => {
            if loaded.is_empty() {
                let created = world.created_of(m);
                created
                    .get(pick % created.len().max(1))
                    .cloned()
                    .unwrap_or_else(missing)
            } else {
                loaded[pick % loaded.len()].clone()
            }
        }
        IdSource::OtherModel => {
            let others: Vec<&String> = world
                .ids
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != m)
                .flat_map(|(_, x)| x.iter())
                .collect();
            others
                .get(pick % others.len().max(1))
                .map_or_else(missing, |s| (*s).clone())
        }
        IdSource::Missing => missing(),
    }
}

fn leaf(name: &str) -> Selection {
    Selection {
        name: name.to_string(),
        ..Selection::default()
    }
}

/// The scalar and system fields of model `m` selected by `leaves` and `system`.
fn leaves(world: &World, m: usize, leaves: u16, system: u8) -> Vec<Selection> {
    const SYSTEM: [&str; 7] = [
        "id",
        "stage",
        "locale",
        "createdAt",
        "updatedAt",
        "publishedAt",
        "__typename",
    ];
    let mut out: Vec<Selection> = SYSTEM
        .iter()
        .enumerate()
        .filter(|(i, _)| system & (1 << i) != 0)
        .map(|(_, n)| leaf(n))
        .collect();
    if let Some(model) = world.models.get(m) {
        out.extend(
            model
                .scalars
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < 16 && leaves & (1 << i) != 0)
                .map(|(_, s)| leaf(&s.name)),
        );
    }
    if out.is_empty() {
        out.push(leaf("id"));
    }
    out
}

/// A `locales` list; duplicates (ignored after their first occurrence, CTX-2) are kept only
/// when the first raw value is a multiple of 8.
fn locales_arg(world: &World, ls: &[u8]) -> Json {
    let keep = ls.first().is_some_and(|x| x % 8 == 0);
    let mut out: Vec<Json> = Vec::new();
    for l in ls {
        let v = json!(world.locale_at(*l));
        if keep || !out.contains(&v) {
            out.push(v);
        }
    }
    Json::Array(out)
}

/// The list arguments of a relation or root list field over model `m`.
fn list_args(
    world: &World,
    m: usize,
    args: &mut Map<String, Json>,
    filter: Option<&WhereRaw>,
    order: Option<(u8, bool)>,
    first: Option<u8>,
    skip: Option<u8>,
) {
    if let Some(w) = filter {
        let scope = Scope {
            world,
            request: true,
        };
        args.insert("where".into(), scope.build(m, w));
    }
    if let Some(o) = order {
        args.insert("orderBy".into(), order_value(world, m, o));
    }
    if let Some(f) = first {
        args.insert("first".into(), json!(first_value(f)));
    }
    if let Some(s) = skip {
        args.insert("skip".into(), json!(skip_value(s)));
    }
}

/// The selection set of an entry of model `m`.
pub(crate) fn entry_selection(world: &World, m: usize, raw: &SelRaw) -> Vec<Selection> {
    struct Node {
        model: usize,
        depth: usize,
        field: Selection,
        children: Vec<usize>,
    }
    let mut nodes = vec![Node {
        model: m,
        depth: 0,
        field: Selection {
            selection: leaves(world, m, raw.leaves, raw.system),
            ..Selection::default()
        },
        children: Vec::new(),
    }];
    for (i, r) in raw.rels.iter().enumerate() {
        let mut p = usize::from(r.parent) % nodes.len();
        if nodes[p].depth >= MAX_REL_DEPTH {
            p = 0;
        }
        let pm = nodes[p].model;
        let Some(rel) = world.rel_at(pm, r.rel) else {
            continue;
        };
        let mut args = Map::new();
        if rel.list {
            list_args(
                world,
                rel.target,
                &mut args,
                r.filter.as_ref(),
                r.order,
                r.first,
                r.skip,
            );
        }
        match &r.locales {
            None => {}
            Some(None) => {
                args.insert("locales".into(), Json::Null);
            }
            Some(Some(ls)) => {
                args.insert("locales".into(), locales_arg(world, ls));
            }
        }
        let field = Selection {
            alias: r.alias.then(|| format!("r{i}")),
            name: rel.name.clone(),
            args,
            selection: leaves(world, rel.target, r.leaves, r.system),
        };
        let depth = nodes[p].depth + 1;
        nodes.push(Node {
            model: rel.target,
            depth,
            field,
            children: Vec::new(),
        });
        let at = nodes.len() - 1;
        nodes[p].children.push(at);
    }
    // Assemble bottom-up (children come after their parents).
    for i in (1..nodes.len()).rev() {
        let children: Vec<usize> = std::mem::take(&mut nodes[i].children);
        for c in children {
            let f = std::mem::take(&mut nodes[c].field);
            nodes[i].field.selection.push(f);
        }
    }
    let children: Vec<usize> = std::mem::take(&mut nodes[0].children);
    let mut out = std::mem::take(&mut nodes[0].field.selection);
    for c in children {
        out.push(std::mem::take(&mut nodes[c].field));
    }
    if let Some(d) = &raw.dis {
        out.push(document_in_stages(world, m, d));
    }
    out
}

fn document_in_stages(world: &World, m: usize, d: &DisRaw) -> Selection {
    let mut args = Map::new();
    if let Some(mask) = d.stages {
        args.insert(
            "stages".into(),
            Json::Array(
                world
                    .stage_mask(mask, 0)
                    .into_iter()
                    .map(Json::String)
                    .collect(),
            ),
        );
    }
    if let Some(b) = d.include_current {
        args.insert("includeCurrent".into(), json!(b));
    }
    let mut selection = leaves(world, m, d.leaves, d.system);
    if let Some(r) = d.rel {
        if let Some(rel) = world.rel_at(m, r) {
            selection.push(Selection {
                name: rel.name.clone(),
                selection: vec![leaf("id")],
                ..Selection::default()
            });
        }
    }
    Selection {
        name: "documentInStages".into(),
        args,
        selection,
        ..Selection::default()
    }
}

/// One root field.
fn root(world: &World, raw: &RootRaw, readable: Option<&[usize]>) -> Selection {
    // Mostly a model the principal reads (when it reads only some).
    let m = match readable {
        Some(ms) if !ms.is_empty() && raw.model < 180 => ms[usize::from(raw.model) % ms.len()],
        _ => world.model_at(raw.model),
    };
    let Some(model) = world.models.get(m) else {
        return leaf("__typename");
    };
    let mut args = Map::new();
    let name = match raw.kind {
        RootKind::Single => {
            args.insert("where".into(), json!({"id": id_value(world, m, &raw.id)}));
            model.single.clone()
        }
        RootKind::List | RootKind::Connection => {
            list_args(
                world,
                m,
                &mut args,
                raw.filter.as_ref(),
                raw.order,
                raw.first,
                raw.skip,
            );
            if raw.kind == RootKind::List {
                model.plural.clone()
            } else {
                format!("{}Connection", model.plural)
            }
        }
    };
    if let Some(s) = raw.stage {
        args.insert("stage".into(), json!(world.stage_at(s)));
    }
    if let Some(ls) = &raw.locales {
        args.insert("locales".into(), locales_arg(world, ls));
    }
    let entry = entry_selection(world, m, &raw.sel);
    let selection = if raw.kind == RootKind::Connection {
        let count = Selection {
            name: "aggregate".into(),
            selection: vec![leaf("count")],
            ..Selection::default()
        };
        let edges = Selection {
            name: "edges".into(),
            selection: vec![Selection {
                name: "node".into(),
                selection: entry,
                ..Selection::default()
            }],
            ..Selection::default()
        };
        let mut parts = match raw.conn % 3 {
            0 => vec![count, edges],
            1 => vec![count],
            _ => vec![edges],
        };
        if raw.conn >= 3 {
            parts.push(leaf("__typename"));
        }
        parts
    } else {
        entry
    };
    Selection {
        alias: raw.alias.then(|| format!("{name}A")),
        name,
        args,
        selection,
    }
}

/// Gives every field after the first with an already used response key in its selection set
/// an alias, at every level (CTX-3's conflicts come from [`invalid`] only).
pub(crate) fn dedupe_keys(fields: &mut [Selection]) {
    let mut used: Vec<String> = Vec::new();
    for (i, f) in fields.iter_mut().enumerate() {
        if used.iter().any(|u| u == f.key()) {
            f.alias = Some(format!("{}{i}", f.name));
        }
        used.push(f.key().to_string());
        dedupe_keys(&mut f.selection);
    }
}

/// Builds a query step.
pub(crate) fn build(raw: &QueryRaw, world: &World) -> Request {
    let mut r = super::request(world, &raw.req, &[]);
    r.operation = OperationType::Query;
    let readable = match &r.credential {
        Credential::Token { pat, .. } if r.environment.is_none() => world.readable(pat),
        _ => None,
    };
    let mut fields: Vec<Selection> = raw
        .roots
        .iter()
        .map(|x| root(world, x, readable.as_deref()))
        .collect();
    match raw.extra {
        Extra::Nothing => {}
        Extra::Typename => fields.push(leaf("__typename")),
        Extra::Schema => fields.push(Selection {
            name: "__schema".into(),
            selection: vec![Selection {
                name: "queryType".into(),
                selection: vec![leaf("name")],
                ..Selection::default()
            }],
            ..Selection::default()
        }),
        Extra::Type => {
            let model = world.models.first().map_or("Query", |m| m.name.as_str());
            let mut args = Map::new();
            args.insert("name".into(), json!(model));
            fields.push(Selection {
                name: "__type".into(),
                args,
                selection: vec![leaf("name")],
                ..Selection::default()
            });
        }
    }
    dedupe_keys(&mut fields);
    r.fields = fields;
    if let Some(v) = raw.req.invalid {
        invalid::apply(world, &mut r, v);
    }
    r
}
