//! A small CARTO 3 stand-in for the token engine's tests: an OAuth server (client credentials
//! and authorization code + PKCE) issuing JWT-shaped tokens with a chosen lifetime, and a SQL
//! API v3 query route that checks every Bearer token's `exp` against the clock, counting the
//! tokens it minted per client and the requests that arrived with an expired token. Its
//! tokens are not signed (cartoauth never verifies signatures; the server checks `exp` and
//! that it issued the token). The full emulator is carto-emulator; this fake exists so the
//! engine's rules can be tested with faults the emulator does not script (revoking a token,
//! refusing every token).

#![allow(dead_code)]

use base64::Engine;
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

pub const CLIENT_ID: &str = "fake-m2m-client";
pub const CLIENT_SECRET: &str = "fake-m2m-s3cret-value";
pub const USER_CLIENT_ID: &str = "fake-public-client";

#[derive(Default)]
struct State {
    lifetime: AtomicU64,
    mints: Mutex<HashMap<String, u64>>,
    token_requests: AtomicU64,
    code_exchanges: AtomicU64,
    api_requests: AtomicU64,
    expired_requests: AtomicU64,
    /// Answers the token endpoint gives before any real one: (status, Retry-After).
    faults: Mutex<VecDeque<(u16, Option<u64>)>>,
    /// code -> (challenge, redirect_uri, client_id)
    codes: Mutex<HashMap<String, (String, String, String)>>,
    issued: Mutex<HashSet<String>>,
    revoked: Mutex<HashSet<String>>,
    refuse_all: AtomicBool,
    serial: AtomicU64,
}

/// The fake server; it runs until the test process exits.
pub struct FakeCarto3 {
    pub port: u16,
    state: Arc<State>,
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn claims_of(token: &str) -> Option<serde_json::Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl FakeCarto3 {
    pub fn start(lifetime_s: u64) -> FakeCarto3 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        state.lifetime.store(lifetime_s, Ordering::SeqCst);
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, port, &state));
            }
        });
        FakeCarto3 { port, state }
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The API base URL (a path ending in /api: detected as CARTO 3).
    pub fn api_base_url(&self) -> String {
        format!("{}/api", self.origin())
    }

    pub fn mints(&self, client_id: &str) -> u64 {
        *self
            .state
            .mints
            .lock()
            .unwrap()
            .get(client_id)
            .unwrap_or(&0)
    }

    pub fn token_requests(&self) -> u64 {
        self.state.token_requests.load(Ordering::SeqCst)
    }

    pub fn code_exchanges(&self) -> u64 {
        self.state.code_exchanges.load(Ordering::SeqCst)
    }

    pub fn api_requests(&self) -> u64 {
        self.state.api_requests.load(Ordering::SeqCst)
    }

    pub fn expired_requests(&self) -> u64 {
        self.state.expired_requests.load(Ordering::SeqCst)
    }

    pub fn set_lifetime(&self, seconds: u64) {
        self.state.lifetime.store(seconds, Ordering::SeqCst);
    }

    /// The next `count` token requests get `status` (with `Retry-After`, if given).
    pub fn fail_token_requests(&self, count: usize, status: u16, retry_after: Option<u64>) {
        let mut faults = self.state.faults.lock().unwrap();
        for _ in 0..count {
            faults.push_back((status, retry_after));
        }
    }

    /// Every token issued so far is refused with 401 from now on.
    pub fn revoke_all_issued(&self) {
        let issued = self.state.issued.lock().unwrap().clone();
        self.state.revoked.lock().unwrap().extend(issued);
    }

    /// Every token, old or new, is refused with 401.
    pub fn refuse_all(&self, on: bool) {
        self.state.refuse_all.store(on, Ordering::SeqCst);
    }

    /// Mints a token directly (for tests that need one without a client).
    pub fn issue(&self, subject: &str, azp: &str, lifetime_s: i64) -> String {
        issue(self.port, &self.state, subject, azp, lifetime_s)
    }
}

fn issue(port: u16, state: &State, subject: &str, azp: &str, lifetime_s: i64) -> String {
    let iat = now();
    let serial = state.serial.fetch_add(1, Ordering::SeqCst);
    let claims = serde_json::json!({
        "iss": format!("http://127.0.0.1:{port}/"),
        "sub": subject, "azp": azp, "aud": ["carto-cloud-native-api"],
        "iat": iat, "exp": iat + lifetime_s, "jti": serial,
    });
    let token = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"RS256","typ":"JWT","kid":"fake"}"#),
        b64(claims.to_string().as_bytes()),
        b64(format!("sig-{serial}").as_bytes())
    );
    state.issued.lock().unwrap().insert(token.clone());
    token
}

struct Http {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Http {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    fn query(&self) -> HashMap<String, String> {
        let q = self.target.split_once('?').map_or("", |(_, q)| q);
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    }

    fn form(&self) -> HashMap<String, String> {
        if self
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
        {
            let doc: serde_json::Value = serde_json::from_slice(&self.body).unwrap_or_default();
            return doc
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
        }
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }
}

fn read(stream: &TcpStream) -> Option<Http> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Http {
        method,
        target,
        headers,
        body,
    })
}

fn respond(stream: &mut TcpStream, status: u16, extra: &str, body: &str) {
    let reason = match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Status",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

fn serve(mut stream: TcpStream, port: u16, state: &State) {
    let Some(http) = read(&stream) else { return };
    match (http.method.as_str(), http.path()) {
        ("POST", "/oauth/token") => token(&mut stream, &http, port, state),
        ("GET", "/authorize") => authorize(&mut stream, &http, state),
        (_, path) if path.starts_with("/api/v3/") => api(&mut stream, &http, state),
        _ => respond(&mut stream, 404, "", r#"{"error":"not found"}"#),
    }
}

fn token(stream: &mut TcpStream, http: &Http, port: u16, state: &State) {
    state.token_requests.fetch_add(1, Ordering::SeqCst);
    if let Some((status, retry_after)) = state.faults.lock().unwrap().pop_front() {
        let extra = retry_after
            .map(|s| format!("Retry-After: {s}\r\n"))
            .unwrap_or_default();
        return respond(
            stream,
            status,
            &extra,
            r#"{"error":"too_many_requests","error_description":"Global limit has been reached"}"#,
        );
    }
    let form = http.form();
    let lifetime = state.lifetime.load(Ordering::SeqCst) as i64;
    let grant = form.get("grant_type").map(String::as_str);
    let (subject, azp) = match grant {
        Some("client_credentials") => {
            if form.get("client_id").map(String::as_str) != Some(CLIENT_ID)
                || form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET)
            {
                return respond(
                    stream,
                    401,
                    "",
                    r#"{"error":"access_denied","error_description":"Unauthorized"}"#,
                );
            }
            (format!("{CLIENT_ID}@clients"), CLIENT_ID.to_owned())
        }
        Some("authorization_code") => {
            state.code_exchanges.fetch_add(1, Ordering::SeqCst);
            let code = form.get("code").cloned().unwrap_or_default();
            let Some((challenge, redirect_uri, client_id)) =
                state.codes.lock().unwrap().remove(&code)
            else {
                return respond(
                    stream,
                    403,
                    "",
                    r#"{"error":"invalid_grant","error_description":"Invalid authorization code"}"#,
                );
            };
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let computed = {
                use sha2::Digest;
                b64(&sha2::Sha256::digest(verifier.as_bytes()))
            };
            if computed != challenge
                || form.get("redirect_uri") != Some(&redirect_uri)
                || form.get("client_id") != Some(&client_id)
            {
                return respond(
                    stream,
                    400,
                    "",
                    r#"{"error":"invalid_grant","error_description":"bad verifier or redirect_uri"}"#,
                );
            }
            ("auth0|fake-user".to_owned(), client_id)
        }
        _ => return respond(stream, 400, "", r#"{"error":"unsupported_grant_type"}"#),
    };
    *state.mints.lock().unwrap().entry(azp.clone()).or_insert(0) += 1;
    let token = issue(port, state, &subject, &azp, lifetime);
    let body = serde_json::json!({"access_token": token, "expires_in": lifetime,
        "token_type": "Bearer", "scope": "read:tokens"});
    respond(stream, 200, "", &body.to_string());
}

fn authorize(stream: &mut TcpStream, http: &Http, state: &State) {
    let q = http.query();
    let (Some(redirect), Some(challenge), Some(client_id)) = (
        q.get("redirect_uri"),
        q.get("code_challenge"),
        q.get("client_id"),
    ) else {
        return respond(stream, 400, "", r#"{"error":"invalid_request"}"#);
    };
    if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return respond(stream, 400, "", r#"{"error":"invalid_request"}"#);
    }
    let serial = state.serial.fetch_add(1, Ordering::SeqCst);
    let code = format!("code{serial}");
    state.codes.lock().unwrap().insert(
        code.clone(),
        (challenge.clone(), redirect.clone(), client_id.clone()),
    );
    let mut location = url::Url::parse(redirect).unwrap();
    location.query_pairs_mut().append_pair("code", &code);
    if let Some(s) = q.get("state") {
        location.query_pairs_mut().append_pair("state", s);
    }
    respond(stream, 302, &format!("Location: {location}\r\n"), "");
}

fn api(stream: &mut TcpStream, http: &Http, state: &State) {
    state.api_requests.fetch_add(1, Ordering::SeqCst);
    let Some(token) = http
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return respond(stream, 401, "", r#"{"error":"Unauthorized: no token"}"#);
    };
    let known = state.issued.lock().unwrap().contains(token);
    let Some(claims) = claims_of(token).filter(|_| known) else {
        return respond(
            stream,
            401,
            "",
            r#"{"error":"Unauthorized: unknown token"}"#,
        );
    };
    if claims["exp"].as_i64().unwrap_or(0) <= now() {
        state.expired_requests.fetch_add(1, Ordering::SeqCst);
        return respond(stream, 401, "", r#"{"error":"Unauthorized: jwt expired"}"#);
    }
    if state.refuse_all.load(Ordering::SeqCst) || state.revoked.lock().unwrap().contains(token) {
        return respond(
            stream,
            401,
            "",
            r#"{"error":"Unauthorized: token revoked"}"#,
        );
    }
    if http.path().ends_with("/query") {
        let sub = claims["sub"].as_str().unwrap_or_default();
        let body = serde_json::json!({
            "rows": [{"n": 1, "who": sub}],
            "schema": [{"name": "n", "type": "number"}, {"name": "who", "type": "string"}],
            "meta": {"cacheHit": false, "location": "local", "totalBytesProcessed": "0"}
        });
        return respond(stream, 200, "", &body.to_string());
    }
    respond(stream, 404, "", r#"{"error":"not found"}"#);
}
