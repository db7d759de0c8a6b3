//! CI's short fault score: the campaign (seed 1, one job, at most `CASES` generated cases per
//! fault — a bound independent of the machine's speed) against the sandbox with each fault of
//! `score-expect.json` on must kill it again: a fault that was killed before and survives now
//! means the campaign got weaker (a generator or comparison change lost it).
//!
//! `TOLLGATE_UPDATE_SCORE=1 cargo test --test it score::` scores every fault under the same budget
//! and rewrites `score-expect.json` with those killed (review the diff: a fault leaving the
//! list is a loss). `tollgate score` is the full version (60 s per fault, release build).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::Duration;

use tollgate::gen::GenConfig;
use tollgate::run::score::{score, ScoreConfig, ScoreExpectation};
use tollgate::run::ShrinkConfig;
use tollgate::sandbox::faults::Fault;

/// Cases per fault.
const CASES: u64 = 250;

fn expect_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("score-expect.json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_killed_before_are_killed_again() {
    let update = std::env::var("TOLLGATE_UPDATE_SCORE").is_ok_and(|v| v == "1");
    let expected: ScoreExpectation = if update {
        ScoreExpectation { killed: Vec::new() }
    } else {
        serde_json::from_str(&std::fs::read_to_string(expect_file()).unwrap()).unwrap()
    };
    let faults: Vec<Fault> = if update {
        Fault::ALL.to_vec()
    } else {
        expected
            .killed
            .iter()
            .map(|n| {
                n.parse()
                    .unwrap_or_else(|e| panic!("score-expect.json: {e}"))
            })
            .collect()
    };
    let config = ScoreConfig {
        seed: 1,
        faults,
        // A safety net only: the case bound decides.
        time_limit_per_fault: Duration::from_secs(300),
        cases_per_fault: Some(CASES),
        jobs: 1,
        gen: GenConfig::default(),
        out: None,
        // Killing is what is checked here; `tollgate score` checks the minimized sizes.
        shrink: ShrinkConfig {
            max_runs: 0,
            ..ShrinkConfig::default()
        },
    };
    let result = score(&config, |f| {
        println!(
            "{:30} {} after {} cases",
            f.fault,
            if f.killed { "killed" } else { "survived" },
            f.cases
        )
    })
    .await
    .unwrap();
    for f in &result.faults {
        assert!(f.errors.is_empty(), "{}: {:?}", f.fault, f.errors);
    }
    if update {
        let e = result.expectation();
        std::fs::write(
            expect_file(),
            serde_json::to_string_pretty(&e).unwrap() + "\n",
        )
        .unwrap();
        println!(
            "score-expect.json: {} of {} faults",
            e.killed.len(),
            result.total
        );
        return;
    }
    let lost = result.regressions(&expected);
    assert!(
        lost.is_empty(),
        "faults killed before survive now (within {CASES} cases of seed 1): {lost:?}\n{}",
        result.human()
    );
    assert_eq!(result.killed, expected.killed.len());
}
