//! Shrinking (`run::shrink`) with a generator's value tree: cases drawn by a proptest strategy
//! (a list of steps picked from a pool of scenario operations, the pool's project), run against
//! a faulted sandbox; the divergence is minimized through the value tree's simplify/complicate
//! loop and the structural passes, and the budget bounds the work.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::run_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use run_support::{case_of, sandbox, scenario};
use tollgate::case::Case;
use tollgate::op::Operation;
use tollgate::run::{
    campaign, shrink, CampaignConfig, CaseSource, CaseTree, Runner, ShrinkConfig, TreeMaker,
};
use tollgate::sandbox::faults::{Fault, Faults};

/// A pool of operations over one project: scenario 058's steps (one exposes `not-as-not-any`)
/// and scenario-058-shaped reads that agree.
fn pool() -> (Case, Vec<Operation>) {
    let base = case_of(&scenario("058"));
    let mut ops = base.steps.clone();
    // Filler: the third step agrees under the fault (a NOT of one filter); the first two expose it.
    ops.push(base.steps[2].clone());
    ops.push(base.steps[2].clone());
    (base, ops)
}

fn strategy(n: usize) -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0..n, 12..24)
}

fn runner_for(seed: u64, index: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&index.to_le_bytes());
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

struct Tree {
    inner: Box<dyn ValueTree<Value = Vec<usize>>>,
    base: Case,
    ops: Vec<Operation>,
    moves: Arc<AtomicUsize>,
}

impl CaseTree for Tree {
    fn current(&self) -> Case {
        let mut c = self.base.clone();
        c.steps = self
            .inner
            .current()
            .into_iter()
            .map(|i| self.ops[i].clone())
            .collect();
        c
    }
    fn simplify(&mut self) -> bool {
        self.moves.fetch_add(1, Ordering::Relaxed);
        self.inner.simplify()
    }
    fn complicate(&mut self) -> bool {
        self.moves.fetch_add(1, Ordering::Relaxed);
        self.inner.complicate()
    }
}

struct Generated {
    seed: u64,
    moves: Arc<AtomicUsize>,
}

impl CaseSource for Generated {
    fn case(&self, index: u64) -> Option<Case> {
        let (base, ops) = pool();
        let tree = strategy(ops.len())
            .new_tree(&mut runner_for(self.seed, index))
            .ok()?;
        let mut c = base;
        c.steps = tree.current().into_iter().map(|i| ops[i].clone()).collect();
        Some(c)
    }

    fn tree(&self, index: u64) -> Option<TreeMaker> {
        let (seed, moves) = (self.seed, Arc::clone(&self.moves));
        Some(Box::new(move || {
            let (base, ops) = pool();
            let inner = strategy(ops.len())
                .new_tree(&mut runner_for(seed, index))
                .ok()?;
            Some(Box::new(Tree {
                inner: Box::new(inner),
                base,
                ops,
                moves,
            }) as Box<dyn CaseTree>)
        }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_divergences_shrink_through_the_value_tree() {
    let (server, admin) = sandbox(Faults::NONE.with(Fault::NotAsNotAny)).await;
    let moves = Arc::new(AtomicUsize::new(0));
    let source = Arc::new(Generated {
        seed: 3,
        moves: Arc::clone(&moves),
    });
    let mut config = CampaignConfig::new(3);
    config.cases = Some(2);
    config.out = None;
    let result = campaign(Arc::new(Runner::new(admin)), source, config, |_| {}).await;
    server.shutdown().await.unwrap();
    let r = &result.report;
    assert!(
        result.harness_errors.is_empty(),
        "{:?}",
        result.harness_errors
    );
    assert!(r.verdicts.differ > 0);
    assert_eq!(r.divergences.len(), 1, "{:#?}", r.divergences);
    let d = &r.divergences[0].cases[0];
    assert!(d.original_steps >= 12);
    assert_eq!(d.minimized_steps, 1, "{d:#?}");
    assert!(d.shrink_runs > 0);
    assert!(
        moves.load(Ordering::Relaxed) > 0,
        "the value tree was never used"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_bounds_a_shrink() {
    let (server, admin) = sandbox(Faults::NONE.with(Fault::NotAsNotAny)).await;
    let runner = Arc::new(Runner::new(admin));
    let (base, ops) = pool();
    let mut case = base;
    // Agreeing steps, the divergent one, more steps after it.
    case.steps = vec![
        ops[2].clone(),
        ops[2].clone(),
        ops[0].clone(),
        ops[2].clone(),
        ops[1].clone(),
    ];
    let run = runner.run_case(&case).await.unwrap();
    let step = run.first_divergence().unwrap();
    assert_eq!(step, 2);
    let none = ShrinkConfig {
        max_runs: 0,
        ..ShrinkConfig::default()
    };
    let cut = shrink(&runner, &case, None, &run, step, &none)
        .await
        .unwrap();
    assert_eq!(cut.runs, 0);
    assert_eq!(cut.case.steps.len(), 3, "cut after the divergent step");
    assert!(cut.budget_exhausted);
    let few = ShrinkConfig {
        max_runs: 2,
        ..ShrinkConfig::default()
    };
    let some = shrink(&runner, &case, None, &run, step, &few)
        .await
        .unwrap();
    assert_eq!(some.runs, 2);
    assert!(some.case.steps.len() <= 3);
    let full = shrink(&runner, &case, None, &run, step, &ShrinkConfig::default())
        .await
        .unwrap();
    assert_eq!(full.case.steps.len(), 1);
    assert!(!full.budget_exhausted);
    assert!(
        full.case.environments[0].entries.len() <= 1,
        "{:?}",
        full.case.environments[0].entries
    );
    // Nothing agrees that should not: a step that does not diverge has nothing to shrink.
    assert!(shrink(&runner, &case, None, &run, 0, &none).await.is_none());
    server.shutdown().await.unwrap();
}
