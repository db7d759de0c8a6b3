//! The statistics behind latency baselines: the Mann–Whitney U test (Wilcoxon rank-sum test)
//! computed straight from two HDR histograms, without expanding them into samples.
//!
//! Why a rank test: request latencies are skewed and heavy-tailed, so a test on means
//! (Student's t) is dominated by the few slowest requests; the U test only asks whether a
//! request of one run tends to be slower than a request of the other, and needs no
//! distributional assumption.
//!
//! How it is computed from histograms: both histograms' recorded buckets are walked in value
//! order, each bucket standing for its count of equal values (a bucket is a value at the
//! histogram's resolution, 3 significant digits: values within 0.1 % of each other are ties).
//! Every value shared by `t` samples gets their midrank, the rank sum of the current run gives
//! its `U`, and the variance of `U` is corrected for ties. The p-value comes from the normal
//! approximation with a continuity correction — the formulas of
//! `scipy.stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=True)`:
//!
//! ```text
//! U      = R_current − n_c (n_c + 1) / 2          (R: the current run's rank sum, midranks)
//! μ      = n_c n_b / 2
//! σ²     = n_c n_b / 12 · ((N + 1) − Σ(t³ − t) / (N (N − 1)))      N = n_c + n_b
//! p_two  = min(1, 2 · sf((|U − μ| − 0.5) / σ))                       sf = 1 − Φ
//! p_slow = sf((U − μ − 0.5) / σ)
//! ```
//!
//! The approximation is good once each side has a few dozen samples (the baseline comparison
//! requires a minimum per side). When every sample is tied, σ = 0 and there is no evidence of
//! any shift: both p-values are 1.

use hdrhistogram::Histogram;

/// The outcome of a Mann–Whitney U test of a current sample against a baseline sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// Samples in the baseline.
    pub n_baseline: u64,
    /// Samples in the current run.
    pub n_current: u64,
    /// `U` of the current sample: the number of (current, baseline) pairs in which the current
    /// value is larger, ties counted one half.
    pub u_current: f64,
    /// The standardized statistic with the continuity correction, signed: positive when the
    /// current sample tends to be larger (slower). 0 when every sample is tied.
    pub z: f64,
    /// Two-sided p-value (the two samples come from the same distribution, against any shift).
    pub p_two_sided: f64,
    /// One-sided p-value against the alternative "the current sample is larger" (slower).
    pub p_greater: f64,
}

impl MannWhitney {
    /// The probability that a random current request is slower than a random baseline one
    /// (ties counted one half): `U / (n_c n_b)`, 0.5 when nothing changed (the common-language
    /// effect size).
    pub fn prob_greater(&self) -> f64 {
        let pairs = self.n_baseline as f64 * self.n_current as f64;
        if pairs > 0.0 {
            self.u_current / pairs
        } else {
            0.5
        }
    }
}

/// The Mann–Whitney U test of `current` against `baseline`, both given as `(value, count)`
/// pairs (any order; repeated values are merged). `None` when either side has no samples.
pub fn mann_whitney(baseline: &[(u64, u64)], current: &[(u64, u64)]) -> Option<MannWhitney> {
    // Per distinct value: (baseline count, current count), in value order.
    let mut merged: std::collections::BTreeMap<u64, (u64, u64)> = Default::default();
    for &(v, c) in baseline {
        merged.entry(v).or_default().0 += c;
    }
    for &(v, c) in current {
        merged.entry(v).or_default().1 += c;
    }
    let n_b: u64 = merged.values().map(|c| c.0).sum();
    let n_c: u64 = merged.values().map(|c| c.1).sum();
    if n_b == 0 || n_c == 0 {
        return None;
    }
    // Ranks are 1-based; a run of t ties occupying ranks r+1..r+t gets the midrank r+(t+1)/2.
    let mut below = 0f64;
    let mut rank_sum_current = 0f64;
    let mut tie_term = 0f64;
    for &(b, c) in merged.values() {
        let t = (b + c) as f64;
        let midrank = below + (t + 1.0) / 2.0;
        rank_sum_current += c as f64 * midrank;
        tie_term += t * t * t - t;
        below += t;
    }
    let (nb, nc) = (n_b as f64, n_c as f64);
    let n = nb + nc;
    let u_current = rank_sum_current - nc * (nc + 1.0) / 2.0;
    let mu = nc * nb / 2.0;
    let variance = nc * nb / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    let (z, p_two_sided, p_greater) = if variance > 0.0 {
        let sigma = variance.sqrt();
        let d = u_current - mu;
        let z = if d.abs() <= 0.5 {
            0.0
        } else {
            (d - 0.5 * d.signum()) / sigma
        };
        let p_two = (2.0 * normal_sf((d.abs() - 0.5) / sigma)).min(1.0);
        let p_greater = normal_sf((d - 0.5) / sigma);
        (z, p_two, p_greater)
    } else {
        (0.0, 1.0, 1.0)
    };
    Some(MannWhitney {
        n_baseline: n_b,
        n_current: n_c,
        u_current,
        z,
        p_two_sided,
        p_greater,
    })
}

/// A histogram's recorded values as `(value, count)` pairs, one per non-empty bucket; a bucket's
/// value is the highest value equivalent to it at the histogram's resolution.
pub fn histogram_counts(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    h.iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect()
}

/// The Mann–Whitney U test of two histograms (see [`mann_whitney`]).
pub fn mann_whitney_histograms(
    baseline: &Histogram<u64>,
    current: &Histogram<u64>,
) -> Option<MannWhitney> {
    mann_whitney(&histogram_counts(baseline), &histogram_counts(current))
}

/// The standard normal survival function `1 − Φ(z)`.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function, with a fractional error below 1.2e-7 everywhere
/// (the Chebyshev-fitted `erfcc` of Press et al., *Numerical Recipes in C*, 2nd ed., §6.2).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use proptest::prelude::*;

    fn ones(values: &[u64]) -> Vec<(u64, u64)> {
        values.iter().map(|&v| (v, 1)).collect()
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn erfc_matches_known_values() {
        // Reference values from Python's `math.erfc` (C99 libm, correctly rounded to ~1 ulp).
        for (x, want) in [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_1),
            (2.0, 0.004_677_734_981_047_266),
            (3.0, 2.209_049_699_858_544e-5),
            (-1.0, 1.842_700_792_949_715),
        ] {
            assert!(close(erfc(x), want, 2e-7), "erfc({x}) = {}", erfc(x));
        }
        // The survival function at the 95 % and 99.5 % one-sided quantiles.
        assert!(close(normal_sf(1.644_853_626_951_472), 0.05, 1e-6));
        assert!(close(normal_sf(2.575_829_303_548_901), 0.005, 1e-6));
    }

    #[test]
    fn scipy_documentation_example() {
        // scipy.stats.mannwhitneyu documentation (v1.7+), the example of ages of males and
        // females: `mannwhitneyu(males, females)` gives U1 = 17.0, and with
        // `method="asymptotic"` the two-sided p-value 0.11134688653314041.
        let males = ones(&[19, 22, 16, 29, 24]);
        let females = ones(&[20, 11, 17, 12]);
        let t = mann_whitney(&females, &males).unwrap();
        assert_eq!((t.n_baseline, t.n_current), (4, 5));
        assert_eq!(t.u_current, 17.0);
        assert!(
            close(t.p_two_sided, 0.111_346_886_533_140_41, 1e-6),
            "{t:?}"
        );
        // One-sided: half of it (the shift is in the direction tested).
        assert!(close(t.p_greater, 0.055_673_443_266_570_2, 1e-6), "{t:?}");
        assert!(close(t.prob_greater(), 17.0 / 20.0, 1e-12));
        // Swapping the samples: U = 20 − 17 = 3, the same two-sided p, the other tail.
        let s = mann_whitney(&males, &females).unwrap();
        assert_eq!(s.u_current, 3.0);
        assert!(close(s.p_two_sided, t.p_two_sided, 1e-12));
        // sf((3 − 10 − 0.5)/√(50/3)) = 0.9669037… (Python, `0.5 * math.erfc(z / math.sqrt(2))`).
        assert!(close(s.p_greater, 0.966_903_710_138_903_3, 1e-6), "{s:?}");
    }

    #[test]
    fn ties_worked_by_hand() {
        // baseline [1, 2, 2, 3], current [2, 3, 3, 4]. Pooled and ranked:
        //   1(b) → 1;  2(b) 2(b) 2(c) → ranks 2,3,4, midrank 3;  3(b) 3(c) 3(c) → 5,6,7,
        //   midrank 6;  4(c) → 8.
        // R_current = 3 + 6 + 6 + 8 = 23, U = 23 − 4·5/2 = 13 (pair count: 2 + 3.5 + 3.5 + 4).
        // μ = 8; ties t = 3, 3: Σ(t³ − t) = 48; σ² = 16/12 · (9 − 48/56) = 76/7.
        // z = (13 − 8 − 0.5)/√(76/7) = 1.3656982…; p_greater = sf(z) = 0.0860168… and
        // p_two = 0.1720337… (sf via Python's `0.5 * math.erfc(z / math.sqrt(2))`).
        let t = mann_whitney(&ones(&[1, 2, 2, 3]), &ones(&[2, 3, 3, 4])).unwrap();
        assert_eq!(t.u_current, 13.0);
        let sigma = (76.0f64 / 7.0).sqrt();
        assert!(close(t.z, 4.5 / sigma, 1e-12), "{t:?}");
        assert!(close(t.z, 1.365_698_202, 1e-6), "{t:?}");
        assert!(close(t.p_greater, 0.086_016_854_460_911_48, 1e-6), "{t:?}");
        assert!(close(t.p_two_sided, 2.0 * t.p_greater, 1e-12), "{t:?}");
        // The same data as counts gives the same test.
        let c = mann_whitney(&[(1, 1), (2, 2), (3, 1)], &[(4, 1), (3, 2), (2, 1)]).unwrap();
        assert_eq!(c, t);
    }

    #[test]
    fn degenerate_samples() {
        assert!(mann_whitney(&[], &ones(&[1])).is_none());
        assert!(mann_whitney(&[(5, 0)], &ones(&[1])).is_none());
        // Everything tied: no evidence of any shift.
        let t = mann_whitney(&[(7, 40)], &[(7, 60)]).unwrap();
        assert_eq!((t.p_two_sided, t.p_greater, t.z), (1.0, 1.0, 0.0));
        assert_eq!(t.prob_greater(), 0.5);
        // Complete separation with 30 a side: p far below any threshold.
        let b: Vec<u64> = (100..130).collect();
        let c: Vec<u64> = (200..230).collect();
        let t = mann_whitney(&ones(&b), &ones(&c)).unwrap();
        assert_eq!(t.u_current, 900.0);
        assert!(t.p_greater < 1e-9 && t.p_two_sided < 2e-9, "{t:?}");
    }

    fn histogram(values: &[(u64, u64)]) -> Histogram<u64> {
        let mut h = Histogram::new_with_bounds(1, 600_000_000, 3).unwrap();
        for &(v, c) in values {
            h.record_n(v, c).unwrap();
        }
        h
    }

    #[test]
    fn histograms_give_the_same_test_as_samples() {
        // Values under 2048 are exact at 3 significant digits.
        let b = [(10, 3), (20, 5), (1500, 2)];
        let c = [(20, 1), (30, 4), (1500, 6)];
        let direct = mann_whitney(&b, &c).unwrap();
        let via = mann_whitney_histograms(&histogram(&b), &histogram(&c)).unwrap();
        assert_eq!(direct, via);
    }

    proptest! {
        #[test]
        fn identical_samples_have_p_one(
            values in proptest::collection::vec((1u64..5_000_000, 1u64..50), 1..40)
        ) {
            let h = histogram(&values);
            let t = mann_whitney_histograms(&h, &h).unwrap();
            prop_assert_eq!(t.p_two_sided, 1.0);
            prop_assert!(t.p_greater >= 0.5, "{:?}", t);
            prop_assert!((t.prob_greater() - 0.5).abs() < 1e-9);
        }

        #[test]
        fn p_values_are_probabilities_and_symmetric(
            a in proptest::collection::vec((1u64..10_000, 1u64..20), 1..30),
            b in proptest::collection::vec((1u64..10_000, 1u64..20), 1..30),
        ) {
            let x = mann_whitney(&a, &b).unwrap();
            let y = mann_whitney(&b, &a).unwrap();
            for p in [x.p_two_sided, x.p_greater, y.p_greater] {
                prop_assert!((0.0..=1.0).contains(&p), "{:?}", x);
            }
            prop_assert!((x.p_two_sided - y.p_two_sided).abs() < 1e-12);
            let pairs = x.n_baseline as f64 * x.n_current as f64;
            prop_assert!((x.u_current + y.u_current - pairs).abs() < 1e-6 * pairs.max(1.0));
            // The one-sided p of the direction observed is half the two-sided one.
            if x.u_current > pairs / 2.0 + 0.5 {
                prop_assert!((2.0 * x.p_greater - x.p_two_sided).abs() < 1e-9);
            }
        }
    }
}
