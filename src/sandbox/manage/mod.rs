//! The sandbox's Management API (spec §9): the subset of Hygraph's Management API that
//! provisions Permanent Auth Tokens and content permissions, over GraphQL at
//! `POST /management/graphql` (the server guards it with the admin secret).
//!
//! Requests are parsed and validated by `apollo-compiler` against the fixed SDL of
//! [`SDL`] (`graphql/management.graphql`) and executed by `apollo-compiler`'s executor with this
//! module's resolvers ([`resolve`]) over the store's principals ([`principals`]):
//!
//! - queries: `viewer { project(id) { id defaultPaginationSize maxPaginationSize environments {
//!   id name endpoint } environment(name) {
//!   id name endpoint contentModel { models stages locales } permanentAuthTokens { id name token
//!   defaults { stage } contentPermissions } publicContentAPI { defaults { stage }
//!   contentPermissions } } } }`, with the permission types `ReadContentPermission`, …,
//!   `UnpublishContentPermission` behind `interface ContentPermission { id enabled }`;
//! - mutations: `createPermanentAuthToken` (the new PAT holds PERM-5's default READ grant on all
//!   models, locales and stages), `updatePermanentAuthToken` (its default stage),
//!   `deletePermanentAuthToken` (revocation, AUTH-4, effective on the next request, AUTH-5),
//!   `create{Read,ReadVersion,Create,Update,Delete,Publish,Unpublish}ContentPermission`,
//!   `updateContentPermissionEnabled`, `deleteContentPermission`, `updatePublicEndpoint`.
//!
//! Ids: an environment's id is opaque ([`directory::environment_id`]); a model's, stage's and
//! locale's id is its api id; PAT and grant ids are the store's. A mutation's root fields are
//! all **planned** first ([`plan`]: inputs read, ids looked up, grants checked by PERM-4), then
//! applied in order, so a refused call changes nothing: [`Outcome::Refused`], answered 400
//! `{"errors":[{"message":"<field>.data.<path>: <reason>","extensions":{"code":"400","rule":"PERM-4"}}],"data":null}`.
//! The `token` of a PAT is the string issued when it was created, kept in the store
//! ([`directory::Directory::pat_token`]); `description` is accepted and not stored.

use std::collections::HashMap;

use apollo_compiler::ast::OperationType;
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{ExecutionResponse, JsonMap, JsonValue};
use apollo_compiler::validation::Valid;
use serde_json::Value as Json;

pub mod directory;
pub mod plan;
pub mod resolve;

use crate::sandbox::principals;
use directory::Directory;
use plan::{PlanError, Planner};
use resolve::{MutationOutput, Node, Obj};

/// The management schema (SDL).
pub const SDL: &str = include_str!("../../../graphql/management.graphql");

/// The parser's recursion limit for management documents.
const RECURSION_LIMIT: usize = 200;

/// The management schema could not be built (a bug in [`SDL`]).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the management schema is invalid: {0}")]
pub struct ManageError(String);

/// The answer to one management request.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// 200 `{"data": …}`.
    Data(Json),
    /// 400: a refused call (PERM-4, an unknown id); nothing changed.
    Refused(String),
    /// 400: a GraphQL syntax or validation error, or bad variables.
    Invalid(Vec<String>),
    /// 500: the store failed.
    Internal(String),
}

/// The validated management schema; build it once.
#[derive(Debug, Clone)]
pub struct ManagementApi {
    schema: Valid<apollo_compiler::Schema>,
}

/// Records a mutation's root fields and their coerced arguments without executing them.
struct Recorder {
    calls: std::cell::RefCell<Vec<(String, String, Json)>>,
}

impl ObjectValue for Recorder {
    fn type_name(&self) -> &str {
        "Mutation"
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let key = info
            .field_selections()
            .first()
            .map(|f| f.response_key().to_string())
            .unwrap_or_else(|| info.field_name().to_string());
        let args = serde_json::to_value(info.arguments()).map_err(|e| FieldError {
            message: format!("internal error: arguments: {e}"),
        })?;
        self.calls
            .borrow_mut()
            .push((key, info.field_name().to_string(), args));
        Ok(ResolvedValue::SkipForPartialExecution)
    }
}

fn messages(list: &apollo_compiler::validation::DiagnosticList) -> Vec<String> {
    let out: Vec<String> = list.iter().map(|d| d.error.to_string()).collect();
    if out.is_empty() {
        vec!["invalid document".to_string()]
    } else {
        out
    }
}

fn response_data(r: ExecutionResponse) -> Outcome {
    if !r.errors.is_empty() {
        let msgs: Vec<String> = r.errors.iter().map(|e| e.message.clone()).collect();
        return Outcome::Internal(msgs.join("; "));
    }
    match serde_json::to_value(r.data.unwrap_or_default()) {
        Ok(v) => Outcome::Data(v),
        Err(e) => Outcome::Internal(format!("cannot encode the response: {e}")),
    }
}

impl ManagementApi {
    /// Builds the schema from [`SDL`].
    pub fn new() -> Result<ManagementApi, ManageError> {
        let schema = apollo_compiler::Schema::parse_and_validate(SDL, "management.graphql")
            .map_err(|e| ManageError(messages(&e.errors).join("; ")))?;
        Ok(ManagementApi { schema })
    }

    /// The validated schema.
    pub fn schema(&self) -> &Valid<apollo_compiler::Schema> {
        &self.schema
    }

    /// Runs one management request (`query`, `variables`, `operationName`) against `dir`.
    pub fn execute(
        &self,
        dir: &Directory<'_>,
        query: &str,
        variables: Option<&Json>,
        operation_name: Option<&str>,
    ) -> Outcome {
        let vars: JsonMap = match variables {
            None | Some(Json::Null) => JsonMap::new(),
            Some(v @ Json::Object(_)) => match JsonValue::from(v.clone()) {
                JsonValue::Object(m) => m,
                _ => JsonMap::new(),
            },
            Some(_) => return Outcome::Invalid(vec!["variables must be an object".into()]),
        };
        let ast = match apollo_compiler::parser::Parser::new()
            .recursion_limit(RECURSION_LIMIT)
            .parse_ast(query, "management.graphql")
        {
            Ok(ast) => ast,
            Err(e) => return Outcome::Invalid(messages(&e.errors)),
        };
        let document = match ast.to_executable_validate(&self.schema) {
            Ok(d) => d,
            Err(e) => return Outcome::Invalid(messages(&e.errors)),
        };
        let operation = match document.operations.get(operation_name) {
            Ok(op) => op,
            Err(e) => return Outcome::Invalid(vec![e.message().to_string()]),
        };
        if let Err(e) = apollo_compiler::introspection::check_max_depth(&document, operation) {
            return Outcome::Invalid(vec![e.message().to_string()]);
        }
        let exec = || {
            Execution::new(&self.schema, &document)
                .operation(operation)
                .raw_variable_values(&vars)
                .enable_schema_introspection(true)
        };
        match operation.operation_type {
            OperationType::Query => match exec().execute_sync(&Obj {
                dir,
                node: Node::Query,
            }) {
                Ok(r) => response_data(r),
                Err(e) => Outcome::Invalid(vec![e.message().to_string()]),
            },
            OperationType::Mutation => {
                let recorder = Recorder {
                    calls: Default::default(),
                };
                if let Err(e) = exec().execute_sync(&recorder) {
                    return Outcome::Invalid(vec![e.message().to_string()]);
                }
                let mut planner = Planner::new(dir);
                let mut steps = Vec::new();
                for (key, field, args) in recorder.calls.into_inner() {
                    match planner.plan(&key, &field, &args) {
                        Ok(step) => steps.push((key, step)),
                        Err(PlanError::Refused(r)) => return Outcome::Refused(r.to_string()),
                        Err(PlanError::Internal(e)) => return Outcome::Internal(e.to_string()),
                    }
                }
                let mut results = HashMap::new();
                for (key, step) in steps {
                    match plan::apply(dir, step) {
                        Ok(node) => {
                            results.insert(key, node);
                        }
                        // Planned, then refused anyway: only a store changed underneath could
                        // do that; the fields before it are applied.
                        Err(directory::DirectoryError::Principals(
                            principals::PrincipalError::Refused(r),
                        )) => return Outcome::Refused(format!("{key}.data: {r}")),
                        Err(e) => return Outcome::Internal(e.to_string()),
                    }
                }
                match exec().execute_sync(&MutationOutput { dir, results }) {
                    Ok(r) => response_data(r),
                    Err(e) => Outcome::Internal(e.message().to_string()),
                }
            }
            OperationType::Subscription => {
                Outcome::Invalid(vec!["subscriptions are not supported".into()])
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
