//! CARTO 3 costs against carto-emulator (run by benches/carto3.sh, which also counts
//! instructions with callgrind):
//!
//! - `attach [N]`: what a request with an M2M client's cached token does per attempt to carry
//!   it (read the cache entry, check the windows, copy the header, remember the secret), in
//!   nanoseconds, 7 rounds of N (default 1,000,000) after one warm-up mint;
//!   `CARTO3_BENCH_ONLY=N` runs just N attaches after the warm-up (for callgrind);
//! - `cli PATH [RUNS]`: `cartoauth token` (the release binary at PATH) with a warm token
//!   cache, wall time per run in milliseconds, RUNS runs (default 50), process start included.
//!
//! Without arguments, both (the CLI at target/release/cartoauth, built first with
//! `cargo build --release -p cartoauth-cli`).

use carto_emulator::harness::{Carto3Options, Emulator, Options};
use cartoauth::token::TokenCache;
use cartoauth::{Client, ClientOptions, Credentials, Platform};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn emulator() -> Emulator {
    Emulator::start_with(Options {
        carto3: Some(Carto3Options::default()),
        ..Options::default()
    })
}

fn m2m_client(emu: &Emulator, cache: &Path) -> Client {
    let c3 = emu.carto3();
    let credentials = Credentials::builder()
        .base_url(&c3.api_base_url)
        .platform(Platform::Carto3)
        .allow_non_secure(true)
        .auth_url(c3.issuer.trim_end_matches('/'))
        .m2m_client(&c3.m2m().client_id, &c3.m2m().client_secret)
        .build()
        .unwrap();
    Client::new(
        credentials,
        ClientOptions {
            token_cache: TokenCache::Directory(cache.to_path_buf()),
            ..Default::default()
        },
    )
    .unwrap()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn attach(iterations: u64) {
    let emu = emulator();
    let cache = tempfile::tempdir().unwrap();
    let client = m2m_client(&emu, cache.path());
    client.access_token().unwrap();
    if let Ok(only) = std::env::var("CARTO3_BENCH_ONLY") {
        let n: u64 = only.parse().unwrap();
        let mut total = 0;
        for _ in 0..n {
            total += std::hint::black_box(client.bench_attach_token().unwrap());
        }
        println!("attach: {n} attaches ({total} header bytes)");
        return;
    }
    let mut rounds = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        for _ in 0..iterations {
            std::hint::black_box(client.bench_attach_token().unwrap());
        }
        rounds.push(started.elapsed().as_nanos() as f64 / iterations as f64);
    }
    let min = rounds.iter().cloned().fold(f64::MAX, f64::min);
    println!(
        "attach: median {:.1} ns per attach (min {min:.1}) over 7 rounds of {iterations}; rounds: {rounds:.1?}",
        median(rounds.clone())
    );
    let minted = emu
        .carto3_counters()
        .minted_by(&emu.carto3().m2m().client_id);
    println!("attach: the emulator minted {minted} token(s) for all of them");
}

fn cli(path: &Path, runs: usize) {
    assert!(
        path.exists(),
        "{} does not exist: cargo build --release -p cartoauth-cli",
        path.display()
    );
    let emu = emulator();
    let c3 = emu.carto3();
    let sandbox = tempfile::tempdir().unwrap();
    let credentials_file = sandbox.path().join("carto_credentials.json");
    let doc = serde_json::json!({"api_base_url": c3.api_base_url, "client_id": c3.m2m().client_id,
        "client_secret": c3.m2m().client_secret, "platform": "carto3", "allow_non_secure": true});
    std::fs::write(&credentials_file, doc.to_string()).unwrap();
    let command = |args: &[&str]| {
        let mut cmd = Command::new(path);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", sandbox.path().join("home"))
            .env("XDG_CONFIG_HOME", sandbox.path().join("xdg"))
            .env("XDG_CACHE_HOME", sandbox.path().join("cache"))
            .env("CARTO_AUTH_URL", c3.issuer.trim_end_matches('/'))
            .env("CARTO_ALLOW_NON_SECURE", "1");
        cmd
    };
    let login = command(&[
        "login",
        "--m2m",
        credentials_file.to_str().unwrap(),
        "--profile",
        "m",
    ])
    .output()
    .unwrap();
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let out = command(&["token", "-p", "m"]).output().unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(out.status.success() && out.stdout.starts_with(b"eyJ"));
    }
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "cli: cartoauth token with a warm cache: median {:.2} ms, min {:.2} ms, p90 {:.2} ms over {runs} runs",
        sorted[runs / 2],
        sorted[0],
        sorted[runs * 9 / 10]
    );
    let minted = emu.carto3_counters().minted_by(&c3.m2m().client_id);
    println!("cli: the emulator minted {minted} token(s): login's, then none");
}

fn main() {
    // cargo bench passes --bench; everything else is ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let default_cli = root.join("target/release/cartoauth");
    match args.first().map(String::as_str) {
        Some("attach") => attach(args.get(1).map_or(1_000_000, |n| n.parse().unwrap())),
        Some("cli") => cli(
            args.get(1).map_or(default_cli.as_path(), |p| Path::new(p)),
            args.get(2).map_or(50, |n| n.parse().unwrap()),
        ),
        None => {
            attach(1_000_000);
            cli(&default_cli, 50);
        }
        Some(other) => panic!("unknown mode {other}: attach [N] | cli PATH [RUNS]"),
    }
}
