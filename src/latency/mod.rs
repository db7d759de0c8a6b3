//! Latency of target requests: one HDR histogram (the `hdrhistogram` crate, microseconds,
//! 3 significant digits) per operation class ([`OpClass`]) and outcome kind (allowed: a 200;
//! denied: any other status), recorded by the runner for every request it sends, summarized as
//! percentiles for the reports. [`baseline`] saves a run's histograms (`--save-baseline`) and
//! compares a run with saved ones (`--baseline`), flagging regressions with the rank test of
//! [`stats`].

pub mod baseline;
pub mod stats;

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::model::project::Schema;
use crate::op::{Operation, OperationType, Outcome};

/// The longest latency a histogram tracks: 10 minutes, in µs (longer values are clamped).
pub const MAX_MICROS: u64 = 600_000_000;

/// What kind of operation a request is, for latency accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpClass {
    /// A query whose root fields include a list (`posts`).
    ReadList,
    /// A query of single entries only (`post(where: {id})`).
    ReadOne,
    /// A query with a connection (`postsConnection`, counts).
    Count,
    /// Introspection or `__typename` only.
    Meta,
    /// `create<Model>`.
    Create,
    /// `update<Model>`.
    Update,
    /// `delete<Model>`.
    Delete,
    /// `publish<Model>`.
    Publish,
    /// `unpublish<Model>`.
    Unpublish,
    /// A mutation with several root fields of different kinds.
    MutationBatch,
    /// A Management-API call.
    Manage,
}

impl OpClass {
    /// The class's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            OpClass::ReadList => "read_list",
            OpClass::ReadOne => "read_one",
            OpClass::Count => "count",
            OpClass::Meta => "meta",
            OpClass::Create => "create",
            OpClass::Update => "update",
            OpClass::Delete => "delete",
            OpClass::Publish => "publish",
            OpClass::Unpublish => "unpublish",
            OpClass::MutationBatch => "mutation_batch",
            OpClass::Manage => "manage",
        }
    }

    /// The class of an operation, by its root fields' names in the environment's `schema`.
    pub fn of(op: &Operation, schema: &Schema) -> OpClass {
        let r = match op {
            Operation::Manage(_) => return OpClass::Manage,
            Operation::Request(r) => r,
        };
        let names: Vec<&str> = r
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| !n.starts_with("__"))
            .collect();
        if names.is_empty() {
            return OpClass::Meta;
        }
        match r.operation {
            OperationType::Query => {
                let is_list = |n: &str| schema.models.iter().any(|m| m.plural == n);
                if names
                    .iter()
                    .any(|n| n.ends_with("Connection") && !is_list(n))
                {
                    OpClass::Count
                } else if names.iter().any(|n| is_list(n)) {
                    OpClass::ReadList
                } else {
                    OpClass::ReadOne
                }
            }
            OperationType::Mutation => {
                let kinds: Vec<OpClass> = names
                    .iter()
                    .map(|n| {
                        [
                            ("create", OpClass::Create),
                            ("update", OpClass::Update),
                            ("delete", OpClass::Delete),
                            ("publish", OpClass::Publish),
                            ("unpublish", OpClass::Unpublish),
                        ]
                        .into_iter()
                        .find(|(p, _)| n.starts_with(p))
                        .map_or(OpClass::MutationBatch, |(_, c)| c)
                    })
                    .collect();
                match kinds.split_first() {
                    Some((first, rest)) if rest.iter().all(|k| k == first) => *first,
                    _ => OpClass::MutationBatch,
                }
            }
        }
    }
}

/// A histogram's key: the class and whether the request was allowed (HTTP 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    /// The operation class.
    pub class: OpClass,
    /// Allowed (a 200) or not.
    pub allowed: bool,
}

impl Key {
    /// The key of an operation (in an environment of `schema`) and the outcome the target gave.
    pub fn of(op: &Operation, schema: &Schema, outcome: &Outcome) -> Key {
        Key {
            class: OpClass::of(op, schema),
            allowed: outcome.status() == 200,
        }
    }
}

/// Latency histograms by [`Key`].
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    histograms: BTreeMap<Key, Histogram<u64>>,
}

/// Percentiles of one key, in microseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassSummary {
    /// The class.
    pub class: OpClass,
    /// Allowed (200) or not.
    pub allowed: bool,
    /// Requests recorded.
    pub count: u64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Largest.
    pub max_us: u64,
    /// Mean.
    pub mean_us: f64,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// Records one request of `key` that took `micros`.
    pub fn record(&mut self, key: Key, micros: u64) {
        let h = match self.histograms.entry(key) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => match new_histogram() {
                Some(h) => v.insert(h),
                None => return,
            },
        };
        // Clamped to the trackable range, so recording cannot fail.
        let _ = h.record(micros.clamp(1, MAX_MICROS));
    }

    /// Adds another recorder's samples.
    pub fn merge(&mut self, other: &Recorder) {
        for (k, h) in &other.histograms {
            match self.histograms.entry(*k) {
                // Both have the same bounds, so adding cannot fail.
                Entry::Occupied(mut e) => {
                    let _ = e.get_mut().add(h);
                }
                Entry::Vacant(v) => {
                    v.insert(h.clone());
                }
            }
        }
    }

    /// The histograms by key.
    pub fn histograms(&self) -> &BTreeMap<Key, Histogram<u64>> {
        &self.histograms
    }

    /// Total requests recorded.
    pub fn count(&self) -> u64 {
        self.histograms.values().map(Histogram::len).sum()
    }

    /// Percentiles per key, in key order.
    pub fn summary(&self) -> Vec<ClassSummary> {
        self.histograms
            .iter()
            .map(|(k, h)| ClassSummary {
                class: k.class,
                allowed: k.allowed,
                count: h.len(),
                p50_us: h.value_at_quantile(0.50),
                p90_us: h.value_at_quantile(0.90),
                p99_us: h.value_at_quantile(0.99),
                max_us: h.max(),
                mean_us: h.mean(),
            })
            .collect()
    }
}

/// A histogram of 1 µs .. [`MAX_MICROS`] with 3 significant digits (a valid configuration, so
/// `None` never happens in practice).
fn new_histogram() -> Option<Histogram<u64>> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::op::graphql::decode;
    use crate::op::Request;

    fn schema() -> Schema {
        let env: crate::model::spec::EnvSpec = serde_yaml_ng::from_str(
            "models: [{name: Post, fields: [{name: title, type: String}]}, {name: Status, fields: [{name: x, type: Int}]}]",
        )
        .unwrap();
        env.schema("env").unwrap()
    }

    fn class(q: &str) -> OpClass {
        OpClass::of(&op(q), &schema())
    }

    fn op(q: &str) -> Operation {
        let d = decode(q, None, None).unwrap();
        Operation::Request(Request {
            operation: d.operation,
            fields: d.fields,
            ..Request::default()
        })
    }

    #[test]
    fn operations_fall_into_classes() {
        assert_eq!(class("{ posts { id } }"), OpClass::ReadList);
        assert_eq!(
            class("{ post(where: {id: \"x\"}) { id } }"),
            OpClass::ReadOne
        );
        assert_eq!(
            class("{ postsConnection { aggregate { count } } }"),
            OpClass::Count
        );
        assert_eq!(class("{ __typename }"), OpClass::Meta);
        // A single-entry root whose name ends in `s` is still one entry.
        assert_eq!(
            class("{ status(where: {id: \"x\"}) { id } }"),
            OpClass::ReadOne
        );
        assert_eq!(
            class("mutation { createPost(data: {}) { id } }"),
            OpClass::Create
        );
        assert_eq!(
            class(
                "mutation { a: publishPost(where: {id: \"x\"}) { id } b: publishPost(where: {id: \"y\"}) { id } }"
            ),
            OpClass::Publish
        );
        assert_eq!(
            class("mutation { createPost(data: {}) { id } deletePost(where: {id: \"y\"}) { id } }"),
            OpClass::MutationBatch
        );
    }

    #[test]
    fn recorders_summarize_and_merge() {
        let k = Key {
            class: OpClass::ReadList,
            allowed: true,
        };
        let mut a = Recorder::new();
        for us in 1..=100 {
            a.record(k, us * 10);
        }
        let mut b = Recorder::new();
        b.record(k, 5_000);
        a.merge(&b);
        let s = &a.summary()[0];
        assert_eq!(s.count, 101);
        assert!((505..=515).contains(&s.p50_us), "{s:?}"); // the 51st of 101
        assert!((4_990..=5_010).contains(&s.max_us), "{s:?}"); // 3 significant digits
        assert_eq!(a.count(), 101);
    }
}
