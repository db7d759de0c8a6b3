//! The signature of a divergence: what makes two divergences "the same" for grouping in reports
//! and for shrinking (a smaller case must reproduce the same signature).
//!
//! A signature is the rule id of the reference's outcome (none for a 200), the operation's class
//! ([`OpClass`], e.g. `read_list`, `create`), the status pair (reference, target) and the class
//! of the first difference: `status`, `outcome`, `errors.message`, `errors.path`,
//! `errors.failedActions`, or for `data`: `data.null` (null or absent on one side only),
//! `data.length` (lists of different lengths), `data.value` (scalars that differ) or `data`
//! (anything else). Model and field names are left out, so one bug seen through different
//! models groups together.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::compare::{Difference, Verdict};
use crate::latency::OpClass;
use crate::run::case::StepRun;

/// A divergence's signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Signature {
    /// The reference outcome's rule id, when it names one.
    pub rule: Option<String>,
    /// The operation class.
    pub class: OpClass,
    /// The reference's status.
    pub reference_status: u16,
    /// The target's status.
    pub target_status: u16,
    /// The class of the first difference.
    pub path: String,
}

impl Signature {
    /// The signature of a step whose outcomes differ (`None` for agreement or unknown).
    pub fn of(step: &StepRun) -> Option<Signature> {
        let Verdict::Differ { differences } = &step.verdict else {
            return None;
        };
        Some(Signature {
            rule: step.reference.rule().map(str::to_string),
            class: step.class,
            reference_status: step.reference.status(),
            target_status: step.target.status(),
            path: differences
                .first()
                .map_or_else(|| "outcome".to_string(), path_class),
        })
    }

    /// A file-name slug: lower case, `-` between words (`read-1-read-list-403-200-status`).
    pub fn slug(&self) -> String {
        let mut out = String::new();
        for c in self.to_string().chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        out.trim_end_matches('-').to_string()
    }
}

impl fmt::Display for Signature {
    /// `READ-1 read_list 403≠200 status`, `read_list 200=200 data.length`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(r) = &self.rule {
            write!(f, "{r} ")?;
        }
        let rel = if self.reference_status == self.target_status {
            '='
        } else {
            '≠'
        };
        write!(
            f,
            "{} {}{rel}{} {}",
            self.class.name(),
            self.reference_status,
            self.target_status,
            self.path
        )
    }
}

/// The class of a difference (see the module docs).
pub fn path_class(d: &Difference) -> String {
    if !d.path.starts_with("data") {
        return d.path.clone();
    }
    match (&d.expected, &d.observed) {
        (Value::Null, Value::Null) => "data".into(),
        (Value::Null, _) | (_, Value::Null) => "data.null".into(),
        (Value::Array(_), Value::Array(_)) => "data.length".into(),
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            "data".into()
        }
        _ => "data.value".into(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::op::Outcome;
    use serde_json::json;

    fn step(reference: Outcome, target: Outcome, d: Difference) -> StepRun {
        StepRun {
            reference,
            target,
            verdict: Verdict::Differ {
                differences: vec![d],
            },
            class: OpClass::ReadList,
            micros: 0,
            request: None,
            curl: None,
        }
    }

    #[test]
    fn signatures_name_rule_class_statuses_and_difference() {
        let s = Signature::of(&step(
            Outcome::Denied {
                rule: Some("READ-1".into()),
                errors: vec![],
            },
            Outcome::Ok { data: json!({}) },
            Difference {
                path: "status".into(),
                expected: json!(403),
                observed: json!(200),
            },
        ))
        .unwrap();
        assert_eq!(s.to_string(), "READ-1 read_list 403≠200 status");
        assert_eq!(s.slug(), "read-1-read-list-403-200-status");
        let ok = |d| {
            step(
                Outcome::Ok { data: json!({}) },
                Outcome::Ok { data: json!({}) },
                d,
            )
        };
        let diff = |e, o| Difference {
            path: "data.posts".into(),
            expected: e,
            observed: o,
        };
        let class = |e, o| Signature::of(&ok(diff(e, o))).unwrap().path;
        assert_eq!(class(json!([1]), json!([1, 2])), "data.length");
        assert_eq!(class(json!(null), json!({"a": 1})), "data.null");
        assert_eq!(class(json!("a"), json!("b")), "data.value");
        assert_eq!(class(json!({"a": 1}), json!(3)), "data");
        assert_eq!(
            Signature::of(&ok(diff(json!(1), json!(2))))
                .unwrap()
                .to_string(),
            "read_list 200=200 data.value"
        );
        let mut agree = ok(diff(json!(1), json!(2)));
        agree.verdict = Verdict::Agree;
        assert_eq!(Signature::of(&agree), None);
    }
}
