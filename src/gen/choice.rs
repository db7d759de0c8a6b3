//! Choice helpers the strategies are built from. proptest's unions (`prop_oneof!`,
//! `prop::option::*`) keep a forked runner for every alternative not taken, which made
//! generation ten times slower; these map one integer range instead, draw an optional value
//! only when it is present, and shrink the same way (toward the first choice, `None`, `false`,
//! fewer elements).

use proptest::prelude::prop;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::gen::case_rng;
    use proptest::test_runner::Config;

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
}
