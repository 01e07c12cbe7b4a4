//! State the server keeps between requests: [`App`], shared by every handler, and the stores
//! it holds.

pub mod carto3;
pub mod jobs;
pub mod maps;

use std::sync::{Arc, OnceLock, RwLock};

use hyper::header::HeaderMap;

use crate::http::context::header_str;
use crate::pg::accounts::Registry;
use crate::pg::db::Pool;
use crate::testing::faults::Faults;
use crate::testing::rate_limit::RateLimiter;
use crate::testing::request_log::RequestLog;
use carto3::Carto3;
use jobs::Jobs;

pub struct App {
    pub registry: RwLock<Registry>,
    pub pool: Arc<Pool>,
    pub rate: RateLimiter,
    pub faults: Faults,
    pub log: RequestLog,
    pub jobs: Jobs,
    pub admin_token: String,
    /// `http` or `https`.
    pub scheme: &'static str,
    pub root_url: OnceLock<String>,
    /// The info document (also served at `/_emulator/info`).
    pub info: OnceLock<serde_json::Value>,
    pub shutdown: tokio::sync::Notify,
    /// Serialises Auth API changes (role creation and removal).
    pub keys_lock: tokio::sync::Mutex<()>,
    /// CARTO 3 (`--carto3`): the issuer, API access tokens, SQL limits.
    pub carto3: Option<Carto3>,
}

impl App {
    /// Does the request carry the admin token (Bearer or X-Emulator-Token)?
    pub fn has_admin_token(&self, headers: &HeaderMap) -> bool {
        let bearer = header_str(headers, "authorization")
            .and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_string()));
        let header = header_str(headers, "x-emulator-token");
        [bearer, header]
            .into_iter()
            .flatten()
            .any(|t| constant_time_eq(t.as_bytes(), self.admin_token.as_bytes()))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
