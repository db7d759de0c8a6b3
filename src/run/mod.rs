//! The differential campaign: running cases against the reference and a target
//! ([`case`]), many of them in parallel ([`campaign`]), minimizing divergences ([`shrink`]) and
//! persisting them as scenario files ([`persist`]); [`report`] holds the campaign's result as
//! data, which the report formats render.

pub mod campaign;
pub mod case;
pub mod persist;
pub mod report;

pub use case::{CaseRun, RunError, Runner, StepRun};
pub mod shrink;
pub mod signature;

pub use campaign::{campaign, CampaignConfig, CampaignResult, CaseSource, Progress};
pub use shrink::{shrink, CaseTree, ShrinkConfig, Shrunk, TreeMaker};
pub use signature::Signature;
