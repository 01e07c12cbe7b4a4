//! The Tokens API: `POST /v3/tokens` mints an API access token bound to grants (connection
//! and source), allowed APIs and referers; `GET /v3/tokens` lists the account's;
//! `DELETE /v3/tokens/{token}` revokes one. OAuth access tokens only (reference §1).

// Handlers bail out early with finished responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::carto3::access::require_oauth;
use crate::api::carto3::authenticate::authenticate;
use crate::http::context::{read_body, Ctx};
use crate::http::errors::{json_response, v3_error};
use crate::oauth::api_tokens::{ApiToken, Grant, APIS};
use crate::state::carto3::Carto3;

const MAX_BODY: usize = 1024 * 1024;
const MAX_GRANTS: usize = 100;

#[derive(Deserialize)]
struct CreateBody {
    #[serde(default)]
    grants: Vec<Grant>,
    #[serde(default)]
    referers: Vec<String>,
    #[serde(default)]
    allowed_apis: Vec<String>,
}

fn bad(msg: impl Into<String>) -> Response {
    v3_error(StatusCode::BAD_REQUEST, msg)
}

fn token_json(token: &str, t: &ApiToken) -> Value {
    json!({
        "token": token,
        "grants": t.grants,
        "referers": t.referers,
        "allowed_apis": t.allowed_apis,
        "created_at": t.created_at,
    })
}

pub async fn tokens(c3: &Carto3, ctx: &Ctx, body: Body) -> Response {
    match run(c3, ctx, body, None).await {
        Ok(r) | Err(r) => r,
    }
}

pub async fn token(c3: &Carto3, ctx: &Ctx, body: Body, which: &str) -> Response {
    match run(c3, ctx, body, Some(which)).await {
        Ok(r) | Err(r) => r,
    }
}

async fn run(
    c3: &Carto3,
    ctx: &Ctx,
    body: Body,
    which: Option<&str>,
) -> Result<Response, Response> {
    let caller = authenticate(c3, ctx, None)?;
    require_oauth(&caller)?;
    let account_id = caller.account_id().to_string();
    let store = &c3.identity.api_tokens;
    let keys = &c3.identity.issuer.keys;
    match (&ctx.method, which) {
        (&Method::POST, None) => {
            let bytes = read_body(&ctx.headers, body, MAX_BODY)
                .await
                .map_err(|e| e.into_v3())?;
            let b: CreateBody = serde_json::from_slice(&bytes)
                .map_err(|e| bad(format!("invalid token request: {e}")))?;
            let account = c3
                .identity
                .issuer
                .def
                .account(&account_id)
                .ok_or_else(|| bad("the token's account does not exist"))?;
            if b.grants.is_empty() || b.grants.len() > MAX_GRANTS {
                return Err(bad(format!("grants must hold 1 to {MAX_GRANTS} grants")));
            }
            for g in &b.grants {
                if !account
                    .connections
                    .iter()
                    .any(|c| c.name == g.connection_name)
                {
                    return Err(bad(format!(
                        "grants: connection {:?} not found",
                        g.connection_name
                    )));
                }
                if g.source.trim().is_empty() {
                    return Err(bad("grants: a source is empty"));
                }
            }
            if b.allowed_apis.is_empty() {
                return Err(bad(format!(
                    "allowed_apis must list some of {}",
                    APIS.join(", ")
                )));
            }
            if let Some(api) = b.allowed_apis.iter().find(|a| !APIS.contains(&a.as_str())) {
                return Err(bad(format!(
                    "allowed_apis: {api:?} is not one of {}",
                    APIS.join(", ")
                )));
            }
            let (token, record) = store
                .create(keys, &account_id, b.grants, b.referers, b.allowed_apis)
                .map_err(|e| v3_error(StatusCode::SERVICE_UNAVAILABLE, e))?;
            Ok(json_response(StatusCode::OK, &token_json(&token, &record)))
        }
        (&Method::GET, None) => {
            let list: Vec<Value> = store
                .list(&account_id)
                .iter()
                .map(|t| token_json(&store.encode(keys, t), t))
                .collect();
            Ok(json_response(StatusCode::OK, &Value::Array(list)))
        }
        (&Method::DELETE, Some(which)) => {
            // The token itself, or the id (`jti`) it carries.
            let id = store
                .verify(keys, which)
                .map(|t| t.id)
                .unwrap_or_else(|| which.to_string());
            if store.delete(&account_id, &id) {
                Ok(StatusCode::NO_CONTENT.into_response())
            } else {
                Err(v3_error(StatusCode::NOT_FOUND, "Token not found"))
            }
        }
        _ => Err(v3_error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("Cannot {} {}", ctx.method, ctx.uri.path()),
        )),
    }
}
