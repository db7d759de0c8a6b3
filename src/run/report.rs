//! The result of a campaign as data ([`CampaignReport`]): what the runner produces and every
//! report format ([`crate::report`]) renders. Serializable; its JSON form
//! ([`crate::report::json`], `tollgate fuzz --format json`) **is** the report's schema, documented
//! field by field here: every JSON member is the Rust field of the same name.
//!
//! # The JSON document
//!
//! ```text
//! {
//!   "schema_version": 1,            the version of this layout (below)
//!   "version": "0.1.0",             tollgate's version
//!   "seed": 42, "target": "sandbox", "faults": ["…"], "profile": "…", "jobs": 2,
//!   "started_at": "2025-…Z", "duration_secs": 61.2,
//!   "cases": 120, "operations": 4812, "ops_per_sec": 78.6,
//!   "verdicts": {"agree": …, "differ": …, "unknown": …},
//!   "outcomes": [ {"status": 403, "rule": "READ-1", "count": …} ],   the reference's answers
//!   "divergences": [ {"signature", "rules", "occurrences", "cases": [Divergence…]} ],
//!   "unknowns": [ {"reason", "count"} ],
//!   "latency": [ {"class", "allowed", "count", "p50_us", "p90_us", "p99_us", "max_us", "mean_us"} ],
//!   "baseline": {"file", "method", "thresholds", "conditions", "warnings", "classes": [ClassComparison…], …}
//! }
//! ```
//!
//! Outcomes (`reference`, `target` of a [`Divergence`]) are [`Outcome`]s in their serde form
//! (`{"outcome": "denied", "rule": "READ-1", "errors": […]}`, see [`crate::op::Outcome`]);
//! differences are [`Difference`]s (`{"path", "expected", "observed"}`). Members whose value is
//! empty or absent are left out where the field says so (`faults`, `file`, `baseline`).
//! Latencies are integer microseconds, durations seconds as numbers, times RFC 3339 strings.
//!
//! **Versioning:** [`SCHEMA_VERSION`] is bumped when a member is removed or renamed or its
//! meaning changes; adding members does not bump it, so consumers should ignore members they do
//! not know.

use serde::{Deserialize, Serialize};

use crate::compare::Difference;
use crate::latency::baseline::{Conditions, Thresholds};
use crate::latency::{ClassSummary, Key};
use crate::op::Outcome;

/// The version of the report's JSON layout (see the module docs for what bumps it).
pub const SCHEMA_VERSION: u32 = 1;

/// The whole run. [`Default`] gives an empty report of this tollgate version and the current
/// [`SCHEMA_VERSION`], for building one field by field (`..CampaignReport::default()`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignReport {
    /// The layout version of this document ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The tollgate version that ran it.
    pub version: String,
    /// The seed: `tollgate fuzz --seed N` reruns the same cases.
    pub seed: u64,
    /// The target: `sandbox` (embedded), or its URL.
    pub target: String,
    /// The faults switched on in an embedded sandbox (names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
    /// The profile the reference used.
    pub profile: String,
    /// Cases run in parallel (`--jobs`): a condition of the latency figures.
    #[serde(default)]
    pub jobs: usize,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// How long it ran, in seconds.
    pub duration_secs: f64,
    /// Cases run to the end.
    pub cases: u64,
    /// Operations (steps) compared.
    pub operations: u64,
    /// Operations per second over the whole run (setup and shrinking included).
    pub ops_per_sec: f64,
    /// Verdicts over all operations.
    pub verdicts: VerdictCounts,
    /// What the reference answered, by status and deciding rule: how informative the run was
    /// (a run of nothing but 401s agrees and proves little).
    #[serde(default)]
    pub outcomes: Vec<OutcomeCount>,
    /// Every divergence, minimized, grouped by signature.
    pub divergences: Vec<DivergenceGroup>,
    /// Why operations were indeterminate, with counts (never agreement).
    pub unknowns: Vec<UnknownReason>,
    /// Latency per operation class of the target's requests.
    pub latency: Vec<ClassSummary>,
    /// The comparison with `--baseline` (every class compared, regressions flagged), when one
    /// was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineComparison>,
}

impl Default for CampaignReport {
    fn default() -> CampaignReport {
        CampaignReport {
            schema_version: SCHEMA_VERSION,
            version: env!("CARGO_PKG_VERSION").to_string(),
            seed: 0,
            target: String::new(),
            faults: Vec::new(),
            profile: String::new(),
            jobs: 0,
            started_at: String::new(),
            duration_secs: 0.0,
            cases: 0,
            operations: 0,
            ops_per_sec: 0.0,
            verdicts: VerdictCounts::default(),
            outcomes: Vec::new(),
            divergences: Vec::new(),
            unknowns: Vec::new(),
            latency: Vec::new(),
            baseline: None,
        }
    }
}

impl CampaignReport {
    /// Minimized divergences over all groups.
    pub fn divergence_count(&self) -> usize {
        self.divergences.iter().map(|g| g.cases.len()).sum()
    }

    /// The classes flagged as latency regressions (none without a baseline).
    pub fn regressions(&self) -> impl Iterator<Item = &ClassComparison> {
        self.baseline
            .iter()
            .flat_map(|b| b.classes.iter())
            .filter(|c| c.regression)
    }

    /// Operations whose outcome was indeterminate, over all reasons.
    pub fn unknown_count(&self) -> u64 {
        self.unknowns.iter().map(|u| u.count).sum()
    }
}

/// Verdict counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictCounts {
    /// Outcomes that agree.
    pub agree: u64,
    /// Outcomes that differ.
    pub differ: u64,
    /// Indeterminate outcomes (5xx, timeouts, transport errors).
    pub unknown: u64,
}

/// Divergences sharing one signature (the same rule ids, operation kind and kind of
/// difference), with the minimized cases found for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DivergenceGroup {
    /// The signature, e.g. `READ-1 posts 403≠200`.
    pub signature: String,
    /// The spec rules involved (the reference outcome's rule, and any the case's steps cite).
    pub rules: Vec<String>,
    /// How many times it was seen (before minimization).
    pub occurrences: u64,
    /// The minimized divergences (the first few found).
    pub cases: Vec<Divergence>,
}

/// One minimized divergence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Divergence {
    /// The scenario file written (`--out`), when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Which generated case it came from (`--seed` and this index reproduce it).
    pub case_index: u64,
    /// The divergent step's 0-based index in the minimized case (reports print it 1-based).
    pub step: usize,
    /// Steps in the case as generated.
    pub original_steps: usize,
    /// Steps after minimization.
    pub minimized_steps: usize,
    /// Re-runs spent minimizing.
    pub shrink_runs: u64,
    /// The reference's outcome at the divergent step.
    pub reference: Outcome,
    /// The target's outcome there.
    pub target: Outcome,
    /// Where they differ.
    pub differences: Vec<Difference>,
    /// The GraphQL request sent (text).
    pub request: String,
    /// A curl command reproducing the request (token redacted unless `--show-tokens`).
    pub curl: String,
    /// Seconds from the start of the run to this divergence's first sighting.
    pub found_after_secs: f64,
    /// Cases run before it was first seen (this one included).
    pub found_after_cases: u64,
}

/// How often the reference answered with one status and rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OutcomeCount {
    /// The HTTP status (provisioning steps: 200 done, 400 refused).
    pub status: u16,
    /// The rule that decided a non-200 outcome, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// How many operations.
    pub count: u64,
}

impl CampaignReport {
    /// The reference's outcomes summed by status, in status order.
    pub fn outcomes_by_status(&self) -> Vec<(u16, u64)> {
        let mut out: Vec<(u16, u64)> = Vec::new();
        for o in &self.outcomes {
            match out.iter_mut().find(|(s, _)| *s == o.status) {
                Some((_, n)) => *n += o.count,
                None => out.push((o.status, o.count)),
            }
        }
        out.sort_unstable();
        out
    }

    /// [`outcomes_by_status`](Self::outcomes_by_status) as one line (`200 ×883 · 403 ×321`), or
    /// `None` when nothing was answered.
    pub fn outcome_mix(&self) -> Option<String> {
        let mix = self.outcomes_by_status();
        (!mix.is_empty()).then(|| {
            mix.iter()
                .map(|(s, n)| format!("{s} ×{n}"))
                .collect::<Vec<_>>()
                .join(" · ")
        })
    }
}

/// One reason for indeterminate outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownReason {
    /// The reason (an HTTP 5xx and its message, a timeout, …).
    pub reason: String,
    /// How many operations.
    pub count: u64,
}

/// The comparison with a latency baseline (`--baseline FILE`), built by
/// [`crate::latency::baseline::compare`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineComparison {
    /// The baseline file.
    pub file: String,
    /// The statistical test used and its parameters, in words.
    pub method: String,
    /// The thresholds a regression must pass (machine-readable form of `method`).
    #[serde(default)]
    pub thresholds: Thresholds,
    /// The conditions the baseline was recorded under (version, target, jobs, date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Conditions>,
    /// Differences in conditions between the baseline and this run that make latencies less
    /// comparable (another `--jobs`, target, fault set, version), in words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Per class present in both, in class order, allowed before denied.
    pub classes: Vec<ClassComparison>,
    /// Classes recorded only in the baseline (not compared).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only_in_baseline: Vec<Key>,
    /// Classes recorded only in this run (not compared).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only_in_current: Vec<Key>,
}

/// How a class compares with the baseline (see [`crate::latency::baseline`] for the rules).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assessment {
    /// Slower beyond the noise threshold and significant: flagged.
    Regression,
    /// A significant slowdown under the noise threshold.
    WithinNoise,
    /// The median moved beyond the threshold but the test is not significant.
    NotSignificant,
    /// The median moved beyond the threshold but requests are not slower by rank.
    NotSlowerByRank,
    /// Significantly faster (never flagged).
    Faster,
    /// No significant change.
    #[default]
    NoChange,
    /// Too few requests on a side to judge.
    TooFew,
}

impl Assessment {
    /// The judgement in words, as reports print it.
    pub fn label(self) -> &'static str {
        match self {
            Assessment::Regression => "REGRESSION",
            Assessment::WithinNoise => "within noise",
            Assessment::NotSignificant => "not significant",
            Assessment::NotSlowerByRank => "not slower by rank",
            Assessment::Faster => "faster",
            Assessment::NoChange => "no change",
            Assessment::TooFew => "too few requests",
        }
    }
}

/// One class compared with the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassComparison {
    /// The class (`read_list`, …) and whether allowed (200).
    pub class: String,
    /// Allowed (200) or not.
    pub allowed: bool,
    /// Requests in the baseline.
    #[serde(default)]
    pub baseline_count: u64,
    /// Requests in this run.
    #[serde(default)]
    pub current_count: u64,
    /// Baseline median, µs.
    pub baseline_p50_us: u64,
    /// This run's median, µs.
    pub current_p50_us: u64,
    /// Relative change of the median (0.25 = 25 % slower, −0.2 = 20 % faster).
    pub change: f64,
    /// The test's p-value (two-sided Mann–Whitney U; 1 when every sample is tied).
    pub p_value: f64,
    /// The probability that a request of this run is slower than one of the baseline, ties
    /// counted half (0.5: no shift; the Mann–Whitney `U` over the number of pairs).
    #[serde(default)]
    pub prob_slower: f64,
    /// Flagged as a regression: over the noise threshold and significant.
    pub regression: bool,
    /// The judgement in one word (the first words of `reason`).
    #[serde(default)]
    pub assessment: Assessment,
    /// Why (or why not), in words.
    pub reason: String,
}
