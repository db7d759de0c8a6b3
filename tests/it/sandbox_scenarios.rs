//! Every scenario file replayed over HTTP against the faithful sandbox (`serve` in-process on
//! 127.0.0.1, port 0): each step is a real request (or a Management-API call) and its decoded
//! response must agree with the step's `expect`, the outcome derived from the spec by hand.
//! This is the sandbox's end-to-end check: bulk load, management calls, token forms, the
//! Content API in ERR-1's order, reads and writes, all through the wire.
//!
//! The second test switches on each fault in turn and requires the same scenarios to expose
//! it: some step must *differ* (an indeterminate answer does not count), so every fault is a
//! real, observable deviation at the HTTP surface.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use tollgate::compare::Verdict;
use tollgate::sandbox::faults::{Fault, Faults};
use tollgate::sandbox::server::{start, Config};
use tollgate::scenario::load::load_file;
use tollgate::target::http_client;
use tollgate::target::sandbox::SandboxAdmin;
use tollgate::target::scenario::replay;

fn scenario_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_agrees_over_http() {
    let server = start(Config::default()).await.unwrap();
    let admin = SandboxAdmin::new(http_client().unwrap(), server.url(), server.admin_secret());
    let files = scenario_files();
    assert!(files.len() >= 50, "scenarios/ holds {} files", files.len());
    let mut failures = Vec::new();
    let mut steps = 0;
    for (i, file) in files.iter().enumerate() {
        let loaded = load_file(file).unwrap();
        let project = format!("scenario-{i}");
        let report = match replay(&admin, &loaded, &project).await {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: {e}", file.display()));
                continue;
            }
        };
        assert_eq!(report.steps.len(), loaded.scenario.steps.len());
        steps += report.steps.len();
        for s in &report.steps {
            if !matches!(s.verdict, Verdict::Agree) {
                failures.push(format!(
                    "{}:{} step {}{}\n  expected: {}\n  observed: {}\n  verdict:  {}",
                    file.display(),
                    s.line.unwrap_or(0),
                    s.index,
                    s.note
                        .as_deref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default(),
                    serde_json::to_string(&s.expected).unwrap(),
                    serde_json::to_string(&s.observed).unwrap(),
                    serde_json::to_string(&s.verdict).unwrap(),
                ));
            }
        }
    }
    server.shutdown().await.unwrap();
    assert!(
        failures.is_empty(),
        "{} of {steps} steps disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(steps >= 300, "only {steps} steps replayed");
}

/// The first scenario file (in name order) with a step that differs from its expectation when
/// `fault` is on, and that step's index.
async fn first_exposure(fault: Fault, files: &[PathBuf]) -> Option<(String, usize)> {
    let server = start(Config {
        faults: Faults::NONE.with(fault),
        ..Config::default()
    })
    .await
    .unwrap();
    let admin = SandboxAdmin::new(http_client().unwrap(), server.url(), server.admin_secret());
    let mut found = None;
    for (i, file) in files.iter().enumerate() {
        let loaded = load_file(file).unwrap();
        let report = replay(&admin, &loaded, &format!("f{i}")).await.unwrap();
        if let Some(s) = report
            .steps
            .iter()
            .find(|s| matches!(s.verdict, Verdict::Differ { .. }))
        {
            found = Some((
                file.file_name().unwrap().to_string_lossy().into_owned(),
                s.index,
            ));
            break;
        }
    }
    server.shutdown().await.unwrap();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_exposed_by_some_scenario_over_http() {
    let files = scenario_files();
    let mut tasks = tokio::task::JoinSet::new();
    for &fault in Fault::ALL {
        let files = files.clone();
        tasks.spawn(async move { (fault, first_exposure(fault, &files).await) });
    }
    let mut survived = Vec::new();
    let mut killed = 0;
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            (_, Some(_)) => killed += 1,
            (fault, None) => survived.push(format!("{fault} ({})", fault.rule())),
        }
    }
    assert!(
        survived.is_empty(),
        "faults no scenario exposes: {}",
        survived.join(", ")
    );
    assert_eq!(killed, Fault::ALL.len());
}
