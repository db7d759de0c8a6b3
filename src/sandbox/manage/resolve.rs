//! The Management API's resolvers: one [`Node`] per object of `graphql/management.graphql`, resolved
//! field by field against the store through a [`Directory`] by `apollo-compiler`'s executor.

use std::collections::HashMap;

use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;

use crate::model::grant::{Action, GrantSpec};
use crate::sandbox::manage::directory::{environment_id, Directory, DirectoryError};
use crate::sandbox::principals::{self, Pat, Principal, StoredGrant};
use crate::sandbox::store::EnvKey;

/// One object of the management schema.
#[derive(Debug, Clone)]
pub enum Node {
    /// `Query`.
    Query,
    /// `Viewer`.
    Viewer,
    /// `Project` by id.
    Project(String),
    /// `Environment`.
    Environment(EnvKey),
    /// `ContentModel` of an environment.
    ContentModel(EnvKey),
    /// `Model`: api id and plural.
    Model(String, String),
    /// `Stage`: api id.
    Stage(String),
    /// `Locale`: api id, and whether it is the default.
    Locale(String, bool),
    /// `PermanentAuthToken`.
    Pat(EnvKey, Pat),
    /// `PermanentAuthTokenDefaults` or `PublicContentAPIDefaults`: type name and stage.
    Defaults(&'static str, String),
    /// `PublicContentAPI`.
    Public(EnvKey),
    /// A `…ContentPermission` of an environment.
    Permission(EnvKey, StoredGrant),
    /// A mutation payload: its type name and its fields.
    Payload(&'static str, Vec<(&'static str, Node)>),
    /// An `ID` leaf (in a payload).
    Id(String),
}

/// The type name of a grant's permission object.
pub fn permission_type(action: Action) -> &'static str {
    match action {
        Action::Read => "ReadContentPermission",
        Action::ReadVersions => "ReadVersionContentPermission",
        Action::Create => "CreateContentPermission",
        Action::Update => "UpdateContentPermission",
        Action::Delete => "DeleteContentPermission",
        Action::Publish => "PublishContentPermission",
        Action::Unpublish => "UnpublishContentPermission",
    }
}

/// A node with the directory it is resolved against.
pub struct Obj<'a> {
    /// Where to look things up.
    pub dir: &'a Directory<'a>,
    /// What it is.
    pub node: Node,
}

fn internal(e: DirectoryError) -> FieldError {
    FieldError {
        message: format!("internal error: {e}"),
    }
}

fn pe(e: principals::PrincipalError) -> FieldError {
    internal(DirectoryError::Principals(e))
}

impl<'a> Obj<'a> {
    fn wrap(&self, node: Node) -> ResolvedValue<'a> {
        ResolvedValue::object(Obj {
            dir: self.dir,
            node,
        })
    }

    fn list(&self, nodes: Vec<Node>) -> ResolvedValue<'a> {
        let dir = self.dir;
        ResolvedValue::List(Box::new(
            nodes
                .into_iter()
                .map(move |node| Ok(ResolvedValue::object(Obj { dir, node }))),
        ))
    }

    fn opt_list(&self, names: &Option<Vec<String>>, f: impl Fn(&str) -> Node) -> ResolvedValue<'a> {
        match names {
            None => ResolvedValue::null(),
            Some(list) => self.list(list.iter().map(|n| f(n)).collect()),
        }
    }

    fn permissions(&self, env: EnvKey, who: &Principal) -> Result<ResolvedValue<'a>, FieldError> {
        let grants = principals::list_grants(self.dir.store, env, who).map_err(pe)?;
        Ok(self.list(
            grants
                .into_iter()
                .map(|g| Node::Permission(env, g))
                .collect(),
        ))
    }

    fn locale_node(&self, env: EnvKey, api_id: &str) -> Node {
        let default = self
            .dir
            .schema(env)
            .map(|s| s.locales.first().is_some_and(|l| l == api_id))
            .unwrap_or(false);
        Node::Locale(api_id.to_string(), default)
    }
}

fn str_arg<'i>(info: &'i ResolveInfo<'_>, name: &str) -> Option<&'i str> {
    info.arguments().get(name).and_then(JsonValue::as_str)
}

fn model_node(schema: &crate::model::project::Schema, api_id: &str) -> Node {
    let plural = schema
        .model(api_id)
        .and_then(|m| schema.models.get(m))
        .map(|m| m.plural.clone())
        .unwrap_or_default();
    Node::Model(api_id.to_string(), plural)
}

impl<'a> ObjectValue for Obj<'a> {
    fn type_name(&self) -> &str {
        match &self.node {
            Node::Query => "Query",
            Node::Viewer => "Viewer",
            Node::Project(_) => "Project",
            Node::Environment(_) => "Environment",
            Node::ContentModel(_) => "ContentModel",
            Node::Model(..) => "Model",
            Node::Stage(_) => "Stage",
            Node::Locale(..) => "Locale",
            Node::Pat(..) => "PermanentAuthToken",
            Node::Defaults(t, _) => t,
            Node::Public(_) => "PublicContentAPI",
            Node::Permission(_, g) => permission_type(g.spec.action),
            Node::Payload(t, _) => t,
            Node::Id(_) => "ID",
        }
    }

    fn resolve_field<'b>(
        &'b self,
        info: &'b ResolveInfo<'b>,
    ) -> Result<ResolvedValue<'b>, FieldError> {
        let field = info.field_name();
        let dir = self.dir;
        let leaf = |v: String| Ok(ResolvedValue::leaf(v));
        match (&self.node, field) {
            (Node::Query, "viewer") => Ok(self.wrap(Node::Viewer)),
            (Node::Viewer, "project") => {
                let id = str_arg(info, "id").unwrap_or_default();
                let exists = dir.store.envs().iter().any(|e| e.project == id);
                Ok(if exists {
                    self.wrap(Node::Project(id.to_string()))
                } else {
                    ResolvedValue::null()
                })
            }
            (Node::Project(p), "id") => leaf(p.clone()),
            (Node::Project(p), "environments") => Ok(self.list(
                dir.store
                    .envs()
                    .iter()
                    .filter(|e| &e.project == p)
                    .map(|e| Node::Environment(e.key))
                    .collect(),
            )),
            (Node::Project(p), "defaultPaginationSize" | "maxPaginationSize") => {
                let pages = dir
                    .store
                    .envs()
                    .iter()
                    .find(|e| &e.project == p)
                    .map(|e| e.pagination)
                    .unwrap_or_default();
                let n = if field == "maxPaginationSize" {
                    pages.max
                } else {
                    pages.default
                };
                Ok(ResolvedValue::leaf(n))
            }
            (Node::Project(p), "environment") => {
                let name = str_arg(info, "name").unwrap_or_default();
                Ok(match dir.store.find(p, name) {
                    Some(k) => self.wrap(Node::Environment(k)),
                    None => ResolvedValue::null(),
                })
            }
            (Node::Environment(k), _) => {
                let env = dir
                    .store
                    .env(*k)
                    .map_err(|e| internal(DirectoryError::Store(e)))?;
                match field {
                    "id" => leaf(environment_id(&env.project, &env.name)),
                    "name" => leaf(env.name.clone()),
                    "endpoint" => leaf(dir.endpoint(env)),
                    "contentModel" => Ok(self.wrap(Node::ContentModel(*k))),
                    "permanentAuthTokens" => {
                        let pats = principals::pats(dir.store, *k).map_err(pe)?;
                        Ok(self.list(
                            pats.into_iter()
                                .filter(|p| !p.revoked)
                                .map(|p| Node::Pat(*k, p))
                                .collect(),
                        ))
                    }
                    "publicContentAPI" => Ok(self.wrap(Node::Public(*k))),
                    _ => Err(self.unknown_field_error(info)),
                }
            }
            (Node::ContentModel(k), _) => {
                let schema = dir.schema(*k).map_err(internal)?;
                match field {
                    "models" => Ok(self.list(
                        schema
                            .models
                            .iter()
                            .map(|m| Node::Model(m.api_id.clone(), m.plural.clone()))
                            .collect(),
                    )),
                    "stages" => {
                        Ok(self.list(schema.stages.iter().cloned().map(Node::Stage).collect()))
                    }
                    "locales" => Ok(self.list(
                        schema
                            .locales
                            .iter()
                            .enumerate()
                            .map(|(i, l)| Node::Locale(l.clone(), i == 0))
                            .collect(),
                    )),
                    _ => Err(self.unknown_field_error(info)),
                }
            }
            (Node::Model(id, _), "id" | "apiId") => leaf(id.clone()),
            (Node::Model(_, plural), "pluralApiId") => leaf(plural.clone()),
            (Node::Stage(id), "id" | "apiId") => leaf(id.clone()),
            (Node::Stage(id), "isSystem") => Ok(ResolvedValue::leaf(
                id == crate::model::project::DRAFT || id == crate::model::project::PUBLISHED,
            )),
            (Node::Locale(id, _), "id" | "apiId") => leaf(id.clone()),
            (Node::Locale(_, d), "isDefault") => Ok(ResolvedValue::leaf(*d)),
            (Node::Pat(_, p), "id") => leaf(p.id.clone()),
            (Node::Pat(_, p), "name") => leaf(p.name.clone()),
            (Node::Pat(k, p), "token") => dir.pat_token(*k, p).map_err(internal).and_then(leaf),
            (Node::Pat(_, p), "defaults") => Ok(self.wrap(Node::Defaults(
                "PermanentAuthTokenDefaults",
                p.default_stage.clone(),
            ))),
            (Node::Pat(k, p), "contentPermissions") => {
                self.permissions(*k, &Principal::Pat(p.id.clone()))
            }
            (Node::Defaults(_, s), "stage") => Ok(self.wrap(Node::Stage(s.clone()))),
            (Node::Public(k), "defaults") => {
                let stage =
                    principals::default_stage(dir.store, *k, &Principal::Public).map_err(pe)?;
                Ok(self.wrap(Node::Defaults("PublicContentAPIDefaults", stage)))
            }
            (Node::Public(k), "contentPermissions") => self.permissions(*k, &Principal::Public),
            (Node::Permission(k, g), _) => self.permission_field(*k, g, info),
            (Node::Payload(_, fields), _) => match fields.iter().find(|(n, _)| *n == field) {
                Some((_, Node::Id(id))) => leaf(id.clone()),
                Some((_, node)) => Ok(self.wrap(node.clone())),
                None => Err(self.unknown_field_error(info)),
            },
            _ => Err(self.unknown_field_error(info)),
        }
    }
}

impl<'a> Obj<'a> {
    fn permission_field<'b>(
        &'b self,
        env: EnvKey,
        g: &'b StoredGrant,
        info: &'b ResolveInfo<'b>,
    ) -> Result<ResolvedValue<'b>, FieldError> {
        let spec: &GrantSpec = &g.spec;
        let schema = self.dir.schema(env).map_err(internal)?;
        Ok(match info.field_name() {
            "id" => ResolvedValue::leaf(g.id.clone()),
            "enabled" => ResolvedValue::leaf(spec.enabled),
            "model" => match &spec.model {
                Some(m) => self.wrap(model_node(schema, m)),
                None => ResolvedValue::null(),
            },
            "condition" => match &spec.condition {
                Some(c) => ResolvedValue::leaf(c.clone()),
                None => ResolvedValue::null(),
            },
            "locales" => self.opt_list(&spec.locales, |l| self.locale_node(env, l)),
            "stages" => self.opt_list(&spec.stages, |s| Node::Stage(s.to_string())),
            "fromStages" => self.opt_list(&spec.from_stages, |s| Node::Stage(s.to_string())),
            "toStages" => self.opt_list(&spec.to_stages, |s| Node::Stage(s.to_string())),
            _ => return Err(self.unknown_field_error(info)),
        })
    }
}

/// The root of a mutation's output: each response key's payload, computed before execution.
pub struct MutationOutput<'a> {
    /// Where to look things up.
    pub dir: &'a Directory<'a>,
    /// Payload by response key.
    pub results: HashMap<String, Node>,
}

impl ObjectValue for MutationOutput<'_> {
    fn type_name(&self) -> &str {
        "Mutation"
    }

    fn resolve_field<'b>(
        &'b self,
        info: &'b ResolveInfo<'b>,
    ) -> Result<ResolvedValue<'b>, FieldError> {
        let key = info
            .field_selections()
            .first()
            .map(|f| f.response_key().as_str())
            .unwrap_or_else(|| info.field_name());
        match self.results.get(key) {
            Some(node) => Ok(ResolvedValue::object(Obj {
                dir: self.dir,
                node: node.clone(),
            })),
            None => Err(FieldError {
                message: format!("internal error: no result for {key}"),
            }),
        }
    }
}
