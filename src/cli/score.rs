//! `tollgate score`: the fault score. Runs the campaign against the embedded sandbox once per
//! fault (each with that one fault on) until the first divergence or `--time-limit-per-fault`,
//! and prints per fault killed or survived, the time and cases to the first divergence and
//! the minimized case's size, then killed/total.
//!
//! Exit codes: 0 every scored fault was killed (or, with `--expect FILE`, every fault the file
//! lists as killed was killed again); 1 otherwise; 2 a usage or harness error.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use tollgate::run::score::{score, Score, ScoreConfig, ScoreExpectation};
use tollgate::run::ShrinkConfig;
use tollgate::sandbox::faults::Fault;

use super::fuzz::Format;
use super::target::{parse_duration, parse_faults, preset};
use super::Exit;

/// The seed `score` uses unless told otherwise, so that scores are comparable run to run.
pub const DEFAULT_SEED: u64 = 1;

/// Arguments of `tollgate score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The most time spent on one fault.
    #[arg(long, value_parser = parse_duration, default_value = "60s", value_name = "D")]
    pub time_limit_per_fault: Duration,
    /// The most cases run for one fault (with `--jobs 1`, a bound independent of the
    /// machine's speed).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub cases_per_fault: Option<u64>,
    /// Score only these faults (repeatable; default: every fault).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// The campaign seed.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Cases in flight at once.
    #[arg(long, default_value_t = 2, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub jobs: usize,
    /// The generator's size preset.
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Where the minimized divergences are written.
    #[arg(long, default_value = "tollgate-out/score", value_name = "DIR")]
    pub out: PathBuf,
    /// A file listing faults killed before (`--save-expect` writes one): exit 1 if one of them
    /// survives now.
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,
    /// Write the faults this run killed to FILE (for `--expect`).
    #[arg(long, value_name = "FILE")]
    pub save_expect: Option<PathBuf>,
}

/// Runs `tollgate score`.
pub fn run(args: &ScoreArgs) -> anyhow::Result<Exit> {
    let faults: Vec<Fault> = if args.faults.is_empty() {
        Fault::ALL.to_vec()
    } else {
        match parse_faults(&args.faults) {
            Ok(set) => set.iter().collect(),
            Err(e) => {
                eprintln!("tollgate: error: {e:#}");
                return Ok(Exit::Malformed);
            }
        }
    };
    let gen = match preset(&args.preset, tollgate::scenario::load::DEFAULT_PROFILE) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("tollgate: error: {e:#}");
            return Ok(Exit::Malformed);
        }
    };
    let expected: Option<ScoreExpectation> = match &args.expect {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a score expectation", path.display()))?,
            )
        }
        None => None,
    };
    let config = ScoreConfig {
        seed: args.seed,
        faults,
        time_limit_per_fault: args.time_limit_per_fault,
        cases_per_fault: args.cases_per_fault,
        jobs: args.jobs,
        gen,
        out: Some(args.out.clone()),
        shrink: ShrinkConfig::default(),
    };
    eprintln!(
        "tollgate score: seed {}, {} faults, at most {:?} each",
        config.seed,
        config.faults.len(),
        config.time_limit_per_fault
    );
    let rt = super::runtime()?;
    let result: Score = rt.block_on(score(&config, |f| {
        eprintln!(
            "tollgate score: {} {} after {:.1} s",
            f.fault,
            if f.killed { "killed" } else { "SURVIVED" },
            f.secs
        );
    }))?;
    let text = match args.format {
        Format::Human => result.human(),
        Format::Json => serde_json::to_string_pretty(&result).context("encoding the score")?,
    };
    writeln!(std::io::stdout().lock(), "{text}").context("writing the score")?;
    if let Some(path) = &args.save_expect {
        let json = serde_json::to_string_pretty(&result.expectation())
            .context("encoding the expectation")?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    if result.faults.iter().any(|f| !f.errors.is_empty()) {
        return Ok(Exit::Malformed);
    }
    let failed = match &expected {
        Some(e) => {
            let lost = result.regressions(e);
            for f in &lost {
                eprintln!("tollgate score: {f} was killed before and survives now");
            }
            !lost.is_empty()
        }
        None => result.killed < result.total,
    };
    Ok(if failed { Exit::Diverged } else { Exit::Agree })
}
