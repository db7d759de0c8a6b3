//! A client of the Management-API subset of spec §9: reading an environment's ids, creating
//! and deleting PATs, creating, enabling, disabling and deleting content permissions, and
//! setting default stages. The same calls provision a real Hygraph project and the sandbox.
//!
//! Management ids of models, stages and locales are looked up once per environment through
//! `contentModel` and mapped from api ids ([`EnvironmentIds`]); a name the environment lacks is
//! sent as given, so the server refuses it (PERM-4) as it would any unknown id.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::model::grant::{Action, GrantSpec};

/// How long one management call may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a management call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ManageError {
    /// The server refused the call (HTTP 400, or a GraphQL error): nothing was changed.
    #[error("refused: {0}")]
    Refused(String),
    /// The server answered with an unexpected HTTP status.
    #[error("management API answered HTTP {status}: {message}")]
    Status {
        /// The status.
        status: u16,
        /// The first error message, or the start of the body.
        message: String,
    },
    /// The request did not complete (connection refused, timeout, …).
    #[error("management API unreachable at {url}: {message}")]
    Transport {
        /// The URL called.
        url: String,
        /// What failed.
        message: String,
    },
    /// The answer does not have the expected shape.
    #[error("unexpected management API answer: {0}")]
    Protocol(String),
}

/// Who a content permission is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantTarget {
    /// The environment's public Content API.
    Public,
    /// A PAT, by its management id.
    Pat(String),
}

/// An environment's management ids.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnvironmentIds {
    /// The environment's id.
    pub id: String,
    /// Its content endpoint, as the server states it.
    pub endpoint: String,
    /// Model api id → management id.
    pub models: HashMap<String, String>,
    /// Stage api id → management id.
    pub stages: HashMap<String, String>,
    /// Locale api id → management id.
    pub locales: HashMap<String, String>,
}

impl EnvironmentIds {
    fn map<'a>(table: &'a HashMap<String, String>, api_id: &'a str) -> &'a str {
        table.get(api_id).map_or(api_id, String::as_str)
    }
    fn stage(&self, api_id: &str) -> Value {
        Value::String(Self::map(&self.stages, api_id).to_string())
    }
    fn stage_list(&self, list: &Option<Vec<String>>) -> Option<Value> {
        list.as_ref()
            .map(|l| Value::Array(l.iter().map(|s| self.stage(s)).collect()))
    }
}

/// A PAT just created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedPat {
    /// Its management id.
    pub id: String,
    /// Its token (a secret: print it only through [`crate::sandbox::token::redact`]).
    pub token: String,
}

/// A Management-API client: the GraphQL endpoint and the bearer token it sends.
#[derive(Debug, Clone)]
pub struct ManagementClient {
    http: reqwest::Client,
    url: String,
    bearer: String,
}

impl ManagementClient {
    /// A client of the management endpoint `url`, authenticating with `bearer` (the sandbox's
    /// admin secret, or a management token).
    pub fn new(http: reqwest::Client, url: impl Into<String>, bearer: impl Into<String>) -> Self {
        ManagementClient {
            http,
            url: url.into(),
            bearer: bearer.into(),
        }
    }

    /// The endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends one GraphQL operation and returns its `data`.
    pub async fn call(&self, query: &str, variables: Value) -> Result<Value, ManageError> {
        let transport = |e: reqwest::Error| ManageError::Transport {
            url: self.url.clone(),
            message: e.to_string(),
        };
        let resp = self
            .http
            .post(&self.url)
            .bearer_auth(&self.bearer)
            .timeout(CALL_TIMEOUT)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(transport)?;
        let body: Value = serde_json::from_slice(&bytes).map_err(|_| ManageError::Status {
            status,
            message: String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
        })?;
        let message = || {
            body.get("errors")
                .and_then(|e| e.as_array())
                .map(|errors| {
                    errors
                        .iter()
                        .filter_map(|e| e.get("message").and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default()
        };
        match status {
            200 if body.get("errors").is_none_or(Value::is_null) => body
                .get("data")
                .cloned()
                .ok_or_else(|| ManageError::Protocol("a 200 without `data`".into())),
            200 | 400 => Err(ManageError::Refused(message())),
            _ => Err(ManageError::Status {
                status,
                message: message(),
            }),
        }
    }

    /// The ids of environment `name` of project `project`.
    pub async fn environment(
        &self,
        project: &str,
        name: &str,
    ) -> Result<EnvironmentIds, ManageError> {
        let data = self
            .call(
                "query Env($p: ID!, $e: String!) { viewer { project(id: $p) { environment(name: $e) {
                   id endpoint
                   contentModel { models { id apiId } stages { id apiId } locales { id apiId } } } } } }",
                json!({"p": project, "e": name}),
            )
            .await?;
        let env = data
            .pointer("/viewer/project/environment")
            .filter(|v| !v.is_null())
            .ok_or_else(|| {
                ManageError::Refused(format!("project {project:?} has no environment {name:?}"))
            })?;
        let table = |key: &str| -> HashMap<String, String> {
            env.pointer(&format!("/contentModel/{key}"))
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|i| {
                            Some((
                                i.get("apiId")?.as_str()?.to_string(),
                                i.get("id")?.as_str()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(EnvironmentIds {
            id: string_at(env, "/id")?,
            endpoint: string_at(env, "/endpoint")?,
            models: table("models"),
            stages: table("stages"),
            locales: table("locales"),
        })
    }

    /// `createPermanentAuthToken`: the PAT holds PERM-5's default grant until it is deleted.
    pub async fn create_pat(
        &self,
        env: &EnvironmentIds,
        name: &str,
        default_stage: Option<&str>,
    ) -> Result<CreatedPat, ManageError> {
        let mut data = json!({"environmentId": env.id, "name": name});
        if let Some(s) = default_stage {
            data["defaults"] = json!({"stage": env.stage(s)});
        }
        let out = self
            .call(
                "mutation($d: CreatePermanentAuthTokenInput!) { createPermanentAuthToken(data: $d) { createdPermanentAuthToken { id token } } }",
                json!({"d": data}),
            )
            .await?;
        Ok(CreatedPat {
            id: string_at(
                &out,
                "/createPermanentAuthToken/createdPermanentAuthToken/id",
            )?,
            token: string_at(
                &out,
                "/createPermanentAuthToken/createdPermanentAuthToken/token",
            )?,
        })
    }

    /// `deletePermanentAuthToken` (revocation, AUTH-4).
    pub async fn delete_pat(&self, id: &str) -> Result<(), ManageError> {
        self.call(
            "mutation($id: ID!) { deletePermanentAuthToken(data: {id: $id}) { deletedPermanentAuthTokenId } }",
            json!({"id": id}),
        )
        .await
        .map(drop)
    }

    /// `updatePermanentAuthToken(data: {id, defaults: {stage}})`.
    pub async fn set_pat_default_stage(
        &self,
        env: &EnvironmentIds,
        id: &str,
        stage: &str,
    ) -> Result<(), ManageError> {
        self.call(
            "mutation($id: ID!, $s: ID!) { updatePermanentAuthToken(data: {id: $id, defaults: {stage: $s}}) { updatedPermanentAuthToken { id } } }",
            json!({"id": id, "s": env.stage(stage)}),
        )
        .await
        .map(drop)
    }

    /// `updatePublicEndpoint(data: {environmentId, defaults: {stage}})`.
    pub async fn set_public_default_stage(
        &self,
        env: &EnvironmentIds,
        stage: &str,
    ) -> Result<(), ManageError> {
        self.call(
            "mutation($e: ID!, $s: ID!) { updatePublicEndpoint(data: {environmentId: $e, defaults: {stage: $s}}) { environment { id } } }",
            json!({"e": env.id, "s": env.stage(stage)}),
        )
        .await
        .map(drop)
    }

    /// `create<Action>ContentPermission`: returns the new permission's id. A grant that PERM-4
    /// refuses is [`ManageError::Refused`] and creates nothing.
    pub async fn create_grant(
        &self,
        env: &EnvironmentIds,
        target: &GrantTarget,
        spec: &GrantSpec,
    ) -> Result<String, ManageError> {
        let (mutation, input) = grant_call(spec.action);
        let mut data = Map::new();
        data.insert(
            "target".into(),
            match target {
                GrantTarget::Public => json!({"kind": "PUBLIC", "environmentId": env.id}),
                GrantTarget::Pat(id) => json!({"kind": "PAT", "patId": id}),
            },
        );
        if spec.action == Action::ReadVersions {
            if let Some(m) = &spec.model {
                data.insert("modelId".into(), json!(EnvironmentIds::map(&env.models, m)));
            }
            // READ_VERSIONS takes no locales, stages or condition: sending them is how a
            // harness asks for PERM-4's refusal, so pass them on as written.
            if spec.condition.is_some() || spec.locales.is_some() || spec.stages.is_some() {
                data.insert("locales".into(), json!(spec.locales));
                data.insert("stages".into(), json!(spec.stages));
                data.insert("condition".into(), json!(spec.condition));
            }
        } else {
            match (&spec.model, &spec.condition) {
                (Some(m), c) => {
                    let mut model = json!({"id": EnvironmentIds::map(&env.models, m)});
                    if let Some(c) = c {
                        model["condition"] = json!(c);
                    }
                    data.insert("model".into(), model);
                }
                // A condition without a model has no place in the input (PERM-4): sent without
                // an id, the call is refused.
                (None, Some(c)) => {
                    data.insert("model".into(), json!({"condition": c}));
                }
                (None, None) => {}
            }
            if let Some(l) = &spec.locales {
                let ids: Vec<&str> = l
                    .iter()
                    .map(|x| EnvironmentIds::map(&env.locales, x))
                    .collect();
                data.insert("locales".into(), json!(ids));
            }
            for (key, list) in [
                ("stages", &spec.stages),
                ("fromStages", &spec.from_stages),
                ("toStages", &spec.to_stages),
            ] {
                if let Some(v) = env.stage_list(list) {
                    data.insert(key.into(), v);
                }
            }
        }
        if !spec.enabled {
            data.insert("enabled".into(), json!(false));
        }
        let out = self
            .call(
                &format!(
                    "mutation($d: {input}!) {{ {mutation}(data: $d) {{ permission {{ id }} }} }}"
                ),
                json!({"d": Value::Object(data)}),
            )
            .await?;
        string_at(&out, &format!("/{mutation}/permission/id"))
    }

    /// `updateContentPermissionEnabled` (PERM-1).
    pub async fn set_grant_enabled(&self, id: &str, enabled: bool) -> Result<(), ManageError> {
        self.call(
            "mutation($id: ID!, $on: Boolean!) { updateContentPermissionEnabled(data: {permissionId: $id, enabled: $on}) { permission { id } } }",
            json!({"id": id, "on": enabled}),
        )
        .await
        .map(drop)
    }

    /// `deleteContentPermission`.
    pub async fn delete_grant(&self, id: &str) -> Result<(), ManageError> {
        self.call(
            "mutation($id: ID!) { deleteContentPermission(data: {permissionId: $id}) { deletedContentPermissionId } }",
            json!({"id": id}),
        )
        .await
        .map(drop)
    }
}

/// The mutation and input type that create a grant of `action`.
fn grant_call(action: Action) -> (&'static str, &'static str) {
    match action {
        Action::Read => (
            "createReadContentPermission",
            "CreateReadContentPermissionInput",
        ),
        Action::ReadVersions => (
            "createReadVersionContentPermission",
            "CreateReadVersionContentPermissionInput",
        ),
        Action::Create => (
            "createCreateContentPermission",
            "CreateCreateContentPermissionInput",
        ),
        Action::Update => (
            "createUpdateContentPermission",
            "CreateUpdateContentPermissionInput",
        ),
        Action::Delete => (
            "createDeleteContentPermission",
            "CreateDeleteContentPermissionInput",
        ),
        Action::Publish => (
            "createPublishContentPermission",
            "CreatePublishContentPermissionInput",
        ),
        Action::Unpublish => (
            "createUnpublishContentPermission",
            "CreateUnpublishContentPermissionInput",
        ),
    }
}

fn string_at(v: &Value, pointer: &str) -> Result<String, ManageError> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ManageError::Protocol(format!("no string at {pointer}")))
}
