//! Decoding a GraphQL request (document text, variables, `operationName`) into the structured
//! [`Request`](crate::op::Request) fields: the operation type and its root selections, with
//! variables substituted, fragments inlined, `@include`/`@skip` applied and enum values as
//! strings.
//!
//! The document is parsed with `graphql-parser`. Its AST keeps an input-object literal as a sorted
//! map, so the written key order (and a duplicate key) is recovered by a lexical scan of the text,
//! the same cheap pass that refuses bracket nesting deeper than [`MAX_NESTING`] before the
//! recursive parser runs. Every `Err` is a 400 message (ERR-1 step 5); nothing here panics.
//!
//! What is checked here, over the whole document as GraphQL validation does: duplicate argument
//! names and input-object keys, duplicate operation and fragment names, a lone anonymous
//! operation, unknown fragments and fragment cycles, unknown or misplaced directives and the `if`
//! of `@include`/`@skip`; for the chosen operation: that it exists and is not a subscription
//! (ERR-3), that its variables are declared once and every variable it uses (through its
//! fragments too, even under `@skip`) is declared, and that every non-null variable has a
//! non-null value or a default. What is not: field and argument names,
//! type conditions, value types (the reference coerces them), response-key merging (CTX-3:
//! duplicate keys stay separate [`Selection`]s in document order) and selection depth (LIMIT-1).

use std::collections::{BTreeMap, HashMap, HashSet};

use graphql_parser::query as q;
use serde_json::{Map, Value as Json};

use crate::op::{OperationType, Selection};

/// The deepest bracket nesting (`{`, `(`, `[` together, outside strings and comments) accepted.
///
/// This is `graphql-parser`'s own fixed limit (its tokenizer refuses a 51st open bracket with
/// "Recursion limit exceeded"); the pre-scan applies it first so that the refusal does not depend
/// on the parser and never reaches its recursion.
pub const MAX_NESTING: usize = 50;

/// The deepest recursion accepted while inlining fragments (each field, spread or inline
/// fragment is one level).
const MAX_INLINE_DEPTH: usize = 128;

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

type Val<'a> = q::Value<'a, &'a str>;
type Obj<'a> = BTreeMap<&'a str, Val<'a>>;
type SelSet<'a> = q::SelectionSet<'a, &'a str>;
type Directive<'a> = q::Directive<'a, &'a str>;
type VarDef<'a> = q::VariableDefinition<'a, &'a str>;
type Fragment<'a> = q::FragmentDefinition<'a, &'a str>;
type Type<'a> = q::Type<'a, &'a str>;

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
    let scanned = scan(query)?;
    let doc = q::parse_query::<&str>(query).map_err(|e| format!("syntax error: {e}"))?;
    for keys in &scanned {
        if let Some(dup) = first_duplicate(keys.iter().map(String::as_str)) {
            return Err(format!("There can be only one input field named \"{dup}\""));
        }
    }

    let mut check = Check {
        scanned: scanned.into_iter(),
        aligned: true,
        orders: HashMap::new(),
    };
    let mut ops: Vec<(Op<'_, '_>, Unit<'_>)> = Vec::new();
    let mut fragments: HashMap<&str, &Fragment<'_>> = HashMap::new();
    let mut frag_units: HashMap<&str, Unit<'_>> = HashMap::new();
    for def in &doc.definitions {
        match def {
            q::Definition::Operation(o) => {
                let op = Op::of(o);
                let mut unit = Unit::default();
                for v in op.vars {
                    if let Some(d) = &v.default_value {
                        check.value(d, &mut unit)?;
                    }
                }
                if let Some(d) = op.directives.first() {
                    return Err(format!(
                        "Directive \"@{}\" may not be used on an operation",
                        d.name
                    ));
                }
                check.selection_set(op.set, &mut unit)?;
                ops.push((op, unit));
            }
            q::Definition::Fragment(f) => {
                if let Some(d) = f.directives.first() {
                    return Err(format!(
                        "Directive \"@{}\" may not be used on a fragment definition",
                        d.name
                    ));
                }
                let mut unit = Unit::default();
                check.selection_set(&f.selection_set, &mut unit)?;
                if fragments.insert(f.name, f).is_some() {
                    return Err(format!(
                        "There can be only one fragment named \"{}\"",
                        f.name
                    ));
                }
                frag_units.insert(f.name, unit);
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
        orders: check.orders,
        count: 0,
    };
    cx.vars = bind(&cx, op.vars, variables)?;
    let mut fields = Vec::new();
    cx.selection_set(op.set, 0, &mut fields, &mut Vec::new())?;
    Ok(Decoded { operation, fields })
}

/// Scans the text once: refuses bracket nesting over [`MAX_NESTING`] and returns, for each
/// input-object literal in order of its opening brace, its keys as written. Strings, block
/// strings and comments are skipped. Only meaningful for a text that then parses.
fn scan(text: &str) -> Result<Vec<Vec<String>>, String> {
    #[derive(Clone, Copy)]
    enum Open {
        Paren,
        List,
        Sel,
        Obj(usize),
    }
    let b = text.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut i = 0;
    let mut stack: Vec<Open> = Vec::new();
    let mut objects: Vec<Vec<String>> = Vec::new();
    let mut last_name: Option<&str> = None;
    while i < b.len() {
        let c = at(i);
        match c {
            b'#' => {
                while i < b.len() && at(i) != b'\n' && at(i) != b'\r' {
                    i += 1;
                }
                continue;
            }
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'"' if b.get(i..i + 3) == Some(b"\"\"\"") => {
                i += 3;
                while i < b.len() {
                    if b.get(i..i + 4) == Some(b"\\\"\"\"") {
                        i += 4;
                    } else if b.get(i..i + 3) == Some(b"\"\"\"") {
                        i += 3;
                        break;
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() {
                    match at(i) {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        b'\n' | b'\r' => break,
                        _ => i += 1,
                    }
                }
            }
            b'{' | b'(' | b'[' => {
                let open = match (c, stack.last()) {
                    (b'(', _) => Open::Paren,
                    (b'[', _) => Open::List,
                    (_, Some(Open::Paren | Open::List | Open::Obj(_))) => {
                        objects.push(Vec::new());
                        Open::Obj(objects.len() - 1)
                    }
                    _ => Open::Sel,
                };
                stack.push(open);
                if stack.len() > MAX_NESTING {
                    return Err(format!(
                        "the document nests brackets deeper than {MAX_NESTING} levels"
                    ));
                }
                i += 1;
            }
            b'}' | b')' | b']' => {
                stack.pop();
                i += 1;
            }
            b':' => {
                if let (Some(Open::Obj(k)), Some(name)) = (stack.last(), last_name) {
                    if let Some(keys) = objects.get_mut(*k) {
                        keys.push(name.to_string());
                    }
                }
                i += 1;
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                let start = i;
                while matches!(at(i), b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9') {
                    i += 1;
                }
                last_name = text.get(start..i);
                continue;
            }
            b'-' | b'0'..=b'9' => {
                i += 1;
                while matches!(at(i), b'_' | b'.' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9')
                    || (matches!(at(i), b'+' | b'-') && matches!(at(i - 1), b'e' | b'E'))
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        last_name = None;
    }
    Ok(objects)
}

/// The first name that occurs twice.
fn first_duplicate<'s>(names: impl IntoIterator<Item = &'s str>) -> Option<&'s str> {
    let mut seen = HashSet::new();
    names.into_iter().find(|n| !seen.insert(*n))
}

/// An input-object literal's identity (its address in the AST, which outlives the decoding).
fn obj_id(map: &Obj<'_>) -> usize {
    std::ptr::from_ref(map) as usize
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Query,
    Mutation,
    Subscription,
}

/// One operation definition, whatever its kind.
#[derive(Clone, Copy)]
struct Op<'d, 'a> {
    kind: Kind,
    name: Option<&'a str>,
    vars: &'d [VarDef<'a>],
    directives: &'d [Directive<'a>],
    set: &'d SelSet<'a>,
}

impl<'d, 'a> Op<'d, 'a> {
    fn of(o: &'d q::OperationDefinition<'a, &'a str>) -> Self {
        match o {
            q::OperationDefinition::SelectionSet(set) => Op {
                kind: Kind::Query,
                name: None,
                vars: &[],
                directives: &[],
                set,
            },
            q::OperationDefinition::Query(x) => Op {
                kind: Kind::Query,
                name: x.name,
                vars: &x.variable_definitions,
                directives: &x.directives,
                set: &x.selection_set,
            },
            q::OperationDefinition::Mutation(x) => Op {
                kind: Kind::Mutation,
                name: x.name,
                vars: &x.variable_definitions,
                directives: &x.directives,
                set: &x.selection_set,
            },
            q::OperationDefinition::Subscription(x) => Op {
                kind: Kind::Subscription,
                name: x.name,
                vars: &x.variable_definitions,
                directives: &x.directives,
                set: &x.selection_set,
            },
        }
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

/// The whole-document walk: static checks, and the written key order of every object literal.
struct Check {
    /// The scanned key lists, in document order, not yet matched with the AST.
    scanned: std::vec::IntoIter<Vec<String>>,
    /// False once a scanned list failed to match (the rest keeps the parser's sorted order).
    aligned: bool,
    /// Written key order by [`obj_id`].
    orders: HashMap<usize, Vec<String>>,
}

impl Check {
    fn selection_set<'a>(&mut self, set: &SelSet<'a>, unit: &mut Unit<'a>) -> Result<(), String> {
        for item in &set.items {
            match item {
                q::Selection::Field(f) => {
                    if let Some(dup) = first_duplicate(f.arguments.iter().map(|(k, _)| *k)) {
                        return Err(format!("There can be only one argument named \"{dup}\""));
                    }
                    for (_, v) in &f.arguments {
                        self.value(v, unit)?;
                    }
                    check_directives(&f.directives, unit)?;
                    self.selection_set(&f.selection_set, unit)?;
                }
                q::Selection::FragmentSpread(s) => {
                    check_directives(&s.directives, unit)?;
                    unit.spreads.push(s.fragment_name);
                }
                q::Selection::InlineFragment(i) => {
                    check_directives(&i.directives, unit)?;
                    self.selection_set(&i.selection_set, unit)?;
                }
            }
        }
        Ok(())
    }

    fn value<'a>(&mut self, v: &Val<'a>, unit: &mut Unit<'a>) -> Result<(), String> {
        match v {
            q::Value::Variable(name) => unit.vars.push(name),
            q::Value::List(items) => {
                for item in items {
                    self.value(item, unit)?;
                }
            }
            q::Value::Object(map) => {
                let keys = if self.aligned {
                    self.scanned.next()
                } else {
                    None
                };
                match keys {
                    Some(keys)
                        if keys.len() == map.len()
                            && keys.iter().all(|k| map.contains_key(k.as_str())) =>
                    {
                        for k in &keys {
                            if let Some(v) = map.get(k.as_str()) {
                                self.value(v, unit)?;
                            }
                        }
                        self.orders.insert(obj_id(map), keys);
                    }
                    _ => {
                        self.aligned = false;
                        for v in map.values() {
                            self.value(v, unit)?;
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Only `@include(if:)` and `@skip(if:)`, each at most once, with a Boolean or a variable.
fn check_directives<'a>(dirs: &[Directive<'a>], unit: &mut Unit<'a>) -> Result<(), String> {
    if let Some(dup) = first_duplicate(dirs.iter().map(|d| d.name)) {
        return Err(format!(
            "The directive \"@{dup}\" can only be used once at this location"
        ));
    }
    for d in dirs {
        if d.name != "include" && d.name != "skip" {
            return Err(format!("Unknown directive \"@{}\"", d.name));
        }
        if let Some(dup) = first_duplicate(d.arguments.iter().map(|(k, _)| *k)) {
            return Err(format!("There can be only one argument named \"{dup}\""));
        }
        if let Some((k, _)) = d.arguments.iter().find(|(k, _)| *k != "if") {
            return Err(format!(
                "Unknown argument \"{k}\" on directive \"@{}\"",
                d.name
            ));
        }
        match d.arguments.first() {
            Some((_, q::Value::Boolean(_))) => {}
            Some((_, q::Value::Variable(name))) => unit.vars.push(name),
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
fn choose<'o, 'd, 'a>(
    ops: &'o [(Op<'d, 'a>, Unit<'a>)],
    name: Option<&str>,
) -> Result<&'o (Op<'d, 'a>, Unit<'a>), String> {
    if ops.is_empty() {
        return Err("the document contains no operation".into());
    }
    if ops.len() > 1 && ops.iter().any(|(o, _)| o.name.is_none()) {
        return Err("This anonymous operation must be the only defined operation".into());
    }
    if let Some(dup) = first_duplicate(ops.iter().filter_map(|(o, _)| o.name)) {
        return Err(format!("There can be only one operation named \"{dup}\""));
    }
    match name {
        Some(n) => ops
            .iter()
            .find(|(o, _)| o.name == Some(n))
            .ok_or_else(|| format!("Unknown operation named \"{n}\"")),
        None => match ops {
            [one] => Ok(one),
            _ => Err("Must provide operation name if query contains multiple operations".into()),
        },
    }
}

/// Every variable the operation uses, through its fragments too, is declared (once).
fn check_defined(
    op: &Op<'_, '_>,
    unit: &Unit<'_>,
    frag_units: &HashMap<&str, Unit<'_>>,
) -> Result<(), String> {
    if let Some(dup) = first_duplicate(op.vars.iter().map(|v| v.name)) {
        return Err(format!("There can be only one variable named \"${dup}\""));
    }
    let declared: HashSet<&str> = op.vars.iter().map(|v| v.name).collect();
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
fn type_name(t: &Type<'_>) -> String {
    match t {
        q::Type::NamedType(n) => (*n).to_string(),
        q::Type::ListType(inner) => format!("[{}]", type_name(inner)),
        q::Type::NonNullType(inner) => format!("{}!", type_name(inner)),
    }
}

/// The declared variables' values: `Some(json)`, or `None` for an absent one.
fn bind<'a>(
    cx: &Cx<'_, 'a>,
    defs: &[VarDef<'a>],
    variables: Option<&Json>,
) -> Result<HashMap<&'a str, Option<Json>>, String> {
    let given = match variables {
        None | Some(Json::Null) => None,
        Some(Json::Object(m)) => Some(m),
        Some(_) => return Err("variables must be a JSON object".into()),
    };
    let mut out = HashMap::new();
    for def in defs {
        let non_null = matches!(def.var_type, q::Type::NonNullType(_));
        let value = match given.and_then(|m| m.get(def.name)) {
            Some(Json::Null) if non_null => {
                return Err(format!(
                    "variable ${} of type {} must not be null",
                    def.name,
                    type_name(&def.var_type)
                ))
            }
            Some(v) => Some(v.clone()),
            None => match &def.default_value {
                Some(d) => cx.value(d)?,
                None if non_null => {
                    return Err(format!(
                        "variable ${} of type {} was not provided",
                        def.name,
                        type_name(&def.var_type)
                    ))
                }
                None => None,
            },
        };
        out.insert(def.name, value);
    }
    Ok(out)
}

/// The conversion of the chosen operation.
struct Cx<'d, 'a> {
    fragments: HashMap<&'a str, &'d Fragment<'a>>,
    /// Declared variables: `None` is absent.
    vars: HashMap<&'a str, Option<Json>>,
    /// Written key order of object literals, by [`obj_id`].
    orders: HashMap<usize, Vec<String>>,
    /// Selections produced so far.
    count: usize,
}

impl<'d, 'a> Cx<'d, 'a> {
    fn selection_set(
        &mut self,
        set: &'d SelSet<'a>,
        depth: usize,
        out: &mut Vec<Selection>,
        active: &mut Vec<&'a str>,
    ) -> Result<(), String> {
        if depth > MAX_INLINE_DEPTH {
            return Err(format!(
                "the selection nests deeper than {MAX_INLINE_DEPTH} levels"
            ));
        }
        for item in &set.items {
            match item {
                q::Selection::Field(f) => {
                    if !self.included(&f.directives)? {
                        continue;
                    }
                    self.count += 1;
                    if self.count > MAX_SELECTIONS {
                        return Err(format!(
                            "the operation has more than {MAX_SELECTIONS} selections"
                        ));
                    }
                    let mut args = Map::new();
                    for (k, v) in &f.arguments {
                        if let Some(j) = self.value(v)? {
                            args.insert((*k).to_string(), j);
                        }
                    }
                    let mut selection = Vec::new();
                    self.selection_set(&f.selection_set, depth + 1, &mut selection, active)?;
                    out.push(Selection {
                        alias: f.alias.map(str::to_string),
                        name: f.name.to_string(),
                        args,
                        selection,
                    });
                }
                q::Selection::FragmentSpread(s) => {
                    if !self.included(&s.directives)? {
                        continue;
                    }
                    let name = s.fragment_name;
                    let frag = *self
                        .fragments
                        .get(name)
                        .ok_or_else(|| format!("Unknown fragment \"{name}\""))?;
                    if active.contains(&name) {
                        return Err(format!("Cannot spread fragment \"{name}\" within itself"));
                    }
                    active.push(name);
                    self.selection_set(&frag.selection_set, depth + 1, out, active)?;
                    active.pop();
                }
                q::Selection::InlineFragment(i) => {
                    if self.included(&i.directives)? {
                        self.selection_set(&i.selection_set, depth + 1, out, active)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether `@include`/`@skip` keep the selection.
    fn included(&self, dirs: &[Directive<'a>]) -> Result<bool, String> {
        let mut keep = true;
        for d in dirs {
            let cond = match d.arguments.iter().find(|(k, _)| *k == "if").map(|(_, v)| v) {
                Some(q::Value::Boolean(b)) => *b,
                Some(q::Value::Variable(n)) => match self.vars.get(n) {
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
            match d.name {
                "include" => keep &= cond,
                "skip" => keep &= !cond,
                other => return Err(format!("Unknown directive \"@{other}\"")),
            }
        }
        Ok(keep)
    }

    /// A value as JSON; `None` when it is a variable without a value (absent).
    fn value(&self, v: &Val<'a>) -> Result<Option<Json>, String> {
        Ok(Some(match v {
            q::Value::Variable(n) => match self.vars.get(n) {
                Some(Some(j)) => j.clone(),
                Some(None) => return Ok(None),
                None => return Err(format!("Variable \"${n}\" is not defined")),
            },
            q::Value::Int(n) => n
                .as_i64()
                .map(Json::from)
                .ok_or_else(|| "Int out of range".to_string())?,
            q::Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .ok_or_else(|| format!("Float {f} is not finite"))?,
            q::Value::String(s) => Json::String(s.clone()),
            q::Value::Boolean(b) => Json::Bool(*b),
            q::Value::Null => Json::Null,
            q::Value::Enum(e) => Json::String((*e).to_string()),
            q::Value::List(items) => Json::Array(
                items
                    .iter()
                    .map(|i| Ok(self.value(i)?.unwrap_or(Json::Null)))
                    .collect::<Result<_, String>>()?,
            ),
            q::Value::Object(map) => {
                let mut out = Map::new();
                let mut put = |k: &str, v: &Val<'a>| -> Result<(), String> {
                    if let Some(j) = self.value(v)? {
                        out.insert(k.to_string(), j);
                    }
                    Ok(())
                };
                match self.orders.get(&obj_id(map)) {
                    Some(keys) => {
                        for k in keys {
                            if let Some(v) = map.get(k.as_str()) {
                                put(k, v)?;
                            }
                        }
                    }
                    None => {
                        for (k, v) in map {
                            put(k, v)?;
                        }
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
    }

    #[test]
    fn deep_nesting_refused_without_crash() {
        let deep = format!("{}{}", "{ a ".repeat(10_000), "}".repeat(10_000));
        assert_eq!(
            err(&deep),
            format!("the document nests brackets deeper than {MAX_NESTING} levels")
        );
        let deep_list = format!(
            "{{ a(x: {}1{}) }}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(err(&deep_list).contains("nests brackets"));
        // Unbalanced openers only.
        assert!(err(&"(".repeat(1_000)).contains("nests brackets"));
        // Brackets inside strings and comments do not count.
        let q = format!(
            "{{ a(s: \"{}\") # {}\n }}",
            "[".repeat(500),
            "{".repeat(500)
        );
        assert_eq!(ok(&q).fields[0].args["s"], json!("[".repeat(500)));
        // Exactly at the limit the parser copes (in a test thread's small stack); one more is
        // refused by the pre-scan, not by the parser.
        let n = MAX_NESTING - 2;
        let list = |n: usize| format!("{{ f(x: {}1{}) }}", "[".repeat(n), "]".repeat(n));
        assert_eq!(
            ok(&list(n)).fields[0].args["x"].to_string().len(),
            2 * n + 1
        );
        assert!(err(&list(n + 1)).contains("nests brackets"));
        let sel = |n: usize| format!("{}{}", "{ a ".repeat(n), "}".repeat(n));
        let mut d = ok(&sel(MAX_NESTING));
        let mut depth = 0;
        while let Some(first) = d.fields.first().cloned() {
            assert_eq!(first.name, "a");
            d.fields = first.selection;
            depth += 1;
        }
        assert_eq!(depth, MAX_NESTING);
        assert!(err(&sel(MAX_NESTING + 1)).contains("nests brackets"));
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
