//! `GET /v3/connections` (the account's connections) and `GET /v3/connections/carto-dw/token`
//! (the short-lived BigQuery token of CARTO's own data warehouse, `{projectId, token}`, which
//! carto-auth's `get_carto_dw_credentials()` reads). Here every connection is a schema of the
//! local PostgreSQL, so the DW token is an emulator token no BigQuery accepts.

// Handlers bail out early with finished responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

use axum::response::Response;
use hyper::StatusCode;
use serde_json::{json, Value};

use crate::api::carto3::access::require_oauth;
use crate::api::carto3::authenticate::authenticate;
use crate::http::context::Ctx;
use crate::http::errors::json_response;
use crate::state::carto3::Carto3;

pub fn connections(c3: &Carto3, ctx: &Ctx) -> Response {
    let caller = match authenticate(c3, ctx, None).and_then(|c| require_oauth(&c).map(|_| c)) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let def = &c3.identity.issuer.def;
    let list: Vec<Value> = def
        .account(caller.account_id())
        .map(|a| {
            a.connections
                .iter()
                .map(|c| {
                    // The member names are inferred (camelCase, as the rest of v3).
                    json!({"id": format!("{}-{}", a.id, c.name), "name": c.name,
                           "providerId": "postgres", "account": a.id})
                })
                .collect()
        })
        .unwrap_or_default();
    json_response(StatusCode::OK, &Value::Array(list))
}

pub fn dw_token(c3: &Carto3, ctx: &Ctx) -> Response {
    let caller = match authenticate(c3, ctx, None).and_then(|c| require_oauth(&c).map(|_| c)) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("OS random source");
    let token: String = b.iter().map(|x| format!("{x:02x}")).collect();
    json_response(
        StatusCode::OK,
        &json!({
            "projectId": format!("carto-dw-{}", caller.account_id().replace('_', "-")),
            "token": format!("emulator-dw-{token}"),
        }),
    )
}
