//! The report formats (`tollgate::report`) rendered from one fixed, realistic campaign report:
//! two divergence groups (three minimized divergences), unknown outcomes, latency per class
//! and a baseline comparison (computed by `latency::baseline` from fixed histograms) with one
//! regression. Snapshots with insta; the JSON round-trips; the JUnit XML parses back with the
//! counts a CI tab shows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;

use tollgate::compare::Difference;
use tollgate::latency::baseline::{compare, Baseline, Conditions, Thresholds};
use tollgate::latency::{Key, OpClass, Recorder};
use tollgate::op::{DeniedError, FailedAction, Outcome};
use tollgate::report;
use tollgate::run::report::{
    Assessment, CampaignReport, Divergence, DivergenceGroup, OutcomeCount, UnknownReason,
    VerdictCounts,
};

const CURL_READ: &str = "curl -sS 'http://127.0.0.1:41873/v2/tollgate-17/master' \
    -H 'content-type: application/json' -H 'authorization: Bearer eyJhbGci…' \
    --data '{\"query\":\"{ posts(stage: DRAFT) { id title } }\"}'";

fn key(class: OpClass, allowed: bool) -> Key {
    Key { class, allowed }
}

/// `n` latencies spread ±40 % around `median`, deterministic.
fn spread(median: u64, n: u64) -> impl Iterator<Item = u64> {
    (0..n).map(move |i| median * (60 + (i * 37 % 81)) / 100)
}

fn record(r: &mut Recorder, k: Key, median: u64, n: u64) {
    for v in spread(median, n) {
        r.record(k, v);
    }
}

/// The run's histograms and the baseline's: `create allowed` tripled (a regression),
/// `read_list allowed` unchanged, `read_one denied` +10 % (within noise), `count allowed` with
/// too few requests, `publish allowed` new, `delete allowed` gone.
fn recorders() -> (Recorder, Recorder) {
    let mut base = Recorder::new();
    let mut now = Recorder::new();
    record(&mut base, key(OpClass::ReadList, true), 420, 900);
    record(&mut now, key(OpClass::ReadList, true), 425, 1_000);
    record(&mut base, key(OpClass::ReadList, false), 180, 300);
    record(&mut now, key(OpClass::ReadList, false), 185, 310);
    record(&mut base, key(OpClass::ReadOne, false), 300, 2_000);
    record(&mut now, key(OpClass::ReadOne, false), 330, 2_000);
    record(&mut base, key(OpClass::Count, true), 510, 12);
    record(&mut now, key(OpClass::Count, true), 1_900, 14);
    record(&mut base, key(OpClass::Create, true), 800, 120);
    record(&mut now, key(OpClass::Create, true), 2_400, 130);
    record(&mut base, key(OpClass::Delete, true), 700, 40);
    record(&mut now, key(OpClass::Publish, true), 950, 60);
    // One slow outlier in this run.
    now.record(key(OpClass::ReadList, true), 48_700);
    (base, now)
}

fn denied_read() -> Outcome {
    Outcome::Denied {
        rule: Some("READ-1".into()),
        errors: vec![DeniedError {
            message: "not allowed".into(),
            path: Some(vec!["posts".into()]),
            failed_actions: None,
        }],
    }
}

fn fixture() -> CampaignReport {
    let (base, now) = recorders();
    let mut report = CampaignReport {
        schema_version: tollgate::run::report::SCHEMA_VERSION,
        version: "0.1.0".into(),
        seed: 42,
        target: "sandbox".into(),
        faults: vec![
            "empty-stages-mean-all".into(),
            "update-condition-stored-only".into(),
        ],
        profile: "hygraph".into(),
        jobs: 2,
        started_at: "2025-06-01T12:00:00Z".into(),
        duration_secs: 61.25,
        cases: 120,
        operations: 4_812,
        ops_per_sec: 78.56,
        verdicts: VerdictCounts {
            agree: 4_790,
            differ: 19,
            unknown: 3,
        },
        outcomes: vec![
            OutcomeCount {
                status: 200,
                rule: None,
                count: 2_911,
            },
            OutcomeCount {
                status: 400,
                rule: Some("CTX-3".into()),
                count: 120,
            },
            OutcomeCount {
                status: 400,
                rule: Some("PERM-4".into()),
                count: 31,
            },
            OutcomeCount {
                status: 401,
                rule: Some("AUTH-3".into()),
                count: 402,
            },
            OutcomeCount {
                status: 403,
                rule: Some("READ-1".into()),
                count: 1_348,
            },
        ],
        divergences: vec![
            DivergenceGroup {
                signature: "READ-1 posts 403≠200 status".into(),
                rules: vec!["READ-1".into(), "PERM-2".into()],
                occurrences: 17,
                cases: vec![
                    Divergence {
                        file: Some("tollgate-out/001-READ-1-posts-403-200-status.yaml".into()),
                        case_index: 17,
                        step: 2,
                        original_steps: 38,
                        minimized_steps: 3,
                        shrink_runs: 112,
                        reference: denied_read(),
                        target: Outcome::Ok {
                            data: json!({"posts": [{"id": "cl0a1", "title": "Draft only"}]}),
                        },
                        differences: vec![Difference {
                            path: "status".into(),
                            expected: json!(403),
                            observed: json!(200),
                        }],
                        request: "{ posts(stage: DRAFT) { id title } }".into(),
                        curl: CURL_READ.into(),
                        found_after_secs: 2.1,
                        found_after_cases: 17,
                    },
                    Divergence {
                        file: Some("tollgate-out/004-READ-1-posts-403-200-status.yaml".into()),
                        case_index: 64,
                        step: 0,
                        original_steps: 22,
                        minimized_steps: 1,
                        shrink_runs: 57,
                        reference: denied_read(),
                        target: Outcome::Ok {
                            data: json!({"posts": []}),
                        },
                        differences: vec![Difference {
                            path: "status".into(),
                            expected: json!(403),
                            observed: json!(200),
                        }],
                        request: "query Q { posts(stage: DRAFT, first: 2) { title } }".into(),
                        curl: CURL_READ.replace("{ posts(stage: DRAFT) { id title } }", "query Q { posts(stage: DRAFT, first: 2) { title } }"),
                        found_after_secs: 33.9,
                        found_after_cases: 64,
                    },
                ],
            },
            DivergenceGroup {
                signature: "WRITE-2 updatePost 403≠200 status".into(),
                rules: vec!["WRITE-2".into()],
                occurrences: 2,
                cases: vec![Divergence {
                    file: Some("tollgate-out/002-WRITE-2-updatePost-403-200-status.yaml".into()),
                    case_index: 31,
                    step: 4,
                    original_steps: 45,
                    minimized_steps: 5,
                    shrink_runs: 203,
                    reference: Outcome::Denied {
                        rule: Some("WRITE-2".into()),
                        errors: vec![DeniedError {
                            message: "Mutation failed due to permission errors".into(),
                            path: None,
                            failed_actions: Some(vec![FailedAction {
                                action: "update".into(),
                                model: "Post".into(),
                                stage: "DRAFT".into(),
                            }]),
                        }],
                    },
                    target: Outcome::Ok {
                        data: json!({"updatePost": {"id": "cl0b7", "title": "Edited | with a pipe"}}),
                    },
                    differences: vec![
                        Difference {
                            path: "status".into(),
                            expected: json!(403),
                            observed: json!(200),
                        },
                    ],
                    request: "mutation { updatePost(where: {id: \"cl0b7\"}, data: {title: \"Edited | with a pipe\"}) { id title } }".into(),
                    curl: "curl -sS 'http://127.0.0.1:41873/v2/tollgate-31/master' -H 'content-type: application/json' -H 'authorization: Bearer eyJhbGci…' --data '{\"query\":\"mutation { updatePost(where: {id: \\\"cl0b7\\\"}, data: {title: \\\"Edited | with a pipe\\\"}) { id title } }\"}'".into(),
                    found_after_secs: 14.0,
                    found_after_cases: 31,
                }],
            },
        ],
        unknowns: vec![
            UnknownReason {
                reason: "the observed outcome is indeterminate: HTTP 503: database is locked".into(),
                count: 2,
            },
            UnknownReason {
                reason: "the observed outcome is indeterminate: timeout after 10 s".into(),
                count: 1,
            },
        ],
        latency: now.summary(),
        baseline: None,
    };
    let mut then = Conditions::of(&report);
    then.tollgate_version = "0.0.9".into();
    then.recorded_at = "2025-05-30T09:15:00Z".into();
    let baseline = Baseline::from_json(&Baseline::new(&base, then).to_json().unwrap()).unwrap();
    report.baseline = Some(compare(
        &baseline,
        "baseline.json",
        &now,
        &Conditions::of(&report),
        &Thresholds::default(),
    ));
    report
}

#[test]
fn the_fixture_is_what_it_claims() {
    let r = fixture();
    let b = r.baseline.as_ref().unwrap();
    let flagged: Vec<_> = r
        .regressions()
        .map(|c| (c.class.as_str(), c.allowed))
        .collect();
    assert_eq!(flagged, [("create", true)]);
    let judged = |class: &str, allowed: bool| {
        b.classes
            .iter()
            .find(|c| c.class == class && c.allowed == allowed)
            .unwrap()
            .assessment
    };
    assert_eq!(judged("read_one", false), Assessment::WithinNoise);
    assert_eq!(judged("count", true), Assessment::TooFew);
    assert_eq!(judged("read_list", true), Assessment::NoChange);
    assert_eq!(b.only_in_baseline, [key(OpClass::Delete, true)]);
    assert_eq!(b.only_in_current, [key(OpClass::Publish, true)]);
    assert_eq!(b.warnings.len(), 1, "{:?}", b.warnings);
    assert_eq!(r.divergence_count(), 3);
    assert_eq!(r.unknown_count(), r.verdicts.unknown);
}

#[test]
fn human() {
    let text = report::human(&fixture());
    assert!(text.starts_with("seed 42"), "the seed comes first:\n{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn markdown() {
    insta::assert_snapshot!(report::markdown(&fixture()));
}

#[test]
fn junit() {
    insta::assert_snapshot!(report::junit(&fixture()).unwrap());
}

#[test]
fn json() {
    insta::assert_snapshot!(report::json(&fixture()));
}

#[test]
fn json_round_trips() {
    let r = fixture();
    let text = report::json(&r);
    let back: CampaignReport = serde_json::from_str(&text).unwrap();
    assert_eq!(back, r);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["schema_version"],
        json!(tollgate::run::report::SCHEMA_VERSION)
    );
    // Optional members are left out when empty.
    let bare = CampaignReport {
        seed: 7,
        ..CampaignReport::default()
    };
    let v: serde_json::Value = serde_json::from_str(&report::json(&bare)).unwrap();
    for absent in ["faults", "baseline"] {
        assert!(v.get(absent).is_none(), "{absent} in {v}");
    }
    assert_eq!(serde_json::from_value::<CampaignReport>(v).unwrap(), bare);
}

#[test]
fn junit_counts_what_a_ci_tab_shows() {
    let xml = report::junit(&fixture()).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    // 1 agreement + 3 divergences + 2 unknown reasons + 5 compared latency classes.
    assert_eq!(parsed.tests, 11);
    assert_eq!(parsed.failures, 4, "3 divergences and 1 regression");
    assert_eq!(parsed.errors, 2, "unknown outcomes are errors");
    assert_eq!(parsed.skipped, 0);
    let names: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "tollgate fuzz",
            "divergence: READ-1 posts 403≠200 status",
            "divergence: WRITE-2 updatePost 403≠200 status",
            "unknown outcomes",
            "latency vs baseline.json",
        ]
    );
}

#[test]
fn a_clean_run_reads_as_passed_everywhere() {
    let mut r = fixture();
    r.divergences.clear();
    r.unknowns.clear();
    r.faults.clear();
    r.verdicts = VerdictCounts {
        agree: 4_812,
        differ: 0,
        unknown: 0,
    };
    r.baseline = None;
    let human = report::human(&r);
    assert!(human.contains("divergences: none"), "{human}");
    assert!(
        human
            .trim_end()
            .ends_with("PASS: all 4812 operations agree"),
        "{human}"
    );
    let md = report::markdown(&r);
    assert!(
        md.starts_with("## ✅ tollgate fuzz: all 4812 operations agree\n"),
        "{md}"
    );
    assert!(!md.contains("<details>"), "{md}");
    let parsed = quick_junit::Report::deserialize_from_str(&report::junit(&r).unwrap()).unwrap();
    assert_eq!((parsed.tests, parsed.failures, parsed.errors), (1, 0, 0));
}

#[test]
fn unknowns_alone_are_inconclusive_not_passed() {
    let mut r = fixture();
    r.divergences.clear();
    r.verdicts.differ = 0;
    let human = report::human(&r);
    assert!(
        human
            .trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("INCONCLUSIVE: no divergence, but 3 operations unknown"),
        "{human}"
    );
    let md = report::markdown(&r);
    assert!(md.starts_with("## ⚠️ tollgate fuzz: no divergence"), "{md}");
    let parsed = quick_junit::Report::deserialize_from_str(&report::junit(&r).unwrap()).unwrap();
    assert_eq!(parsed.errors, 2);
}

#[test]
fn human_lines_fit_a_terminal() {
    // Prose and tables fit in 100 columns; only the lines a person copies whole (commands,
    // file paths) may be longer.
    let text = report::human(&fixture());
    for line in text.lines() {
        let copied = line.trim_start().starts_with("replay: ");
        assert!(copied || line.chars().count() <= 100, "too wide: {line}");
    }
}
