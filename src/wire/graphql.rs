//! Encoding a structured request ([`Selection`]s, as the generators and the reference use them)
//! as GraphQL document text, the inverse of [`op::graphql::decode`](crate::op::graphql::decode).
//!
//! [`Selection::args`] hold enum values as JSON strings, so printing needs the schema: a value
//! whose GraphQL type is an enum (`stage`, `locales`, `orderBy`, `to`, `from`,
//! `documentInStages(stages)`, an Enum field's operand in `where` or `data`, a localization's
//! `locale`, …) is printed as an enum literal, everything else as a GraphQL literal of its JSON
//! value. Types come from the environment's Content API SDL (READ-10,
//! [`sdl`]) read with `apollo-compiler`. A field, argument or input
//! member the schema lacks is printed by its JSON value alone (generated requests may be
//! deliberately invalid: the server must then refuse what the reference refuses).
//!
//! Strings are escaped as GraphQL requires (`"`, `\`, control characters as `\uXXXX`); other
//! characters, non-BMP ones included, are written as they are.

use std::fmt::Write as _;

use apollo_compiler::ast::Type;
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use serde_json::Value as Json;

use crate::model::project::Schema;
use crate::op::{OperationType, Selection};
use crate::sandbox::schema::sdl;

/// Why a schema could not be read for encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the content schema does not build: {0}")]
pub struct EncodeError(String);

/// An environment's Content API types, built once and reused for every request.
#[derive(Debug, Clone)]
pub struct Encoder {
    schema: Valid<apollo_compiler::Schema>,
}

impl Encoder {
    /// The encoder of an environment's schema.
    pub fn new(schema: &Schema) -> Result<Encoder, EncodeError> {
        let text = sdl(schema);
        let schema = apollo_compiler::Schema::parse_and_validate(&text, "content.graphql")
            .map_err(|e| EncodeError(e.errors.to_string()))?;
        Ok(Encoder { schema })
    }

    /// The document text of an operation with these root fields.
    pub fn encode(&self, operation: OperationType, fields: &[Selection]) -> String {
        let (keyword, root) = match operation {
            OperationType::Query => ("", "Query"),
            OperationType::Mutation => ("mutation ", "Mutation"),
        };
        let mut out = String::from(keyword);
        self.selection_set(&mut out, Some(root), fields);
        out
    }

    fn selection_set(&self, out: &mut String, parent: Option<&str>, fields: &[Selection]) {
        out.push_str("{ ");
        for f in fields {
            let def = parent.and_then(|p| self.schema.type_field(p, &f.name).ok());
            if let Some(a) = &f.alias {
                out.push_str(a);
                out.push_str(": ");
            }
            out.push_str(&f.name);
            if !f.args.is_empty() {
                out.push('(');
                for (i, (name, value)) in f.args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(name);
                    out.push_str(": ");
                    let ty = def.and_then(|d| d.argument_by_name(name)).map(|a| &*a.ty);
                    self.value(out, value, ty);
                }
                out.push(')');
            }
            if !f.selection.is_empty() {
                out.push(' ');
                let inner = def.map(|d| d.ty.inner_named_type().as_str());
                self.selection_set(out, inner, &f.selection);
            }
            out.push(' ');
        }
        out.push('}');
    }

    fn value(&self, out: &mut String, v: &Json, ty: Option<&Type>) {
        match (v, ty) {
            (Json::Null, _) => out.push_str("null"),
            (Json::Array(items), Some(Type::List(inner) | Type::NonNullList(inner))) => {
                self.list(out, items, Some(inner));
            }
            (Json::Array(items), _) => self.list(out, items, None),
            // A single value where a list is expected is a list of one (DATA-1): keep it single.
            (_, Some(Type::List(inner) | Type::NonNullList(inner))) => {
                self.value(out, v, Some(inner))
            }
            (_, Some(Type::Named(name) | Type::NonNullNamed(name))) => {
                match (self.schema.types.get(name), v) {
                    (Some(ExtendedType::Enum(e)), Json::String(s))
                        if e.values.contains_key(s.as_str()) =>
                    {
                        out.push_str(s);
                    }
                    (Some(ExtendedType::InputObject(obj)), Json::Object(members)) => {
                        out.push('{');
                        for (i, (k, mv)) in members.iter().enumerate() {
                            out.push_str(if i == 0 { " " } else { ", " });
                            out.push_str(k);
                            out.push_str(": ");
                            let fty = obj.fields.get(k.as_str()).map(|f| &f.ty);
                            self.value(out, mv, fty.map(|t| &**t));
                        }
                        out.push_str(if members.is_empty() { "}" } else { " }" });
                    }
                    _ => literal(out, v),
                }
            }
            (_, None) => literal(out, v),
        }
    }

    fn list(&self, out: &mut String, items: &[Json], inner: Option<&Type>) {
        out.push('[');
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.value(out, it, inner);
        }
        out.push(']');
    }
}

/// A JSON value as a GraphQL literal, without type information (strings quoted).
fn literal(out: &mut String, v: &Json) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(&n.to_string()),
        Json::String(s) => string(out, s),
        Json::Array(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                literal(out, it);
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (i, (k, mv)) in members.iter().enumerate() {
                out.push_str(if i == 0 { " " } else { ", " });
                out.push_str(k);
                out.push_str(": ");
                literal(out, mv);
            }
            out.push_str(if members.is_empty() { "}" } else { " }" });
        }
    }
}

/// A GraphQL string literal.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::model::spec::EnvSpec;
    use crate::op::graphql::decode;

    fn encoder() -> Encoder {
        let env: EnvSpec = serde_yaml_ng::from_str(
            r#"
stages: [QA]
locales: [en, de]
models:
  - name: Post
    fields:
      - {name: title, type: String, localized: true}
      - {name: status, type: Enum, values: [LIVE, GONE]}
      - {name: views, type: Int}
      - {name: score, type: Float}
      - {name: author, type: Author}
  - name: Author
    fields: [{name: name, type: String}]
"#,
        )
        .unwrap();
        Encoder::new(&env.schema("env").unwrap()).unwrap()
    }

    /// decode(encode(decode(text))) == decode(text): the encoding keeps every value and type.
    #[test]
    fn encoding_round_trips_through_the_decoder() {
        let e = encoder();
        for q in [
            r#"{ posts(where: {status: LIVE, title_contains: "a\"b\\c\n\u0001😀", OR: [{views_gt: 1}, {author: {name_in: ["x"]}}]}, orderBy: views_DESC, first: 2, skip: 0, stage: QA, locales: [de, en]) { id title status author(locales: [en]) { name } documentInStages(stages: [PUBLISHED, QA], includeCurrent: true) { stage } } }"#,
            r#"{ a: post(where: {id: "p1"}) { id } b: postsConnection(where: {status_in: [GONE]}) { aggregate { count } edges { node { id } } } __typename }"#,
            r#"mutation { createPost(data: {title: "t", status: GONE, score: 1.5, views: -3, author: {connect: {id: "a1"}}, localizations: {create: [{locale: de, data: {title: "x"}}]}}) { id } publishPost(where: {id: "p1"}, to: [QA, PUBLISHED]) { id } }"#,
            r#"{ posts(where: {nope: 1, title: null}, locales: de) { id unknown(x: ENUMISH) } }"#,
        ] {
            let d = decode(q, None, None).unwrap();
            let text = e.encode(d.operation, &d.fields);
            let again = decode(&text, None, None).unwrap_or_else(|m| panic!("{text}: {m}"));
            assert_eq!(again.fields, d.fields, "{q}\n{text}");
            assert_eq!(again.operation, d.operation);
        }
    }

    #[test]
    fn enums_are_unquoted_and_strings_quoted() {
        let e = encoder();
        let d = decode(
            r#"{ posts(stage: QA, where: {status: LIVE, title: "LIVE"}) { id } }"#,
            None,
            None,
        )
        .unwrap();
        let text = e.encode(d.operation, &d.fields);
        assert!(text.contains("stage: QA"), "{text}");
        assert!(text.contains("status: LIVE"), "{text}");
        assert!(text.contains(r#"title: "LIVE""#), "{text}");
    }
}
