//! The campaign: cases `0..N` (or until a time limit) from a [`CaseSource`], run in parallel
//! across projects by `jobs` workers (tokio tasks; each case's steps strictly in order), every
//! divergence grouped by [`Signature`], the first few of each signature minimized
//! ([`shrink()`](crate::run::shrink::shrink)) and persisted ([`persist`]), and the whole run
//! summarized as a [`CampaignReport`].
//!
//! Counting: every step of every case run is one operation with one verdict (agree, differ,
//! unknown). Indeterminate outcomes are counted as unknown with their reason, never as
//! agreement. A case the target could not be provisioned with counts each of its steps as
//! unknown (reason `provisioning: …`) and is also a harness error; a case the reference refuses
//! (a generator bug) is a harness error only. Re-runs spent shrinking are not counted and not
//! timed: the report's operations and latency are the campaign's own.
//!
//! Nothing stops the campaign early: all divergences are collected. When both a case count and
//! a time limit are given, whichever comes first ends it; with neither, it runs until the source
//! has no more cases. Cases in flight when the time is up run to their end, and divergences
//! found are shrunk (within their own budget) before the campaign returns.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;

use crate::case::Case;
use crate::compare::Verdict;
use crate::latency::Recorder;
use crate::run::case::{CaseRun, RunError, Runner};
use crate::run::persist::{self, Provenance};
use crate::run::report::{
    CampaignReport, Divergence, DivergenceGroup, OutcomeCount, UnknownReason, VerdictCounts,
};
use crate::run::shrink::{shrink, ShrinkConfig, TreeMaker};
use crate::run::signature::Signature;
use crate::scenario::load::DEFAULT_PROFILE;

/// Where a campaign's cases come from: case `index` of the campaign's seed (deterministic), and
/// optionally the generator's value tree for it (for shrinking). A closure
/// `Fn(u64) -> Option<Case>` is a source without trees; `None` means no more cases.
pub trait CaseSource: Send + Sync {
    /// Case number `index`, or `None` when the source has no more.
    fn case(&self, index: u64) -> Option<Case>;

    /// A maker of case `index`'s value tree, when the source has one.
    fn tree(&self, _index: u64) -> Option<TreeMaker> {
        None
    }
}

impl<F: Fn(u64) -> Option<Case> + Send + Sync> CaseSource for F {
    fn case(&self, index: u64) -> Option<Case> {
        self(index)
    }
}

/// How to run a campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignConfig {
    /// The seed (recorded in the report and the persisted files).
    pub seed: u64,
    /// Run cases `0..cases`.
    pub cases: Option<u64>,
    /// Start no case after this much time.
    pub time_limit: Option<Duration>,
    /// Workers (projects in flight at once), at least 1.
    pub jobs: usize,
    /// The profile name (for the report; the cases carry their own).
    pub profile: String,
    /// The target's label: `sandbox` or its URL.
    pub target: String,
    /// Faults switched on in an embedded sandbox (names, for the report and the files).
    pub faults: Vec<String>,
    /// Where minimized divergences are written (`None`: not written).
    pub out: Option<PathBuf>,
    /// The budget of each shrink (`max_runs: 0`: no shrinking, the case is only cut after the
    /// divergent step).
    pub shrink: ShrinkConfig,
    /// How many divergences of one signature are minimized and persisted (the rest are
    /// counted).
    pub keep_per_signature: usize,
    /// Start no new case once a case has diverged, and minimize only the first divergence
    /// (`tollgate score`: time to the first kill).
    pub stop_on_divergence: bool,
}

impl CampaignConfig {
    /// A configuration with defaults: 100 cases, 2 jobs, the default profile, the embedded
    /// sandbox, output to [`persist::DEFAULT_OUT`], one minimized case per signature.
    pub fn new(seed: u64) -> CampaignConfig {
        CampaignConfig {
            seed,
            cases: Some(100),
            time_limit: None,
            jobs: 2,
            profile: DEFAULT_PROFILE.to_string(),
            target: "sandbox".to_string(),
            faults: Vec::new(),
            out: Some(PathBuf::from(persist::DEFAULT_OUT)),
            shrink: ShrinkConfig::default(),
            keep_per_signature: 1,
            stop_on_divergence: false,
        }
    }
}

/// The campaign so far, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Progress {
    /// Cases finished.
    pub cases: u64,
    /// Operations compared.
    pub operations: u64,
    /// Operations whose outcomes differ.
    pub divergences: u64,
    /// Operations with an unknown verdict.
    pub unknown: u64,
    /// Time since the start.
    pub elapsed: Duration,
}

/// What a campaign returns.
#[derive(Debug, Clone)]
pub struct CampaignResult {
    /// The report.
    pub report: CampaignReport,
    /// The latency histograms (for `--save-baseline` and `--baseline`).
    pub latency: Recorder,
    /// Harness errors (cases that could not be run, divergences that could not be
    /// persisted), each with its case index; a CLI exits 2 on any.
    pub harness_errors: Vec<String>,
}

enum Event {
    Case {
        counts: VerdictCounts,
        /// The reference's outcome of each step: status and rule.
        outcomes: Vec<(u16, Option<String>)>,
        unknowns: Vec<String>,
        signatures: Vec<Signature>,
        latency: Recorder,
    },
    Failed {
        steps: u64,
        provisioning: bool,
        message: String,
    },
    Minimized {
        signature: Signature,
        rules: Vec<String>,
        divergence: Box<Divergence>,
        error: Option<String>,
    },
}

struct Shared {
    runner: Arc<Runner>,
    source: Arc<dyn CaseSource>,
    config: CampaignConfig,
    start: Instant,
    next: AtomicU64,
    finished: AtomicU64,
    claims: Mutex<HashMap<Signature, usize>>,
    stop: AtomicBool,
}

impl Shared {
    fn claim(&self, signature: &Signature) -> bool {
        let Ok(mut claims) = self.claims.lock() else {
            return false;
        };
        // Stopping at the first divergence: only it is minimized.
        if self.config.stop_on_divergence && !claims.is_empty() {
            return false;
        }
        let n = claims.entry(signature.clone()).or_insert(0);
        if *n < self.config.keep_per_signature {
            *n += 1;
            true
        } else {
            false
        }
    }
}

/// An unknown verdict's reason without run-specific detail (URLs, project ids in parentheses),
/// so that equal causes count together.
pub fn unknown_reason(reason: &str) -> String {
    let cut = reason.find(" (").map_or(reason, |i| &reason[..i]);
    let mut s: String = cut.chars().take(160).collect();
    if s.len() < cut.len() {
        s.push('…');
    }
    s
}

fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|dt| dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Runs a campaign (see the module docs); `progress` is called after each case.
pub async fn campaign(
    runner: Arc<Runner>,
    source: Arc<dyn CaseSource>,
    config: CampaignConfig,
    mut progress: impl FnMut(&Progress),
) -> CampaignResult {
    let started_at = rfc3339(SystemTime::now());
    let start = Instant::now();
    let jobs = config.jobs.max(1);
    let shared = Arc::new(Shared {
        runner,
        source,
        config,
        start,
        next: AtomicU64::new(0),
        finished: AtomicU64::new(0),
        claims: Mutex::new(HashMap::new()),
        stop: AtomicBool::new(false),
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut workers = Vec::new();
    for _ in 0..jobs {
        let shared = Arc::clone(&shared);
        let tx = tx.clone();
        workers.push(tokio::spawn(async move { worker(shared, tx).await }));
    }
    drop(tx);

    let mut p = Progress::default();
    let mut verdicts = VerdictCounts::default();
    let mut unknowns: BTreeMap<String, u64> = BTreeMap::new();
    let mut outcomes: BTreeMap<(u16, Option<String>), u64> = BTreeMap::new();
    let mut latency = Recorder::new();
    let mut harness_errors = Vec::new();
    let mut groups: Vec<DivergenceGroup> = Vec::new();
    let mut group_of: HashMap<Signature, usize> = HashMap::new();
    let mut group = |groups: &mut Vec<DivergenceGroup>, s: &Signature| -> usize {
        *group_of.entry(s.clone()).or_insert_with(|| {
            groups.push(DivergenceGroup {
                signature: s.to_string(),
                rules: s.rule.iter().cloned().collect(),
                occurrences: 0,
                cases: Vec::new(),
            });
            groups.len() - 1
        })
    };
    while let Some(ev) = rx.recv().await {
        match ev {
            Event::Case {
                counts,
                outcomes: answered,
                unknowns: reasons,
                signatures,
                latency: l,
            } => {
                p.cases += 1;
                verdicts.agree += counts.agree;
                verdicts.differ += counts.differ;
                verdicts.unknown += counts.unknown;
                for o in answered {
                    *outcomes.entry(o).or_insert(0) += 1;
                }
                for r in reasons {
                    *unknowns.entry(r).or_insert(0) += 1;
                }
                for s in &signatures {
                    let g = group(&mut groups, s);
                    if let Some(g) = groups.get_mut(g) {
                        g.occurrences += 1;
                    }
                }
                latency.merge(&l);
            }
            Event::Failed {
                steps,
                provisioning,
                message,
            } => {
                if provisioning {
                    verdicts.unknown += steps;
                    *unknowns
                        .entry(unknown_reason(&format!("provisioning: {message}")))
                        .or_insert(0) += steps;
                }
                harness_errors.push(message);
            }
            Event::Minimized {
                signature,
                rules,
                divergence,
                error,
            } => {
                let g = group(&mut groups, &signature);
                if let Some(g) = groups.get_mut(g) {
                    for r in rules {
                        if !g.rules.contains(&r) {
                            g.rules.push(r);
                        }
                    }
                    g.cases.push(*divergence);
                }
                if let Some(e) = error {
                    harness_errors.push(e);
                }
            }
        }
        p.operations = verdicts.agree + verdicts.differ + verdicts.unknown;
        p.divergences = verdicts.differ;
        p.unknown = verdicts.unknown;
        p.elapsed = start.elapsed();
        progress(&p);
    }
    for w in workers {
        if let Err(e) = w.await {
            harness_errors.push(format!("a campaign worker failed: {e}"));
        }
    }
    let duration = start.elapsed().as_secs_f64();
    let operations = verdicts.agree + verdicts.differ + verdicts.unknown;
    let mut unknowns: Vec<UnknownReason> = unknowns
        .into_iter()
        .map(|(reason, count)| UnknownReason { reason, count })
        .collect();
    unknowns.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
    let config = &shared.config;
    let report = CampaignReport {
        version: env!("CARGO_PKG_VERSION").to_string(),
        seed: config.seed,
        target: config.target.clone(),
        faults: config.faults.clone(),
        profile: config.profile.clone(),
        started_at,
        duration_secs: duration,
        cases: p.cases,
        operations,
        ops_per_sec: if duration > 0.0 {
            operations as f64 / duration
        } else {
            0.0
        },
        verdicts,
        outcomes: outcomes
            .into_iter()
            .map(|((status, rule), count)| OutcomeCount {
                status,
                rule,
                count,
            })
            .collect(),
        divergences: groups,
        unknowns,
        latency: latency.summary(),
        baseline: None,
        jobs,
        ..CampaignReport::default()
    };
    CampaignResult {
        report,
        latency,
        harness_errors,
    }
}

async fn worker(shared: Arc<Shared>, tx: mpsc::UnboundedSender<Event>) {
    let config = &shared.config;
    loop {
        if shared.stop.load(Ordering::Relaxed)
            || config
                .time_limit
                .is_some_and(|t| shared.start.elapsed() >= t)
        {
            return;
        }
        let index = shared.next.fetch_add(1, Ordering::Relaxed);
        if config.cases.is_some_and(|n| index >= n) {
            return;
        }
        let Some(case) = shared.source.case(index) else {
            return;
        };
        match shared.runner.run_case(&case).await {
            Err(e) => {
                let provisioning = matches!(e, RunError::Provision(_));
                let _ = tx.send(Event::Failed {
                    steps: case.steps.len() as u64,
                    provisioning,
                    message: format!("case {index}: {e}"),
                });
            }
            Ok(mut run) => {
                let done = shared.finished.fetch_add(1, Ordering::Relaxed) + 1;
                let found_after = shared.start.elapsed().as_secs_f64();
                let (agree, differ, unknown) = run.counts();
                if differ > 0 && config.stop_on_divergence {
                    shared.stop.store(true, Ordering::Relaxed);
                }
                let unknowns = run
                    .steps
                    .iter()
                    .filter_map(|s| match &s.verdict {
                        Verdict::Unknown { reason } => Some(unknown_reason(reason)),
                        _ => None,
                    })
                    .collect();
                let all: Vec<(usize, Signature)> = run
                    .steps
                    .iter()
                    .enumerate()
                    .filter_map(|(step, s)| Some((step, Signature::of(s)?)))
                    .collect();
                // The first step of each signature in this case.
                let mut firsts: Vec<(usize, Signature)> = Vec::new();
                for (step, sig) in &all {
                    if !firsts.iter().any(|(_, x)| x == sig) {
                        firsts.push((*step, sig.clone()));
                    }
                }
                let latency = std::mem::take(&mut run.latency);
                let outcomes = run
                    .steps
                    .iter()
                    .map(|s| (s.reference.status(), s.reference.rule().map(str::to_string)))
                    .collect();
                let _ = tx.send(Event::Case {
                    counts: VerdictCounts {
                        agree,
                        differ,
                        unknown,
                    },
                    outcomes,
                    unknowns,
                    signatures: all.into_iter().map(|(_, sig)| sig).collect(),
                    latency,
                });
                for (step, sig) in firsts {
                    if !shared.claim(&sig) {
                        continue;
                    }
                    let ev =
                        minimize(&shared, &case, index, &run, step, sig, found_after, done).await;
                    let _ = tx.send(ev);
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn minimize(
    shared: &Shared,
    case: &Case,
    index: u64,
    run: &CaseRun,
    step: usize,
    signature: Signature,
    found_after_secs: f64,
    found_after_cases: u64,
) -> Event {
    let config = &shared.config;
    let tree = shared.source.tree(index);
    let shrunk = shrink(&shared.runner, case, tree, run, step, &config.shrink).await;
    let Some(shrunk) = shrunk else {
        return Event::Failed {
            steps: 0,
            provisioning: false,
            message: format!("case {index}: step {step} has no divergence to shrink"),
        };
    };
    let rules = persist::rules(&shrunk);
    let provenance = Provenance {
        seed: config.seed,
        case_index: index,
        target: config.target.clone(),
        faults: config.faults.clone(),
    };
    let (file, error) = match &config.out {
        None => (None, None),
        Some(dir) => match persist::persist(dir, &shrunk, &signature, &provenance) {
            Ok(path) => (Some(path.display().to_string()), None),
            Err(e) => (
                None,
                Some(format!("case {index}: persisting {signature}: {e}")),
            ),
        },
    };
    let last = shrunk.run.steps.get(shrunk.step);
    let divergence = Divergence {
        file,
        case_index: index,
        step: shrunk.step,
        original_steps: shrunk.original_steps,
        minimized_steps: shrunk.case.steps.len(),
        shrink_runs: shrunk.runs,
        reference: last.map_or(crate::op::Outcome::NotFound, |s| s.reference.clone()),
        target: last.map_or(crate::op::Outcome::NotFound, |s| s.target.clone()),
        differences: match last.map(|s| &s.verdict) {
            Some(Verdict::Differ { differences }) => differences.clone(),
            _ => Vec::new(),
        },
        request: last.and_then(|s| s.request.clone()).unwrap_or_default(),
        curl: last.and_then(|s| s.curl.clone()).unwrap_or_default(),
        found_after_secs,
        found_after_cases,
    };
    Event::Minimized {
        signature,
        rules,
        divergence: Box::new(divergence),
        error,
    }
}
