//! The comparison policy, in one place: when two [`Outcome`]s agree (spec, "How a harness
//! compares").
//!
//! Status first. For 200, `data` as JSON values: member order ignored, lists in order, numbers
//! numerically (`1 == 1.0`), and two strings that both read as RFC 3339 date-times compared as
//! instants (DATA-1). For 403, the messages (as a multiset), the set of `path`s and the set of
//! `failedActions`. For 400, 401, 404 and 413 nothing beyond the status; provisioning outcomes
//! by kind. [`Mode::Scenario`] adds one check a target is never held to: when the expected
//! outcome names a `rule`, the observed one must name the same. An
//! [`Outcome::Indeterminate`] on either side is never agreement ([`Verdict::Unknown`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::value::parse_datetime;
use crate::op::{DeniedError, Outcome};

/// Who is compared with whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// A target's outcome against the reference's: rule ids are not compared.
    #[default]
    Target,
    /// A scenario's expected outcome against the reference's: an expected `rule` must match.
    Scenario,
}

/// One difference between two outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// Where: `status`, `rule`, a JSON path into `data` (`data.posts[0].title`), `errors.path`, …
    pub path: String,
    /// The expected side at that place (compact JSON; `null`/absent as `null`).
    pub expected: Value,
    /// The observed side at that place.
    pub observed: Value,
}

/// The verdict of one comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// The outcomes agree.
    Agree,
    /// They differ, at these places.
    Differ {
        /// The differences, in a stable order.
        differences: Vec<Difference>,
    },
    /// One side is indeterminate: never agreement, never a divergence by itself.
    Unknown {
        /// Why.
        reason: String,
    },
}

impl Verdict {
    /// Whether the outcomes agree.
    pub fn is_agree(&self) -> bool {
        matches!(self, Verdict::Agree)
    }
}

/// Compares an expected outcome with an observed one.
pub fn compare(expected: &Outcome, observed: &Outcome, mode: Mode) -> Verdict {
    for (side, o) in [("expected", expected), ("observed", observed)] {
        if let Outcome::Indeterminate { reason } = o {
            return Verdict::Unknown {
                reason: format!("the {side} outcome is indeterminate: {reason}"),
            };
        }
    }
    let mut diffs = Vec::new();
    if expected.status() != observed.status() {
        diffs.push(Difference {
            path: "status".into(),
            expected: Value::from(expected.status()),
            observed: Value::from(observed.status()),
        });
    } else if kind(expected) != kind(observed) {
        diffs.push(Difference {
            path: "outcome".into(),
            expected: Value::from(kind(expected)),
            observed: Value::from(kind(observed)),
        });
    } else {
        match (expected, observed) {
            (Outcome::Ok { data: a }, Outcome::Ok { data: b }) => {
                json_diff("data", a, b, &mut diffs);
            }
            (Outcome::Denied { errors: a, .. }, Outcome::Denied { errors: b, .. }) => {
                denied_diff(a, b, &mut diffs);
            }
            _ => {}
        }
    }
    if mode == Mode::Scenario {
        if let Some(want) = expected.rule() {
            if observed.rule() != Some(want) {
                diffs.push(Difference {
                    path: "rule".into(),
                    expected: Value::from(want),
                    observed: observed.rule().map_or(Value::Null, Value::from),
                });
            }
        }
    }
    if diffs.is_empty() {
        Verdict::Agree
    } else {
        Verdict::Differ { differences: diffs }
    }
}

/// The outcome's kind, as its serde tag.
pub fn kind(o: &Outcome) -> &'static str {
    match o {
        Outcome::Ok { .. } => "ok",
        Outcome::Introspection => "introspection",
        Outcome::Denied { .. } => "denied",
        Outcome::Invalid { .. } => "invalid",
        Outcome::Unauthenticated { .. } => "unauthenticated",
        Outcome::NotFound => "not_found",
        Outcome::TooLarge => "too_large",
        Outcome::Provisioned => "provisioned",
        Outcome::Refused { .. } => "refused",
        Outcome::Indeterminate { .. } => "indeterminate",
    }
}

fn denied_diff(a: &[DeniedError], b: &[DeniedError], diffs: &mut Vec<Difference>) {
    let messages = |e: &[DeniedError]| {
        let mut m: Vec<String> = e.iter().map(|x| x.message.clone()).collect();
        m.sort();
        m
    };
    let (ma, mb) = (messages(a), messages(b));
    if ma != mb {
        diffs.push(Difference {
            path: "errors.message".into(),
            expected: Value::from(ma),
            observed: Value::from(mb),
        });
    }
    let paths = |e: &[DeniedError]| -> BTreeSet<Vec<String>> {
        e.iter().filter_map(|x| x.path.clone()).collect()
    };
    let (pa, pb) = (paths(a), paths(b));
    if pa != pb {
        diffs.push(Difference {
            path: "errors.path".into(),
            expected: to_json(&pa),
            observed: to_json(&pb),
        });
    }
    let actions = |e: &[DeniedError]| -> BTreeSet<_> {
        e.iter()
            .flat_map(|x| x.failed_actions.iter().flatten().cloned())
            .collect()
    };
    let (fa, fb) = (actions(a), actions(b));
    if fa != fb {
        diffs.push(Difference {
            path: "errors.failedActions".into(),
            expected: to_json(&fa),
            observed: to_json(&fb),
        });
    }
}

fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Whether two JSON values are equal by the policy (see the module docs).
pub fn json_equal(a: &Value, b: &Value) -> bool {
    let mut d = Vec::new();
    json_diff("", a, b, &mut d);
    d.is_empty()
}

fn json_diff(path: &str, a: &Value, b: &Value, diffs: &mut Vec<Difference>) {
    let differ = |diffs: &mut Vec<Difference>| {
        diffs.push(Difference {
            path: path.to_string(),
            expected: a.clone(),
            observed: b.clone(),
        });
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let sub = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => json_diff(&sub, va, vb, diffs),
                    (va, vb) => diffs.push(Difference {
                        path: sub,
                        expected: va.cloned().unwrap_or(Value::Null),
                        observed: vb.cloned().unwrap_or(Value::Null),
                    }),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                differ(diffs);
                return;
            }
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                json_diff(&format!("{path}[{i}]"), va, vb, diffs);
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let same = match (x.as_i64(), y.as_i64()) {
                (Some(i), Some(j)) => i == j,
                _ => x.as_f64() == y.as_f64(),
            };
            if !same {
                differ(diffs);
            }
        }
        (Value::String(x), Value::String(y)) => {
            if x != y {
                let instants = parse_datetime(x).zip(parse_datetime(y));
                if instants.is_none_or(|(i, j)| i != j) {
                    differ(diffs);
                }
            }
        }
        _ => {
            if a != b {
                differ(diffs);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::op::FailedAction;
    use serde_json::json;

    fn ok(v: Value) -> Outcome {
        Outcome::Ok { data: v }
    }

    #[test]
    fn data_ignores_member_order_and_number_form() {
        let a = ok(json!({"posts": [{"a": 1, "b": "x"}]}));
        let b = ok(serde_json::from_str(r#"{"posts":[{"b":"x","a":1.0}]}"#).unwrap());
        assert!(compare(&a, &b, Mode::Target).is_agree());
    }

    #[test]
    fn datetimes_compare_as_instants() {
        let a = ok(json!({"t": "2024-01-01T08:00:00+00:00"}));
        let b = ok(json!({"t": "2024-01-01T10:00:00+02:00"}));
        assert!(compare(&a, &b, Mode::Target).is_agree());
    }

    #[test]
    fn list_order_matters_and_paths_are_reported() {
        let a = ok(json!({"posts": [{"t": "a"}, {"t": "b"}]}));
        let b = ok(json!({"posts": [{"t": "b"}, {"t": "a"}]}));
        match compare(&a, &b, Mode::Target) {
            Verdict::Differ { differences } => {
                let paths: Vec<_> = differences.iter().map(|d| d.path.as_str()).collect();
                assert_eq!(paths, ["data.posts[0].t", "data.posts[1].t"]);
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn denied_compares_sets() {
        let fa = |a: &str| FailedAction {
            action: a.into(),
            model: "Post".into(),
            stage: "DRAFT".into(),
        };
        let e = |v: Vec<FailedAction>| Outcome::Denied {
            rule: Some("WRITE-1".into()),
            errors: vec![DeniedError {
                message: "Mutation failed due to permission errors".into(),
                path: None,
                failed_actions: Some(v),
            }],
        };
        let a = e(vec![fa("create"), fa("read")]);
        let b = e(vec![fa("read"), fa("create")]);
        assert!(compare(&a, &b, Mode::Scenario).is_agree());
        let c = e(vec![fa("create")]);
        assert!(!compare(&a, &c, Mode::Target).is_agree());
    }

    #[test]
    fn rules_only_in_scenario_mode() {
        let a = Outcome::invalid("CTX-1", "");
        let b = Outcome::invalid("CTX-2", "whatever");
        assert!(compare(&a, &b, Mode::Target).is_agree());
        assert!(!compare(&a, &b, Mode::Scenario).is_agree());
    }

    #[test]
    fn indeterminate_is_never_agreement() {
        let a = Outcome::Indeterminate { reason: "x".into() };
        assert!(matches!(
            compare(&a, &a, Mode::Target),
            Verdict::Unknown { .. }
        ));
    }
}
