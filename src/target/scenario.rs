//! Replaying a scenario over HTTP against a sandbox server: its project is bulk-loaded under a
//! fresh project id, each `manage` step becomes a Management-API call and each `query` step a
//! real request (method, body or URL, `Authorization` and `gcms-*` headers, a body padded to
//! `body_bytes`), whose response is decoded ([`wire::decode`](crate::wire::decode)) and compared
//! with the step's `expect` by [`compare`] in [`Mode::Target`] (rule ids are the reference's
//! business, not a target's), after the same normalization as the reference's replay.
//!
//! The harness's token forms (AUTH-3, AUTH-4): `reencoded` and `audience` are re-signed by the
//! server's key through its admin surface; `tampered` changes a character of the signature;
//! `other_key` re-signs the claims with a key of the harness's own; `malformed` is not a JWS.

use std::collections::HashMap;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::compare::{compare, Mode};
use crate::model::grant::GrantSpec;
use crate::normalize::Normalizer;
use crate::op::{Credential, Manage, Operation, Outcome, Target, TokenForm};
use crate::sandbox::token::{issue, KeyRing, PatClaims};
use crate::scenario::load::Loaded;
use crate::scenario::replay::{FileReport, StepReport};
use crate::scenario::Step;
use crate::target::sandbox::{AdminError, LoadedProject, SandboxAdmin};
use crate::wire::manage::{EnvironmentIds, GrantTarget, ManageError};
use crate::wire::{decode, is_introspection, Envelope, MAX_RESPONSE_BYTES};

/// How long one content request may take before it is indeterminate.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The issuer a re-encoded token is given (AUTH-4: any other `iss` is the same PAT).
const REENCODED_ISSUER: &str = "https://reencoded.tollgate.invalid/";

/// A PAT known to the replay: its environment, management id and token.
#[derive(Debug, Clone)]
struct KnownPat {
    id: String,
    token: String,
}

/// One scenario's replay state against one server.
struct Replay<'a> {
    admin: &'a SandboxAdmin,
    project: String,
    first_env: String,
    pats: HashMap<String, KnownPat>,
    grants: HashMap<String, String>,
    env_ids: HashMap<String, EnvironmentIds>,
    other_key: Option<KeyRing>,
}

/// Replays `loaded` against the sandbox behind `admin`, under project id `project` (which must
/// not exist there yet). An `Err` is a harness failure (the project could not be loaded);
/// every step's outcome, indeterminate ones included, is in the report.
pub async fn replay(
    admin: &SandboxAdmin,
    loaded: &Loaded,
    project: &str,
) -> Result<FileReport, AdminError> {
    let created: LoadedProject = admin
        .load_project(project, &loaded.scenario.environments)
        .await?;
    let mut r = Replay {
        admin,
        project: project.to_string(),
        first_env: loaded
            .scenario
            .environments
            .first()
            .map(|e| e.name.clone())
            .unwrap_or_default(),
        pats: HashMap::new(),
        grants: HashMap::new(),
        env_ids: HashMap::new(),
        other_key: None,
    };
    for env in &created.environments {
        for p in &env.pats {
            r.pats.insert(
                p.name.clone(),
                KnownPat {
                    id: p.id.clone(),
                    token: p.token.clone(),
                },
            );
        }
    }
    // The sandbox keeps the ids a bulk load gives grants (GrantSpec::id).
    for env in &loaded.scenario.environments {
        let all = env
            .public
            .grants
            .iter()
            .chain(env.pats.iter().flat_map(|p| p.grants.iter()));
        for g in all {
            if let Some(id) = &g.id {
                r.grants.insert(id.clone(), id.clone());
            }
        }
    }
    let latest = loaded
        .state
        .environments
        .iter()
        .map(|e| e.content.latest_timestamp)
        .max()
        .unwrap_or(0);
    let normalizer = Normalizer::new(loaded.state.profile.page_default, latest);
    let mut steps = Vec::new();
    for (index, (step, op)) in loaded
        .scenario
        .steps
        .iter()
        .zip(&loaded.operations)
        .enumerate()
    {
        let observed = match op {
            Operation::Manage(m) => r.manage(m).await,
            Operation::Request(req) => r.request(step, is_introspection(&req.fields)).await,
        };
        let verdict = match op {
            Operation::Request(req) => compare(
                &normalizer.outcome(req, &step.expect, false),
                &normalizer.outcome(req, &observed, true),
                Mode::Target,
            ),
            Operation::Manage(_) => compare(&step.expect, &observed, Mode::Target),
        };
        steps.push(StepReport {
            index,
            line: loaded.step_lines.get(index).copied().flatten(),
            note: step.note.clone(),
            expected: step.expect.clone(),
            observed,
            verdict,
        });
    }
    Ok(FileReport {
        file: loaded.file.display().to_string(),
        rules: loaded.scenario.rules.clone(),
        steps,
    })
}

fn indeterminate(why: impl std::fmt::Display) -> Outcome {
    Outcome::Indeterminate {
        reason: why.to_string(),
    }
}

impl Replay<'_> {
    async fn env_ids(&mut self, env: Option<&str>) -> Result<EnvironmentIds, ManageError> {
        let name = env.unwrap_or(&self.first_env).to_string();
        if let Some(ids) = self.env_ids.get(&name) {
            return Ok(ids.clone());
        }
        let ids = self
            .admin
            .management()
            .environment(&self.project, &name)
            .await?;
        self.env_ids.insert(name, ids.clone());
        Ok(ids)
    }

    fn pat_id(&self, name: &str) -> String {
        // An unknown name is sent as given: the server refuses it.
        self.pats
            .get(name)
            .map_or_else(|| name.to_string(), |p| p.id.clone())
    }

    async fn manage(&mut self, m: &Manage) -> Outcome {
        match self.manage_call(m).await {
            Ok(()) => Outcome::Provisioned,
            Err(ManageError::Refused(message)) => Outcome::Refused {
                rule: None,
                message,
            },
            Err(e) => indeterminate(e),
        }
    }

    async fn manage_call(&mut self, m: &Manage) -> Result<(), ManageError> {
        let client = self.admin.management();
        match m {
            Manage::CreateGrant {
                environment,
                target,
                grant,
            } => {
                let env = self.env_ids(environment.as_deref()).await?;
                let target = match target {
                    Target::Public => GrantTarget::Public,
                    Target::Pat(name) => GrantTarget::Pat(self.pat_id(name)),
                };
                let spec = GrantSpec {
                    id: None,
                    ..grant.clone()
                };
                let id = client.create_grant(&env, &target, &spec).await?;
                if let Some(case_id) = &grant.id {
                    self.grants.insert(case_id.clone(), id);
                }
                Ok(())
            }
            Manage::SetGrantEnabled { id, enabled, .. } => {
                let id = self.grants.get(id).cloned().unwrap_or_else(|| id.clone());
                client.set_grant_enabled(&id, *enabled).await
            }
            Manage::DeleteGrant { id, .. } => {
                let id = self.grants.get(id).cloned().unwrap_or_else(|| id.clone());
                client.delete_grant(&id).await
            }
            Manage::CreatePat {
                environment,
                name,
                default_stage,
            } => {
                let env = self.env_ids(environment.as_deref()).await?;
                let created = client
                    .create_pat(&env, name, default_stage.as_deref())
                    .await?;
                self.pats.insert(
                    name.clone(),
                    KnownPat {
                        id: created.id,
                        token: created.token,
                    },
                );
                Ok(())
            }
            Manage::DeletePat { name, .. } => client.delete_pat(&self.pat_id(name)).await,
            Manage::SetDefaultStage {
                environment,
                target,
                stage,
            } => {
                let env = self.env_ids(environment.as_deref()).await?;
                match target {
                    Target::Public => client.set_public_default_stage(&env, stage).await,
                    Target::Pat(name) => {
                        client
                            .set_pat_default_stage(&env, &self.pat_id(name), stage)
                            .await
                    }
                }
            }
        }
    }

    /// The token string a credential form stands for.
    async fn token(&mut self, pat: &str, form: &TokenForm) -> Result<String, String> {
        let known = self
            .pats
            .get(pat)
            .ok_or_else(|| format!("no token known for PAT {pat:?}"))?
            .token
            .clone();
        match form {
            TokenForm::Valid => Ok(known),
            TokenForm::Reencoded => self
                .admin
                .forge(&known, Some(REENCODED_ISSUER), None)
                .await
                .map_err(|e| e.to_string()),
            TokenForm::Audience(env) => self
                .admin
                .forge(&known, None, Some(env))
                .await
                .map_err(|e| e.to_string()),
            TokenForm::Tampered => Ok(tamper(&known)),
            TokenForm::Malformed => Ok("not-a-jwt".to_string()),
            TokenForm::OtherKey => {
                let payload = known
                    .split('.')
                    .nth(1)
                    .ok_or("the token is not a compact JWS")?;
                let bytes = URL_SAFE_NO_PAD
                    .decode(payload)
                    .map_err(|e| format!("token payload: {e}"))?;
                let claims: PatClaims =
                    serde_json::from_slice(&bytes).map_err(|e| format!("token claims: {e}"))?;
                if self.other_key.is_none() {
                    self.other_key = Some(KeyRing::generate().map_err(|e| e.to_string())?);
                }
                let keys = self.other_key.as_ref().ok_or("no harness key")?;
                issue(keys, &claims)
                    .map(|t| t.into_exposed())
                    .map_err(|e| e.to_string())
            }
        }
    }

    async fn request(&mut self, step: &Step, introspection: bool) -> Outcome {
        let credential = match (&step.token, &step.credential) {
            (Some(pat), _) => Credential::Token {
                pat: pat.clone(),
                form: TokenForm::Valid,
                scheme: "Bearer".into(),
            },
            (None, Some(c)) => c.clone(),
            (None, None) => Credential::Public,
        };
        let authorization: Vec<String> = match &credential {
            Credential::Public => Vec::new(),
            Credential::Header { values } => values.clone(),
            Credential::Token { pat, form, scheme } => match self.token(pat, form).await {
                Ok(t) => vec![format!("{scheme} {t}")],
                Err(e) => return indeterminate(format!("harness: {e}")),
            },
        };
        let project = step.project.as_deref().unwrap_or(&self.project);
        let env = step.environment.as_deref().unwrap_or(&self.first_env);
        let url = self.admin.content_url(project, env);
        let method = step.method.unwrap_or_default();
        let envelope = Envelope::encode(
            method,
            step.query.as_deref().unwrap_or_default(),
            step.variables.as_ref(),
            step.operation_name.as_deref(),
            step.body_bytes,
        );
        let http = self.admin.http();
        let mut req = match envelope {
            Envelope::Post(body) => http
                .post(&url)
                .header("content-type", "application/json")
                .body(body),
            Envelope::Get(q) => http.get(format!("{url}?{q}")),
        };
        req = req.timeout(REQUEST_TIMEOUT);
        for v in &authorization {
            req = req.header("authorization", v);
        }
        for (name, value) in &step.headers {
            for line in value.lines() {
                req = req.header(name.as_str(), line);
            }
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return indeterminate(format!("transport: {e}")),
        };
        let status = resp.status().as_u16();
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
        {
            return indeterminate(format!("HTTP {status}: response too large"));
        }
        match resp.bytes().await {
            Ok(body) => decode(status, &body, introspection),
            Err(e) => indeterminate(format!("HTTP {status}: reading the body: {e}")),
        }
    }
}

/// The token with the first character of its signature changed (still base64url).
fn tamper(token: &str) -> String {
    match token.rfind('.') {
        Some(i) if i + 1 < token.len() => {
            let mut out = token.to_string();
            let c = if token[i + 1..].starts_with('A') {
                "B"
            } else {
                "A"
            };
            out.replace_range(i + 1..i + 2, c);
            out
        }
        _ => format!("{token}A"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn tampering_changes_only_the_signature() {
        let t = "aaa.bbb.Ccc";
        let x = tamper(t);
        assert_ne!(x, t);
        assert!(x.starts_with("aaa.bbb."));
        assert_eq!(x.len(), t.len());
        assert_eq!(tamper("aaa.bbb.Acc"), "aaa.bbb.Bcc");
    }
}
