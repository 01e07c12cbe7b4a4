//! How carto-auth finds the API base URL of a signed-in user: `GET /accounts` (on
//! `accounts.app.carto.com`) gives the tenant's domain, whose `/config.yaml` names the API.

use axum::response::{IntoResponse, Response};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::StatusCode;
use serde_json::json;

use crate::api::carto3::authenticate::authenticate;
use crate::http::context::Ctx;
use crate::http::errors::{json_response, v3_error};
use crate::oauth::bearer::Caller;
use crate::state::carto3::Carto3;

/// `GET /accounts`: the caller's account and tenant. carto-auth reads `tenant_domain` or
/// `error`; the other members are what an account is known by (inferred).
pub fn accounts(c3: &Carto3, ctx: &Ctx) -> Response {
    let caller = match authenticate(c3, ctx, None) {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let Caller::OAuth(claims) = caller else {
        return v3_error(
            StatusCode::FORBIDDEN,
            "API access tokens cannot read accounts; use an OAuth access token",
        );
    };
    let s = &c3.identity.issuer.settings;
    json_response(
        StatusCode::OK,
        &json!({
            "id": claims.account_id,
            "email": claims.email,
            "tenant_domain": s.tenant_domain,
            "api_base_url": s.api_base_url,
        }),
    )
}

/// `GET /config.yaml` of the tenant (no authentication, as it is public on CARTO).
pub fn config_yaml(c3: &Carto3, scheme: &str) -> Response {
    let s = &c3.identity.issuer.settings;
    // JSON strings are YAML's double-quoted scalars, so this quoting is exact.
    let quote = |v: &str| serde_json::Value::String(v.to_string()).to_string();
    let text = format!(
        "apis:\n  baseUrl: {}\n  workspaceUrl: {}\n",
        quote(&s.api_base_url),
        quote(&format!("{scheme}://{}", s.tenant_domain)),
    );
    let mut resp = (StatusCode::OK, text).into_response();
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/yaml; charset=utf-8"),
    );
    resp
}
