//! CARTO 3's HTTP side (with `--carto3`): the issuer's endpoints, discovery, and the v3 API on
//! the API base URL. Every v3 request is authenticated here first.

// Handlers bail out early with finished responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

mod authenticate;
mod discovery;

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use hyper::StatusCode;

use crate::http::context::Ctx;
use crate::http::errors::v3_error;
use crate::http::routes::{Route, V3Route};
use crate::oauth::{endpoints, Carto3};
use crate::state::App;

pub async fn handle(app: &Arc<App>, ctx: &Ctx, body: Body) -> Response {
    let Some(c3) = app.carto3.as_ref() else {
        return v3_error(StatusCode::NOT_FOUND, "CARTO 3 is not enabled (--carto3)");
    };
    match &ctx.route {
        Route::Authorize => endpoints::authorize(c3, ctx),
        Route::OAuthToken => endpoints::token(c3, ctx, body).await,
        Route::Jwks => endpoints::jwks(c3),
        Route::Accounts => discovery::accounts(c3, ctx),
        Route::TenantConfig => discovery::config_yaml(c3, app.scheme),
        Route::V3(r) => v3(c3, ctx, r),
        _ => v3_error(StatusCode::NOT_FOUND, "Not found"),
    }
}

fn v3(_c3: &Carto3, ctx: &Ctx, route: &V3Route) -> Response {
    match route {
        V3Route::NotFound => v3_error(
            StatusCode::NOT_FOUND,
            format!("Cannot {} {}", ctx.method, ctx.uri.path()),
        ),
    }
}
