//! The Management API's mutations: each root field is first **planned** (its input read and
//! checked against the store: ids, stages, PERM-4 through
//! [`principals::validate_grant`]), all of them before any is **applied**, so that a refused
//! call changes nothing (§9).

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::model::condition::parse::Limits;
use crate::model::grant::{Action, GrantSpec};
use crate::sandbox::manage::directory::{Directory, DirectoryError};
use crate::sandbox::manage::resolve::Node;
use crate::sandbox::principals::{self, Principal, Refusal};
use crate::sandbox::store::EnvKey;

/// A refused call: the input path (`createReadContentPermission.data.model.condition`) and
/// the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct Refused {
    /// Where in the input.
    pub path: String,
    /// Why.
    pub message: String,
}

/// Why planning could not finish.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The call is refused (400, PERM-4 or an unknown id); nothing was changed.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// A lookup failed (500).
    #[error(transparent)]
    Internal(#[from] DirectoryError),
}

/// One planned change.
#[derive(Debug, Clone)]
pub enum Step {
    /// `createPermanentAuthToken`.
    CreatePat {
        /// The environment.
        env: EnvKey,
        /// The name.
        name: String,
        /// `defaults.stage`.
        stage: Option<String>,
    },
    /// `updatePermanentAuthToken`.
    UpdatePat {
        /// The environment.
        env: EnvKey,
        /// The PAT's id.
        id: String,
        /// The new default stage, if given.
        stage: Option<String>,
    },
    /// `deletePermanentAuthToken`.
    DeletePat {
        /// The environment.
        env: EnvKey,
        /// The PAT's id.
        id: String,
    },
    /// `create…ContentPermission`.
    CreateGrant {
        /// The environment.
        env: EnvKey,
        /// Whose.
        principal: Principal,
        /// What.
        spec: GrantSpec,
    },
    /// `updateContentPermissionEnabled`.
    SetEnabled {
        /// The environment.
        env: EnvKey,
        /// The grant's id.
        grant: String,
        /// The new value.
        enabled: bool,
    },
    /// `deleteContentPermission`.
    DeleteGrant {
        /// The environment.
        env: EnvKey,
        /// The grant's id.
        grant: String,
    },
    /// `updatePublicEndpoint`.
    PublicStage {
        /// The environment.
        env: EnvKey,
        /// The public default stage.
        stage: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DefaultsIn {
    stage: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreatePatIn {
    environment_id: String,
    name: String,
    defaults: Option<DefaultsIn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdatePatIn {
    id: String,
    defaults: Option<DefaultsIn>,
}

#[derive(Debug, Deserialize)]
struct IdIn {
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TargetIn {
    kind: String,
    pat_id: Option<String>,
    environment_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ModelIn {
    id: String,
    condition: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrantIn {
    target: TargetIn,
    model: Option<ModelIn>,
    model_id: Option<String>,
    locales: Option<Vec<String>>,
    stages: Option<Vec<String>>,
    from_stages: Option<Vec<String>>,
    to_stages: Option<Vec<String>>,
    enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnabledIn {
    permission_id: String,
    enabled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PermissionIdIn {
    permission_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublicIn {
    environment_id: String,
    defaults: DefaultsIn,
}

/// The action of a `create…ContentPermission` mutation.
fn grant_action(field: &str) -> Option<Action> {
    Some(match field {
        "createReadContentPermission" => Action::Read,
        "createReadVersionContentPermission" => Action::ReadVersions,
        "createCreateContentPermission" => Action::Create,
        "createUpdateContentPermission" => Action::Update,
        "createDeleteContentPermission" => Action::Delete,
        "createPublishContentPermission" => Action::Publish,
        "createUnpublishContentPermission" => Action::Unpublish,
        _ => return None,
    })
}

/// Plans the root fields of one mutation in order, each against the store as the ones before
/// it would leave it (a PAT or grant deleted earlier in the operation is gone).
pub struct Planner<'a> {
    dir: &'a Directory<'a>,
    deleted_pats: HashSet<String>,
    deleted_grants: HashSet<String>,
}

impl<'a> Planner<'a> {
    /// A planner over a directory.
    pub fn new(dir: &'a Directory<'a>) -> Self {
        Planner {
            dir,
            deleted_pats: HashSet::new(),
            deleted_grants: HashSet::new(),
        }
    }

    /// Plans root field `field` (response key `key`) with its coerced arguments `args`.
    pub fn plan(&mut self, key: &str, field: &str, args: &Json) -> Result<Step, PlanError> {
        let data = args.get("data").cloned().unwrap_or(Json::Null);
        let at = |path: &str, message: String| Refused {
            path: format!("{key}.data{path}"),
            message,
        };
        let parse = |e: serde_json::Error| at("", format!("unreadable input: {e}"));
        if let Some(action) = grant_action(field) {
            let input: GrantIn = serde_json::from_value(data).map_err(parse)?;
            return self.plan_grant(key, action, input);
        }
        match field {
            "createPermanentAuthToken" => {
                let input: CreatePatIn = serde_json::from_value(data).map_err(parse)?;
                let env = self.environment(key, ".environmentId", &input.environment_id)?;
                let stage = input.defaults.and_then(|d| d.stage);
                if let Some(s) = &stage {
                    self.check_stage(key, ".defaults.stage", env, s)?;
                }
                Ok(Step::CreatePat {
                    env,
                    name: input.name,
                    stage,
                })
            }
            "updatePermanentAuthToken" => {
                let input: UpdatePatIn = serde_json::from_value(data).map_err(parse)?;
                let env = self.pat(key, ".id", &input.id)?;
                let stage = input.defaults.and_then(|d| d.stage);
                if let Some(s) = &stage {
                    self.check_stage(key, ".defaults.stage", env, s)?;
                }
                Ok(Step::UpdatePat {
                    env,
                    id: input.id,
                    stage,
                })
            }
            "deletePermanentAuthToken" => {
                let input: IdIn = serde_json::from_value(data).map_err(parse)?;
                let env = self.pat(key, ".id", &input.id)?;
                let principal = Principal::Pat(input.id.clone());
                for g in principals::list_grants(self.dir.store, env, &principal)
                    .map_err(DirectoryError::from)?
                {
                    self.deleted_grants.insert(g.id);
                }
                self.deleted_pats.insert(input.id.clone());
                Ok(Step::DeletePat { env, id: input.id })
            }
            "updateContentPermissionEnabled" => {
                let input: EnabledIn = serde_json::from_value(data).map_err(parse)?;
                let env = self.grant(key, &input.permission_id)?;
                Ok(Step::SetEnabled {
                    env,
                    grant: input.permission_id,
                    enabled: input.enabled,
                })
            }
            "deleteContentPermission" => {
                let input: PermissionIdIn = serde_json::from_value(data).map_err(parse)?;
                let env = self.grant(key, &input.permission_id)?;
                self.deleted_grants.insert(input.permission_id.clone());
                Ok(Step::DeleteGrant {
                    env,
                    grant: input.permission_id,
                })
            }
            "updatePublicEndpoint" => {
                let input: PublicIn = serde_json::from_value(data).map_err(parse)?;
                let env = self.environment(key, ".environmentId", &input.environment_id)?;
                let Some(stage) = input.defaults.stage else {
                    return Err(at(".defaults.stage", "a stage is required".into()).into());
                };
                self.check_stage(key, ".defaults.stage", env, &stage)?;
                Ok(Step::PublicStage { env, stage })
            }
            other => Err(Refused {
                path: key.to_string(),
                message: format!("unknown mutation {other}"),
            }
            .into()),
        }
    }

    fn environment(&self, key: &str, path: &str, id: &str) -> Result<EnvKey, Refused> {
        self.dir
            .environment(id)
            .map(|e| e.key)
            .ok_or_else(|| Refused {
                path: format!("{key}.data{path}"),
                message: format!("no environment with id {id:?}"),
            })
    }

    fn check_stage(
        &self,
        key: &str,
        path: &str,
        env: EnvKey,
        stage: &str,
    ) -> Result<(), PlanError> {
        if self.dir.schema(env)?.stage(stage).is_none() {
            return Err(Refused {
                path: format!("{key}.data{path}"),
                message: format!("stage {stage:?} does not exist"),
            }
            .into());
        }
        Ok(())
    }

    fn pat(&self, key: &str, path: &str, id: &str) -> Result<EnvKey, PlanError> {
        let found = if self.deleted_pats.contains(id) {
            None
        } else {
            self.dir.live_pat(id)?
        };
        found.map(|(env, _)| env).ok_or_else(|| {
            Refused {
                path: format!("{key}.data{path}"),
                message: format!("no permanent auth token with id {id:?}"),
            }
            .into()
        })
    }

    fn grant(&self, key: &str, id: &str) -> Result<EnvKey, PlanError> {
        let refuse = |message: String| -> PlanError {
            Refused {
                path: format!("{key}.data.permissionId"),
                message,
            }
            .into()
        };
        if self.deleted_grants.contains(id) {
            return Err(refuse(format!("no content permission with id {id:?}")));
        }
        let found = self.dir.grants_with_id(id)?;
        match found.as_slice() {
            [(env, _)] => Ok(*env),
            [] => Err(refuse(format!("no content permission with id {id:?}"))),
            _ => Err(refuse(format!(
                "content permission id {id:?} is used in several environments"
            ))),
        }
    }

    fn plan_grant(&self, key: &str, action: Action, input: GrantIn) -> Result<Step, PlanError> {
        let at = |path: &str, message: String| -> PlanError {
            Refused {
                path: format!("{key}.data{path}"),
                message,
            }
            .into()
        };
        let t = &input.target;
        let (env, principal) = match t.kind.as_str() {
            "PAT" => {
                let Some(pat_id) = &t.pat_id else {
                    return Err(at(".target.patId", "required for kind PAT".into()));
                };
                let env = self.pat(key, ".target.patId", pat_id)?;
                if let Some(e) = &t.environment_id {
                    if self.environment(key, ".target.environmentId", e)? != env {
                        return Err(at(
                            ".target.environmentId",
                            "the PAT belongs to another environment".into(),
                        ));
                    }
                }
                (env, Principal::Pat(pat_id.clone()))
            }
            "PUBLIC" => {
                let Some(env_id) = &t.environment_id else {
                    return Err(at(
                        ".target.environmentId",
                        "required for kind PUBLIC".into(),
                    ));
                };
                if t.pat_id.is_some() {
                    return Err(at(".target.patId", "not allowed for kind PUBLIC".into()));
                }
                let env = self.environment(key, ".target.environmentId", env_id)?;
                (env, Principal::Public)
            }
            other => return Err(at(".target.kind", format!("unknown kind {other}"))),
        };
        let (model, condition) = match (input.model, input.model_id) {
            (Some(m), _) => (Some(m.id), m.condition),
            (None, id) => (id, None),
        };
        let spec = GrantSpec {
            id: None,
            action,
            model,
            condition,
            locales: input.locales,
            stages: input.stages,
            from_stages: input.from_stages,
            to_stages: input.to_stages,
            enabled: input.enabled.unwrap_or(true),
        };
        let schema = self.dir.schema(env)?;
        if let Err(r) = principals::validate_grant(schema, &spec, &Limits::SPEC) {
            let model_path = if action == Action::ReadVersions {
                ".modelId"
            } else {
                ".model.id"
            };
            let path = match &r {
                Refusal::Condition(_) => ".model.condition".to_string(),
                Refusal::ConditionWithoutModel => ".model".to_string(),
                Refusal::UnknownModel(_) => model_path.to_string(),
                Refusal::UnknownStage { list, .. } | Refusal::StagesNotTaken { list, .. } => {
                    format!(".{list}")
                }
                Refusal::UnknownLocale(_) => ".locales".to_string(),
                Refusal::ReadVersionsScoped | Refusal::DuplicateId(_) => String::new(),
            };
            return Err(at(&path, r.to_string()));
        }
        Ok(Step::CreateGrant {
            env,
            principal,
            spec,
        })
    }
}

/// Applies a planned step and returns its payload.
pub fn apply(dir: &Directory<'_>, step: Step) -> Result<Node, DirectoryError> {
    let store = dir.store;
    let payload = |t: &'static str, field: &'static str, node: Node| {
        Ok(Node::Payload(t, vec![(field, node)]))
    };
    match step {
        Step::CreatePat { env, name, stage } => {
            let pat = principals::create_pat(store, env, &name, stage.as_deref())?;
            dir.pat_token(env, &pat)?;
            payload(
                "CreatePermanentAuthTokenPayload",
                "createdPermanentAuthToken",
                Node::Pat(env, pat),
            )
        }
        Step::UpdatePat { env, id, stage } => {
            if let Some(s) = &stage {
                principals::set_default_stage(store, env, &Principal::Pat(id.clone()), s)?;
            }
            let pat = principals::pats(store, env)?
                .into_iter()
                .find(|p| p.id == id)
                .ok_or_else(|| principals::PrincipalError::UnknownPat(id.clone()))?;
            payload(
                "UpdatePermanentAuthTokenPayload",
                "updatedPermanentAuthToken",
                Node::Pat(env, pat),
            )
        }
        Step::DeletePat { env, id } => {
            principals::delete_pat(store, env, &id)?;
            payload(
                "DeletePermanentAuthTokenPayload",
                "deletedPermanentAuthTokenId",
                Node::Id(id),
            )
        }
        Step::CreateGrant {
            env,
            principal,
            spec,
        } => {
            let id = principals::create_grant(store, env, &principal, &spec)?;
            let grant = stored_grant(dir, env, &principal, &id)?;
            payload(
                "CreateContentPermissionPayload",
                "permission",
                Node::Permission(env, grant),
            )
        }
        Step::SetEnabled {
            env,
            grant,
            enabled,
        } => {
            principals::set_grant_enabled(store, env, &grant, enabled)?;
            let (_, g) = dir
                .grants_with_id(&grant)?
                .into_iter()
                .find(|(k, _)| *k == env)
                .ok_or_else(|| principals::PrincipalError::UnknownGrant(grant.clone()))?;
            payload(
                "UpdateContentPermissionPayload",
                "permission",
                Node::Permission(env, g),
            )
        }
        Step::DeleteGrant { env, grant } => {
            principals::delete_grant(store, env, &grant)?;
            payload(
                "DeleteContentPermissionPayload",
                "deletedContentPermissionId",
                Node::Id(grant),
            )
        }
        Step::PublicStage { env, stage } => {
            principals::set_default_stage(store, env, &Principal::Public, &stage)?;
            payload(
                "UpdatePublicEndpointPayload",
                "environment",
                Node::Environment(env),
            )
        }
    }
}

fn stored_grant(
    dir: &Directory<'_>,
    env: EnvKey,
    principal: &Principal,
    id: &str,
) -> Result<principals::StoredGrant, DirectoryError> {
    principals::list_grants(dir.store, env, principal)?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or_else(|| principals::PrincipalError::UnknownGrant(id.to_string()).into())
}
