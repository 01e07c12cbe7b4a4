//! The issuer's state and rules, in Auth0's shapes (CARTO signs users in through an Auth0
//! tenant at `auth.carto.com`): one-time authorization codes bound to a PKCE challenge, the
//! token grants (`authorization_code`, `client_credentials`), the per-client mint quota, the
//! access tokens themselves, and the counters tests read.
//!
//! The HTTP endpoints that use it are in `authorize.rs`, `token.rs` and `bearer.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
pub use carto_emulator::carto3::Counters;
use hyper::StatusCode;
use jsonwebtoken::{Algorithm, Header};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::http::form::Params;
use crate::oauth::keys::Keys;
use crate::pg::carto3::{AccountDef, Carto3Def, AUDIENCE};

/// How long an authorization code may wait for its exchange (RFC 6749 §4.1.2 recommends
/// at most ten minutes).
const CODE_LIFETIME: Duration = Duration::from_secs(600);
/// Codes kept at once (used ones stay until they expire, so a replay is recognised).
const MAX_CODES: usize = 10_000;
/// The scope CARTO's token responses carry (reference: carto3.md §7A).
pub const SCOPE: &str =
    "read:tokens write:tokens read:imports write:imports read:connections write:connections";

/// Where the emulator's CARTO 3 services are, as clients see them, and its limits.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `iss` of every token, with the trailing slash Auth0 writes (`https://auth.carto.com/`);
    /// `/authorize`, `/oauth/token` and `/.well-known/jwks.json` hang off it.
    pub issuer: String,
    /// The v3 API (`/v3/...`), e.g. `https://gcp-us-east1.api.carto.com`.
    pub api_base_url: String,
    /// Where `/accounts` is, e.g. `https://accounts.app.carto.com`.
    pub accounts_base_url: String,
    /// The tenant's host (`tenant_domain` of `/accounts`; it serves `/config.yaml`).
    pub tenant_domain: String,
    pub token_lifetime_s: u64,
    /// Tokens each client may mint per `quota_period` (`None`: unlimited).
    pub mint_quota: Option<u32>,
    pub quota_period: Duration,
}

/// Which host names CARTO 3's URLs and tokens carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hosts {
    /// Everything at the emulator's own root URL (`http://127.0.0.1:PORT`).
    Loopback,
    /// CARTO's production names, for a test that maps them to 127.0.0.1 (a network
    /// namespace with its own /etc/hosts): clients that write those names as literals
    /// (carto-auth does) then reach the emulator unchanged.
    Carto,
}

/// CARTO's host names (reference §2, §4.1): its Auth0 tenant, the accounts service, the US
/// tenant and the default regional API.
pub const CARTO_AUTH_HOST: &str = "auth.carto.com";
pub const CARTO_ACCOUNTS_HOST: &str = "accounts.app.carto.com";
pub const CARTO_TENANT_HOST: &str = "clausa.app.carto.com";
pub const CARTO_API_HOST: &str = "gcp-us-east1.api.carto.com";

impl Settings {
    /// The URLs for `hosts`, with the default lifetime (a day) and no quota.
    pub fn at(hosts: Hosts, scheme: &str, port: u16) -> Settings {
        let default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
        let with_port = |host: &str| {
            if default_port {
                host.to_string()
            } else {
                format!("{host}:{port}")
            }
        };
        let (auth, accounts, tenant, api) = match hosts {
            Hosts::Loopback => {
                let h = with_port("127.0.0.1");
                (h.clone(), h.clone(), h.clone(), h)
            }
            Hosts::Carto => (
                with_port(CARTO_AUTH_HOST),
                with_port(CARTO_ACCOUNTS_HOST),
                with_port(CARTO_TENANT_HOST),
                with_port(CARTO_API_HOST),
            ),
        };
        Settings {
            issuer: format!("{scheme}://{auth}/"),
            api_base_url: format!("{scheme}://{api}"),
            accounts_base_url: format!("{scheme}://{accounts}"),
            tenant_domain: tenant,
            token_lifetime_s: 86_400,
            mint_quota: None,
            quota_period: Duration::from_secs(86_400),
        }
    }

    /// The DNS names the TLS certificate must also cover (none for loopback).
    pub fn host_names(&self) -> Vec<String> {
        let host = |url: &str| {
            let rest = url.split_once("://").map_or(url, |(_, r)| r);
            let authority = rest.split('/').next().unwrap_or("");
            authority.split(':').next().unwrap_or("").to_string()
        };
        let mut names: Vec<String> = [
            host(&self.issuer),
            host(&self.api_base_url),
            host(&self.accounts_base_url),
            host(&self.tenant_domain),
        ]
        .into_iter()
        .filter(|h| h.parse::<std::net::IpAddr>().is_err() && h != "localhost")
        .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// An RFC 6749 §5.2 error, with Auth0's status codes.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
    /// Seconds until the quota window ends (429 only).
    pub retry_after: Option<u64>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status,
            error,
            description: description.into(),
            retry_after: None,
        }
    }

    /// A bad, used or expired code, or a verifier or redirect_uri that does not match. Auth0
    /// answers these with 403 (reference §10, from a community thread: unconfirmed by Auth0's
    /// docs); RFC 6749 §5.2 would say 400. Clients must accept either.
    fn invalid_grant(description: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::FORBIDDEN, "invalid_grant", description)
    }

    pub fn body(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

/// The `aud` claim: Auth0 writes one string for M2M tokens and a list (with its userinfo
/// endpoint) for user tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The claims of a CARTO 3 access token (reference §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub iat: u64,
    pub exp: u64,
    /// The client the token was issued to.
    pub azp: String,
    pub scope: String,
    /// `client-credentials` on M2M tokens (Auth0's convention, inferred for CARTO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gty: Option<String>,
    #[serde(rename = "http://app.carto.com/email")]
    pub email: String,
    #[serde(rename = "http://app.carto.com/account_id")]
    pub account_id: String,
    /// The organization signed in through (`organization=` on /authorize).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
}

struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    account_id: String,
    organization: Option<String>,
    created: Instant,
    used: bool,
}

#[derive(Default)]
struct QuotaState {
    /// Per client: when its current window started and how many tokens it minted in it.
    windows: HashMap<String, (Instant, u32)>,
    /// Quotas set at run time (admin API), over the accounts file and `--carto3-mint-quota`.
    overrides: HashMap<String, Option<u32>>,
}

pub struct Issuer {
    pub settings: Settings,
    pub def: Carto3Def,
    pub keys: Keys,
    token_lifetime_s: AtomicU64,
    codes: Mutex<HashMap<String, Code>>,
    quota: Mutex<QuotaState>,
    counters: Mutex<Counters>,
}

/// Seconds since the Unix epoch (JWT times).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn random_code() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("OS random source");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// RFC 7636: 43 to 128 characters of `[A-Za-z0-9-._~]` (verifiers, and S256 challenges).
fn is_pkce_string(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// `base64url(sha256(verifier))` without padding.
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// What a query component escapes: everything but RFC 3986's unreserved characters.
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Appends query parameters to a redirect URI that may already have a query.
fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = uri.to_string();
    let mut sep = if uri.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        out.push(sep);
        out.push_str(k);
        out.push('=');
        out.push_str(&percent_encoding::utf8_percent_encode(v, COMPONENT).to_string());
        sep = '&';
    }
    out
}

/// What `/authorize` answers.
#[derive(Debug, PartialEq)]
pub enum Authorized {
    /// 302 to this location (a code, or an `error=` the client's redirect URI receives).
    Redirect(String),
    /// The request cannot be trusted to redirect (unknown client, redirect URI not allowed):
    /// an error page, as Auth0 shows one.
    Refused(OAuthError),
}

impl Issuer {
    pub fn new(settings: Settings, def: Carto3Def, keys: Keys) -> Issuer {
        Issuer {
            token_lifetime_s: AtomicU64::new(settings.token_lifetime_s),
            settings,
            def,
            keys,
            codes: Mutex::new(HashMap::new()),
            quota: Mutex::new(QuotaState::default()),
            counters: Mutex::new(Counters::default()),
        }
    }

    pub fn token_lifetime_s(&self) -> u64 {
        self.token_lifetime_s.load(Ordering::Relaxed)
    }

    pub fn set_token_lifetime_s(&self, s: u64) {
        self.token_lifetime_s.store(s, Ordering::Relaxed);
    }

    pub fn counters(&self) -> Counters {
        self.counters.lock().unwrap().clone()
    }

    pub fn reset_counters(&self) {
        *self.counters.lock().unwrap() = Counters::default();
    }

    pub fn count_expired(&self, client: &str) {
        let mut c = self.counters.lock().unwrap();
        c.expired_token_requests += 1;
        *c.expired_by_client.entry(client.to_string()).or_default() += 1;
    }

    pub fn count_authenticated(&self, client: &str) {
        *self
            .counters
            .lock()
            .unwrap()
            .authenticated_requests
            .entry(client.to_string())
            .or_default() += 1;
    }

    /// Sets (or with `None` lifts) a client's quota and starts its window afresh.
    pub fn set_mint_quota(&self, client_id: &str, quota: Option<u32>) {
        let mut q = self.quota.lock().unwrap();
        q.overrides.insert(client_id.to_string(), quota);
        q.windows.remove(client_id);
    }

    fn quota_of(&self, q: &QuotaState, client_id: &str) -> Option<u32> {
        if let Some(o) = q.overrides.get(client_id) {
            return *o;
        }
        self.def
            .m2m_client(client_id)
            .and_then(|(_, m)| m.mint_quota)
            .or(self.settings.mint_quota)
    }

    /// Counts one mint against the client's quota, or says how long until it has room again.
    fn take_quota(&self, client_id: &str) -> Result<(), OAuthError> {
        let mut q = self.quota.lock().unwrap();
        let Some(limit) = self.quota_of(&q, client_id) else {
            return Ok(());
        };
        let period = self.settings.quota_period;
        let now = Instant::now();
        let window = q.windows.entry(client_id.to_string()).or_insert((now, 0));
        if now.duration_since(window.0) >= period {
            *window = (now, 0);
        }
        if window.1 >= limit {
            let left = period.saturating_sub(now.duration_since(window.0));
            drop(q);
            *self
                .counters
                .lock()
                .unwrap()
                .quota_refusals
                .entry(client_id.to_string())
                .or_default() += 1;
            // Auth0's rate-limit body; that CARTO's mint quota answers with it is inferred.
            let mut e = OAuthError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!(
                    "the token quota of client {client_id} ({limit} per {} s) is spent",
                    period.as_secs()
                ),
            );
            // Rounded up, so a client that waits this long finds room.
            e.retry_after = Some(left.as_millis().div_ceil(1000).max(1) as u64);
            return Err(e);
        }
        window.1 += 1;
        Ok(())
    }

    /// Decides `GET /authorize` for the configured test user (approved without a prompt).
    pub fn authorize(&self, p: &Params) -> Authorized {
        let refused = |d: String| {
            Authorized::Refused(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                d,
            ))
        };
        let client_id = p.get_str("client_id").unwrap_or_default();
        let Some(client) = self.def.spa_client(&client_id) else {
            return refused(format!("unknown client_id {client_id:?}"));
        };
        let Some(redirect_uri) = p.get_str("redirect_uri").filter(|r| !r.is_empty()) else {
            return refused("missing redirect_uri".into());
        };
        if !client.allows_redirect(&redirect_uri) {
            return refused(format!(
                "redirect_uri {redirect_uri:?} is not an allowed callback URL of client {client_id}"
            ));
        }
        let state = p.get_str("state");
        let fail = |error: &str, description: String| {
            let mut q = vec![
                ("error", error),
                ("error_description", description.as_str()),
            ];
            if let Some(s) = state.as_deref() {
                q.push(("state", s));
            }
            Authorized::Redirect(with_query(&redirect_uri, &q))
        };
        if p.get_str("response_type").as_deref() != Some("code") {
            return fail(
                "unsupported_response_type",
                "only response_type=code is supported".into(),
            );
        }
        match p.get_str("audience") {
            Some(a) if a == AUDIENCE => {}
            // Auth0's answer for an API it does not know.
            Some(a) => return fail("access_denied", format!("Service not found: {a}")),
            None => return fail("invalid_request", "missing audience".into()),
        }
        let challenge = p.get_str("code_challenge").unwrap_or_default();
        if p.get_str("code_challenge_method").as_deref() != Some("S256") {
            return fail(
                "invalid_request",
                "code_challenge_method must be S256".into(),
            );
        }
        if !is_pkce_string(&challenge) {
            return fail(
                "invalid_request",
                "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]".into(),
            );
        }
        let account = match p.get_str("login_hint").filter(|h| !h.is_empty()) {
            Some(hint) => match self.def.accounts.iter().find(|a| a.email == hint) {
                Some(a) => a,
                None => return fail("access_denied", format!("no user {hint}")),
            },
            None => &self.def.accounts[0],
        };
        let organization = p.get_str("organization").filter(|o| !o.is_empty());
        if let Some(org) = &organization {
            if !account.organizations.contains(org) {
                // Auth0's wording is not documented here (inferred).
                return fail(
                    "access_denied",
                    format!(
                        "user {} is not a member of organization {org}",
                        account.email
                    ),
                );
            }
        }
        let code = random_code();
        {
            let mut codes = self.codes.lock().unwrap();
            codes.retain(|_, c| c.created.elapsed() < CODE_LIFETIME);
            if codes.len() >= MAX_CODES {
                return fail(
                    "temporarily_unavailable",
                    "too many authorization codes waiting for their exchange".into(),
                );
            }
            codes.insert(
                code.clone(),
                Code {
                    client_id: client_id.clone(),
                    redirect_uri: redirect_uri.clone(),
                    challenge,
                    account_id: account.id.clone(),
                    organization,
                    created: Instant::now(),
                    used: false,
                },
            );
        }
        let mut q = vec![("code", code.as_str())];
        if let Some(s) = state.as_deref() {
            q.push(("state", s));
        }
        Authorized::Redirect(with_query(&redirect_uri, &q))
    }

    /// `POST /oauth/token`: the parameters (form or JSON) and the client credentials of an
    /// `Authorization: Basic` header, if any.
    pub fn token(&self, p: &Params, basic: Option<(String, String)>) -> Result<Value, OAuthError> {
        let grant = p.get_str("grant_type").unwrap_or_default();
        match grant.as_str() {
            "client_credentials" => self.client_credentials(p, basic),
            "authorization_code" => self.authorization_code(p, basic),
            "" => Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing required parameter: grant_type",
            )),
            other => Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("Unsupported grant type: {other}"),
            )),
        }
    }

    fn check_audience(p: &Params, required: bool) -> Result<(), OAuthError> {
        match p.get_str("audience") {
            Some(a) if a == AUDIENCE => Ok(()),
            None if !required => Ok(()),
            Some(a) => Err(OAuthError::new(
                StatusCode::FORBIDDEN,
                "access_denied",
                format!("Service not enabled within domain: {a}"),
            )),
            None => Err(OAuthError::new(
                StatusCode::FORBIDDEN,
                "access_denied",
                "Missing required parameter: audience",
            )),
        }
    }

    fn client_credentials(
        &self,
        p: &Params,
        basic: Option<(String, String)>,
    ) -> Result<Value, OAuthError> {
        let (id, secret) = match basic {
            Some(b) => b,
            None => (
                p.get_str("client_id").unwrap_or_default(),
                p.get_str("client_secret").unwrap_or_default(),
            ),
        };
        // Unknown client and wrong secret look the same (Auth0's 401 access_denied).
        let unauthorized =
            || OAuthError::new(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized");
        let (account, client) = self.def.m2m_client(&id).ok_or_else(unauthorized)?;
        if !constant_time_eq(client.client_secret.as_bytes(), secret.as_bytes()) {
            return Err(unauthorized());
        }
        Issuer::check_audience(p, true)?;
        self.take_quota(&id)?;
        let claims = self.claims(account, &id, None, true);
        Ok(self.issue(claims))
    }

    fn authorization_code(
        &self,
        p: &Params,
        basic: Option<(String, String)>,
    ) -> Result<Value, OAuthError> {
        let client_id = basic
            .map(|(id, _)| id)
            .or_else(|| p.get_str("client_id"))
            .unwrap_or_default();
        if self.def.spa_client(&client_id).is_none() {
            return Err(OAuthError::new(
                StatusCode::UNAUTHORIZED,
                "access_denied",
                "Unauthorized",
            ));
        }
        let Some(code) = p.get_str("code").filter(|c| !c.is_empty()) else {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing required parameter: code",
            ));
        };
        Issuer::check_audience(p, false)?;
        let (account_id, organization) = {
            let mut codes = self.codes.lock().unwrap();
            let Some(c) = codes
                .get_mut(&code)
                .filter(|c| c.created.elapsed() < CODE_LIFETIME)
            else {
                return Err(OAuthError::invalid_grant("Invalid authorization code"));
            };
            if c.used {
                return Err(OAuthError::invalid_grant("Invalid authorization code"));
            }
            // Spent by this first presentation whatever its outcome, so a stolen code cannot
            // be tried against guessed verifiers.
            c.used = true;
            if c.client_id != client_id {
                return Err(OAuthError::invalid_grant("Invalid authorization code"));
            }
            if p.get_str("redirect_uri").as_deref() != Some(c.redirect_uri.as_str()) {
                return Err(OAuthError::invalid_grant(
                    "redirect_uri does not match the one of the authorization request",
                ));
            }
            let verifier = p.get_str("code_verifier").unwrap_or_default();
            if !is_pkce_string(&verifier) || s256(&verifier) != c.challenge {
                return Err(OAuthError::invalid_grant("Failed to verify code verifier"));
            }
            (c.account_id.clone(), c.organization.clone())
        };
        let account = self
            .def
            .account(&account_id)
            .expect("codes name configured accounts");
        self.take_quota(&client_id)?;
        let claims = self.claims(account, &client_id, organization, false);
        Ok(self.issue(claims))
    }

    fn claims(
        &self,
        account: &AccountDef,
        client_id: &str,
        organization: Option<String>,
        m2m: bool,
    ) -> Claims {
        let iat = unix_now();
        let issuer = &self.settings.issuer;
        Claims {
            iss: issuer.clone(),
            sub: if m2m {
                format!("{client_id}@clients")
            } else {
                format!("auth0|{}", account.id)
            },
            aud: if m2m {
                Audience::One(AUDIENCE.to_string())
            } else {
                Audience::Many(vec![AUDIENCE.to_string(), format!("{issuer}userinfo")])
            },
            iat,
            exp: iat + self.token_lifetime_s(),
            azp: client_id.to_string(),
            scope: SCOPE.to_string(),
            gty: m2m.then(|| "client-credentials".to_string()),
            // On M2M tokens the account and e-mail of the application's owner (inferred:
            // CARTO's API needs to know the account; no public M2M token was decoded).
            email: account.email.clone(),
            account_id: account.id.clone(),
            org_id: organization,
        }
    }

    /// Signs the token and counts it; the response body of `/oauth/token`.
    fn issue(&self, claims: Claims) -> Value {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.keys.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.keys.rs_encoding)
            .expect("signing with a generated RSA key cannot fail");
        *self
            .counters
            .lock()
            .unwrap()
            .minted
            .entry(claims.azp.clone())
            .or_default() += 1;
        json!({
            "access_token": token,
            "scope": SCOPE,
            "expires_in": claims.exp - claims.iat,
            "token_type": "Bearer",
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::http::form::parse_urlencoded;
    use crate::pg::carto3::{
        CARTO_AUTH_CLIENT_ID, DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET,
    };

    pub(crate) fn issuer() -> Issuer {
        let settings = Settings {
            issuer: "https://auth.example/".into(),
            api_base_url: "https://api.example".into(),
            accounts_base_url: "https://accounts.example".into(),
            tenant_domain: "tenant.example".into(),
            token_lifetime_s: 120,
            mint_quota: None,
            quota_period: Duration::from_secs(3600),
        };
        Issuer::new(
            settings,
            Carto3Def::derived("demo", Some("demo@example.com")),
            Keys::generate().unwrap(),
        )
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        let q: Vec<String> = pairs
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                )
            })
            .collect();
        parse_urlencoded(q.join("&").as_bytes())
    }

    const VERIFIER: &str = "a-verifier-of-at-least-forty-three-characters-long";
    const REDIRECT: &str = "http://localhost:10000/callback/";

    fn authorize(issuer: &Issuer, extra: &[(&str, &str)]) -> Authorized {
        let challenge = s256(VERIFIER);
        let mut p = vec![
            ("client_id", CARTO_AUTH_CLIENT_ID),
            ("response_type", "code"),
            ("audience", AUDIENCE),
            ("redirect_uri", REDIRECT),
            ("code_challenge_method", "S256"),
            ("code_challenge", challenge.as_str()),
            ("scope", "None"),
        ];
        // Extra parameters replace the defaults of the same name.
        p.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        p.extend_from_slice(extra);
        issuer.authorize(&params(&p))
    }

    fn code_of(a: &Authorized) -> String {
        let Authorized::Redirect(loc) = a else {
            panic!("{a:?}")
        };
        let q = parse_urlencoded(loc.split_once('?').unwrap().1.as_bytes());
        q.get_str("code")
            .unwrap_or_else(|| panic!("no code in {loc}"))
    }

    fn exchange(
        issuer: &Issuer,
        code: &str,
        verifier: &str,
        redirect: &str,
    ) -> Result<Value, OAuthError> {
        issuer.token(
            &params(&[
                ("client_id", CARTO_AUTH_CLIENT_ID),
                ("grant_type", "authorization_code"),
                ("audience", AUDIENCE),
                ("code", code),
                ("redirect_uri", redirect),
                ("code_verifier", verifier),
            ]),
            None,
        )
    }

    #[test]
    fn host_names_follow_the_chosen_hosts() {
        let l = Settings::at(Hosts::Loopback, "http", 41234);
        assert_eq!(l.issuer, "http://127.0.0.1:41234/");
        assert_eq!(l.api_base_url, "http://127.0.0.1:41234");
        assert_eq!(l.tenant_domain, "127.0.0.1:41234");
        assert!(l.host_names().is_empty());
        let c = Settings::at(Hosts::Carto, "https", 443);
        assert_eq!(c.issuer, "https://auth.carto.com/");
        assert_eq!(c.accounts_base_url, "https://accounts.app.carto.com");
        assert_eq!(c.api_base_url, "https://gcp-us-east1.api.carto.com");
        assert_eq!(c.tenant_domain, "clausa.app.carto.com");
        assert_eq!(c.host_names().len(), 4);
        let c = Settings::at(Hosts::Carto, "https", 8443);
        assert_eq!(c.issuer, "https://auth.carto.com:8443/");
        assert!(c.host_names().contains(&"auth.carto.com".to_string()));
    }

    #[test]
    fn the_rfc_7636_example_challenge() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn a_code_is_exchanged_once_with_its_verifier_and_redirect_uri() {
        let i = issuer();
        let a = authorize(&i, &[("state", "s t")]);
        let Authorized::Redirect(loc) = &a else {
            panic!()
        };
        assert!(
            loc.starts_with("http://localhost:10000/callback/?code="),
            "{loc}"
        );
        assert!(loc.ends_with("&state=s%20t"), "{loc}");
        let code = code_of(&a);
        let ok = exchange(&i, &code, VERIFIER, REDIRECT).unwrap();
        assert_eq!(ok["token_type"], "Bearer");
        assert_eq!(ok["expires_in"], 120);
        let again = exchange(&i, &code, VERIFIER, REDIRECT).unwrap_err();
        assert_eq!(
            (again.status, again.error),
            (StatusCode::FORBIDDEN, "invalid_grant")
        );
        assert_eq!(i.counters().minted[CARTO_AUTH_CLIENT_ID], 1);
    }

    #[test]
    fn a_wrong_verifier_or_redirect_uri_spends_the_code() {
        let i = issuer();
        let code = code_of(&authorize(&i, &[]));
        let wrong = exchange(&i, &code, &VERIFIER.replace('a', "b"), REDIRECT).unwrap_err();
        assert_eq!(wrong.error, "invalid_grant");
        assert!(wrong.description.contains("verifier"));
        // The right verifier is too late now.
        assert_eq!(
            exchange(&i, &code, VERIFIER, REDIRECT).unwrap_err().error,
            "invalid_grant"
        );
        let code = code_of(&authorize(&i, &[]));
        let e = exchange(&i, &code, VERIFIER, "http://localhost:10000/callback").unwrap_err();
        assert_eq!(e.error, "invalid_grant");
        assert!(e.description.contains("redirect_uri"));
        assert!(i.counters().minted.is_empty());
    }

    #[test]
    fn authorize_refuses_untrusted_requests_and_redirects_the_rest_with_errors() {
        let i = issuer();
        let Authorized::Refused(e) = authorize(&i, &[("redirect_uri", "https://evil.example/")])
        else {
            panic!()
        };
        assert!(e.description.contains("evil.example"));
        let Authorized::Redirect(loc) =
            authorize(&i, &[("organization", "org_other"), ("state", "x")])
        else {
            panic!()
        };
        assert!(
            loc.contains("error=access_denied") && loc.ends_with("&state=x"),
            "{loc}"
        );
        let Authorized::Redirect(loc) = authorize(&i, &[("code_challenge_method", "plain")]) else {
            panic!()
        };
        assert!(loc.contains("error=invalid_request"), "{loc}");
        let a = authorize(&i, &[("organization", DEFAULT_ORGANIZATION_FOR_TESTS)]);
        let code = code_of(&a);
        let token = exchange(&i, &code, VERIFIER, REDIRECT).unwrap();
        assert!(token["access_token"].as_str().unwrap().starts_with("eyJ"));
    }

    const DEFAULT_ORGANIZATION_FOR_TESTS: &str = crate::pg::carto3::DEFAULT_ORGANIZATION;

    #[test]
    fn client_credentials_check_the_secret_the_audience_and_the_quota() {
        let i = issuer();
        let m2m = |secret: &str, audience: &str| {
            i.token(
                &params(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", DEFAULT_M2M_CLIENT_ID),
                    ("client_secret", secret),
                    ("audience", audience),
                ]),
                None,
            )
        };
        let bad = m2m("wrong", AUDIENCE).unwrap_err();
        assert_eq!(
            (bad.status, bad.error),
            (StatusCode::UNAUTHORIZED, "access_denied")
        );
        let aud = m2m(DEFAULT_M2M_CLIENT_SECRET, "other-api").unwrap_err();
        assert_eq!(aud.status, StatusCode::FORBIDDEN);
        i.set_mint_quota(DEFAULT_M2M_CLIENT_ID, Some(2));
        m2m(DEFAULT_M2M_CLIENT_SECRET, AUDIENCE).unwrap();
        m2m(DEFAULT_M2M_CLIENT_SECRET, AUDIENCE).unwrap();
        let spent = m2m(DEFAULT_M2M_CLIENT_SECRET, AUDIENCE).unwrap_err();
        assert_eq!(spent.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(spent.retry_after.unwrap() > 3000);
        let c = i.counters();
        assert_eq!(c.minted[DEFAULT_M2M_CLIENT_ID], 2);
        assert_eq!(c.quota_refusals[DEFAULT_M2M_CLIENT_ID], 1);
        // Basic client authentication works the same.
        i.set_mint_quota(DEFAULT_M2M_CLIENT_ID, None);
        let basic = Some((
            DEFAULT_M2M_CLIENT_ID.to_string(),
            DEFAULT_M2M_CLIENT_SECRET.to_string(),
        ));
        let p = params(&[("grant_type", "client_credentials"), ("audience", AUDIENCE)]);
        assert!(i.token(&p, basic).is_ok());
        let none = i
            .token(&params(&[("grant_type", "password")]), None)
            .unwrap_err();
        assert_eq!(none.error, "unsupported_grant_type");
    }
}
