//! The issuer's HTTP endpoints: `GET /authorize`, `POST /oauth/token` (form or JSON body)
//! and `GET /.well-known/jwks.json`.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION, PRAGMA, RETRY_AFTER};
use hyper::{Method, StatusCode};

use crate::http::auth::parse_basic;
use crate::http::context::{read_body, Ctx};
use crate::http::errors::json_response;
use crate::http::form::{self, Params};
use crate::oauth::issuer::{Authorized, OAuthError};
use crate::oauth::Identity;

/// Token requests are a few hundred bytes.
const MAX_TOKEN_BODY: usize = 64 * 1024;

fn oauth_error(e: &OAuthError) -> Response {
    let mut resp = json_response(e.status, &e.body());
    if let Some(after) = e.retry_after {
        resp.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(after));
    }
    resp
}

pub fn authorize(c3: &Identity, ctx: &Ctx) -> Response {
    if ctx.method != Method::GET {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    match c3
        .issuer
        .authorize(&form::parse_urlencoded(ctx.raw_query()))
    {
        Authorized::Redirect(location) => {
            let mut resp = StatusCode::FOUND.into_response();
            match HeaderValue::from_str(&location) {
                Ok(v) => {
                    resp.headers_mut().insert(LOCATION, v);
                    resp
                }
                Err(_) => oauth_error(&OAuthError {
                    status: StatusCode::BAD_REQUEST,
                    error: "invalid_request",
                    description: "the redirect would not fit in a Location header".into(),
                    retry_after: None,
                }),
            }
        }
        Authorized::Refused(e) => oauth_error(&e),
    }
}

pub async fn token(c3: &Identity, ctx: &Ctx, body: Body) -> Response {
    if ctx.method != Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let bytes = match read_body(&ctx.headers, body, MAX_TOKEN_BODY).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let ctype = ctx
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    // Both bodies clients send: carto-auth and curl use a form, CARTO's Node examples JSON.
    let params: Params = if ctype.starts_with("application/json") {
        match form::parse_json_body(&bytes) {
            Ok(p) => p,
            Err(e) => {
                return oauth_error(&OAuthError {
                    status: StatusCode::BAD_REQUEST,
                    error: "invalid_request",
                    description: e,
                    retry_after: None,
                })
            }
        }
    } else {
        form::parse_urlencoded(&bytes)
    };
    let mut resp = match c3.issuer.token(&params, parse_basic(&ctx.headers)) {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(e) => oauth_error(&e),
    };
    // RFC 6749 §5.1: token responses are never cached.
    let h = resp.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

pub fn jwks(c3: &Identity) -> Response {
    json_response(StatusCode::OK, c3.issuer.keys.jwks())
}
