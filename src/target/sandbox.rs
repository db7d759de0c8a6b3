//! The admin surface of a sandbox server, client side: bulk-loading a project (schema, content
//! and principals in one call), dropping it, re-signing a token for the harness's AUTH-3/AUTH-4
//! forms, and the [`ManagementClient`] of its Management-API subset. All calls carry the
//! server's admin secret.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::model::spec::EnvSpec;
use crate::wire::manage::ManagementClient;

/// Why an admin call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdminError {
    /// The server refused the input (a 4xx), with its message.
    #[error("the sandbox refused {what}: HTTP {status}: {message}")]
    Refused {
        /// The call.
        what: &'static str,
        /// The status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The call did not complete, or the answer was not understood.
    #[error("sandbox admin call {what} failed: {message}")]
    Failed {
        /// The call.
        what: &'static str,
        /// Why.
        message: String,
    },
}

/// A PAT the bulk load created.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LoadedPat {
    /// Its name in the case.
    pub name: String,
    /// Its management id.
    pub id: String,
    /// Its token (a secret).
    pub token: String,
}

/// An environment the bulk load created.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LoadedEnvironment {
    /// Its name.
    pub name: String,
    /// Its management id.
    pub id: String,
    /// Its content endpoint.
    pub endpoint: String,
    /// Its PATs, in the case's order.
    #[serde(default)]
    pub pats: Vec<LoadedPat>,
    /// The server's id of each grant the case named.
    #[serde(default)]
    pub grants: Vec<LoadedGrant>,
}

/// A grant the case named (`GrantSpec::id`) and the server's id for it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LoadedGrant {
    /// The case's name for it.
    pub case_id: String,
    /// The server's id.
    pub id: String,
}

/// What a bulk load created.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LoadedProject {
    /// The project id.
    pub project: String,
    /// Its environments, in the case's order.
    pub environments: Vec<LoadedEnvironment>,
}

/// A sandbox server's admin surface.
#[derive(Debug, Clone)]
pub struct SandboxAdmin {
    http: reqwest::Client,
    base: String,
    secret: String,
}

impl SandboxAdmin {
    /// The admin surface of the sandbox at `base` (`http://127.0.0.1:PORT`, no trailing `/`).
    pub fn new(http: reqwest::Client, base: impl Into<String>, secret: impl Into<String>) -> Self {
        SandboxAdmin {
            http,
            base: base.into().trim_end_matches('/').to_string(),
            secret: secret.into(),
        }
    }

    /// The server's origin.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The HTTP client.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The content endpoint of a project's environment.
    pub fn content_url(&self, project: &str, environment: &str) -> String {
        format!("{}/v2/{project}/{environment}", self.base)
    }

    /// The Management-API client of this server.
    pub fn management(&self) -> ManagementClient {
        ManagementClient::new(
            self.http.clone(),
            format!("{}/management/graphql", self.base),
            self.secret.clone(),
        )
    }

    async fn send(
        &self,
        what: &'static str,
        req: reqwest::RequestBuilder,
    ) -> Result<(u16, Value), AdminError> {
        let failed = |e: reqwest::Error| AdminError::Failed {
            what,
            message: e.to_string(),
        };
        let resp = req.bearer_auth(&self.secret).send().await.map_err(failed)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(failed)?;
        let body: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| AdminError::Failed {
                what,
                message: format!("HTTP {status}, body is not JSON: {e}"),
            })?
        };
        if (200..300).contains(&status) {
            Ok((status, body))
        } else {
            let message = body
                .pointer("/errors/0/message")
                .and_then(Value::as_str)
                .unwrap_or("no message")
                .to_string();
            if (400..500).contains(&status) {
                Err(AdminError::Refused {
                    what,
                    status,
                    message,
                })
            } else {
                Err(AdminError::Failed {
                    what,
                    message: format!("HTTP {status}: {message}"),
                })
            }
        }
    }

    /// `POST /sandbox/projects`: creates `project` with its environments, content and
    /// principals, all or nothing, and its page sizes `(default, max)` (READ-3).
    pub async fn load_project(
        &self,
        project: &str,
        environments: &[EnvSpec],
        (page_default, page_max): (usize, usize),
    ) -> Result<LoadedProject, AdminError> {
        let what = "the project load";
        let (_, body) = self
            .send(
                what,
                self.http
                    .post(format!("{}/sandbox/projects", self.base))
                    .json(&json!({
                        "project": project,
                        "environments": environments,
                        "pagination": {"default": page_default, "max": page_max},
                    })),
            )
            .await?;
        serde_json::from_value(body).map_err(|e| AdminError::Failed {
            what,
            message: format!("unexpected answer: {e}"),
        })
    }

    /// `DELETE /sandbox/projects/{id}`.
    pub async fn delete_project(&self, project: &str) -> Result<(), AdminError> {
        self.send(
            "the project deletion",
            self.http
                .delete(format!("{}/sandbox/projects/{project}", self.base)),
        )
        .await
        .map(drop)
    }

    /// `POST /sandbox/tokens`: the same claims with `iss` replaced and/or `aud[0]` pointed at
    /// another environment of the same project, signed by the server's key (AUTH-4's
    /// re-encoding, AUTH-3's other environment).
    pub async fn forge(
        &self,
        token: &str,
        issuer: Option<&str>,
        environment: Option<&str>,
    ) -> Result<String, AdminError> {
        let what = "a token re-encoding";
        let mut body = json!({"token": token});
        if let Some(i) = issuer {
            body["issuer"] = json!(i);
        }
        if let Some(e) = environment {
            body["environment"] = json!(e);
        }
        let (_, out) = self
            .send(
                what,
                self.http
                    .post(format!("{}/sandbox/tokens", self.base))
                    .json(&body),
            )
            .await?;
        out.get("token")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| AdminError::Failed {
                what,
                message: "no token in the answer".into(),
            })
    }
}
