//! The AST of a `<Model>WhereInput` (spec §5): one grammar for grant conditions and request
//! `where` filters. Names are kept beside resolved indices so the AST prints back exactly.

use crate::model::project::{FieldIdx, ModelIdx, SystemField};
use crate::model::value::Value;

/// A `<Model>WhereInput` object: its keys, AND-ed together, in the order written.
#[derive(Debug, Clone, PartialEq)]
pub struct Where {
    /// The model the filter is over.
    pub model: ModelIdx,
    /// One clause per key of the object, in the order written.
    pub clauses: Vec<Clause>,
}

/// One key of a `WhereInput` object.
#[derive(Debug, Clone, PartialEq)]
pub enum Clause {
    /// `AND: [w…]`: all hold (empty: true).
    And(Vec<Where>),
    /// `OR: [w…]`: any holds (empty: false).
    Or(Vec<Where>),
    /// `NOT: [w…]`: not (all of them) (empty: false, `[D]`).
    Not(Vec<Where>),
    /// A scalar or system field operator, e.g. `title_contains: "x"`.
    Field {
        /// The field filtered.
        field: ScalarRef,
        /// The operator.
        op: Op,
        /// The operand, coerced to the field's type (DATA-1).
        operand: Operand,
    },
    /// `r: w` on a single relation: the related entry exists and satisfies `w`.
    Single {
        /// The relation field (declared on this model).
        field: FieldIdx,
        /// Its api id.
        name: String,
        /// The filter on the related entry.
        filter: Box<Where>,
    },
    /// `r_some`, `r_every`, `r_none: w` on a list relation or a reverse field.
    List {
        /// Which relation.
        relation: ListRelation,
        /// The field's api id (without the suffix).
        name: String,
        /// The quantifier.
        quantifier: Quantifier,
        /// The filter on each related entry.
        filter: Box<Where>,
    },
}

/// A filterable scalar: a declared scalar field or a system field (`id`, `createdAt`,
/// `updatedAt`, `publishedAt`; `stage` and `locale` cannot be filtered).
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarRef {
    /// A system field.
    System(SystemField),
    /// A declared scalar field of the model, by index, with its api id.
    Field {
        /// Index into the model's fields.
        index: FieldIdx,
        /// The api id.
        name: String,
    },
}

/// A list relation as filters see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListRelation {
    /// A list relation declared on this model.
    Own(FieldIdx),
    /// A reverse field of this model (index into `Model::reverse`).
    Reverse(usize),
}

/// The quantifier of a list relation filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// `_some`.
    Some,
    /// `_every`.
    Every,
    /// `_none`.
    None,
}

/// A scalar operator (§5's table), suffix included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `f`.
    Eq,
    /// `f_not`.
    NotEq,
    /// `f_in`.
    In,
    /// `f_not_in`.
    NotIn,
    /// `f_contains`.
    Contains,
    /// `f_not_contains`.
    NotContains,
    /// `f_starts_with`.
    StartsWith,
    /// `f_not_starts_with`.
    NotStartsWith,
    /// `f_ends_with`.
    EndsWith,
    /// `f_not_ends_with`.
    NotEndsWith,
    /// `f_lt`.
    Lt,
    /// `f_lte`.
    Lte,
    /// `f_gt`.
    Gt,
    /// `f_gte`.
    Gte,
}

impl Op {
    /// Every operator.
    pub const ALL: [Op; 14] = [
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
        Op::Lt,
        Op::Lte,
        Op::Gt,
        Op::Gte,
    ];

    /// The key suffix (`""` for equality).
    pub fn suffix(self) -> &'static str {
        match self {
            Op::Eq => "",
            Op::NotEq => "_not",
            Op::In => "_in",
            Op::NotIn => "_not_in",
            Op::Contains => "_contains",
            Op::NotContains => "_not_contains",
            Op::StartsWith => "_starts_with",
            Op::NotStartsWith => "_not_starts_with",
            Op::EndsWith => "_ends_with",
            Op::NotEndsWith => "_not_ends_with",
            Op::Lt => "_lt",
            Op::Lte => "_lte",
            Op::Gt => "_gt",
            Op::Gte => "_gte",
        }
    }
}

/// An operator's operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// One value (`Null` only for `f` and `f_not`, WHERE-1).
    One(Value),
    /// A list (for `_in` / `_not_in`), never containing `Null`.
    List(Vec<Value>),
}
