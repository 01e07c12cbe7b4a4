//! The single entry point every request goes through: admin API, fault injection, routing to
//! the CARTO API handlers, common CARTO headers, and the request log. It sits on top of the
//! handlers; the state they share lives in `context.rs`.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::header::{HeaderName, HeaderValue, USER_AGENT};
use hyper::{Method, StatusCode};

use crate::admin;
use crate::api::{auth_api, batch, carto3, copy, me, sql_api};
use crate::http::auth::Transport;
use crate::http::context::{header_str, Ctx, ReqInfo};
use crate::http::errors::ApiError;
use crate::http::routes::{self, Route};
use crate::state::App;
use crate::testing::faults;
use crate::testing::request_log::{self, Entry};
use carto_emulator::fault::Fault;

/// A body that counts the bytes passing through and reports the total when it ends.
struct Counted {
    inner: Body,
    bytes: u64,
    on_end: Option<Box<dyn FnOnce(u64) + Send>>,
    counter: Option<Arc<AtomicU64>>,
}

impl Counted {
    fn finish(&mut self) {
        if let Some(f) = self.on_end.take() {
            f(self.bytes);
        }
    }
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(d) = frame.data_ref() {
                    this.bytes += d.len() as u64;
                    if let Some(c) = &this.counter {
                        c.fetch_add(d.len() as u64, Ordering::Relaxed);
                    }
                }
                if http_body::Body::is_end_stream(&this.inner) {
                    this.finish();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) => {
                this.finish();
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => {
                this.finish();
                Poll::Ready(Some(Err(e)))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.finish();
    }
}

fn cors_headers(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(
        HeaderName::from_static("access-control-allow-origin"),
        HeaderValue::from_static("*"),
    );
    h.insert(
        HeaderName::from_static("access-control-allow-headers"),
        HeaderValue::from_static(
            "X-Requested-With, X-Prototype-Version, X-CSRF-Token, Authorization, Content-Type, Carto-Event, Carto-Event-Source, Carto-Event-Group-Id",
        ),
    );
}

/// Adds the headers CARTO sends on its API responses.
fn carto_headers(resp: &mut Response, route: &Route, info: &ReqInfo) {
    cors_headers(resp);
    let h = resp.headers_mut();
    if let Some(client) = info.client.as_deref().filter(|c| !c.is_empty()) {
        if let Ok(v) = HeaderValue::from_str(client) {
            h.insert(HeaderName::from_static("carto-client"), v);
        }
    }
    if route.is_sql_api() {
        if let Some(u) = info.user.as_deref() {
            if let Ok(v) = HeaderValue::from_str(u) {
                h.insert(HeaderName::from_static("carto-user"), v);
            }
        }
        if let Some(id) = info.user_id.as_deref() {
            if let Ok(v) = HeaderValue::from_str(id) {
                h.insert(HeaderName::from_static("carto-user-id"), v);
            }
        }
        h.insert(
            HeaderName::from_static("vary"),
            HeaderValue::from_static("Authorization"),
        );
        h.insert(
            HeaderName::from_static("x-served-by-db-host"),
            HeaderValue::from_static("localhost"),
        );
    }
    crate::http::errors::apply_headers(resp, &info.rate_headers);
}

/// Routes a CARTO API request to its handler.
async fn route_request(app: &Arc<App>, ctx: &Ctx, body: Body) -> Response {
    if ctx.method == Method::OPTIONS {
        return StatusCode::OK.into_response();
    }
    match ctx.route.clone() {
        Route::Sql { format } => sql_api::handle(app, ctx, body, format).await,
        Route::Jobs | Route::Job(_) => batch::handle(app, ctx, body).await,
        Route::CopyFrom => copy::copy_from(app, ctx, body).await,
        Route::CopyTo => copy::copy_to(app, ctx, body).await,
        Route::Me => me::me(app, ctx, body).await,
        Route::DoToken => me::do_token(app, ctx, body).await,
        Route::ApiKeys | Route::ApiKey(_) | Route::RegenerateKey(_) => {
            auth_api::handle(app, ctx, body).await
        }
        // CARTO 3's routes exist only with --carto3; without it they are CARTO 2's 404.
        Route::Carto3(r) if app.carto3.is_some() => carto3::handle(app, ctx, body, &r).await,
        Route::Carto3(_) | Route::NotFound => (
            StatusCode::NOT_FOUND,
            format!("Cannot {} {}", ctx.method, ctx.uri.path()),
        )
            .into_response(),
    }
}

/// The one handler of the server.
pub async fn dispatch(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let path = req.uri().path().to_string();
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        // The listener is bound to 127.0.0.1; refuse anything else all the same.
        if !peer.ip().is_loopback() {
            return StatusCode::FORBIDDEN.into_response();
        }
        return admin::handle(&app, req).await;
    }

    let (parts, body) = req.into_parts();
    let request_bytes = Arc::new(AtomicU64::new(0));
    let body = Body::new(Counted {
        inner: body,
        bytes: 0,
        on_end: None,
        counter: Some(request_bytes.clone()),
    });

    // A per-request fault, only with the admin token; else an armed route fault.
    let mut fault: Option<Fault> = None;
    if let Some(raw) = parts.headers.get("x-emulator-fault") {
        if !app.has_admin_token(&parts.headers) {
            return ApiError::bad_request(
                "X-Emulator-Fault requires a valid admin token in X-Emulator-Token",
            )
            .into_response();
        }
        match raw
            .to_str()
            .map_err(|e| e.to_string())
            .and_then(|s| serde_json::from_str::<Fault>(s).map_err(|e| e.to_string()))
            .and_then(|f| f.validate().map(|_| f))
        {
            Ok(f) => fault = Some(f),
            Err(e) => {
                return ApiError::bad_request(format!("invalid X-Emulator-Fault: {e}"))
                    .into_response()
            }
        }
    }
    if fault.is_none() {
        fault = app.faults.take_match(parts.method.as_str(), &path);
    }

    let (path_user, route) = routes::parse(&path);
    let ctx = Ctx {
        method: parts.method.clone(),
        uri: parts.uri.clone(),
        headers: parts.headers.clone(),
        route,
        path_user,
        info: Mutex::new(ReqInfo::default()),
    };

    if let Some(delay) = fault.as_ref().and_then(|f| f.delay_ms) {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let mut resp = match &fault {
        Some(f) if f.short_circuits() => faults::short_circuit_response(f),
        _ => route_request(&app, &ctx, body).await,
    };
    let info = ctx.info.lock().unwrap().clone();
    carto_headers(&mut resp, &ctx.route, &info);
    if let Some(f) = fault.as_ref().filter(|f| f.reshapes_body()) {
        resp = faults::reshape(f, resp).await;
    }

    // Log the request now (status known) and complete it when the body has been sent.
    let tokens = app.registry.read().unwrap().all_tokens();
    let entry = Entry {
        id: 0,
        ts: chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string(),
        method: ctx.method.to_string(),
        path: request_log::scrub(&path, &tokens),
        query: request_log::scrub(
            &crate::http::form::redact_query(ctx.uri.query().unwrap_or("")),
            &tokens,
        ),
        user: info.user.clone(),
        key_transport: info.transport.unwrap_or(Transport::None).as_str().into(),
        key_name: info.key_name.clone(),
        key_type: info.key_type.clone(),
        status: resp.status().as_u16(),
        request_bytes: request_bytes.load(Ordering::Relaxed),
        response_bytes: 0,
        complete: false,
        user_agent: header_str(&ctx.headers, USER_AGENT.as_str())
            .map(|ua| request_log::scrub(&ua, &tokens)),
        fault: fault.as_ref().and_then(|f| serde_json::to_value(f).ok()),
        client_id: info.client_id.clone(),
        token_expired: info.token_expired,
    };
    let id = app.log.start(entry);
    let (parts, body) = resp.into_parts();
    let app2 = app.clone();
    let counted = Counted {
        inner: body,
        bytes: 0,
        on_end: Some(Box::new(move |n| {
            app2.log
                .complete(id, request_bytes.load(Ordering::Relaxed), n)
        })),
        counter: None,
    };
    Response::from_parts(parts, Body::new(counted))
}
