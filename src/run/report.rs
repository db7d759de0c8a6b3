//! The result of a campaign as data ([`CampaignReport`]): what the runner produces and every
//! report format (`crate::report`) renders. Serializable; its JSON form is the `--format json`
//! output and is documented field by field here.

use serde::{Deserialize, Serialize};

use crate::compare::Difference;
use crate::latency::ClassSummary;
use crate::op::Outcome;

/// The whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignReport {
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
    /// Every divergence, minimized, grouped by signature.
    pub divergences: Vec<DivergenceGroup>,
    /// Why operations were indeterminate, with counts (never agreement).
    pub unknowns: Vec<UnknownReason>,
    /// Latency per operation class of the target's requests.
    pub latency: Vec<ClassSummary>,
    /// Regressions against `--baseline`, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineComparison>,
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
    /// The divergent step's index in the minimized case.
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

/// One reason for indeterminate outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownReason {
    /// The reason (an HTTP 5xx and its message, a timeout, …).
    pub reason: String,
    /// How many operations.
    pub count: u64,
}

/// The comparison with a latency baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineComparison {
    /// The baseline file.
    pub file: String,
    /// The statistical test used and its parameters, in words.
    pub method: String,
    /// Per class present in both.
    pub classes: Vec<ClassComparison>,
}

/// One class compared with the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassComparison {
    /// The class (`read_list`, …) and whether allowed (200).
    pub class: String,
    /// Allowed (200) or not.
    pub allowed: bool,
    /// Baseline median, µs.
    pub baseline_p50_us: u64,
    /// This run's median, µs.
    pub current_p50_us: u64,
    /// Relative change of the median (0.25 = 25 % slower).
    pub change: f64,
    /// The test's p-value.
    pub p_value: f64,
    /// Flagged as a regression: over the noise threshold and significant.
    pub regression: bool,
    /// Why (or why not), in words.
    pub reason: String,
}
