//! Helpers shared by the integration tests: starting emulators and making HTTP requests.
#![allow(dead_code, unused_imports)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
pub use carto_emulator::harness::{Emulator, Fault, Options};
use serde_json::Value;

pub fn options() -> Options {
    Options {
        binary: Some(env!("CARGO_BIN_EXE_carto-emulator").into()),
        ..Options::default()
    }
}

/// An interoperability test whose external client is not installed: a failure when
/// `CARTOAUTH_REQUIRE_INTEROP` is set (CI and scripts/test-all.sh set it, so these suites never
/// pass by being skipped), otherwise a loud note and an early return.
pub fn interop_client_missing(test: &str, what: &str) {
    if std::env::var_os("CARTOAUTH_REQUIRE_INTEROP").is_some() {
        panic!("{test} needs {what}, and CARTOAUTH_REQUIRE_INTEROP is set (scripts/install-deps.sh installs it)");
    }
    eprintln!("SKIPPED {test}: {what} is not installed (set CARTOAUTH_REQUIRE_INTEROP=1 to make this a failure)");
}

/// The Python that has carto-python: `CARTO_PYTHON`, else `python3`.
pub fn python() -> String {
    std::env::var("CARTO_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// A private emulator for tests that change global state (keys, limits, faults).
pub fn start() -> Emulator {
    Emulator::start_with(options())
}

pub fn start_with(f: impl FnOnce(&mut Options)) -> Emulator {
    let mut o = options();
    f(&mut o);
    Emulator::start_with(o)
}

/// One emulator shared by the read-mostly tests of a test binary. It stops when the test
/// process exits (its stdin closes).
pub fn shared() -> &'static Emulator {
    static EMU: OnceLock<Emulator> = OnceLock::new();
    EMU.get_or_init(start)
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

fn finish(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Resp {
    let mut r = r.unwrap_or_else(|e| panic!("request failed: {e}"));
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = r
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .unwrap_or_else(|e| panic!("reading body: {e}"));
    Resp {
        status,
        headers,
        body,
    }
}

pub fn basic(user: &str, key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{key}"))
    )
}

/// Percent-encodes a query-string value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn get(emu: &Emulator, url: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = emu.agent().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    finish(req.call())
}

/// Any method with an optional body and content type.
pub fn send(
    emu: &Emulator,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> Resp {
    let mut b = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    match body {
        Some((ctype, bytes)) => {
            let req = b.header("Content-Type", ctype).body(bytes).unwrap();
            finish(emu.agent().run(req))
        }
        None => {
            let req = b.body(()).unwrap();
            finish(emu.agent().run(req))
        }
    }
}

/// GET `{base}/api/v2/sql?q=...&extra`.
pub fn sql(emu: &Emulator, q: &str, extra: &str) -> Resp {
    let url = format!(
        "{}/api/v2/sql?q={}{}{}",
        emu.base_url("demo"),
        enc(q),
        if extra.is_empty() { "" } else { "&" },
        extra
    );
    get(emu, &url, &[])
}

/// Runs SQL as the demo master key and expects success.
pub fn master_sql(emu: &Emulator, q: &str) -> Value {
    let key = emu.key("demo", "master");
    let r = sql(emu, q, &format!("api_key={key}"));
    assert_eq!(r.status, 200, "{q}: {}", r.text());
    r.json()
}

/// Sends raw bytes over TCP to the emulator and returns the raw response (for requests no
/// well-behaved client would send, like GDAL's hand-escaped bodies).
pub fn raw_http(emu: &Emulator, request: &[u8]) -> String {
    let addr = emu.root_url().trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The body of a raw HTTP/1.1 response (de-chunked when needed).
pub fn raw_body(raw: &str) -> String {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return body.to_string();
    }
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

/// The JSON body of a raw HTTP response.
pub fn raw_body_json(raw: &str) -> Value {
    serde_json::from_str(&raw_body(raw)).unwrap_or_else(|e| panic!("{e}: {raw}"))
}
