//! The pull-request comment (GitHub-flavoured Markdown): a headline with ✅ / ⚠️ / ❌, the
//! run in one line, a table of divergence groups, the requests in a collapsed `<details>`, the
//! unknown outcomes, the latency table and the baseline comparison.

use std::fmt::Write;

use super::{
    comparison_label, difference_line, headline, latency_rows, outcome_brief, outcome_json, plural,
    replay_command, Status,
};
use crate::latency::baseline::{fmt_change, fmt_p, fmt_us, key_label};
use crate::run::report::CampaignReport;

/// Divergences detailed in the `<details>` block (a GitHub comment holds at most 65 536
/// characters); the table lists every group.
const MAX_DETAILED: usize = 10;

/// The report as a Markdown pull-request comment.
pub fn markdown(report: &CampaignReport) -> String {
    let mut out = String::new();
    // `write!` into a String cannot fail.
    let _ = write_report(&mut out, report);
    out
}

fn write_report(out: &mut String, r: &CampaignReport) -> std::fmt::Result {
    let (status, line) = headline(r);
    let icon = match status {
        Status::Agree => "✅",
        Status::Inconclusive => "⚠️",
        Status::Diverged => "❌",
    };
    writeln!(out, "## {icon} tollgate fuzz: {}", text(&line))?;
    writeln!(out)?;
    let mut facts = vec![
        format!("seed {}", code(&r.seed.to_string())),
        format!("target {}", code(&r.target)),
    ];
    if !r.faults.is_empty() {
        let f: Vec<String> = r.faults.iter().map(|f| code(f)).collect();
        facts.push(format!("faults {}", f.join(", ")));
    }
    facts.push(format!("profile {}", code(&r.profile)));
    facts.push(format!("jobs {}", r.jobs));
    facts.push(plural(r.cases, "case", "cases"));
    facts.push(plural(r.operations, "operation", "operations"));
    facts.push(format!("{:.1} ops/s", r.ops_per_sec));
    facts.push(format!("{:.1} s", r.duration_secs));
    facts.push(format!("tollgate {}", r.version));
    writeln!(out, "{}", facts.join(" · "))?;
    writeln!(out)?;
    writeln!(out, "| agree | differ | unknown |")?;
    writeln!(out, "|---:|---:|---:|")?;
    writeln!(
        out,
        "| {} | {} | {} |",
        r.verdicts.agree, r.verdicts.differ, r.verdicts.unknown
    )?;
    if let Some(mix) = r.outcome_mix() {
        writeln!(out)?;
        writeln!(out, "Reference outcomes: {mix}")?;
    }

    if !r.divergences.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Divergences")?;
        writeln!(out)?;
        writeln!(
            out,
            "| # | signature | rules | seen | minimized | reference → target | file |"
        )?;
        writeln!(out, "|---:|---|---|---:|---|---|---|")?;
        for (i, g) in r.divergences.iter().enumerate() {
            let rules: Vec<String> = g.rules.iter().map(|x| code(x)).collect();
            let first = g.cases.first();
            let minimized = g
                .cases
                .iter()
                .map(|d| format!("{} of {} steps", d.minimized_steps, d.original_steps));
            let outcomes = first.map_or(String::new(), |d| {
                format!(
                    "{} → {}",
                    outcome_brief(&d.reference),
                    outcome_brief(&d.target)
                )
            });
            let files: Vec<String> = g
                .cases
                .iter()
                .map(|d| d.file.as_deref().map_or("—".to_string(), code))
                .collect();
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                i + 1,
                cell(&code(&g.signature)),
                cell(&rules.join(", ")),
                g.occurrences,
                cell(&minimized.collect::<Vec<_>>().join("<br>")),
                cell(&text(&outcomes)),
                cell(&files.join("<br>"))
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "<details><summary>Requests, outcomes and replay commands ({})</summary>",
            plural(r.divergence_count() as u64, "divergence", "divergences")
        )?;
        let mut shown = 0;
        for (i, g) in r.divergences.iter().enumerate() {
            for (j, d) in g.cases.iter().enumerate() {
                if shown == MAX_DETAILED {
                    break;
                }
                shown += 1;
                let number = if g.cases.len() > 1 {
                    format!("{}.{}", i + 1, j + 1)
                } else {
                    format!("{}", i + 1)
                };
                writeln!(out)?;
                writeln!(
                    out,
                    "#### {number}. {} — case {}, step {} of {}",
                    code(&g.signature),
                    d.case_index,
                    d.step + 1,
                    d.minimized_steps
                )?;
                writeln!(out)?;
                if let Some(f) = &d.file {
                    writeln!(out, "File {}. Replay:", code(f))?;
                    writeln!(out)?;
                    fenced(out, "sh", &replay_command(r, f))?;
                    writeln!(out)?;
                }
                writeln!(out, "Differences:")?;
                writeln!(out)?;
                for diff in &d.differences {
                    writeln!(out, "- {}", code(&difference_line(diff, 200)))?;
                }
                writeln!(out)?;
                writeln!(out, "Request:")?;
                writeln!(out)?;
                fenced(out, "graphql", &d.request)?;
                writeln!(out)?;
                writeln!(out, "curl:")?;
                writeln!(out)?;
                fenced(out, "sh", &d.curl)?;
                writeln!(out)?;
                writeln!(out, "Reference (expected):")?;
                writeln!(out)?;
                fenced(out, "json", &outcome_json(&d.reference))?;
                writeln!(out)?;
                writeln!(out, "Target (observed):")?;
                writeln!(out)?;
                fenced(out, "json", &outcome_json(&d.target))?;
            }
        }
        let hidden = r.divergence_count().saturating_sub(shown);
        if hidden > 0 {
            writeln!(out)?;
            writeln!(
                out,
                "… and {} more: see the JSON report or the files.",
                plural(hidden as u64, "divergence", "divergences")
            )?;
        }
        writeln!(out)?;
        writeln!(out, "</details>")?;
    }

    if r.verdicts.unknown > 0 || !r.unknowns.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Unknown outcomes")?;
        writeln!(out)?;
        writeln!(
            out,
            "{} indeterminate: never counted as agreement.",
            plural(r.verdicts.unknown, "operation was", "operations were")
        )?;
        writeln!(out)?;
        writeln!(out, "| operations | reason |")?;
        writeln!(out, "|---:|---|")?;
        for u in &r.unknowns {
            writeln!(out, "| {} | {} |", u.count, cell(&text(&u.reason)))?;
        }
    }

    if !r.latency.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Latency")?;
        writeln!(out)?;
        let rows = latency_rows(&r.latency);
        table(out, &rows, &[false, false, true, true, true, true, true])?;
    }

    if let Some(b) = &r.baseline {
        writeln!(out)?;
        let regressions = b.classes.iter().filter(|c| c.regression).count() as u64;
        writeln!(
            out,
            "### Latency against baseline {}: {}",
            code(&b.file),
            plural(regressions, "regression", "regressions")
        )?;
        writeln!(out)?;
        if let Some(c) = &b.conditions {
            writeln!(
                out,
                "Baseline recorded {} by tollgate {}, target {}, jobs {}.",
                c.recorded_at,
                c.tollgate_version,
                code(&c.target),
                c.jobs
            )?;
            writeln!(out)?;
        }
        for w in &b.warnings {
            writeln!(out, "> ⚠️ {}", text(w))?;
            writeln!(out)?;
        }
        if !b.classes.is_empty() {
            writeln!(
                out,
                "| class | outcome | n base | n now | p50 base | p50 now | change | p | judgement |"
            )?;
            writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---|")?;
            for c in &b.classes {
                let judgement = if c.regression {
                    format!("❌ **{}**", c.assessment.label())
                } else {
                    c.assessment.label().to_string()
                };
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    c.class,
                    if c.allowed { "allowed" } else { "denied" },
                    c.baseline_count,
                    c.current_count,
                    fmt_us(c.baseline_p50_us),
                    fmt_us(c.current_p50_us),
                    fmt_change(c.change),
                    fmt_p(c.p_value),
                    judgement
                )?;
            }
            writeln!(out)?;
        }
        for c in b.classes.iter().filter(|c| c.regression) {
            writeln!(out, "- **{}**: {}", comparison_label(c), text(&c.reason))?;
        }
        let only = |keys: &[crate::latency::Key]| {
            keys.iter().map(key_label).collect::<Vec<_>>().join(", ")
        };
        if !b.only_in_baseline.is_empty() {
            writeln!(
                out,
                "- only in the baseline (not compared): {}",
                only(&b.only_in_baseline)
            )?;
        }
        if !b.only_in_current.is_empty() {
            writeln!(
                out,
                "- only in this run (not compared): {}",
                only(&b.only_in_current)
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "<details><summary>Method</summary>\n\n{}\n\n</details>",
            text(&b.method)
        )?;
    }
    Ok(())
}

/// An aligned Markdown table (header first), right-aligned columns where `right[i]`.
fn table(out: &mut String, rows: &[Vec<String>], right: &[bool]) -> std::fmt::Result {
    let mut rows = rows.iter();
    if let Some(header) = rows.next() {
        writeln!(out, "| {} |", header.join(" | "))?;
        let seps: Vec<&str> = (0..header.len())
            .map(|i| {
                if right.get(i).copied().unwrap_or(false) {
                    "---:"
                } else {
                    "---"
                }
            })
            .collect();
        writeln!(out, "|{}|", seps.join("|"))?;
    }
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}

/// Inline code, with a fence of backticks longer than any run inside.
fn code(s: &str) -> String {
    let fence = "`".repeat(longest_run(s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A fenced code block, with a fence longer than any backtick run inside.
fn fenced(out: &mut String, lang: &str, body: &str) -> std::fmt::Result {
    let fence = "`".repeat((longest_run(body, '`') + 1).max(3));
    writeln!(out, "{fence}{lang}")?;
    writeln!(out, "{}", body.trim_end())?;
    writeln!(out, "{fence}")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for x in s.chars() {
        if x == c {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

/// Prose with the characters Markdown or HTML would interpret escaped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A table cell: `|` escaped (also inside code spans, as GitHub requires) and newlines
/// flattened.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut escaped = false;
    for c in s.chars() {
        match c {
            '|' if !escaped => out.push_str("\\|"),
            '\n' => out.push(' '),
            _ => out.push(c),
        }
        escaped = c == '\\' && !escaped;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn code_spans_and_cells_escape() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(cell("a\\|b"), "a\\|b");
        assert_eq!(text("<b>*x*"), "&lt;b&gt;\\*x\\*");
        let mut out = String::new();
        fenced(&mut out, "sh", "echo ```").unwrap();
        assert!(
            out.starts_with("````sh\n") && out.ends_with("\n````\n"),
            "{out}"
        );
    }
}
