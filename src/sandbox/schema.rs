//! The per-environment Content API schema (READ-10) and request validation (ERR-1 step 5).
//!
//! [`sdl`] writes one environment's schema as GraphQL SDL, following Hygraph's naming
//! conventions (`PostWhereInput`, `PostOrderByInput`, `PostConnection`, `PostCreateInput`, …)
//! and carrying exactly the surface of READ-10: per model the root fields of §6 and the
//! mutations of §7, on each entry the fields of §1 and `documentInStages`, the arguments of
//! §§4–7 and nothing else (no `node`, `pageInfo`, `last`/`before`/`after`, `upsert…`, `…Many…`).
//!
//! [`ContentSchema`] holds that SDL built and validated by `apollo-compiler`, once per
//! environment; [`ContentSchema::validate`] checks a request against it: GraphQL syntax and
//! validation (fields, arguments, enum values, literal types, required input fields, field
//! merging of CTX-3), the choice of operation (ERR-3), variable coercion and argument values
//! by DATA-1, explicit nulls (CTX-5) and the selection depth of LIMIT-1. The result is the
//! chosen operation as an owned tree of [`SelectedField`]s with resolved argument values as
//! JSON, fragments inlined and fields merged by response key, for the executor.
//!
//! Root `stage` and `locales` (CTX-5): they are typed non-null by Hygraph but may be absent,
//! resolved from headers (CTX-1, CTX-2) rather than by a schema default. The SDL declares them
//! **nullable** (`stage: Stage`, `locales: [Locale!]`) so that `apollo-compiler` accepts their
//! absence (and a nullable variable for them), and [`ContentSchema::validate`] refuses an
//! explicit `null` for them itself, written or through a variable. Every other explicit `null`
//! for a nullable argument means absent (CTX-5) and is left out of the resolved arguments.
//!
//! Left to the caller (they need the request's context or §5's grammar): paging bounds,
//! `locales: []`, the `where` grammar of §5 and its limits, the contents of `to`/`from`.

use std::collections::HashSet;
use std::fmt::Write as _;

use apollo_compiler::ast::{self, OperationType, Type};
use apollo_compiler::executable::{self, Selection, SelectionSet};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Node};
use serde_json::{Map, Value as Json};

use crate::model::profile::Profile;
use crate::model::project::{FieldKind, Model, Schema};
use crate::model::value::{parse_datetime, ScalarType, Value};

/// LIMIT-1: the deepest selection allowed by default; a root field is at depth 1.
pub const MAX_SELECTION_DEPTH: usize = 10;
/// LIMIT-1: the most members of any list in arguments or variables, by default.
pub const MAX_LIST_LEN: usize = 1000;
/// A guard against documents whose fragments multiply into a huge tree: the most fields the
/// resolved selection of one operation may hold (far above anything LIMIT-1's other bounds
/// and an 80 KiB body make meaningful).
pub const MAX_RESOLVED_FIELDS: usize = 100_000;
/// The parser's recursion limit (nesting of selections, lists and objects in a document).
const PARSER_RECURSION_LIMIT: usize = 500;

/// Why a schema could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// The generated SDL does not validate (e.g. an api id that is not a GraphQL name).
    #[error("the generated schema is invalid: {0}")]
    Invalid(String),
}

/// One environment's Content API schema: the SDL and its validated `apollo-compiler` form.
/// Build it once per environment and keep it.
#[derive(Debug, Clone)]
pub struct ContentSchema {
    sdl: String,
    schema: Valid<apollo_compiler::Schema>,
    max_selection_depth: usize,
    max_list_len: usize,
}

/// The kind of the chosen operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    /// A `query`.
    Query,
    /// A `mutation`.
    Mutation,
}

/// A validated request: the chosen operation and its resolved selection.
#[derive(Debug, Clone)]
pub struct Validated {
    /// Query or mutation.
    pub kind: OperationKind,
    /// The operation's name, if it has one.
    pub name: Option<String>,
    /// The root fields, merged by response key, in document order.
    pub fields: Vec<SelectedField>,
    /// The variable values after coercion (declared variables only; absent ones left out).
    pub variables: Map<String, Json>,
    /// The validated document (e.g. for `apollo-compiler`'s introspection execution).
    pub document: Valid<ExecutableDocument>,
}

/// One field of a resolved selection.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectedField {
    /// The alias, when the field has one.
    pub alias: Option<String>,
    /// The field's name in the schema (`posts`, `title`, `__typename`, …).
    pub name: String,
    /// The named type the field returns (`Post`, `PostConnection`, `String`, …).
    pub ty: String,
    /// Argument values as JSON: variables substituted, defaults applied, enum values as
    /// strings, a single value given for a list as a list of one, an `ID` integer as its
    /// decimal string. An argument that is absent, or an explicit `null` for a nullable one
    /// (CTX-5), is not in the map. Inside input objects an explicit `null` is kept as `null`.
    pub args: Map<String, Json>,
    /// The sub-selection (fragments inlined, `@skip`/`@include` applied, merged by response
    /// key); empty for a leaf.
    pub selection: Vec<SelectedField>,
}

impl SelectedField {
    /// The response key: the alias, else the name.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

// ---------------------------------------------------------------------------------------------
// SDL
// ---------------------------------------------------------------------------------------------

/// The GraphQL name of an Enum field's type: `{Model}{Field}Enum` (`PostStatusEnum`).
pub fn enum_type_name(model: &Model, field: &str) -> String {
    let mut chars = field.chars();
    let cap: String = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("{}{cap}Enum", model.api_id)
}

fn scalar_type_name(model: &Model, field: &str, ty: &ScalarType) -> String {
    match ty {
        ScalarType::Enum(_) => enum_type_name(model, field),
        other => other.name().to_string(),
    }
}

/// The where operators of a scalar type (§5), as suffixes (`""` is equality) with whether the
/// operand is a list.
fn where_operators(ty: &ScalarType) -> &'static [(&'static str, bool)] {
    const EQ: [(&str, bool); 2] = [("", false), ("_not", false)];
    const STRING: [(&str, bool); 10] = [
        ("", false),
        ("_not", false),
        ("_in", true),
        ("_not_in", true),
        ("_contains", false),
        ("_not_contains", false),
        ("_starts_with", false),
        ("_not_starts_with", false),
        ("_ends_with", false),
        ("_not_ends_with", false),
    ];
    const ORDERED: [(&str, bool); 8] = [
        ("", false),
        ("_not", false),
        ("_in", true),
        ("_not_in", true),
        ("_lt", false),
        ("_lte", false),
        ("_gt", false),
        ("_gte", false),
    ];
    const ENUM: [(&str, bool); 4] = [
        ("", false),
        ("_not", false),
        ("_in", true),
        ("_not_in", true),
    ];
    match ty {
        ScalarType::String | ScalarType::Id => &STRING,
        ScalarType::Int | ScalarType::Float | ScalarType::DateTime => &ORDERED,
        ScalarType::Boolean => &EQ,
        ScalarType::Enum(_) => &ENUM,
    }
}

/// The system fields that `where` and `orderBy` take, with their types.
const FILTERABLE_SYSTEM: [(&str, ScalarType); 4] = [
    ("id", ScalarType::Id),
    ("createdAt", ScalarType::DateTime),
    ("updatedAt", ScalarType::DateTime),
    ("publishedAt", ScalarType::DateTime),
];

/// A relation-like field of a model: a declared relation or a reverse field.
struct RelationField<'a> {
    name: &'a str,
    target: &'a Model,
    list: bool,
}

fn relation_fields<'a>(schema: &'a Schema, model: &'a Model) -> Vec<RelationField<'a>> {
    let mut out = Vec::new();
    for f in &model.fields {
        if let FieldKind::Relation { target, list, .. } = &f.kind {
            if let Some(t) = schema.models.get(*target) {
                out.push(RelationField {
                    name: &f.api_id,
                    target: t,
                    list: *list,
                });
            }
        }
    }
    for r in &model.reverse {
        if let Some(t) = schema.models.get(r.owner) {
            out.push(RelationField {
                name: &r.api_id,
                target: t,
                list: true,
            });
        }
    }
    out
}

fn enum_block(out: &mut String, name: &str, values: impl IntoIterator<Item = impl AsRef<str>>) {
    let _ = writeln!(out, "enum {name} {{");
    for v in values {
        let _ = writeln!(out, "  {}", v.as_ref());
    }
    out.push_str("}\n\n");
}

/// The arguments of a list field (root list, connection, list relation, reverse field).
fn list_args(target: &str) -> String {
    format!("where: {target}WhereInput, orderBy: {target}OrderByInput, first: Int, skip: Int")
}

/// The SDL of one environment's Content API (READ-10). Root `stage` and `locales` are declared
/// nullable; see the module documentation.
pub fn sdl(schema: &Schema) -> String {
    let mut out = String::new();
    out.push_str("scalar DateTime\n\n");
    enum_block(&mut out, "Stage", &schema.stages);
    enum_block(&mut out, "Locale", &schema.locales);
    out.push_str("type Aggregate {\n  count: Int!\n}\n\n");
    for model in &schema.models {
        model_types(&mut out, schema, model);
    }
    out.push_str("type Query {\n");
    for m in &schema.models {
        let (x, xs) = (&m.api_id, &m.plural);
        let lower = lower_first(x);
        let ctx = "stage: Stage, locales: [Locale!]";
        let _ = writeln!(out, "  {lower}(where: {x}WhereUniqueInput!, {ctx}): {x}");
        let _ = writeln!(out, "  {xs}({}, {ctx}): [{x}!]!", list_args(x));
        let _ = writeln!(
            out,
            "  {xs}Connection({}, {ctx}): {x}Connection!",
            list_args(x)
        );
    }
    out.push_str("}\n\n");
    if !schema.models.is_empty() {
        out.push_str("type Mutation {\n");
        for m in &schema.models {
            let x = &m.api_id;
            let w = format!("where: {x}WhereUniqueInput!");
            let _ = writeln!(out, "  create{x}(data: {x}CreateInput!): {x}");
            let _ = writeln!(out, "  update{x}({w}, data: {x}UpdateInput!): {x}");
            let _ = writeln!(out, "  delete{x}({w}): {x}");
            let _ = writeln!(out, "  publish{x}({w}, to: [Stage!]! = [PUBLISHED]): {x}");
            let _ = writeln!(
                out,
                "  unpublish{x}({w}, from: [Stage!]! = [PUBLISHED]): {x}"
            );
        }
        out.push_str("}\n");
    }
    out
}

/// `Post` → `post` (the single-entry root field).
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn model_types(out: &mut String, schema: &Schema, model: &Model) {
    let x = &model.api_id;
    let rels = relation_fields(schema, model);
    // Enum types of Enum fields.
    for f in &model.fields {
        if let FieldKind::Scalar(ScalarType::Enum(values)) = &f.kind {
            enum_block(out, &enum_type_name(model, &f.api_id), values);
        }
    }
    // The entry type.
    let _ = writeln!(out, "type {x} {{");
    out.push_str("  id: ID!\n  stage: Stage!\n  locale: Locale!\n  createdAt: DateTime!\n");
    out.push_str("  updatedAt: DateTime!\n  publishedAt: DateTime\n");
    for f in &model.fields {
        if let FieldKind::Scalar(ty) = &f.kind {
            let bang = if f.required { "!" } else { "" };
            let t = scalar_type_name(model, &f.api_id, ty);
            let _ = writeln!(out, "  {}: {t}{bang}", f.api_id);
        }
    }
    for r in &rels {
        let t = &r.target.api_id;
        if r.list {
            let _ = writeln!(
                out,
                "  {}({}, locales: [Locale!]): [{t}!]!",
                r.name,
                list_args(t)
            );
        } else {
            let _ = writeln!(out, "  {}(locales: [Locale!]): {t}", r.name);
        }
    }
    let _ = writeln!(
        out,
        "  documentInStages(stages: [Stage!]! = [DRAFT, PUBLISHED], includeCurrent: Boolean! = false): [{x}!]!"
    );
    out.push_str("}\n\n");
    // Connection types.
    let _ = writeln!(
        out,
        "type {x}Connection {{\n  edges: [{x}Edge!]!\n  aggregate: Aggregate!\n}}\n"
    );
    let _ = writeln!(out, "type {x}Edge {{\n  node: {x}!\n}}\n");
    // orderBy.
    let mut order = Vec::new();
    for (name, _) in &FILTERABLE_SYSTEM {
        order.push(format!("{name}_ASC"));
        order.push(format!("{name}_DESC"));
    }
    for f in &model.fields {
        if let FieldKind::Scalar(_) = f.kind {
            order.push(format!("{}_ASC", f.api_id));
            order.push(format!("{}_DESC", f.api_id));
        }
    }
    enum_block(out, &format!("{x}OrderByInput"), &order);
    // where.
    let _ = writeln!(out, "input {x}WhereInput {{");
    for logic in ["AND", "OR", "NOT"] {
        let _ = writeln!(out, "  {logic}: [{x}WhereInput!]");
    }
    let mut leaves: Vec<(&str, String, &ScalarType)> = FILTERABLE_SYSTEM
        .iter()
        .map(|(n, t)| (*n, t.name().to_string(), t))
        .collect();
    for f in &model.fields {
        if let FieldKind::Scalar(ty) = &f.kind {
            leaves.push((&f.api_id, scalar_type_name(model, &f.api_id, ty), ty));
        }
    }
    for (name, tname, ty) in leaves {
        for (suffix, list) in where_operators(ty) {
            if *list {
                let _ = writeln!(out, "  {name}{suffix}: [{tname}!]");
            } else {
                let _ = writeln!(out, "  {name}{suffix}: {tname}");
            }
        }
    }
    for r in &rels {
        let t = &r.target.api_id;
        if r.list {
            for q in ["_some", "_every", "_none"] {
                let _ = writeln!(out, "  {}{q}: {t}WhereInput", r.name);
            }
        } else {
            let _ = writeln!(out, "  {}: {t}WhereInput", r.name);
        }
    }
    out.push_str("}\n\n");
    let _ = writeln!(out, "input {x}WhereUniqueInput {{\n  id: ID!\n}}\n");
    // Relation inputs aimed at this model (WRITE-10).
    let u = format!("{x}WhereUniqueInput");
    let _ = writeln!(
        out,
        "input {x}CreateOneInlineInput {{\n  connect: {u}\n}}\n"
    );
    let _ = writeln!(
        out,
        "input {x}CreateManyInlineInput {{\n  connect: [{u}!]\n}}\n"
    );
    let _ = writeln!(
        out,
        "input {x}UpdateOneInlineInput {{\n  connect: {u}\n  disconnect: Boolean\n}}\n"
    );
    let _ = writeln!(
        out,
        "input {x}UpdateManyInlineInput {{\n  connect: [{u}!]\n  disconnect: [{u}!]\n  set: [{u}!]\n}}\n"
    );
    // Create and update data.
    let localized = model.has_localized_fields();
    for (kind, create) in [("Create", true), ("Update", false)] {
        let _ = writeln!(out, "input {x}{kind}Input {{");
        for f in &model.fields {
            if let FieldKind::Scalar(ty) = &f.kind {
                let bang = if create && f.required { "!" } else { "" };
                let t = scalar_type_name(model, &f.api_id, ty);
                let _ = writeln!(out, "  {}: {t}{bang}", f.api_id);
            }
        }
        for r in &rels {
            let many = if r.list { "Many" } else { "One" };
            let _ = writeln!(
                out,
                "  {}: {}{kind}{many}InlineInput",
                r.name, r.target.api_id
            );
        }
        if localized {
            let _ = writeln!(out, "  localizations: {x}{kind}LocalizationsInput");
        }
        out.push_str("}\n\n");
    }
    if localized {
        // WRITE-9.
        for (kind, create) in [("Create", true), ("Update", false)] {
            let _ = writeln!(out, "input {x}{kind}LocalizationDataInput {{");
            for f in model.fields.iter().filter(|f| f.localized) {
                if let FieldKind::Scalar(ty) = &f.kind {
                    let bang = if create && f.required { "!" } else { "" };
                    let t = scalar_type_name(model, &f.api_id, ty);
                    let _ = writeln!(out, "  {}: {t}{bang}", f.api_id);
                }
            }
            out.push_str("}\n\n");
            let _ = writeln!(
                out,
                "input {x}{kind}LocalizationInput {{\n  data: {x}{kind}LocalizationDataInput!\n  locale: Locale!\n}}\n"
            );
        }
        let _ = writeln!(
            out,
            "input {x}UpsertLocalizationInput {{\n  create: {x}CreateLocalizationDataInput!\n  update: {x}UpdateLocalizationDataInput!\n  locale: Locale!\n}}\n"
        );
        let _ = writeln!(
            out,
            "input {x}CreateLocalizationsInput {{\n  create: [{x}CreateLocalizationInput!]\n}}\n"
        );
        let _ = writeln!(
            out,
            "input {x}UpdateLocalizationsInput {{\n  create: [{x}CreateLocalizationInput!]\n  update: [{x}UpdateLocalizationInput!]\n  upsert: [{x}UpsertLocalizationInput!]\n  delete: [Locale!]\n}}\n"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

impl ContentSchema {
    /// Builds and validates the schema of one environment.
    pub fn new(schema: &Schema) -> Result<ContentSchema, SchemaError> {
        let sdl = sdl(schema);
        let built =
            apollo_compiler::Schema::parse_and_validate(&sdl, "content.graphql").map_err(|e| {
                let msgs: Vec<String> = e.errors.iter().map(|d| d.error.to_string()).collect();
                SchemaError::Invalid(msgs.join("; "))
            })?;
        Ok(ContentSchema {
            sdl,
            schema: built,
            max_selection_depth: MAX_SELECTION_DEPTH,
            max_list_len: MAX_LIST_LEN,
        })
    }

    /// Takes LIMIT-1's selection depth and list length from a profile's knobs
    /// (`max_selection_depth`, `max_list_len`) instead of the defaults.
    pub fn with_limits(mut self, profile: &Profile) -> ContentSchema {
        self.max_selection_depth = profile.max_selection_depth;
        self.max_list_len = profile.max_list_len;
        self
    }

    /// The SDL this schema was built from.
    pub fn sdl(&self) -> &str {
        &self.sdl
    }

    /// The validated `apollo-compiler` schema.
    pub fn schema(&self) -> &Valid<apollo_compiler::Schema> {
        &self.schema
    }

    /// Validates a request (ERR-1 step 5, as far as the document and its values go) and
    /// resolves the chosen operation. `variables` is the request's `variables` member (an
    /// object or `null`); `operation_name` its `operationName`. Errors are messages for a 400.
    pub fn validate(
        &self,
        query: &str,
        variables: Option<&Json>,
        operation_name: Option<&str>,
    ) -> Result<Validated, Vec<String>> {
        let ast = apollo_compiler::parser::Parser::new()
            .recursion_limit(PARSER_RECURSION_LIMIT)
            .parse_ast(query, "request.graphql")
            .map_err(|e| messages(&e.errors))?;
        let subscription = ast.definitions.iter().any(|d| {
            matches!(d, ast::Definition::OperationDefinition(op)
                if op.operation_type == OperationType::Subscription)
        });
        if subscription {
            return Err(vec!["subscriptions are not supported".to_string()]);
        }
        let document = ast
            .to_executable_validate(&self.schema)
            .map_err(|e| messages(&e.errors))?;
        let operation = document
            .operations
            .get(operation_name)
            .map_err(|e| vec![e.message().to_string()])?;
        let kind = match operation.operation_type {
            OperationType::Query => OperationKind::Query,
            OperationType::Mutation => OperationKind::Mutation,
            OperationType::Subscription => {
                return Err(vec!["subscriptions are not supported".to_string()])
            }
        };
        let empty = Map::new();
        let given = match variables {
            None | Some(Json::Null) => &empty,
            Some(Json::Object(m)) => m,
            Some(_) => return Err(vec!["variables must be an object".to_string()]),
        };
        let mut r = Resolver {
            schema: &self.schema,
            document: &document,
            vars: Map::new(),
            count: 0,
            max_depth: self.max_selection_depth,
            max_list: self.max_list_len,
        };
        r.coerce_variables(&operation.variables, given)
            .map_err(|e| vec![e])?;
        let fields = r
            .collect(&[&operation.selection_set], 1)
            .map_err(|e| vec![e])?;
        let name = operation.name.as_ref().map(|n| n.to_string());
        let variables = r.vars;
        Ok(Validated {
            kind,
            name,
            fields,
            variables,
            document,
        })
    }
}

/// Validates a request against a built schema; see [`ContentSchema::validate`].
pub fn validate(
    schema: &ContentSchema,
    query: &str,
    variables: Option<&Json>,
    operation_name: Option<&str>,
) -> Result<Validated, Vec<String>> {
    schema.validate(query, variables, operation_name)
}

fn messages(list: &apollo_compiler::validation::DiagnosticList) -> Vec<String> {
    let out: Vec<String> = list.iter().map(|d| d.error.to_string()).collect();
    if out.is_empty() {
        vec!["invalid document".to_string()]
    } else {
        out
    }
}

/// Walks the chosen operation: coerces variables, resolves arguments, inlines fragments.
struct Resolver<'a> {
    schema: &'a Valid<apollo_compiler::Schema>,
    document: &'a ExecutableDocument,
    /// Coerced variable values; a declared variable that was not given is absent.
    vars: Map<String, Json>,
    /// Fields resolved so far (against [`MAX_RESOLVED_FIELDS`]).
    count: usize,
    /// LIMIT-1's selection depth.
    max_depth: usize,
    /// LIMIT-1's list length.
    max_list: usize,
}

/// The DATA-1 scalar type of a GraphQL scalar name.
fn data_type(name: &str) -> Option<ScalarType> {
    Some(match name {
        "String" => ScalarType::String,
        "ID" => ScalarType::Id,
        "Int" => ScalarType::Int,
        "Float" => ScalarType::Float,
        "Boolean" => ScalarType::Boolean,
        "DateTime" => ScalarType::DateTime,
        _ => return None,
    })
}

impl<'a> Resolver<'a> {
    // --- variables ---------------------------------------------------------------------------

    fn coerce_variables(
        &mut self,
        defs: &[Node<ast::VariableDefinition>],
        given: &Map<String, Json>,
    ) -> Result<(), String> {
        for def in defs {
            let name = def.name.as_str();
            let what = format!("variable ${name}");
            if let Some(v) = given.get(name) {
                let c = self.coerce_json(v, &def.ty, &what)?;
                self.vars.insert(name.to_string(), c);
            } else if let Some(default) = &def.default_value {
                if let Some(c) = self.coerce_literal(default, &def.ty, &what)? {
                    self.vars.insert(name.to_string(), c);
                }
            } else if def.ty.is_non_null() {
                return Err(format!("{what} of non-null type {} is not given", def.ty));
            }
        }
        Ok(())
    }

    /// Coerces a JSON variable value to a type (input coercion with DATA-1's scalars).
    fn coerce_json(&self, v: &Json, ty: &Type, what: &str) -> Result<Json, String> {
        if v.is_null() {
            if ty.is_non_null() {
                return Err(format!("{what}: null for non-null type {ty}"));
            }
            return Ok(Json::Null);
        }
        match ty {
            Type::List(inner) | Type::NonNullList(inner) => {
                let items = match v {
                    Json::Array(items) => items
                        .iter()
                        .map(|i| self.coerce_json(i, inner, what))
                        .collect::<Result<Vec<_>, _>>()?,
                    single => vec![self.coerce_json(single, inner, what)?],
                };
                self.check_len(items.len(), what)?;
                Ok(Json::Array(items))
            }
            Type::Named(name) | Type::NonNullNamed(name) => match self.schema.types.get(name) {
                Some(ExtendedType::Scalar(_)) => coerce_scalar_json(name.as_str(), v, what),
                Some(ExtendedType::Enum(e)) => match v {
                    Json::String(s) if e.values.keys().any(|k| k.as_str() == s) => Ok(v.clone()),
                    _ => Err(format!("{what}: {} is not a value of {name}", short(v))),
                },
                Some(ExtendedType::InputObject(obj)) => {
                    let Json::Object(given) = v else {
                        return Err(format!("{what}: {} is not an object of {name}", short(v)));
                    };
                    if let Some(k) = given.keys().find(|k| !obj.fields.contains_key(k.as_str())) {
                        return Err(format!("{what}: {name} has no field {k}"));
                    }
                    // Members in the order written (executors apply relation inputs in it, as
                    // the reference does), then defaults and missing required members.
                    let mut out = Map::new();
                    for (k, fv) in given {
                        let Some(fdef) = obj.fields.get(k.as_str()) else {
                            continue;
                        };
                        let fwhat = format!("{what}.{k}");
                        out.insert(k.clone(), self.coerce_json(fv, &fdef.ty, &fwhat)?);
                    }
                    for (fname, fdef) in &obj.fields {
                        let fwhat = format!("{what}.{fname}");
                        if given.contains_key(fname.as_str()) {
                            continue;
                        } else if let Some(d) = &fdef.default_value {
                            if let Some(c) = self.coerce_literal(d, &fdef.ty, &fwhat)? {
                                out.insert(fname.to_string(), c);
                            }
                        } else if fdef.ty.is_non_null() {
                            return Err(format!("{fwhat}: required field of {name} is missing"));
                        }
                    }
                    Ok(Json::Object(out))
                }
                _ => Err(format!("{what}: {name} is not an input type")),
            },
        }
    }

    // --- literals ----------------------------------------------------------------------------

    /// Coerces a literal of the document (which may hold variables) to a type. `Ok(None)`:
    /// absent (a variable that was not given).
    fn coerce_literal(
        &self,
        v: &Node<ast::Value>,
        ty: &Type,
        what: &str,
    ) -> Result<Option<Json>, String> {
        if let ast::Value::Variable(var) = v.as_ref() {
            return match self.vars.get(var.as_str()) {
                Some(Json::Null) if ty.is_non_null() => Err(format!(
                    "{what}: variable ${var} is null for non-null type {ty}"
                )),
                Some(val) => Ok(Some(val.clone())),
                None => Ok(None),
            };
        }
        if let ast::Value::Null = v.as_ref() {
            if ty.is_non_null() {
                return Err(format!("{what}: null for non-null type {ty}"));
            }
            return Ok(Some(Json::Null));
        }
        match ty {
            Type::List(inner) | Type::NonNullList(inner) => {
                let items = match v.as_ref() {
                    ast::Value::List(items) => {
                        let mut out = Vec::with_capacity(items.len());
                        for i in items {
                            let c = match self.coerce_literal(i, inner, what)? {
                                Some(c) => c,
                                None if inner.is_non_null() => {
                                    return Err(format!(
                                        "{what}: a list item of non-null type {inner} is absent"
                                    ))
                                }
                                None => Json::Null,
                            };
                            out.push(c);
                        }
                        out
                    }
                    _ => vec![match self.coerce_literal(v, inner, what)? {
                        Some(c) => c,
                        None => return Ok(None),
                    }],
                };
                self.check_len(items.len(), what)?;
                Ok(Some(Json::Array(items)))
            }
            Type::Named(name) | Type::NonNullNamed(name) => match self.schema.types.get(name) {
                Some(ExtendedType::Scalar(_)) => {
                    coerce_scalar_literal(name.as_str(), v, what).map(Some)
                }
                Some(ExtendedType::Enum(e)) => match v.as_ref() {
                    ast::Value::Enum(val) if e.values.contains_key(val) => {
                        Ok(Some(Json::String(val.to_string())))
                    }
                    _ => Err(format!("{what}: {v} is not a value of {name}")),
                },
                Some(ExtendedType::InputObject(obj)) => {
                    let ast::Value::Object(given) = v.as_ref() else {
                        return Err(format!("{what}: {v} is not an object of {name}"));
                    };
                    if let Some((k, _)) = given.iter().find(|(k, _)| !obj.fields.contains_key(k)) {
                        return Err(format!("{what}: {name} has no field {k}"));
                    }
                    // GraphQL's input object field uniqueness; in a `where`, WHERE-4's
                    // duplicate key.
                    let mut seen = HashSet::new();
                    if let Some((k, _)) = given.iter().find(|(k, _)| !seen.insert(k.as_str())) {
                        return Err(format!("{what}: field {k} of {name} is given twice"));
                    }
                    // Members in the order written (executors apply relation inputs in it, as
                    // the reference does), then the members not written, in schema order.
                    let written_names: Vec<&str> = given.iter().map(|(k, _)| k.as_str()).collect();
                    let order = written_names.iter().copied().chain(
                        obj.fields
                            .keys()
                            .map(|k| k.as_str())
                            .filter(|k| !written_names.contains(k)),
                    );
                    let mut out = Map::new();
                    for fname in order {
                        let Some(fdef) = obj.fields.get(fname) else {
                            continue;
                        };
                        let fwhat = format!("{what}.{fname}");
                        let written = given.iter().find(|(k, _)| k == fname).map(|(_, v)| v);
                        let c = match written {
                            Some(fv) => self.coerce_literal(fv, &fdef.ty, &fwhat)?,
                            None => None,
                        };
                        match c {
                            Some(c) => {
                                out.insert(fname.to_string(), c);
                            }
                            None => {
                                if let Some(d) = &fdef.default_value {
                                    if let Some(c) = self.coerce_literal(d, &fdef.ty, &fwhat)? {
                                        out.insert(fname.to_string(), c);
                                    }
                                } else if fdef.ty.is_non_null() {
                                    return Err(format!(
                                        "{fwhat}: required field of {name} is missing"
                                    ));
                                }
                            }
                        }
                    }
                    Ok(Some(Json::Object(out)))
                }
                _ => Err(format!("{what}: {name} is not an input type")),
            },
        }
    }

    fn check_len(&self, len: usize, what: &str) -> Result<(), String> {
        if len > self.max_list {
            Err(format!(
                "{what}: a list of {len} members exceeds the limit of {}",
                self.max_list
            ))
        } else {
            Ok(())
        }
    }

    // --- selections --------------------------------------------------------------------------

    fn skipped(&self, directives: &ast::DirectiveList) -> Result<bool, String> {
        for d in directives.iter() {
            let want = match d.name.as_str() {
                "skip" => true,
                "include" => false,
                _ => continue,
            };
            let cond = match d.specified_argument_by_name("if") {
                Some(v) => match v.as_ref() {
                    ast::Value::Boolean(b) => *b,
                    ast::Value::Variable(var) => match self.vars.get(var.as_str()) {
                        Some(Json::Bool(b)) => *b,
                        _ => return Err(format!("@{}: variable ${var} is not given", d.name)),
                    },
                    _ => return Err(format!("@{}: `if` must be a Boolean", d.name)),
                },
                None => return Err(format!("@{}: `if` is required", d.name)),
            };
            if cond == want {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Groups the fields of a selection set by response key, inlining fragments and applying
    /// `@skip`/`@include` (GraphQL's CollectFields).
    fn collect_fields(
        &self,
        set: &'a SelectionSet,
        groups: &mut Vec<(String, Vec<&'a Node<executable::Field>>)>,
        visited: &mut HashSet<&'a str>,
    ) -> Result<(), String> {
        for sel in &set.selections {
            if self.skipped(sel.directives())? {
                continue;
            }
            match sel {
                Selection::Field(f) => {
                    let key = f.response_key().as_str();
                    match groups.iter_mut().find(|(k, _)| k == key) {
                        Some((_, fs)) => fs.push(f),
                        None => groups.push((key.to_string(), vec![f])),
                    }
                }
                Selection::FragmentSpread(s) => {
                    let name = s.fragment_name.as_str();
                    if !visited.insert(name) {
                        continue;
                    }
                    let Some(frag) = self.document.fragments.get(name) else {
                        return Err(format!("unknown fragment {name}"));
                    };
                    self.collect_fields(&frag.selection_set, groups, visited)?;
                }
                Selection::InlineFragment(i) => {
                    self.collect_fields(&i.selection_set, groups, visited)?;
                }
            }
        }
        Ok(())
    }

    /// Resolves merged selection sets at `depth` (a root field is at depth 1).
    fn collect(
        &mut self,
        sets: &[&'a SelectionSet],
        depth: usize,
    ) -> Result<Vec<SelectedField>, String> {
        let mut groups = Vec::new();
        let mut visited = HashSet::new();
        for set in sets {
            self.collect_fields(set, &mut groups, &mut visited)?;
        }
        if !groups.is_empty() && depth > self.max_depth {
            return Err(format!(
                "selection depth exceeds the limit of {}",
                self.max_depth
            ));
        }
        let root_query = depth == 1
            && sets.first().is_some_and(|s| {
                self.schema
                    .root_operation(OperationType::Query)
                    .is_some_and(|q| *q == s.ty)
            });
        let mut out = Vec::with_capacity(groups.len());
        for (_, fields) in groups {
            let Some(first) = fields.first() else {
                continue;
            };
            self.count += 1;
            if self.count > MAX_RESOLVED_FIELDS {
                return Err(format!(
                    "the selection resolves to more than {MAX_RESOLVED_FIELDS} fields"
                ));
            }
            let args = self.resolve_args(first, root_query)?;
            let subsets: Vec<&'a SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
            let selection = if subsets.iter().all(|s| s.selections.is_empty()) {
                Vec::new()
            } else {
                self.collect(&subsets, depth + 1)?
            };
            out.push(SelectedField {
                alias: first.alias.as_ref().map(|a| a.to_string()),
                name: first.name.to_string(),
                ty: first.definition.ty.inner_named_type().to_string(),
                args,
                selection,
            });
        }
        Ok(out)
    }

    /// The resolved arguments of a field (CTX-5: explicit `null` for a nullable argument is
    /// absent, except root `stage` and `locales`, for which it is an error).
    fn resolve_args(
        &self,
        field: &executable::Field,
        root_query: bool,
    ) -> Result<Map<String, Json>, String> {
        let mut out = Map::new();
        for def in &field.definition.arguments {
            let name = def.name.as_str();
            let what = format!("argument {name} of {}", field.name);
            let written = field
                .arguments
                .iter()
                .find(|a| a.name == def.name)
                .map(|a| &a.value);
            let value = match written {
                Some(v) => self.coerce_literal(v, &def.ty, &what)?,
                None => None,
            };
            match value {
                Some(Json::Null) if root_query && (name == "stage" || name == "locales") => {
                    return Err(format!("{what}: explicit null for a non-null argument"));
                }
                Some(Json::Null) => {}
                Some(v) => {
                    out.insert(name.to_string(), v);
                }
                None => {
                    if let Some(d) = &def.default_value {
                        if let Some(v) = self.coerce_literal(d, &def.ty, &what)? {
                            out.insert(name.to_string(), v);
                        }
                    } else if def.ty.is_non_null() {
                        return Err(format!("{what}: a required argument is absent"));
                    }
                }
            }
        }
        Ok(out)
    }
}

/// A short rendering of a JSON value for a message.
fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        let cut: String = s.chars().take(40).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// Coerces a JSON variable value to a built-in or `DateTime` scalar (DATA-1).
fn coerce_scalar_json(name: &str, v: &Json, what: &str) -> Result<Json, String> {
    let Some(ty) = data_type(name) else {
        return Err(format!("{what}: unknown scalar {name}"));
    };
    match Value::coerce(&ty, v) {
        Ok(Value::String(s)) => Ok(Json::String(s)),
        Ok(_) => Ok(v.clone()),
        Err(e) => Err(format!("{what}: {e}")),
    }
}

/// Coerces a literal of the document to a built-in or `DateTime` scalar (DATA-1): an `Int`
/// is an integer literal in 32 bits, a `Float` a finite number, an `ID` a string or an
/// integer literal (as its decimal string), a `DateTime` an RFC 3339 string.
fn coerce_scalar_literal(name: &str, v: &ast::Value, what: &str) -> Result<Json, String> {
    let refuse = || Err(format!("{what}: {name} cannot represent {v}"));
    let no_nul = |s: &str| -> Result<Json, String> {
        if s.contains('\u{0}') {
            Err(format!("{what}: a string containing U+0000"))
        } else {
            Ok(Json::String(s.to_string()))
        }
    };
    match (name, v) {
        ("Int", ast::Value::Int(i)) => match i.try_to_i32() {
            Ok(n) => Ok(Json::from(n)),
            Err(_) => refuse(),
        },
        ("Float", ast::Value::Int(i)) => match i.try_to_f64() {
            Ok(f) if f.is_finite() => Ok(float_json(f)),
            _ => refuse(),
        },
        ("Float", ast::Value::Float(f)) => match f.try_to_f64() {
            Ok(f) if f.is_finite() => Ok(float_json(f)),
            _ => refuse(),
        },
        ("String", ast::Value::String(s)) => no_nul(s),
        ("ID", ast::Value::String(s)) => no_nul(s),
        ("ID", ast::Value::Int(i)) => Ok(Json::String(i.as_str().to_string())),
        ("Boolean", ast::Value::Boolean(b)) => Ok(Json::Bool(*b)),
        ("DateTime", ast::Value::String(s)) => {
            if parse_datetime(s).is_some() {
                no_nul(s)
            } else {
                Err(format!(
                    "{what}: DateTime cannot represent {v}: not an RFC 3339 date-time"
                ))
            }
        }
        _ => refuse(),
    }
}

fn float_json(f: f64) -> Json {
    let f = if f == 0.0 { 0.0 } else { f };
    serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::model::project::{Field, ReverseField};
    use serde_json::json;

    fn scalar(name: &str, ty: ScalarType, localized: bool, required: bool) -> Field {
        Field {
            api_id: name.into(),
            kind: FieldKind::Scalar(ty),
            localized,
            required,
        }
    }

    fn relation(name: &str, target: usize, list: bool, reverse: Option<&str>) -> Field {
        Field {
            api_id: name.into(),
            kind: FieldKind::Relation {
                target,
                list,
                reverse: reverse.map(str::to_string),
            },
            localized: false,
            required: false,
        }
    }

    /// Author(name, posts ← Post.author), Post(title localized required, body, status Enum,
    /// rating Int, tags [Tag], author Author), Tag(label).
    fn blog() -> Schema {
        Schema {
            stages: vec!["DRAFT".into(), "PUBLISHED".into(), "QA".into()],
            locales: vec!["en".into(), "de".into()],
            models: vec![
                Model {
                    api_id: "Author".into(),
                    plural: "authors".into(),
                    fields: vec![scalar("name", ScalarType::String, false, true)],
                    reverse: vec![ReverseField {
                        api_id: "posts".into(),
                        owner: 1,
                        owner_field: 5,
                    }],
                },
                Model {
                    api_id: "Post".into(),
                    plural: "posts".into(),
                    fields: vec![
                        scalar("title", ScalarType::String, true, true),
                        scalar("body", ScalarType::String, false, false),
                        scalar(
                            "status",
                            ScalarType::Enum(vec!["DRAFTED".into(), "LIVE".into()]),
                            false,
                            false,
                        ),
                        scalar("rating", ScalarType::Int, false, false),
                        relation("tags", 2, true, None),
                        relation("author", 0, false, Some("posts")),
                    ],
                    reverse: vec![],
                },
                Model {
                    api_id: "Tag".into(),
                    plural: "tags".into(),
                    fields: vec![scalar("label", ScalarType::String, false, false)],
                    reverse: vec![],
                },
            ],
        }
    }

    /// One model with a field of every type, localized and not, required and not.
    fn every_type() -> Schema {
        let types = [
            ("s", ScalarType::String),
            ("i", ScalarType::Int),
            ("f", ScalarType::Float),
            ("b", ScalarType::Boolean),
            ("d", ScalarType::DateTime),
            ("e", ScalarType::Enum(vec!["A".into(), "B".into()])),
        ];
        let mut fields = Vec::new();
        for (n, t) in &types {
            fields.push(scalar(n, t.clone(), false, false));
            fields.push(scalar(&format!("{n}Req"), t.clone(), false, true));
            fields.push(scalar(&format!("{n}Loc"), t.clone(), true, false));
        }
        fields.push(relation("one", 0, false, None));
        fields.push(relation("many", 0, true, None));
        Schema {
            stages: vec!["DRAFT".into(), "PUBLISHED".into()],
            locales: vec!["en".into(), "fr_CH".into()],
            models: vec![Model {
                api_id: "Thing".into(),
                plural: "things".into(),
                fields,
                reverse: vec![],
            }],
        }
    }

    fn cs() -> ContentSchema {
        ContentSchema::new(&blog()).unwrap()
    }

    fn ok(q: &str) -> Validated {
        ok_vars(q, None)
    }

    fn ok_vars(q: &str, vars: Option<Json>) -> Validated {
        match cs().validate(q, vars.as_ref(), None) {
            Ok(v) => v,
            Err(e) => panic!("refused {q}: {e:?}"),
        }
    }

    fn refused(q: &str, vars: Option<Json>, op: Option<&str>) -> String {
        match cs().validate(q, vars.as_ref(), op) {
            Ok(v) => panic!("accepted {q}: {:?}", v.fields),
            Err(e) => {
                assert!(!e.is_empty());
                e.join("; ")
            }
        }
    }

    #[test]
    fn a_key_written_twice_in_an_input_object_is_refused() {
        // WHERE-4's duplicate key, at any depth, and in other input objects alike.
        for q in [
            r#"{ posts(where: {title: "x", title: "y"}) { id } }"#,
            r#"{ posts(where: {AND: [{title: "x", title_not: "y", title: "z"}]}) { id } }"#,
        ] {
            assert!(refused(q, None, None).contains("twice"), "{q}");
        }
        ok(r#"{ posts(where: {title: "x", title_not: "y"}) { id } }"#);
    }

    #[test]
    fn sdl_builds_and_validates_for_the_blog_and_every_type() {
        for s in [blog(), every_type()] {
            let sdl = sdl(&s);
            apollo_compiler::Schema::parse_and_validate(&sdl, "s.graphql")
                .unwrap_or_else(|e| panic!("{e}\n{sdl}"));
            ContentSchema::new(&s).unwrap();
        }
    }

    #[test]
    fn sdl_has_the_read_10_surface() {
        let sdl = sdl(&blog());
        for want in [
            "enum Stage {\n  DRAFT\n  PUBLISHED\n  QA\n}",
            "enum Locale {\n  en\n  de\n}",
            "enum PostStatusEnum {\n  DRAFTED\n  LIVE\n}",
            "  title: String!\n",
            "  author(locales: [Locale!]): Author\n",
            "  tags(where: TagWhereInput, orderBy: TagOrderByInput, first: Int, skip: Int, locales: [Locale!]): [Tag!]!",
            "  posts(where: PostWhereInput, orderBy: PostOrderByInput, first: Int, skip: Int, locales: [Locale!]): [Post!]!",
            "  documentInStages(stages: [Stage!]! = [DRAFT, PUBLISHED], includeCurrent: Boolean! = false): [Post!]!",
            "  post(where: PostWhereUniqueInput!, stage: Stage, locales: [Locale!]): Post",
            "  postsConnection(where: PostWhereInput, orderBy: PostOrderByInput, first: Int, skip: Int, stage: Stage, locales: [Locale!]): PostConnection!",
            "  publishPost(where: PostWhereUniqueInput!, to: [Stage!]! = [PUBLISHED]): Post",
            "  unpublishPost(where: PostWhereUniqueInput!, from: [Stage!]! = [PUBLISHED]): Post",
            "input PostWhereUniqueInput {\n  id: ID!\n}",
            "  title_not_ends_with: String\n",
            "  rating_gte: Int\n",
            "  status_in: [PostStatusEnum!]\n",
            "  tags_every: TagWhereInput\n",
            "  author: AuthorWhereInput\n",
            "  posts_none: PostWhereInput\n",
            "  NOT: [PostWhereInput!]\n",
            "  publishedAt_lt: DateTime\n",
            "  id_starts_with: ID\n",
            "  rating_DESC\n",
            "  publishedAt_ASC\n",
            "input PostCreateLocalizationsInput {\n  create: [PostCreateLocalizationInput!]\n}",
            "  delete: [Locale!]\n",
            "type Aggregate {\n  count: Int!\n}",
        ] {
            assert!(sdl.contains(want), "missing {want:?} in\n{sdl}");
        }
        for absent in [
            "node(",
            "pageInfo",
            "last",
            "before",
            "after",
            "upsertPost",
            "deleteMany",
            "updateMany",
            "publishMany",
            "cursor",
            "AuthorCreateLocalizationsInput",
            "stage_",
            "locale_",
            "body_lt",
            "status_contains",
        ] {
            assert!(!sdl.contains(absent), "unexpected {absent:?} in\n{sdl}");
        }
        // Required fields of create data are non-null, of update data nullable.
        let create = sdl.split("input PostCreateInput {").nth(1).unwrap();
        let create = create.split('}').next().unwrap();
        assert!(create.contains("title: String!"));
        assert!(create.contains("localizations: PostCreateLocalizationsInput"));
        let update = sdl.split("input PostUpdateInput {").nth(1).unwrap();
        let update = update.split('}').next().unwrap();
        assert!(update.contains("title: String\n"));
        assert!(update.contains("tags: TagUpdateManyInlineInput"));
    }

    #[test]
    fn valid_queries_are_accepted_and_resolved() {
        let v = ok(r#"
            query Q($first: Int = 5, $st: Stage) {
              list: posts(where: {title_contains: "a", rating_in: 3, AND: {status: LIVE}},
                          orderBy: rating_DESC, first: $first, skip: 0, stage: $st, locales: [de, en]) {
                id title stage locale createdAt publishedAt __typename
                author(locales: en) { name posts(first: 2) { id } }
                tags(where: {label_starts_with: "x"}, orderBy: label_ASC, first: 3, skip: 1) { label }
                documentInStages(includeCurrent: true) { stage }
              }
              post(where: {id: 42}, stage: QA) { ...P }
              postsConnection(where: {author: {name: "n"}}) { aggregate { count } edges { node { id } } }
            }
            fragment P on Post { id title author { id } }
        "#);
        assert_eq!(v.kind, OperationKind::Query);
        assert_eq!(v.name.as_deref(), Some("Q"));
        let keys: Vec<&str> = v.fields.iter().map(SelectedField::key).collect();
        assert_eq!(keys, ["list", "post", "postsConnection"]);
        let list = &v.fields[0];
        assert_eq!(list.name, "posts");
        assert_eq!(list.ty, "Post");
        assert_eq!(
            Json::Object(list.args.clone()),
            json!({
                "where": {"title_contains": "a", "rating_in": [3], "AND": [{"status": "LIVE"}]},
                "orderBy": "rating_DESC", "first": 5, "skip": 0, "locales": ["de", "en"]
            })
        );
        let author = list.selection.iter().find(|f| f.name == "author").unwrap();
        assert_eq!(
            Json::Object(author.args.clone()),
            json!({"locales": ["en"]})
        );
        let dis = list
            .selection
            .iter()
            .find(|f| f.name == "documentInStages")
            .unwrap();
        assert_eq!(
            Json::Object(dis.args.clone()),
            json!({"stages": ["DRAFT", "PUBLISHED"], "includeCurrent": true})
        );
        let post = &v.fields[1];
        assert_eq!(
            Json::Object(post.args.clone()),
            json!({"where": {"id": "42"}, "stage": "QA"})
        );
        let sel: Vec<&str> = post.selection.iter().map(SelectedField::key).collect();
        assert_eq!(sel, ["id", "title", "author"]);
        let conn = &v.fields[2];
        assert_eq!(conn.ty, "PostConnection");
        assert_eq!(conn.selection[0].ty, "Aggregate");
        assert_eq!(conn.selection[1].selection[0].name, "node");
    }

    #[test]
    fn fields_with_one_response_key_are_merged() {
        let v = ok("{ posts { id } posts { title author { id } } ... on Query { posts { author { name } } } }");
        assert_eq!(v.fields.len(), 1);
        let sel: Vec<&str> = v.fields[0]
            .selection
            .iter()
            .map(SelectedField::key)
            .collect();
        assert_eq!(sel, ["id", "title", "author"]);
        let author: Vec<&str> = v.fields[0].selection[2]
            .selection
            .iter()
            .map(SelectedField::key)
            .collect();
        assert_eq!(author, ["id", "name"]);
        // Two aliases of one field with different arguments are independent (CTX-3).
        let v = ok("{ a: posts(first: 1) { id } b: posts(first: 2) { id } }");
        assert_eq!(v.fields.len(), 2);
    }

    #[test]
    fn skip_and_include_apply() {
        let v = ok_vars(
            "query($no: Boolean!) { posts { id @skip(if: true) title @include(if: $no) body } }",
            Some(json!({"no": false})),
        );
        let sel: Vec<&str> = v.fields[0]
            .selection
            .iter()
            .map(SelectedField::key)
            .collect();
        assert_eq!(sel, ["body"]);
    }

    #[test]
    fn mutations_with_localizations_and_relation_inputs() {
        let v = ok(r#"
            mutation {
              createPost(data: {title: "t", rating: 1, status: LIVE,
                                author: {connect: {id: "a1"}}, tags: {connect: [{id: "t1"}, {id: "t2"}]},
                                localizations: {create: [{locale: de, data: {title: "d"}}]}}) { id }
              updatePost(where: {id: "p"}, data: {tags: {set: {id: "t3"}}, author: {disconnect: true},
                         localizations: {update: [{locale: de, data: {title: "x"}}], delete: de,
                                         upsert: [{locale: de, create: {title: "c"}, update: {}}]}}) { id }
              updateAuthor(where: {id: "a"}, data: {posts: {connect: [{id: "p"}]}}) { id }
              deletePost(where: {id: "p"}) { id }
              publishPost(where: {id: "p"}) { id }
              unpublishPost(where: {id: "p"}, from: [QA, PUBLISHED]) { id }
            }
        "#);
        assert_eq!(v.kind, OperationKind::Mutation);
        assert_eq!(
            Json::Object(v.fields[0].args.clone()),
            json!({"data": {"title": "t", "rating": 1, "status": "LIVE",
                "author": {"connect": {"id": "a1"}},
                "tags": {"connect": [{"id": "t1"}, {"id": "t2"}]},
                "localizations": {"create": [{"locale": "de", "data": {"title": "d"}}]}}})
        );
        assert_eq!(
            v.fields[1].args["data"]["tags"],
            json!({"set": [{"id": "t3"}]})
        );
        assert_eq!(
            v.fields[1].args["data"]["localizations"]["delete"],
            json!(["de"])
        );
        assert_eq!(v.fields[4].args["to"], json!(["PUBLISHED"]));
        assert_eq!(v.fields[5].args["from"], json!(["QA", "PUBLISHED"]));
    }

    #[test]
    fn variables_are_coerced_by_data_1() {
        let q = "query($w: PostWhereInput, $n: Int, $d: DateTime!, $ids: [ID!]) {
            posts(where: {AND: [$w], createdAt_gt: $d, id_in: $ids}, first: $n) { id } }";
        let v = ok_vars(
            q,
            Some(
                json!({"w": {"status": "LIVE", "NOT": {"title": null}}, "n": 3,
                        "d": "2024-01-01T10:00:00+02:00", "ids": 7, "extra": "ignored"}),
            ),
        );
        assert_eq!(
            Json::Object(v.fields[0].args.clone()),
            json!({"where": {"AND": [{"status": "LIVE", "NOT": [{"title": null}]}],
                             "createdAt_gt": "2024-01-01T10:00:00+02:00", "id_in": ["7"]},
                   "first": 3})
        );
        for bad in [
            json!({"d": "2024-01-01T10:00:00", "n": 1}),
            json!({"d": "2024-01-01T10:00:00Z", "n": 1.0}),
            json!({"d": "2024-01-01T10:00:00Z", "n": 2147483648_i64}),
            json!({"d": "2024-01-01T10:00:00Z", "w": {"status": "live"}}),
            json!({"d": "2024-01-01T10:00:00Z", "w": {"nope": 1}}),
            json!({"d": "2024-01-01T10:00:00Z", "n": "1"}),
            json!({"n": 1}),
        ] {
            refused(q, Some(bad), None);
        }
        // An absent nullable variable leaves its argument absent.
        let v = ok_vars(
            "query($n: Int) { posts(first: $n) { id } }",
            Some(json!({})),
        );
        assert!(v.fields[0].args.is_empty());
    }

    #[test]
    fn literals_are_coerced_by_data_1() {
        refused("{ posts(first: 1.0) { id } }", None, None);
        refused("{ posts(first: 1e2) { id } }", None, None);
        refused("{ posts(first: 2147483648) { id } }", None, None);
        refused(
            r#"{ posts(where: {createdAt: "2024-01-01"}) { id } }"#,
            None,
            None,
        );
        refused(
            r#"{ posts(where: {title: "a\u0000b"}) { id } }"#,
            None,
            None,
        );
        refused("{ posts(where: {rating_gt: 1.5}) { id } }", None, None);
        let v = ok("{ posts(where: {createdAt_lt: \"2024-01-01T00:00:00Z\"}, first: 3) { id } }");
        assert_eq!(v.fields[0].args["first"], json!(3));
        let big = (0..1001)
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(",");
        refused(
            &format!("{{ posts(where: {{id_in: [{big}]}}) {{ id }} }}"),
            None,
            None,
        );
    }

    #[test]
    fn the_documents_errors_are_refused_with_a_message() {
        let cases = [
            "{ posts { nope } }",
            "{ posts(last: 1) { id } }",
            "{ postsConnection { pageInfo { hasNextPage } } }",
            "{ node(id: \"x\") { id } }",
            "{ posts(stage: draft) { id } }",
            "{ posts(locales: [DE]) { id } }",
            "{ posts(orderBy: nope_ASC) { id } }",
            "{ posts(first: \"x\") { id } }",
            "{ post { id } }",
            "{ post(where: {}) { id } }",
            "{ post(where: {id: \"a\", title: \"b\"}) { id } }",
            "{ post(where: null) { id } }",
            "mutation { createPost(data: {body: \"b\"}) { id } }",
            "mutation { createPost(data: {title: \"t\", createdAt: \"2024-01-01T00:00:00Z\"}) { id } }",
            "mutation { createAuthor(data: {name: \"n\", localizations: {create: []}}) { id } }",
            "mutation { publishPost(where: {id: \"p\"}, to: null) { id } }",
            "mutation { publishPost(where: {id: \"p\"}, locales: [en]) { id } }",
            "mutation { upsertPost(where: {id: \"p\"}) { id } }",
            "mutation { deleteManyPosts { count } }",
            "{ posts { id: title id } }",
            "{ a: posts(first: 1) { id } a: posts(first: 2) { id } }",
            "{ posts { id ",
            "{ posts { id } } fragment F on Post { id }",
            "query($x: Int) { posts { id } }",
            "{ posts(first: $undefined) { id } }",
            "{ posts { documentInStages(stages: null) { id } } }",
            "{ posts { id(x: 1) } }",
        ];
        for q in cases {
            refused(q, None, None);
        }
        for (q, want) in [
            ("{ posts { nope } }", "does not have a field `nope`"),
            ("{ posts(last: 1) { id } }", "`last`"),
            (
                "{ postsConnection { pageInfo { hasNextPage } } }",
                "`pageInfo`",
            ),
            ("{ posts(stage: draft) { id } }", "`draft`"),
            ("{ posts(first: \"x\") { id } }", "Int"),
            ("{ posts(first: 1.0) { id } }", "Int"),
            ("{ post { id } }", "where"),
            (
                "mutation { createPost(data: {body: \"b\"}) { id } }",
                "title",
            ),
            ("{ posts(first: $undefined) { id } }", "$undefined"),
        ] {
            let msg = refused(q, None, None);
            assert!(msg.contains(want), "{q}: {msg}");
        }
    }

    #[test]
    fn selection_depth_is_at_most_ten() {
        // posts(1) author(2) posts(3) author(4) … ten levels, the tenth a leaf.
        let nest = |levels: usize| {
            let mut q = String::from("id");
            for l in (1..levels).rev() {
                let f = if l == 1 {
                    "posts"
                } else if l % 2 == 0 {
                    "author"
                } else {
                    "posts"
                };
                q = format!("{f} {{ {q} }}");
            }
            format!("{{ {q} }}")
        };
        ok(&nest(10));
        let msg = refused(&nest(11), None, None);
        assert!(msg.contains("depth"), "{msg}");
        // The knob moves the limit.
        let profile = Profile {
            max_selection_depth: 11,
            ..Profile::default()
        };
        let wide = ContentSchema::new(&blog()).unwrap().with_limits(&profile);
        wide.validate(&nest(11), None, None).unwrap();
        assert!(wide.validate(&nest(12), None, None).is_err());
        // Fragments add no depth.
        let q = "{ posts { ...A } } fragment A on Post { author { ...B } } fragment B on Author { posts { author { posts { author { posts { author { posts { id } } } } } } } }";
        ok(q);
    }

    #[test]
    fn operation_choice_follows_err_3() {
        let two = "query A { posts { id } } query B { authors { id } }";
        refused(two, None, None);
        let v = cs().validate(two, None, Some("B")).unwrap();
        assert_eq!(v.fields[0].name, "authors");
        refused(two, None, Some("C"));
        refused("{ posts { id } }", None, Some("X"));
        let one = cs()
            .validate("query X { posts { id } }", None, Some("X"))
            .unwrap();
        assert_eq!(one.name.as_deref(), Some("X"));
        let msg = refused("subscription { posts { id } }", None, None);
        assert!(msg.contains("subscription"), "{msg}");
        refused(
            "query A { posts { id } } subscription S { posts { id } }",
            None,
            Some("A"),
        );
        refused("{ posts { id } }", Some(json!([1])), None);
    }

    #[test]
    fn root_stage_and_locales_absent_accepted_explicit_null_refused() {
        let v = ok("{ posts { id } post(where: {id: \"x\"}) { id } }");
        assert!(v.fields[0].args.is_empty());
        assert_eq!(v.fields[1].args.len(), 1);
        refused("{ posts(stage: null) { id } }", None, None);
        refused("{ posts(locales: null) { id } }", None, None);
        refused(
            "{ post(where: {id: \"x\"}, stage: null) { id } }",
            None,
            None,
        );
        let q = "query($s: Stage, $l: [Locale!]) { posts(stage: $s, locales: $l) { id } }";
        let v = ok_vars(q, Some(json!({})));
        assert!(v.fields[0].args.is_empty());
        refused(q, Some(json!({"s": null})), None);
        refused(q, Some(json!({"l": null})), None);
        let v = ok_vars(q, Some(json!({"s": "QA", "l": "de"})));
        assert_eq!(
            Json::Object(v.fields[0].args.clone()),
            json!({"stage": "QA", "locales": ["de"]})
        );
        // Other nullable arguments: explicit null means absent (CTX-5).
        let v = ok(
            "{ posts(where: null, first: null, orderBy: null) { author(locales: null) { id } } }",
        );
        assert!(v.fields[0].args.is_empty());
        assert!(v.fields[0].selection[0].args.is_empty());
        // A non-null argument with a default given null through a variable is refused.
        refused(
            "mutation($t: [Stage!]) { publishPost(where: {id: \"p\"}, to: $t) { id } }",
            Some(json!({"t": null})),
            None,
        );
    }

    #[test]
    fn conflicting_response_keys_are_refused_by_field_merging() {
        // CTX-3 through apollo-compiler's FieldsInSetCanMerge.
        for q in [
            "{ a: posts(first: 1) { id } a: posts(first: 2) { id } }",
            "{ posts { id: title id } }",
            "{ posts { x: title } ...F } fragment F on Query { posts { x: body } }",
        ] {
            let msg = refused(q, None, None);
            assert!(msg.contains("same"), "{q}: {msg}");
        }
    }

    #[test]
    fn a_long_fragment_chain_is_answered() {
        let mut q = String::from("{ posts { ...F0 } }\n");
        for i in 0..2000 {
            q.push_str(&format!("fragment F{i} on Post {{ id ...F{} }}\n", i + 1));
        }
        q.push_str("fragment F2000 on Post { id }\n");
        let _ = cs().validate(&q, None, None);
    }

    #[test]
    fn every_type_schema_accepts_its_operators() {
        let s = ContentSchema::new(&every_type()).unwrap();
        let q = r#"mutation { createThing(data: {sReq: "s", iReq: 1, fReq: 1, bReq: true,
            dReq: "2024-01-01T00:00:00Z", eReq: A, localizations: {create: {locale: fr_CH, data: {sLoc: "x"}}}}) { id } }"#;
        s.validate(q, None, None).unwrap();
        let q = r#"{ things(where: {f_gte: 1, b_not: true, e_not_in: [B], d_lte: "2024-01-01T00:00:00Z",
            sLoc_not_contains: "x", one: {id: "x"}, many_some: {iLoc_lt: 3}}) { fReq f one { id } many { id } } }"#;
        s.validate(q, None, None).unwrap();
        let r = s.validate(
            r#"mutation { createThing(data: {sReq: "s"}) { id } }"#,
            None,
            None,
        );
        assert!(r.is_err());
        let r = s.validate("{ things(where: {b_in: [true]}) { id } }", None, None);
        assert!(r.is_err());
    }
}
