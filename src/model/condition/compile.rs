//! A [`Where`] compiled for fast evaluation under two-valued logic (WHERE-1's default).
//!
//! [`eval`](crate::model::condition::eval()) walks the AST and decides, at every leaf, which
//! operator applies and what type its operand has. [`Compiled`] makes those decisions once: each
//! leaf becomes a node with its operator and operand type baked in (`views_gt: 3` is an integer
//! comparison accepting `Greater`, `status_in: [..]` a set of enum values, `title_contains` a
//! byte search), the schema lookups of a leaf (is the field localized? which model does a
//! relation lead to? which field of which model is a reverse field?) are resolved, nested
//! `AND`s and `OR`s are flattened, constant parts are folded, and the elements of every
//! `AND`/`OR` are ordered cheapest first. Evaluation is then one match per node and a direct
//! read of the document's value.
//!
//! Evaluation is pure, so neither folding nor reordering changes a result: [`Compiled::holds`]
//! agrees with `eval` exactly (a property test and the `condition_eval` fuzz target check it).
//! Under [`NullLogic::SqlThreeValued`] it simply calls `eval` on the source condition.
//!
//! A compiled condition is only valid for the schema it was compiled against; schemas never
//! change after an environment is loaded.

use std::cmp::Ordering;

use crate::model::condition::ast::{
    Clause, ListRelation, Op, Operand, Quantifier, ScalarRef, Where,
};
use crate::model::condition::eval::{eval, EvalCtx, VRef};
use crate::model::profile::NullLogic;
use crate::model::project::{
    Content, Document, Entry, FieldIdx, FieldKind, LocaleIdx, Model, ModelIdx, Schema, StageIdx,
    SystemField,
};
use crate::model::value::Value;

/// A condition compiled against a schema, with the source it was compiled from.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    source: Where,
    scope: Scope,
}

impl Compiled {
    /// Compiles `w`, a condition parsed against `schema`.
    pub fn new(schema: &Schema, w: &Where) -> Compiled {
        Compiled {
            source: w.clone(),
            scope: scope(schema, w),
        }
    }

    /// The condition it was compiled from.
    pub fn source(&self) -> &Where {
        &self.source
    }

    /// Whether the condition holds on `doc`, the document of `entry` in `ctx.stage`: exactly
    /// what [`eval`] says of the source condition, for either null logic.
    #[inline]
    pub fn holds(&self, ctx: &EvalCtx<'_>, entry: &Entry, doc: &Document) -> bool {
        match ctx.null_logic {
            NullLogic::TwoValued => self.holds_two_valued(ctx, entry, doc),
            NullLogic::SqlThreeValued => eval(&self.source, ctx, entry, doc),
        }
    }

    /// Whether the condition holds under two-valued logic, whatever `ctx.null_logic` says.
    #[inline]
    pub fn holds_two_valued(&self, ctx: &EvalCtx<'_>, entry: &Entry, doc: &Document) -> bool {
        let cx = Cx {
            content: ctx.content,
            stage: ctx.stage,
            locale: ctx.locale,
        };
        self.scope.eval(&cx, entry, doc)
    }
}

/// The filter of one document (the root condition or a relation filter's operand) as a
/// branching program: starting at `entry`, each step's test sends evaluation to its `t` or `f`
/// successor, until one of the two final targets [`TRUE`] or [`FALSE`] is reached. `AND`,
/// `OR` and `NOT` exist only as the wiring of successors (short-circuiting included), so
/// evaluating a condition is a loop over the leaves it actually tests.
#[derive(Debug, Clone, PartialEq)]
struct Scope {
    steps: Box<[Step]>,
    entry: usize,
    /// Whether some leaf reads a localized field (so the localization is looked up once).
    localized: bool,
}

/// The final target of a program that holds.
const TRUE: usize = usize::MAX;
/// The final target of a program that does not hold.
const FALSE: usize = usize::MAX - 1;

/// One leaf of a program with its successors.
#[derive(Debug, Clone, PartialEq)]
struct Step {
    test: Test,
    t: usize,
    f: usize,
}

/// Where a leaf reads its value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Src {
    /// A non-localized field: `doc.values[i]`.
    Value(FieldIdx),
    /// A localized field: the served localization's value `i`.
    Localized(FieldIdx),
    /// `id`.
    Id,
    /// `createdAt`.
    CreatedAt,
    /// `updatedAt`.
    UpdatedAt,
    /// `publishedAt`.
    PublishedAt,
    /// `stage` and `locale`: always null to filters.
    Null,
}

/// Which outcomes of comparing a (non-null) value with the operand make a leaf true: bits for
/// `Less`, `Equal`, `Greater` and *incomparable* (a type mismatch or NaN).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Accept(u8);

const LESS: u8 = 1;
const EQUAL: u8 = 2;
const GREATER: u8 = 4;
const OTHER: u8 = 8;

impl Accept {
    #[inline]
    fn test(self, o: Option<Ordering>) -> bool {
        let bit = match o {
            Some(Ordering::Less) => LESS,
            Some(Ordering::Equal) => EQUAL,
            Some(Ordering::Greater) => GREATER,
            None => OTHER,
        };
        self.0 & bit != 0
    }
}

/// A set of strings for `_in`: linear for a few members, else sorted for a binary search.
#[derive(Debug, Clone, PartialEq)]
struct StrSet(Box<[Box<str>]>);

const LINEAR_MAX: usize = 8;

impl StrSet {
    fn new(mut members: Vec<Box<str>>) -> StrSet {
        members.sort();
        members.dedup();
        StrSet(members.into_boxed_slice())
    }

    #[inline]
    fn contains(&self, s: &str) -> bool {
        if self.0.len() <= LINEAR_MAX {
            self.0.iter().any(|m| m.as_bytes() == s.as_bytes())
        } else {
            self.0.binary_search_by(|m| (**m).cmp(s)).is_ok()
        }
    }
}

/// A compiled clause, before it is lowered to a program.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Const(bool),
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Leaf(Test),
}

/// A leaf test. Leaves are false on a null value unless they say otherwise; `neg` negates the
/// test on a non-null value only.
#[derive(Debug, Clone, PartialEq)]
enum Test {
    /// `f: null`.
    IsNull(Src),
    /// `f_not: null`.
    NotNull(Src),
    /// A comparison with an `Int` operand (numbers compare numerically).
    Int(Src, i64, Accept),
    /// A comparison with a `Float` operand.
    Float(Src, f64, Accept),
    /// An ordering comparison with a `String` operand.
    Str(Src, Box<str>, Accept),
    /// `f` / `f_not` with a `String` operand.
    StrEq(Src, Box<str>, bool),
    /// A comparison with a `Boolean` operand.
    Bool(Src, bool, Accept),
    /// A comparison with a `DateTime` operand.
    Time(Src, i64, Accept),
    /// A comparison with an `Enum` operand.
    Enum(Src, u32, Accept),
    /// `_in` / `_not_in` over strings only.
    InStr(Src, StrSet, bool),
    /// `_in` / `_not_in` over enum values only.
    InEnum(Src, Box<[u32]>, bool),
    /// `_in` / `_not_in` over any other list (nulls removed: they equal nothing).
    InAny(Src, Box<[Value]>, bool),
    /// `_contains` / `_not_contains` with a string operand.
    Contains(Src, Box<str>, bool),
    /// `_starts_with` / `_not_starts_with`.
    StartsWith(Src, Box<str>, bool),
    /// `_ends_with` / `_not_ends_with`.
    EndsWith(Src, Box<str>, bool),
    /// `r: w` on a single relation to `target`.
    Single {
        field: FieldIdx,
        target: ModelIdx,
        filter: Box<Scope>,
    },
    /// `r_some`/`r_every`/`r_none` on a list relation declared on the model.
    Own {
        field: FieldIdx,
        target: ModelIdx,
        quantifier: Quantifier,
        filter: Box<Scope>,
    },
    /// `r_some`/`r_every`/`r_none` on a reverse field: entries of `owner` whose relation
    /// `owner_field` links to the document's entry.
    Reverse {
        owner: ModelIdx,
        owner_field: FieldIdx,
        quantifier: Quantifier,
        filter: Box<Scope>,
    },
}

// ---------------------------------------------------------------------------------------------
// Compiling.

fn scope(schema: &Schema, w: &Where) -> Scope {
    let mut localized = false;
    let node = compile_where(schema, w, &mut localized);
    let mut steps = Vec::new();
    let entry = lower(node, TRUE, FALSE, &mut steps);
    // Steps were pushed last leaf first; reverse them so evaluation mostly walks forward.
    let n = steps.len();
    let flip = |i: usize| if i < n { n - 1 - i } else { i };
    steps.reverse();
    for s in &mut steps {
        s.t = flip(s.t);
        s.f = flip(s.f);
    }
    Scope {
        steps: steps.into_boxed_slice(),
        entry: flip(entry),
        localized,
    }
}

/// Lowers `node` to steps that continue at `t` when it holds and at `f` when not; returns the
/// node's first step (or `t`/`f` itself for a constant).
fn lower(node: Node, t: usize, f: usize, steps: &mut Vec<Step>) -> usize {
    match node {
        Node::Const(true) => t,
        Node::Const(false) => f,
        Node::Not(n) => lower(*n, f, t, steps),
        Node::All(ns) => ns
            .into_iter()
            .rev()
            .fold(t, |next, n| lower(n, next, f, steps)),
        Node::Any(ns) => ns
            .into_iter()
            .rev()
            .fold(f, |next, n| lower(n, t, next, steps)),
        Node::Leaf(test) => {
            steps.push(Step { test, t, f });
            steps.len() - 1
        }
    }
}

fn compile_where(schema: &Schema, w: &Where, localized: &mut bool) -> Node {
    let Some(model) = schema.models.get(w.model) else {
        return Node::Const(false);
    };
    let nodes = w
        .clauses
        .iter()
        .map(|c| compile_clause(schema, model, c, localized))
        .collect();
    all(nodes)
}

fn compile_clause(schema: &Schema, model: &Model, c: &Clause, localized: &mut bool) -> Node {
    match c {
        Clause::And(ws) => all(ws
            .iter()
            .map(|w| compile_where(schema, w, localized))
            .collect()),
        Clause::Or(ws) => any(ws
            .iter()
            .map(|w| compile_where(schema, w, localized))
            .collect()),
        Clause::Not(ws) => not(all(ws
            .iter()
            .map(|w| compile_where(schema, w, localized))
            .collect())),
        Clause::Field { field, op, operand } => {
            let src = match field {
                ScalarRef::System(SystemField::Id) => Src::Id,
                ScalarRef::System(SystemField::CreatedAt) => Src::CreatedAt,
                ScalarRef::System(SystemField::UpdatedAt) => Src::UpdatedAt,
                ScalarRef::System(SystemField::PublishedAt) => Src::PublishedAt,
                ScalarRef::System(SystemField::Stage | SystemField::Locale) => Src::Null,
                ScalarRef::Field { index, .. } => {
                    if model.fields.get(*index).is_some_and(|f| f.localized) {
                        *localized = true;
                        Src::Localized(*index)
                    } else {
                        Src::Value(*index)
                    }
                }
            };
            leaf(src, *op, operand)
        }
        Clause::Single { field, filter, .. } => match model.fields.get(*field).map(|f| &f.kind) {
            Some(FieldKind::Relation { target, .. }) => Node::Leaf(Test::Single {
                field: *field,
                target: *target,
                filter: Box::new(scope(schema, filter)),
            }),
            _ => Node::Const(false),
        },
        Clause::List {
            relation,
            quantifier,
            filter,
            ..
        } => {
            let target = filter.model;
            let filter = Box::new(scope(schema, filter));
            match relation {
                ListRelation::Own(field) => Node::Leaf(Test::Own {
                    field: *field,
                    target,
                    quantifier: *quantifier,
                    filter,
                }),
                ListRelation::Reverse(ri) => match model.reverse.get(*ri) {
                    Some(rev) if rev.owner == target => Node::Leaf(Test::Reverse {
                        owner: rev.owner,
                        owner_field: rev.owner_field,
                        quantifier: *quantifier,
                        filter,
                    }),
                    // No related entry can exist: `_some` is false, `_every`/`_none` true.
                    _ => Node::Const(*quantifier != Quantifier::Some),
                },
            }
        }
    }
}

fn one(operand: &Operand) -> Option<&Value> {
    match operand {
        Operand::One(v) => Some(v),
        Operand::List(vs) => vs.first(),
    }
}

fn members(operand: &Operand) -> &[Value] {
    match operand {
        Operand::One(v) => std::slice::from_ref(v),
        Operand::List(vs) => vs,
    }
}

/// A leaf with its operator and operand type resolved (mirrors `eval::leaf` case by case).
fn leaf(src: Src, op: Op, operand: &Operand) -> Node {
    match leaf_test(src, op, operand) {
        Some(t) => Node::Leaf(t),
        None => Node::Const(false),
    }
}

/// The test of a leaf, `None` when it is false on every document.
fn leaf_test(src: Src, op: Op, operand: &Operand) -> Option<Test> {
    let x = one(operand);
    match op {
        Op::In | Op::NotIn => {
            let neg = op == Op::NotIn;
            let vs: Vec<&Value> = members(operand).iter().filter(|v| !v.is_null()).collect();
            let strs: Option<Vec<Box<str>>> = vs
                .iter()
                .map(|v| match v {
                    Value::String(s) => Some(s.as_str().into()),
                    _ => None,
                })
                .collect();
            let enums: Option<Vec<u32>> = vs
                .iter()
                .map(|v| match v {
                    Value::Enum(e) => Some(*e),
                    _ => None,
                })
                .collect();
            match (strs, enums) {
                (Some(s), _) if !s.is_empty() => Some(Test::InStr(src, StrSet::new(s), neg)),
                (_, Some(e)) if !e.is_empty() => Some(Test::InEnum(src, e.into_boxed_slice(), neg)),
                _ => Some(Test::InAny(src, vs.into_iter().cloned().collect(), neg)),
            }
        }
        Op::Contains
        | Op::NotContains
        | Op::StartsWith
        | Op::NotStartsWith
        | Op::EndsWith
        | Op::NotEndsWith => {
            let Some(Value::String(s)) = x else {
                return None;
            };
            let s: Box<str> = s.as_str().into();
            match op {
                Op::Contains => Some(Test::Contains(src, s, false)),
                Op::NotContains => Some(Test::Contains(src, s, true)),
                Op::StartsWith => Some(Test::StartsWith(src, s, false)),
                Op::NotStartsWith => Some(Test::StartsWith(src, s, true)),
                Op::EndsWith => Some(Test::EndsWith(src, s, false)),
                _ => Some(Test::EndsWith(src, s, true)),
            }
        }
        Op::Eq | Op::NotEq | Op::Lt | Op::Lte | Op::Gt | Op::Gte => {
            let x = x?;
            if x.is_null() {
                return match op {
                    Op::Eq => Some(Test::IsNull(src)),
                    Op::NotEq => Some(Test::NotNull(src)),
                    // An order against null is never defined.
                    _ => None,
                };
            }
            let accept = Accept(match op {
                Op::Eq => EQUAL,
                Op::NotEq => LESS | GREATER | OTHER,
                Op::Lt => LESS,
                Op::Lte => LESS | EQUAL,
                Op::Gt => GREATER,
                _ => GREATER | EQUAL,
            });
            match x {
                Value::String(s) if matches!(op, Op::Eq | Op::NotEq) => {
                    Some(Test::StrEq(src, s.as_str().into(), op == Op::NotEq))
                }
                Value::String(s) => Some(Test::Str(src, s.as_str().into(), accept)),
                Value::Int(i) => Some(Test::Int(src, *i, accept)),
                Value::Float(f) => Some(Test::Float(src, *f, accept)),
                Value::Boolean(b) => Some(Test::Bool(src, *b, accept)),
                Value::DateTime(t) => Some(Test::Time(src, *t, accept)),
                Value::Enum(e) => Some(Test::Enum(src, *e, accept)),
                Value::Null => None,
            }
        }
    }
}

/// A rough cost of evaluating a node, to try cheap elements of `AND`/`OR` first.
fn cost(n: &Node) -> u32 {
    match n {
        Node::Const(_) => 0,
        Node::All(ns) | Node::Any(ns) => ns.iter().map(cost).fold(0, u32::saturating_add),
        Node::Not(n) => cost(n),
        Node::Leaf(t) => test_cost(t),
    }
}

fn test_cost(t: &Test) -> u32 {
    let program = |s: &Scope| s.steps.iter().map(|st| test_cost(&st.test)).sum::<u32>();
    match t {
        Test::IsNull(_)
        | Test::NotNull(_)
        | Test::Int(..)
        | Test::Float(..)
        | Test::Bool(..)
        | Test::Time(..)
        | Test::Enum(..) => 1,
        Test::Str(..) | Test::StrEq(..) | Test::StartsWith(..) | Test::EndsWith(..) => 2,
        Test::InEnum(_, set, _) => 1 + (set.len() as u32) / 4,
        Test::InStr(_, set, _) => 2 + (set.0.len().min(LINEAR_MAX) as u32),
        Test::InAny(_, set, _) => 2 + set.len() as u32,
        Test::Contains(..) => 4,
        Test::Single { filter, .. } => program(filter).saturating_add(20),
        Test::Own { filter, .. } => program(filter).saturating_mul(2).saturating_add(30),
        Test::Reverse { filter, .. } => program(filter).saturating_add(1000),
    }
}

/// `AND` of `nodes`: nested `AND`s flattened, `true`s dropped, cheapest first.
fn all(nodes: Vec<Node>) -> Node {
    let mut out = Vec::with_capacity(nodes.len());
    for n in nodes {
        match n {
            Node::Const(true) => {}
            Node::Const(false) => return Node::Const(false),
            Node::All(ns) => out.extend(ns),
            n => out.push(n),
        }
    }
    out.sort_by_key(cost);
    match out.len() {
        0 => Node::Const(true),
        1 => out.pop().unwrap_or(Node::Const(true)),
        _ => Node::All(out),
    }
}

/// `OR` of `nodes`: nested `OR`s flattened, `false`s dropped, cheapest first.
fn any(nodes: Vec<Node>) -> Node {
    let mut out = Vec::with_capacity(nodes.len());
    for n in nodes {
        match n {
            Node::Const(false) => {}
            Node::Const(true) => return Node::Const(true),
            Node::Any(ns) => out.extend(ns),
            n => out.push(n),
        }
    }
    out.sort_by_key(cost);
    match out.len() {
        0 => Node::Const(false),
        1 => out.pop().unwrap_or(Node::Const(false)),
        _ => Node::Any(out),
    }
}

fn not(n: Node) -> Node {
    match n {
        Node::Const(b) => Node::Const(!b),
        Node::Not(inner) => *inner,
        n => Node::Not(Box::new(n)),
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluating.

/// What evaluation reads besides the document.
struct Cx<'c> {
    content: &'c Content,
    stage: StageIdx,
    locale: LocaleIdx,
}

/// The document a scope is evaluated on, with its served localization when the scope needs it.
struct Frame<'d> {
    entry: &'d Entry,
    doc: &'d Document,
    loc: Option<&'d [Value]>,
}

impl Scope {
    fn eval(&self, cx: &Cx<'_>, entry: &Entry, doc: &Document) -> bool {
        let loc = if self.localized {
            doc.localization(cx.locale)
        } else {
            None
        };
        let f = Frame { entry, doc, loc };
        let mut pc = self.entry;
        while let Some(step) = self.steps.get(pc) {
            pc = if step.test.eval(cx, &f) {
                step.t
            } else {
                step.f
            };
        }
        pc == TRUE
    }
}

impl Src {
    #[inline(always)]
    fn get<'d>(self, f: &Frame<'d>) -> VRef<'d> {
        match self {
            Src::Value(i) => f.doc.values.get(i).map_or(VRef::Null, VRef::of),
            Src::Localized(i) => f.loc.and_then(|l| l.get(i)).map_or(VRef::Null, VRef::of),
            Src::Id => VRef::Str(&f.entry.id),
            Src::CreatedAt => VRef::DateTime(f.doc.created_at),
            Src::UpdatedAt => VRef::DateTime(f.doc.updated_at),
            Src::PublishedAt => f.doc.published_at.map_or(VRef::Null, VRef::DateTime),
            Src::Null => VRef::Null,
        }
    }
}

/// Substring search on bytes (UTF-8 is self-synchronizing, so a byte match is a `str` match):
/// a first-byte scan for short needles, `str::contains` for long ones.
#[inline]
fn contains(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    match n.split_first() {
        None => true,
        Some((&b, [])) => h.contains(&b),
        Some((&b, rest)) if n.len() <= 16 => h
            .windows(n.len())
            .any(|w| w.split_first().is_some_and(|(&c, r)| c == b && r == rest)),
        Some(_) => hay.contains(needle),
    }
}

impl Test {
    #[inline(always)]
    fn eval(&self, cx: &Cx<'_>, f: &Frame<'_>) -> bool {
        match self {
            Test::IsNull(s) => matches!(s.get(f), VRef::Null),
            Test::NotNull(s) => !matches!(s.get(f), VRef::Null),
            Test::Int(s, x, acc) => match s.get(f) {
                VRef::Null => false,
                VRef::Int(a) => acc.test(Some(a.cmp(x))),
                VRef::Float(a) => acc.test(a.partial_cmp(&(*x as f64))),
                _ => acc.test(None),
            },
            Test::Float(s, x, acc) => match s.get(f) {
                VRef::Null => false,
                VRef::Int(a) => acc.test((a as f64).partial_cmp(x)),
                VRef::Float(a) => acc.test(a.partial_cmp(x)),
                _ => acc.test(None),
            },
            Test::Str(s, x, acc) => match s.get(f) {
                VRef::Null => false,
                VRef::Str(a) => acc.test(Some(a.cmp(x))),
                _ => acc.test(None),
            },
            Test::StrEq(s, x, neg) => match s.get(f) {
                VRef::Null => false,
                VRef::Str(a) => (a.as_bytes() == x.as_bytes()) != *neg,
                _ => *neg,
            },
            Test::Bool(s, x, acc) => match s.get(f) {
                VRef::Null => false,
                VRef::Bool(a) => acc.test(Some(a.cmp(x))),
                _ => acc.test(None),
            },
            Test::Time(s, x, acc) => match s.get(f) {
                VRef::Null => false,
                VRef::DateTime(a) => acc.test(Some(a.cmp(x))),
                _ => acc.test(None),
            },
            Test::Enum(s, x, acc) => match s.get(f) {
                VRef::Null => false,
                VRef::Enum(a) => acc.test(Some(a.cmp(x))),
                _ => acc.test(None),
            },
            Test::InStr(s, set, neg) => match s.get(f) {
                VRef::Null => false,
                VRef::Str(a) => set.contains(a) != *neg,
                _ => *neg,
            },
            Test::InEnum(s, set, neg) => match s.get(f) {
                VRef::Null => false,
                VRef::Enum(a) => set.contains(&a) != *neg,
                _ => *neg,
            },
            Test::InAny(s, set, neg) => match s.get(f) {
                VRef::Null => false,
                v => set.iter().any(|x| v.compare(x) == Some(Ordering::Equal)) != *neg,
            },
            Test::Contains(s, x, neg) => match s.get(f) {
                VRef::Str(a) => contains(a, x) != *neg,
                _ => false,
            },
            Test::StartsWith(s, x, neg) => match s.get(f) {
                VRef::Str(a) => a.starts_with(&**x) != *neg,
                _ => false,
            },
            Test::EndsWith(s, x, neg) => match s.get(f) {
                VRef::Str(a) => a.ends_with(&**x) != *neg,
                _ => false,
            },
            Test::Single { .. } | Test::Own { .. } | Test::Reverse { .. } => {
                self.eval_relation(cx, f)
            }
        }
    }

    /// The relation filters, out of line so that the hot leaf cases stay small.
    #[inline(never)]
    fn eval_relation(&self, cx: &Cx<'_>, f: &Frame<'_>) -> bool {
        match self {
            Test::Single {
                field,
                target,
                filter,
            } => {
                let Some(links) = f.doc.links.get(*field) else {
                    return false;
                };
                let related = links.iter().find_map(|link| {
                    cx.content
                        .follow(link, cx.stage)
                        .filter(|(e, _)| e.model == *target)
                });
                match related {
                    Some((e, d)) => filter.eval(cx, e, d),
                    None => false,
                }
            }
            Test::Own {
                field,
                target,
                quantifier,
                filter,
            } => {
                let Some(links) = f.doc.links.get(*field) else {
                    return quantify(*quantifier, |_| false);
                };
                quantify(*quantifier, |want| {
                    links
                        .iter()
                        .any(|link| match cx.content.follow(link, cx.stage) {
                            Some((e, d)) => e.model == *target && filter.eval(cx, e, d) == want,
                            None => false,
                        })
                })
            }
            Test::Reverse {
                owner,
                owner_field,
                quantifier,
                filter,
            } => {
                let id = f.entry.id.as_str();
                quantify(*quantifier, |want| {
                    cx.content.entries.iter().any(|e| {
                        if e.model != *owner {
                            return false;
                        }
                        let Some(d) = e.document(cx.stage) else {
                            return false;
                        };
                        let linked = d
                            .links
                            .get(*owner_field)
                            .is_some_and(|ls| ls.iter().any(|l| l.target == id));
                        linked && filter.eval(cx, e, d) == want
                    })
                })
            }
            _ => false,
        }
    }
}

/// A list quantifier given `exists(want)`: whether some related entry's filter is `want`.
#[inline]
fn quantify(q: Quantifier, exists: impl Fn(bool) -> bool) -> bool {
    match q {
        Quantifier::Some => exists(true),
        Quantifier::Every => !exists(false),
        Quantifier::None => !exists(true),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn short_needles_search_like_str_contains() {
        let hays = [
            "",
            "a",
            "ab",
            "aab",
            "ñé",
            "t3 post 1234",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxy",
        ];
        let needles = [
            "",
            "a",
            "b",
            "ab",
            "é",
            "ñé",
            "post",
            "1234",
            "xxxxxxxxxxxxxxxxxxy",
            "xy",
        ];
        for h in hays {
            for n in needles {
                assert_eq!(contains(h, n), h.contains(n), "{h:?} contains {n:?}");
            }
        }
    }

    #[test]
    fn string_sets_find_members() {
        let small = StrSet::new(vec!["b".into(), "a".into()]);
        assert!(small.contains("a") && small.contains("b") && !small.contains("c"));
        let big = StrSet::new((0..20).map(|i| format!("m{i}").into()).collect());
        assert!(big.contains("m0") && big.contains("m19") && !big.contains("m20"));
    }

    #[test]
    fn folding() {
        assert_eq!(all(vec![]), Node::Const(true));
        assert_eq!(any(vec![]), Node::Const(false));
        assert_eq!(not(all(vec![])), Node::Const(false));
        assert_eq!(
            all(vec![Node::Const(true), Node::Leaf(Test::IsNull(Src::Id))]),
            Node::Leaf(Test::IsNull(Src::Id))
        );
    }
}
