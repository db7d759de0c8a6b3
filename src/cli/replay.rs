//! `tollgate replay FILE… [--target reference] [--format human|json]`: loads scenario files,
//! replays their steps against the target, prints per step `agree` or the difference, and a
//! summary line.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use tollgate::compare::Verdict;
use tollgate::op::Outcome;
use tollgate::scenario::load::load_file;
use tollgate::scenario::replay::{replay, FileReport, StepReport};

use super::Exit;

/// Arguments of `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Scenario files (YAML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The target to replay against (only `reference` for now).
    #[arg(long, default_value = "reference")]
    pub target: String,
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
    if args.target != "reference" {
        eprintln!(
            "tollgate: error: unknown target {:?}: `replay` supports only `--target reference` for now",
            args.target
        );
        return Ok(Exit::Malformed);
    }
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
    let reports: Vec<FileReport> = loaded.iter().map(replay).collect();
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

fn compact(o: &Outcome) -> String {
    serde_json::to_string(o).unwrap_or_else(|e| format!("<unprintable: {e}>"))
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
            writeln!(out, "    expected: {}", compact(&s.expected))?;
            writeln!(out, "    observed: {}", compact(&s.observed))?;
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
            writeln!(out, "    expected: {}", compact(&s.expected))?;
            writeln!(out, "    observed: {}", compact(&s.observed))?;
            let rules = s.rules();
            if !rules.is_empty() {
                writeln!(out, "    rules:    {}", rules.join(", "))?;
            }
        }
    }
    Ok(())
}
