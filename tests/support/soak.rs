//! The CARTO 3 token soak, shared by its short CI version (tests/carto3_soak.rs) and the
//! 10-minute benchmark (benches/carto3_soak.rs): N processes × M threads making SQL API v3
//! calls through one M2M client and one token cache against carto-emulator, which counts the
//! tokens it minted and the requests that came with an expired token.
//!
//! The driver starts the emulator and the worker processes (copies of the running executable,
//! told so by `SOAK_WORKER=1`); each worker prints one JSON line of its own counts.

#![allow(dead_code)]

use carto_emulator::harness::{Carto3Options, Emulator, Options};
use cartoauth::token::TokenCache;
use cartoauth::{Client, ClientOptions, Credentials, ErrorKind, Platform};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a soak run does.
#[derive(Debug, Clone)]
pub struct Plan {
    pub processes: usize,
    pub threads: usize,
    pub duration: Duration,
    pub token_lifetime: Duration,
    /// Pause between two calls of one thread.
    pub pause: Duration,
}

/// What a soak run saw.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub requests: u64,
    pub errors: BTreeMap<String, u64>,
    pub minted: u64,
    pub expired_token_requests: u64,
    pub authenticated_requests: u64,
    /// Refresh windows the run spanned: one per token lifetime used (lifetime minus its
    /// advisory window), plus the first mint.
    pub refresh_windows: u64,
    pub elapsed: Duration,
}

/// Starts the emulator and the workers, waits, and reads the emulator's counters.
pub fn drive(plan: &Plan, exe: &std::path::Path, worker_args: &[&str]) -> Outcome {
    let emu = Emulator::start_with(Options {
        carto3: Some(Carto3Options {
            token_lifetime: plan.token_lifetime,
            ..Default::default()
        }),
        ..Options::default()
    });
    let c3 = emu.carto3();
    let cache = tempfile::tempdir().unwrap();
    let auth_url = c3.issuer.trim_end_matches('/').to_owned();
    let started = Instant::now();
    let children: Vec<_> = (0..plan.processes)
        .map(|_| {
            Command::new(exe)
                .args(worker_args)
                .env("SOAK_WORKER", "1")
                .env("SOAK_API", &c3.api_base_url)
                .env("SOAK_AUTH", &auth_url)
                .env("SOAK_ID", &c3.m2m().client_id)
                .env("SOAK_SECRET", &c3.m2m().client_secret)
                .env("SOAK_CONNECTION", c3.connection())
                .env("SOAK_CACHE", cache.path())
                .env("SOAK_THREADS", plan.threads.to_string())
                .env("SOAK_SECONDS", plan.duration.as_secs_f64().to_string())
                .env("SOAK_PAUSE_MS", plan.pause.as_millis().to_string())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut outcome = Outcome::default();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "a worker failed: {output:?}");
        let text = String::from_utf8_lossy(&output.stdout);
        // The test harness may print "test worker ... " before it on the same line.
        let line = text
            .lines()
            .rev()
            .find_map(|l| l.find("{\"soak\"").map(|at| &l[at..]))
            .unwrap_or_else(|| panic!("no worker report in {text}"));
        let doc: serde_json::Value = serde_json::from_str(line).unwrap();
        outcome.requests += doc["requests"].as_u64().unwrap();
        for (kind, n) in doc["errors"].as_object().unwrap() {
            *outcome.errors.entry(kind.clone()).or_default() += n.as_u64().unwrap();
        }
    }
    outcome.elapsed = started.elapsed();
    let counters = emu.carto3_counters();
    outcome.minted = counters.minted_by(&c3.m2m().client_id);
    outcome.expired_token_requests = counters.expired_token_requests;
    outcome.authenticated_requests = counters
        .authenticated_requests
        .get(&c3.m2m().client_id)
        .copied()
        .unwrap_or(0);
    let (advisory, _) =
        cartoauth::token::RefreshWindows::default().for_lifetime(plan.token_lifetime);
    let used = (plan.token_lifetime - advisory).as_secs().max(1);
    outcome.refresh_windows = outcome.elapsed.as_secs().div_ceil(used) + 1;
    outcome
}

/// The worker: runs when `SOAK_WORKER` is set, prints its report and exits.
pub fn worker_if_asked() {
    if std::env::var_os("SOAK_WORKER").is_none() {
        return;
    }
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let credentials = Credentials::builder()
        .base_url(var("SOAK_API"))
        .platform(Platform::Carto3)
        .allow_non_secure(true)
        .auth_url(var("SOAK_AUTH"))
        .m2m_client(var("SOAK_ID"), var("SOAK_SECRET"))
        .build()
        .unwrap();
    let client = Client::new(
        credentials,
        ClientOptions {
            token_cache: TokenCache::Directory(var("SOAK_CACHE").into()),
            ..Default::default()
        },
    )
    .unwrap();
    let threads: usize = var("SOAK_THREADS").parse().unwrap();
    let seconds: f64 = var("SOAK_SECONDS").parse().unwrap();
    let pause = Duration::from_millis(var("SOAK_PAUSE_MS").parse().unwrap());
    let connection = var("SOAK_CONNECTION");
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let client = client.clone();
            let connection = connection.clone();
            std::thread::spawn(move || {
                let mut requests = 0u64;
                let mut errors: BTreeMap<String, u64> = BTreeMap::new();
                while Instant::now() < deadline {
                    requests += 1;
                    if let Err(e) = client.sql_v3(&connection, "select 1 as n", None) {
                        *errors.entry(kind_name(e.kind())).or_default() += 1;
                    }
                    std::thread::sleep(pause);
                }
                (requests, errors)
            })
        })
        .collect();
    let mut requests = 0;
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for w in workers {
        let (n, e) = w.join().unwrap();
        requests += n;
        for (k, v) in e {
            *errors.entry(k).or_default() += v;
        }
    }
    println!(
        "{}",
        serde_json::json!({"soak": "worker", "requests": requests, "errors": errors})
    );
    std::process::exit(0);
}

fn kind_name(kind: ErrorKind) -> String {
    format!("{kind:?}")
}
