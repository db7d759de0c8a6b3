//! The condition language (spec §5): a `<Model>WhereInput`, as a grant condition (a JSON string,
//! PERM-3) or a request `where` (a JSON value), parsed against the model's schema into an AST
//! ([`ast`]), evaluated on a document ([`eval()`]), and printed back as canonical JSON ([`print()`]).
//!
//! One grammar serves both uses, so that a value means the same in a condition and a request.

pub mod ast;
pub mod compile;
pub mod eval;
pub mod parse;
pub mod print;

pub use ast::{Clause, ListRelation, Op, Operand, Quantifier, ScalarRef, Where};
pub use compile::Compiled;
pub use eval::{eval, EvalCtx};
pub use parse::{parse_condition, parse_value, Limits, ParseError};
pub use print::{print, to_json};
