//! A client of the Management-API subset of spec §9: reading an environment's ids, creating
//! and deleting PATs, creating, enabling, disabling and deleting content permissions, and
//! setting default stages. The same calls provision a real Hygraph project and the sandbox.
//!
//! Management ids of models, stages and locales are looked up once per environment through
//! `contentModel` and mapped from api ids ([`EnvironmentIds`]); a name the environment lacks is
//! sent as given, so the server refuses it (PERM-4) as it would any unknown id.

use std::collections::HashMap;
use std::time::Duration;

use graphql_client::{GraphQLQuery, QueryBody};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::model::grant::{Action, GrantSpec};

/// The client's operations (`graphql/management-client.graphql`), typed by `graphql_client`
/// from the schema the sandbox serves (`graphql/management.graphql`): a query that does not
/// fit the schema does not compile.
pub mod ops {
    #![allow(missing_docs, clippy::all)]
    use graphql_client::GraphQLQuery;

    /// The schema's `ID` scalar.
    pub type ID = String;

    macro_rules! operations {
        ($($name:ident),* $(,)?) => {$(
            #[derive(GraphQLQuery)]
            #[graphql(
                schema_path = "graphql/management.graphql",
                query_path = "graphql/management-client.graphql",
                response_derives = "Debug"
            )]
            pub struct $name;
        )*};
    }
    operations!(
        Environment,
        CreatePat,
        DeletePat,
        SetPatDefaultStage,
        SetPublicDefaultStage,
        SetGrantEnabled,
        DeleteGrant,
        CreateReadGrant,
        CreateReadVersionGrant,
        CreateCreateGrant,
        CreateUpdateGrant,
        CreateDeleteGrant,
        CreatePublishGrant,
        CreateUnpublishGrant,
    );
}

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
    fn stage(&self, api_id: &str) -> String {
        Self::map(&self.stages, api_id).to_string()
    }
    fn stage_list(&self, list: &Option<Vec<String>>) -> Option<Value> {
        list.as_ref()
            .map(|l| Value::Array(l.iter().map(|s| Value::String(self.stage(s))).collect()))
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

    /// Sends one operation (its text and name from [`ops`]) with `variables`, and decodes its
    /// `data` as `D`.
    async fn post<V: Serialize, D: DeserializeOwned>(
        &self,
        body: QueryBody<V>,
    ) -> Result<D, ManageError> {
        let transport = |e: reqwest::Error| ManageError::Transport {
            url: self.url.clone(),
            message: e.to_string(),
        };
        let resp = self
            .http
            .post(&self.url)
            .bearer_auth(&self.bearer)
            .timeout(CALL_TIMEOUT)
            .json(&body)
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
            200 if body.get("errors").is_none_or(Value::is_null) => {
                let data = body
                    .get("data")
                    .cloned()
                    .ok_or_else(|| ManageError::Protocol("a 200 without `data`".into()))?;
                serde_json::from_value(data).map_err(|e| {
                    ManageError::Protocol(format!("`{}` answered: {e}", body_name(&body)))
                })
            }
            200 | 400 => Err(ManageError::Refused(message())),
            _ => Err(ManageError::Status {
                status,
                message: message(),
            }),
        }
    }

    /// Sends the typed operation `Q`.
    async fn run<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
    ) -> Result<Q::ResponseData, ManageError> {
        self.post(Q::build_query(variables)).await
    }

    /// The ids of environment `name` of project `project`.
    pub async fn environment(
        &self,
        project: &str,
        name: &str,
    ) -> Result<EnvironmentIds, ManageError> {
        let data = self
            .run::<ops::Environment>(ops::environment::Variables {
                project: project.to_string(),
                name: name.to_string(),
            })
            .await?;
        let env = data
            .viewer
            .project
            .and_then(|p| p.environment)
            .ok_or_else(|| {
                ManageError::Refused(format!("project {project:?} has no environment {name:?}"))
            })?;
        let model = env.content_model;
        Ok(EnvironmentIds {
            id: env.id,
            endpoint: env.endpoint,
            models: model.models.into_iter().map(|m| (m.api_id, m.id)).collect(),
            stages: model.stages.into_iter().map(|s| (s.api_id, s.id)).collect(),
            locales: model
                .locales
                .into_iter()
                .map(|l| (l.api_id, l.id))
                .collect(),
        })
    }

    /// `createPermanentAuthToken`: the PAT holds PERM-5's default grant until it is deleted.
    pub async fn create_pat(
        &self,
        env: &EnvironmentIds,
        name: &str,
        default_stage: Option<&str>,
    ) -> Result<CreatedPat, ManageError> {
        use ops::create_pat::{CreatePermanentAuthTokenInput, PermanentAuthTokenDefaultsInput};
        let data = self
            .run::<ops::CreatePat>(ops::create_pat::Variables {
                data: CreatePermanentAuthTokenInput {
                    environment_id: env.id.clone(),
                    name: name.to_string(),
                    description: None,
                    defaults: default_stage.map(|s| PermanentAuthTokenDefaultsInput {
                        stage: Some(env.stage(s)),
                    }),
                },
            })
            .await?;
        let pat = data
            .create_permanent_auth_token
            .created_permanent_auth_token;
        Ok(CreatedPat {
            id: pat.id,
            token: pat.token,
        })
    }

    /// `deletePermanentAuthToken` (revocation, AUTH-4).
    pub async fn delete_pat(&self, id: &str) -> Result<(), ManageError> {
        self.run::<ops::DeletePat>(ops::delete_pat::Variables { id: id.to_string() })
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
        self.run::<ops::SetPatDefaultStage>(ops::set_pat_default_stage::Variables {
            id: id.to_string(),
            stage: env.stage(stage),
        })
        .await
        .map(drop)
    }

    /// `updatePublicEndpoint(data: {environmentId, defaults: {stage}})`.
    pub async fn set_public_default_stage(
        &self,
        env: &EnvironmentIds,
        stage: &str,
    ) -> Result<(), ManageError> {
        self.run::<ops::SetPublicDefaultStage>(ops::set_public_default_stage::Variables {
            environment: env.id.clone(),
            stage: env.stage(stage),
        })
        .await
        .map(drop)
    }

    /// `create<Action>ContentPermission`: returns the new permission's id. A grant that PERM-4
    /// refuses is [`ManageError::Refused`] and creates nothing.
    ///
    /// The input is built as JSON rather than through the generated input types: a harness
    /// asks for PERM-4's refusals with inputs those types cannot hold (a condition without a
    /// model, locales on READ_VERSIONS), and the server, not this client, must refuse them.
    pub async fn create_grant(
        &self,
        env: &EnvironmentIds,
        target: &GrantTarget,
        spec: &GrantSpec,
    ) -> Result<String, ManageError> {
        let variables = json!({"data": Value::Object(grant_input(env, target, spec))});
        /// Sends creation `$op` and reads the id at `$field`.
        macro_rules! create {
            ($op:ident, $field:ident) => {{
                let data: ops::$op::ResponseData = self
                    .post(QueryBody {
                        variables,
                        query: ops::$op::QUERY,
                        operation_name: ops::$op::OPERATION_NAME,
                    })
                    .await?;
                data.$field.permission.id
            }};
        }
        Ok(match spec.action {
            Action::Read => create!(create_read_grant, create_read_content_permission),
            Action::ReadVersions => {
                create!(
                    create_read_version_grant,
                    create_read_version_content_permission
                )
            }
            Action::Create => create!(create_create_grant, create_create_content_permission),
            Action::Update => create!(create_update_grant, create_update_content_permission),
            Action::Delete => create!(create_delete_grant, create_delete_content_permission),
            Action::Publish => create!(create_publish_grant, create_publish_content_permission),
            Action::Unpublish => {
                create!(create_unpublish_grant, create_unpublish_content_permission)
            }
        })
    }

    /// `updateContentPermissionEnabled` (PERM-1).
    pub async fn set_grant_enabled(&self, id: &str, enabled: bool) -> Result<(), ManageError> {
        self.run::<ops::SetGrantEnabled>(ops::set_grant_enabled::Variables {
            id: id.to_string(),
            enabled,
        })
        .await
        .map(drop)
    }

    /// `deleteContentPermission`.
    pub async fn delete_grant(&self, id: &str) -> Result<(), ManageError> {
        self.run::<ops::DeleteGrant>(ops::delete_grant::Variables { id: id.to_string() })
            .await
            .map(drop)
    }
}

/// The `data` input of `create<Action>ContentPermission` for `spec`.
fn grant_input(env: &EnvironmentIds, target: &GrantTarget, spec: &GrantSpec) -> Map<String, Value> {
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
    data
}

/// The operation a GraphQL answer was for, for error messages: its first `data` key.
fn body_name(body: &Value) -> String {
    body.get("data")
        .and_then(Value::as_object)
        .and_then(|d| d.keys().next().cloned())
        .unwrap_or_default()
}
