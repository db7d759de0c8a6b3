//! Scenario files (`scenarios/*.yaml`): a case (project, content, principals, grants) and
//! steps (an operation, a credential, the expected outcome), as strict serde data. Wherever an
//! id goes in a step's query text or variables, `{{created:K}}` names the K-th entry (0-based)
//! created during the replay; each side is sent its own id ([`crate::case::substitute`]).

pub mod load;
pub mod replay;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::spec::EnvSpec;
use crate::op::{Credential, Manage, Method, Outcome};

/// One scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario shows, in a sentence or two.
    pub description: String,
    /// The spec rule ids the scenario exercises (`READ-2`, …).
    pub rules: Vec<String>,
    /// The profile (default `hygraph-2025`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The project id (default `project`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The environments; steps address the first unless they name another.
    pub environments: Vec<EnvSpec>,
    /// The steps, run in order against one state.
    pub steps: Vec<Step>,
}

/// A header value: one line, or several lines of the same header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HeaderValue {
    /// One header line.
    One(String),
    /// Several header lines.
    Many(Vec<String>),
}

impl HeaderValue {
    /// The header lines.
    pub fn lines(&self) -> Vec<String> {
        match self {
            HeaderValue::One(s) => vec![s.clone()],
            HeaderValue::Many(v) => v.clone(),
        }
    }
}

/// One step: a GraphQL request (`query`) or a provisioning call (`manage`), and what the
/// reference must answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A note for the reader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Shorthand for `credential: {type: token, pat: NAME}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The credential in full (default: public).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<Credential>,
    /// The environment addressed (default: the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The project addressed (default: the scenario's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The GraphQL document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// GraphQL variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<serde_json::Value>,
    /// `operationName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_name: Option<String>,
    /// Request headers: `gcms-stage`, `gcms-locales` (names case-insensitive).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, HeaderValue>,
    /// HTTP method (default POST).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Method>,
    /// The body length to simulate (ERR-3), instead of the encoded length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_bytes: Option<usize>,
    /// A provisioning call instead of a query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manage: Option<Manage>,
    /// The outcome the reference must give.
    pub expect: Outcome,
}
