//! The campaign (`run::campaign`) over scenario-derived cases against the embedded sandbox:
//! the faithful sandbox agrees everywhere; a faulted one yields divergences that shrink to a
//! handful of steps and persist as scenario files that `tollgate replay` agrees with against
//! the reference, diverges from against the faulted sandbox and agrees with against the
//! faithful one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::run_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use run_support::{case_of, sandbox, scenario_files};
use tollgate::case::Case;
use tollgate::run::{campaign, CampaignConfig, CaseSource, Runner};
use tollgate::sandbox::faults::{Fault, Faults};
use tollgate::scenario::load::load_file;

fn scenario_cases() -> Vec<Case> {
    scenario_files()
        .iter()
        .map(|f| case_of(&load_file(f).unwrap()))
        .collect()
}

fn source(cases: Vec<Case>) -> Arc<dyn CaseSource> {
    Arc::new(move |i: u64| cases.get(usize::try_from(i).ok()?).cloned())
}

fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn replay(file: &Path, args: &[&str]) -> i32 {
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .arg("replay")
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    out.status.code().unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_faithful_sandbox_agrees_on_every_scenario_case() {
    let (server, admin) = sandbox(Faults::NONE).await;
    let cases = scenario_cases();
    let n = cases.len() as u64;
    let mut config = CampaignConfig::new(7);
    config.cases = None;
    config.jobs = 3;
    config.out = Some(out_dir("faithful"));
    let mut seen = Vec::new();
    let result = campaign(Arc::new(Runner::new(admin)), source(cases), config, |p| {
        seen.push(p.cases)
    })
    .await;
    server.shutdown().await.unwrap();
    let r = &result.report;
    assert!(
        result.harness_errors.is_empty(),
        "{:?}",
        result.harness_errors
    );
    assert_eq!(r.cases, n);
    assert_eq!(r.verdicts.differ, 0, "{:#?}", r.divergences);
    assert_eq!(r.verdicts.unknown, 0, "{:?}", r.unknowns);
    assert!(r.verdicts.agree >= 300, "{:?}", r.verdicts);
    assert_eq!(r.operations, r.verdicts.agree);
    assert!(r.divergences.is_empty());
    assert!(r.latency.iter().map(|c| c.count).sum::<u64>() >= r.operations);
    // Progress after every case, counting up to the end.
    assert_eq!(seen.len() as u64, n);
    assert_eq!(seen.last().copied(), Some(n));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_is_found_shrunk_persisted_and_replayed() {
    let fault = Fault::NotAsNotAny;
    let (server, admin) = sandbox(Faults::NONE.with(fault)).await;
    let dir = out_dir("not-as-not-any");
    let mut config = CampaignConfig::new(7);
    config.cases = None;
    config.jobs = 2;
    config.faults = vec![fault.name().to_string()];
    config.out = Some(dir.clone());
    let result = campaign(
        Arc::new(Runner::new(admin)),
        source(scenario_cases()),
        config,
        |_| {},
    )
    .await;
    server.shutdown().await.unwrap();
    let r = &result.report;
    assert!(
        result.harness_errors.is_empty(),
        "{:?}",
        result.harness_errors
    );
    assert!(r.verdicts.differ > 0);
    eprintln!("{}", serde_json::to_string_pretty(&r.divergences).unwrap());
    for g in &r.divergences {
        for d in &g.cases {
            assert!(
                d.minimized_steps <= 8,
                "{}: {} steps",
                g.signature,
                d.minimized_steps
            );
            let file = PathBuf::from(d.file.as_deref().unwrap());
            eprintln!("{}", std::fs::read_to_string(&file).unwrap());
            assert_eq!(
                replay(&file, &["--target", "reference"]),
                0,
                "{}",
                file.display()
            );
            assert_eq!(
                replay(&file, &["--target", "sandbox", "--fault", fault.name()]),
                1,
                "{}",
                file.display()
            );
            assert_eq!(
                replay(&file, &["--target", "sandbox"]),
                0,
                "{}",
                file.display()
            );
        }
    }
}
