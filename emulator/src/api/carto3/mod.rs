//! CARTO 3's HTTP side (with `--carto3`): the issuer's endpoints, discovery, and the v3 API on
//! the API base URL. Every v3 request is authenticated here first.

// Handlers bail out early with finished responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

mod access;
mod authenticate;
mod connections;
mod discovery;
mod jobs;
mod lds;
mod maps;
mod params;
mod sql;
mod tokens;

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use hyper::StatusCode;

use crate::http::context::Ctx;
use crate::http::errors::v3_error;
use crate::http::routes::{Carto3Route, V3Route};
use crate::oauth::endpoints;
use crate::state::carto3::Carto3;
use crate::state::App;

pub async fn handle(app: &Arc<App>, ctx: &Ctx, body: Body, route: &Carto3Route) -> Response {
    let Some(c3) = app.carto3.as_ref() else {
        return v3_error(StatusCode::NOT_FOUND, "CARTO 3 is not enabled (--carto3)");
    };
    match route {
        Carto3Route::Authorize => endpoints::authorize(&c3.identity, ctx),
        Carto3Route::OAuthToken => endpoints::token(&c3.identity, ctx, body).await,
        Carto3Route::Jwks => endpoints::jwks(&c3.identity),
        Carto3Route::Accounts => discovery::accounts(c3, ctx),
        Carto3Route::TenantConfig => discovery::config_yaml(c3, app.scheme),
        Carto3Route::V3(r) => v3(app, c3, ctx, body, r).await,
    }
}

async fn v3(app: &Arc<App>, c3: &Carto3, ctx: &Ctx, body: Body, route: &V3Route) -> Response {
    match route {
        V3Route::SqlQuery(conn) => sql::query(app, c3, ctx, body, conn)
            .await
            .unwrap_or_else(|r| r),
        V3Route::SqlJobs(conn) => jobs::create(app, c3, ctx, body, conn).await,
        V3Route::SqlJob(conn, id) => jobs::one(c3, app, ctx, conn, id),
        V3Route::AllJobs => jobs::list(c3, app, ctx),
        V3Route::Tokens => tokens::tokens(c3, ctx, body).await,
        V3Route::Token(which) => tokens::token(c3, ctx, body, which).await,
        V3Route::Connections => connections::connections(c3, ctx),
        V3Route::DwToken => connections::dw_token(c3, ctx),
        V3Route::MapInstantiate { connection, kind } => {
            maps::instantiate(app, c3, ctx, body, connection, kind)
                .await
                .unwrap_or_else(|r| r)
        }
        V3Route::MapTileJson { connection, id } => maps::tilejson(c3, ctx, connection, id),
        V3Route::MapGeoJson { connection, id } => maps::geojson(app, c3, ctx, connection, id).await,
        V3Route::MapTile {
            connection,
            id,
            z,
            x,
            y,
        } => maps::tile(app, c3, ctx, connection, id, (z, x, y)).await,
        V3Route::LdsGeocode => lds::geocode(c3, ctx),
        V3Route::NotFound => v3_error(
            StatusCode::NOT_FOUND,
            format!("Cannot {} {}", ctx.method, ctx.uri.path()),
        ),
    }
}
