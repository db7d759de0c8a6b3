//! The request context headers of the sandbox's Content API (spec §4): `gcms-stage` (CTX-1) and
//! `gcms-locales` (CTX-2), and CTX-2's refusal of an empty `locales:` argument.
//!
//! This is the sandbox's own reading of the rules, written from the spec (nothing here calls or
//! copies `model::ctx`). Every refusal is a 400 at ERR-1 step 5, made **even when nothing uses
//! the value** (a mutation, a document of `__typename` alone, a field with its own `stage:`):
//!
//! - **CTX-1** `gcms-stage`: the value, trimmed of ASCII whitespace, must name one of the
//!   environment's stages exactly (`draft` is unknown). An empty value, an unknown stage, or two
//!   `gcms-stage` headers is a [`ContextError`].
//! - **CTX-2** `gcms-locales`: the value is split on `,` and each item trimmed of ASCII
//!   whitespace; every item must name one of the environment's locales exactly (`DE` is unknown).
//!   A value empty after trimming, an empty item (`de,,en`, `de,`), an unknown locale, or two
//!   `gcms-locales` headers is a [`ContextError`]; duplicates are dropped after their first
//!   occurrence (`de, en, de` is `[de, en]`). `locales: []` as an argument, on any field at any
//!   depth, is refused too ([`check_locales_arguments`]).
//! - Header names are case-insensitive (`GCMS-Stage` is `gcms-stage`): the HTTP layer hands in
//!   every value of the header whatever the letter case of its name. Values are bytes as
//!   received; one that is not UTF-8 names no stage or locale and is refused.
//!
//! What the headers are *used* for (the argument beats the header, else the principal's default
//! stage or `[defaultLocale]`) is the executors' business; this module only validates them and
//! hands on the values ([`RequestContext`]).
//!
//! ```
//! use tollgate::model::spec::EnvSpec;
//! use tollgate::sandbox::context::{locales_header, stage_header};
//!
//! let env: EnvSpec = serde_yaml_ng::from_str("{stages: [QA], locales: [en, de]}").unwrap();
//! let schema = env.schema("env").unwrap();
//! assert_eq!(stage_header(&schema, &[b" QA "]).unwrap(), Some("QA".to_string()));
//! assert!(stage_header(&schema, &[b"qa"]).is_err());
//! assert_eq!(
//!     locales_header(&schema, &[b" de , en ,de"]).unwrap(),
//!     Some(vec!["de".to_string(), "en".to_string()])
//! );
//! assert!(locales_header(&schema, &[b"de,,en"]).is_err());
//! ```

use serde_json::Value as Json;

use crate::model::project::Schema;
use crate::sandbox::schema::SelectedField;

/// The name of the stage header (CTX-1), lower-case as HTTP header maps keep names.
pub const STAGE_HEADER: &str = "gcms-stage";

/// The name of the locales header (CTX-2).
pub const LOCALES_HEADER: &str = "gcms-locales";

/// How much of a refused value an error message quotes (a header may be 100 KB long).
const QUOTE_MAX: usize = 64;

/// Why the request context is refused: always a 400 (ERR-1 step 5).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// More than one header of a name (CTX-1, CTX-2).
    #[error("more than one {0} header")]
    Repeated(&'static str),
    /// A header value that is not UTF-8.
    #[error("the {0} header is not UTF-8")]
    NotUtf8(&'static str),
    /// `gcms-stage` empty after trimming (CTX-1).
    #[error("the gcms-stage header is empty")]
    EmptyStage,
    /// `gcms-stage` naming no stage of the environment (CTX-1).
    #[error("gcms-stage: unknown stage {0}")]
    UnknownStage(String),
    /// `gcms-locales` empty after trimming (CTX-2).
    #[error("the gcms-locales header is empty")]
    EmptyLocales,
    /// An empty item in `gcms-locales` (`de,,en`, `de,`) (CTX-2).
    #[error("gcms-locales: item {0} is empty")]
    EmptyLocaleItem(usize),
    /// An item of `gcms-locales` naming no locale of the environment (CTX-2).
    #[error("gcms-locales: unknown locale {0}")]
    UnknownLocale(String),
    /// `locales: []` on a field (CTX-2).
    #[error("{0}: locales must not be empty")]
    EmptyLocalesArgument(String),
}

impl ContextError {
    /// The spec rule that refuses.
    pub fn rule(&self) -> &'static str {
        match self {
            ContextError::Repeated(STAGE_HEADER)
            | ContextError::NotUtf8(STAGE_HEADER)
            | ContextError::EmptyStage
            | ContextError::UnknownStage(_) => "CTX-1",
            _ => "CTX-2",
        }
    }
}

/// The validated context headers of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// The stage `gcms-stage` names, if the header was sent.
    pub stage: Option<String>,
    /// The locales `gcms-locales` names, in order, without duplicates, if the header was sent.
    pub locales: Option<Vec<String>>,
}

impl RequestContext {
    /// Validates both headers and the `locales:` arguments of a validated selection.
    /// `stage_values` and `locales_values` are every value of each header, as received.
    pub fn new(
        schema: &Schema,
        stage_values: &[&[u8]],
        locales_values: &[&[u8]],
        fields: &[SelectedField],
    ) -> Result<RequestContext, ContextError> {
        let stage = stage_header(schema, stage_values)?;
        let locales = locales_header(schema, locales_values)?;
        check_locales_arguments(fields)?;
        Ok(RequestContext { stage, locales })
    }
}

fn trim_ascii(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii_whitespace())
}

/// A value as quoted in an error: JSON-escaped, cut after [`QUOTE_MAX`] characters.
fn quoted(s: &str) -> String {
    let mut cut: String = s.chars().take(QUOTE_MAX).collect();
    if cut.len() < s.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

/// The one value of a header, if sent: two values are [`ContextError::Repeated`], a value that
/// is not UTF-8 [`ContextError::NotUtf8`].
fn single<'a>(name: &'static str, values: &[&'a [u8]]) -> Result<Option<&'a str>, ContextError> {
    match values {
        [] => Ok(None),
        [one] => std::str::from_utf8(one)
            .map(Some)
            .map_err(|_| ContextError::NotUtf8(name)),
        _ => Err(ContextError::Repeated(name)),
    }
}

/// CTX-1: the stage named by the `gcms-stage` header values (every value received, in order),
/// or `None` when the header was not sent.
pub fn stage_header(schema: &Schema, values: &[&[u8]]) -> Result<Option<String>, ContextError> {
    let Some(value) = single(STAGE_HEADER, values)? else {
        return Ok(None);
    };
    let value = trim_ascii(value);
    if value.is_empty() {
        return Err(ContextError::EmptyStage);
    }
    if !schema.stages.iter().any(|s| s == value) {
        return Err(ContextError::UnknownStage(quoted(value)));
    }
    Ok(Some(value.to_string()))
}

/// CTX-2: the locale list named by the `gcms-locales` header values (every value received, in
/// order), duplicates dropped after their first occurrence, or `None` when the header was not
/// sent.
pub fn locales_header(
    schema: &Schema,
    values: &[&[u8]],
) -> Result<Option<Vec<String>>, ContextError> {
    let Some(value) = single(LOCALES_HEADER, values)? else {
        return Ok(None);
    };
    if trim_ascii(value).is_empty() {
        return Err(ContextError::EmptyLocales);
    }
    let mut out: Vec<String> = Vec::new();
    for (i, item) in value.split(',').enumerate() {
        let item = trim_ascii(item);
        if item.is_empty() {
            return Err(ContextError::EmptyLocaleItem(i));
        }
        if !schema.locales.iter().any(|l| l == item) {
            return Err(ContextError::UnknownLocale(quoted(item)));
        }
        if !out.iter().any(|l| l == item) {
            out.push(item.to_string());
        }
    }
    Ok(Some(out))
}

/// CTX-2: refuses `locales: []` given to any field of the selection, at any depth (root
/// fields, relation fields, `documentInStages`' children). The error names the field by its
/// response keys from the root (`posts.author`).
pub fn check_locales_arguments(fields: &[SelectedField]) -> Result<(), ContextError> {
    fn walk(fields: &[SelectedField], path: &mut Vec<String>) -> Result<(), ContextError> {
        for f in fields {
            path.push(f.key().to_string());
            if matches!(f.args.get("locales"), Some(Json::Array(items)) if items.is_empty()) {
                return Err(ContextError::EmptyLocalesArgument(path.join(".")));
            }
            walk(&f.selection, path)?;
            path.pop();
        }
        Ok(())
    }
    walk(fields, &mut Vec::new())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::model::spec::EnvSpec;
    use crate::sandbox::schema::ContentSchema;

    fn schema() -> Schema {
        let env: EnvSpec = serde_yaml_ng::from_str(
            "{stages: [QA], locales: [en, de, fr_CH], models: [{name: Post, fields: [{name: title, type: String}]}]}",
        )
        .unwrap();
        env.schema("env").unwrap()
    }

    #[test]
    fn stage_header_rules() {
        let s = schema();
        assert_eq!(stage_header(&s, &[]).unwrap(), None);
        for ok in [&b"QA"[..], b" QA", b"QA\t", b"\r\n DRAFT ", b"PUBLISHED"] {
            assert!(stage_header(&s, &[ok]).unwrap().is_some(), "{ok:?}");
        }
        assert_eq!(stage_header(&s, &[b" QA "]).unwrap().as_deref(), Some("QA"));
        assert_eq!(stage_header(&s, &[b""]), Err(ContextError::EmptyStage));
        assert_eq!(stage_header(&s, &[b"  \t"]), Err(ContextError::EmptyStage));
        for bad in [&b"draft"[..], b"Draft", b"QA,DRAFT", b"Q A", b"\xa0QA"] {
            assert!(
                matches!(
                    stage_header(&s, &[bad]),
                    Err(ContextError::UnknownStage(_) | ContextError::NotUtf8(_))
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            stage_header(&s, &[b"QA", b"QA"]),
            Err(ContextError::Repeated(STAGE_HEADER))
        );
        assert_eq!(stage_header(&s, &[b"\xff"]).unwrap_err().rule(), "CTX-1");
    }

    #[test]
    fn locales_header_rules() {
        let s = schema();
        let v = |x: &[&str]| Some(x.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(locales_header(&s, &[]).unwrap(), None);
        assert_eq!(locales_header(&s, &[b"de"]).unwrap(), v(&["de"]));
        assert_eq!(
            locales_header(&s, &[b" de , en "]).unwrap(),
            v(&["de", "en"])
        );
        assert_eq!(
            locales_header(&s, &[b"de,en,de,fr_CH,en"]).unwrap(),
            v(&["de", "en", "fr_CH"])
        );
        assert_eq!(locales_header(&s, &[b""]), Err(ContextError::EmptyLocales));
        assert_eq!(
            locales_header(&s, &[b" \t "]),
            Err(ContextError::EmptyLocales)
        );
        assert_eq!(
            locales_header(&s, &[b"de,,en"]),
            Err(ContextError::EmptyLocaleItem(1))
        );
        assert_eq!(
            locales_header(&s, &[b"de,"]),
            Err(ContextError::EmptyLocaleItem(1))
        );
        assert_eq!(
            locales_header(&s, &[b",de"]),
            Err(ContextError::EmptyLocaleItem(0))
        );
        for bad in [&b"DE"[..], b"de;en", b"de en", b"fr_ch", b"xx"] {
            assert!(
                matches!(
                    locales_header(&s, &[bad]),
                    Err(ContextError::UnknownLocale(_))
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            locales_header(&s, &[b"de", b"en"]),
            Err(ContextError::Repeated(LOCALES_HEADER))
        );
        assert_eq!(
            locales_header(&s, &[b"d\xffe"]),
            Err(ContextError::NotUtf8(LOCALES_HEADER))
        );
        assert_eq!(locales_header(&s, &[b""]).unwrap_err().rule(), "CTX-2");
    }

    #[test]
    fn long_values_are_quoted_short() {
        let s = schema();
        let long = "x".repeat(100_000);
        let e = stage_header(&s, &[long.as_bytes()]).unwrap_err();
        assert!(e.to_string().len() < 200, "{e}");
        let e = locales_header(&s, &[long.as_bytes()]).unwrap_err();
        assert!(e.to_string().len() < 200, "{e}");
    }

    #[test]
    fn empty_locales_argument_anywhere() {
        let s = schema();
        let content = ContentSchema::new(&s).unwrap();
        let fields = |q: &str| content.validate(q, None, None).unwrap().fields;
        assert!(check_locales_arguments(&fields("{ posts(locales: [de]) { id } }")).is_ok());
        assert!(check_locales_arguments(&fields("{ posts { id } }")).is_ok());
        assert_eq!(
            check_locales_arguments(&fields("{ a: posts(locales: []) { id } }")),
            Err(ContextError::EmptyLocalesArgument("a".into()))
        );
        let ctx = RequestContext::new(&s, &[b"QA"], &[b"de"], &fields("{ posts { id } }"));
        assert_eq!(
            ctx.unwrap(),
            RequestContext {
                stage: Some("QA".into()),
                locales: Some(vec!["de".into()])
            }
        );
        // Refused even when an argument would win over the header.
        assert!(RequestContext::new(
            &s,
            &[b"draft"],
            &[],
            &fields("{ posts(stage: DRAFT) { id } }")
        )
        .is_err());
    }
}
