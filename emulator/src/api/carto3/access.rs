//! What an authenticated CARTO 3 caller may reach: which APIs and referers an API access
//! token allows, which connections an account has, and the PostgreSQL role a connection's
//! statements run as (the master role of the CARTO 2 user behind the account).

// Refusals are finished responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

use axum::response::Response;
use hyper::header::{ORIGIN, REFERER};
use hyper::StatusCode;

use crate::http::context::{header_str, Ctx};
use crate::http::errors::v3_error;
use crate::oauth::bearer::Caller;
use crate::pg::accounts::KeyType;
use crate::state::carto3::Carto3;
use crate::state::App;

/// CARTO's message for a source outside a token's grants (reference §4.8, from CARTO's own
/// documentation of its MCP and API).
pub const NO_PERMISSION: &str = "You don't have permissions to read this resource";

/// The caller may use `api` (`sql`, `maps`, `lds`, `imports`): OAuth tokens may use all;
/// an API access token only those it lists, and only from the referers it lists. Which
/// message CARTO sends for these two refusals is not known (inferred); both are 403.
pub fn allow_api(ctx: &Ctx, caller: &Caller, api: &str) -> Result<(), Response> {
    let Caller::Api(token) = caller else {
        return Ok(());
    };
    if !token.allows_api(api) {
        return Err(v3_error(
            StatusCode::FORBIDDEN,
            format!("This token is not allowed to use the {api} API"),
        ));
    }
    let referer = header_str(&ctx.headers, REFERER.as_str())
        .or_else(|| header_str(&ctx.headers, ORIGIN.as_str()));
    if !token.allows_referer(referer.as_deref()) {
        return Err(v3_error(
            StatusCode::FORBIDDEN,
            "This token is not allowed from this referer",
        ));
    }
    Ok(())
}

/// OAuth tokens only (the Tokens and Connections APIs, reference §1).
pub fn require_oauth(caller: &Caller) -> Result<(), Response> {
    match caller {
        Caller::OAuth(_) => Ok(()),
        Caller::Api(_) => Err(v3_error(
            StatusCode::FORBIDDEN,
            "This API needs an OAuth access token; API access tokens cannot use it",
        )),
    }
}

/// A source the caller may read on `connection`: any for OAuth tokens, only a granted one
/// for an API access token.
pub fn allow_source(caller: &Caller, connection: &str, source: &str) -> Result<(), Response> {
    match caller {
        Caller::Api(t) if !t.covers(connection, source) => {
            Err(v3_error(StatusCode::FORBIDDEN, NO_PERMISSION))
        }
        _ => Ok(()),
    }
}

/// Where a connection's statements run.
pub struct Target {
    /// The CARTO 2 user whose schema the connection reaches.
    pub user: String,
    /// Its master role.
    pub role: String,
}

/// The caller's account's connection `name`, or 404.
pub fn connection(app: &App, c3: &Carto3, caller: &Caller, name: &str) -> Result<Target, Response> {
    let not_found = || {
        v3_error(
            StatusCode::NOT_FOUND,
            format!("Connection not found: {name}"),
        )
    };
    let account = c3
        .identity
        .issuer
        .def
        .account(caller.account_id())
        .ok_or_else(not_found)?;
    if !account.connections.iter().any(|c| c.name == name) {
        return Err(not_found());
    }
    let reg = app.registry.read().unwrap();
    let role = reg
        .user(&account.user)
        .and_then(|u| u.keys.iter().find(|k| k.key_type == KeyType::Master))
        .map(|k| k.role.clone())
        .ok_or_else(not_found)?;
    Ok(Target {
        user: account.user.clone(),
        role,
    })
}
