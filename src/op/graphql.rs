//! Decoding a GraphQL request (document text, variables, `operationName`) into the structured
//! [`Request`](crate::op::Request) fields: the operation type and its root selections, with
//! variables substituted, fragments inlined, `@include`/`@skip` applied and enum values as
//! strings.
//!
//! The document is parsed with `apollo-parser` under a recursion limit of [`MAX_NESTING`], so
//! deep nesting is a syntax error rather than a stack overflow; any error it reports is the
//! decoding's error. Its lossless tree keeps input-object fields in written order, duplicates
//! included. The tree is lowered into a small owned form (names, values, selections as written),
//! which the rest of the module checks and converts. Every `Err` is a 400 message (ERR-1 step 5);
//! nothing here panics.
//!
//! What is checked here, over the whole document as GraphQL validation does: that it holds only
//! operations and fragments, duplicate argument names and input-object keys, duplicate operation
//! and fragment names, a lone anonymous operation, unknown fragments and fragment cycles, unknown
//! or misplaced directives and the `if` of `@include`/`@skip`; for the chosen operation: that it
//! exists and is not a subscription (ERR-3), that its variables are declared once and every
//! variable it uses (through its fragments too, even under `@skip`) is declared, and that every
//! non-null variable has a non-null value or a default. What is not: field and argument names,
//! type conditions, value types (the reference coerces them), response-key merging (CTX-3:
//! duplicate keys stay separate [`Selection`]s in document order) and selection or `where` depth
//! (LIMIT-1, checked by the caller).

use std::collections::{HashMap, HashSet};

use apollo_parser::{cst, Parser};
use serde_json::{Map, Value as Json};

use crate::op::{OperationType, Selection};

/// The parser's recursion limit: about the deepest nesting of selection sets, list values and
/// input-object fields together (each is one level) that parses; deeper is a syntax error.
///
/// Far above LIMIT-1's selection depth 10 and `where` depth 32 (an `AND: [{…}]` level is two),
/// and low enough that parsing and lowering stay well within a 2 MiB thread stack.
pub const MAX_NESTING: usize = 256;

/// The deepest recursion accepted while inlining fragments (each field, spread or inline
/// fragment is one level): [`MAX_NESTING`], which every selection nested in the text alone
/// fits; named spreads nest the recursion too, not the text.
const MAX_INLINE_DEPTH: usize = MAX_NESTING;

/// The most selections the decoded operation may have after inlining (fragment blow-up guard).
const MAX_SELECTIONS: usize = 100_000;

/// The decoded operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Query or mutation.
    pub operation: OperationType,
    /// Root fields in document order.
    pub fields: Vec<Selection>,
}

/// Decodes a GraphQL request. An `Err` is a 400 message (ERR-1 step 5).
///
/// `variables` must be a JSON object, `null` or absent; values of undeclared variables are
/// ignored (ERR-3). A declared variable without a value takes its default, else is an error when
/// its type is non-null, else makes the argument that uses it absent (CTX-5).
pub fn decode(
    query: &str,
    variables: Option<&serde_json::Value>,
    operation_name: Option<&str>,
) -> Result<Decoded, String> {
    let tree = Parser::new(query).recursion_limit(MAX_NESTING).parse();
    if let Some(e) = tree.errors().next() {
        return Err(syntax_error(query, e));
    }
    let defs = lower::document(&tree.document())?;

    let mut ops: Vec<(&OpDef, Unit<'_>)> = Vec::new();
    let mut fragments: HashMap<&str, &FragDef> = HashMap::new();
    let mut frag_units: HashMap<&str, Unit<'_>> = HashMap::new();
    for def in &defs {
        match def {
            Def::Op(op) => {
                let mut unit = Unit::default();
                for v in &op.vars {
                    if let Some(d) = &v.default {
                        collect_vars(d, &mut unit);
                    }
                }
                if let Some(d) = op.directives.first() {
                    return Err(format!(
                        "Directive \"@{}\" may not be used on an operation",
                        d.name
                    ));
                }
                check_set(&op.set, &mut unit)?;
                ops.push((op, unit));
            }
            Def::Frag(f) => {
                if let Some(d) = f.directives.first() {
                    return Err(format!(
                        "Directive \"@{}\" may not be used on a fragment definition",
                        d.name
                    ));
                }
                let mut unit = Unit::default();
                check_set(&f.set, &mut unit)?;
                if fragments.insert(&f.name, f).is_some() {
                    return Err(format!(
                        "There can be only one fragment named \"{}\"",
                        f.name
                    ));
                }
                frag_units.insert(&f.name, unit);
            }
        }
    }
    for unit in ops.iter().map(|(_, u)| u).chain(frag_units.values()) {
        if let Some(name) = unit.spreads.iter().find(|s| !fragments.contains_key(*s)) {
            return Err(format!("Unknown fragment \"{name}\""));
        }
    }
    check_cycles(&frag_units)?;

    let (op, unit) = choose(&ops, operation_name)?;
    let operation = match op.kind {
        Kind::Query => OperationType::Query,
        Kind::Mutation => OperationType::Mutation,
        Kind::Subscription => return Err("subscriptions are not supported".into()),
    };
    check_defined(op, unit, &frag_units)?;

    let mut cx = Cx {
        fragments,
        vars: HashMap::new(),
        count: 0,
    };
    cx.vars = bind(&cx, &op.vars, variables)?;
    let mut fields = Vec::new();
    cx.selection_set(&op.set, 0, &mut fields, &mut Vec::new())?;
    Ok(Decoded { operation, fields })
}

/// A parser error as `syntax error at line:column: message`, with the offending token.
fn syntax_error(text: &str, e: &apollo_parser::Error) -> String {
    let (line, column) = position(text, e.index());
    let found = if e.is_eof() {
        " (found the end of the document)".to_string()
    } else if e.data().is_empty() {
        String::new()
    } else {
        format!(" (found {:?})", e.data())
    };
    format!("syntax error at {line}:{column}: {}{found}", e.message())
}

/// The 1-based line and column (in characters) of a byte offset; `\n`, `\r\n` and `\r` end a
/// line.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let (mut line, mut column) = (1, 1);
    let mut after_cr = false;
    for (_, c) in text.char_indices().take_while(|(i, _)| *i < offset) {
        match c {
            '\n' if after_cr => {}
            '\n' | '\r' => {
                line += 1;
                column = 1;
            }
            _ => column += 1,
        }
        after_cr = c == '\r';
    }
    (line, column)
}

/// The first name that occurs twice.
fn first_duplicate<'s>(names: impl IntoIterator<Item = &'s str>) -> Option<&'s str> {
    let mut seen = HashSet::new();
    names.into_iter().find(|n| !seen.insert(*n))
}

/// An executable definition, lowered.
enum Def {
    Op(OpDef),
    Frag(FragDef),
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Query,
    Mutation,
    Subscription,
}

/// One operation definition, whatever its kind (the shorthand `{ … }` is an anonymous query).
struct OpDef {
    kind: Kind,
    name: Option<String>,
    vars: Vec<VarDef>,
    directives: Vec<Directive>,
    set: Vec<Sel>,
}

/// A fragment definition (its type condition is not needed).
struct FragDef {
    name: String,
    directives: Vec<Directive>,
    set: Vec<Sel>,
}

/// A variable definition.
struct VarDef {
    name: String,
    ty: Type,
    default: Option<Val>,
}

/// A type as written.
enum Type {
    Named(String),
    List(Box<Type>),
    NonNull(Box<Type>),
}

/// A directive and its arguments in written order.
struct Directive {
    name: String,
    args: Vec<(String, Val)>,
}

/// One selection; a leaf field has an empty `set`.
enum Sel {
    Field {
        alias: Option<String>,
        name: String,
        args: Vec<(String, Val)>,
        directives: Vec<Directive>,
        set: Vec<Sel>,
    },
    Spread {
        name: String,
        directives: Vec<Directive>,
    },
    Inline {
        directives: Vec<Directive>,
        set: Vec<Sel>,
    },
}

/// A value as written; an object keeps its fields in written order (keys are unique, checked
/// while lowering).
enum Val {
    Var(String),
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
    Enum(String),
    List(Vec<Val>),
    Obj(Vec<(String, Val)>),
}

/// From `apollo-parser`'s tree to the owned form. The tree is error-free (checked first), so a
/// missing part cannot occur; it is still an `Err`, never a panic.
mod lower {
    use super::{
        cst, first_duplicate, Def, Directive, FragDef, Kind, OpDef, Sel, Type, Val, VarDef,
    };

    /// For a part an error-free tree always has.
    fn missing(what: &str) -> String {
        format!("syntax error: {what} missing")
    }

    fn name(n: Option<cst::Name>) -> Result<String, String> {
        n.map(|n| n.text().to_string())
            .ok_or_else(|| missing("a name"))
    }

    /// The definitions in document order; a type-system definition is refused.
    pub(super) fn document(doc: &cst::Document) -> Result<Vec<Def>, String> {
        doc.definitions()
            .map(|d| match d {
                cst::Definition::OperationDefinition(o) => operation(&o).map(Def::Op),
                cst::Definition::FragmentDefinition(f) => Ok(Def::Frag(FragDef {
                    name: name(f.fragment_name().and_then(|n| n.name()))?,
                    directives: directives(f.directives())?,
                    set: selection_set(f.selection_set())?,
                })),
                other => Err(format!(
                    "the document contains a {}: only operations and fragments are executable",
                    other.kind()
                )),
            })
            .collect()
    }

    fn operation(o: &cst::OperationDefinition) -> Result<OpDef, String> {
        let kind = match o.operation_type() {
            None => Kind::Query,
            Some(t) if t.query_token().is_some() => Kind::Query,
            Some(t) if t.mutation_token().is_some() => Kind::Mutation,
            Some(t) if t.subscription_token().is_some() => Kind::Subscription,
            Some(_) => return Err(missing("the operation type")),
        };
        let mut vars = Vec::new();
        for v in o
            .variable_definitions()
            .iter()
            .flat_map(|vs| vs.variable_definitions())
        {
            if let Some(d) = directives(v.directives())?.first() {
                return Err(format!(
                    "Directive \"@{}\" may not be used on a variable definition",
                    d.name
                ));
            }
            vars.push(VarDef {
                name: name(v.variable().and_then(|v| v.name()))?,
                ty: ty(v.ty())?,
                default: v.default_value().map(|d| value(d.value())).transpose()?,
            });
        }
        Ok(OpDef {
            kind,
            name: o.name().map(|n| n.text().to_string()),
            vars,
            directives: directives(o.directives())?,
            set: selection_set(o.selection_set())?,
        })
    }

    fn ty(t: Option<cst::Type>) -> Result<Type, String> {
        Ok(match t.ok_or_else(|| missing("a type"))? {
            cst::Type::NamedType(n) => Type::Named(name(n.name())?),
            cst::Type::ListType(l) => Type::List(Box::new(ty(l.ty())?)),
            cst::Type::NonNullType(n) => {
                Type::NonNull(Box::new(match (n.named_type(), n.list_type()) {
                    (Some(named), _) => Type::Named(name(named.name())?),
                    (None, Some(list)) => Type::List(Box::new(ty(list.ty())?)),
                    (None, None) => return Err(missing("a type")),
                }))
            }
        })
    }

    fn arguments(a: Option<cst::Arguments>) -> Result<Vec<(String, Val)>, String> {
        a.iter()
            .flat_map(|a| a.arguments())
            .map(|a| Ok((name(a.name())?, value(a.value())?)))
            .collect()
    }

    fn directives(d: Option<cst::Directives>) -> Result<Vec<Directive>, String> {
        d.iter()
            .flat_map(|d| d.directives())
            .map(|d| {
                Ok(Directive {
                    name: name(d.name())?,
                    args: arguments(d.arguments())?,
                })
            })
            .collect()
    }

    /// A selection set; an absent one (a leaf field) is empty. Plain loops, not iterator
    /// chains: this recursion is as deep as the text nests, and loops keep its frames small.
    fn selection_set(s: Option<cst::SelectionSet>) -> Result<Vec<Sel>, String> {
        let mut out = Vec::new();
        let Some(s) = s else {
            return Ok(out);
        };
        for sel in s.selections() {
            out.push(match sel {
                cst::Selection::Field(f) => field(&f)?,
                cst::Selection::FragmentSpread(s) => Sel::Spread {
                    name: name(s.fragment_name().and_then(|n| n.name()))?,
                    directives: directives(s.directives())?,
                },
                cst::Selection::InlineFragment(i) => Sel::Inline {
                    directives: directives(i.directives())?,
                    set: selection_set(i.selection_set())?,
                },
            });
        }
        Ok(out)
    }

    fn field(f: &cst::Field) -> Result<Sel, String> {
        Ok(Sel::Field {
            alias: match f.alias() {
                Some(a) => Some(name(a.name())?),
                None => None,
            },
            name: name(f.name())?,
            args: arguments(f.arguments())?,
            directives: directives(f.directives())?,
            set: selection_set(f.selection_set())?,
        })
    }

    /// A value (plain loops, as for selection sets). An object's keys are checked for
    /// duplicates before its values are lowered, so the first duplicate in document order is
    /// the one reported.
    fn value(v: Option<cst::Value>) -> Result<Val, String> {
        Ok(match v.ok_or_else(|| missing("a value"))? {
            cst::Value::ListValue(l) => {
                let mut items = Vec::new();
                for v in l.values() {
                    items.push(value(Some(v))?);
                }
                Val::List(items)
            }
            cst::Value::ObjectValue(o) => {
                let mut keys = Vec::new();
                for f in o.object_fields() {
                    keys.push((name(f.name())?, f.value()));
                }
                if let Some(dup) = first_duplicate(keys.iter().map(|(k, _)| k.as_str())) {
                    return Err(format!("There can be only one input field named \"{dup}\""));
                }
                let mut fields = Vec::new();
                for (k, v) in keys {
                    fields.push((k, value(v)?));
                }
                Val::Obj(fields)
            }
            other => scalar(other)?,
        })
    }

    /// A value that is neither a list nor an object.
    fn scalar(v: cst::Value) -> Result<Val, String> {
        Ok(match v {
            cst::Value::Variable(x) => Val::Var(name(x.name())?),
            cst::Value::StringValue(s) => Val::Str(String::from(&s)),
            cst::Value::FloatValue(f) => {
                let text = f.float_token().ok_or_else(|| missing("a number"))?;
                Val::Float(
                    text.text()
                        .parse()
                        .map_err(|_| format!("Float {} cannot be read", text.text()))?,
                )
            }
            cst::Value::IntValue(i) => {
                let text = i.int_token().ok_or_else(|| missing("a number"))?;
                Val::Int(
                    text.text()
                        .parse()
                        .map_err(|_| format!("Int {} out of range", text.text()))?,
                )
            }
            cst::Value::BooleanValue(b) => Val::Bool(b.true_token().is_some()),
            cst::Value::NullValue(_) => Val::Null,
            cst::Value::EnumValue(e) => Val::Enum(name(e.name())?),
            cst::Value::ListValue(_) | cst::Value::ObjectValue(_) => {
                return Err(missing("a scalar"))
            }
        })
    }
}

/// What one operation or fragment definition uses directly.
#[derive(Default)]
struct Unit<'a> {
    /// Fragment names spread.
    spreads: Vec<&'a str>,
    /// Variable names used (arguments and directive arguments).
    vars: Vec<&'a str>,
}

/// The whole-document checks of a selection set; collects what it uses into `unit`.
fn check_set<'a>(set: &'a [Sel], unit: &mut Unit<'a>) -> Result<(), String> {
    for item in set {
        match item {
            Sel::Field {
                args,
                directives,
                set,
                ..
            } => {
                if let Some(dup) = first_duplicate(args.iter().map(|(k, _)| k.as_str())) {
                    return Err(format!("There can be only one argument named \"{dup}\""));
                }
                for (_, v) in args {
                    collect_vars(v, unit);
                }
                check_directives(directives, unit)?;
                check_set(set, unit)?;
            }
            Sel::Spread { name, directives } => {
                check_directives(directives, unit)?;
                unit.spreads.push(name);
            }
            Sel::Inline { directives, set } => {
                check_directives(directives, unit)?;
                check_set(set, unit)?;
            }
        }
    }
    Ok(())
}

/// The variables a value uses.
fn collect_vars<'a>(v: &'a Val, unit: &mut Unit<'a>) {
    match v {
        Val::Var(name) => unit.vars.push(name),
        Val::List(items) => {
            for item in items {
                collect_vars(item, unit);
            }
        }
        Val::Obj(fields) => {
            for (_, v) in fields {
                collect_vars(v, unit);
            }
        }
        _ => {}
    }
}

/// Only `@include(if:)` and `@skip(if:)`, each at most once, with a Boolean or a variable.
fn check_directives<'a>(dirs: &'a [Directive], unit: &mut Unit<'a>) -> Result<(), String> {
    if let Some(dup) = first_duplicate(dirs.iter().map(|d| d.name.as_str())) {
        return Err(format!(
            "The directive \"@{dup}\" can only be used once at this location"
        ));
    }
    for d in dirs {
        if d.name != "include" && d.name != "skip" {
            return Err(format!("Unknown directive \"@{}\"", d.name));
        }
        if let Some(dup) = first_duplicate(d.args.iter().map(|(k, _)| k.as_str())) {
            return Err(format!("There can be only one argument named \"{dup}\""));
        }
        if let Some((k, _)) = d.args.iter().find(|(k, _)| k.as_str() != "if") {
            return Err(format!(
                "Unknown argument \"{k}\" on directive \"@{}\"",
                d.name
            ));
        }
        match d.args.first() {
            Some((_, Val::Bool(_))) => {}
            Some((_, Val::Var(name))) => unit.vars.push(name),
            Some(_) => {
                return Err(format!(
                    "Argument \"if\" of directive \"@{}\" must be a Boolean",
                    d.name
                ))
            }
            None => {
                return Err(format!(
                    "Directive \"@{}\" argument \"if\" of type Boolean! is required",
                    d.name
                ))
            }
        }
    }
    Ok(())
}

/// Refuses a fragment that spreads itself, directly or not (iterative, no deep recursion).
fn check_cycles(units: &HashMap<&str, Unit<'_>>) -> Result<(), String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    for &start in units.keys() {
        if marks.contains_key(start) {
            continue;
        }
        marks.insert(start, Mark::Open);
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        while let Some((name, next)) = stack.last_mut() {
            let spread = units.get(*name).and_then(|u| u.spreads.get(*next)).copied();
            *next += 1;
            match spread {
                Some(s) => match marks.get(s) {
                    Some(Mark::Open) => {
                        return Err(format!("Cannot spread fragment \"{s}\" within itself"))
                    }
                    Some(Mark::Done) => {}
                    None => {
                        marks.insert(s, Mark::Open);
                        stack.push((s, 0));
                    }
                },
                None => {
                    marks.insert(name, Mark::Done);
                    stack.pop();
                }
            }
        }
    }
    Ok(())
}

/// Picks the operation (ERR-3): by name when given, else the only one.
fn choose<'o, 'a>(
    ops: &'o [(&'a OpDef, Unit<'a>)],
    name: Option<&str>,
) -> Result<&'o (&'a OpDef, Unit<'a>), String> {
    if ops.is_empty() {
        return Err("the document contains no operation".into());
    }
    if ops.len() > 1 && ops.iter().any(|(o, _)| o.name.is_none()) {
        return Err("This anonymous operation must be the only defined operation".into());
    }
    if let Some(dup) = first_duplicate(ops.iter().filter_map(|(o, _)| o.name.as_deref())) {
        return Err(format!("There can be only one operation named \"{dup}\""));
    }
    match name {
        Some(n) => ops
            .iter()
            .find(|(o, _)| o.name.as_deref() == Some(n))
            .ok_or_else(|| format!("Unknown operation named \"{n}\"")),
        None => match ops {
            [one] => Ok(one),
            _ => Err("Must provide operation name if query contains multiple operations".into()),
        },
    }
}

/// Every variable the operation uses, through its fragments too, is declared (once).
fn check_defined(
    op: &OpDef,
    unit: &Unit<'_>,
    frag_units: &HashMap<&str, Unit<'_>>,
) -> Result<(), String> {
    if let Some(dup) = first_duplicate(op.vars.iter().map(|v| v.name.as_str())) {
        return Err(format!("There can be only one variable named \"${dup}\""));
    }
    let declared: HashSet<&str> = op.vars.iter().map(|v| v.name.as_str()).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut todo: Vec<&Unit<'_>> = vec![unit];
    while let Some(u) = todo.pop() {
        if let Some(v) = u.vars.iter().find(|v| !declared.contains(*v)) {
            return Err(format!("Variable \"${v}\" is not defined"));
        }
        for s in &u.spreads {
            if seen.insert(s) {
                todo.extend(frag_units.get(s));
            }
        }
    }
    Ok(())
}

/// A type as written (`[ID!]!`).
fn type_name(t: &Type) -> String {
    match t {
        Type::Named(n) => n.clone(),
        Type::List(inner) => format!("[{}]", type_name(inner)),
        Type::NonNull(inner) => format!("{}!", type_name(inner)),
    }
}

/// The declared variables' values: `Some(json)`, or `None` for an absent one.
fn bind<'a>(
    cx: &Cx<'a>,
    defs: &'a [VarDef],
    variables: Option<&Json>,
) -> Result<HashMap<&'a str, Option<Json>>, String> {
    let given = match variables {
        None | Some(Json::Null) => None,
        Some(Json::Object(m)) => Some(m),
        Some(_) => return Err("variables must be a JSON object".into()),
    };
    let mut out = HashMap::new();
    for def in defs {
        let non_null = matches!(def.ty, Type::NonNull(_));
        let value = match given.and_then(|m| m.get(&def.name)) {
            Some(Json::Null) if non_null => {
                return Err(format!(
                    "variable ${} of type {} must not be null",
                    def.name,
                    type_name(&def.ty)
                ))
            }
            Some(v) => Some(v.clone()),
            None => match &def.default {
                Some(d) => cx.value(d)?,
                None if non_null => {
                    return Err(format!(
                        "variable ${} of type {} was not provided",
                        def.name,
                        type_name(&def.ty)
                    ))
                }
                None => None,
            },
        };
        out.insert(def.name.as_str(), value);
    }
    Ok(out)
}

/// The conversion of the chosen operation.
struct Cx<'a> {
    fragments: HashMap<&'a str, &'a FragDef>,
    /// Declared variables: `None` is absent.
    vars: HashMap<&'a str, Option<Json>>,
    /// Selections produced so far.
    count: usize,
}

impl<'a> Cx<'a> {
    fn selection_set(
        &mut self,
        set: &'a [Sel],
        depth: usize,
        out: &mut Vec<Selection>,
        active: &mut Vec<&'a str>,
    ) -> Result<(), String> {
        if depth > MAX_INLINE_DEPTH {
            return Err(format!(
                "the selection nests deeper than {MAX_INLINE_DEPTH} levels"
            ));
        }
        for item in set {
            match item {
                Sel::Field {
                    alias,
                    name,
                    args,
                    directives,
                    set,
                } => {
                    if !self.included(directives)? {
                        continue;
                    }
                    self.count += 1;
                    if self.count > MAX_SELECTIONS {
                        return Err(format!(
                            "the operation has more than {MAX_SELECTIONS} selections"
                        ));
                    }
                    let mut json_args = Map::new();
                    for (k, v) in args {
                        if let Some(j) = self.value(v)? {
                            json_args.insert(k.clone(), j);
                        }
                    }
                    let mut selection = Vec::new();
                    self.selection_set(set, depth + 1, &mut selection, active)?;
                    out.push(Selection {
                        alias: alias.clone(),
                        name: name.clone(),
                        args: json_args,
                        selection,
                    });
                }
                Sel::Spread { name, directives } => {
                    if !self.included(directives)? {
                        continue;
                    }
                    let frag = *self
                        .fragments
                        .get(name.as_str())
                        .ok_or_else(|| format!("Unknown fragment \"{name}\""))?;
                    if active.contains(&name.as_str()) {
                        return Err(format!("Cannot spread fragment \"{name}\" within itself"));
                    }
                    active.push(name);
                    self.selection_set(&frag.set, depth + 1, out, active)?;
                    active.pop();
                }
                Sel::Inline { directives, set } => {
                    if self.included(directives)? {
                        self.selection_set(set, depth + 1, out, active)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether `@include`/`@skip` keep the selection.
    fn included(&self, dirs: &[Directive]) -> Result<bool, String> {
        let mut keep = true;
        for d in dirs {
            let cond = match d
                .args
                .iter()
                .find(|(k, _)| k.as_str() == "if")
                .map(|(_, v)| v)
            {
                Some(Val::Bool(b)) => *b,
                Some(Val::Var(n)) => match self.vars.get(n.as_str()) {
                    Some(Some(Json::Bool(b))) => *b,
                    Some(Some(Json::Null) | None) => {
                        return Err(format!(
                            "Argument \"if\" of directive \"@{}\" of type Boolean! got no value",
                            d.name
                        ))
                    }
                    Some(Some(_)) => {
                        return Err(format!(
                            "Argument \"if\" of directive \"@{}\" must be a Boolean",
                            d.name
                        ))
                    }
                    None => return Err(format!("Variable \"${n}\" is not defined")),
                },
                _ => {
                    return Err(format!(
                        "Argument \"if\" of directive \"@{}\" must be a Boolean",
                        d.name
                    ))
                }
            };
            match d.name.as_str() {
                "include" => keep &= cond,
                "skip" => keep &= !cond,
                other => return Err(format!("Unknown directive \"@{other}\"")),
            }
        }
        Ok(keep)
    }

    /// A value as JSON; `None` when it is a variable without a value (absent).
    fn value(&self, v: &Val) -> Result<Option<Json>, String> {
        Ok(Some(match v {
            Val::Var(n) => match self.vars.get(n.as_str()) {
                Some(Some(j)) => j.clone(),
                Some(None) => return Ok(None),
                None => return Err(format!("Variable \"${n}\" is not defined")),
            },
            Val::Int(n) => Json::from(*n),
            Val::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .ok_or_else(|| format!("Float {f} is not finite"))?,
            Val::Str(s) => Json::String(s.clone()),
            Val::Bool(b) => Json::Bool(*b),
            Val::Null => Json::Null,
            Val::Enum(e) => Json::String(e.clone()),
            Val::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.value(i)?.unwrap_or(Json::Null));
                }
                Json::Array(out)
            }
            Val::Obj(fields) => {
                let mut out = Map::new();
                for (k, v) in fields {
                    if let Some(j) = self.value(v)? {
                        out.insert(k.clone(), j);
                    }
                }
                Json::Object(out)
            }
        }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ok(query: &str) -> Decoded {
        decode(query, None, None).unwrap()
    }

    fn ok_vars(query: &str, vars: Json) -> Decoded {
        decode(query, Some(&vars), None).unwrap()
    }

    fn err(query: &str) -> String {
        decode(query, None, None).unwrap_err()
    }

    fn err_vars(query: &str, vars: Json) -> String {
        decode(query, Some(&vars), None).unwrap_err()
    }

    /// The fields as JSON (via `Selection`'s serde form), for compact assertions.
    fn js(d: &Decoded) -> Json {
        serde_json::to_value(&d.fields).unwrap()
    }

    /// The args of the first root field, as JSON text (key order visible).
    fn args0(d: &Decoded) -> String {
        serde_json::to_string(&d.fields[0].args).unwrap()
    }

    #[test]
    fn shorthand_query() {
        let d = ok("{ posts { id title } }");
        assert_eq!(d.operation, OperationType::Query);
        assert_eq!(
            js(&d),
            json!([{"name": "posts", "selection": [{"name": "id"}, {"name": "title"}]}])
        );
        assert_eq!(d.fields[0].alias, None);
        assert!(d.fields[0].args.is_empty());
    }

    #[test]
    fn named_query_and_mutation() {
        let d = ok("query Q { post(where: {id: \"a\"}) { id } }");
        assert_eq!(d.operation, OperationType::Query);
        assert_eq!(d.fields[0].name, "post");
        let d = ok("mutation M { createPost(data: {title: \"x\"}) { id } }");
        assert_eq!(d.operation, OperationType::Mutation);
        assert_eq!(
            js(&d),
            json!([{"name": "createPost", "args": {"data": {"title": "x"}},
                    "selection": [{"name": "id"}]}])
        );
    }

    #[test]
    fn several_operations() {
        let doc = "query A { a } mutation B { b }";
        let e = err(doc);
        assert!(e.contains("operation name"), "{e}");
        let a = decode(doc, None, Some("A")).unwrap();
        assert_eq!(a.operation, OperationType::Query);
        assert_eq!(a.fields[0].name, "a");
        let b = decode(doc, None, Some("B")).unwrap();
        assert_eq!(b.operation, OperationType::Mutation);
        assert_eq!(b.fields[0].name, "b");
        let e = decode(doc, None, Some("C")).unwrap_err();
        assert_eq!(e, "Unknown operation named \"C\"");
        // A single operation chosen by a wrong name is refused too.
        assert!(decode("query A { a }", None, Some("B")).is_err());
        // The right name on a single operation works.
        assert_eq!(
            decode("query A { a }", None, Some("A"))
                .unwrap()
                .fields
                .len(),
            1
        );
        // An anonymous operation must be alone; operation names are unique.
        assert!(decode("{ a } query B { b }", None, Some("B")).is_err());
        assert!(decode("query A { a } query A { b }", None, Some("A"))
            .unwrap_err()
            .contains("only one operation named"));
        // Only fragments: no operation.
        assert_eq!(
            err("fragment F on Post { id }"),
            "the document contains no operation"
        );
    }

    #[test]
    fn subscription_refused() {
        assert_eq!(
            err("subscription S { posts { id } }"),
            "subscriptions are not supported"
        );
        // Another operation of the same document can still be chosen.
        let d = decode("subscription S { a } query Q { b }", None, Some("Q")).unwrap();
        assert_eq!(d.fields[0].name, "b");
        assert!(decode("subscription S { a } query Q { b }", None, Some("S")).is_err());
    }

    #[test]
    fn aliases_and_duplicate_keys_kept() {
        let d =
            ok("{ a: posts(first: 1) { id } b: posts { t: title } posts { id } posts { title } }");
        assert_eq!(
            js(&d),
            json!([
                {"alias": "a", "name": "posts", "args": {"first": 1}, "selection": [{"name": "id"}]},
                {"alias": "b", "name": "posts", "selection": [{"alias": "t", "name": "title"}]},
                {"name": "posts", "selection": [{"name": "id"}]},
                {"name": "posts", "selection": [{"name": "title"}]},
            ])
        );
        assert_eq!(d.fields[0].key(), "a");
        assert_eq!(d.fields[2].key(), "posts");
    }

    #[test]
    fn scalar_and_enum_args() {
        let d = ok(
            r#"{ posts(stage: DRAFT, orderBy: title_ASC, first: 3, skip: -2, x: 1.5,
                           s: "h\"i", b: true, c: false, n: null, block: """a "q" b""") { id } }"#,
        );
        assert_eq!(
            args0(&d),
            r#"{"stage":"DRAFT","orderBy":"title_ASC","first":3,"skip":-2,"x":1.5,"s":"h\"i","b":true,"c":false,"n":null,"block":"a \"q\" b"}"#
        );
    }

    #[test]
    fn nested_objects_and_lists_in_written_order() {
        let d = ok(
            "{ posts(where: {title_contains: \"a\", AND: [{z: 1, a: {y: 2, b: 3}}, {m: [1, [2]]}], \
             OR: []}, locales: [de, en]) { id } }",
        );
        assert_eq!(
            args0(&d),
            r#"{"where":{"title_contains":"a","AND":[{"z":1,"a":{"y":2,"b":3}},{"m":[1,[2]]}],"OR":[]},"locales":["de","en"]}"#
        );
        // Objects in fragments, directives and defaults are ordered too.
        let d = ok_vars(
            "query($w: PostWhereInput = {z: 1, a: 2}, $t: Boolean!) { ...F @include(if: $t) \
             posts(where: $w) { id } } fragment F on Query { f(data: {zz: {y: 1, x: 2}, aa: 1}) }",
            json!({"t": true}),
        );
        assert_eq!(
            serde_json::to_string(&d.fields[0].args).unwrap(),
            r#"{"data":{"zz":{"y":1,"x":2},"aa":1}}"#
        );
        assert_eq!(
            serde_json::to_string(&d.fields[1].args).unwrap(),
            r#"{"where":{"z":1,"a":2}}"#
        );
    }

    #[test]
    fn keys_after_comments_and_strings() {
        // Brackets, colons and names inside strings and comments are not keys or objects.
        let d = ok("{ f(a: {z: \"{ b: [\", # a comment { y: 1\n y: \"\"\"}\\\"\"\" q: {\"\"\", x: 2e+1}) }");
        assert_eq!(
            args0(&d),
            r#"{"a":{"z":"{ b: [","y":"}\"\"\" q: {","x":20.0}}"#
        );
    }

    #[test]
    fn variables_provided_default_and_absent() {
        let q = "query($id: ID!, $n: Int = 5, $s: String, $w: PostWhereInput) \
                 { post(where: {id: $id}) { id } posts(first: $n, title: $s, where: $w) { id } }";
        let d = ok_vars(q, json!({"id": "p1", "extra": 1}));
        assert_eq!(
            js(&d),
            json!([
                {"name": "post", "args": {"where": {"id": "p1"}}, "selection": [{"name": "id"}]},
                {"name": "posts", "args": {"first": 5}, "selection": [{"name": "id"}]},
            ])
        );
        // Given values beat defaults and are kept as given (no coercion here).
        let d = ok_vars(
            q,
            json!({"id": 7, "n": "10", "s": "x", "w": {"b": 1, "a": 2}}),
        );
        assert_eq!(
            serde_json::to_string(&d.fields[1].args).unwrap(),
            r#"{"first":"10","title":"x","where":{"b":1,"a":2}}"#
        );
        assert_eq!(d.fields[0].args["where"], json!({"id": 7}));
        // Explicit null: present with null, even over a default.
        let d = ok_vars(q, json!({"id": "p", "n": null, "s": null}));
        assert_eq!(
            serde_json::to_string(&d.fields[1].args).unwrap(),
            r#"{"first":null,"title":null}"#
        );
        // variables: null or absent is no values.
        let e = decode(q, Some(&Json::Null), None).unwrap_err();
        assert_eq!(e, "variable $id of type ID! was not provided");
    }

    #[test]
    fn variables_missing_non_null_and_bad() {
        assert_eq!(
            err("query($ids: [ID!]!) { posts(where: {id_in: $ids}) { id } }"),
            "variable $ids of type [ID!]! was not provided"
        );
        assert_eq!(
            err_vars(
                "query($id: ID!) { post(where: {id: $id}) { id } }",
                json!({"id": null})
            ),
            "variable $id of type ID! must not be null"
        );
        // A non-null variable with a default may be left out.
        let d = ok("query($n: Int! = 2) { posts(first: $n) { id } }");
        assert_eq!(d.fields[0].args["first"], json!(2));
        // A declared but unused non-null variable still needs a value.
        assert!(err("query($x: Int!) { posts { id } }").contains("$x"));
        assert_eq!(
            err_vars("{ a }", json!([1])),
            "variables must be a JSON object"
        );
        assert!(err("query($a: Int, $a: Int) { a }").contains("only one variable"));
    }

    #[test]
    fn undeclared_variable_refused() {
        assert_eq!(
            err_vars("{ posts(first: $n) { id } }", json!({"n": 1})),
            "Variable \"$n\" is not defined"
        );
        assert_eq!(
            err("query { posts(where: {AND: [{id: $x}]}) { id } }"),
            "Variable \"$x\" is not defined"
        );
        // Through a fragment, and even under @skip (validation is static).
        assert!(
            err("query { ...F } fragment F on Query { posts(first: $n) { id } }").contains("$n")
        );
        assert!(err("query { posts(first: $n) @skip(if: true) { id } }").contains("$n"));
        // An unused fragment's variables do not matter.
        let d = ok("query { a } fragment F on Query { posts(first: $n) { id } }");
        assert_eq!(d.fields[0].name, "a");
    }

    #[test]
    fn variables_nested_in_lists_and_objects() {
        let q = "query($a: String, $b: String, $c: Int) \
                 { posts(where: {x: $a, y: $b, AND: [{z: $c}]}, locales: [$a, $b, en]) { id } }";
        let d = ok_vars(q, json!({"a": "de"}));
        assert_eq!(
            args0(&d),
            r#"{"where":{"x":"de","AND":[{}]},"locales":["de",null,"en"]}"#
        );
        let d = ok_vars(q, json!({"a": "de", "b": null, "c": 3}));
        assert_eq!(
            args0(&d),
            r#"{"where":{"x":"de","y":null,"AND":[{"z":3}]},"locales":["de",null,"en"]}"#
        );
    }

    #[test]
    fn fragments_named_inline_nested() {
        let q = "query { posts { ...A ... on Post { c } ... { d } e } } \
                 fragment A on Post { a ...B } fragment B on Post { b: title author { ...C } } \
                 fragment C on Author { name } fragment Unused on Post { zzz }";
        let d = ok(q);
        assert_eq!(
            js(&d),
            json!([{"name": "posts", "selection": [
                {"name": "a"},
                {"alias": "b", "name": "title"},
                {"name": "author", "selection": [{"name": "name"}]},
                {"name": "c"},
                {"name": "d"},
                {"name": "e"},
            ]}])
        );
        // The same fragment twice is inlined twice.
        let d = ok("{ ...F ...F } fragment F on Query { x }");
        assert_eq!(js(&d), json!([{"name": "x"}, {"name": "x"}]));
        // Root fragments.
        let d = ok(
            "mutation { ...M } fragment M on Mutation { deletePost(where: {id: \"1\"}) { id } }",
        );
        assert_eq!(d.operation, OperationType::Mutation);
        assert_eq!(d.fields[0].name, "deletePost");
    }

    #[test]
    fn fragments_unknown_and_cycles() {
        assert_eq!(err("{ ...Nope }"), "Unknown fragment \"Nope\"");
        // Unknown even in an unused fragment.
        assert!(err("{ a } fragment F on Q { ...G }").contains("\"G\""));
        assert!(err("{ ...A } fragment A on Q { ...A }").contains("within itself"));
        assert!(
            err("{ ...A } fragment A on Q { x { ...B } } fragment B on Q { ... { ...A } }")
                .contains("within itself")
        );
        // A cycle in an unused fragment is refused too.
        assert!(
            err("{ a } fragment A on Q { ...B } fragment B on Q { ...A }")
                .contains("within itself")
        );
        assert!(err("{ a } fragment A on Q { x } fragment A on Q { y }")
            .contains("only one fragment named"));
    }

    #[test]
    fn include_and_skip() {
        let q = "query($t: Boolean!, $f: Boolean = false) { a @include(if: true) b @include(if: false) \
                 c @skip(if: true) d @skip(if: false) e @include(if: $t) g @skip(if: $t) \
                 h @include(if: $f) ...F @skip(if: $f) ... @include(if: false) { i } \
                 j @include(if: true) @skip(if: true) } fragment F on Q { k }";
        let d = ok_vars(q, json!({"t": true}));
        let names: Vec<&str> = d.fields.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "d", "e", "k"]);
        let d = ok_vars(q, json!({"t": false, "f": true}));
        let names: Vec<&str> = d.fields.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "d", "g", "h"]);
        // Bad directives.
        assert_eq!(
            err("{ a @deprecated }"),
            "Unknown directive \"@deprecated\""
        );
        assert!(err("{ a @include }").contains("required"));
        assert!(err("{ a @include(if: \"yes\") }").contains("must be a Boolean"));
        assert!(err("{ a @skip(if: true) @skip(if: false) }").contains("only be used once"));
        assert!(err("{ a @skip(if: true, x: 1) }").contains("Unknown argument"));
        assert!(err("query Q @skip(if: true) { a }").contains("operation"));
        assert!(err_vars("query($t: Boolean) { a @skip(if: $t) }", json!({})).contains("no value"));
        assert!(
            err_vars("query($t: Boolean) { a @skip(if: $t) }", json!({"t": 1}))
                .contains("must be a Boolean")
        );
    }

    #[test]
    fn duplicate_argument_or_key() {
        assert_eq!(
            err("{ posts(first: 1, first: 2) { id } }"),
            "There can be only one argument named \"first\""
        );
        assert_eq!(
            err("{ posts(where: {id: \"a\", title: \"b\", id: \"c\"}) { id } }"),
            "There can be only one input field named \"id\""
        );
        assert!(err("{ posts(where: {AND: [{a: 1, a: {b: 1}}]}) { id } }").contains("\"a\""));
        // In an unused fragment or a directive too.
        assert!(err("{ a } fragment F on Q { b(x: {k: 1, k: 2}) }").contains("\"k\""));
        assert!(err("{ a @skip(if: true, if: false) }").contains("only one argument"));
        // The same key in sibling objects is fine.
        let d = ok("{ posts(where: {OR: [{id: \"a\"}, {id: \"b\"}]}) { id } }");
        assert_eq!(args0(&d), r#"{"where":{"OR":[{"id":"a"},{"id":"b"}]}}"#);
    }

    #[test]
    fn syntax_errors() {
        for q in [
            "",
            "{",
            "{ posts( }",
            "query { a } }",
            "{ a(x: ) }",
            "qurey { a }",
            "{ a(x: $) }",
        ] {
            assert!(err(q).starts_with("syntax error"), "{q}: {}", err(q));
        }
        // The first error, with its line and column.
        assert_eq!(
            err("{\n  a(x: )\n}"),
            "syntax error at 2:8: expected a valid Value (found \")\")"
        );
        assert!(err("{ a(x: \"\\q\") }").starts_with("syntax error at 1:8:"));
        // Variables are not allowed in a default value.
        assert!(err("query($a: Int = $b) { a }").starts_with("syntax error"));
        // Only executable definitions.
        assert!(err("{ a } type T { b: Int }").contains("ObjectTypeDefinition"));
        assert!(err("query($a: Int @skip(if: true)) { a }").contains("variable definition"));
        assert!(err("{ a(x: 99999999999999999999) }").contains("out of range"));
    }

    #[test]
    fn deep_nesting_accepted_to_the_limit() {
        // A `where` 70 levels deep as nested `AND: [{…}]` (141 brackets) decodes, in order.
        let n = 70;
        let w = format!("{}{{id: 1}}{}", "{AND: [".repeat(n), "]}".repeat(n));
        let d = ok(&format!("{{ posts(where: {w}) {{ id }} }}"));
        let mut level = &d.fields[0].args["where"];
        for _ in 0..n {
            level = &level["AND"][0];
        }
        assert_eq!(level, &json!({"id": 1}));
        // 200 nested lists and 200 nested selection sets decode too.
        let list = |n: usize| format!("{{ f(x: {}1{}) }}", "[".repeat(n), "]".repeat(n));
        assert_eq!(
            ok(&list(200)).fields[0].args["x"].to_string().len(),
            2 * 200 + 1
        );
        let sel = |n: usize| format!("{}{}", "{ a ".repeat(n), "}".repeat(n));
        let mut d = ok(&sel(200));
        let mut depth = 0;
        while let Some(first) = d.fields.first().cloned() {
            assert_eq!(first.name, "a");
            d.fields = first.selection;
            depth += 1;
        }
        assert_eq!(depth, 200);
        // Just past the parser's limit: a syntax error.
        assert!(err(&list(MAX_NESTING + 1)).contains("recursion limit"));
        assert!(err(&sel(MAX_NESTING + 1)).contains("recursion limit"));
    }

    #[test]
    fn deep_nesting_refused_without_crash() {
        let w = format!(
            "{}{{id: 1}}{}",
            "{AND: [".repeat(10_000),
            "]}".repeat(10_000)
        );
        let e = err(&format!("{{ posts(where: {w}) {{ id }} }}"));
        assert!(
            e.starts_with("syntax error") && e.contains("recursion limit"),
            "{e}"
        );
        let deep = format!("{}{}", "{ a ".repeat(10_000), "}".repeat(10_000));
        assert!(err(&deep).contains("recursion limit"));
        let deep_list = format!(
            "{{ a(x: {}1{}) }}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(err(&deep_list).contains("recursion limit"));
        // Unbalanced openers only.
        assert!(err(&"(".repeat(1_000)).starts_with("syntax error"));
        assert!(err(&"{ a(x: ".repeat(1_000)).starts_with("syntax error"));
        // Brackets inside strings and comments do not count.
        let q = format!(
            "{{ a(s: \"{}\") # {}\n }}",
            "[".repeat(500),
            "{".repeat(500)
        );
        assert_eq!(ok(&q).fields[0].args["s"], json!("[".repeat(500)));
    }

    proptest::proptest! {
        /// Never a panic, whatever the text.
        #[test]
        fn never_panics(q in "[{}()\\[\\]a-c:$@!=.\" #,\n0-9-]{0,80}", n in proptest::option::of("[a-c]")) {
            let _ = decode(&q, Some(&json!({"a": 1, "b": null})), n.as_deref());
        }

        /// Nor on near-valid documents built from pieces.
        #[test]
        fn never_panics_on_pieces(parts in proptest::collection::vec(proptest::sample::select(vec![
            "{", "}", "(", ")", "[", "]", "a", "b:", "$a", "...F", "... on T", "fragment F on T",
            "query", "mutation", "subscription", "($a: Int = {x: 1})", "@skip(if: $a)",
            "@include(if: true)", "\"s\"", "\"\"\"b\"\"\"", "# c\n", "1", "-2.5e3", "null", ",",
        ]), 0..40)) {
            let q = parts.join(" ");
            let _ = decode(&q, Some(&json!({"a": true})), None);
        }
    }

    #[test]
    fn fragment_blowup_refused() {
        // 2^20 fields through a chain of doubling fragments.
        let mut q = String::from("{ ...F0 }");
        for i in 0..20 {
            q.push_str(&format!(
                " fragment F{i} on Q {{ ...F{j} ...F{j} }}",
                j = i + 1
            ));
        }
        q.push_str(" fragment F20 on Q { x }");
        assert!(err(&q).contains("selections"));
        // A long chain of fragments nests the recursion, not the text.
        let mut q = String::from("{ ...F0 }");
        for i in 0..1_000 {
            q.push_str(&format!(" fragment F{i} on Q {{ ...F{} }}", i + 1));
        }
        q.push_str(" fragment F1000 on Q { x }");
        assert!(err(&q).contains("nests deeper"));
    }
}
