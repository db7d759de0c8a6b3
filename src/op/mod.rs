//! The shared vocabulary of every target: an [`Operation`] (what a client asks) and an
//! [`Outcome`] (what came back, normalized), both serializable.
//!
//! A content request is kept structured (root fields with their arguments and selections, the
//! `gcms-*` headers, the credential) so the reference can judge it without an HTTP layer and the
//! wire layer can encode it as GraphQL text. Normalization for comparison lives in
//! [`compare`](crate::compare).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::model::grant::GrantSpec;

/// What a client asks of one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Operation {
    /// A Content API request (GraphQL over HTTP).
    Request(Request),
    /// A Management API (provisioning) call (§9).
    Manage(Manage),
}

/// The credential a request carries (AUTH-1, AUTH-2, AUTH-3).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Credential {
    /// No `Authorization` header: the public principal.
    #[default]
    Public,
    /// `Authorization: <scheme> <token>` where the token is the named PAT's JWT, possibly altered.
    Token {
        /// The PAT's name in the case.
        pat: String,
        /// How the JWT is altered.
        #[serde(default, skip_serializing_if = "TokenForm::is_valid")]
        form: TokenForm,
        /// The scheme word as written (`Bearer` in any letter case is accepted).
        #[serde(default = "bearer", skip_serializing_if = "is_bearer")]
        scheme: String,
    },
    /// Raw `Authorization` header values (zero, one or several), e.g. `""`, `"Bearer"`, `"Basic x"`.
    Header {
        /// The values, one per header line.
        values: Vec<String>,
    },
}

fn bearer() -> String {
    "Bearer".into()
}

fn is_bearer(s: &String) -> bool {
    s == "Bearer"
}

/// How a token string relates to its PAT's real JWT (AUTH-3, AUTH-4).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenForm {
    /// The JWT as issued.
    #[default]
    Valid,
    /// The same claims re-encoded with another `iss` and signed by the server key (AUTH-4).
    Reencoded,
    /// A byte of the signature changed.
    Tampered,
    /// Signed by a key the server does not have.
    OtherKey,
    /// Not a compact JWS at all.
    Malformed,
    /// Claims changed to name another environment in `aud[0]`, signed by the server key.
    Audience(String),
}

impl TokenForm {
    /// Whether this is the JWT as issued.
    pub fn is_valid(&self) -> bool {
        matches!(self, TokenForm::Valid)
    }
}

/// HTTP method of a content request (ERR-3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `POST` with a JSON body.
    #[default]
    Post,
    /// `GET` with URL query parameters.
    Get,
}

/// Query or mutation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationType {
    /// A query.
    #[default]
    Query,
    /// A mutation.
    Mutation,
}

/// A Content API request, structured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The environment addressed (`None`: the case's first environment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The project addressed (`None`: the case's project); another id is a 404 (ERR-1 step 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The credential.
    #[serde(default, skip_serializing_if = "is_public")]
    pub credential: Credential,
    /// `gcms-stage` header values (each header line one value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stage_header: Vec<String>,
    /// `gcms-locales` header values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locales_header: Vec<String>,
    /// The method.
    #[serde(default, skip_serializing_if = "is_post")]
    pub method: Method,
    /// The body length in bytes as the wire layer sends it (ERR-3), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_bytes: Option<usize>,
    /// Query or mutation.
    #[serde(default)]
    pub operation: OperationType,
    /// The root fields, in document order (fragments already inlined).
    #[serde(default)]
    pub fields: Vec<Selection>,
    /// A document-level problem found while decoding (syntax error, undefined variable,
    /// subscription, several operations without `operationName`, …): a 400 (ERR-1 step 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid: Option<String>,
}

fn is_public(c: &Credential) -> bool {
    matches!(c, Credential::Public)
}

fn is_post(m: &Method) -> bool {
    matches!(m, Method::Post)
}

/// A field of a selection set (a root field or a nested one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// The alias, when one is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The field name (`posts`, `createPost`, `title`, `__typename`, …).
    pub name: String,
    /// Arguments as JSON values (enum values as strings), in the order written. A key present
    /// with `null` is an explicit null; an absent key is an absent argument (CTX-5).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub args: serde_json::Map<String, serde_json::Value>,
    /// The sub-selection (empty for a leaf).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selection: Vec<Selection>,
}

impl Selection {
    /// The response key: the alias, else the name.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

/// Which principal a provisioning call targets: `public`, or `{pat: NAME}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The public Content API of the environment.
    Public,
    /// A PAT, by name.
    Pat(String),
}

/// Written as `public` or `{pat: NAME}` in every format: serde's derived form of a newtype
/// variant becomes a YAML tag (`!pat NAME`), which the derived `Deserialize` of the internally
/// tagged [`Manage`] cannot read back.
impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        match self {
            Target::Public => s.serialize_str("public"),
            Target::Pat(name) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("pat", name)?;
                m.end()
            }
        }
    }
}

/// A Management API call (§9), by names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case", deny_unknown_fields)]
pub enum Manage {
    /// `create…ContentPermission`: refused as a whole by PERM-4.
    CreateGrant {
        /// Environment (`None`: the first).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        environment: Option<String>,
        /// Whose grant.
        target: Target,
        /// The grant; its `id` names it for later calls.
        grant: GrantSpec,
    },
    /// `updateContentPermissionEnabled`.
    SetGrantEnabled {
        /// Environment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        environment: Option<String>,
        /// The grant's id.
        id: String,
        /// The new value.
        enabled: bool,
    },
    /// `deleteContentPermission`.
    DeleteGrant {
        /// Environment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        environment: Option<String>,
        /// The grant's id.
        id: String,
    },
    /// `createPermanentAuthToken`: a new PAT with PERM-5's default grant.
    CreatePat {
        /// Environment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        environment: Option<String>,
        /// Its name.
        name: String,
        /// `defaults.stage`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default_stage: Option<String>,
    },
    /// `deletePermanentAuthToken`: revokes the PAT (AUTH-4, AUTH-5).
    DeletePat {
        /// Environment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        environment: Option<String>,
        /// The PAT's name.
        name: String,
    },
    /// `updatePublicEndpoint(defaults: {stage})`, or a PAT's default stage.
    SetDefaultStage {
        /// Environment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        environment: Option<String>,
        /// Whose.
        target: Target,
        /// The stage.
        stage: String,
    },
}

/// One failed requirement triple of a denied mutation (§7).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailedAction {
    /// Lower-case action name.
    pub action: String,
    /// The model's api id.
    pub model: String,
    /// The requirement's stage.
    pub stage: String,
}

/// One error of a 403 response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeniedError {
    /// `not allowed` or `Mutation failed due to permission errors` (ERR-2).
    pub message: String,
    /// `extensions.path` for READ-1/READ-6 (response keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<String>>,
    /// `extensions.failedActions` for a denied mutation, sorted (§7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_actions: Option<Vec<FailedAction>>,
}

/// What came back, normalized. Non-200 outcomes carry the rule that decided them (reference
/// only; a target's outcome has `rule: None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// 200 with `data`.
    Ok {
        /// The `data` member.
        data: serde_json::Value,
    },
    /// 200 to an introspection query, compared by status only (READ-8).
    Introspection,
    /// 403 (READ-1, READ-6, a denied mutation).
    Denied {
        /// The rule that denied.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
        /// The errors.
        errors: Vec<DeniedError>,
    },
    /// 400 (ERR-1 steps 3, 5, 7).
    Invalid {
        /// The rule that refused.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
        /// Free text (not compared).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        message: String,
    },
    /// 401 `token verification failed: <reason>` (AUTH-2, AUTH-3).
    Unauthenticated {
        /// The rule that refused.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
        /// The reason (not compared beyond the prefix).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// 404: no such project or environment (ERR-1 step 1).
    NotFound,
    /// 413: body over `max_body_bytes` (ERR-3).
    TooLarge,
    /// A provisioning call that succeeded.
    Provisioned,
    /// A provisioning call refused (PERM-4), nothing created.
    Refused {
        /// The rule that refused.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
        /// Why.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        message: String,
    },
    /// 5xx, timeout, transport error, a provisioning window: never agreement, never a divergence.
    Indeterminate {
        /// Why.
        reason: String,
    },
}

impl Outcome {
    /// The outcome as one line of JSON, for messages and comments.
    pub fn compact(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("<unprintable: {e}>"))
    }

    /// The HTTP status this outcome stands for (provisioning outcomes: 200 / 400).
    pub fn status(&self) -> u16 {
        match self {
            Outcome::Ok { .. } | Outcome::Introspection | Outcome::Provisioned => 200,
            Outcome::Denied { .. } => 403,
            Outcome::Invalid { .. } | Outcome::Refused { .. } => 400,
            Outcome::Unauthenticated { .. } => 401,
            Outcome::NotFound => 404,
            Outcome::TooLarge => 413,
            Outcome::Indeterminate { .. } => 0,
        }
    }

    /// The rule id that decided a non-200 outcome, when known.
    pub fn rule(&self) -> Option<&str> {
        match self {
            Outcome::Denied { rule, .. }
            | Outcome::Invalid { rule, .. }
            | Outcome::Unauthenticated { rule, .. }
            | Outcome::Refused { rule, .. } => rule.as_deref(),
            Outcome::NotFound => Some("ERR-1"),
            Outcome::TooLarge => Some("ERR-3"),
            Outcome::Ok { .. }
            | Outcome::Introspection
            | Outcome::Provisioned
            | Outcome::Indeterminate { .. } => None,
        }
    }

    /// A 400 decided by `rule`.
    pub fn invalid(rule: &str, message: impl Into<String>) -> Outcome {
        Outcome::Invalid {
            rule: Some(rule.to_string()),
            message: message.into(),
        }
    }

    /// A 401 decided by `rule`.
    pub fn unauthenticated(rule: &str, reason: impl Into<String>) -> Outcome {
        Outcome::Unauthenticated {
            rule: Some(rule.to_string()),
            reason: reason.into(),
        }
    }

    /// A refused provisioning call.
    pub fn refused(rule: &str, message: impl Into<String>) -> Outcome {
        Outcome::Refused {
            rule: Some(rule.to_string()),
            message: message.into(),
        }
    }

    /// The set of failed actions over all errors (for set comparison).
    pub fn failed_action_set(&self) -> BTreeSet<FailedAction> {
        match self {
            Outcome::Denied { errors, .. } => errors
                .iter()
                .flat_map(|e| e.failed_actions.iter().flatten().cloned())
                .collect(),
            _ => BTreeSet::new(),
        }
    }
}
pub mod graphql;
