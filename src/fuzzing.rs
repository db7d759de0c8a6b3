//! Fuzzing support for the condition language: the logic of the `fuzz/` targets as library
//! functions (so stable `cargo test` can replay the seed corpora), a fixed fixture schema and
//! content, a deterministic byte decoder that builds conditions and documents, and a slow
//! reference evaluator that interprets the raw JSON `where` by string keys, written
//! independently of `model::condition::eval`.

use serde_json::{json, Map, Value as J};

use crate::model::condition::{
    eval, parse_condition, parse_value, print, to_json, Compiled, EvalCtx, Limits, Where,
};
use crate::model::profile::NullLogic;
use crate::model::project::{
    Content, Document, Entry, Field, FieldKind, Link, LocaleIdx, Model, ModelIdx, ReverseField,
    Schema, StageIdx,
};
use crate::model::value::{parse_datetime, ScalarType, Value};

fn scalar(api_id: &str, ty: ScalarType, localized: bool) -> Field {
    Field {
        api_id: api_id.into(),
        kind: FieldKind::Scalar(ty),
        localized,
        required: false,
    }
}

fn relation(api_id: &str, target: ModelIdx, list: bool, reverse: Option<&str>) -> Field {
    Field {
        api_id: api_id.into(),
        kind: FieldKind::Relation {
            target,
            list,
            reverse: reverse.map(str::to_string),
        },
        localized: false,
        required: false,
    }
}

/// The fixture schema the fuzz targets parse against: `Post` (0), `Author` (1), `Tag` (2), with
/// every scalar type, a localized field, a single, a list and a one-way relation, two reverse
/// fields, and tricky field names (`title_not`, `in`).
pub fn fixture_schema() -> Schema {
    let post = Model {
        api_id: "Post".into(),
        plural: "posts".into(),
        fields: vec![
            scalar("title", ScalarType::String, true),
            scalar("views", ScalarType::Int, false),
            scalar("score", ScalarType::Float, false),
            scalar("live", ScalarType::Boolean, false),
            scalar(
                "kind",
                ScalarType::Enum(vec!["NEWS".into(), "BLOG".into(), "in".into()]),
                false,
            ),
            scalar("when", ScalarType::DateTime, false),
            scalar("title_not", ScalarType::String, false),
            scalar("in", ScalarType::Int, false),
            relation("author", 1, false, Some("posts")),
            relation("tags", 2, true, Some("posts")),
        ],
        reverse: vec![],
    };
    let author = Model {
        api_id: "Author".into(),
        plural: "authors".into(),
        fields: vec![
            scalar("name", ScalarType::String, false),
            scalar("age", ScalarType::Int, false),
            relation("best", 0, false, None),
        ],
        reverse: vec![ReverseField {
            api_id: "posts".into(),
            owner: 0,
            owner_field: 8,
        }],
    };
    let tag = Model {
        api_id: "Tag".into(),
        plural: "tags".into(),
        fields: vec![
            scalar("label", ScalarType::String, true),
            scalar("weight", ScalarType::Float, false),
        ],
        reverse: vec![ReverseField {
            api_id: "posts".into(),
            owner: 0,
            owner_field: 9,
        }],
    };
    Schema {
        stages: vec!["DRAFT".into(), "PUBLISHED".into(), "QA".into()],
        locales: vec!["en".into(), "de".into()],
        models: vec![post, author, tag],
    }
}

/// A deterministic reader of fuzz bytes: past the end it yields zeros.
#[derive(Debug)]
pub struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data, pos: 0 }
    }

    /// The next byte (0 past the end).
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::from(self.byte()) % n
        }
    }

    /// Whether the input is used up.
    pub fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        let i = self.below(items.len());
        items.get(i).cloned()
    }
}

const STRINGS: [&str; 9] = ["", "a", "ab", "ba", "A", "é", "%", "a_b", "ñé"];
const INTS: [i64; 6] = [-1, 0, 1, 2, 2_147_483_647, -2_147_483_648];
const FLOATS: [f64; 5] = [0.0, 0.5, 1.0, -2.5, 2.0];
const TIMES: [i64; 4] = [0, 1, 1_000_000, 1_704_067_200_000_000];
const IDS: [&str; 9] = ["p0", "p1", "p2", "a0", "a1", "t0", "t1", "t2", "ghost"];

fn gen_value(b: &mut Bytes<'_>, ty: &ScalarType) -> Value {
    if b.below(6) == 0 {
        return Value::Null;
    }
    match ty {
        ScalarType::String | ScalarType::Id => {
            Value::String(b.pick(&STRINGS).unwrap_or_default().to_string())
        }
        ScalarType::Int => Value::Int(b.pick(&INTS).unwrap_or_default()),
        ScalarType::Float => Value::Float(b.pick(&FLOATS).unwrap_or_default()),
        ScalarType::Boolean => Value::Boolean(b.below(2) == 1),
        ScalarType::DateTime => Value::DateTime(b.pick(&TIMES).unwrap_or_default()),
        ScalarType::Enum(vs) => Value::Enum(u32::try_from(b.below(vs.len())).unwrap_or(0)),
    }
}

/// Builds fixture content from bytes: 3 posts (`p0`..`p2`), 2 authors (`a0`, `a1`) and 3 tags
/// (`t0`..`t2`), each with a DRAFT document and maybe PUBLISHED and QA ones, some localizations,
/// values from small pools (nulls included) and links that may dangle (`ghost`).
pub fn gen_content(schema: &Schema, b: &mut Bytes<'_>) -> Content {
    let mut content = Content::default();
    let plan: [(ModelIdx, &str); 8] = [
        (0, "p0"),
        (0, "p1"),
        (0, "p2"),
        (1, "a0"),
        (1, "a1"),
        (2, "t0"),
        (2, "t1"),
        (2, "t2"),
    ];
    let mut seq = 0u64;
    for (order, (model, id)) in plan.into_iter().enumerate() {
        let Some(m) = schema.models.get(model) else {
            continue;
        };
        let mut documents = Vec::new();
        for stage in 0..schema.stages.len() {
            if stage > 0 && b.below(3) == 0 {
                documents.push(None);
                continue;
            }
            let mut values = Vec::new();
            let mut links = Vec::new();
            for f in &m.fields {
                match &f.kind {
                    FieldKind::Scalar(ty) if !f.localized => {
                        values.push(gen_value(b, ty));
                        links.push(Vec::new());
                    }
                    FieldKind::Scalar(_) => {
                        values.push(Value::Null);
                        links.push(Vec::new());
                    }
                    FieldKind::Relation { list, .. } => {
                        values.push(Value::Null);
                        let n = if *list { b.below(4) } else { b.below(2) };
                        let mut ls: Vec<Link> = Vec::new();
                        for _ in 0..n {
                            let target = b.pick(&IDS).unwrap_or_default().to_string();
                            if ls.iter().all(|l| l.target != target) {
                                seq += 1;
                                ls.push(Link::new(target, seq));
                            }
                        }
                        links.push(ls);
                    }
                }
            }
            let mut localizations = Vec::new();
            for locale in 0..schema.locales.len() {
                if locale == 0 || b.below(2) == 0 {
                    let vals = m
                        .fields
                        .iter()
                        .map(|f| match &f.kind {
                            FieldKind::Scalar(ty) if f.localized => gen_value(b, ty),
                            _ => Value::Null,
                        })
                        .collect();
                    localizations.push((locale, vals));
                }
            }
            let created_at = b.pick(&TIMES).unwrap_or_default();
            documents.push(Some(Document {
                values,
                links,
                localizations: localizations.into(),
                created_at,
                updated_at: b.pick(&TIMES).unwrap_or_default(),
                published_at: if stage == 0 || b.below(4) == 0 {
                    None
                } else {
                    Some(b.pick(&TIMES).unwrap_or_default())
                },
            }));
        }
        content.entries.push(Entry {
            id: id.to_string(),
            model,
            order: u64::try_from(order).unwrap_or(0),
            documents,
        });
    }
    content.reindex();
    content
}

fn json_of(v: &Value, ty: &ScalarType, b: &mut Bytes<'_>) -> J {
    // Input variants that DATA-1 accepts: integers for IDs and Floats, any offset for DateTimes.
    match (v, ty) {
        (Value::Float(f), _) if f.fract() == 0.0 && b.below(2) == 0 => {
            json!(*f as i64)
        }
        (Value::DateTime(us), _) if b.below(2) == 0 => {
            // The same instant written with a +01:00 offset.
            let local = us + 3_600_000_000;
            let s = crate::model::value::format_datetime(local);
            J::String(s.replace("+00:00", "+01:00"))
        }
        _ => v.to_json(ty),
    }
}

/// One filterable scalar of a model, as the generator sees it.
fn scalar_fields(model: &Model) -> Vec<(String, ScalarType)> {
    let mut out = vec![
        ("id".to_string(), ScalarType::Id),
        ("createdAt".to_string(), ScalarType::DateTime),
        ("updatedAt".to_string(), ScalarType::DateTime),
        ("publishedAt".to_string(), ScalarType::DateTime),
    ];
    for f in &model.fields {
        if let FieldKind::Scalar(ty) = &f.kind {
            out.push((f.api_id.clone(), ty.clone()));
        }
    }
    out
}

fn ops_for(ty: &ScalarType) -> Vec<&'static str> {
    let mut ops = vec!["", "_not"];
    if !matches!(ty, ScalarType::Boolean) {
        ops.extend(["_in", "_not_in"]);
    }
    if matches!(ty, ScalarType::String | ScalarType::Id) {
        ops.extend([
            "_contains",
            "_not_contains",
            "_starts_with",
            "_not_starts_with",
            "_ends_with",
            "_not_ends_with",
        ]);
    }
    if matches!(
        ty,
        ScalarType::Int | ScalarType::Float | ScalarType::DateTime
    ) {
        ops.extend(["_lt", "_lte", "_gt", "_gte"]);
    }
    ops
}

fn gen_operand(b: &mut Bytes<'_>, ty: &ScalarType, op: &str) -> J {
    let id_ty = matches!(ty, ScalarType::Id);
    let one = |b: &mut Bytes<'_>| loop {
        let v = if id_ty {
            Value::String(b.pick(&IDS).unwrap_or_default().to_string())
        } else {
            gen_value(b, ty)
        };
        if !v.is_null() {
            return json_of(&v, ty, b);
        }
        if b.done() {
            return json_of(
                &match ty {
                    ScalarType::Int => Value::Int(0),
                    ScalarType::Float => Value::Float(0.0),
                    ScalarType::Boolean => Value::Boolean(false),
                    ScalarType::DateTime => Value::DateTime(0),
                    ScalarType::Enum(_) => Value::Enum(0),
                    _ => Value::String(String::new()),
                },
                ty,
                b,
            );
        }
    };
    match op {
        "" | "_not" if b.below(5) == 0 => J::Null,
        "_in" | "_not_in" => match b.below(4) {
            0 => one(b),
            n => J::Array((0..n - 1).map(|_| one(b)).collect()),
        },
        _ if matches!(
            op,
            "_contains"
                | "_not_contains"
                | "_starts_with"
                | "_not_starts_with"
                | "_ends_with"
                | "_not_ends_with"
        ) && !id_ty =>
        {
            J::String(b.pick(&STRINGS).unwrap_or_default().to_string())
        }
        _ => one(b),
    }
}

/// Builds a where value over `model` from bytes; every value it builds is valid (§5, LIMIT-1).
pub fn gen_where(schema: &Schema, model: ModelIdx, b: &mut Bytes<'_>, depth: usize) -> J {
    let mut map = Map::new();
    let Some(m) = schema.models.get(model) else {
        return J::Object(map);
    };
    let keys = b.below(if depth >= 3 { 2 } else { 4 });
    for _ in 0..keys {
        let kind = if depth >= 3 { 0 } else { b.below(6) };
        let (key, value) = match kind {
            1 => {
                let key = ["AND", "OR", "NOT"][b.below(3)];
                let value = if b.below(4) == 0 {
                    gen_where(schema, model, b, depth + 1)
                } else {
                    let n = b.below(3);
                    J::Array(
                        (0..n)
                            .map(|_| gen_where(schema, model, b, depth + 1))
                            .collect(),
                    )
                };
                (key.to_string(), value)
            }
            2 | 3 => {
                let rels: Vec<(String, ModelIdx, bool)> = m
                    .fields
                    .iter()
                    .filter_map(|f| match &f.kind {
                        FieldKind::Relation { target, list, .. } => {
                            Some((f.api_id.clone(), *target, *list))
                        }
                        FieldKind::Scalar(_) => None,
                    })
                    .chain(m.reverse.iter().map(|r| (r.api_id.clone(), r.owner, true)))
                    .collect();
                let Some((name, target, list)) = b.pick(&rels) else {
                    continue;
                };
                let key = if list {
                    format!("{name}{}", ["_some", "_every", "_none"][b.below(3)])
                } else {
                    name
                };
                (key, gen_where(schema, target, b, depth + 1))
            }
            _ => {
                let fields = scalar_fields(m);
                let Some((name, ty)) = b.pick(&fields) else {
                    continue;
                };
                let ops = ops_for(&ty);
                let op = b.pick(&ops).unwrap_or("");
                (format!("{name}{op}"), gen_operand(b, &ty, op))
            }
        };
        if !map.contains_key(&key) {
            map.insert(key, value);
        }
    }
    J::Object(map)
}

// ---------------------------------------------------------------------------------------------
// The slow evaluator: interprets the JSON where directly, by string keys.

/// What the slow evaluator reads: schema, content, stage, locale, and the null logic.
#[derive(Debug, Clone, Copy)]
pub struct SlowCtx<'a> {
    /// The schema.
    pub schema: &'a Schema,
    /// The content.
    pub content: &'a Content,
    /// The stage relation filters follow links in.
    pub stage: StageIdx,
    /// The locale localized fields are read in.
    pub locale: LocaleIdx,
    /// SQL three-valued logic (else two-valued).
    pub three_valued: bool,
}

/// Whether the JSON where `w` over `model` holds on `doc`, the document of `entry`: a direct,
/// slow interpretation of §5 for valid input (invalid keys or operands make it false).
pub fn slow_eval(ctx: &SlowCtx<'_>, model: ModelIdx, w: &J, entry: &Entry, doc: &Document) -> bool {
    slow_where(ctx, model, w, entry, doc) == Some(true)
}

fn kleene_and(items: Vec<Option<bool>>) -> Option<bool> {
    if items.contains(&Some(false)) {
        Some(false)
    } else if items.contains(&None) {
        None
    } else {
        Some(true)
    }
}

fn kleene_or(items: Vec<Option<bool>>) -> Option<bool> {
    if items.contains(&Some(true)) {
        Some(true)
    } else if items.contains(&None) {
        None
    } else {
        Some(false)
    }
}

fn as_list(v: &J) -> Vec<J> {
    match v {
        J::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

fn slow_where(
    ctx: &SlowCtx<'_>,
    model: ModelIdx,
    w: &J,
    entry: &Entry,
    doc: &Document,
) -> Option<bool> {
    let J::Object(map) = w else {
        return Some(false);
    };
    let mut results = Vec::new();
    for (k, v) in map {
        let r = match k.as_str() {
            "AND" => kleene_and(
                as_list(v)
                    .iter()
                    .map(|x| slow_where(ctx, model, x, entry, doc))
                    .collect(),
            ),
            "OR" => kleene_or(
                as_list(v)
                    .iter()
                    .map(|x| slow_where(ctx, model, x, entry, doc))
                    .collect(),
            ),
            "NOT" => kleene_and(
                as_list(v)
                    .iter()
                    .map(|x| slow_where(ctx, model, x, entry, doc))
                    .collect(),
            )
            .map(|b| !b),
            _ => slow_key(ctx, model, k, v, entry, doc),
        };
        results.push(r);
    }
    kleene_and(results)
}

enum Kind {
    Scalar(Option<usize>, ScalarType),
    Single(usize, ModelIdx),
    List(usize, ModelIdx),
    Reverse(usize, usize, ModelIdx),
}

fn slow_key(
    ctx: &SlowCtx<'_>,
    model: ModelIdx,
    key: &str,
    v: &J,
    entry: &Entry,
    doc: &Document,
) -> Option<bool> {
    let m = ctx.schema.models.get(model)?;
    // Every (name, kind) of the model; longest name that leaves an applicable suffix wins.
    let mut names: Vec<(String, Kind)> = vec![
        ("id".into(), Kind::Scalar(None, ScalarType::Id)),
        ("createdAt".into(), Kind::Scalar(None, ScalarType::DateTime)),
        ("updatedAt".into(), Kind::Scalar(None, ScalarType::DateTime)),
        (
            "publishedAt".into(),
            Kind::Scalar(None, ScalarType::DateTime),
        ),
    ];
    for (i, f) in m.fields.iter().enumerate() {
        let k = match &f.kind {
            FieldKind::Scalar(ty) => Kind::Scalar(Some(i), ty.clone()),
            FieldKind::Relation {
                target, list: true, ..
            } => Kind::List(i, *target),
            FieldKind::Relation { target, .. } => Kind::Single(i, *target),
        };
        names.push((f.api_id.clone(), k));
    }
    for r in &m.reverse {
        names.push((
            r.api_id.clone(),
            Kind::Reverse(r.owner, r.owner_field, r.owner),
        ));
    }
    names.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    for (name, kind) in &names {
        let Some(rest) = key.strip_prefix(name.as_str()) else {
            continue;
        };
        match kind {
            Kind::Scalar(idx, ty) => {
                if !ops_for(ty).contains(&rest) {
                    continue;
                }
                let stored = stored_value(ctx, m, *idx, name, entry, doc);
                return slow_leaf(ctx, &stored, ty, rest, v);
            }
            Kind::Single(idx, target) if rest.is_empty() => {
                let related = related_own(ctx, doc, *idx, *target);
                return Some(
                    related
                        .first()
                        .is_some_and(|(e, d)| slow_where(ctx, *target, v, e, d) == Some(true)),
                );
            }
            Kind::List(..) | Kind::Reverse(..) if matches!(rest, "_some" | "_every" | "_none") => {
                let (related, target) = match kind {
                    Kind::List(idx, target) => (related_own(ctx, doc, *idx, *target), *target),
                    Kind::Reverse(owner, owner_field, target) => (
                        related_reverse(ctx, *owner, *owner_field, &entry.id),
                        *target,
                    ),
                    _ => return Some(false),
                };
                let rs: Vec<Option<bool>> = related
                    .iter()
                    .map(|(e, d)| slow_where(ctx, target, v, e, d))
                    .collect();
                return Some(match rest {
                    "_some" => rs.contains(&Some(true)),
                    "_every" => !rs.contains(&Some(false)),
                    _ => !rs.contains(&Some(true)),
                });
            }
            _ => continue,
        }
    }
    Some(false)
}

fn find_entry<'c>(ctx: &SlowCtx<'c>, id: &str) -> Option<&'c Entry> {
    ctx.content.entries.iter().find(|e| e.id == id)
}

fn related_own<'c>(
    ctx: &SlowCtx<'c>,
    doc: &Document,
    idx: usize,
    target: ModelIdx,
) -> Vec<(&'c Entry, &'c Document)> {
    let mut out = Vec::new();
    for link in doc.links.get(idx).map(Vec::as_slice).unwrap_or(&[]) {
        if let Some(e) = find_entry(ctx, &link.target) {
            if e.model != target {
                continue;
            }
            if let Some(Some(d)) = e.documents.get(ctx.stage) {
                out.push((e, d));
            }
        }
    }
    out
}

fn related_reverse<'c>(
    ctx: &SlowCtx<'c>,
    owner: ModelIdx,
    owner_field: usize,
    id: &str,
) -> Vec<(&'c Entry, &'c Document)> {
    let mut out = Vec::new();
    for e in &ctx.content.entries {
        if e.model != owner {
            continue;
        }
        if let Some(Some(d)) = e.documents.get(ctx.stage) {
            let links = d.links.get(owner_field).map(Vec::as_slice).unwrap_or(&[]);
            if links.iter().any(|l| l.target == id) {
                out.push((e, d));
            }
        }
    }
    out
}

fn stored_value(
    ctx: &SlowCtx<'_>,
    m: &Model,
    idx: Option<usize>,
    name: &str,
    entry: &Entry,
    doc: &Document,
) -> Value {
    match idx {
        None => match name {
            "id" => Value::String(entry.id.clone()),
            "createdAt" => Value::DateTime(doc.created_at),
            "updatedAt" => Value::DateTime(doc.updated_at),
            _ => doc.published_at.map_or(Value::Null, Value::DateTime),
        },
        Some(i) => {
            let localized = m.fields.get(i).is_some_and(|f| f.localized);
            let v = if localized {
                // By a plain scan, not `has`/`get`: the slow side must not trust the
                // localizations' presence set.
                doc.localizations
                    .iter()
                    .find(|(l, _)| *l == ctx.locale)
                    .and_then(|(_, vals)| vals.get(i))
            } else {
                doc.values.get(i)
            };
            v.cloned().unwrap_or(Value::Null)
        }
    }
}

/// The operand as a comparable key: numbers as f64, DateTimes as micros, enums as indices.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Key {
    Num(f64),
    Str(String),
    Bool(bool),
}

fn key_of_stored(v: &Value) -> Option<Key> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(Key::Str(s.clone())),
        Value::Int(i) => Some(Key::Num(*i as f64)),
        Value::Float(f) => Some(Key::Num(*f)),
        Value::Boolean(b) => Some(Key::Bool(*b)),
        Value::DateTime(t) => Some(Key::Num(*t as f64)),
        Value::Enum(e) => Some(Key::Num(f64::from(*e))),
    }
}

fn key_of_json(j: &J, ty: &ScalarType) -> Option<Key> {
    match (ty, j) {
        (ScalarType::DateTime, J::String(s)) => parse_datetime(s).map(|t| Key::Num(t as f64)),
        (ScalarType::Enum(vs), J::String(s)) => {
            vs.iter().position(|x| x == s).map(|i| Key::Num(i as f64))
        }
        (ScalarType::Id, J::Number(n)) => Some(Key::Str(n.to_string())),
        (_, J::String(s)) => Some(Key::Str(s.clone())),
        (_, J::Number(n)) => n.as_f64().map(Key::Num),
        (_, J::Bool(b)) => Some(Key::Bool(*b)),
        _ => None,
    }
}

fn slow_leaf(ctx: &SlowCtx<'_>, stored: &Value, ty: &ScalarType, op: &str, v: &J) -> Option<bool> {
    let Some(s) = key_of_stored(stored) else {
        return match (op, v) {
            ("", J::Null) => Some(true),
            ("_not", J::Null) => Some(false),
            _ if ctx.three_valued => None,
            _ => Some(false),
        };
    };
    let x = key_of_json(v, ty);
    let text = |f: fn(&str, &str) -> bool| match (&s, &x) {
        (Key::Str(a), Some(Key::Str(b))) => f(a, b),
        _ => false,
    };
    Some(match op {
        "" => x.as_ref() == Some(&s),
        "_not" => x.as_ref() != Some(&s),
        "_in" => as_list(v)
            .iter()
            .any(|j| key_of_json(j, ty).as_ref() == Some(&s)),
        "_not_in" => !as_list(v)
            .iter()
            .any(|j| key_of_json(j, ty).as_ref() == Some(&s)),
        "_contains" => text(|a, b| a.contains(b)),
        "_not_contains" => text(|a, b| !a.contains(b)),
        "_starts_with" => text(|a, b| a.starts_with(b)),
        "_not_starts_with" => text(|a, b| !a.starts_with(b)),
        "_ends_with" => text(|a, b| a.ends_with(b)),
        "_not_ends_with" => text(|a, b| !a.ends_with(b)),
        "_lt" => x.is_some_and(|x| s < x),
        "_lte" => x.is_some_and(|x| s <= x),
        "_gt" => x.is_some_and(|x| s > x),
        "_gte" => x.is_some_and(|x| s >= x),
        _ => false,
    })
}

// ---------------------------------------------------------------------------------------------
// The targets.

/// `condition_parse`: bytes → UTF-8 → [`parse_condition`] on the fixture schema (model chosen by
/// nothing: always `Post`) never panics; when it parses, printing and parsing again gives the
/// same AST, both from the text and from the JSON value, and printing is a fixpoint.
pub fn condition_parse(data: &[u8]) -> Result<(), String> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let schema = fixture_schema();
    let limits = Limits::SPEC;
    for model in 0..schema.models.len() {
        let Ok(w) = parse_condition(&schema, model, text, &limits) else {
            continue;
        };
        check_roundtrip(&schema, &w, &limits)?;
    }
    Ok(())
}

fn check_roundtrip(schema: &Schema, w: &Where, limits: &Limits) -> Result<(), String> {
    let printed = print(schema, w);
    let again = parse_condition(schema, w.model, &printed, limits)
        .map_err(|e| format!("printed condition {printed} does not parse: {e}"))?;
    if &again != w {
        return Err(format!("print/parse is not the identity for {printed}"));
    }
    let again = parse_value(schema, w.model, &to_json(schema, w), limits)
        .map_err(|e| format!("printed value {printed} does not parse: {e}"))?;
    if &again != w {
        return Err(format!(
            "to_json/parse_value is not the identity for {printed}"
        ));
    }
    let reprinted = print(schema, &again);
    if reprinted != printed {
        return Err(format!(
            "printing is not a fixpoint: {printed} vs {reprinted}"
        ));
    }
    Ok(())
}

/// `condition_eval`: bytes decoded into content, a condition (valid by construction), the
/// document tested, its stage and locale → the condition parses, round-trips, and [`eval()`](crate::model::condition::eval())
/// agrees with [`slow_eval`] under both null logics, and the [`Compiled`] form with `eval`;
/// under two-valued logic `NOT:[w]` and `w` never both hold.
pub fn condition_eval(data: &[u8]) -> Result<(), String> {
    let schema = fixture_schema();
    let limits = Limits::SPEC;
    let mut b = Bytes::new(data);
    let model = b.below(schema.models.len());
    let wj = gen_where(&schema, model, &mut b, 1);
    let content = gen_content(&schema, &mut b);
    let w = parse_value(&schema, model, &wj, &limits)
        .map_err(|e| format!("generated where {wj} refused: {e}"))?;
    check_roundtrip(&schema, &w, &limits)?;
    let not_j = json!({ "NOT": [wj.clone()] });
    let not_w = parse_value(&schema, model, &not_j, &limits)
        .map_err(|e| format!("NOT of generated where {wj} refused: {e}"))?;
    let compiled = Compiled::new(&schema, &w);
    let compiled_not = Compiled::new(&schema, &not_w);
    let locale = b.below(schema.locales.len());
    let candidates: Vec<&Entry> = content.of_model(model).collect();
    for entry in candidates {
        for stage in 0..schema.stages.len() {
            let Some(doc) = entry.document(stage) else {
                continue;
            };
            for null_logic in [NullLogic::TwoValued, NullLogic::SqlThreeValued] {
                let ctx = EvalCtx {
                    schema: &schema,
                    content: &content,
                    stage,
                    locale,
                    null_logic,
                };
                let slow = SlowCtx {
                    schema: &schema,
                    content: &content,
                    stage,
                    locale,
                    three_valued: null_logic == NullLogic::SqlThreeValued,
                };
                let fast = eval(&w, &ctx, entry, doc);
                let reference = slow_eval(&slow, model, &wj, entry, doc);
                if fast != reference {
                    return Err(format!(
                        "eval {fast} but slow evaluator {reference} for {wj} on {} in stage {stage}, locale {locale}, {null_logic:?}",
                        entry.id
                    ));
                }
                let fast_not = eval(&not_w, &ctx, entry, doc);
                if compiled.holds(&ctx, entry, doc) != fast
                    || compiled_not.holds(&ctx, entry, doc) != fast_not
                {
                    return Err(format!(
                        "compiled form disagrees with eval on {wj} (or NOT of it) on {} in stage {stage}, locale {locale}, {null_logic:?}",
                        entry.id
                    ));
                }
                if fast_not != slow_eval(&slow, model, &not_j, entry, doc) {
                    return Err(format!("eval and slow evaluator disagree on NOT:[{wj}]"));
                }
                if null_logic == NullLogic::TwoValued && fast == fast_not {
                    return Err(format!(
                        "two-valued logic broken: {wj} and NOT:[it] both {fast} on {}",
                        entry.id
                    ));
                }
                if null_logic == NullLogic::SqlThreeValued && fast && fast_not {
                    return Err(format!("{wj} and NOT:[it] both hold on {}", entry.id));
                }
            }
        }
    }
    Ok(())
}
