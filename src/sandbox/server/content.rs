//! The Content API handler: `POST` and `GET /v2/{projectId}/{environment}`, running ERR-1's
//! checks in order — 404 path, 413 size, 400 envelope, 401 credentials, 400 validation (the
//! document, then the `gcms-*` headers), then execution (403 permissions, 400 data checks,
//! 200) — and answering introspection (READ-8) from the cached schema.

use std::cell::RefCell;
use std::sync::Arc;

use apollo_compiler::ast::OperationType;
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::validation::Valid;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value as Json};

use crate::sandbox::context::{RequestContext, LOCALES_HEADER, STAGE_HEADER};
use crate::sandbox::faults::Fault;
use crate::sandbox::principals::{self, Principal};
use crate::sandbox::read::{self, ReadError};
use crate::sandbox::schema::{OperationKind, Validated};
use crate::sandbox::server::http::{
    drain, envelope_from_body, envelope_from_query, identity_encoding, json_content_type,
    path_decode, read_body, BodyError, Envelope, Reply,
};
use crate::sandbox::server::state::{blocking, App, EnvInfo};
use crate::sandbox::server::MAX_BODY_BYTES;
use crate::sandbox::store::Store;
use crate::sandbox::token::{
    self, authorize, bearer_token, environment_path, Credential, Rejection,
};
use crate::sandbox::write::{self, WriteError};

/// The introspection root fields (READ-8); `__typename` is an ordinary field of `Query`.
const INTROSPECTION: [&str; 2] = ["__schema", "__type"];

/// `(project, environment)` of a content path `/v2/{projectId}/{environment}`, decoded.
pub fn content_path(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix("/v2/")?;
    let (project, env) = rest.split_once('/')?;
    if project.is_empty() || env.is_empty() || env.contains('/') {
        return None;
    }
    Some((path_decode(project)?, path_decode(env)?))
}

/// The raw values of every header of a name.
fn values(headers: &HeaderMap, name: &str) -> Vec<Vec<u8>> {
    headers
        .get_all(name)
        .iter()
        .map(|v| v.as_bytes().to_vec())
        .collect()
}

/// The operation a document would run, if it parses and the choice is clear (for ERR-3's
/// mutation-by-GET check; anything else is left to validation).
fn chosen_operation(query: &str, operation_name: Option<&str>) -> Option<OperationType> {
    let ast = apollo_compiler::parser::Parser::new()
        .recursion_limit(500)
        .parse_ast(query, "request.graphql")
        .ok()?;
    let ops: Vec<_> = ast
        .definitions
        .iter()
        .filter_map(|d| match d {
            apollo_compiler::ast::Definition::OperationDefinition(op) => Some(op),
            _ => None,
        })
        .collect();
    let op = match operation_name {
        Some(name) => ops
            .iter()
            .find(|op| op.name.as_ref().is_some_and(|n| n.as_str() == name))?,
        None if ops.len() == 1 => ops.first()?,
        None => return None,
    };
    Some(op.operation_type)
}

/// The request as the blocking part needs it.
struct Prepared {
    info: Arc<EnvInfo>,
    envelope: Envelope,
    authorization: Vec<Vec<u8>>,
    stage: Vec<Vec<u8>>,
    locales: Vec<Vec<u8>>,
}

/// `POST|GET /v2/{projectId}/{environment}`.
pub async fn handle(State(app): State<Arc<App>>, req: Request<Body>) -> Response {
    let (parts, mut body) = req.into_parts();
    // Step 1: the path names an existing project and environment.
    let Some(info) = content_path(parts.uri.path()).and_then(|(p, e)| app.env(&p, &e)) else {
        drain(&mut body).await;
        return Reply::not_found().into_response();
    };
    // Step 2: size (ERR-3): the body, or for a GET the URL's query component.
    let is_get = parts.method == Method::GET;
    let body = if is_get {
        if parts.uri.query().map_or(0, str::len) > MAX_BODY_BYTES {
            return Reply::too_large().into_response();
        }
        None
    } else {
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            drain(&mut body).await;
            return Reply::too_large().into_response();
        }
        match read_body(&mut body, MAX_BODY_BYTES).await {
            Ok(b) => Some(b),
            Err(BodyError::TooLarge) => {
                drain(&mut body).await;
                return Reply::too_large().into_response();
            }
            Err(BodyError::Broken(e)) => {
                return Reply::bad_request(format!("cannot read the body: {e}"), Some("ERR-3"))
                    .into_response()
            }
        }
    };
    // Step 3: the envelope (ERR-3).
    let envelope = match (&parts.method, body) {
        (m, _) if *m != Method::GET && *m != Method::POST => {
            Err(format!("method {m} is not allowed: send a POST or a GET"))
        }
        _ if !identity_encoding(&parts.headers) => {
            Err("a Content-Encoding other than identity is not supported".to_string())
        }
        (_, None) => envelope_from_query(parts.uri.query().unwrap_or("")),
        (_, Some(bytes)) => {
            if json_content_type(&parts.headers) {
                envelope_from_body(&bytes)
            } else {
                Err("Content-Type must be application/json".to_string())
            }
        }
    };
    let envelope = match envelope {
        Ok(e) => e,
        Err(m) => return Reply::bad_request(m, Some("ERR-3")).into_response(),
    };
    if is_get
        && chosen_operation(&envelope.query, envelope.operation_name.as_deref())
            == Some(OperationType::Mutation)
    {
        return Reply::bad_request("a mutation cannot be sent by GET", Some("ERR-3"))
            .into_response();
    }
    let prepared = Prepared {
        info,
        envelope,
        authorization: values(&parts.headers, header::AUTHORIZATION.as_str()),
        stage: values(&parts.headers, STAGE_HEADER),
        locales: values(&parts.headers, LOCALES_HEADER),
    };
    let app2 = Arc::clone(&app);
    match blocking(move || answer(&app2, prepared)).await {
        Ok(reply) => reply.into_response(),
        Err(e) => Reply::internal(e).into_response(),
    }
}

/// Steps 4 to 7, on the blocking pool.
fn answer(app: &App, p: Prepared) -> Reply {
    let info = &p.info;
    // Step 5's work first, without the store (it needs only the cached schema); its verdict is
    // given after step 4's.
    let validated = info.content.validate(
        &p.envelope.query,
        p.envelope.variables.as_ref(),
        p.envelope.operation_name.as_deref(),
    );
    let stage: Vec<&[u8]> = p.stage.iter().map(Vec::as_slice).collect();
    let locales: Vec<&[u8]> = p.locales.iter().map(Vec::as_slice).collect();
    let context = RequestContext::new(
        &info.schema,
        &stage,
        &locales,
        validated
            .as_ref()
            .map(|v| v.fields.as_slice())
            .unwrap_or(&[]),
    );
    let store = app.store();
    if !app.is_current(&store, info) {
        return Reply::not_found();
    }
    // Step 4: credentials.
    let Accepted {
        principal,
        ghost_stage,
    } = match authenticate(app, &store, info, &p.authorization) {
        Ok(accepted) => accepted,
        Err(Failure::Rejected(r)) => {
            return Reply::error(StatusCode::UNAUTHORIZED, r.message());
        }
        Err(Failure::Internal(m)) => return Reply::internal(m),
    };
    // Step 5: validation.
    let validated = match validated {
        Ok(v) => v,
        Err(messages) => return Reply::bad_requests(messages, None),
    };
    let mut context = match context {
        Ok(c) => c,
        Err(e) => return Reply::bad_request(e.to_string(), Some(e.rule())),
    };
    // A PAT that only a fault lets in (revoked, or of another environment) is no live PAT of
    // this environment, so the store knows no default stage for it: it reads in the stage the
    // PAT was created with, in the header's place when there is no header (an argument still
    // wins, as over a header).
    if context.stage.is_none() {
        context.stage = ghost_stage;
    }
    // Steps 6 and 7, and execution.
    match validated.kind {
        OperationKind::Query => query(&store, info, &principal, validated, context),
        OperationKind::Mutation => {
            match write::execute_mutation(&store, info.key, &principal, &validated) {
                Ok(data) => Reply::data(data),
                Err(e) => write_failure(e),
            }
        }
    }
}

/// Who a request acts as.
struct Accepted {
    principal: Principal,
    /// For a PAT accepted only by a fault of area `Auth`: its recorded default stage.
    ghost_stage: Option<String>,
}

impl Accepted {
    fn live(principal: Principal) -> Accepted {
        Accepted {
            principal,
            ghost_stage: None,
        }
    }
}

/// Why credentials were not accepted.
enum Failure {
    /// A 401.
    Rejected(Rejection),
    /// A 500.
    Internal(String),
}

/// Whether a fault `malformed-token-public` turns this rejection into public access: every
/// failure to read or verify a token, but not two `Authorization` headers, a revoked token or
/// one of another environment (faults of their own).
fn falls_back_to_public(r: &Rejection) -> bool {
    !matches!(
        r,
        Rejection::MultipleHeaders | Rejection::Revoked | Rejection::OtherEnvironment
    )
}

/// Step 4 (AUTH-1 to AUTH-4): the principal of the request, with the faults of area `Auth`.
fn authenticate(
    app: &App,
    store: &Store,
    info: &EnvInfo,
    header_values: &[Vec<u8>],
) -> Result<Accepted, Failure> {
    // A value that is not UTF-8 cannot be `Bearer <token>` (see `token::authorize`).
    let mut texts: Vec<&str> = Vec::new();
    for v in header_values {
        match std::str::from_utf8(v) {
            Ok(s) => texts.push(s),
            Err(_) if header_values.len() == 1 => return rejected(store, Rejection::NotBearer),
            Err(_) => texts.push(""),
        }
    }
    let path = environment_path(&info.project, &info.name);
    let accept_revoked = store.has_fault(Fault::RevokedTokenAccepted);
    let failed: RefCell<Option<String>> = RefCell::new(None);
    let is_live = |jti: &str, _: &str| match principals::pat_by_jti(store, info.key, jti) {
        Ok(Some(pat)) => !pat.revoked || accept_revoked,
        Ok(None) => false,
        Err(e) => {
            *failed.borrow_mut() = Some(e.to_string());
            false
        }
    };
    let result = authorize(&texts, &path, &app.keys, is_live);
    if let Some(e) = failed.into_inner() {
        return Err(Failure::Internal(e));
    }
    match result {
        Ok(Credential::Public) => Ok(Accepted::live(Principal::Public)),
        Ok(Credential::Pat { jti }) => match principals::pat_by_jti(store, info.key, &jti) {
            Ok(Some(pat)) if !pat.revoked => Ok(Accepted::live(Principal::Pat(pat.id))),
            // Fault `revoked-token-accepted`.
            Ok(Some(pat)) => Ok(Accepted {
                principal: Principal::Pat(pat.id),
                ghost_stage: Some(pat.default_stage),
            }),
            Ok(None) => Err(Failure::Rejected(Rejection::Revoked)),
            Err(e) => Err(Failure::Internal(e.to_string())),
        },
        Err(Rejection::OtherEnvironment) if store.has_fault(Fault::ForeignEnvironmentToken) => {
            foreign_principal(app, store, &texts)
        }
        Err(r) => rejected(store, r),
    }
}

/// A rejection (401), or with fault `malformed-token-public` (AUTH-3) public access for
/// every failure to read or verify a token ([`falls_back_to_public`]).
fn rejected(store: &Store, r: Rejection) -> Result<Accepted, Failure> {
    if store.has_fault(Fault::MalformedTokenPublic) && falls_back_to_public(&r) {
        Ok(Accepted::live(Principal::Public))
    } else {
        Err(Failure::Rejected(r))
    }
}

/// Fault `foreign-environment-token` (AUTH-3): `aud` is not compared with the request; the
/// token's `jti` is looked up in the environment the token names, and the request acts as that
/// PAT (which holds no grants here).
fn foreign_principal(app: &App, store: &Store, texts: &[&str]) -> Result<Accepted, Failure> {
    let reject = || Failure::Rejected(Rejection::OtherEnvironment);
    let [value] = texts else { return Err(reject()) };
    let token = bearer_token(value).map_err(Failure::Rejected)?;
    let aud0 = unverified_claims(token)
        .and_then(|c| c.get("aud")?.get(0)?.as_str().map(str::to_string))
        .ok_or_else(reject)?;
    let url = url::Url::parse(&aud0).map_err(|_| reject())?;
    let (project, env) = content_path(url.path()).ok_or_else(reject)?;
    let key = store.find(&project, &env).ok_or_else(reject)?;
    let jti = token::verify(token, url.path(), &app.keys).map_err(Failure::Rejected)?;
    match principals::pat_by_jti(store, key, &jti) {
        Ok(Some(pat)) if !pat.revoked => Ok(Accepted {
            principal: Principal::Pat(pat.id),
            ghost_stage: Some(pat.default_stage),
        }),
        Ok(_) => Err(Failure::Rejected(Rejection::Revoked)),
        Err(e) => Err(Failure::Internal(e.to_string())),
    }
}

/// The claims of a compact JWS, read without verifying anything.
pub fn unverified_claims(token: &str) -> Option<Map<String, Json>> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Json::Object(m) => Some(m),
        _ => None,
    }
}

/// A query: introspection root fields from the schema (READ-8), the others by the read
/// executor; a 403 from the latter wins.
fn query(
    store: &Store,
    info: &EnvInfo,
    principal: &Principal,
    validated: Validated,
    context: RequestContext,
) -> Reply {
    let has_introspection = validated
        .fields
        .iter()
        .any(|f| INTROSPECTION.contains(&f.name.as_str()));
    if !has_introspection {
        return match read::execute_query(
            store,
            info.key,
            principal,
            &validated,
            context.stage.as_deref(),
            context.locales,
        ) {
            Ok(data) => Reply::data(data),
            Err(e) => read_failure(e),
        };
    }
    let introspected = match introspect(info, &validated) {
        Ok(m) => m,
        Err(reply) => return reply,
    };
    let Validated {
        kind,
        name,
        fields,
        variables,
        document,
    } = validated;
    let order: Vec<String> = fields.iter().map(|f| f.key().to_string()).collect();
    let rest: Vec<_> = fields
        .into_iter()
        .filter(|f| !INTROSPECTION.contains(&f.name.as_str()))
        .collect();
    let mut data = Map::new();
    if !rest.is_empty() {
        let rest = Validated {
            kind,
            name,
            fields: rest,
            variables,
            document,
        };
        match read::execute_query(
            store,
            info.key,
            principal,
            &rest,
            context.stage.as_deref(),
            context.locales,
        ) {
            Ok(Json::Object(m)) => data = m,
            Ok(other) => return Reply::internal(format!("the read returned {other}")),
            Err(e) => return read_failure(e),
        }
    }
    let mut out = Map::new();
    for key in order {
        if let Some(v) = data
            .remove(&key)
            .or_else(|| introspected.get(&key).cloned())
        {
            out.insert(key, v);
        }
    }
    Reply::data(Json::Object(out))
}

/// The introspection part of a query, by `apollo-compiler` on the cached schema.
fn introspect(info: &EnvInfo, validated: &Validated) -> Result<Map<String, Json>, Reply> {
    let document = &validated.document;
    let operation = document
        .operations
        .get(validated.name.as_deref())
        .map_err(|e| Reply::bad_request(e.message().to_string(), None))?;
    apollo_compiler::introspection::check_max_depth(document, operation)
        .map_err(|e| Reply::bad_request(e.message().to_string(), None))?;
    let vars = match JsonValue::from(Json::Object(validated.variables.clone())) {
        JsonValue::Object(m) => m,
        _ => JsonMap::new(),
    };
    let vars = Valid::assume_valid(vars);
    let response = apollo_compiler::introspection::partial_execute(
        info.content.schema(),
        &info.implementers,
        document,
        operation,
        &vars,
    )
    .map_err(|e| Reply::bad_request(e.message().to_string(), None))?;
    if !response.errors.is_empty() {
        let messages = response.errors.iter().map(|e| e.message.clone()).collect();
        return Err(Reply::bad_requests(messages, Some("READ-8")));
    }
    match serde_json::to_value(response.data.unwrap_or_default()) {
        Ok(Json::Object(m)) => Ok(m),
        Ok(_) => Ok(Map::new()),
        Err(e) => Err(Reply::internal(format!("cannot encode introspection: {e}"))),
    }
}

fn read_failure(e: ReadError) -> Reply {
    match e {
        ReadError::Denied { paths } => Reply::errors(
            StatusCode::FORBIDDEN,
            paths
                .into_iter()
                .map(|path| {
                    json!({"message": "not allowed", "extensions": {"code": "403", "path": path}})
                })
                .collect(),
        ),
        ReadError::Invalid(m) => Reply::bad_request(m, None),
        ReadError::Unsupported(m) => {
            Reply::internal(format!("not supported by the sandbox yet: {m}"))
        }
        other => Reply::internal(format!("internal error: {other}")),
    }
}

fn write_failure(e: WriteError) -> Reply {
    match e {
        WriteError::Denied { failed_actions } => Reply::errors(
            StatusCode::FORBIDDEN,
            vec![json!({
                "message": "Mutation failed due to permission errors",
                "extensions": {"code": "403", "failedActions": failed_actions},
            })],
        ),
        WriteError::Invalid(m) => Reply::bad_request(m, None),
        other => Reply::internal(format!("internal error: {other}")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn content_paths() {
        assert_eq!(
            content_path("/v2/p/master"),
            Some(("p".into(), "master".into()))
        );
        assert_eq!(
            content_path("/v2/a%20b/m"),
            Some(("a b".into(), "m".into()))
        );
        for bad in [
            "/v2/p",
            "/v2/p/",
            "/v2//m",
            "/v2/p/m/",
            "/v2/p/m/x",
            "/v1/p/m",
            "/v2/%ff/m",
        ] {
            assert_eq!(content_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn chosen_operations() {
        assert_eq!(chosen_operation("{ a }", None), Some(OperationType::Query));
        assert_eq!(
            chosen_operation("mutation { a }", None),
            Some(OperationType::Mutation)
        );
        assert_eq!(
            chosen_operation("query A { a } mutation B { b }", Some("B")),
            Some(OperationType::Mutation)
        );
        assert_eq!(
            chosen_operation("query A { a } mutation B { b }", None),
            None
        );
        assert_eq!(chosen_operation("{ a", None), None);
    }
}
