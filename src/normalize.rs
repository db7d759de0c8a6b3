//! Normalization of outcomes before comparison, in one place: lists of entries that READ-3
//! lets a harness compare without regard to order are sorted; ids of entries created during a
//! run are paired across the two sides by creation order (DATA-2); timestamps set during the run
//! are replaced by their relative order (DATA-3).
//!
//! Both sides of a comparison are normalized by the same [`Normalizer`] with the same request,
//! so whatever it changes it changes alike.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::model::value::parse_datetime;
use crate::op::{Outcome, Request, Selection};

/// Normalizes outcomes of one case.
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    /// `page_default` (READ-3): a list at least this long keeps its order.
    pub page_default: usize,
    /// The latest timestamp the case loaded (µs); later ones were set during the run.
    pub latest_loaded: i64,
    /// Target id → reference id, for entries created during the run (DATA-2).
    ids: HashMap<String, String>,
}

const TIMESTAMPS: [&str; 3] = ["createdAt", "updatedAt", "publishedAt"];

impl Normalizer {
    /// A normalizer for a case whose latest loaded timestamp is `latest_loaded`.
    pub fn new(page_default: usize, latest_loaded: i64) -> Normalizer {
        Normalizer {
            page_default,
            latest_loaded,
            ids: HashMap::new(),
        }
    }

    /// The normalizer of a case whose reference starts from `state`: its profile's
    /// `page_default`, and the latest timestamp its content loaded (later ones were set during
    /// the run).
    pub fn for_state(state: &crate::model::State) -> Normalizer {
        let latest = state
            .environments
            .iter()
            .map(|e| e.content.latest_timestamp)
            .max()
            .unwrap_or(0);
        Normalizer::new(state.profile.page_default, latest)
    }

    /// Records that the entry the target created as `target` is the reference's `reference`.
    pub fn pair_id(&mut self, reference: &str, target: &str) {
        self.ids.insert(target.to_string(), reference.to_string());
    }

    /// The reference id paired with a target id, if any.
    pub fn paired(&self, target: &str) -> Option<&str> {
        self.ids.get(target).map(String::as_str)
    }

    /// The outcome with its `data` normalized for `request` (other outcomes unchanged).
    /// `target_side` says whether ids are to be rewritten through the pairing.
    pub fn outcome(&self, request: &Request, o: &Outcome, target_side: bool) -> Outcome {
        match o {
            Outcome::Ok { data } => {
                let mut data = data.clone();
                let mut stamps = BTreeSet::new();
                if let Value::Object(map) = &mut data {
                    for sel in &request.fields {
                        if let Some(v) = map.get_mut(sel.key()) {
                            self.walk(sel, v, Some(sel), target_side, &mut stamps);
                        }
                    }
                }
                if !stamps.is_empty() {
                    let ranks: Vec<i64> = stamps.into_iter().collect();
                    relabel(&mut data, &ranks, self.latest_loaded);
                }
                Outcome::Ok { data }
            }
            other => other.clone(),
        }
    }

    /// Walks the value of field `sel`; `list_owner` is the field whose arguments decide the
    /// order of a list found here (the field itself, or the connection above `edges`).
    fn walk(
        &self,
        sel: &Selection,
        v: &mut Value,
        list_owner: Option<&Selection>,
        target_side: bool,
        stamps: &mut BTreeSet<i64>,
    ) {
        match v {
            Value::Array(items) => {
                for it in items.iter_mut() {
                    self.walk_object(sel, it, target_side, stamps);
                }
                let ordered = sel.name == "documentInStages"
                    || list_owner.is_none_or(|o| {
                        ["orderBy", "first", "skip"]
                            .iter()
                            .any(|a| o.args.get(*a).is_some_and(|x| !x.is_null()))
                    })
                    || items.len() >= self.page_default;
                if !ordered {
                    items.sort_by_cached_key(|x| x.to_string());
                }
            }
            Value::String(s) if sel.name == "id" && target_side => {
                if let Some(r) = self.ids.get(s.as_str()) {
                    *s = r.clone();
                }
            }
            Value::String(s) if TIMESTAMPS.contains(&sel.name.as_str()) => {
                if let Some(t) = parse_datetime(s) {
                    if t > self.latest_loaded {
                        stamps.insert(t);
                    }
                }
            }
            Value::Object(_) => self.walk_object(sel, v, target_side, stamps),
            _ => {}
        }
    }

    fn walk_object(
        &self,
        sel: &Selection,
        v: &mut Value,
        target_side: bool,
        stamps: &mut BTreeSet<i64>,
    ) {
        let Value::Object(map) = v else {
            return;
        };
        for child in &sel.selection {
            if let Some(cv) = map.get_mut(child.key()) {
                // `edges` of a connection take the connection's arguments.
                let owner = if child.name == "edges" {
                    Some(sel)
                } else {
                    Some(child)
                };
                self.walk(child, cv, owner, target_side, stamps);
            }
        }
    }
}

/// Replaces every run-set timestamp string by `run#k`, its rank among the run-set timestamps
/// of the outcome.
fn relabel(v: &mut Value, ranks: &[i64], latest: i64) {
    match v {
        Value::String(s) => {
            if let Some(t) = parse_datetime(s) {
                if t > latest {
                    if let Ok(k) = ranks.binary_search(&t) {
                        *s = format!("run#{k}");
                    }
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| relabel(x, ranks, latest)),
        Value::Object(o) => o.values_mut().for_each(|x| relabel(x, ranks, latest)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::op::graphql::decode;
    use serde_json::json;

    fn request(q: &str) -> Request {
        let d = decode(q, None, None).unwrap();
        Request {
            operation: d.operation,
            fields: d.fields,
            ..Default::default()
        }
    }

    fn ok(v: Value) -> Outcome {
        Outcome::Ok { data: v }
    }

    #[test]
    fn short_unordered_lists_are_sorted_and_ordered_ones_kept() {
        let n = Normalizer::new(10, 0);
        let r = request("{ posts { id tags { id } } }");
        let a = n.outcome(
            &r,
            &ok(json!({"posts": [{"id": "b", "tags": [{"id": "y"}, {"id": "x"}]}, {"id": "a", "tags": []}]})),
            false,
        );
        assert_eq!(
            a,
            ok(
                json!({"posts": [{"id": "a", "tags": []}, {"id": "b", "tags": [{"id": "x"}, {"id": "y"}]}]})
            )
        );
        let r = request("{ posts(orderBy: id_DESC) { id } }");
        let kept = ok(json!({"posts": [{"id": "b"}, {"id": "a"}]}));
        assert_eq!(n.outcome(&r, &kept, false), kept);
        let r = request("{ postsConnection(first: 2) { edges { node { id } } } }");
        let kept = ok(
            json!({"postsConnection": {"edges": [{"node": {"id": "b"}}, {"node": {"id": "a"}}]}}),
        );
        assert_eq!(n.outcome(&r, &kept, false), kept);
        let r = request("{ postsConnection { edges { node { id } } } }");
        assert_eq!(
            n.outcome(&r, &kept, false),
            ok(
                json!({"postsConnection": {"edges": [{"node": {"id": "a"}}, {"node": {"id": "b"}}]}})
            )
        );
    }

    #[test]
    fn long_lists_keep_their_order() {
        let n = Normalizer::new(2, 0);
        let r = request("{ posts { id } }");
        let kept = ok(json!({"posts": [{"id": "b"}, {"id": "a"}]}));
        assert_eq!(n.outcome(&r, &kept, false), kept);
    }

    #[test]
    fn ids_are_paired_and_run_timestamps_ranked() {
        let latest = parse_datetime("2024-01-01T00:00:00Z").unwrap();
        let mut n = Normalizer::new(10, latest);
        n.pair_id("cref1", "ctarget1");
        let r = request("mutation { createPost(data: {}) { id createdAt updatedAt } }");
        let target = ok(json!({"createPost": {"id": "ctarget1",
            "createdAt": "2026-12-03T10:00:00.5+00:00", "updatedAt": "2026-12-03T10:00:01+00:00"}}));
        let reference = ok(json!({"createPost": {"id": "cref1",
            "createdAt": "2024-01-01T00:00:00.000001+00:00", "updatedAt": "2024-01-01T00:00:00.000002+00:00"}}));
        let want =
            ok(json!({"createPost": {"id": "cref1", "createdAt": "run#0", "updatedAt": "run#1"}}));
        assert_eq!(n.outcome(&r, &target, true), want);
        assert_eq!(n.outcome(&r, &reference, false), want);
        // A loaded timestamp is kept as it is.
        let loaded =
            ok(json!({"createPost": {"id": "x", "createdAt": "2023-06-01T00:00:00+00:00"}}));
        assert_eq!(n.outcome(&r, &loaded, true), loaded);
    }
}
