//! The terminal summary: plain text (no colour: the CLI may pipe it), lines under 100 columns
//! except for file names, commands and requests a person copies whole.

use std::fmt::Write;

use super::{
    align, baseline_rows, comparison_label, difference_line, headline, latency_rows, outcome_brief,
    plural, replay_command, wrap, Status,
};
use crate::latency::baseline::key_label;
use crate::run::report::CampaignReport;

/// The width prose is wrapped at.
const WIDTH: usize = 96;

/// Differences shown per divergence before `… and N more`.
const MAX_DIFFERENCES: usize = 3;

/// The terminal summary `tollgate fuzz` ends with: the seed first, what ran, the verdicts,
/// divergence groups (rule ids, signature, files, replay commands), unknown outcomes, latency
/// per operation class, the baseline comparison, and a one-line result last.
pub fn human(report: &CampaignReport) -> String {
    let mut out = String::new();
    // `write!` into a String cannot fail.
    let _ = write_report(&mut out, report);
    out
}

fn write_report(out: &mut String, r: &CampaignReport) -> std::fmt::Result {
    writeln!(
        out,
        "seed {}  (tollgate fuzz --seed {} reruns these cases)",
        r.seed, r.seed
    )?;
    let mut conditions = vec![
        format!("tollgate {}", r.version),
        format!("target {}", r.target),
    ];
    if !r.faults.is_empty() {
        conditions.push(format!("faults {}", r.faults.join(", ")));
    }
    conditions.push(format!("profile {}", r.profile));
    conditions.push(format!("jobs {}", r.jobs));
    conditions.push(format!("started {}", r.started_at));
    writeln!(out, "{}", wrap(&conditions.join(" · "), WIDTH, 2))?;
    writeln!(
        out,
        "ran {} and {} in {:.1} s: {:.1} operations/s",
        plural(r.cases, "case", "cases"),
        plural(r.operations, "operation", "operations"),
        r.duration_secs,
        r.ops_per_sec
    )?;
    writeln!(
        out,
        "verdicts: {} agree · {} differ · {} unknown",
        r.verdicts.agree, r.verdicts.differ, r.verdicts.unknown
    )?;
    if let Some(mix) = r.outcome_mix() {
        writeln!(
            out,
            "{}",
            wrap(&format!("reference outcomes: {mix}"), WIDTH, 2)
        )?;
    }

    writeln!(out)?;
    if r.divergences.is_empty() {
        writeln!(out, "divergences: none")?;
    } else {
        let occurrences: u64 = r.divergences.iter().map(|g| g.occurrences).sum();
        writeln!(
            out,
            "divergences: {}, {} seen, {} minimized",
            plural(r.divergences.len() as u64, "group", "groups"),
            occurrences,
            r.divergence_count()
        )?;
        for (i, g) in r.divergences.iter().enumerate() {
            writeln!(
                out,
                "[{}] {}  ·  rules {}  ·  seen {}×",
                i + 1,
                g.signature,
                if g.rules.is_empty() {
                    "(none)".to_string()
                } else {
                    g.rules.join(", ")
                },
                g.occurrences
            )?;
            for d in &g.cases {
                writeln!(
                    out,
                    "    {}",
                    d.file.as_deref().unwrap_or("(no file written)")
                )?;
                writeln!(
                    out,
                    "      case {}, step {} of {} (minimized from {} steps in {} runs); \
                     first seen after {:.1} s, {}",
                    d.case_index,
                    d.step + 1,
                    d.minimized_steps,
                    d.original_steps,
                    d.shrink_runs,
                    d.found_after_secs,
                    plural(d.found_after_cases, "case", "cases")
                )?;
                writeln!(
                    out,
                    "      reference {}  ·  target {}",
                    outcome_brief(&d.reference),
                    outcome_brief(&d.target)
                )?;
                for diff in d.differences.iter().take(MAX_DIFFERENCES) {
                    writeln!(out, "      differs at {}", difference_line(diff, 60))?;
                }
                if d.differences.len() > MAX_DIFFERENCES {
                    writeln!(
                        out,
                        "      … and {} more differences",
                        d.differences.len() - MAX_DIFFERENCES
                    )?;
                }
                if let Some(f) = &d.file {
                    writeln!(out, "      replay: {}", replay_command(r, f))?;
                }
            }
        }
    }

    writeln!(out)?;
    if r.unknowns.is_empty() && r.verdicts.unknown == 0 {
        writeln!(out, "unknown outcomes: none")?;
    } else {
        writeln!(
            out,
            "unknown outcomes: {} indeterminate, never counted as agreement",
            plural(r.verdicts.unknown, "operation", "operations")
        )?;
        let rows: Vec<Vec<String>> = r
            .unknowns
            .iter()
            .map(|u| vec![u.count.to_string(), u.reason.clone()])
            .collect();
        for line in align(&rows, &[true, false]) {
            writeln!(out, "  {line}")?;
        }
    }

    writeln!(out)?;
    if r.latency.is_empty() {
        writeln!(out, "latency: no requests recorded")?;
    } else {
        writeln!(
            out,
            "latency of the target's requests (allowed: 200; denied: any other status)"
        )?;
        for line in align(
            &latency_rows(&r.latency),
            &[false, false, true, true, true, true, true],
        ) {
            writeln!(out, "  {line}")?;
        }
    }

    if let Some(b) = &r.baseline {
        writeln!(out)?;
        let regressions = b.classes.iter().filter(|c| c.regression).count() as u64;
        writeln!(
            out,
            "latency against baseline {}: {}",
            b.file,
            plural(regressions, "regression", "regressions")
        )?;
        if let Some(c) = &b.conditions {
            let text = format!(
                "baseline recorded {} by tollgate {}, target {}, jobs {}",
                c.recorded_at, c.tollgate_version, c.target, c.jobs
            );
            writeln!(out, "  {}", wrap(&text, WIDTH - 2, 4))?;
        }
        for w in &b.warnings {
            writeln!(out, "  warning: {}", wrap(w, WIDTH - 2, 4))?;
        }
        if b.classes.is_empty() {
            writeln!(out, "  no class was recorded in both runs")?;
        } else {
            let mut right = vec![false, false];
            right.extend([true; 6]);
            right.push(false);
            for line in align(&baseline_rows(&b.classes), &right) {
                writeln!(out, "  {line}")?;
            }
        }
        for c in b.classes.iter().filter(|c| c.regression) {
            let text = format!("{} — {}", comparison_label(c), c.reason);
            writeln!(out, "  {}", wrap(&text, WIDTH - 2, 4))?;
        }
        let only = |keys: &[crate::latency::Key]| {
            keys.iter().map(key_label).collect::<Vec<_>>().join(", ")
        };
        if !b.only_in_baseline.is_empty() {
            writeln!(
                out,
                "  only in the baseline (not compared): {}",
                only(&b.only_in_baseline)
            )?;
        }
        if !b.only_in_current.is_empty() {
            writeln!(
                out,
                "  only in this run (not compared): {}",
                only(&b.only_in_current)
            )?;
        }
        writeln!(out, "  method: {}", wrap(&b.method, WIDTH - 10, 4))?;
    }

    writeln!(out)?;
    let (status, line) = headline(r);
    let word = match status {
        Status::Agree => "PASS",
        Status::Inconclusive => "INCONCLUSIVE",
        Status::Diverged => "FAIL",
    };
    writeln!(out, "{word}: {line}")
}
