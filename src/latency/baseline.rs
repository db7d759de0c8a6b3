//! Latency baselines: `--save-baseline FILE` writes a run's histograms ([`Baseline`]),
//! `--baseline FILE` compares a run with them ([`compare`]) and flags regressions per class.
//!
//! # The file
//!
//! JSON: the format tag, the run's [`Conditions`] (tollgate version, target, faults, profile,
//! `--jobs`, date), and per [`Key`] the histogram in HdrHistogram's V2 binary encoding
//! (`hdrhistogram::serialization::V2Serializer`, readable by every HdrHistogram implementation),
//! base64-encoded, next to its count and p50/p99 for a person reading the file.
//!
//! # When a class is a regression
//!
//! Identical runs on this kind of machine differ by 6–29 % in throughput and 10–86 % in p99, and
//! a median round trip moves by ≈ 80 µs with CPU placement alone
//! (`/work/shared/research/perf-notes.md`). Large samples make any such shift statistically
//! significant, so significance alone would flag noise; a threshold alone would flag a few
//! unlucky samples. A class is flagged only when **all** of these hold ([`Thresholds`]):
//!
//! 1. both sides have at least [`Thresholds::min_samples`] requests (30: the normal
//!    approximation of the test is sound from a few dozen per side);
//! 2. the median grew by more than [`Thresholds::relative`] (50 %: well above the 29 % by which
//!    identical runs' throughput — the inverse of the mean latency in a closed loop — differed)
//!    **and** by more than [`Thresholds::absolute_us`] (100 µs: above the ≈ 80 µs a vCPU wake-up
//!    adds to a loopback round trip, so a fast class's median does not trip on placement);
//! 3. the Mann–Whitney U test ([`super::stats`]) on the two histograms gives a two-sided p-value
//!    below [`Thresholds::alpha`] (0.01), with its rank-sum direction "slower".
//!
//! The median, not p99, carries the threshold: p99 moved by up to 86 % between identical runs.
//! The test is two-sided (the direction comes from the medians and the rank sum) so the same
//! p-value also qualifies an improvement, reported but never flagged; it is also the more
//! conservative choice. Caveat, stated in the method: consecutive requests of one run are not
//! independent (shared queues, caches, CPU state), so the p-value is optimistic — which is why
//! the effect threshold, not the p-value, is the main guard. Comparisons across different
//! conditions (another `--jobs`, target or fault set) are made but carry a warning.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::stats::mann_whitney_histograms;
use super::{Key, Recorder};
use crate::run::report::{Assessment, BaselineComparison, CampaignReport, ClassComparison};

/// The format tag written in every baseline file.
pub const FORMAT: &str = "tollgate-latency-baseline/1";

/// Errors reading or writing a baseline.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file could not be read or written.
    #[error("baseline file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not JSON of the expected shape.
    #[error("baseline is not valid JSON of the expected shape: {0}")]
    Json(#[from] serde_json::Error),
    /// Another format or version.
    #[error("baseline has format {found:?}, expected {FORMAT:?}")]
    Format {
        /// The format tag found.
        found: String,
    },
    /// A histogram that does not decode.
    #[error("baseline histogram of {key}: {message}")]
    Histogram {
        /// The class, as `read_list allowed`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A class given twice.
    #[error("baseline lists {key} twice")]
    Duplicate {
        /// The class.
        key: String,
    },
}

/// The conditions a run's latencies were measured under.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conditions {
    /// The tollgate version.
    pub tollgate_version: String,
    /// The target (`sandbox` or a URL).
    pub target: String,
    /// Faults switched on in an embedded sandbox.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
    /// The reference profile.
    #[serde(default)]
    pub profile: String,
    /// Cases run in parallel (`--jobs`).
    pub jobs: usize,
    /// When the run started (RFC 3339).
    pub recorded_at: String,
}

impl Conditions {
    /// The conditions of a campaign's run.
    pub fn of(report: &CampaignReport) -> Conditions {
        Conditions {
            tollgate_version: report.version.clone(),
            target: report.target.clone(),
            faults: report.faults.clone(),
            profile: report.profile.clone(),
            jobs: report.jobs,
            recorded_at: report.started_at.clone(),
        }
    }
}

/// When a class counts as a regression (see the module docs for the defaults' grounds).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// The median must grow by more than this fraction of the baseline median (0.5 = 50 %).
    pub relative: f64,
    /// … and by more than this many microseconds.
    pub absolute_us: u64,
    /// The two-sided p-value must be below this.
    pub alpha: f64,
    /// Requests needed on each side before a class can be flagged.
    pub min_samples: u64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            relative: 0.5,
            absolute_us: 100,
            alpha: 0.01,
            min_samples: 30,
        }
    }
}

impl Thresholds {
    /// The method and thresholds in words (the report's `method`).
    pub fn describe(&self) -> String {
        format!(
            "Mann–Whitney U test (two-sided; normal approximation with tie and continuity \
             corrections; ties at the histograms' 3-significant-digit resolution) per class; \
             a regression needs ≥ {} requests on each side, the median slower by more than \
             {:.0}% and more than {} µs, and p < {}. Requests within a run are not independent, \
             so p is optimistic: the median threshold is the main guard.",
            self.min_samples,
            self.relative * 100.0,
            self.absolute_us,
            self.alpha
        )
    }
}

/// A saved run: its conditions and its histograms by key.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The conditions it was recorded under.
    pub conditions: Conditions,
    /// The histograms.
    pub histograms: BTreeMap<Key, Histogram<u64>>,
}

#[derive(Serialize, Deserialize)]
struct File {
    format: String,
    conditions: Conditions,
    histograms: Vec<FileHistogram>,
}

#[derive(Serialize, Deserialize)]
struct FileHistogram {
    #[serde(flatten)]
    key: Key,
    count: u64,
    p50_us: u64,
    p99_us: u64,
    /// V2 encoding, base64 (standard alphabet, padded).
    v2: String,
}

/// `read_list allowed`, `create denied`.
pub fn key_label(key: &Key) -> String {
    format!(
        "{} {}",
        key.class.name(),
        if key.allowed { "allowed" } else { "denied" }
    )
}

impl Baseline {
    /// A baseline of a recorder's histograms.
    pub fn new(recorder: &Recorder, conditions: Conditions) -> Baseline {
        Baseline {
            conditions,
            histograms: recorder.histograms().clone(),
        }
    }

    /// The file's text.
    pub fn to_json(&self) -> Result<String, BaselineError> {
        let mut histograms = Vec::new();
        for (key, h) in &self.histograms {
            let mut bytes = Vec::new();
            V2Serializer::new()
                .serialize(h, &mut bytes)
                .map_err(|e| BaselineError::Histogram {
                    key: key_label(key),
                    message: format!("cannot encode: {e}"),
                })?;
            histograms.push(FileHistogram {
                key: *key,
                count: h.len(),
                p50_us: h.value_at_quantile(0.5),
                p99_us: h.value_at_quantile(0.99),
                v2: base64::engine::general_purpose::STANDARD.encode(&bytes),
            });
        }
        let file = File {
            format: FORMAT.to_string(),
            conditions: self.conditions.clone(),
            histograms,
        };
        Ok(serde_json::to_string_pretty(&file)?)
    }

    /// Reads a baseline from the file's text.
    pub fn from_json(text: &str) -> Result<Baseline, BaselineError> {
        let file: File = serde_json::from_str(text)?;
        if file.format != FORMAT {
            return Err(BaselineError::Format { found: file.format });
        }
        let mut histograms = BTreeMap::new();
        for fh in file.histograms {
            let key = key_label(&fh.key);
            let bad = |message: String| BaselineError::Histogram {
                key: key.clone(),
                message,
            };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(fh.v2.as_bytes())
                .map_err(|e| bad(format!("not base64: {e}")))?;
            let h: Histogram<u64> = Deserializer::new()
                .deserialize(&mut Cursor::new(bytes))
                .map_err(|e| bad(format!("not a V2 histogram: {e}")))?;
            if h.len() != fh.count {
                return Err(bad(format!(
                    "holds {} values but the file says {}",
                    h.len(),
                    fh.count
                )));
            }
            if histograms.insert(fh.key, h).is_some() {
                return Err(BaselineError::Duplicate { key });
            }
        }
        Ok(Baseline {
            conditions: file.conditions,
            histograms,
        })
    }

    /// Writes the file.
    pub fn save(&self, path: &Path) -> Result<(), BaselineError> {
        let text = self.to_json()?;
        std::fs::write(path, text + "\n").map_err(|source| BaselineError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Reads the file.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Baseline::from_json(&text)
    }
}

/// Compares this run's histograms (`current`, recorded under `conditions`) with a baseline read
/// from `file`: one [`ClassComparison`] per key present in both, with a reason in words whether
/// flagged or not.
pub fn compare(
    baseline: &Baseline,
    file: &str,
    current: &Recorder,
    conditions: &Conditions,
    thresholds: &Thresholds,
) -> BaselineComparison {
    compare_histograms(baseline, file, current.histograms(), conditions, thresholds)
}

/// [`compare`] on histograms by key.
pub fn compare_histograms(
    baseline: &Baseline,
    file: &str,
    current: &BTreeMap<Key, Histogram<u64>>,
    conditions: &Conditions,
    thresholds: &Thresholds,
) -> BaselineComparison {
    let mut classes = Vec::new();
    let mut only_in_baseline = Vec::new();
    // Per class, allowed before denied.
    let mut keys: Vec<&Key> = baseline.histograms.keys().collect();
    keys.sort_by_key(|k| (k.class, !k.allowed));
    for key in keys {
        let Some(b) = baseline.histograms.get(key) else {
            continue;
        };
        match current.get(key) {
            Some(c) => classes.push(compare_class(key, b, c, thresholds)),
            None => only_in_baseline.push(*key),
        }
    }
    let only_in_current = current
        .keys()
        .filter(|k| !baseline.histograms.contains_key(k))
        .copied()
        .collect();
    BaselineComparison {
        file: file.to_string(),
        method: thresholds.describe(),
        thresholds: *thresholds,
        conditions: Some(baseline.conditions.clone()),
        warnings: condition_warnings(&baseline.conditions, conditions),
        classes,
        only_in_baseline,
        only_in_current,
    }
}

fn condition_warnings(base: &Conditions, now: &Conditions) -> Vec<String> {
    let mut w = Vec::new();
    if base.jobs != now.jobs {
        w.push(format!(
            "the baseline ran with --jobs {}, this run with --jobs {}: latency depends on \
             concurrency",
            base.jobs, now.jobs
        ));
    }
    if base.target != now.target {
        w.push(format!(
            "the baseline measured target {}, this run {}",
            base.target, now.target
        ));
    }
    if base.faults != now.faults {
        let list = |f: &[String]| {
            if f.is_empty() {
                "none".to_string()
            } else {
                f.join(", ")
            }
        };
        w.push(format!(
            "the baseline ran with faults {}, this run with {}",
            list(&base.faults),
            list(&now.faults)
        ));
    }
    if base.profile != now.profile {
        w.push(format!(
            "the baseline used profile {}, this run {}",
            base.profile, now.profile
        ));
    }
    if base.tollgate_version != now.tollgate_version {
        w.push(format!(
            "the baseline was recorded by tollgate {}, this run is {}",
            base.tollgate_version, now.tollgate_version
        ));
    }
    w
}

fn compare_class(
    key: &Key,
    base: &Histogram<u64>,
    cur: &Histogram<u64>,
    th: &Thresholds,
) -> ClassComparison {
    let (bp50, cp50) = (base.value_at_quantile(0.5), cur.value_at_quantile(0.5));
    let shift = cp50 as f64 - bp50 as f64;
    let change = if bp50 > 0 { shift / bp50 as f64 } else { 0.0 };
    let test = mann_whitney_histograms(base, cur);
    let (p, prob_slower) = test.map_or((1.0, 0.5), |t| (t.p_two_sided, t.prob_greater()));
    let median = format!(
        "median {} → {} ({})",
        fmt_us(bp50),
        fmt_us(cp50),
        fmt_change(change)
    );
    let needed = (th.relative * bp50 as f64).max(th.absolute_us as f64);
    let over = shift > needed;
    let significant = p < th.alpha;
    let slower_ranks = prob_slower > 0.5;
    let few = base.len() < th.min_samples || cur.len() < th.min_samples;
    let p_text = format!("p = {}", fmt_p(p));
    let (assessment, reason) = if few {
        (
            Assessment::TooFew,
            format!(
                "too few requests to judge: {} in the baseline, {} now, {} a side needed; {median}",
                base.len(),
                cur.len(),
                th.min_samples
            ),
        )
    } else if over && significant && slower_ranks {
        (
            Assessment::Regression,
            format!(
                "regression: {median}, over the threshold (+{:.0}% and +{} µs), and \
                 significant ({p_text} < {})",
                th.relative * 100.0,
                th.absolute_us,
                th.alpha
            ),
        )
    } else if over && !significant {
        (
            Assessment::NotSignificant,
            format!(
                "not significant: {median} is over the threshold, but {p_text} ≥ {}",
                th.alpha
            ),
        )
    } else if over {
        (
            Assessment::NotSlowerByRank,
            format!(
                "not flagged: {median} is over the threshold, but requests of this run are \
                 not slower by rank ({p_text}, P(slower) = {prob_slower:.2})"
            ),
        )
    } else if shift < 0.0 && significant {
        (
            Assessment::Faster,
            format!("faster: {median}, significant ({p_text})"),
        )
    } else if significant && shift > 0.0 {
        (
            Assessment::WithinNoise,
            format!(
                "within noise: {median} is significant ({p_text}) but under the threshold \
                 (+{:.0}% and +{} µs: more than {} here)",
                th.relative * 100.0,
                th.absolute_us,
                fmt_us(needed.ceil() as u64)
            ),
        )
    } else {
        (
            Assessment::NoChange,
            format!("no significant change: {median}, {p_text}"),
        )
    };
    ClassComparison {
        class: key.class.name().to_string(),
        allowed: key.allowed,
        baseline_count: base.len(),
        current_count: cur.len(),
        baseline_p50_us: bp50,
        current_p50_us: cp50,
        change,
        p_value: p,
        prob_slower,
        regression: assessment == Assessment::Regression,
        assessment,
        reason,
    }
}

/// A latency in µs for people: `412 µs`, `1.23 ms`, `2.50 s`.
pub fn fmt_us(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 10_000 {
        format!("{:.2} ms", us as f64 / 1e3)
    } else if us < 100_000 {
        format!("{:.1} ms", us as f64 / 1e3)
    } else if us < 1_000_000 {
        format!("{:.0} ms", us as f64 / 1e3)
    } else {
        format!("{:.2} s", us as f64 / 1e6)
    }
}

/// A relative change for people: `+76%`, `−12%`, `±0%`.
pub fn fmt_change(change: f64) -> String {
    let pct = (change * 100.0).round();
    if pct > 0.0 {
        format!("+{pct:.0}%")
    } else if pct < 0.0 {
        format!("−{:.0}%", -pct)
    } else {
        "±0%".to_string()
    }
}

/// A p-value for people: `0.43`, `0.012`, `3.2e-9`, `< 1e-300`.
pub fn fmt_p(p: f64) -> String {
    if p >= 0.1 {
        format!("{p:.2}")
    } else if p >= 0.001 {
        format!("{p:.3}")
    } else if p > 1e-300 {
        format!("{p:.1e}")
    } else {
        "< 1e-300".to_string()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::latency::OpClass;
    use proptest::prelude::*;

    const READ: Key = Key {
        class: OpClass::ReadList,
        allowed: true,
    };

    fn conditions(jobs: usize) -> Conditions {
        Conditions {
            tollgate_version: "0.1.0".into(),
            target: "sandbox".into(),
            faults: vec![],
            profile: "hygraph".into(),
            jobs,
            recorded_at: "2025-01-01T00:00:00Z".into(),
        }
    }

    fn recorder(key: Key, values: impl IntoIterator<Item = u64>) -> Recorder {
        let mut r = Recorder::new();
        for v in values {
            r.record(key, v);
        }
        r
    }

    fn baseline_of(r: &Recorder) -> Baseline {
        Baseline::new(r, conditions(2))
    }

    fn one(r: &Recorder, current: &Recorder) -> ClassComparison {
        let c = compare(
            &baseline_of(r),
            "b.json",
            current,
            &conditions(2),
            &Thresholds::default(),
        );
        assert_eq!(c.classes.len(), 1, "{c:?}");
        c.classes[0].clone()
    }

    /// A deterministic spread of `n` latencies around `median` (±40 %), like a real class.
    fn spread(median: u64, n: u64) -> impl Iterator<Item = u64> {
        (0..n).map(move |i| median * (60 + (i * 37 % 81)) / 100)
    }

    #[test]
    fn the_file_round_trips() {
        let mut r = recorder(READ, spread(400, 200));
        r.record(
            Key {
                class: OpClass::Create,
                allowed: false,
            },
            1_234_567,
        );
        let b = baseline_of(&r);
        let text = b.to_json().unwrap();
        assert!(text.contains(FORMAT) && text.contains("\"v2\""), "{text}");
        let back = Baseline::from_json(&text).unwrap();
        assert_eq!(back.conditions, b.conditions);
        assert_eq!(back.histograms, b.histograms);
        // Through the file system too.
        let dir = std::env::temp_dir().join(format!("tollgate-baseline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("b.json");
        b.save(&path).unwrap();
        assert_eq!(Baseline::load(&path).unwrap().histograms, b.histograms);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn broken_files_are_errors_with_context() {
        let text = baseline_of(&recorder(READ, [5, 6])).to_json().unwrap();
        let other = text.replace(FORMAT, "something-else/9");
        assert!(matches!(
            Baseline::from_json(&other),
            Err(BaselineError::Format { .. })
        ));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut bad = v.clone();
        bad["histograms"][0]["v2"] = "!!!".into();
        let e = Baseline::from_json(&bad.to_string()).unwrap_err();
        assert!(
            e.to_string().contains("read_list allowed") && e.to_string().contains("base64"),
            "{e}"
        );
        let mut miscount = v.clone();
        miscount["histograms"][0]["count"] = 3.into();
        let e = Baseline::from_json(&miscount.to_string()).unwrap_err();
        assert!(e.to_string().contains("holds 2 values"), "{e}");
        let mut twice = v;
        let h = twice["histograms"][0].clone();
        twice["histograms"].as_array_mut().unwrap().push(h);
        assert!(matches!(
            Baseline::from_json(&twice.to_string()),
            Err(BaselineError::Duplicate { .. })
        ));
        assert!(matches!(
            Baseline::load(Path::new("/nonexistent/b.json")),
            Err(BaselineError::Io { .. })
        ));
    }

    #[test]
    fn a_clear_regression_is_flagged() {
        let c = one(
            &recorder(READ, spread(400, 300)),
            &recorder(READ, spread(1_200, 300)),
        );
        assert!(c.regression, "{c:?}");
        assert!(c.p_value < 1e-9 && c.change > 1.5, "{c:?}");
        assert!(c.reason.starts_with("regression"), "{}", c.reason);
        assert_eq!((c.baseline_count, c.current_count), (300, 300));
    }

    #[test]
    fn a_significant_shift_under_the_threshold_is_not_flagged() {
        // +20 %: highly significant with 2000 a side, but within the measured run-to-run noise.
        let c = one(
            &recorder(READ, spread(1_000, 2_000)),
            &recorder(READ, spread(1_200, 2_000)),
        );
        assert!(c.p_value < 1e-6, "{c:?}");
        assert!(!c.regression, "{c:?}");
        assert!(c.assessment == Assessment::WithinNoise, "{}", c.reason);
        // +60 % of a 50 µs median is 30 µs: under the absolute floor.
        let c = one(
            &recorder(READ, spread(50, 2_000)),
            &recorder(READ, spread(80, 2_000)),
        );
        assert!(c.p_value < 1e-6 && c.change > 0.5, "{c:?}");
        assert!(!c.regression, "{c:?}");
    }

    #[test]
    fn too_few_or_insignificant_or_faster_is_not_flagged() {
        let c = one(
            &recorder(READ, spread(400, 20)),
            &recorder(READ, spread(4_000, 20)),
        );
        assert!(
            !c.regression && c.assessment == Assessment::TooFew && c.reason.starts_with("too few"),
            "{c:?}"
        );
        // Over the threshold by median but the samples overlap: two modes, the median flips.
        let base = (0..40).map(|i| if i < 21 { 100 } else { 1_000 });
        let cur = (0..40).map(|i| if i < 19 { 100 } else { 1_000 });
        let c = one(&recorder(READ, base), &recorder(READ, cur));
        assert!(c.change > 0.5, "{c:?}");
        assert!(
            !c.regression && c.reason.starts_with("not significant"),
            "{c:?}"
        );
        let c = one(
            &recorder(READ, spread(1_200, 300)),
            &recorder(READ, spread(400, 300)),
        );
        assert!(!c.regression && c.reason.starts_with("faster"), "{c:?}");
    }

    #[test]
    fn classes_only_on_one_side_and_condition_changes_are_reported() {
        let create = Key {
            class: OpClass::Create,
            allowed: true,
        };
        let base = recorder(READ, spread(400, 50));
        let mut cur = recorder(create, spread(400, 50));
        cur.record(READ, 400);
        let mut now = conditions(8);
        now.faults = vec!["stage-header-ignored".into()];
        let c = compare(
            &baseline_of(&base),
            "b.json",
            &cur,
            &now,
            &Thresholds::default(),
        );
        assert_eq!(c.classes.len(), 1);
        assert!(c.only_in_baseline.is_empty());
        assert_eq!(c.only_in_current, vec![create]);
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("--jobs 2") && c.warnings[0].contains("--jobs 8"));
        assert!(c.method.contains("Mann–Whitney") && c.method.contains("p < 0.01"));
    }

    #[test]
    fn formatting() {
        assert_eq!(fmt_us(412), "412 µs");
        assert_eq!(fmt_us(1_234), "1.23 ms");
        assert_eq!(fmt_us(12_345), "12.3 ms");
        assert_eq!(fmt_us(123_456), "123 ms");
        assert_eq!(fmt_us(2_500_000), "2.50 s");
        assert_eq!(fmt_change(0.756), "+76%");
        assert_eq!(fmt_change(-0.12), "−12%");
        assert_eq!(fmt_change(0.001), "±0%");
        assert_eq!(fmt_p(0.4321), "0.43");
        assert_eq!(fmt_p(0.0123), "0.012");
        assert_eq!(fmt_p(3.2e-9), "3.2e-9");
        assert_eq!(fmt_p(0.0), "< 1e-300");
    }

    proptest! {
        #[test]
        fn identical_histograms_are_never_flagged(
            values in proptest::collection::vec((1u64..2_000_000, 1u64..200), 1..30)
        ) {
            let mut r = Recorder::new();
            for (v, n) in &values {
                for _ in 0..*n {
                    r.record(READ, *v);
                }
            }
            let c = one(&r, &r);
            prop_assert_eq!(c.p_value, 1.0);
            prop_assert!(!c.regression);
            prop_assert_eq!(c.change, 0.0);
        }

        #[test]
        fn a_large_shift_is_flagged(median in 200u64..50_000, n in 40u64..400, factor in 3u64..10) {
            let c = one(
                &recorder(READ, spread(median, n)),
                &recorder(READ, spread(median * factor, n)),
            );
            prop_assert!(c.regression, "{:?}", c);
        }

        #[test]
        fn a_significant_small_shift_is_never_flagged(median in 500u64..50_000, pct in 5u64..40) {
            let c = one(
                &recorder(READ, spread(median, 3_000)),
                &recorder(READ, spread(median * (100 + pct) / 100, 3_000)),
            );
            prop_assert!(c.p_value < 0.01, "{:?}", c);
            prop_assert!(!c.regression, "{:?}", c);
        }
    }
}
