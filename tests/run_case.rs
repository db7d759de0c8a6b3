//! The runner (`run::case`) against the embedded sandbox: every scenario-derived case agrees
//! step by step with the reference on the faithful sandbox, entries created during a run are
//! paired (DATA-2) and `{{created:K}}` placeholders address the same entry on both sides.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod run_support;

use run_support::{case_of, sandbox, scenario_files};
use tollgate::compare::Verdict;
use tollgate::run::Runner;
use tollgate::sandbox::faults::Faults;
use tollgate::scenario::load::load_file;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_case_agrees_on_the_faithful_sandbox() {
    let (server, admin) = sandbox(Faults::NONE).await;
    let runner = Runner::new(admin);
    let mut failures = Vec::new();
    let mut steps = 0;
    let mut created = 0;
    for file in scenario_files() {
        let case = case_of(&load_file(&file).unwrap());
        let run = runner
            .run_case(&case)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(run.steps.len(), case.steps.len());
        steps += run.steps.len();
        created += run.created_target.len();
        assert!(run.notes.is_empty(), "{}: {:?}", file.display(), run.notes);
        for (i, s) in run.steps.iter().enumerate() {
            if !s.verdict.is_agree() {
                failures.push(format!(
                    "{} step {i}: {}\n  request:   {}\n  reference: {}\n  target:    {}",
                    file.display(),
                    serde_json::to_string(&s.verdict).unwrap(),
                    s.request.as_deref().unwrap_or("(manage)"),
                    serde_json::to_string(&s.reference).unwrap(),
                    serde_json::to_string(&s.target).unwrap(),
                ));
            }
        }
    }
    server.shutdown().await.unwrap();
    assert!(
        failures.is_empty(),
        "{} of {steps} steps:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(steps >= 300, "{steps}");
    assert!(created >= 5, "only {created} entries created");
    let _ = Verdict::Agree;
}
