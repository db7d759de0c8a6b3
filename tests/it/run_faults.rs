//! Every sandbox fault against the campaign over the scenario-derived cases: each is found,
//! each divergence shrinks to at most 8 steps and persists as a file that agrees with the
//! reference, diverges from the faulted sandbox and agrees with the faithful one (replayed in
//! process). Heavy (every fault, every scenario, every shrink): run it with
//! `cargo test --release --test it run_faults -- --ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::run_support;

use std::path::PathBuf;
use std::sync::Arc;

use run_support::{case_of, sandbox, scenario_files};
use tollgate::case::Case;
use tollgate::compare::Verdict;
use tollgate::run::{campaign, CampaignConfig, CaseSource, Runner};
use tollgate::sandbox::faults::{Fault, Faults};
use tollgate::scenario::load::load_file;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "heavy: every fault, every scenario case, every shrink"]
async fn every_fault_is_found_shrunk_and_persisted() {
    let cases: Vec<Case> = scenario_files()
        .iter()
        .map(|f| case_of(&load_file(f).unwrap()))
        .collect();
    let (faithful, faithful_admin) = sandbox(Faults::NONE).await;
    let mut problems = Vec::new();
    let mut n = 0;
    for &fault in Fault::ALL {
        let (server, admin) = sandbox(Faults::NONE.with(fault)).await;
        let c = cases.clone();
        let source: Arc<dyn CaseSource> = Arc::new(move |i: u64| c.get(i as usize).cloned());
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("run-faults")
            .join(fault.name());
        let _ = std::fs::remove_dir_all(&dir);
        let mut config = CampaignConfig::new(1);
        config.cases = None;
        config.out = Some(dir);
        let r = campaign(Arc::new(Runner::new(admin.clone())), source, config, |_| {}).await;
        if r.report.verdicts.differ == 0 {
            problems.push(format!("{}: survived", fault.name()));
        }
        problems.extend(
            r.harness_errors
                .iter()
                .map(|e| format!("{}: {e}", fault.name())),
        );
        for g in &r.report.divergences {
            for d in &g.cases {
                if d.minimized_steps > 8 {
                    problems.push(format!(
                        "{}: {} has {} steps",
                        fault.name(),
                        g.signature,
                        d.minimized_steps
                    ));
                }
                let Some(file) = &d.file else { continue };
                n += 1;
                let loaded = load_file(std::path::Path::new(file)).unwrap();
                let reference = tollgate::scenario::replay::replay(&loaded);
                let faulted =
                    tollgate::target::scenario::replay(&admin, &loaded, &format!("faulted-{n}"))
                        .await
                        .unwrap();
                let fixed = tollgate::target::scenario::replay(
                    &faithful_admin,
                    &loaded,
                    &format!("{}-{n}", fault.name()),
                )
                .await
                .unwrap();
                let differs = faulted
                    .steps
                    .iter()
                    .any(|s| matches!(s.verdict, Verdict::Differ { .. }));
                if reference.differed() > 0 || !differs || fixed.differed() > 0 {
                    problems.push(format!(
                        "{file}: reference {}, faulted differs {differs}, faithful {}",
                        reference.differed(),
                        fixed.differed()
                    ));
                }
            }
        }
        server.shutdown().await.unwrap();
    }
    faithful.shutdown().await.unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
