//! The admin surface (sandbox-only, every route guarded by `Authorization: Bearer <admin
//! secret>`): the Management API, the bulk project endpoint, dropping a project, token forging
//! for the harness, and the info route.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::sandbox::manage::{directory::MANAGEMENT_PATH, Outcome};
use crate::sandbox::server::bulk::{self, BulkError, ProjectSpec};
use crate::sandbox::server::content::{content_path, unverified_claims};
use crate::sandbox::server::http::{
    drain, envelope_from_body, is_admin, read_body, BodyError, Reply,
};
use crate::sandbox::server::state::{blocking, App};
use crate::sandbox::server::{MAX_ADMIN_BODY_BYTES, MAX_BODY_BYTES};
use crate::sandbox::token::{self, content_endpoint, PatClaims};

/// The admin guard, then the body (up to `limit` bytes).
async fn admin_body(
    app: &App,
    headers: &HeaderMap,
    mut body: Body,
    limit: usize,
) -> Result<Vec<u8>, Reply> {
    if !is_admin(headers, &app.admin_secret) {
        drain(&mut body).await;
        return Err(Reply::admin_required());
    }
    match read_body(&mut body, limit).await {
        Ok(b) => Ok(b.to_vec()),
        Err(BodyError::TooLarge) => {
            drain(&mut body).await;
            Err(Reply::too_large())
        }
        Err(BodyError::Broken(e)) => Err(Reply::bad_request(
            format!("cannot read the body: {e}"),
            None,
        )),
    }
}

async fn run(f: impl FnOnce() -> Reply + Send + 'static) -> Response {
    match blocking(f).await {
        Ok(r) => r.into_response(),
        Err(e) => Reply::internal(e).into_response(),
    }
}

/// `POST /management/graphql`.
pub async fn management(State(app): State<Arc<App>>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match admin_body(&app, &parts.headers, body, MAX_ADMIN_BODY_BYTES).await {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let envelope = match envelope_from_body(&bytes) {
        Ok(e) => e,
        Err(m) => return Reply::bad_request(m, None).into_response(),
    };
    run(move || {
        let store = app.store();
        let dir = app.directory(&store);
        match app.management.execute(
            &dir,
            &envelope.query,
            envelope.variables.as_ref(),
            envelope.operation_name.as_deref(),
        ) {
            Outcome::Data(d) => Reply::data(d),
            Outcome::Refused(m) => Reply::bad_request(m, Some("PERM-4")),
            Outcome::Invalid(ms) => Reply::bad_requests(ms, None),
            Outcome::Internal(m) => Reply::internal(m),
        }
    })
    .await
}

fn bulk_failure(e: BulkError) -> Reply {
    match e {
        BulkError::Invalid(m) => Reply::error(StatusCode::BAD_REQUEST, m),
        BulkError::Conflict(m) => Reply::error(StatusCode::CONFLICT, m),
        BulkError::Internal(m) => Reply::internal(m),
    }
}

/// `POST /sandbox/projects`.
pub async fn create_project(State(app): State<Arc<App>>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match admin_body(&app, &parts.headers, body, MAX_ADMIN_BODY_BYTES).await {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    run(move || {
        let spec: ProjectSpec = match serde_json::from_slice(&bytes) {
            Ok(s) => s,
            Err(e) => return Reply::error(StatusCode::BAD_REQUEST, format!("the body: {e}")),
        };
        match bulk::load_project(&app, &spec.project, &spec.environments, spec.pagination) {
            Ok(loaded) => match serde_json::to_value(&loaded) {
                Ok(v) => Reply::json(StatusCode::OK, v),
                Err(e) => Reply::internal(format!("cannot encode the answer: {e}")),
            },
            Err(e) => bulk_failure(e),
        }
    })
    .await
}

/// `DELETE /sandbox/projects/{id}`.
pub async fn delete_project(
    State(app): State<Arc<App>>,
    Path(project): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !is_admin(&headers, &app.admin_secret) {
        return Reply::admin_required().into_response();
    }
    run(move || match bulk::drop_project(&app, &project) {
        Ok(true) => Reply {
            status: StatusCode::NO_CONTENT,
            body: None,
        },
        Ok(false) => Reply::not_found(),
        Err(e) => bulk_failure(e),
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ForgeIn {
    token: String,
    issuer: Option<String>,
    environment: Option<String>,
}

/// `POST /sandbox/tokens`: a token of this server re-encoded with another `iss` and/or `aud[0]`
/// pointed at another environment of its project (AUTH-3, AUTH-4), same `jti`.
pub async fn forge_token(State(app): State<Arc<App>>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match admin_body(&app, &parts.headers, body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    run(move || {
        let bad = |m: String| Reply::error(StatusCode::BAD_REQUEST, m);
        let input: ForgeIn = match serde_json::from_slice(&bytes) {
            Ok(i) => i,
            Err(e) => return bad(format!("the body: {e}")),
        };
        let Some(claims) = unverified_claims(&input.token) else {
            return bad("the token is not a JWT with a JSON object as claims".into());
        };
        let aud0 = claims
            .get("aud")
            .and_then(|a| a.get(0))
            .and_then(|a| a.as_str())
            .and_then(|a| url::Url::parse(a).ok());
        let Some(aud0) = aud0 else {
            return bad("the token's aud[0] is not a URL".into());
        };
        if let Err(r) = token::verify(&input.token, aud0.path(), &app.keys) {
            return bad(format!("the token does not verify: {r}"));
        }
        let mut claims: PatClaims = match serde_json::from_value(serde_json::Value::Object(claims))
        {
            Ok(c) => c,
            Err(e) => return bad(format!("the token's claims are not a PAT's: {e}")),
        };
        if let Some(iss) = input.issuer {
            claims.iss = iss;
        }
        if let Some(env) = input.environment {
            let Some((project, _)) = content_path(aud0.path()) else {
                return bad("the token's aud[0] is not a content endpoint".into());
            };
            if app.store().find(&project, &env).is_none() {
                return bad(format!("project {project:?} has no environment {env:?}"));
            }
            let endpoint = content_endpoint(&app.origin, &project, &env);
            match claims.aud.first_mut() {
                Some(first) => *first = endpoint,
                None => claims.aud.push(endpoint),
            }
        }
        match token::issue(&app.keys, &claims) {
            Ok(t) => Reply::json(StatusCode::OK, json!({ "token": t.expose() })),
            Err(e) => Reply::internal(e.to_string()),
        }
    })
    .await
}

/// `GET /sandbox`.
pub async fn info(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if !is_admin(&headers, &app.admin_secret) {
        return Reply::admin_required().into_response();
    }
    let faults: Vec<&str> = app.faults.iter().map(|f| f.name()).collect();
    Reply::json(
        StatusCode::OK,
        json!({
            "name": "tollgate-sandbox",
            "version": env!("CARGO_PKG_VERSION"),
            "faults": faults,
            "content": format!("{}/v2/{{projectId}}/{{environment}}", app.origin),
            "management": format!("{}{MANAGEMENT_PATH}", app.origin),
        }),
    )
    .into_response()
}
