//! The first step of every authenticated CARTO 3 request.

// A refusal is a finished response; boxing it would only add noise.
#![allow(clippy::result_large_err)]

use axum::response::Response;

use crate::http::auth::Transport;
use crate::http::context::Ctx;
use crate::http::errors::v3_error;
use crate::oauth::bearer::{bearer_header, BearerError, Caller};
use crate::state::carto3::Carto3;

/// Authenticates a request by its `Authorization: Bearer` header or, where the route allows
/// it, the `access_token` of its query string; records how in the request log. A refusal is
/// the v3 401.
pub fn authenticate(
    c3: &Carto3,
    ctx: &Ctx,
    query_token: Option<String>,
) -> Result<Caller, Response> {
    let (token, transport) = match bearer_header(&ctx.headers) {
        Some(t) => (Some(t), Transport::Bearer),
        None => match query_token.filter(|t| !t.is_empty()) {
            Some(t) => (Some(t), Transport::Query),
            None => (None, Transport::None),
        },
    };
    match c3.identity.authenticate(token.as_deref()) {
        Ok(caller) => {
            ctx.record_bearer(transport, caller.client_id(), false);
            Ok(caller)
        }
        Err(e) => {
            ctx.record_bearer(transport, None, e == BearerError::Expired);
            Err(v3_error(
                e.status(),
                e.message(&c3.identity.issuer.settings.issuer),
            ))
        }
    }
}
