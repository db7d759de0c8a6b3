//! `tollgate fuzz`: the differential campaign. Generates cases from a seed, runs each against
//! the reference and the target (the embedded sandbox unless `--target URL`), minimizes and
//! persists every divergence, and ends with a summary (human or JSON), optionally JUnit XML and
//! a Markdown comment, and latency baselines.
//!
//! Exit codes: 0 every compared outcome agrees; 1 a divergence, or an outcome that could not be
//! judged (an indeterminate one is never agreement), or with `--fail-on-regression` a latency
//! regression; 2 a usage or harness error.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use tollgate::gen::GenConfig;
use tollgate::latency::baseline::{self, Baseline, Conditions, Thresholds};
use tollgate::report;
use tollgate::run::source::GenSource;
use tollgate::run::{campaign, CampaignConfig, CampaignResult, Progress, Runner, ShrinkConfig};

use super::target::{parse_duration, parse_target, preset, Connected, TargetSpec};
use super::Exit;

/// Arguments of `tollgate fuzz`.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// The target: `sandbox` (embedded, started on 127.0.0.1) or a sandbox's URL.
    #[arg(long, default_value = "sandbox")]
    pub target: String,
    /// With a URL target: its admin secret (else `$TOLLGATE_ADMIN_SECRET`).
    #[arg(long, value_name = "S")]
    pub admin_secret: Option<String>,
    /// With `--target sandbox`: switch on an enforcement bug (repeatable; `serve --list-faults`).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// The seed (random when absent; printed first, so any run can be repeated).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run this many cases.
    #[arg(long, conflicts_with = "time_limit", value_parser = clap::value_parser!(u64).range(1..))]
    pub cases: Option<u64>,
    /// Run cases until this much time has passed (`60s`, `5m`); default 100 cases.
    #[arg(long, value_parser = parse_duration, value_name = "D")]
    pub time_limit: Option<Duration>,
    /// Cases in flight at once (projects provisioned in parallel).
    #[arg(long, default_value_t = 2, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub jobs: usize,
    /// The generator's size preset: small, default or large.
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// The reference's profile (the spec's `[D]` knobs): hygraph-2025 or hygraph-legacy.
    #[arg(long, default_value = "hygraph-2025")]
    pub profile: String,
    /// The summary's format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also write JUnit XML here (for CI test tabs).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Also write a Markdown summary here (for a pull-request comment).
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Where minimized divergences are written as scenario files.
    #[arg(long, default_value = "tollgate-out", value_name = "DIR")]
    pub out: PathBuf,
    /// Do not minimize divergences (they are still cut after the divergent step and written).
    #[arg(long)]
    pub no_shrink: bool,
    /// Write this run's latency histograms as a baseline file.
    #[arg(long, value_name = "FILE")]
    pub save_baseline: Option<PathBuf>,
    /// Compare this run's latency with a baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Exit 1 when the baseline comparison flags a regression.
    #[arg(long, requires = "baseline")]
    pub fail_on_regression: bool,
    /// Print tokens in full in curl commands and files (redacted by default).
    #[arg(long)]
    pub show_tokens: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A summary for people.
    Human,
    /// The whole report as JSON.
    Json,
}

/// Runs `tollgate fuzz`.
pub fn run(args: &FuzzArgs) -> anyhow::Result<Exit> {
    let spec = match parse_target(&args.target, &args.faults, args.admin_secret.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tollgate: error: {e:#}");
            return Ok(Exit::Malformed);
        }
    };
    let gen = match preset(&args.preset, &args.profile) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("tollgate: error: {e:#}");
            return Ok(Exit::Malformed);
        }
    };
    let seed = args.seed.unwrap_or_else(rand::random::<u64>);
    // The seed first, on stderr, so it survives whatever happens next (the summary repeats it).
    eprintln!("tollgate fuzz: seed {seed}");
    let mut config = CampaignConfig::new(seed);
    config.cases = match (args.cases, args.time_limit) {
        (Some(n), _) => Some(n),
        (None, Some(_)) => None,
        (None, None) => Some(100),
    };
    config.time_limit = args.time_limit;
    config.jobs = args.jobs;
    config.profile = args.profile.clone();
    config.target = spec.label();
    config.faults = args.faults.clone();
    config.out = Some(args.out.clone());
    if args.no_shrink {
        config.shrink = ShrinkConfig {
            max_runs: 0,
            ..ShrinkConfig::default()
        };
    }
    let rt = super::runtime()?;
    let result = rt.block_on(run_campaign(&spec, gen, config, args.show_tokens))?;
    finish(args, result)
}

async fn run_campaign(
    spec: &TargetSpec,
    gen: GenConfig,
    config: CampaignConfig,
    show_tokens: bool,
) -> anyhow::Result<CampaignResult> {
    let connected = Connected::open(spec).await?;
    let runner = Arc::new(Runner::new(connected.admin.clone()).with_show_tokens(show_tokens));
    let source = Arc::new(GenSource::new(config.seed, gen));
    let mut bar = Bar::new(config.cases, config.time_limit);
    let result = campaign(runner, source, config, |p| bar.update(p)).await;
    bar.finish();
    connected.close().await?;
    Ok(result)
}

fn finish(args: &FuzzArgs, mut result: CampaignResult) -> anyhow::Result<Exit> {
    let conditions = Conditions::of(&result.report);
    if let Some(path) = &args.save_baseline {
        Baseline::new(&result.latency, conditions.clone())
            .save(path)
            .with_context(|| format!("writing the baseline {}", path.display()))?;
        eprintln!(
            "tollgate fuzz: latency baseline written to {}",
            path.display()
        );
    }
    if let Some(path) = &args.baseline {
        let b = Baseline::load(path)
            .with_context(|| format!("reading the baseline {}", path.display()))?;
        result.report.baseline = Some(baseline::compare(
            &b,
            &path.display().to_string(),
            &result.latency,
            &conditions,
            &Thresholds::default(),
        ));
    }
    let r = &result.report;
    let text = match args.format {
        Format::Human => report::human(r),
        Format::Json => report::json(r),
    };
    writeln!(std::io::stdout().lock(), "{text}").context("writing the report")?;
    if let Some(path) = &args.junit {
        let xml = report::junit(r).context("rendering JUnit XML")?;
        std::fs::write(path, xml).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.markdown {
        std::fs::write(path, report::markdown(r))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    for e in &result.harness_errors {
        eprintln!("tollgate fuzz: harness error: {e}");
    }
    Ok(if !result.harness_errors.is_empty() {
        Exit::Malformed
    } else if r.verdicts.differ > 0
        || r.verdicts.unknown > 0
        || (args.fail_on_regression && r.regressions().next().is_some())
    {
        Exit::Diverged
    } else {
        Exit::Agree
    })
}

/// Progress: a bar on a terminal, a plain line every few seconds otherwise.
struct Bar {
    bar: Option<ProgressBar>,
    /// The bar counts seconds (`--time-limit`) rather than cases.
    by_time: bool,
    last_line: Instant,
}

impl Bar {
    fn new(cases: Option<u64>, time_limit: Option<Duration>) -> Bar {
        let by_time = cases.is_none() && time_limit.is_some();
        let bar = std::io::stderr().is_terminal().then(|| {
            let (len, template) = match (cases, time_limit) {
                (Some(n), _) => (n, "{bar:30} {pos}/{len} cases · {msg} · {elapsed}"),
                (None, Some(t)) => (t.as_secs().max(1), "{bar:30} {pos}/{len} s · {msg}"),
                (None, None) => (0, "{pos} cases · {msg} · {elapsed}"),
            };
            let b = ProgressBar::new(len);
            if let Ok(style) = ProgressStyle::with_template(template) {
                b.set_style(style);
            }
            b
        });
        Bar {
            bar,
            by_time,
            last_line: Instant::now(),
        }
    }

    fn update(&mut self, p: &Progress) {
        let msg = format!(
            "{} cases, {} ops, {} differ, {} unknown",
            p.cases, p.operations, p.divergences, p.unknown
        );
        match &self.bar {
            Some(b) => {
                b.set_position(if self.by_time {
                    p.elapsed.as_secs()
                } else {
                    p.cases
                });
                b.set_message(msg);
            }
            None => {
                if self.last_line.elapsed() >= Duration::from_secs(5) {
                    self.last_line = Instant::now();
                    eprintln!("tollgate fuzz: {msg}, {:.0} s", p.elapsed.as_secs_f64());
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
