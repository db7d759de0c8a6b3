//! Scalar types and values (DATA-1): coercion of JSON input, comparison, and JSON output.
//!
//! One place decides what a `String`, `Int`, `Float`, `Boolean`, `DateTime` or `Enum` accepts and
//! how it compares, so that a value means the same in a request, a condition and a load.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

/// A scalar field type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScalarType {
    /// `String`.
    String,
    /// `ID` (system `id` only).
    Id,
    /// `Int`: 32-bit signed.
    Int,
    /// `Float`: binary64.
    Float,
    /// `Boolean`.
    Boolean,
    /// `DateTime`: a UTC instant with microsecond precision.
    DateTime,
    /// `Enum` with its values in declaration order.
    Enum(Vec<String>),
}

impl ScalarType {
    /// The GraphQL type name (for `Enum`, the literal word `Enum`).
    pub fn name(&self) -> &'static str {
        match self {
            ScalarType::String => "String",
            ScalarType::Id => "ID",
            ScalarType::Int => "Int",
            ScalarType::Float => "Float",
            ScalarType::Boolean => "Boolean",
            ScalarType::DateTime => "DateTime",
            ScalarType::Enum(_) => "Enum",
        }
    }
}

/// A stored scalar value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// No value.
    Null,
    /// A `String` or `ID`.
    String(String),
    /// An `Int`.
    Int(i64),
    /// A `Float` (never `-0`, never NaN or infinite).
    Float(f64),
    /// A `Boolean`.
    Boolean(bool),
    /// A `DateTime`, microseconds since 1970-01-01T00:00:00Z.
    DateTime(i64),
    /// An `Enum` value, by its index in the declaration.
    Enum(u32),
}

/// Why a JSON value was refused for a type (DATA-1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CoerceError(pub String);

impl Value {
    /// Whether this is `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Coerces a JSON input value to `ty` (DATA-1). `null` gives `Value::Null`; callers decide
    /// whether null is allowed.
    pub fn coerce(ty: &ScalarType, v: &serde_json::Value) -> Result<Value, CoerceError> {
        use serde_json::Value as J;
        let refuse = |what: &str| {
            Err(CoerceError(format!(
                "{} cannot represent {what}: {}",
                ty.name(),
                short(v)
            )))
        };
        match (ty, v) {
            (_, J::Null) => Ok(Value::Null),
            (ScalarType::String, J::String(s)) => {
                if s.contains('\u{0}') {
                    refuse("a string containing U+0000")
                } else {
                    Ok(Value::String(s.clone()))
                }
            }
            (ScalarType::Id, J::String(s)) => {
                if s.contains('\u{0}') {
                    refuse("a string containing U+0000")
                } else {
                    Ok(Value::String(s.clone()))
                }
            }
            (ScalarType::Id, J::Number(n)) if n.is_i64() || n.is_u64() => {
                Ok(Value::String(n.to_string()))
            }
            (ScalarType::Int, J::Number(n)) => {
                // Written without fraction or exponent: serde_json keeps such numbers integral.
                match n.as_i64() {
                    Some(i) if i >= i64::from(i32::MIN) && i <= i64::from(i32::MAX) => {
                        Ok(Value::Int(i))
                    }
                    Some(_) => refuse("a value outside 32 bits"),
                    None if n.is_u64() => refuse("a value outside 32 bits"),
                    None => refuse("a non-integer value"),
                }
            }
            (ScalarType::Float, J::Number(n)) => match n.as_f64() {
                Some(f) if f.is_finite() => Ok(Value::Float(if f == 0.0 { 0.0 } else { f })),
                _ => refuse("a non-finite value"),
            },
            (ScalarType::Boolean, J::Bool(b)) => Ok(Value::Boolean(*b)),
            (ScalarType::DateTime, J::String(s)) => match parse_datetime(s) {
                Some(us) => Ok(Value::DateTime(us)),
                None => refuse("a value that is not an RFC 3339 date-time"),
            },
            (ScalarType::Enum(values), J::String(s)) => match values.iter().position(|x| x == s) {
                Some(i) => Ok(Value::Enum(u32::try_from(i).unwrap_or(u32::MAX))),
                None => refuse("a value that is not declared"),
            },
            _ => refuse("this value"),
        }
    }

    /// The value as JSON output (DATA-1's output column).
    pub fn to_json(&self, ty: &ScalarType) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::String(s) => J::String(s.clone()),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or(J::Null),
            Value::Boolean(b) => J::Bool(*b),
            Value::DateTime(us) => J::String(format_datetime(*us)),
            Value::Enum(i) => match ty {
                ScalarType::Enum(values) => values
                    .get(*i as usize)
                    .map(|s| J::String(s.clone()))
                    .unwrap_or(J::Null),
                _ => J::Null,
            },
        }
    }

    /// Equality as filters see it: numbers numerically, DateTimes as instants.
    pub fn equals(&self, other: &Value) -> bool {
        self.compare(other) == Some(Ordering::Equal)
    }

    /// Order of two non-null values of one type (ORDER-1): strings by code point, numbers
    /// numerically, `false < true`, enums by declaration order. `None` when incomparable.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::String(a), Value::String(b)) => Some(a.as_str().cmp(b.as_str())),
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Float(a), Value::Float(b)) => a.partial_cmp(b),
            (Value::Int(a), Value::Float(b)) => (*a as f64).partial_cmp(b),
            (Value::Float(a), Value::Int(b)) => a.partial_cmp(&(*b as f64)),
            (Value::Boolean(a), Value::Boolean(b)) => Some(a.cmp(b)),
            (Value::DateTime(a), Value::DateTime(b)) => Some(a.cmp(b)),
            (Value::Enum(a), Value::Enum(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        let cut: String = s.chars().take(40).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// Parses an RFC 3339 `date-time` as DATA-1 accepts it (separator `T`/`t`; offset `Z`, `z` or
/// `±hh:mm`; 0–6 fractional digits; no leap second; years 0001–9999 as a UTC instant) into
/// microseconds since the epoch.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| -> Option<u32> {
        let part = b.get(from..from + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let year = digits(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(5, 2)?;
    let day = digits(8, 2)?;
    if !matches!(b.get(10), Some(b'T') | Some(b't')) {
        return None;
    }
    let hour = digits(11, 2)?;
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let minute = digits(14, 2)?;
    let second = digits(17, 2)?;
    let mut i = 19;
    let mut micros: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let n = i - start;
        if n == 0 || n > 6 {
            return None;
        }
        let frac: u32 = std::str::from_utf8(b.get(start..i)?).ok()?.parse().ok()?;
        micros = frac * 10u32.pow(6 - u32::try_from(n).ok()?);
    }
    let offset_secs: i64 = match b.get(i) {
        Some(b'Z') | Some(b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() => {
            let oh = i64::from(digits(i + 1, 2)?);
            if b.get(i + 3) != Some(&b':') {
                return None;
            }
            let om = i64::from(digits(i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let total = oh * 3600 + om * 60;
            if *sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return None,
    };
    if second > 59 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let time = NaiveTime::from_hms_micro_opt(hour, minute, second, micros)?;
    let local = NaiveDateTime::new(date, time).and_utc().timestamp_micros();
    let utc = local - offset_secs * 1_000_000;
    // The UTC instant must lie in years 0001–9999.
    let min = NaiveDate::from_ymd_opt(1, 1, 1)?
        .and_hms_opt(0, 0, 0)?
        .and_utc()
        .timestamp_micros();
    let max = NaiveDate::from_ymd_opt(9999, 12, 31)?
        .and_hms_micro_opt(23, 59, 59, 999_999)?
        .and_utc()
        .timestamp_micros();
    if utc < min || utc > max {
        return None;
    }
    Some(utc)
}

/// Formats microseconds since the epoch as DATA-1's output form
/// `YYYY-MM-DDTHH:MM:SS[.f]+00:00` (fraction without trailing zeros, omitted when zero).
pub fn format_datetime(us: i64) -> String {
    let Some(dt) = DateTime::from_timestamp_micros(us) else {
        return String::new();
    };
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    let frac = us.rem_euclid(1_000_000);
    if frac == 0 {
        format!("{base}+00:00")
    } else {
        let f = format!("{frac:06}");
        format!("{base}.{}+00:00", f.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn datetime_offsets_are_instants() {
        let a = parse_datetime("2024-01-01T10:00:00+02:00");
        let b = parse_datetime("2024-01-01T08:00:00Z");
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_eq!(
            format_datetime(a.unwrap_or_default()),
            "2024-01-01T08:00:00+00:00"
        );
    }

    #[test]
    fn datetime_refusals() {
        for s in [
            "2024-01-01T10:00:00",
            "2024-01-01",
            "2024-01-01T10:00:00.1234567Z",
            "2024-06-30T23:59:60Z",
            "2024-01-01 10:00:00Z",
            "0000-12-31T23:00:00Z",
        ] {
            assert_eq!(parse_datetime(s), None, "{s}");
        }
        assert_eq!(
            parse_datetime("2024-01-01t10:00:00.5z").map(format_datetime),
            Some("2024-01-01T10:00:00.5+00:00".to_string())
        );
    }

    #[test]
    fn int_and_float_coercion() {
        assert_eq!(
            Value::coerce(&ScalarType::Int, &json!(5)),
            Ok(Value::Int(5))
        );
        assert!(Value::coerce(&ScalarType::Int, &json!(1.0)).is_err());
        assert!(Value::coerce(&ScalarType::Int, &json!(2147483648i64)).is_err());
        assert_eq!(
            Value::coerce(&ScalarType::Float, &json!(1)),
            Ok(Value::Float(1.0))
        );
        assert_eq!(
            Value::coerce(&ScalarType::Float, &json!(-0.0)),
            Ok(Value::Float(0.0))
        );
        assert!(Value::coerce(&ScalarType::String, &json!("a\u{0}b")).is_err());
        assert_eq!(
            Value::coerce(&ScalarType::Id, &json!(12)),
            Ok(Value::String("12".into()))
        );
    }
}
