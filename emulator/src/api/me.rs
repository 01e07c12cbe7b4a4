//! `/api/v3/me` (always 200; `user_data` only for the master key) and the Data Observatory
//! token `/api/v4/do/token`.

use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use hyper::header::{HeaderName, HeaderValue};
use hyper::StatusCode;
use serde_json::json;

use crate::api::sql_api::request_params;
use crate::http::auth::{self, Transport};
use crate::http::context::Ctx;
use crate::http::errors::{auth_api_error, json_response};
use crate::pg::accounts::{KeyType, User};
use crate::state::App;

/// The user of a `/api/v3/me` request. At the root path of a loopback host (CARTOframes'
/// leading `/` drops `/user/{u}/`), the Basic user, the owner of the key, or the only user.
fn me_user(app: &App, ctx: &Ctx, key: Option<&str>) -> Option<User> {
    let reg = app.registry.read().unwrap();
    if let Some(u) = ctx.user_name().and_then(|n| reg.user(&n)) {
        return Some(u.clone());
    }
    if ctx.path_user.is_some() {
        return None;
    }
    if let Some((basic_user, _)) = auth::parse_basic(&ctx.headers) {
        return reg.user(&basic_user).cloned();
    }
    if let Some(k) = key.filter(|k| *k != crate::pg::accounts::DEFAULT_PUBLIC_TOKEN) {
        let owners: Vec<&User> = reg
            .users
            .values()
            .filter(|u| u.key_by_token(k).is_some())
            .collect();
        if owners.len() == 1 {
            return Some(owners[0].clone());
        }
    }
    (reg.users.len() == 1).then(|| reg.users.values().next().cloned())?
}

pub async fn me(app: &Arc<App>, ctx: &Ctx, body: Body) -> Response {
    let p = match request_params(ctx, body).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    ctx.record_client(p.merged.get_str("client"));
    let presented = auth::extract(&ctx.headers, &p.query, &p.body);
    let Some(user) = me_user(app, ctx, presented.token.as_deref()) else {
        let name = ctx.user_name().unwrap_or_default();
        return crate::http::errors::ApiError::unknown_user(&name).into_response();
    };
    ctx.record_user(&user.username, &user.id);
    let key = auth::resolve(&user, &presented).ok().cloned();
    ctx.record_key(
        presented.transport,
        key.as_ref()
            .filter(|_| presented.transport != Transport::None),
    );
    let root = app.root_url.get().cloned().unwrap_or_default();
    let base_url = format!("{root}/user/{}", user.username);
    let config = json!({
        "user_name": user.username,
        "sql_api_template": format!("{root}/user/{{user}}"),
        "maps_api_template": format!("{root}/user/{{user}}"),
        "account_host": root.trim_start_matches("http://").trim_start_matches("https://"),
    });
    let body = match key.filter(|k| k.key_type == KeyType::Master) {
        Some(master) => json!({
            "user_data": {
                "id": user.id,
                "email": user.email,
                "username": user.username,
                "name": null,
                "account_type": "FREE",
                "api_key": master.token,
                "base_url": base_url,
                "org_admin": false,
                "quota_in_bytes": 1_073_741_824u64,
                "table_count": null,
                "organization": null,
            },
            "can_change_email": true,
            "plan_name": "Free",
            "mfa_required": false,
            "config": config,
        }),
        None => json!({
            "user_frontend_version": "carto-emulator",
            "config": config,
        }),
    };
    json_response(StatusCode::OK, &body)
}

pub async fn do_token(app: &Arc<App>, ctx: &Ctx, body: Body) -> Response {
    let mut resp = do_token_inner(app, ctx, body).await;
    resp.headers_mut().insert(
        HeaderName::from_static("access-control-allow-origin"),
        HeaderValue::from_static("*"),
    );
    resp
}

async fn do_token_inner(app: &Arc<App>, ctx: &Ctx, body: Body) -> Response {
    let name = ctx.user_name().unwrap_or_default();
    let user = app.registry.read().unwrap().user(&name).cloned();
    let Some(user) = user else {
        return crate::http::errors::ApiError::unknown_user(&name).into_response();
    };
    ctx.record_user(&user.username, &user.id);
    let p = match request_params(ctx, body).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    ctx.record_client(p.merged.get_str("client"));
    let presented = auth::extract(&ctx.headers, &p.query, &p.body);
    let key = match auth::resolve(&user, &presented) {
        Ok(k) if presented.token.is_some() => k.clone(),
        _ => {
            ctx.record_key(presented.transport, None);
            return auth_api_error(StatusCode::UNAUTHORIZED, "Unauthorized");
        }
    };
    ctx.record_key(presented.transport, Some(&key));
    if key.key_type != KeyType::Master && !key.apis.iter().any(|a| a == "do") {
        return auth_api_error(StatusCode::FORBIDDEN, "Forbidden");
    }
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": format!("emulator-do-token-{}", user.username),
            "bq_public_project": "carto-do-public-data",
            "gcp_execution_project": "carto-do-customers",
            "bq_project": "carto-do-customers",
            "bq_dataset": format!("emulator_{}", user.username.replace('-', "_")),
            "gcs_bucket": format!("emulator-do-{}", user.username),
            "instant_licensing": false,
        }),
    )
}
