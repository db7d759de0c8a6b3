//! GraphQL over HTTP, the client's side: the bytes a Content API request is sent as (ERR-3: a
//! JSON `POST` body or `GET` query parameters) and the [`Outcome`] an HTTP response stands for
//! (spec §8, ERR-2). [`manage`] is the Management-API client used to provision principals and
//! grants (§9).
//!
//! Decoding follows "How a harness compares": a 200 is `data` (or, for a request with
//! introspection fields, [`Outcome::Introspection`], compared by status only, READ-8); a 403
//! keeps each error's message, `extensions.path` and `extensions.failedActions`; 400, 401, 404
//! and 413 keep their status (and message as free text); 429, 5xx and anything unreadable are
//! [`Outcome::Indeterminate`] — never agreement, never a divergence by themselves.

pub mod graphql;
pub mod manage;

use serde_json::{Map, Value};

use crate::op::{DeniedError, FailedAction, Method, Outcome, Selection};

/// The most a response body is read to (a larger one is indeterminate).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// A Content API request's envelope, encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Envelope {
    /// `POST` with this JSON body (`Content-Type: application/json`).
    Post(Vec<u8>),
    /// `GET` with this URL query component (without the `?`).
    Get(String),
}

impl Envelope {
    /// Encodes a request: for `POST` the compact JSON `{"query":…,"variables":…,"operationName":…}`
    /// (absent members as `null`), for `GET` `query=…&variables=…&operationName=…` (absent
    /// members left out), percent-encoded. With `pad_to` longer than that, the body (or the
    /// query text inside the URL) is padded with insignificant whitespace to exactly `pad_to`
    /// bytes, so a harness can send a body of a given size (ERR-3's limit).
    pub fn encode(
        method: Method,
        query: &str,
        variables: Option<&Value>,
        operation_name: Option<&str>,
        pad_to: Option<usize>,
    ) -> Envelope {
        match method {
            Method::Post => {
                let mut body = Map::new();
                body.insert("query".into(), Value::String(query.into()));
                body.insert(
                    "variables".into(),
                    variables.cloned().unwrap_or(Value::Null),
                );
                body.insert(
                    "operationName".into(),
                    operation_name.map_or(Value::Null, |s| Value::String(s.into())),
                );
                let mut bytes = Value::Object(body).to_string().into_bytes();
                if let Some(n) = pad_to {
                    if n > bytes.len() {
                        bytes.resize(n, b' ');
                    }
                }
                Envelope::Post(bytes)
            }
            Method::Get => {
                let mut rest = String::new();
                if let Some(v) = variables {
                    rest.push_str("&variables=");
                    rest.push_str(&percent_encode(&v.to_string()));
                }
                if let Some(n) = operation_name {
                    rest.push_str("&operationName=");
                    rest.push_str(&percent_encode(n));
                }
                let mut q = format!("query={}", percent_encode(query));
                if let Some(n) = pad_to {
                    let now = q.len() + rest.len();
                    if n > now {
                        // `+` is a space in a query component: trailing whitespace of the text.
                        q.push_str(&"+".repeat(n - now));
                    }
                }
                q.push_str(&rest);
                Envelope::Get(q)
            }
        }
    }

    /// The size the server measures (ERR-3): the body, or the URL's query component.
    pub fn len(&self) -> usize {
        match self {
            Envelope::Post(b) => b.len(),
            Envelope::Get(q) => q.len(),
        }
    }

    /// Whether it is empty (never, for an encoded request).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Percent-encodes `s` for a URL query component, RFC 3986 unreserved characters kept.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether a request's root fields ask for introspection (`__schema`, `__type`; READ-8).
pub fn is_introspection(fields: &[Selection]) -> bool {
    fields
        .iter()
        .any(|f| f.name == "__schema" || f.name == "__type")
}

/// The outcome an HTTP response stands for. `introspection`: the request had introspection
/// fields, so a 200 is [`Outcome::Introspection`].
pub fn decode(status: u16, body: &[u8], introspection: bool) -> Outcome {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let first_message = || {
        parsed
            .as_ref()
            .and_then(|v| v.get("errors"))
            .and_then(|e| e.get(0))
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match status {
        200 => {
            let Some(Value::Object(mut body)) = parsed else {
                return indeterminate(status, "the body is not a JSON object", body);
            };
            if introspection {
                return Outcome::Introspection;
            }
            if body.contains_key("errors") {
                // ERR-2: a 200 carries no `errors`. Keep the whole body as `data` so the
                // comparison shows the difference instead of hiding it.
                return Outcome::Ok {
                    data: Value::Object(body),
                };
            }
            match body.remove("data") {
                Some(data) => Outcome::Ok { data },
                None => indeterminate(status, "the body has no `data`", &[]),
            }
        }
        400 => Outcome::Invalid {
            rule: None,
            message: first_message().unwrap_or_default(),
        },
        401 => Outcome::Unauthenticated {
            rule: None,
            reason: first_message().unwrap_or_default(),
        },
        403 => match parsed.as_ref().and_then(|v| v.get("errors")) {
            Some(Value::Array(errors)) => Outcome::Denied {
                rule: None,
                errors: errors.iter().map(denied_error).collect(),
            },
            _ => indeterminate(status, "a 403 without an `errors` list", body),
        },
        404 => Outcome::NotFound,
        413 => Outcome::TooLarge,
        429 => Outcome::Indeterminate {
            reason: "HTTP 429: rate limited".into(),
        },
        _ => indeterminate(
            status,
            &first_message().unwrap_or_else(|| "unexpected status".into()),
            &[],
        ),
    }
}

fn indeterminate(status: u16, why: &str, body: &[u8]) -> Outcome {
    let mut reason = format!("HTTP {status}: {why}");
    if !body.is_empty() {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
        reason.push_str(&format!(" (body starts {text:?})"));
    }
    Outcome::Indeterminate { reason }
}

fn denied_error(e: &Value) -> DeniedError {
    let ext = e.get("extensions");
    let path = ext
        .and_then(|x| x.get("path"))
        .and_then(Value::as_array)
        .map(|p| {
            p.iter()
                .map(|s| match s {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        });
    let failed_actions = ext
        .and_then(|x| x.get("failedActions"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|a| {
                    let s = |k: &str| {
                        a.get(k)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string()
                    };
                    FailedAction {
                        action: s("action"),
                        model: s("model"),
                        stage: s("stage"),
                    }
                })
                .collect()
        });
    DeniedError {
        message: e
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        path,
        failed_actions,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::scenario::load::wire_length;
    use serde_json::json;

    #[test]
    fn encoded_lengths_match_the_scenarios_wire_length() {
        let vars = json!({"a": [1, "x y"]});
        for m in [Method::Post, Method::Get] {
            for (v, n) in [(None, None), (Some(&vars), Some("Op"))] {
                let q = "query Op($a: [String]) { posts(where: {title: \"é&=\"}) { id } }";
                let e = Envelope::encode(m, q, v, n, None);
                assert_eq!(e.len(), wire_length(m, q, v, n), "{m:?}");
                let padded = Envelope::encode(m, q, v, n, Some(81_921));
                assert_eq!(padded.len(), 81_921);
            }
        }
    }

    #[test]
    fn padded_bodies_stay_valid_json() {
        let Envelope::Post(b) = Envelope::encode(Method::Post, "{ a }", None, None, Some(500))
        else {
            panic!()
        };
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["query"], "{ a }");
    }

    #[test]
    fn responses_decode_by_status() {
        let ok = decode(200, br#"{"data":{"posts":[]}}"#, false);
        assert_eq!(
            ok,
            Outcome::Ok {
                data: json!({"posts": []})
            }
        );
        assert_eq!(decode(200, br#"{"data":{}}"#, true), Outcome::Introspection);
        let denied = decode(
            403,
            br#"{"errors":[{"message":"Mutation failed due to permission errors","extensions":{"code":"403","failedActions":[{"action":"create","model":"Post","stage":"DRAFT"}]}}],"data":null}"#,
            false,
        );
        assert_eq!(denied.failed_action_set().len(), 1);
        let read = decode(
            403,
            br#"{"errors":[{"message":"not allowed","extensions":{"code":"403","path":["posts"]}}],"data":null}"#,
            false,
        );
        let Outcome::Denied { errors, .. } = read else {
            panic!()
        };
        assert_eq!(errors[0].path.as_deref(), Some(&["posts".to_string()][..]));
        assert_eq!(decode(404, b"", false), Outcome::NotFound);
        assert_eq!(decode(413, b"", false), Outcome::TooLarge);
        assert_eq!(decode(400, b"{}", false).status(), 400);
        assert_eq!(decode(401, b"{}", false).status(), 401);
        for s in [429, 500, 502, 302] {
            assert!(matches!(
                decode(s, b"oops", false),
                Outcome::Indeterminate { .. }
            ));
        }
        assert!(matches!(
            decode(200, b"not json", false),
            Outcome::Indeterminate { .. }
        ));
        // A 200 with errors is not a conforming 200: it must not compare equal to one.
        let bad = decode(200, br#"{"data":null,"errors":[{"message":"x"}]}"#, false);
        assert_ne!(bad, Outcome::Ok { data: json!(null) });
    }
}
