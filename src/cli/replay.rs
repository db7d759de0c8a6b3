//! `tollgate replay FILE… [--target reference|sandbox|URL] [--fault NAME]… [--format human|json]`:
//! loads scenario files, replays their steps against the target, prints per step `agree` or the
//! difference, and a summary line.
//!
//! Targets: `reference` (the model, in process; the default), `sandbox` (the sandbox server,
//! started in process on 127.0.0.1 with the given `--fault`s) or the URL of a running sandbox
//! (`http://127.0.0.1:4000`, with its admin secret in `--admin-secret` or
//! `$TOLLGATE_ADMIN_SECRET`). Against a server every step is a real request and a scenario's
//! `expect` is compared as a target's outcome is (rule ids are not the target's to name).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use tollgate::compare::Verdict;
use tollgate::scenario::load::{load_file, Loaded};
use tollgate::scenario::replay::{replay, FileReport, StepReport};
use tollgate::target::scenario as target_scenario;

use super::target::{parse_target, Connected, TargetSpec};
use super::Exit;

/// Arguments of `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Scenario files (YAML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The target: `reference`, `sandbox` (started in process), or a sandbox's URL.
    #[arg(long, default_value = "reference")]
    pub target: String,
    /// With `--target sandbox`: switch on an enforcement bug (repeatable; `serve --list-faults`).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// With a URL target: the server's admin secret (else `$TOLLGATE_ADMIN_SECRET`).
    #[arg(long, value_name = "S")]
    pub admin_secret: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    Human,
    /// One JSON document.
    Json,
}

/// Runs `replay`.
pub fn run(args: &ReplayArgs) -> anyhow::Result<Exit> {
    let target = match parse_replay_target(args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tollgate: error: {e:#}");
            return Ok(Exit::Malformed);
        }
    };
    let mut loaded = Vec::new();
    let mut malformed = false;
    for f in &args.files {
        match load_file(f) {
            Ok(l) => loaded.push(l),
            Err(e) => {
                eprintln!("tollgate: malformed scenario: {e}");
                malformed = true;
            }
        }
    }
    if malformed {
        return Ok(Exit::Malformed);
    }
    let reports: Vec<FileReport> = match target {
        ReplayTarget::Reference => loaded.iter().map(replay).collect(),
        ReplayTarget::Server(spec) => replay_http(&spec, &loaded)?,
    };
    let steps: usize = reports.iter().map(|r| r.steps.len()).sum();
    let agreed: usize = reports.iter().map(FileReport::agreed).sum();
    let differed = steps - agreed;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Human => {
            for r in &reports {
                print_human(&mut out, r)?;
            }
            writeln!(
                out,
                "{} files, {steps} steps, {agreed} agreed, {differed} differed",
                reports.len()
            )?;
        }
        Format::Json => {
            let doc = serde_json::json!({
                "files": reports,
                "summary": {
                    "files": reports.len(),
                    "steps": steps,
                    "agreed": agreed,
                    "differed": differed,
                },
            });
            let text = serde_json::to_string_pretty(&doc).context("encoding the report")?;
            writeln!(out, "{text}")?;
        }
    }
    Ok(if differed == 0 {
        Exit::Agree
    } else {
        Exit::Diverged
    })
}

/// Where `replay` sends its steps.
enum ReplayTarget {
    Reference,
    Server(TargetSpec),
}

fn parse_replay_target(args: &ReplayArgs) -> anyhow::Result<ReplayTarget> {
    if args.target == "reference" {
        if !args.faults.is_empty() {
            anyhow::bail!("--fault needs --target sandbox (the reference has no faults)");
        }
        return Ok(ReplayTarget::Reference);
    }
    parse_target(&args.target, &args.faults, args.admin_secret.as_deref())
        .map(ReplayTarget::Server)
        .map_err(|e| anyhow::anyhow!("{e:#} (or `reference`)"))
}

/// Replays every file over HTTP, each under a project id of its own.
fn replay_http(spec: &TargetSpec, loaded: &[Loaded]) -> anyhow::Result<Vec<FileReport>> {
    let rt = super::runtime()?;
    rt.block_on(async {
        let connected = Connected::open(spec).await?;
        let admin = &connected.admin;
        let run = std::process::id();
        let mut reports = Vec::new();
        for (i, l) in loaded.iter().enumerate() {
            let project = format!("replay-{run}-{i}");
            let report = target_scenario::replay(admin, l, &project)
                .await
                .with_context(|| format!("provisioning {}", l.file.display()))?;
            // Leave nothing behind on a shared server; a failed drop is only worth a warning.
            if let Err(e) = admin.delete_project(&project).await {
                eprintln!("tollgate: warning: could not drop project {project}: {e}");
            }
            reports.push(report);
        }
        connected.close().await?;
        Ok(reports)
    })
}

fn print_human(out: &mut impl Write, r: &FileReport) -> anyhow::Result<()> {
    writeln!(out, "{}", r.file)?;
    for s in &r.steps {
        print_step(out, &r.file, s)?;
    }
    Ok(())
}

fn print_step(out: &mut impl Write, file: &str, s: &StepReport) -> anyhow::Result<()> {
    let at = match s.line {
        Some(l) => format!("{file}:{l}"),
        None => file.to_string(),
    };
    match &s.verdict {
        Verdict::Agree => writeln!(out, "  step {}: agree", s.index)?,
        Verdict::Differ { differences } => {
            writeln!(out, "  step {} ({at}): DIFFERS", s.index)?;
            if let Some(n) = &s.note {
                writeln!(out, "    note:     {}", n.trim())?;
            }
            writeln!(out, "    expected: {}", s.expected.compact())?;
            writeln!(out, "    observed: {}", s.observed.compact())?;
            for d in differences {
                writeln!(
                    out,
                    "    at {}: expected {}, observed {}",
                    d.path, d.expected, d.observed
                )?;
            }
            let rules = s.rules();
            if !rules.is_empty() {
                writeln!(out, "    rules:    {}", rules.join(", "))?;
            }
        }
        Verdict::Unknown { reason } => {
            writeln!(out, "  step {} ({at}): UNKNOWN (not agreement)", s.index)?;
            writeln!(out, "    {reason}")?;
            writeln!(out, "    expected: {}", s.expected.compact())?;
            writeln!(out, "    observed: {}", s.observed.compact())?;
            let rules = s.rules();
            if !rules.is_empty() {
                writeln!(out, "    rules:    {}", rules.join(", "))?;
            }
        }
    }
    Ok(())
}
