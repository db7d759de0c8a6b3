//! The report formats of a campaign: each renders a [`CampaignReport`] (the runner's result as
//! data, `crate::run::report`) for one audience.
//!
//! - [`human`]: the terminal summary `tollgate fuzz` ends with (80–100 columns);
//! - [`json`]: the report itself, pretty JSON (`--format json`; the schema is documented on
//!   [`CampaignReport`]'s fields);
//! - [`junit`]: JUnit XML for CI test tabs (`--junit PATH`), written with the `quick-junit`
//!   crate;
//! - [`markdown`]: a pull-request comment.
//!
//! Every format says the same things: the seed, what ran, the verdicts, every divergence group
//! with its rules, files and a replay command, the unknown outcomes (never agreement), latency
//! per operation class, and the baseline comparison when there is one.

mod human;
mod junit;
mod markdown;

use crate::compare::Difference;
use crate::latency::baseline::{fmt_change, fmt_p, fmt_us};
use crate::latency::ClassSummary;
use crate::op::Outcome;
use crate::run::report::{CampaignReport, ClassComparison};

pub use human::human;
pub use junit::{junit, JunitError};
pub use markdown::markdown;

/// The report as pretty JSON: the `--format json` output, whose schema is [`CampaignReport`]'s
/// documented fields (`serde_json::from_str::<CampaignReport>` reads it back).
pub fn json(report: &CampaignReport) -> String {
    // The report's types serialize infallibly (string keys only, no fallible `Serialize`);
    // should that ever change, the output still is a JSON document that says what went wrong.
    serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        serde_json::json!({ "error": format!("cannot serialize the report: {e}") }).to_string()
    })
}

/// `403 denied (READ-1)`, `200 ok`, `indeterminate: timeout`.
pub(crate) fn outcome_brief(o: &Outcome) -> String {
    let kind = crate::compare::kind(o).replace('_', " ");
    match (o, o.rule()) {
        (Outcome::Indeterminate { reason }, _) => format!("indeterminate ({reason})"),
        (_, Some(rule)) if o.status() != 404 && o.status() != 413 => {
            format!("{} {kind} ({rule})", o.status())
        }
        _ => format!("{} {kind}", o.status()),
    }
}

/// An outcome as pretty JSON (its serde form).
pub(crate) fn outcome_json(o: &Outcome) -> String {
    serde_json::to_string_pretty(o).unwrap_or_else(|e| format!("(unprintable outcome: {e})"))
}

/// `status: 403 → 200` (expected → observed, compact JSON, each side cut at `max` chars).
pub(crate) fn difference_line(d: &Difference, max: usize) -> String {
    let side = |v: &serde_json::Value| cut(&v.to_string(), max);
    format!("{}: {} → {}", d.path, side(&d.expected), side(&d.observed))
}

/// `s` cut to `max` characters, with `…` when cut.
pub(crate) fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The command re-running a persisted divergence against the run's target:
/// `tollgate replay FILE --target sandbox --fault NAME` (exit 1 while it still diverges).
pub(crate) fn replay_command(report: &CampaignReport, file: &str) -> String {
    let mut cmd = format!(
        "tollgate replay {} --target {}",
        shell_quote(file),
        shell_quote(&report.target)
    );
    for f in &report.faults {
        cmd.push_str(" --fault ");
        cmd.push_str(&shell_quote(f));
    }
    cmd
}

/// `s` as one POSIX shell word (unchanged when it needs no quoting).
pub(crate) fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A compared class's label: `read_list allowed`.
pub(crate) fn comparison_label(c: &ClassComparison) -> String {
    format!(
        "{} {}",
        c.class,
        if c.allowed { "allowed" } else { "denied" }
    )
}

/// `text` wrapped at `width` characters, every line after the first indented by `indent`
/// spaces (words longer than a line are left whole).
pub(crate) fn wrap(text: &str, width: usize, indent: usize) -> String {
    // A unit stays on the line of its number.
    let mut words: Vec<String> = Vec::new();
    for w in text.split_whitespace() {
        match words.last_mut() {
            Some(prev)
                if ["µs", "ms", "s"]
                    .contains(&w.trim_end_matches(|c: char| !c.is_alphanumeric())) =>
            {
                prev.push(' ');
                prev.push_str(w);
            }
            _ => words.push(w.to_string()),
        }
    }
    let mut out = String::new();
    let mut line_len = 0;
    for word in &words {
        let len = word.chars().count();
        if line_len > 0 && line_len + 1 + len > width {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            line_len = indent;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out
}

/// `1 case`, `2 cases`.
pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The run's result in one line, without decoration: what a CI reader needs first.
pub(crate) fn headline(report: &CampaignReport) -> (Status, String) {
    let groups = report.divergences.len() as u64;
    let unknown = report.verdicts.unknown.max(report.unknown_count());
    let regressions = report.regressions().count() as u64;
    let mut extra = Vec::new();
    if unknown > 0 && groups > 0 {
        extra.push(format!("{unknown} unknown"));
    }
    if regressions > 0 {
        extra.push(plural(
            regressions,
            "latency regression",
            "latency regressions",
        ));
    }
    let tail = if extra.is_empty() {
        String::new()
    } else {
        format!(" · {}", extra.join(" · "))
    };
    if groups > 0 {
        (
            Status::Diverged,
            format!(
                "{} ({} differ){tail}",
                plural(groups, "divergence group", "divergence groups"),
                plural(report.verdicts.differ, "operation", "operations")
            ),
        )
    } else if unknown > 0 {
        (
            Status::Inconclusive,
            format!(
                "no divergence, but {} unknown (never counted as agreement){tail}",
                plural(unknown, "operation", "operations")
            ),
        )
    } else {
        (
            Status::Agree,
            format!(
                "all {} agree{tail}",
                plural(report.verdicts.agree, "operation", "operations")
            ),
        )
    }
}

/// Rows as text columns padded to their widest cell (in characters), two spaces apart; a column
/// is right-aligned where `right[i]` is true. Trailing spaces are trimmed.
pub(crate) fn align(rows: &[Vec<String>], right: &[bool]) -> Vec<String> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let pad = " ".repeat(widths[i].saturating_sub(c.chars().count()));
                    if right.get(i).copied().unwrap_or(false) {
                        format!("{pad}{c}")
                    } else {
                        format!("{c}{pad}")
                    }
                })
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect()
}

/// The latency table (class, outcome, count, p50, p90, p99, max), header first.
pub(crate) fn latency_rows(latency: &[ClassSummary]) -> Vec<Vec<String>> {
    let mut rows = vec![["class", "outcome", "count", "p50", "p90", "p99", "max"]
        .map(String::from)
        .to_vec()];
    // Per class, allowed before denied.
    let mut sorted: Vec<&ClassSummary> = latency.iter().collect();
    sorted.sort_by_key(|s| (s.class, !s.allowed));
    for s in sorted {
        rows.push(vec![
            s.class.name().to_string(),
            if s.allowed { "allowed" } else { "denied" }.to_string(),
            s.count.to_string(),
            fmt_us(s.p50_us),
            fmt_us(s.p90_us),
            fmt_us(s.p99_us),
            fmt_us(s.max_us),
        ]);
    }
    rows
}

/// The baseline table (class, outcome, requests then/now, p50 then/now, change, p, judgement),
/// header first.
pub(crate) fn baseline_rows(classes: &[ClassComparison]) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "class", "outcome", "n base", "n now", "p50 base", "p50 now", "change", "p", "",
    ]
    .map(String::from)
    .to_vec()];
    for c in classes {
        rows.push(vec![
            c.class.clone(),
            if c.allowed { "allowed" } else { "denied" }.to_string(),
            c.baseline_count.to_string(),
            c.current_count.to_string(),
            fmt_us(c.baseline_p50_us),
            fmt_us(c.current_p50_us),
            fmt_change(c.change),
            fmt_p(c.p_value),
            c.assessment.label().to_string(),
        ]);
    }
    rows
}

/// The run's overall status for headlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Every operation agreed.
    Agree,
    /// No divergence, but some operations were indeterminate.
    Inconclusive,
    /// At least one divergence.
    Diverged,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn outcomes_in_brief() {
        assert_eq!(
            outcome_brief(&Outcome::Denied {
                rule: Some("READ-1".into()),
                errors: vec![]
            }),
            "403 denied (READ-1)"
        );
        assert_eq!(
            outcome_brief(&Outcome::Ok {
                data: serde_json::json!({})
            }),
            "200 ok"
        );
        assert_eq!(outcome_brief(&Outcome::NotFound), "404 not found");
        assert_eq!(
            outcome_brief(&Outcome::Indeterminate {
                reason: "timeout".into()
            }),
            "indeterminate (timeout)"
        );
    }

    #[test]
    fn replay_commands_name_the_target_and_faults() {
        let mut r = CampaignReport {
            target: "http://127.0.0.1:4000".into(),
            ..CampaignReport::default()
        };
        assert_eq!(
            replay_command(&r, "out/001 a.yaml"),
            "tollgate replay 'out/001 a.yaml' --target http://127.0.0.1:4000"
        );
        r.target = "sandbox".into();
        r.faults = vec!["not-as-not-any".into()];
        assert_eq!(
            replay_command(&r, "out/001.yaml"),
            "tollgate replay out/001.yaml --target sandbox --fault not-as-not-any"
        );
    }

    #[test]
    fn shell_words() {
        assert_eq!(
            shell_quote("tollgate-out/001-a.yaml"),
            "tollgate-out/001-a.yaml"
        );
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
        assert_eq!(wrap("aa bb cc dd", 5, 2), "aa bb\n  cc\n  dd");
        assert_eq!(wrap("by +100 µs now", 8, 0), "by\n+100 µs\nnow");
        assert_eq!(wrap("by +100 µs), now", 8, 0), "by\n+100 µs),\nnow");
    }
}
