//! Parsing a `<Model>WhereInput` (JSON) against a model's schema into a [`Where`] (WHERE-4).

use crate::model::condition::ast::Where;
use crate::model::profile::Profile;
use crate::model::project::{ModelIdx, Schema};

/// LIMIT-1's bounds on a where/condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Nesting depth (top object is level 1).
    pub max_depth: usize,
    /// Keys, and objects, each counted over all levels.
    pub max_size: usize,
    /// Members of any list.
    pub max_list_len: usize,
    /// Length of a string operand, in Unicode scalar values.
    pub max_string: usize,
}

impl From<&Profile> for Limits {
    fn from(p: &Profile) -> Self {
        Limits {
            max_depth: p.max_where_depth,
            max_size: p.max_where_size,
            max_list_len: p.max_list_len,
            max_string: p.max_filter_string,
        }
    }
}

/// A parse error naming the 0-based path (`AND[1].title_lt: operator not defined for String`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ParseError {
    /// The path of the offending key or value (empty for the top level).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Parses a where value.
pub fn parse_value(
    _schema: &Schema,
    _model: ModelIdx,
    _input: &serde_json::Value,
    _limits: &Limits,
) -> Result<Where, ParseError> {
    Err(ParseError {
        path: String::new(),
        message: "not implemented yet".into(),
    })
}

/// Parses a condition string (PERM-3): exactly one JSON object, duplicate keys refused.
pub fn parse_condition(
    schema: &Schema,
    model: ModelIdx,
    text: &str,
    limits: &Limits,
) -> Result<Where, ParseError> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| ParseError {
        path: String::new(),
        message: e.to_string(),
    })?;
    parse_value(schema, model, &v, limits)
}
