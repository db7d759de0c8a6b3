//! JUnit XML for CI test tabs, written with the `quick-junit` crate.
//!
//! The layout, chosen so a CI test tab shows the run honestly:
//!
//! - suite `tollgate fuzz`: the run's conditions as properties (seed, target, faults, profile,
//!   jobs, version) and one **passing** test case summarizing agreement (`N operations agree`);
//! - one suite per divergence group, named `divergence: <signature>`: one **failing** test
//!   case per minimized divergence (message: the signature; body: rules, both outcomes, the
//!   differences, the request, the curl command, the file and the replay command);
//! - suite `unknown outcomes`: one test case per reason, reported as an **error** (JUnit's
//!   "could not be carried out", distinct from a failure): an indeterminate outcome is never
//!   agreement, so it must not read as passed, and `skipped` would read as "not applicable"
//!   and is shown as neutral by most CI tabs — yet it is not a divergence either, so it is not
//!   a failure;
//! - with a baseline, suite `latency vs <file>`: one test case per compared class, failing when
//!   flagged as a regression, passing otherwise (the reason in its output either way).

use std::time::Duration;

use chrono::DateTime;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::{
    comparison_label, difference_line, outcome_brief, outcome_json, plural, replay_command,
};
use crate::run::report::{CampaignReport, Divergence, DivergenceGroup};

/// The JUnit report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum JunitError {
    /// quick-junit's serializer failed.
    #[error("cannot write the junit report: {0}")]
    Serialize(#[from] quick_junit::SerializeError),
}

/// The report as JUnit XML (see the module docs for the layout).
pub fn junit(report: &CampaignReport) -> Result<String, JunitError> {
    let mut out = Report::new("tollgate fuzz");
    if let Ok(t) = DateTime::parse_from_rfc3339(&report.started_at) {
        out.set_timestamp(t);
    }
    if let Ok(d) = Duration::try_from_secs_f64(report.duration_secs) {
        out.set_time(d);
    }
    out.add_test_suite(summary_suite(report));
    for g in &report.divergences {
        out.add_test_suite(divergence_suite(report, g));
    }
    if report.verdicts.unknown > 0 || !report.unknowns.is_empty() {
        out.add_test_suite(unknown_suite(report));
    }
    if let Some(b) = &report.baseline {
        let mut suite = TestSuite::new(format!("latency vs {}", b.file));
        for c in &b.classes {
            let status = if c.regression {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!("latency regression: {}", comparison_label(c)))
                    .set_type("latency regression")
                    .set_description(format!("{}\n\nmethod: {}", c.reason, b.method));
                s
            } else {
                TestCaseStatus::success()
            };
            let mut case = TestCase::new(comparison_label(c), status);
            case.set_classname("tollgate.latency");
            if !c.regression {
                case.set_system_out(c.reason.clone());
            }
            suite.add_test_case(case);
        }
        if !b.warnings.is_empty() {
            suite.set_system_err(b.warnings.join("\n"));
        }
        out.add_test_suite(suite);
    }
    Ok(out.to_string()?)
}

fn summary_suite(r: &CampaignReport) -> TestSuite {
    let mut suite = TestSuite::new("tollgate fuzz");
    let mut props = vec![
        Property::new("seed", r.seed.to_string()),
        Property::new("target", r.target.clone()),
    ];
    if !r.faults.is_empty() {
        props.push(Property::new("faults", r.faults.join(",")));
    }
    props.extend([
        Property::new("profile", r.profile.clone()),
        Property::new("jobs", r.jobs.to_string()),
        Property::new("tollgate_version", r.version.clone()),
        Property::new("cases", r.cases.to_string()),
        Property::new("operations", r.operations.to_string()),
        Property::new("ops_per_sec", format!("{:.1}", r.ops_per_sec)),
    ]);
    suite.add_properties(props);
    let mut case = TestCase::new(
        format!(
            "{} agree",
            plural(r.verdicts.agree, "operation", "operations")
        ),
        TestCaseStatus::success(),
    );
    case.set_classname("tollgate.agreement");
    case.set_system_out(format!(
        "seed {}: {} and {} run; verdicts: {} agree, {} differ, {} unknown",
        r.seed,
        plural(r.cases, "case", "cases"),
        plural(r.operations, "operation", "operations"),
        r.verdicts.agree,
        r.verdicts.differ,
        r.verdicts.unknown
    ));
    suite.add_test_case(case);
    suite
}

fn divergence_suite(r: &CampaignReport, g: &DivergenceGroup) -> TestSuite {
    let mut suite = TestSuite::new(format!("divergence: {}", g.signature));
    suite.add_properties([
        Property::new("rules", g.rules.join(",")),
        Property::new("occurrences", g.occurrences.to_string()),
    ]);
    for d in &g.cases {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(g.signature.clone())
            .set_type("divergence")
            .set_description(body(r, g, d));
        let name = match &d.file {
            Some(f) => format!("{f} (case {}, step {})", d.case_index, d.step + 1),
            None => format!("case {}, step {}", d.case_index, d.step + 1),
        };
        let mut case = TestCase::new(name, status);
        case.set_classname(format!(
            "tollgate.divergence.{}",
            g.rules.first().map_or("unattributed", String::as_str)
        ));
        suite.add_test_case(case);
    }
    suite
}

/// The failure body: everything needed to understand and reproduce the divergence.
fn body(r: &CampaignReport, g: &DivergenceGroup, d: &Divergence) -> String {
    let mut s = String::new();
    s.push_str(&format!("rules: {}\n", g.rules.join(", ")));
    s.push_str(&format!(
        "case {} of seed {}, step {} of {} (minimized from {} steps in {} runs)\n",
        d.case_index,
        r.seed,
        d.step + 1,
        d.minimized_steps,
        d.original_steps,
        d.shrink_runs
    ));
    if let Some(f) = &d.file {
        s.push_str(&format!("file: {f}\nreplay: {}\n", replay_command(r, f)));
    }
    s.push_str("\ndifferences:\n");
    for diff in &d.differences {
        s.push_str(&format!("  {}\n", difference_line(diff, 500)));
    }
    s.push_str(&format!(
        "\nrequest:\n{}\n\ncurl:\n{}\n",
        d.request.trim_end(),
        d.curl.trim_end()
    ));
    s.push_str(&format!(
        "\nreference (expected): {}\n{}\n\ntarget (observed): {}\n{}\n",
        outcome_brief(&d.reference),
        outcome_json(&d.reference),
        outcome_brief(&d.target),
        outcome_json(&d.target)
    ));
    s
}

fn unknown_suite(r: &CampaignReport) -> TestSuite {
    let mut suite = TestSuite::new("unknown outcomes");
    for u in &r.unknowns {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status
            .set_message(format!(
                "{} indeterminate (never agreement): {}",
                plural(u.count, "operation", "operations"),
                u.reason
            ))
            .set_type("indeterminate");
        let mut case = TestCase::new(u.reason.clone(), status);
        case.set_classname("tollgate.unknown");
        suite.add_test_case(case);
    }
    if r.unknowns.is_empty() {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status
            .set_message(format!(
                "{} indeterminate (never agreement), no reason recorded",
                plural(r.verdicts.unknown, "operation", "operations")
            ))
            .set_type("indeterminate");
        let mut case = TestCase::new("indeterminate outcomes", status);
        case.set_classname("tollgate.unknown");
        suite.add_test_case(case);
    }
    suite
}
