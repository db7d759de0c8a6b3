//! The request context (CTX-1, CTX-2, CTX-3, CTX-5): `gcms-stage` / `gcms-locales` headers,
//! `stage` / `locales` arguments, field merging, and the argument helpers shared by reads and
//! writes. Every failure here is a 400 at ERR-1 step 5.

use crate::model::project::{LocaleIdx, Schema, StageIdx};
use crate::op::Selection;

/// A 400 with the rule that refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The rule id.
    pub rule: &'static str,
    /// What is wrong.
    pub message: String,
}

/// Builds an [`Invalid`].
pub fn invalid<T>(rule: &'static str, message: impl Into<String>) -> Result<T, Invalid> {
    Err(Invalid {
        rule,
        message: message.into(),
    })
}

fn trim_ascii(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii_whitespace())
}

/// CTX-1: the `gcms-stage` header lines → the stage they name, if any.
pub fn stage_header(schema: &Schema, lines: &[String]) -> Result<Option<StageIdx>, Invalid> {
    match lines {
        [] => Ok(None),
        [one] => {
            let v = trim_ascii(one);
            match schema.stage(v) {
                Some(s) => Ok(Some(s)),
                None => invalid("CTX-1", format!("gcms-stage: unknown stage {v:?}")),
            }
        }
        _ => invalid("CTX-1", "more than one gcms-stage header"),
    }
}

/// CTX-2: the `gcms-locales` header lines → the locale list they name, if any.
pub fn locales_header(
    schema: &Schema,
    lines: &[String],
) -> Result<Option<Vec<LocaleIdx>>, Invalid> {
    match lines {
        [] => Ok(None),
        [one] => {
            let v = trim_ascii(one);
            if v.is_empty() {
                return invalid("CTX-2", "gcms-locales is empty");
            }
            let mut out = Vec::new();
            for item in v.split(',') {
                let item = trim_ascii(item);
                if item.is_empty() {
                    return invalid("CTX-2", "gcms-locales has an empty item");
                }
                match schema.locale(item) {
                    Some(l) => {
                        if !out.contains(&l) {
                            out.push(l);
                        }
                    }
                    None => {
                        return invalid("CTX-2", format!("gcms-locales: unknown locale {item:?}"))
                    }
                }
            }
            Ok(Some(out))
        }
        _ => invalid("CTX-2", "more than one gcms-locales header"),
    }
}

/// A `stage:` argument value: `Ok(None)` when absent. Explicit null is a 400 (CTX-5).
pub fn stage_arg(
    schema: &Schema,
    sel: &Selection,
    null_is_error: bool,
) -> Result<Option<StageIdx>, Invalid> {
    match sel.args.get("stage") {
        None => Ok(None),
        Some(serde_json::Value::Null) if null_is_error => {
            invalid("CTX-5", format!("{}: stage must not be null", sel.key()))
        }
        Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => match schema.stage(s) {
            Some(i) => Ok(Some(i)),
            None => invalid("CTX-3", format!("unknown stage {s:?}")),
        },
        Some(other) => invalid("CTX-3", format!("stage: not a Stage: {other}")),
    }
}

/// A locale-list argument (`locales:`): a list (or one value) of known locales, duplicates
/// ignored; `[]` is a 400. `Ok(None)` when absent (or null and `null_is_absent`).
pub fn locales_value(
    schema: &Schema,
    v: Option<&serde_json::Value>,
    null_is_error: bool,
) -> Result<Option<Vec<LocaleIdx>>, Invalid> {
    let items: Vec<&serde_json::Value> = match v {
        None => return Ok(None),
        Some(serde_json::Value::Null) if null_is_error => {
            return invalid("CTX-5", "locales must not be null")
        }
        Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Array(a)) => a.iter().collect(),
        Some(one) => vec![one],
    };
    if items.is_empty() {
        return invalid("CTX-2", "locales must not be empty");
    }
    let mut out = Vec::new();
    for it in items {
        let Some(s) = it.as_str() else {
            return invalid("CTX-3", format!("locales: not a Locale: {it}"));
        };
        match schema.locale(s) {
            Some(l) => {
                if !out.contains(&l) {
                    out.push(l);
                }
            }
            None => return invalid("CTX-3", format!("unknown locale {s:?}")),
        }
    }
    Ok(Some(out))
}

/// Names Hygraph serves that this contract leaves out (READ-10); any other unknown name is
/// plain CTX-3.
const HYGRAPH_ONLY: &[&str] = &[
    "node",
    "localizations",
    "pageInfo",
    "_search",
    "inheritLocale",
    "variation",
    "last",
    "before",
    "after",
    "history",
    "scheduledIn",
    "createdBy",
    "updatedBy",
    "publishedBy",
    "versions",
];

/// The 400 for an unknown field or argument name: READ-10 for what Hygraph serves outside
/// this contract (`pageInfo`, `last`, `upsertPost`, `…Many…`), else CTX-3.
pub fn unknown<T>(name: &str, message: impl Into<String>) -> Result<T, Invalid> {
    let hygraph =
        HYGRAPH_ONLY.contains(&name) || name.starts_with("upsert") || name.contains("Many");
    invalid(if hygraph { "READ-10" } else { "CTX-3" }, message)
}

/// Rejects arguments outside `allowed` (CTX-3, READ-10).
pub fn check_args(sel: &Selection, allowed: &[&str]) -> Result<(), Invalid> {
    for k in sel.args.keys() {
        if !allowed.contains(&k.as_str()) {
            return unknown(k, format!("unknown argument {k:?} on field {:?}", sel.name));
        }
    }
    Ok(())
}

/// Rejects a sub-selection on a leaf, or a missing one on an object field.
pub fn check_leaf(sel: &Selection, leaf: bool) -> Result<(), Invalid> {
    if leaf && !sel.selection.is_empty() {
        return invalid(
            "CTX-3",
            format!("field {:?} has no sub-selection", sel.name),
        );
    }
    if !leaf && sel.selection.is_empty() {
        return invalid(
            "CTX-3",
            format!("field {:?} needs a sub-selection", sel.name),
        );
    }
    Ok(())
}

/// CTX-3 field merging: fields with one response key must have the same name and arguments;
/// their sub-selections are concatenated (and merged in turn when planned). Order is that of
/// each key's first occurrence.
pub fn merge(sels: &[Selection]) -> Result<Vec<Selection>, Invalid> {
    let mut out: Vec<Selection> = Vec::new();
    for s in sels {
        match out.iter_mut().find(|o| o.key() == s.key()) {
            None => out.push(s.clone()),
            Some(o) => {
                if o.name != s.name || o.args != s.args {
                    return invalid(
                        "CTX-3",
                        format!(
                            "fields {:?} conflict: they have different names or arguments",
                            s.key()
                        ),
                    );
                }
                o.selection.extend(s.selection.iter().cloned());
            }
        }
    }
    Ok(out)
}

/// LIMIT-1: selection depth (a root field is at depth 1).
pub fn depth(sels: &[Selection]) -> usize {
    sels.iter()
        .map(|s| 1 + depth(&s.selection))
        .max()
        .unwrap_or(0)
}

/// LIMIT-1: the length of the longest list anywhere in the arguments of `sels` (and their
/// sub-selections), if any list is there.
pub fn longest_list(sels: &[Selection]) -> Option<usize> {
    fn json(v: &serde_json::Value) -> Option<usize> {
        match v {
            serde_json::Value::Array(a) => {
                let inner = a.iter().filter_map(json).max();
                Some(inner.map_or(a.len(), |i| i.max(a.len())))
            }
            serde_json::Value::Object(o) => o.values().filter_map(json).max(),
            _ => None,
        }
    }
    sels.iter()
        .flat_map(|s| {
            s.args
                .values()
                .filter_map(json)
                .chain(longest_list(&s.selection))
        })
        .max()
}

/// An optional non-negative integer argument (`first`, `skip`); null means absent (CTX-5).
pub fn count_arg(sel: &Selection, name: &str) -> Result<Option<usize>, Invalid> {
    match sel.args.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => match n.as_i64() {
            Some(i) if i < 0 => invalid("READ-3", format!("{name} must not be negative")),
            Some(i) if i > i64::from(i32::MAX) => {
                invalid("DATA-1", format!("{name}: Int cannot represent {n}"))
            }
            Some(i) => Ok(Some(usize::try_from(i).unwrap_or(usize::MAX))),
            None => invalid("DATA-1", format!("{name}: Int cannot represent {n}")),
        },
        Some(other) => invalid("DATA-1", format!("{name}: Int cannot represent {other}")),
    }
}
