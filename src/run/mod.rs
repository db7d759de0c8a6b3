//! The differential campaign: running cases against the reference and a target, comparing,
//! minimizing divergences and persisting them.
//!
//! - [`case`]: [`Runner::run_case`] runs one case on a fresh project of the target, step by
//!   step on both sides, with created-entry pairing, latency and comparison ([`CaseRun`],
//!   [`StepRun`]).
//! - [`campaign`](mod@campaign): [`campaign()`] runs cases from a [`CaseSource`] in parallel,
//!   groups divergences by [`Signature`], minimizes and persists the first of each, and fills the
//!   [`report::CampaignReport`] ([`CampaignResult`]).
//! - [`signature`]: what makes two divergences the same.
//! - [`shrink`](mod@shrink): [`shrink()`] minimizes a divergence (value tree, then structural
//!   passes) within a [`ShrinkConfig`] budget.
//! - [`persist`]: a minimized divergence as a replayable scenario file.
//! - [`report`]: the campaign's result as data, which the report formats render.

pub mod campaign;
pub mod case;
pub mod persist;
pub mod report;
pub mod score;
pub mod shrink;
pub mod signature;
pub mod source;

pub use campaign::{campaign, CampaignConfig, CampaignResult, CaseSource, Progress};
pub use case::{CaseRun, RunError, Runner, StepRun};
pub use shrink::{shrink, CaseTree, ShrinkConfig, Shrunk, TreeMaker};
pub use signature::Signature;
