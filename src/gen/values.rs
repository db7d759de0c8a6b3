//! Scalar values: the pools content and operands are drawn from (small, so that values repeat
//! and filters match), and the "near" variants of a value (other letter case, prefix, suffix,
//! ±1) that put an operand on the edge of what it matches (DATA-1, WHERE-5, ORDER-1).

use serde_json::{json, Value as Json};

use crate::model::condition::Op;
use crate::model::value::{format_datetime, parse_datetime, ScalarType};

/// Strings: repeats and near-misses (letter case, prefixes), `_` and `%` (literal in operands,
/// WHERE-5), non-ASCII, the empty string and surrounding spaces.
const STRINGS: [&str; 14] = [
    "a",
    "b",
    "ab",
    "Ab",
    "abc",
    "hello",
    "Hello",
    "hello world",
    "x_y",
    "50%",
    "über",
    "日本語",
    "",
    " a ",
];

/// Ints, 32-bit bounds included.
const INTS: [i64; 11] = [
    0,
    1,
    2,
    3,
    -1,
    10,
    42,
    100,
    -7,
    2_147_483_647,
    -2_147_483_648,
];

/// Floats: fractions, an integral value written as an integer, `-0` (stored as `0`), large.
const FLOATS: [f64; 10] = [0.5, 1.0, 1.5, -2.25, 3.0, 0.0, 100.0, 0.001, -0.0, 1e10];

/// DateTimes in several accepted spellings (offsets, lower-case separators, fractions).
const DATES: [&str; 7] = [
    "2024-01-01T00:00:00Z",
    "2024-01-01T02:00:00+02:00",
    "2024-01-01T12:30:00.5Z",
    "2023-12-31T23:59:59.999999Z",
    "2024-02-29t00:00:00z",
    "2024-01-02T00:00:00Z",
    "2024-06-15T08:00:00-04:00",
];

/// The base of loaded timestamps: 2024-01-01T00:00:00Z in microseconds.
pub(crate) const BASE_TIME_US: i64 = 1_704_067_200_000_000;

/// One hour in microseconds.
pub(crate) const HOUR_US: i64 = 3_600_000_000;

/// The `pick`-th value of the pool of `ty` (for `ID`, callers supply their own ids).
pub(crate) fn pool(ty: &ScalarType, pick: u16) -> Json {
    let i = usize::from(pick);
    match ty {
        ScalarType::String | ScalarType::Id => json!(STRINGS[i % STRINGS.len()]),
        ScalarType::Int => json!(INTS[i % INTS.len()]),
        ScalarType::Float => {
            let f = FLOATS[i % FLOATS.len()];
            // An integral value is sometimes written as an integer (DATA-1: `1` is a Float).
            if f == 3.0 {
                json!(3)
            } else {
                json!(f)
            }
        }
        ScalarType::Boolean => json!(i % 2 == 1),
        ScalarType::DateTime => json!(DATES[i % DATES.len()]),
        ScalarType::Enum(values) => values
            .get(i % values.len().max(1))
            .map_or(Json::Null, |v| json!(v)),
    }
}

/// Whether `op` matches on substrings (WHERE-5).
pub(crate) fn is_substring(op: Op) -> bool {
    matches!(
        op,
        Op::Contains
            | Op::NotContains
            | Op::StartsWith
            | Op::NotStartsWith
            | Op::EndsWith
            | Op::NotEndsWith
    )
}

/// A value near `v` (or `v` itself, for `tweak` 0 and most others): for strings under a
/// substring operator a prefix, suffix or middle part, else another letter case or one more
/// character; numbers ±1 (Floats ±0.5); DateTimes ±1 s or +1 µs, never past `clamp` when
/// given; the next Enum value; the other Boolean.
pub(crate) fn near(ty: &ScalarType, v: &Json, tweak: u8, op: Op, clamp: Option<i64>) -> Json {
    match (ty, v) {
        (ScalarType::String | ScalarType::Id, Json::String(s)) => json!(near_string(s, tweak, op)),
        (ScalarType::Int, Json::Number(n)) => match (n.as_i64(), tweak) {
            (Some(i), 1) => json!(i.saturating_add(1).min(i64::from(i32::MAX))),
            (Some(i), 2) => json!(i.saturating_sub(1).max(i64::from(i32::MIN))),
            _ => v.clone(),
        },
        (ScalarType::Float, Json::Number(n)) => match (n.as_f64(), tweak) {
            (Some(f), 1) => json!(f + 0.5),
            (Some(f), 2) => json!(f - 0.5),
            _ => v.clone(),
        },
        (ScalarType::DateTime, Json::String(s)) => {
            let Some(t) = parse_datetime(s) else {
                return v.clone();
            };
            let shifted = match tweak {
                1 => t + 1_000_000,
                2 => t - 1_000_000,
                3 => t + 1,
                _ => t,
            };
            let shifted = clamp.map_or(shifted, |max| shifted.min(max));
            if shifted == t {
                v.clone()
            } else {
                json!(format_datetime(shifted))
            }
        }
        (ScalarType::Enum(values), Json::String(s)) if tweak == 1 => {
            let at = values.iter().position(|x| x == s).unwrap_or(0);
            values
                .get((at + 1) % values.len().max(1))
                .map_or_else(|| v.clone(), |x| json!(x))
        }
        (ScalarType::Boolean, Json::Bool(b)) if tweak == 1 => json!(!b),
        _ => v.clone(),
    }
}

fn near_string(s: &str, tweak: u8, op: Op) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let half = n.div_ceil(2);
    let part = |a: usize, b: usize| {
        chars
            .get(a..b)
            .map_or_else(String::new, |c| c.iter().collect())
    };
    if is_substring(op) {
        match tweak {
            1 => part(0, half),
            2 => part(n - half.min(n), n),
            3 => part(n / 2, (n / 2 + 1).min(n)),
            4 => flip_case(s),
            5 => String::new(),
            6 => format!("{s}x"),
            _ => s.to_string(),
        }
    } else {
        match tweak {
            1 => flip_case(s),
            2 => part(0, half),
            3 => format!("{s}x"),
            _ => s.to_string(),
        }
    }
}

/// `s` with the letter case of its first cased character swapped (`Hello` ↔ `hello`).
fn flip_case(s: &str) -> String {
    let mut done = false;
    s.chars()
        .flat_map(|c| {
            if !done && (c.is_uppercase() || c.is_lowercase()) {
                done = true;
                if c.is_uppercase() {
                    c.to_lowercase().collect::<Vec<_>>()
                } else {
                    c.to_uppercase().collect::<Vec<_>>()
                }
            } else {
                vec![c]
            }
        })
        .collect()
}

/// A loaded timestamp: `BASE + slot` hours (plus half a second for odd `frac`), formatted
/// in DATA-1's output form.
pub(crate) fn stamp(slot: u8, frac: bool) -> i64 {
    BASE_TIME_US + i64::from(slot) * HOUR_US + if frac { 500_000 } else { 0 }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::model::value::Value;

    #[test]
    fn every_pool_value_is_accepted_by_its_type() {
        let types = [
            ScalarType::String,
            ScalarType::Int,
            ScalarType::Float,
            ScalarType::Boolean,
            ScalarType::DateTime,
            ScalarType::Enum(vec!["A".into(), "B".into()]),
        ];
        for ty in &types {
            for pick in 0..40 {
                let v = pool(ty, pick);
                let c = Value::coerce(ty, &v).unwrap_or_else(|e| panic!("{ty:?} {v}: {e}"));
                assert!(!c.is_null(), "{ty:?} {v}");
                for tweak in 0..8 {
                    for op in [Op::Eq, Op::Contains, Op::Lt] {
                        let n = near(ty, &v, tweak, op, None);
                        Value::coerce(ty, &n).unwrap_or_else(|e| panic!("{ty:?} {n}: {e}"));
                    }
                }
            }
        }
    }

    #[test]
    fn near_values_are_near() {
        let s = json!("Hello");
        assert_eq!(
            near(&ScalarType::String, &s, 1, Op::Eq, None),
            json!("hello")
        );
        assert_eq!(
            near(&ScalarType::String, &s, 1, Op::StartsWith, None),
            json!("Hel")
        );
        assert_eq!(
            near(&ScalarType::String, &s, 2, Op::EndsWith, None),
            json!("llo")
        );
        assert_eq!(near(&ScalarType::Int, &json!(3), 1, Op::Gt, None), json!(4));
        let t = format_datetime(stamp(2, false));
        let max = stamp(2, false);
        assert_eq!(
            near(&ScalarType::DateTime, &json!(t), 1, Op::Lt, Some(max)),
            json!(format_datetime(max))
        );
        assert_eq!(
            near(&ScalarType::DateTime, &json!(t), 2, Op::Lt, Some(max)),
            json!(format_datetime(max - 1_000_000))
        );
    }
}
