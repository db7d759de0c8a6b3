//! The fault score: how strong the campaign is. For each of the sandbox's faults
//! ([`Fault::ALL`](crate::sandbox::faults::Fault::ALL)), the campaign runs against an embedded
//! sandbox with that one fault on until the first divergence (the fault is *killed*) or a time
//! limit (it *survives*); the score records the time and cases to the first divergence and the
//! size of the minimized case. `tollgate score` prints it; CI compares it with a committed
//! list of faults that were killed before ([`ScoreExpectation`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::gen::GenConfig;
use crate::run::campaign::{campaign, CampaignConfig};
use crate::run::case::Runner;
use crate::run::shrink::ShrinkConfig;
use crate::run::source::GenSource;
use crate::sandbox::faults::{Fault, Faults};
use crate::sandbox::server::{start, Config, ServerError};
use crate::target::http_client;
use crate::target::sandbox::SandboxAdmin;

/// Why scoring could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// The embedded sandbox could not be started or stopped.
    #[error("the sandbox for fault {fault}: {source}")]
    Server {
        /// The fault being scored.
        fault: String,
        /// What failed.
        #[source]
        source: ServerError,
    },
    /// The HTTP client could not be built.
    #[error("the HTTP client: {0}")]
    Http(String),
}

/// How to score.
#[derive(Debug, Clone)]
pub struct ScoreConfig {
    /// The campaign seed (the same for every fault).
    pub seed: u64,
    /// The faults to score, in order.
    pub faults: Vec<Fault>,
    /// The most time spent on one fault.
    pub time_limit_per_fault: Duration,
    /// The most cases run for one fault (`None`: as many as the time allows). With one job
    /// this bound is deterministic: the same seed kills the same faults on any machine.
    pub cases_per_fault: Option<u64>,
    /// Workers per campaign.
    pub jobs: usize,
    /// The generator's configuration.
    pub gen: GenConfig,
    /// Where minimized divergences are written (`None`: not written).
    pub out: Option<PathBuf>,
    /// The budget of the one shrink per fault.
    pub shrink: ShrinkConfig,
}

/// One fault's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultScore {
    /// The fault's name.
    pub fault: String,
    /// The rule it violates.
    pub rule: String,
    /// Whether a divergence was found.
    pub killed: bool,
    /// Seconds to the first divergence (or spent in vain).
    pub secs: f64,
    /// Cases run to the first divergence (or in vain).
    pub cases: u64,
    /// The signature of the first divergence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Steps of the minimized case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimized_steps: Option<usize>,
    /// The scenario file written for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Harness errors met on the way (a fault scored with errors is not trustworthy).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// The whole score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The seed.
    pub seed: u64,
    /// The time limit per fault, in seconds.
    pub time_limit_per_fault_secs: f64,
    /// The case limit per fault, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cases_per_fault: Option<u64>,
    /// One entry per fault, in order.
    pub faults: Vec<FaultScore>,
    /// Faults killed.
    pub killed: usize,
    /// Faults scored.
    pub total: usize,
}

/// The faults a previous score killed, kept in the repository (`score-expect.json`): a fault in
/// it that survives now is a regression of the campaign's strength.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreExpectation {
    /// Names of faults that must be killed.
    pub killed: Vec<String>,
}

impl Score {
    /// The expectation this score sets: every fault it killed.
    pub fn expectation(&self) -> ScoreExpectation {
        ScoreExpectation {
            killed: self
                .faults
                .iter()
                .filter(|f| f.killed)
                .map(|f| f.fault.clone())
                .collect(),
        }
    }

    /// Faults `expected` lists as killed that this score did not kill (scored ones only).
    pub fn regressions(&self, expected: &ScoreExpectation) -> Vec<String> {
        self.faults
            .iter()
            .filter(|f| !f.killed && expected.killed.contains(&f.fault))
            .map(|f| f.fault.clone())
            .collect()
    }

    /// The score as text: one line per fault and the total.
    pub fn human(&self) -> String {
        let width = self.faults.iter().map(|f| f.fault.len()).max().unwrap_or(0);
        let cases = self
            .cases_per_fault
            .map(|n| format!(" and {n} cases"))
            .unwrap_or_default();
        let mut out = format!(
            "fault score, seed {} (tollgate score --seed {} reruns it), at most {:.0} s{cases} per fault\n",
            self.seed, self.seed, self.time_limit_per_fault_secs
        );
        for f in &self.faults {
            let what = if f.killed {
                format!(
                    "killed    {:>6.1} s {:>5} cases  {} steps  {}",
                    f.secs,
                    f.cases,
                    f.minimized_steps
                        .map_or_else(|| "?".to_string(), |n| n.to_string()),
                    f.signature.as_deref().unwrap_or("")
                )
            } else {
                format!("SURVIVED  {:>6.1} s {:>5} cases", f.secs, f.cases)
            };
            out.push_str(&format!("  {:width$}  {:<8} {what}\n", f.fault, f.rule));
            for e in &f.errors {
                out.push_str(&format!("    harness error: {e}\n"));
            }
        }
        out.push_str(&format!("killed {}/{}\n", self.killed, self.total));
        out
    }
}

/// Scores every fault of `config`, one after the other; `progress` is told each result.
pub async fn score(
    config: &ScoreConfig,
    mut progress: impl FnMut(&FaultScore),
) -> Result<Score, ScoreError> {
    let mut faults = Vec::new();
    for &fault in &config.faults {
        let s = score_one(config, fault).await?;
        progress(&s);
        faults.push(s);
    }
    let killed = faults.iter().filter(|f| f.killed).count();
    Ok(Score {
        seed: config.seed,
        time_limit_per_fault_secs: config.time_limit_per_fault.as_secs_f64(),
        cases_per_fault: config.cases_per_fault,
        total: faults.len(),
        killed,
        faults,
    })
}

async fn score_one(config: &ScoreConfig, fault: Fault) -> Result<FaultScore, ScoreError> {
    let server_error = |source| ScoreError::Server {
        fault: fault.name().to_string(),
        source,
    };
    let server = start(Config {
        faults: Faults::NONE.with(fault),
        ..Config::default()
    })
    .await
    .map_err(server_error)?;
    let http = http_client().map_err(|e| ScoreError::Http(e.to_string()))?;
    let admin = SandboxAdmin::new(http, server.url(), server.admin_secret());
    let runner = Arc::new(Runner::new(admin));
    let source = Arc::new(GenSource::new(config.seed, config.gen.clone()));
    let mut c = CampaignConfig::new(config.seed);
    c.cases = config.cases_per_fault;
    c.time_limit = Some(config.time_limit_per_fault);
    c.jobs = config.jobs;
    c.profile = config.gen.profile.clone();
    c.target = "sandbox".into();
    c.faults = vec![fault.name().to_string()];
    c.out = config.out.clone();
    c.stop_on_divergence = true;
    c.shrink = config.shrink;
    let started = Instant::now();
    let result = campaign(runner, source, c, |_| {}).await;
    let spent = started.elapsed().as_secs_f64();
    server.shutdown().await.map_err(server_error)?;
    let r = &result.report;
    let first = r
        .divergences
        .iter()
        .flat_map(|g| g.cases.iter().map(move |d| (g, d)))
        .min_by(|a, b| a.1.found_after_secs.total_cmp(&b.1.found_after_secs));
    let killed = r.verdicts.differ > 0;
    Ok(FaultScore {
        fault: fault.name().to_string(),
        rule: fault.rule().to_string(),
        killed,
        secs: first.map_or(spent, |(_, d)| d.found_after_secs),
        cases: first.map_or(r.cases, |(_, d)| d.found_after_cases),
        signature: first
            .map(|(g, _)| g.signature.clone())
            .or_else(|| r.divergences.first().map(|g| g.signature.clone())),
        minimized_steps: first.map(|(_, d)| d.minimized_steps),
        file: first.and_then(|(_, d)| d.file.clone()),
        errors: result.harness_errors,
    })
}
