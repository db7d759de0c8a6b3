//! Evaluating a [`Where`] on one document (WHERE-1..3, WHERE-5, relation filters, AND/OR/NOT),
//! under either of WHERE-1's null logics.
//!
//! Evaluation allocates nothing: the AST holds indices, field values are read by reference, and
//! reverse fields are found by scanning the owner model's entries in place.
//!
//! Under [`NullLogic::SqlThreeValued`] a leaf on a null value is *unknown* (except `f: null` and
//! `f_not: null`, which are definite); `AND`/`OR`/`NOT` follow Kleene logic; relation filters
//! behave like SQL `EXISTS` subqueries: `r` and `r_some` hold when some related entry makes the
//! filter true, `r_none` when none does, `r_every` when none makes it false
//! (`NOT EXISTS (… WHERE NOT w)`); a final unknown is false.

use std::cmp::Ordering;

use crate::model::condition::ast::{
    Clause, ListRelation, Op, Operand, Quantifier, ScalarRef, Where,
};
use crate::model::profile::NullLogic;
use crate::model::project::{
    Content, Document, Entry, FieldKind, LocaleIdx, Model, Schema, StageIdx, SystemField,
};
use crate::model::value::Value;

/// What evaluation reads besides the document: the schema, the content (for relations), the
/// stage of the document tested and the one locale it is read in (WHERE-2, WHERE-3).
#[derive(Debug, Clone, Copy)]
pub struct EvalCtx<'a> {
    /// The schema.
    pub schema: &'a Schema,
    /// All content of the environment.
    pub content: &'a Content,
    /// The stage of the document tested; relation filters follow links in this stage.
    pub stage: StageIdx,
    /// The locale localized fields are read in, at every depth.
    pub locale: LocaleIdx,
    /// WHERE-1's knob.
    pub null_logic: NullLogic,
}

/// Whether `w` holds on `doc`, the document of `entry` in `ctx.stage`.
pub fn eval(w: &Where, ctx: &EvalCtx<'_>, entry: &Entry, doc: &Document) -> bool {
    match ctx.null_logic {
        NullLogic::TwoValued => eval2(w, ctx, entry, doc),
        NullLogic::SqlThreeValued => eval3(w, ctx, entry, doc) == T3::True,
    }
}

/// A field value read by reference.
#[derive(Debug, Clone, Copy)]
pub(crate) enum VRef<'a> {
    Null,
    Str(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    DateTime(i64),
    Enum(u32),
}

impl<'a> VRef<'a> {
    #[inline(always)]
    pub(crate) fn of(v: &'a Value) -> VRef<'a> {
        match v {
            Value::Null => VRef::Null,
            Value::String(s) => VRef::Str(s),
            Value::Int(i) => VRef::Int(*i),
            Value::Float(f) => VRef::Float(*f),
            Value::Boolean(b) => VRef::Bool(*b),
            Value::DateTime(t) => VRef::DateTime(*t),
            Value::Enum(e) => VRef::Enum(*e),
        }
    }

    /// Order against a non-null operand: numbers numerically, DateTimes as instants.
    #[inline]
    pub(crate) fn compare(self, x: &Value) -> Option<Ordering> {
        match (self, x) {
            (VRef::Str(a), Value::String(b)) => Some(a.cmp(b.as_str())),
            (VRef::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (VRef::Int(a), Value::Float(b)) => (a as f64).partial_cmp(b),
            (VRef::Float(a), Value::Int(b)) => a.partial_cmp(&(*b as f64)),
            (VRef::Float(a), Value::Float(b)) => a.partial_cmp(b),
            (VRef::Bool(a), Value::Boolean(b)) => Some(a.cmp(b)),
            (VRef::DateTime(a), Value::DateTime(b)) => Some(a.cmp(b)),
            (VRef::Enum(a), Value::Enum(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    #[inline]
    fn equals(self, x: &Value) -> bool {
        self.compare(x) == Some(Ordering::Equal)
    }
}

#[inline]
fn read<'a>(
    field: &ScalarRef,
    model: &'a Model,
    locale: LocaleIdx,
    entry: &'a Entry,
    doc: &'a Document,
) -> VRef<'a> {
    match field {
        ScalarRef::System(SystemField::Id) => VRef::Str(&entry.id),
        ScalarRef::System(SystemField::CreatedAt) => VRef::DateTime(doc.created_at),
        ScalarRef::System(SystemField::UpdatedAt) => VRef::DateTime(doc.updated_at),
        ScalarRef::System(SystemField::PublishedAt) => {
            doc.published_at.map_or(VRef::Null, VRef::DateTime)
        }
        ScalarRef::System(SystemField::Stage | SystemField::Locale) => VRef::Null,
        ScalarRef::Field { index, .. } => VRef::of(doc.scalar(model, *index, locale)),
    }
}

#[inline]
fn members(operand: &Operand) -> &[Value] {
    match operand {
        Operand::One(v) => std::slice::from_ref(v),
        Operand::List(vs) => vs,
    }
}

#[inline]
fn one(operand: &Operand) -> Option<&Value> {
    match operand {
        Operand::One(v) => Some(v),
        Operand::List(vs) => vs.first(),
    }
}

#[inline]
fn string_op(v: VRef<'_>, operand: &Operand, f: impl Fn(&str, &str) -> bool) -> bool {
    match (v, one(operand)) {
        (VRef::Str(s), Some(Value::String(x))) => f(s, x),
        _ => false,
    }
}

#[inline]
fn order_op(v: VRef<'_>, operand: &Operand, f: impl Fn(Ordering) -> bool) -> bool {
    match one(operand) {
        Some(x) => v.compare(x).is_some_and(f),
        None => false,
    }
}

/// A leaf's value: `None` is unknown (a null field value, other than for `f: null` and
/// `f_not: null`, which are definite).
#[inline]
fn leaf(v: VRef<'_>, op: Op, operand: &Operand) -> Option<bool> {
    if let VRef::Null = v {
        return match (op, one(operand)) {
            (Op::Eq, Some(Value::Null)) => Some(true),
            (Op::NotEq, Some(Value::Null)) => Some(false),
            _ => None,
        };
    }
    Some(match op {
        Op::Eq => one(operand).is_some_and(|x| !x.is_null() && v.equals(x)),
        Op::NotEq => one(operand).is_some_and(|x| x.is_null() || !v.equals(x)),
        Op::In => members(operand).iter().any(|x| v.equals(x)),
        Op::NotIn => !members(operand).iter().any(|x| v.equals(x)),
        Op::Contains => string_op(v, operand, |s, x| s.contains(x)),
        Op::NotContains => string_op(v, operand, |s, x| !s.contains(x)),
        Op::StartsWith => string_op(v, operand, |s, x| s.starts_with(x)),
        Op::NotStartsWith => string_op(v, operand, |s, x| !s.starts_with(x)),
        Op::EndsWith => string_op(v, operand, |s, x| s.ends_with(x)),
        Op::NotEndsWith => string_op(v, operand, |s, x| !s.ends_with(x)),
        Op::Lt => order_op(v, operand, |o| o == Ordering::Less),
        Op::Lte => order_op(v, operand, |o| o != Ordering::Greater),
        Op::Gt => order_op(v, operand, |o| o == Ordering::Greater),
        Op::Gte => order_op(v, operand, |o| o != Ordering::Less),
    })
}

/// Calls `f` on each related entry of a relation filter that resolves in the context's stage
/// (DATA-4: dangling links are ignored), stopping when `f` returns `true`; returns whether it did.
fn any_related(
    ctx: &EvalCtx<'_>,
    model: &Model,
    relation: ListRelation,
    target: usize,
    entry: &Entry,
    doc: &Document,
    mut f: impl FnMut(&Entry, &Document) -> bool,
) -> bool {
    match relation {
        ListRelation::Own(field) => {
            let Some(links) = doc.links.get(field) else {
                return false;
            };
            for link in links {
                if let Some((e, d)) = ctx.content.follow(link, ctx.stage) {
                    if e.model == target && f(e, d) {
                        return true;
                    }
                }
            }
            false
        }
        ListRelation::Reverse(ri) => {
            let Some(rev) = model.reverse.get(ri) else {
                return false;
            };
            for e in &ctx.content.entries {
                if e.model != rev.owner || e.model != target {
                    continue;
                }
                let Some(d) = e.document(ctx.stage) else {
                    continue;
                };
                let linked = d
                    .links
                    .get(rev.owner_field)
                    .is_some_and(|ls| ls.iter().any(|l| l.target == entry.id));
                if linked && f(e, d) {
                    return true;
                }
            }
            false
        }
    }
}

/// The related entry of a single relation in the context's stage, if any.
fn single_related<'c>(
    ctx: &EvalCtx<'c>,
    model: &Model,
    field: usize,
    doc: &Document,
) -> Option<(&'c Entry, &'c Document)> {
    let target = match model.fields.get(field).map(|f| &f.kind) {
        Some(FieldKind::Relation { target, .. }) => *target,
        _ => return None,
    };
    doc.links.get(field)?.iter().find_map(|link| {
        ctx.content
            .follow(link, ctx.stage)
            .filter(|(e, _)| e.model == target)
    })
}

#[inline]
fn eval2(w: &Where, ctx: &EvalCtx<'_>, entry: &Entry, doc: &Document) -> bool {
    let Some(model) = ctx.schema.models.get(w.model) else {
        return false;
    };
    // Most objects have one key (every element of an AND/OR/NOT, typically).
    match w.clauses.as_slice() {
        [one] => clause2(one, model, ctx, entry, doc),
        many => many.iter().all(|c| clause2(c, model, ctx, entry, doc)),
    }
}

fn clause2(c: &Clause, model: &Model, ctx: &EvalCtx<'_>, entry: &Entry, doc: &Document) -> bool {
    match c {
        Clause::And(ws) => ws.iter().all(|w| eval2(w, ctx, entry, doc)),
        Clause::Or(ws) => ws.iter().any(|w| eval2(w, ctx, entry, doc)),
        Clause::Not(ws) => !ws.iter().all(|w| eval2(w, ctx, entry, doc)),
        Clause::Field { field, op, operand } => {
            let v = read(field, model, ctx.locale, entry, doc);
            leaf(v, *op, operand).unwrap_or(false)
        }
        Clause::Single { field, filter, .. } => match single_related(ctx, model, *field, doc) {
            Some((e, d)) => eval2(filter, ctx, e, d),
            None => false,
        },
        Clause::List {
            relation,
            quantifier,
            filter,
            ..
        } => {
            let target = filter.model;
            match quantifier {
                Quantifier::Some => {
                    any_related(ctx, model, *relation, target, entry, doc, |e, d| {
                        eval2(filter, ctx, e, d)
                    })
                }
                Quantifier::Every => {
                    !any_related(ctx, model, *relation, target, entry, doc, |e, d| {
                        !eval2(filter, ctx, e, d)
                    })
                }
                Quantifier::None => {
                    !any_related(ctx, model, *relation, target, entry, doc, |e, d| {
                        eval2(filter, ctx, e, d)
                    })
                }
            }
        }
    }
}

/// A three-valued truth value, ordered `False < Unknown < True` (Kleene: AND is min, OR is max).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum T3 {
    False,
    Unknown,
    True,
}

impl T3 {
    fn of(b: bool) -> T3 {
        if b {
            T3::True
        } else {
            T3::False
        }
    }

    fn not(self) -> T3 {
        match self {
            T3::False => T3::True,
            T3::Unknown => T3::Unknown,
            T3::True => T3::False,
        }
    }
}

fn and3(ws: impl Iterator<Item = T3>) -> T3 {
    let mut acc = T3::True;
    for t in ws {
        acc = acc.min(t);
        if acc == T3::False {
            break;
        }
    }
    acc
}

fn eval3(w: &Where, ctx: &EvalCtx<'_>, entry: &Entry, doc: &Document) -> T3 {
    let Some(model) = ctx.schema.models.get(w.model) else {
        return T3::False;
    };
    and3(w.clauses.iter().map(|c| clause3(c, model, ctx, entry, doc)))
}

fn clause3(c: &Clause, model: &Model, ctx: &EvalCtx<'_>, entry: &Entry, doc: &Document) -> T3 {
    match c {
        Clause::And(ws) => and3(ws.iter().map(|w| eval3(w, ctx, entry, doc))),
        Clause::Or(ws) => {
            let mut acc = T3::False;
            for w in ws {
                acc = acc.max(eval3(w, ctx, entry, doc));
                if acc == T3::True {
                    break;
                }
            }
            acc
        }
        Clause::Not(ws) => and3(ws.iter().map(|w| eval3(w, ctx, entry, doc))).not(),
        Clause::Field { field, op, operand } => {
            let v = read(field, model, ctx.locale, entry, doc);
            leaf(v, *op, operand).map_or(T3::Unknown, T3::of)
        }
        Clause::Single { field, filter, .. } => match single_related(ctx, model, *field, doc) {
            Some((e, d)) => T3::of(eval3(filter, ctx, e, d) == T3::True),
            None => T3::False,
        },
        Clause::List {
            relation,
            quantifier,
            filter,
            ..
        } => {
            let target = filter.model;
            T3::of(match quantifier {
                Quantifier::Some => {
                    any_related(ctx, model, *relation, target, entry, doc, |e, d| {
                        eval3(filter, ctx, e, d) == T3::True
                    })
                }
                Quantifier::Every => {
                    !any_related(ctx, model, *relation, target, entry, doc, |e, d| {
                        eval3(filter, ctx, e, d) == T3::False
                    })
                }
                Quantifier::None => {
                    !any_related(ctx, model, *relation, target, entry, doc, |e, d| {
                        eval3(filter, ctx, e, d) == T3::True
                    })
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn leaves_on_null() {
        let null = Operand::One(Value::Null);
        let x = Operand::One(Value::String("x".into()));
        assert_eq!(leaf(VRef::Null, Op::Eq, &null), Some(true));
        assert_eq!(leaf(VRef::Null, Op::NotEq, &null), Some(false));
        assert_eq!(leaf(VRef::Null, Op::Eq, &x), None);
        assert_eq!(leaf(VRef::Null, Op::NotIn, &Operand::List(vec![])), None);
        assert_eq!(leaf(VRef::Str("y"), Op::NotEq, &null), Some(true));
        assert_eq!(leaf(VRef::Str("y"), Op::Eq, &null), Some(false));
        assert_eq!(leaf(VRef::Str("y"), Op::NotEq, &x), Some(true));
    }

    #[test]
    fn numbers_compare_numerically() {
        assert_eq!(
            leaf(VRef::Int(1), Op::Eq, &Operand::One(Value::Float(1.0))),
            Some(true)
        );
        assert_eq!(
            leaf(VRef::Float(1.5), Op::Gt, &Operand::One(Value::Int(1))),
            Some(true)
        );
        assert_eq!(
            leaf(VRef::Int(2), Op::Lte, &Operand::One(Value::Int(1))),
            Some(false)
        );
        assert_eq!(
            leaf(
                VRef::Int(2),
                Op::In,
                &Operand::List(vec![Value::Float(2.0)])
            ),
            Some(true)
        );
        assert_eq!(
            leaf(VRef::Int(2), Op::In, &Operand::List(vec![])),
            Some(false)
        );
        assert_eq!(
            leaf(VRef::Int(2), Op::NotIn, &Operand::List(vec![])),
            Some(true)
        );
    }

    #[test]
    fn kleene_connectives() {
        assert_eq!(and3([T3::True, T3::Unknown].into_iter()), T3::Unknown);
        assert_eq!(and3([T3::Unknown, T3::False].into_iter()), T3::False);
        assert_eq!(and3(std::iter::empty()), T3::True);
        assert_eq!(T3::Unknown.not(), T3::Unknown);
        assert_eq!(T3::True.not(), T3::False);
    }
}
