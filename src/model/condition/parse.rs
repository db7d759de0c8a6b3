//! Parsing a `<Model>WhereInput` (JSON) against a model's schema into a [`Where`] (WHERE-4),
//! with LIMIT-1's bounds, and reading a condition string (PERM-3, PERM-4) with duplicate keys
//! refused at every level.
//!
//! # Key resolution
//!
//! A key is `AND`, `OR` or `NOT`, or a field name followed by an operator suffix (`""`, `_not`,
//! `_in`, …, `_some`, `_every`, `_none`). Because a field may itself be named like
//! `title_not` or `in`, a key is resolved as follows: among every split of the key into a
//! *known field name* (system fields first, then declared fields, then reverse fields) and a
//! *suffix that is valid for that field* (an operator its type defines, the empty suffix for a
//! single relation, a quantifier for a list relation or reverse field), the one with the
//! **longest field name** wins. An exact field-name match is therefore always preferred, and
//! with fields `title` and `title_not` the key `title_not_in` means `title_not` + `_in`. When no
//! split is valid, the error reports the split with the longest field name whose suffix is at
//! least known (`title_lt: operator not defined for String`), else `unknown field`.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value as J;

use crate::model::condition::ast::{
    Clause, ListRelation, Op, Operand, Quantifier, ScalarRef, Where,
};
use crate::model::profile::Profile;
use crate::model::project::{FieldIdx, FieldKind, Model, ModelIdx, Schema, SystemField};
use crate::model::value::{ScalarType, Value};

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

impl Limits {
    /// The spec's values (LIMIT-1): depth 32, 256 keys and objects, lists of 1,000, strings of
    /// 4,096.
    pub const SPEC: Limits = Limits {
        max_depth: 32,
        max_size: 256,
        max_list_len: 1000,
        max_string: 4096,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::SPEC
    }
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
    /// The rule the input breaks: `WHERE-4` (shape), `WHERE-1` (a null operand), `LIMIT-1`,
    /// `DATA-1` (a value its type refuses) or `CTX-3` (an undeclared enum value).
    pub rule: &'static str,
}

fn err<T>(path: &str, message: impl Into<String>) -> Result<T, ParseError> {
    err_by("WHERE-4", path, message)
}

fn err_by<T>(rule: &'static str, path: &str, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        path: path.to_string(),
        message: message.into(),
        rule,
    })
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

static ID_TYPE: ScalarType = ScalarType::Id;
static DATETIME_TYPE: ScalarType = ScalarType::DateTime;

/// Whether the §5 table defines `op` for a field of type `ty`.
pub fn op_defined(ty: &ScalarType, op: Op) -> bool {
    match op {
        Op::Eq | Op::NotEq => true,
        Op::In | Op::NotIn => !matches!(ty, ScalarType::Boolean),
        Op::Contains
        | Op::NotContains
        | Op::StartsWith
        | Op::NotStartsWith
        | Op::EndsWith
        | Op::NotEndsWith => matches!(ty, ScalarType::String | ScalarType::Id),
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => matches!(
            ty,
            ScalarType::Int | ScalarType::Float | ScalarType::DateTime
        ),
    }
}

/// A known key suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suffix {
    Op(Op),
    Quantifier(Quantifier),
}

fn suffix_of(rest: &str) -> Option<Suffix> {
    if let Some(op) = Op::ALL.into_iter().find(|op| op.suffix() == rest) {
        return Some(Suffix::Op(op));
    }
    match rest {
        "_some" => Some(Suffix::Quantifier(Quantifier::Some)),
        "_every" => Some(Suffix::Quantifier(Quantifier::Every)),
        "_none" => Some(Suffix::Quantifier(Quantifier::None)),
        _ => None,
    }
}

/// What a field name resolves to, for filtering.
#[derive(Debug, Clone, Copy)]
enum Target<'s> {
    Scalar(ScalarTarget<'s>, &'s ScalarType),
    NotFilterable(SystemField),
    Single(FieldIdx, &'s str, ModelIdx),
    List(ListRelation, &'s str, ModelIdx),
}

#[derive(Debug, Clone, Copy)]
enum ScalarTarget<'s> {
    System(SystemField),
    Field(FieldIdx, &'s str),
}

fn target_valid(t: &Target<'_>, s: Suffix) -> bool {
    match (t, s) {
        (Target::Scalar(_, ty), Suffix::Op(op)) => op_defined(ty, op),
        (Target::Single(..), Suffix::Op(Op::Eq)) => true,
        (Target::List(..), Suffix::Quantifier(_)) => true,
        _ => false,
    }
}

fn target_error(t: &Target<'_>, s: Suffix) -> String {
    match (t, s) {
        (Target::Scalar(_, ty), _) => format!("operator not defined for {}", ty.name()),
        (Target::NotFilterable(sf), _) => format!("{} cannot be filtered", sf.name()),
        (Target::Single(..), _) => "operator not defined for a single relation".into(),
        (Target::List(..), Suffix::Op(Op::Eq)) => {
            "a list relation needs _some, _every or _none".into()
        }
        (Target::List(..), _) => "operator not defined for a list relation".into(),
    }
}

/// Every filterable name of a model with what it resolves to (system fields first).
fn targets<'s>(model: &'s Model) -> impl Iterator<Item = (&'s str, Target<'s>)> {
    let system = SystemField::ALL.into_iter().map(|sf| {
        let t = match sf {
            SystemField::Id => Target::Scalar(ScalarTarget::System(sf), &ID_TYPE),
            SystemField::CreatedAt | SystemField::UpdatedAt | SystemField::PublishedAt => {
                Target::Scalar(ScalarTarget::System(sf), &DATETIME_TYPE)
            }
            SystemField::Stage | SystemField::Locale => Target::NotFilterable(sf),
        };
        (sf.name(), t)
    });
    let declared = model.fields.iter().enumerate().map(|(i, f)| {
        let name = f.api_id.as_str();
        let t = match &f.kind {
            FieldKind::Scalar(ty) => Target::Scalar(ScalarTarget::Field(i, name), ty),
            FieldKind::Relation {
                target, list: true, ..
            } => Target::List(ListRelation::Own(i), name, *target),
            FieldKind::Relation {
                target,
                list: false,
                ..
            } => Target::Single(i, name, *target),
        };
        (name, t)
    });
    let reverse = model.reverse.iter().enumerate().map(|(i, r)| {
        let name = r.api_id.as_str();
        (name, Target::List(ListRelation::Reverse(i), name, r.owner))
    });
    system.chain(declared).chain(reverse)
}

/// Resolves a key by the rule of the module documentation.
fn resolve<'s>(model: &'s Model, key: &str) -> Result<(Target<'s>, Suffix), String> {
    let mut valid: Option<(usize, Target<'s>, Suffix)> = None;
    let mut invalid: Option<(usize, Target<'s>, Suffix)> = None;
    for (name, t) in targets(model) {
        let Some(rest) = key.strip_prefix(name) else {
            continue;
        };
        let Some(s) = suffix_of(rest) else {
            continue;
        };
        let slot = if target_valid(&t, s) {
            &mut valid
        } else {
            &mut invalid
        };
        let longer = match slot {
            Some((len, _, _)) => name.len() > *len,
            None => true,
        };
        if longer {
            *slot = Some((name.len(), t, s));
        }
    }
    match (valid, invalid) {
        (Some((_, t, s)), _) => Ok((t, s)),
        (None, Some((_, t, s))) => Err(target_error(&t, s)),
        (None, None) => Err("unknown field".into()),
    }
}

struct Parser<'a> {
    schema: &'a Schema,
    limits: &'a Limits,
    keys: usize,
    objects: usize,
}

impl Parser<'_> {
    fn parse_where(
        &mut self,
        model: ModelIdx,
        v: &J,
        path: &str,
        depth: usize,
    ) -> Result<Where, ParseError> {
        if depth > self.limits.max_depth {
            return err_by(
                "LIMIT-1",
                path,
                format!("nested deeper than {} levels", self.limits.max_depth),
            );
        }
        let map = match v {
            J::Object(map) => map,
            J::Null => {
                return err_by(
                    "WHERE-1",
                    path,
                    "null is not allowed here: expected an object",
                )
            }
            _ => return err(path, "expected an object"),
        };
        self.objects += 1;
        if self.objects > self.limits.max_size {
            return err_by(
                "LIMIT-1",
                path,
                format!("more than {} objects", self.limits.max_size),
            );
        }
        let Some(m) = self.schema.models.get(model) else {
            return err(path, "unknown model");
        };
        let mut clauses = Vec::with_capacity(map.len());
        for (k, val) in map {
            let kpath = join(path, k);
            self.keys += 1;
            if self.keys > self.limits.max_size {
                return err_by(
                    "LIMIT-1",
                    &kpath,
                    format!("more than {} keys", self.limits.max_size),
                );
            }
            clauses.push(self.parse_key(model, m, k, val, &kpath, depth)?);
        }
        Ok(Where { model, clauses })
    }

    fn list_of<'v>(&self, v: &'v J, path: &str) -> Result<Vec<&'v J>, ParseError> {
        match v {
            J::Array(items) => {
                if items.len() > self.limits.max_list_len {
                    return err_by(
                        "LIMIT-1",
                        path,
                        format!("a list of more than {} members", self.limits.max_list_len),
                    );
                }
                Ok(items.iter().collect())
            }
            other => Ok(vec![other]),
        }
    }

    fn parse_key(
        &mut self,
        model: ModelIdx,
        m: &Model,
        key: &str,
        val: &J,
        kpath: &str,
        depth: usize,
    ) -> Result<Clause, ParseError> {
        if matches!(key, "AND" | "OR" | "NOT") {
            if !matches!(val, J::Array(_) | J::Object(_)) {
                return if val.is_null() {
                    err_by(
                        "WHERE-1",
                        kpath,
                        format!("null is not allowed as the operand of {key}"),
                    )
                } else {
                    err(kpath, "expected a list of objects")
                };
            }
            let items = self.list_of(val, kpath)?;
            let mut ws = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                ws.push(self.parse_where(model, item, &format!("{kpath}[{i}]"), depth + 1)?);
            }
            return Ok(match key {
                "AND" => Clause::And(ws),
                "OR" => Clause::Or(ws),
                _ => Clause::Not(ws),
            });
        }
        let (target, suffix) = match resolve(m, key) {
            Ok(x) => x,
            Err(message) => return err(kpath, message),
        };
        match (target, suffix) {
            (Target::Scalar(st, ty), Suffix::Op(op)) => {
                let field = match st {
                    ScalarTarget::System(sf) => ScalarRef::System(sf),
                    ScalarTarget::Field(index, name) => ScalarRef::Field {
                        index,
                        name: name.to_string(),
                    },
                };
                let operand = self.operand(ty, op, val, kpath)?;
                Ok(Clause::Field { field, op, operand })
            }
            (Target::Single(field, name, target), _) => {
                let filter = self.relation_operand(target, val, kpath, depth)?;
                Ok(Clause::Single {
                    field,
                    name: name.to_string(),
                    filter: Box::new(filter),
                })
            }
            (Target::List(relation, name, target), Suffix::Quantifier(quantifier)) => {
                let filter = self.relation_operand(target, val, kpath, depth)?;
                Ok(Clause::List {
                    relation,
                    name: name.to_string(),
                    quantifier,
                    filter: Box::new(filter),
                })
            }
            // `resolve` only returns valid pairs.
            (t, s) => err(kpath, target_error(&t, s)),
        }
    }

    fn relation_operand(
        &mut self,
        target: ModelIdx,
        val: &J,
        kpath: &str,
        depth: usize,
    ) -> Result<Where, ParseError> {
        match val {
            J::Object(_) => self.parse_where(target, val, kpath, depth + 1),
            J::Null => err_by("WHERE-1", kpath, "null is not allowed as a relation filter"),
            _ => err(kpath, "expected an object"),
        }
    }

    fn operand(
        &self,
        ty: &ScalarType,
        op: Op,
        val: &J,
        kpath: &str,
    ) -> Result<Operand, ParseError> {
        match op {
            Op::Eq | Op::NotEq => Ok(Operand::One(self.scalar(ty, val, kpath)?)),
            Op::In | Op::NotIn => {
                if val.is_null() {
                    return err_by(
                        "WHERE-1",
                        kpath,
                        "null is not allowed as the operand of this operator",
                    );
                }
                let items = self.list_of(val, kpath)?;
                let single = !val.is_array();
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    let p = if single {
                        kpath.to_string()
                    } else {
                        format!("{kpath}[{i}]")
                    };
                    if item.is_null() {
                        return err_by("WHERE-1", &p, "null is not allowed in this list");
                    }
                    out.push(self.scalar(ty, item, &p)?);
                }
                Ok(Operand::List(out))
            }
            _ => {
                if val.is_null() {
                    return err_by(
                        "WHERE-1",
                        kpath,
                        "null is not allowed as the operand of this operator",
                    );
                }
                Ok(Operand::One(self.scalar(ty, val, kpath)?))
            }
        }
    }

    fn scalar(&self, ty: &ScalarType, val: &J, path: &str) -> Result<Value, ParseError> {
        match val {
            J::String(s)
                if s.len() > self.limits.max_string
                    && s.chars().count() > self.limits.max_string =>
            {
                return err_by(
                    "LIMIT-1",
                    path,
                    format!(
                        "a string operand longer than {} characters",
                        self.limits.max_string
                    ),
                );
            }
            J::Array(_) => {
                return err_by(
                    "DATA-1",
                    path,
                    format!("{} cannot represent a list", ty.name()),
                )
            }
            J::Object(_) => {
                return err_by(
                    "DATA-1",
                    path,
                    format!("{} cannot represent an object", ty.name()),
                )
            }
            _ => {}
        }
        Value::coerce(ty, val).or_else(|e| {
            let rule = if e.0.contains("not declared") {
                "CTX-3"
            } else {
                "DATA-1"
            };
            err_by(rule, path, e.0)
        })
    }
}

/// Parses a where value.
pub fn parse_value(
    schema: &Schema,
    model: ModelIdx,
    input: &serde_json::Value,
    limits: &Limits,
) -> Result<Where, ParseError> {
    let mut p = Parser {
        schema,
        limits,
        keys: 0,
        objects: 0,
    };
    p.parse_where(model, input, "", 1)
}

/// Parses a condition string (PERM-3): exactly one JSON object, duplicate keys refused.
pub fn parse_condition(
    schema: &Schema,
    model: ModelIdx,
    text: &str,
    limits: &Limits,
) -> Result<Where, ParseError> {
    let v = read_json_strict(text)?;
    if !v.is_object() {
        return err("", "a condition must be one JSON object");
    }
    parse_value(schema, model, &v, limits)
}

/// Reads one JSON value from `text` (surrounding whitespace allowed, nothing else), refusing a
/// duplicate key in any object at any level; the error names the duplicate's path.
pub fn read_json_strict(text: &str) -> Result<J, ParseError> {
    let dup = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = Seed {
        dup: &dup,
        path: String::new(),
    };
    let v = match seed.deserialize(&mut de) {
        Ok(v) => v,
        Err(e) => {
            return Err(dup.take().unwrap_or_else(|| ParseError {
                path: String::new(),
                message: format!("not one JSON object: {e}"),
                rule: "WHERE-4",
            }))
        }
    };
    if let Err(e) = de.end() {
        return err("", format!("not one JSON object: {e}"));
    }
    Ok(v)
}

/// A `DeserializeSeed` that builds a `serde_json::Value`, refusing duplicate keys.
struct Seed<'a> {
    dup: &'a RefCell<Option<ParseError>>,
    path: String,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = J;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<J, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = J;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<J, E> {
        Ok(J::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<J, E> {
        Ok(J::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<J, E> {
        Ok(J::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<J, E> {
        serde_json::Number::from_f64(v)
            .map(J::Number)
            .ok_or_else(|| E::custom("a non-finite number"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<J, E> {
        Ok(J::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<J, E> {
        Ok(J::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<J, E> {
        Ok(J::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<J, E> {
        Ok(J::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
        let mut out = Vec::new();
        loop {
            let seed = Seed {
                dup: self.dup,
                path: format!("{}[{}]", self.path, out.len()),
            };
            match seq.next_element_seed(seed)? {
                Some(v) => out.push(v),
                None => return Ok(J::Array(out)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = join(&self.path, &key);
            if out.contains_key(&key) {
                *self.dup.borrow_mut() = Some(ParseError {
                    path,
                    message: "duplicate key".into(),
                    rule: "WHERE-4",
                });
                return Err(de::Error::custom("duplicate key"));
            }
            let v = map.next_value_seed(Seed {
                dup: self.dup,
                path,
            })?;
            out.insert(key, v);
        }
        Ok(J::Object(out))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::model::project::Field;

    fn model(names: &[(&str, ScalarType)]) -> Model {
        Model {
            api_id: "M".into(),
            plural: "ms".into(),
            fields: names
                .iter()
                .map(|(n, t)| Field {
                    api_id: (*n).into(),
                    kind: FieldKind::Scalar(t.clone()),
                    localized: false,
                    required: false,
                })
                .collect(),
            reverse: vec![],
        }
    }

    fn resolved(m: &Model, key: &str) -> Result<(String, Suffix), String> {
        resolve(m, key).map(|(t, s)| {
            let name = match t {
                Target::Scalar(ScalarTarget::System(sf), _) => sf.name().to_string(),
                Target::Scalar(ScalarTarget::Field(_, n), _) => n.to_string(),
                _ => "relation".into(),
            };
            (name, s)
        })
    }

    #[test]
    fn suffixes_are_recognised() {
        assert_eq!(suffix_of(""), Some(Suffix::Op(Op::Eq)));
        assert_eq!(suffix_of("_not_in"), Some(Suffix::Op(Op::NotIn)));
        assert_eq!(
            suffix_of("_every"),
            Some(Suffix::Quantifier(Quantifier::Every))
        );
        assert_eq!(suffix_of("_nope"), None);
    }

    #[test]
    fn longest_valid_field_name_wins() {
        let m = model(&[
            ("title", ScalarType::String),
            ("title_not", ScalarType::Boolean),
        ]);
        // `title_not` is a Boolean without `_in`: the valid split is `title` + `_not_in`.
        assert_eq!(
            resolved(&m, "title_not_in"),
            Ok(("title".into(), Suffix::Op(Op::NotIn)))
        );
        assert_eq!(
            resolved(&m, "title_not"),
            Ok(("title_not".into(), Suffix::Op(Op::Eq)))
        );
        assert_eq!(
            resolved(&m, "title_not_not"),
            Ok(("title_not".into(), Suffix::Op(Op::NotEq)))
        );
        assert_eq!(resolved(&m, "id_in"), Ok(("id".into(), Suffix::Op(Op::In))));
        assert_eq!(
            resolved(&m, "title_not_lt"),
            Err("operator not defined for Boolean".into())
        );
        assert_eq!(resolved(&m, "nope"), Err("unknown field".into()));
    }

    #[test]
    fn operator_table() {
        use ScalarType as T;
        assert!(op_defined(&T::Boolean, Op::NotEq));
        assert!(!op_defined(&T::Boolean, Op::In));
        assert!(op_defined(&T::Id, Op::NotEndsWith));
        assert!(!op_defined(&T::Int, Op::Contains));
        assert!(op_defined(&T::DateTime, Op::Gte));
        assert!(!op_defined(&T::String, Op::Lt));
        assert!(op_defined(&T::Enum(vec![]), Op::NotIn));
        assert!(!op_defined(&T::Enum(vec![]), Op::Gt));
    }

    #[test]
    fn strict_json_refuses_duplicates_and_trailing_text() {
        assert_eq!(
            read_json_strict(r#"{"a":[{"b":1,"b":2}]}"#).unwrap_err(),
            ParseError {
                path: "a[0].b".into(),
                message: "duplicate key".into(),
                rule: "WHERE-4",
            }
        );
        assert!(read_json_strict("{} {}").is_err());
        assert!(read_json_strict("").is_err());
        assert_eq!(
            read_json_strict(r#" {"a":[1,2.5,"x",null,true]} "#).unwrap(),
            serde_json::json!({"a":[1,2.5,"x",null,true]})
        );
    }
}
