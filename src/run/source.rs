//! The campaign's case source backed by the generators: case `index` of a seed is
//! [`gen::generate`]`(seed, index, config)`, and its proptest value tree is rebuilt on demand
//! for shrinking (value trees are rebuilt rather than kept, so a long campaign holds none).

use proptest::strategy::ValueTree;

use crate::case::Case;
use crate::gen::{self, GenConfig};
use crate::run::campaign::CaseSource;
use crate::run::shrink::{CaseTree, TreeMaker};

/// Cases `0, 1, …` of a seed, from the generators.
#[derive(Debug, Clone)]
pub struct GenSource {
    seed: u64,
    config: GenConfig,
}

impl GenSource {
    /// The cases of `seed` under `config`.
    pub fn new(seed: u64, config: GenConfig) -> GenSource {
        GenSource { seed, config }
    }
}

impl CaseSource for GenSource {
    fn case(&self, index: u64) -> Option<Case> {
        // The strategies reject nothing, so generation does not fail; if it ever did, the
        // campaign ends there (no case is invented in its place).
        gen::generate(self.seed, index, &self.config)
            .ok()
            .map(|g| g.case)
    }

    fn tree(&self, index: u64) -> Option<TreeMaker> {
        let (seed, config) = (self.seed, self.config.clone());
        Some(Box::new(move || {
            let g = gen::generate(seed, index, &config).ok()?;
            Some(Box::new(GenTree(g.tree)) as Box<dyn CaseTree>)
        }))
    }
}

/// A generated case's value tree as the shrinker's [`CaseTree`].
struct GenTree(Box<dyn ValueTree<Value = Case> + Send>);

impl CaseTree for GenTree {
    fn current(&self) -> Case {
        self.0.current()
    }

    fn simplify(&mut self) -> bool {
        self.0.simplify()
    }

    fn complicate(&mut self) -> bool {
        self.0.complicate()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn cases_and_trees_agree_and_repeat() {
        let s = GenSource::new(7, GenConfig::small());
        let a = s.case(3).unwrap();
        assert_eq!(s.case(3).unwrap(), a);
        let tree = (s.tree(3).unwrap())().unwrap();
        assert_eq!(tree.current(), a);
    }
}
