//! Printing a [`Where`] back as canonical JSON: keys in the order parsed, coerced forms
//! (`NOT`/`AND`/`OR` and `_in` operands as lists), values in DATA-1's output form, relation
//! filters nested. `parse_value(to_json(w)) == w` for every parsed `w`.

use serde_json::{Map, Value as J};

use crate::model::condition::ast::{Clause, Operand, Quantifier, ScalarRef, Where};
use crate::model::project::{Schema, SystemField};
use crate::model::value::ScalarType;

static ID_TYPE: ScalarType = ScalarType::Id;
static DATETIME_TYPE: ScalarType = ScalarType::DateTime;
static STRING_TYPE: ScalarType = ScalarType::String;

/// The canonical JSON value of a where.
pub fn to_json(schema: &Schema, w: &Where) -> serde_json::Value {
    let mut map = Map::new();
    for c in &w.clauses {
        let (key, value) = clause(schema, w, c);
        map.insert(key, value);
    }
    J::Object(map)
}

fn list(schema: &Schema, ws: &[Where]) -> J {
    J::Array(ws.iter().map(|w| to_json(schema, w)).collect())
}

fn clause(schema: &Schema, w: &Where, c: &Clause) -> (String, J) {
    match c {
        Clause::And(ws) => ("AND".into(), list(schema, ws)),
        Clause::Or(ws) => ("OR".into(), list(schema, ws)),
        Clause::Not(ws) => ("NOT".into(), list(schema, ws)),
        Clause::Field { field, op, operand } => {
            let (name, ty): (&str, &ScalarType) = match field {
                ScalarRef::System(sf) => (
                    sf.name(),
                    if *sf == SystemField::Id {
                        &ID_TYPE
                    } else {
                        &DATETIME_TYPE
                    },
                ),
                ScalarRef::Field { index, name } => (
                    name.as_str(),
                    schema
                        .models
                        .get(w.model)
                        .and_then(|m| m.scalar_type(*index))
                        .unwrap_or(&STRING_TYPE),
                ),
            };
            let value = match operand {
                Operand::One(v) => v.to_json(ty),
                Operand::List(vs) => J::Array(vs.iter().map(|v| v.to_json(ty)).collect()),
            };
            (format!("{name}{}", op.suffix()), value)
        }
        Clause::Single { name, filter, .. } => (name.clone(), to_json(schema, filter)),
        Clause::List {
            name,
            quantifier,
            filter,
            ..
        } => {
            let suffix = match quantifier {
                Quantifier::Some => "_some",
                Quantifier::Every => "_every",
                Quantifier::None => "_none",
            };
            (format!("{name}{suffix}"), to_json(schema, filter))
        }
    }
}

/// The canonical JSON text of a where.
pub fn print(schema: &Schema, w: &Where) -> String {
    to_json(schema, w).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::fuzzing::fixture_schema;
    use crate::model::condition::parse::{parse_condition, Limits};

    #[test]
    fn prints_coerced_forms_in_key_order() {
        let schema = fixture_schema();
        let w = parse_condition(
            &schema,
            0,
            r#"{"views_in":3,"OR":{"id":12},"kind":"BLOG","tags_none":{"weight":2},"score_gt":-0.0}"#,
            &Limits::SPEC,
        )
        .unwrap();
        assert_eq!(
            print(&schema, &w),
            r#"{"views_in":[3],"OR":[{"id":"12"}],"kind":"BLOG","tags_none":{"weight":2.0},"score_gt":0.0}"#
        );
        assert_eq!(
            parse_condition(&schema, 0, &print(&schema, &w), &Limits::SPEC).unwrap(),
            w
        );
    }
}
