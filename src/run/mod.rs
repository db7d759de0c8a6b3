//! The differential campaign: running cases against the reference and a target, comparing,
//! minimizing divergences and persisting them. In progress: [`report`] holds the campaign's
//! result as data, which the report formats render.

pub mod report;
