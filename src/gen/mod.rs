//! The campaign's generators: proptest strategies that produce whole [`Case`]s — a project
//! (schema, content, principals) and 20–60 steps against it — deterministic from a seed.
//!
//! # Shape
//!
//! A case is generated as plain, index-based data (small integers, flags, lists; the
//! `*Raw` types of the submodules) and turned into a [`Case`] by one pure build function
//! ([`case_strategy`] is that data's strategy mapped through it). Every cross reference — a
//! relation's target model, a link's target entry, a grant's model, a step's PAT, grant or
//! entry, a filter node's parent — is an index reduced modulo the length of the list it points
//! into *when the case is built*, so proptest's shrinking (dropping list elements, moving
//! numbers toward 0, options toward `None`) never produces an invalid case, and there is no
//! `prop_flat_map` (see `perf-notes.md`: an index-based strategy shrinks to the minimum in a
//! few hundred steps, a `prop_flat_map` one did not in 100 000). Choices shrink toward the
//! simplest reading: the first model and field, equality, no filter, a valid token, a query.
//!
//! | concern | module |
//! |---|---|
//! | size knobs and presets | [`config`] |
//! | schema: models, every field type, relations, stages, locales | `project` |
//! | content: entries, stages, localizations, links, timestamps | `content` |
//! | grants, the public principal, PATs, a second environment | `principals` |
//! | `where` filters and conditions | `filter` |
//! | queries, mutations, provisioning, invalid variants | `ops` |
//!
//! Values are biased toward informative cases: filter and condition operands are drawn from the
//! values the content holds, or near them (other letter case, prefix, suffix, ±1), so they match
//! some entries and miss others; ids name existing entries most of the time (loaded, or created
//! by an earlier step via `{{created:K}}`); stages and locales always exist, grants cover some
//! of them. A few requests are deliberately invalid (400 paths), and a few provisioning calls
//! are refused (PERM-4).
//!
//! Generated cases respect "How a harness compares": no id substring operator and no `orderBy:
//! id_*` in a case that creates entries, and no filter on `createdAt`, `updatedAt` or
//! `publishedAt` with a literal later than the latest loaded timestamp.
//!
//! # Determinism
//!
//! [`generate`]`(seed, index, config)` draws case `index` of a campaign seeded with `seed`
//! from a ChaCha RNG keyed by both ([`case_rng`]), so the same triple gives the same case on
//! every (64-bit) machine and every run. What a seed *means* is the strategies': changing a
//! generator changes the case a seed gives. That is why divergences are persisted as scenario
//! files, not as seeds.

/// The return type of a strategy function whose value trees are `Send` (what
/// [`Generated::tree`] needs): `strategy!(T)`.
macro_rules! strategy {
    ($t:ty) => {
        impl proptest::strategy::Strategy<
                Value = $t,
                Tree = impl proptest::strategy::ValueTree<Value = $t> + Send + 'static,
            > + Send
            + Sync
    };
}

// Choice helpers. proptest's unions (`prop_oneof!`, `prop::option::*`) keep a forked
// runner for every alternative not taken, which made generation ten times slower; these map
// one integer range instead, and shrink the same way (toward the first choice, `None`,
// `false`).

/// One of `choices`, each with its weight; shrinks toward the first.
pub(crate) fn pick<T, const N: usize>(choices: [(u32, T); N]) -> strategy!(T)
where
    T: Clone + std::fmt::Debug + Send + Sync + 'static,
{
    let fallback = choices[0].1.clone();
    let total = choices.iter().map(|c| c.0).sum::<u32>().max(1);
    (0..total).prop_map(move |x| {
        let mut acc = 0u32;
        for (w, v) in &choices {
            acc += w;
            if x < acc {
                return v.clone();
            }
        }
        fallback.clone()
    })
}

/// `0` with weight `zero`, else one of `1..hi` (weight 1 each); shrinks toward 0.
pub(crate) fn zero_or(zero: u8, hi: u8) -> strategy!(u8) {
    let span = hi.saturating_sub(1);
    (0..zero.saturating_add(span).max(1)).prop_map(move |x| {
        x.saturating_sub(zero)
            .saturating_add(u8::from(x >= zero))
            .min(hi.saturating_sub(1))
    })
}

/// `true` with `percent` % odds (0 and 100 included); shrinks toward `false`.
pub(crate) fn chance(percent: u8) -> strategy!(bool) {
    let p = percent.min(100);
    (0..100u8).prop_map(move |x| x >= 100 - p)
}

/// Up to `max` values of `s`, each present with `percent` % odds (so short lists are the
/// most common); shrinks by dropping values.
pub(crate) fn some_of<S>(percent: u8, max: usize, s: S) -> strategy!(Vec<S::Value>)
where
    S: Strategy + Send + Sync + 'static,
    S::Tree: Send + 'static,
    S::Value: Send + 'static,
{
    prop::collection::vec(maybe(percent, s), max..=max)
        .prop_map(|v| v.into_iter().flatten().collect())
}

/// `Some` of `s` with `percent` % odds (0 and 100 included); shrinks toward `None` first,
/// then within the value. The inner value is drawn only when it is `Some`.
pub(crate) fn maybe<S>(percent: u8, s: S) -> strategy!(Option<S::Value>)
where
    S: Strategy + Send + Sync + 'static,
    S::Tree: Send + 'static,
{
    Maybe {
        percent: percent.min(100),
        inner: s,
    }
}

/// See [`maybe`].
#[derive(Debug, Clone)]
struct Maybe<S> {
    percent: u8,
    inner: S,
}

/// The value tree of [`Maybe`]: `None` until drawn otherwise; a `Some` first simplifies to
/// `None`, and if that is rejected (`complicate`), within the inner value.
#[derive(Debug, Clone)]
struct MaybeTree<T> {
    inner: Option<T>,
    none: bool,
    tried_none: bool,
}

impl<S: Strategy> Strategy for Maybe<S> {
    type Tree = MaybeTree<S::Tree>;
    type Value = Option<S::Value>;

    fn new_tree(&self, runner: &mut TestRunner) -> proptest::strategy::NewTree<Self> {
        let roll = (0..100u8).new_tree(runner)?.current();
        let inner = if roll < self.percent {
            Some(self.inner.new_tree(runner)?)
        } else {
            None
        };
        Ok(MaybeTree {
            inner,
            none: false,
            tried_none: false,
        })
    }
}

impl<T: ValueTree> ValueTree for MaybeTree<T> {
    type Value = Option<T::Value>;

    fn current(&self) -> Self::Value {
        match &self.inner {
            Some(t) if !self.none => Some(t.current()),
            _ => None,
        }
    }

    fn simplify(&mut self) -> bool {
        match &mut self.inner {
            None => false,
            Some(_) if self.none => false,
            Some(_) if !self.tried_none => {
                self.tried_none = true;
                self.none = true;
                true
            }
            Some(t) => t.simplify(),
        }
    }

    fn complicate(&mut self) -> bool {
        match &mut self.inner {
            None => false,
            Some(_) if self.none => {
                self.none = false;
                true
            }
            Some(t) => t.complicate(),
        }
    }
}

/// `min..=max` values of `s` (uniformly many) that shrink down to one value, not just to
/// `min` as `prop::collection::vec` would: a campaign wants long cases, a minimized one short.
pub(crate) fn long_vec<S>(min: usize, max: usize, s: S) -> strategy!(Vec<S::Value>)
where
    S: Strategy + Send + Sync + 'static,
    S::Tree: Send + 'static,
{
    LongVec {
        min: min.max(1),
        max: max.max(min).max(1),
        element: s,
    }
}

/// See [`long_vec`].
#[derive(Debug, Clone)]
struct LongVec<S> {
    min: usize,
    max: usize,
    element: S,
}

/// Where [`LongVecTree`] is in its shrinking: deleting elements (one pass, from the front,
/// as proptest's own vectors do), then simplifying each kept element in turn.
#[derive(Debug, Clone, Copy)]
enum VecShrink {
    Delete(usize),
    Simplify(usize),
}

/// The value tree of [`LongVec`].
#[derive(Debug, Clone)]
struct LongVecTree<T> {
    elements: Vec<T>,
    included: Vec<bool>,
    shrink: VecShrink,
    prev: Option<VecShrink>,
}

impl<S: Strategy> Strategy for LongVec<S> {
    type Tree = LongVecTree<S::Tree>;
    type Value = Vec<S::Value>;

    fn new_tree(&self, runner: &mut TestRunner) -> proptest::strategy::NewTree<Self> {
        let n = (self.min..=self.max).new_tree(runner)?.current();
        let mut elements = Vec::with_capacity(n);
        for _ in 0..n {
            elements.push(self.element.new_tree(runner)?);
        }
        Ok(LongVecTree {
            included: vec![true; n],
            elements,
            shrink: VecShrink::Delete(0),
            prev: None,
        })
    }
}

impl<T: ValueTree> ValueTree for LongVecTree<T> {
    type Value = Vec<T::Value>;

    fn current(&self) -> Self::Value {
        self.elements
            .iter()
            .zip(&self.included)
            .filter(|(_, inc)| **inc)
            .map(|(e, _)| e.current())
            .collect()
    }

    fn simplify(&mut self) -> bool {
        if let VecShrink::Delete(i) = self.shrink {
            let kept = self.included.iter().filter(|x| **x).count();
            if i >= self.elements.len() || kept <= 1 {
                self.shrink = VecShrink::Simplify(0);
            } else {
                if let Some(x) = self.included.get_mut(i) {
                    *x = false;
                }
                self.prev = Some(self.shrink);
                self.shrink = VecShrink::Delete(i + 1);
                return true;
            }
        }
        while let VecShrink::Simplify(i) = self.shrink {
            let Some(e) = self.elements.get_mut(i) else {
                return false;
            };
            if !self.included.get(i).copied().unwrap_or(false) || !e.simplify() {
                self.shrink = VecShrink::Simplify(i + 1);
            } else {
                self.prev = Some(self.shrink);
                return true;
            }
        }
        false
    }

    fn complicate(&mut self) -> bool {
        match self.prev {
            None => false,
            Some(VecShrink::Delete(i)) => {
                if let Some(x) = self.included.get_mut(i) {
                    *x = true;
                }
                self.prev = None;
                true
            }
            Some(VecShrink::Simplify(i)) => {
                if self.elements.get_mut(i).is_some_and(|e| e.complicate()) {
                    true
                } else {
                    self.prev = None;
                    false
                }
            }
        }
    }
}

pub mod config;
pub(crate) mod content;
pub(crate) mod filter;
pub(crate) mod ops;
pub(crate) mod principals;
pub(crate) mod project;
pub(crate) mod values;
pub(crate) mod world;

use proptest::prelude::prop;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

pub use config::GenConfig;

use crate::case::Case;
use crate::model::spec::EnvSpec;
use world::World;

/// A generated case with its proptest value tree (for shrinking: `simplify`, `complicate`,
/// `current`).
pub struct Generated {
    /// The case (`tree.current()` when generated).
    pub case: Case,
    /// The value tree the case came from.
    pub tree: Box<dyn ValueTree<Value = Case> + Send>,
}

impl std::fmt::Debug for Generated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generated")
            .field("case", &self.case)
            .finish_non_exhaustive()
    }
}

/// Why a case could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("generating case {index} of seed {seed}: {reason}")]
pub struct GenError {
    /// The campaign seed.
    pub seed: u64,
    /// The case index.
    pub index: u64,
    /// proptest's reason (the strategies reject nothing, so this does not happen).
    pub reason: String,
}

/// A case's raw, index-based data.
#[derive(Debug, Clone)]
struct CaseRaw {
    schema: project::SchemaRaw,
    entries: Vec<content::EntryRaw>,
    principals: principals::PrincipalsRaw,
    steps: Vec<ops::StepRaw>,
}

/// The strategy of whole cases under `config`.
///
/// Its value trees are `Send`, so a shrinking loop may move between threads.
pub fn case_strategy(
    config: &GenConfig,
) -> impl Strategy<Value = Case, Tree = impl ValueTree<Value = Case> + Send + 'static> + Send + Sync
{
    let profile = config.profile.clone();
    (
        project::schema_raw(config),
        content::entries_raw(config),
        principals::principals_raw(config),
        ops::steps_raw(config),
    )
        .prop_map(move |(schema, entries, principals, steps)| {
            build(
                &CaseRaw {
                    schema,
                    entries,
                    principals,
                    steps,
                },
                &profile,
            )
        })
}

/// The RNG of case `index` of a campaign seeded with `seed`: ChaCha keyed by both.
pub fn case_rng(seed: u64, index: u64) -> TestRng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&index.to_le_bytes());
    key[16..].copy_from_slice(b"tollgate-case-v1");
    TestRng::from_seed(RngAlgorithm::ChaCha, &key)
}

/// Case `index` of a campaign seeded with `seed`, with its value tree. Deterministic: the same
/// `(seed, index, config)` gives the same case (see the module docs for what changes it).
pub fn generate(seed: u64, index: u64, config: &GenConfig) -> Result<Generated, GenError> {
    let runner_config = Config {
        // Nothing below depends on the environment's PROPTEST_* variables.
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(runner_config, case_rng(seed, index));
    let tree = case_strategy(config)
        .new_tree(&mut runner)
        .map_err(|reason| GenError {
            seed,
            index,
            reason: reason.to_string(),
        })?;
    Ok(Generated {
        case: tree.current(),
        tree: Box::new(tree),
    })
}

/// Builds a case from its raw data.
fn build(raw: &CaseRaw, profile: &str) -> Case {
    let mut world = World::default();
    let models = project::build(&raw.schema, &mut world);
    world.creates = ops::creates(&raw.steps);
    let entries = content::build(&raw.entries, &mut world);
    let (public, pats) = principals::build(&raw.principals, &mut world);
    let first = EnvSpec {
        name: ops::FIRST_ENV.to_string(),
        stages: world.stages.iter().skip(2).cloned().collect(),
        locales: world.locales.clone(),
        models,
        entries,
        public,
        pats,
    };
    let mut environments = Vec::new();
    let second = raw
        .principals
        .second
        .map(|s| principals::second_env(&first, s, &mut world));
    environments.push(first);
    environments.extend(second);
    let steps = ops::build(&raw.steps, &mut world);
    Case {
        profile: profile.to_string(),
        environments,
        steps,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn runner(i: u64) -> TestRunner {
        TestRunner::new_with_rng(Config::default(), case_rng(99, i))
    }

    #[test]
    fn maybe_shrinks_to_none_first_and_back_on_complicate() {
        let s = maybe(100, 10..20u8);
        let mut t = s.new_tree(&mut runner(0)).unwrap();
        let v = t.current();
        assert!(v.is_some());
        assert!(t.simplify());
        assert_eq!(t.current(), None);
        assert!(!t.simplify(), "None is as simple as it gets");
        // Rejected: back to the value, then shrinking within it.
        assert!(t.complicate());
        assert_eq!(t.current(), v);
        while t.simplify() {}
        assert_eq!(t.current(), Some(10));
        let never = maybe(0, 10..20u8);
        for i in 0..20 {
            assert_eq!(never.new_tree(&mut runner(i)).unwrap().current(), None);
        }
    }

    #[test]
    fn pick_chance_and_zero_or_stay_in_range_and_shrink_to_the_first() {
        for i in 0..50 {
            let mut r = runner(i);
            let mut p = pick([(1, 'a'), (3, 'b'), (0, 'c')])
                .new_tree(&mut r)
                .unwrap();
            assert_ne!(p.current(), 'c', "a zero weight is never drawn");
            while p.simplify() {}
            assert_eq!(p.current(), 'a');
            let z = zero_or(2, 5).new_tree(&mut r).unwrap().current();
            assert!(z < 5, "{z}");
            assert!(!chance(0).new_tree(&mut r).unwrap().current());
            assert!(chance(100).new_tree(&mut r).unwrap().current());
        }
    }

    #[test]
    fn long_vec_draws_at_least_min_and_shrinks_to_one() {
        for i in 0..20 {
            let mut t = long_vec(5, 8, 0..10u8).new_tree(&mut runner(i)).unwrap();
            let n = t.current().len();
            assert!((5..=8).contains(&n), "{n}");
            // Every simplification accepted: one element left, at its simplest.
            while t.simplify() {}
            assert_eq!(t.current(), vec![0]);
        }
        // A rejected deletion is undone.
        let mut t = long_vec(3, 3, 1..2u8).new_tree(&mut runner(0)).unwrap();
        assert!(t.simplify());
        assert_eq!(t.current().len(), 2);
        assert!(t.complicate());
        assert_eq!(t.current().len(), 3);
    }

    #[test]
    fn the_rng_of_a_case_depends_on_seed_and_index() {
        let draw = |seed, index| {
            let mut r = TestRunner::new_with_rng(Config::default(), case_rng(seed, index));
            (0..u64::MAX).new_tree(&mut r).unwrap().current()
        };
        assert_eq!(draw(1, 2), draw(1, 2));
        assert_ne!(draw(1, 2), draw(1, 3));
        assert_ne!(draw(1, 2), draw(2, 2));
    }
}
