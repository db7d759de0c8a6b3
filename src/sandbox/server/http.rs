//! HTTP plumbing shared by the handlers: ERR-2's response bodies, reading a body with a limit
//! (never buffering more than the limit), the request envelope of ERR-3 (a JSON object body, or
//! the URL's query parameters of a GET), percent-decoding, and the admin guard.

use std::pin::Pin;

use axum::body::{Body, Bytes, HttpBody as _};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value as Json};

use crate::sandbox::token::bearer_token;

/// A reply: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body (`None`: no body, e.g. a 204).
    pub body: Option<Json>,
}

impl Reply {
    /// 200 `{"data": …}`.
    pub fn data(data: Json) -> Reply {
        Reply {
            status: StatusCode::OK,
            body: Some(json!({ "data": data })),
        }
    }

    /// A status with a JSON body as is.
    pub fn json(status: StatusCode, body: Json) -> Reply {
        Reply {
            status,
            body: Some(body),
        }
    }

    /// ERR-2: `{"errors":[{"message": …}],"data":null}`.
    pub fn error(status: StatusCode, message: impl Into<String>) -> Reply {
        Reply::errors(status, vec![json!({ "message": message.into() })])
    }

    /// ERR-2 with the given error objects.
    pub fn errors(status: StatusCode, errors: Vec<Json>) -> Reply {
        Reply::json(status, json!({ "errors": errors, "data": null }))
    }

    /// A 400 with `extensions.code` `"400"` and, when known, the rule that refuses.
    pub fn bad_request(message: impl Into<String>, rule: Option<&str>) -> Reply {
        let mut ext = Map::new();
        ext.insert("code".into(), json!("400"));
        if let Some(r) = rule {
            ext.insert("rule".into(), json!(r));
        }
        Reply::errors(
            StatusCode::BAD_REQUEST,
            vec![json!({ "message": message.into(), "extensions": ext })],
        )
    }

    /// A 400 with several messages (GraphQL validation).
    pub fn bad_requests(messages: Vec<String>, rule: Option<&str>) -> Reply {
        let errors = messages
            .into_iter()
            .map(|m| {
                let mut ext = Map::new();
                ext.insert("code".into(), json!("400"));
                if let Some(r) = rule {
                    ext.insert("rule".into(), json!(r));
                }
                json!({ "message": m, "extensions": ext })
            })
            .collect();
        Reply::errors(StatusCode::BAD_REQUEST, errors)
    }

    /// 404 `not found` (ERR-2).
    pub fn not_found() -> Reply {
        Reply::error(StatusCode::NOT_FOUND, "not found")
    }

    /// 413 `request body too large` (ERR-2, ERR-3).
    pub fn too_large() -> Reply {
        Reply::error(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
    }

    /// A 500 for an internal failure (never for anything a client sent).
    pub fn internal(message: impl Into<String>) -> Reply {
        Reply::error(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// 401 `admin secret required`.
    pub fn admin_required() -> Reply {
        Reply::error(StatusCode::UNAUTHORIZED, "admin secret required")
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self.body {
            None => self.status.into_response(),
            Some(body) => {
                let mut res = (self.status, body.to_string()).into_response();
                res.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                res
            }
        }
    }
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Longer than the limit (413).
    TooLarge,
    /// The connection failed while reading (400).
    Broken(String),
}

/// How much of a refused body is read and thrown away before answering, so that the client,
/// still sending, sees the answer instead of a reset connection.
pub const DRAIN_MAX: usize = 1024 * 1024;

/// Reads a body, stopping as soon as it is longer than `limit` bytes: at most `limit` bytes
/// (plus one frame) are ever held.
pub async fn read_body(body: &mut Body, limit: usize) -> Result<Bytes, BodyError> {
    if body.size_hint().lower() > limit as u64 {
        return Err(BodyError::TooLarge);
    }
    let mut buf: Vec<u8> = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| BodyError::Broken(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(BodyError::TooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

/// Reads and discards what is left of a refused body, up to [`DRAIN_MAX`] bytes (a body
/// declared longer is not read at all).
pub async fn drain(body: &mut Body) {
    if body.size_hint().lower() > DRAIN_MAX as u64 {
        return;
    }
    let mut seen = 0usize;
    while let Some(Ok(frame)) = std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await
    {
        if let Ok(data) = frame.into_data() {
            seen += data.len();
            if seen > DRAIN_MAX {
                return;
            }
        }
    }
}

/// A request's `query`, `variables` and `operationName` (ERR-3).
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The GraphQL document.
    pub query: String,
    /// The variables: an object, or `None` (absent or `null`).
    pub variables: Option<Json>,
    /// The operation to run.
    pub operation_name: Option<String>,
}

/// The envelope of a POST body: a JSON object with `query` (a string), `variables` (an object
/// or null) and `operationName` (a string or null); other members are ignored.
pub fn envelope_from_body(body: &[u8]) -> Result<Envelope, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("the body is not UTF-8: {e}"))?;
    let value: Json =
        serde_json::from_str(text).map_err(|e| format!("the body is not JSON: {e}"))?;
    let Json::Object(mut obj) = value else {
        return Err("the body must be a JSON object".into());
    };
    let query = match obj.remove("query") {
        Some(Json::String(q)) => q,
        None => return Err("the body has no query".into()),
        Some(_) => return Err("query must be a string".into()),
    };
    let variables = match obj.remove("variables") {
        None | Some(Json::Null) => None,
        Some(v @ Json::Object(_)) => Some(v),
        Some(_) => return Err("variables must be an object or null".into()),
    };
    let operation_name = match obj.remove("operationName") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s),
        Some(_) => return Err("operationName must be a string or null".into()),
    };
    Ok(Envelope {
        query,
        variables,
        operation_name,
    })
}

/// The envelope of a GET: the URL's query parameters `query`, `variables` (JSON text of an
/// object or `null`) and `operationName`; an empty `variables` or `operationName` is absent;
/// a parameter given twice is refused; others are ignored.
pub fn envelope_from_query(component: &str) -> Result<Envelope, String> {
    let mut query = None;
    let mut variables = None;
    let mut operation_name = None;
    for pair in component.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = form_decode(k).ok_or("a query parameter name is not UTF-8")?;
        let slot = match k.as_str() {
            "query" => &mut query,
            "variables" => &mut variables,
            "operationName" => &mut operation_name,
            _ => continue,
        };
        if slot.is_some() {
            return Err(format!("query parameter {k} given twice"));
        }
        *slot = Some(form_decode(v).ok_or_else(|| format!("query parameter {k} is not UTF-8"))?);
    }
    let query = query.ok_or("the URL has no query parameter")?;
    let variables = match variables.as_deref() {
        None | Some("") => None,
        Some(text) => match serde_json::from_str::<Json>(text) {
            Ok(Json::Null) => None,
            Ok(v @ Json::Object(_)) => Some(v),
            Ok(_) => return Err("variables must be a JSON object or null".into()),
            Err(e) => return Err(format!("variables are not JSON: {e}")),
        },
    };
    Ok(Envelope {
        query,
        variables,
        operation_name: operation_name.filter(|s| !s.is_empty()),
    })
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes bytes; a `%` not followed by two hex digits stays as it is.
fn percent_decode_bytes(s: &str, plus_is_space: bool) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex);
                let lo = bytes.get(i + 2).copied().and_then(hex);
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    out.push(hi * 16 + lo);
                    i += 3;
                    continue;
                }
                out.push(b);
            }
            b'+' if plus_is_space => out.push(b' '),
            _ => out.push(b),
        }
        i += 1;
    }
    out
}

/// `application/x-www-form-urlencoded` decoding of one name or value; `None` if not UTF-8.
pub fn form_decode(s: &str) -> Option<String> {
    String::from_utf8(percent_decode_bytes(s, true)).ok()
}

/// Percent-decoding of one path segment; `None` if not UTF-8.
pub fn path_decode(s: &str) -> Option<String> {
    String::from_utf8(percent_decode_bytes(s, false)).ok()
}

/// ERR-3: whether every `Content-Encoding` is `identity` (or none is given).
pub fn identity_encoding(headers: &HeaderMap) -> bool {
    headers.get_all(header::CONTENT_ENCODING).iter().all(|v| {
        std::str::from_utf8(v.as_bytes()).is_ok_and(|s| {
            s.split(',')
                .map(|t| t.trim_matches(|c: char| c.is_ascii_whitespace()))
                .all(|t| t.is_empty() || t.eq_ignore_ascii_case("identity"))
        })
    })
}

/// ERR-3: exactly one `Content-Type` whose media type is `application/json` (any letter case,
/// parameters such as `charset=utf-8` allowed).
pub fn json_content_type(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(header::CONTENT_TYPE).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => std::str::from_utf8(v.as_bytes()).is_ok_and(|s| {
            s.split(';')
                .next()
                .map(|t| t.trim_matches(|c: char| c.is_ascii_whitespace()))
                .is_some_and(|t| t.eq_ignore_ascii_case("application/json"))
        }),
        _ => false,
    }
}

/// Compares two secrets in time independent of where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the request carries exactly one `Authorization: Bearer <secret>`.
pub fn is_admin(headers: &HeaderMap, secret: &str) -> bool {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => std::str::from_utf8(v.as_bytes())
            .ok()
            .and_then(|s| bearer_token(s).ok())
            .is_some_and(|t| same_secret(t.as_bytes(), secret.as_bytes())),
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn post_envelopes() {
        let e = envelope_from_body(
            br#"{"query":"{ a }","variables":{"x":1},"operationName":"A","extensions":{}}"#,
        )
        .unwrap();
        assert_eq!(e.query, "{ a }");
        assert_eq!(e.variables, Some(json!({"x": 1})));
        assert_eq!(e.operation_name.as_deref(), Some("A"));
        let e =
            envelope_from_body(br#"{"query":"q","variables":null,"operationName":null}"#).unwrap();
        assert_eq!((e.variables, e.operation_name), (None, None));
        for bad in [
            &b"{\"query\":\"\xff\"}"[..],
            b"",
            b"{",
            b"[]",
            b"\"q\"",
            b"{}",
            br#"{"query":1}"#,
            br#"{"query":null}"#,
            br#"{"query":"q","variables":[]}"#,
            br#"{"query":"q","variables":"{}"}"#,
            br#"{"query":"q","operationName":1}"#,
        ] {
            assert!(envelope_from_body(bad).is_err(), "{bad:?}");
        }
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(envelope_from_body(deep.as_bytes()).is_err());
    }

    #[test]
    fn get_envelopes() {
        let e =
            envelope_from_query("query=%7B+a+%7D&variables=%7B%22x%22%3A1%7D&operationName=A&x=y")
                .unwrap();
        assert_eq!(e.query, "{ a }");
        assert_eq!(e.variables, Some(json!({"x": 1})));
        assert_eq!(e.operation_name.as_deref(), Some("A"));
        let e = envelope_from_query("query=q&variables=&operationName=").unwrap();
        assert_eq!((e.variables, e.operation_name), (None, None));
        for bad in [
            "",
            "variables=%7B%7D",
            "query=a&query=b",
            "query=%FF",
            "query=q&variables=%5B%5D",
            "query=q&variables=nope",
        ] {
            assert!(envelope_from_query(bad).is_err(), "{bad:?}");
        }
        assert_eq!(path_decode("a%20b+c%").as_deref(), Some("a b+c%"));
        assert_eq!(path_decode("%ff"), None);
    }

    #[test]
    fn headers() {
        let mut h = HeaderMap::new();
        assert!(identity_encoding(&h));
        assert!(!json_content_type(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert!(json_content_type(&h));
        h.append(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert!(!json_content_type(&h));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(!json_content_type(&h));
        h.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static("Identity"),
        );
        assert!(identity_encoding(&h));
        h.append(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        assert!(!identity_encoding(&h));
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer s3cret"),
        );
        assert!(is_admin(&h, "s3cret"));
        assert!(!is_admin(&h, "s3cre"));
        h.append(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer s3cret"),
        );
        assert!(!is_admin(&h, "s3cret"));
        assert!(!is_admin(&HeaderMap::new(), "s3cret"));
    }
}
