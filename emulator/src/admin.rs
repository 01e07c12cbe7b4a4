//! The emulator's own API under `/_emulator/`, for tests: request log, faults, rate limits,
//! statement timeout, CARTO 3's counters, quotas and token lifetime, shutdown. Loopback only, and every endpoint but `health` needs the admin
//! token (`Authorization: Bearer <token>` or `X-Emulator-Token: <token>`).

// Handlers bail out early with finished responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::errors::json_response;
use crate::pg::accounts::RateLimit;
use crate::state::App;
use carto_emulator::fault::Fault;

fn error(status: StatusCode, msg: impl Into<String>) -> Response {
    json_response(status, &json!({ "error": msg.into() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitBody {
    user: String,
    /// The key's name (e.g. "Master", "Default public").
    key: String,
    /// `null` removes the limit.
    limit: Option<u32>,
    #[serde(default)]
    period_s: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MintQuotaBody {
    client_id: String,
    /// `null` lifts the quota.
    quota: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsBody {
    #[serde(default)]
    statement_timeout_ms: Option<u64>,
    #[serde(default)]
    max_rows: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LifetimeBody {
    seconds: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeoutBody {
    /// 0 disables the timeout.
    ms: u64,
}

async fn json_body<T: for<'de> Deserialize<'de>>(body: Body) -> Result<T, Response> {
    let bytes = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .map_err(|e| error(StatusCode::BAD_REQUEST, e.to_string()))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| error(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

pub async fn handle(app: &Arc<App>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().trim_end_matches('/').to_string();
    let sub = path.trim_start_matches("/_emulator");
    if sub == "/health" {
        return json_response(StatusCode::OK, &json!({ "ok": true }));
    }
    if !app.has_admin_token(&parts.headers) {
        return error(
            StatusCode::UNAUTHORIZED,
            "admin token required (Authorization: Bearer <token> or X-Emulator-Token)",
        );
    }
    let result: Result<Response, Response> = async {
        match (parts.method.clone(), sub) {
            (Method::GET, "/info") => Ok(json_response(
                StatusCode::OK,
                app.info.get().unwrap_or(&Value::Null),
            )),
            (Method::GET, "/requests") => Ok(json_response(
                StatusCode::OK,
                &serde_json::to_value(app.log.snapshot()).unwrap_or(Value::Null),
            )),
            (Method::DELETE, "/requests") => {
                app.log.clear();
                Ok(json_response(StatusCode::OK, &json!({ "cleared": true })))
            }
            (Method::GET, "/faults") => Ok(json_response(
                StatusCode::OK,
                &serde_json::to_value(app.faults.list()).unwrap_or(Value::Null),
            )),
            (Method::POST, "/faults") => {
                let spec: Fault = json_body(body).await?;
                let id = app
                    .faults
                    .arm(spec)
                    .map_err(|e| error(StatusCode::BAD_REQUEST, e))?;
                Ok(json_response(StatusCode::CREATED, &json!({ "id": id })))
            }
            (Method::DELETE, "/faults") => {
                app.faults.clear();
                Ok(json_response(StatusCode::OK, &json!({ "cleared": true })))
            }
            (Method::DELETE, s) if s.starts_with("/faults/") => {
                let id: u64 = s["/faults/".len()..]
                    .parse()
                    .map_err(|_| error(StatusCode::BAD_REQUEST, "fault id must be a number"))?;
                if app.faults.remove(id) {
                    Ok(json_response(StatusCode::OK, &json!({ "removed": id })))
                } else {
                    Err(error(StatusCode::NOT_FOUND, format!("no fault {id}")))
                }
            }
            (Method::PUT | Method::POST, "/rate_limits") => {
                let b: RateLimitBody = json_body(body).await?;
                let exists = app
                    .registry
                    .read()
                    .unwrap()
                    .user(&b.user)
                    .is_some_and(|u| u.key_by_name(&b.key).is_some());
                if !exists {
                    return Err(error(
                        StatusCode::NOT_FOUND,
                        format!("no key named {:?} for user {:?}", b.key, b.user),
                    ));
                }
                let limit = match b.limit {
                    None => None,
                    Some(limit) => {
                        let rl = RateLimit {
                            limit,
                            period_s: b.period_s.unwrap_or(1),
                        };
                        rl.validate()
                            .map_err(|e| error(StatusCode::BAD_REQUEST, e))?;
                        Some(rl)
                    }
                };
                app.rate.set(&b.user, &b.key, limit);
                Ok(json_response(
                    StatusCode::OK,
                    &json!({ "user": b.user, "key": b.key, "rate_limit": limit }),
                ))
            }
            (Method::GET, "/statement_timeout") => Ok(json_response(
                StatusCode::OK,
                &json!({ "ms": app.pool.statement_timeout_ms() }),
            )),
            (Method::PUT | Method::POST, "/statement_timeout") => {
                let b: TimeoutBody = json_body(body).await?;
                app.pool.set_statement_timeout_ms(b.ms);
                Ok(json_response(StatusCode::OK, &json!({ "ms": b.ms })))
            }
            (method, s) if s.starts_with("/carto3/") => {
                let Some(c3) = app.carto3.as_ref() else {
                    return Err(error(
                        StatusCode::NOT_FOUND,
                        "CARTO 3 is not enabled (start the emulator with --carto3)",
                    ));
                };
                let issuer = &c3.identity.issuer;
                match (method, &s["/carto3".len()..]) {
                    (Method::GET, "/counters") => Ok(json_response(
                        StatusCode::OK,
                        &serde_json::to_value(issuer.counters()).unwrap_or(Value::Null),
                    )),
                    (Method::DELETE, "/counters") => {
                        issuer.reset_counters();
                        Ok(json_response(StatusCode::OK, &json!({ "cleared": true })))
                    }
                    (Method::PUT | Method::POST, "/mint_quota") => {
                        let b: MintQuotaBody = json_body(body).await?;
                        if b.client_id.is_empty() {
                            return Err(error(StatusCode::BAD_REQUEST, "client_id is empty"));
                        }
                        issuer.set_mint_quota(&b.client_id, b.quota);
                        Ok(json_response(
                            StatusCode::OK,
                            &json!({ "client_id": b.client_id, "quota": b.quota }),
                        ))
                    }
                    (Method::GET, "/limits") => Ok(json_response(
                        StatusCode::OK,
                        &json!({
                            "statement_timeout_ms": c3.limits.statement_timeout_ms(),
                            "max_rows": c3.limits.max_rows(),
                        }),
                    )),
                    (Method::PUT | Method::POST, "/limits") => {
                        let b: LimitsBody = json_body(body).await?;
                        if let Some(ms) = b.statement_timeout_ms {
                            c3.limits.set_statement_timeout_ms(ms);
                        }
                        if let Some(n) = b.max_rows {
                            c3.limits.set_max_rows(n);
                        }
                        Ok(json_response(
                            StatusCode::OK,
                            &json!({
                                "statement_timeout_ms": c3.limits.statement_timeout_ms(),
                                "max_rows": c3.limits.max_rows(),
                            }),
                        ))
                    }
                    (Method::PUT | Method::POST, "/token_lifetime") => {
                        let b: LifetimeBody = json_body(body).await?;
                        if b.seconds == 0 {
                            return Err(error(StatusCode::BAD_REQUEST, "seconds must be >= 1"));
                        }
                        issuer.set_token_lifetime_s(b.seconds);
                        Ok(json_response(
                            StatusCode::OK,
                            &json!({ "seconds": b.seconds }),
                        ))
                    }
                    _ => Err(error(
                        StatusCode::NOT_FOUND,
                        format!("no admin endpoint {} {}", parts.method, path),
                    )),
                }
            }
            (Method::POST, "/shutdown") => {
                app.shutdown.notify_one();
                Ok(json_response(
                    StatusCode::OK,
                    &json!({ "shutting_down": true }),
                ))
            }
            _ => Err(error(
                StatusCode::NOT_FOUND,
                format!("no admin endpoint {} {}", parts.method, path),
            )),
        }
    }
    .await;
    match result {
        Ok(r) | Err(r) => r,
    }
}
