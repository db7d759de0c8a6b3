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
//! | value pools and values near a given one | `values` |
//! | what the build knows (names, loaded ids and values, PATs, grants) | `world` |
//! | weighted choices, lazy options, step lists that shrink to one step | `choice` |
//!
//! A campaign draws 20–60 steps per case (`default`), but the step list shrinks down to a
//! single step; a case whose failure needs one request shrinks to one step and no entries in
//! a few hundred shrink steps (`tests/it/gen.rs`). Generating a `default` case (about 40 steps)
//! takes a few hundred microseconds in a release build: building the value tree and mapping it
//! to a [`Case`] cost about the same; reuse the project for all its steps.
//!
//! Values are biased toward informative cases: filter and condition operands are drawn from the
//! values the content holds, or near them (other letter case, prefix, suffix, ±1), so they match
//! some entries and miss others; ids name existing entries most of the time (loaded, or created
//! by an earlier step via `{{created:K}}`); stages and locales always exist, grants cover some
//! of them, and `[]` lists come up often; PATs often act as a reader, an editor, a publisher
//! or an admin, on everything or scoped to one model under a condition (so conditions decide,
//! not a broader grant); reads mostly aim at models the principal reads and mutations are
//! mostly sent by a PAT holding their action, so conditions, locales and stages decide rather
//! than READ-1 and WRITE-0; filters favour localized fields (WHERE-2) and, on strings, the
//! substring operators (WHERE-5). A few requests are deliberately invalid (400 paths), and a few
//! provisioning calls are refused (PERM-4).
//!
//! Mutations address the first environment only, so `{{created:K}}` names entries of the
//! first environment. The generator numbers the `create` fields of earlier steps; a create that
//! fails makes a later K name another entry than intended (the same one on both sides, each
//! substituting its own K-th entry), and a K past the last entry created names none.
//!
//! Generated cases respect "How a harness compares": no id substring operator and no `orderBy:
//! id_*` in a case that creates entries, and no filter on `createdAt`, `updatedAt` or
//! `publishedAt` with a literal later than the latest loaded timestamp.
//!
//! # Determinism
//!
//! [`generate`]`(seed, index, config)` draws case `index` of a campaign seeded with `seed`
//! from a ChaCha RNG keyed by both ([`case_rng`]), so the same triple gives the same case on
//! every (64-bit) machine and every run. What a seed *means* is the strategies' (and the
//! proptest version's, pinned by `Cargo.lock`): changing a generator changes the case a seed
//! gives. That is why divergences are persisted as scenario
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

pub(crate) mod choice;
pub mod config;
pub(crate) mod content;
pub(crate) mod filter;
pub(crate) mod ops;
pub(crate) mod principals;
pub(crate) mod project;
pub(crate) mod values;
pub(crate) mod world;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

pub use config::GenConfig;

pub(crate) use choice::{chance, long_vec, maybe, pick, some_of, zero_or};

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
/// `(seed, index, config)` gives the same case (see the module docs for what changes it). An
/// `Err` would be proptest refusing to build the tree, which these strategies never do (they
/// filter nothing).
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
