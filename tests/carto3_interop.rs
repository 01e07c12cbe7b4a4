//! File interop both ways with CARTO's own client, carto-auth 0.2.0 (PyPI), unchanged:
//!
//! - carto-auth reads the token cache cartoauth wrote (`from_m2m(..., cache_filepath=)`), under
//!   `TZ=America/New_York`: carto-auth's clock is off by the UTC offset, and cartoauth writes
//!   `expiration` in that clock, so carto-auth uses the 2-minute token instead of minting;
//! - cartoauth reads carto-auth's files: its `carto_credentials.json` as an M2M client, and
//!   the token it cached in `~/.carto-auth/token_m2m.json`, adopted instead of minting and
//!   resolved as credentials by the default chain.
//!
//! carto-auth writes CARTO's URLs as literals, so both clients run in a network and mount
//! namespace (`unshare --net --mount`, as root) where a private `/etc/hosts` sends CARTO's host
//! names to carto-emulator on port 443 with TLS for them (`--carto3-hosts carto`); cartoauth
//! trusts the emulator's CA through `Trust::CaBundle`. The emulator counts the mints.
//! Needs a Python with carto-auth 0.2.0 (`CARTO_AUTH_PYTHON`;
//! tests/interop/setup-carto-auth-venv.sh makes one): without it, or without namespaces, the
//! test says it skipped, and fails under `CARTOAUTH_REQUIRE_INTEROP` (CI).

use carto_emulator::harness::{Carto3Options, Emulator, Options};
use cartoauth::client::Trust;
use cartoauth::env::{self, MapEnvironment};
use cartoauth::token::TokenCache;
use cartoauth::{Client, ClientOptions, CredentialKind, Credentials};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn carto_auth_python() -> Option<String> {
    let python = std::env::var("CARTO_AUTH_PYTHON").ok().or_else(|| {
        let venv = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/target/venv-carto-auth/bin/python"
        );
        Path::new(venv).exists().then(|| venv.to_owned())
    })?;
    let probe = Command::new(&python)
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('carto-auth'))",
        ])
        .output()
        .ok()?;
    (probe.status.success() && String::from_utf8_lossy(&probe.stdout).trim() == "0.2.0")
        .then_some(python)
}

fn namespaces_work() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    root && Command::new("unshare")
        .args(["--net", "--mount", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

fn skipped(why: &str) {
    if std::env::var_os("CARTOAUTH_REQUIRE_INTEROP").is_some() {
        panic!("carto-auth interop cannot run: {why}");
    }
    eprintln!("SKIPPED carto3_interop: {why}");
}

#[test]
fn carto_auth_and_cartoauth_read_each_others_files() {
    let Some(python) = carto_auth_python() else {
        return skipped("no Python with carto-auth==0.2.0 (CARTO_AUTH_PYTHON)");
    };
    if !namespaces_work() {
        return skipped("network namespaces need root and unshare");
    }
    let home = tempfile::tempdir().unwrap();
    let status = Command::new("unshare")
        .args(["--net", "--mount", "--"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "inside_the_namespace",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("INTEROP_PYTHON", &python)
        .env("INTEROP_HOME", home.path())
        .env("HOME", home.path())
        .env("TZ", "America/New_York")
        .status()
        .unwrap();
    assert!(status.success(), "the interop checks failed (see above)");
}

/// Runs `code` with carto-auth's Python, CARTO's names routed here by /etc/hosts.
fn python(code: &str, ca: &Path, args: &[&str]) -> String {
    let python = std::env::var("INTEROP_PYTHON").unwrap();
    let out = Command::new(python)
        .arg("-c")
        .arg(code)
        .args(args)
        .env("REQUESTS_CA_BUNDLE", ca)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "carto-auth failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn setup_namespace(work: &Path) {
    let run = |args: &[&str]| {
        let status = Command::new(args[0]).args(&args[1..]).status().unwrap();
        assert!(status.success(), "{args:?}");
    };
    run(&["ip", "link", "set", "lo", "up"]);
    let hosts = work.join("hosts");
    let names = [
        "auth.carto.com",
        "accounts.app.carto.com",
        "clausa.app.carto.com",
        "gcp-us-east1.api.carto.com",
        "app.carto.com",
    ];
    let mut text = "127.0.0.1 localhost\n".to_owned();
    for name in names {
        text.push_str(&format!("127.0.0.1 {name}\n"));
    }
    std::fs::write(&hosts, text).unwrap();
    // The mount namespace is private: the machine's /etc/hosts is untouched.
    run(&["mount", "--bind", hosts.to_str().unwrap(), "/etc/hosts"]);
}

fn m2m_client(emu: &Emulator, cache: &Path) -> Client {
    let c3 = emu.carto3();
    let credentials = Credentials::builder()
        .base_url(&c3.api_base_url)
        .m2m_client(&c3.m2m().client_id, &c3.m2m().client_secret)
        .build()
        .unwrap();
    Client::new(
        credentials,
        ClientOptions {
            token_cache: TokenCache::Directory(cache.to_path_buf()),
            trust: Trust::CaBundle(emu.ca_cert().unwrap()),
            ..Default::default()
        },
    )
    .unwrap()
}

const READ_OUR_CACHE: &str = r#"
import json, sys
from carto_auth import CartoAuth
auth = CartoAuth.from_m2m(sys.argv[1], cache_filepath=sys.argv[2])
token = auth.get_access_token()
project, dw = auth.get_carto_dw_credentials()
print(json.dumps({"token": token, "project": project}))
"#;

const MINT_AND_CACHE: &str = r#"
import json, sys
from carto_auth import CartoAuth
auth = CartoAuth.from_m2m(sys.argv[1])
print(json.dumps({"token": auth.get_access_token()}))
"#;

#[test]
#[ignore = "run by carto_auth_and_cartoauth_read_each_others_files inside a network namespace"]
fn inside_the_namespace() {
    let Ok(home) = std::env::var("INTEROP_HOME").map(PathBuf::from) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    setup_namespace(work.path());
    let emu = Emulator::start_with(Options {
        tls: true,
        extra_args: vec!["--port".into(), "443".into()],
        carto3: Some(Carto3Options {
            token_lifetime: Duration::from_secs(120),
            carto_hosts: true,
            ..Default::default()
        }),
        ..Options::default()
    });
    let c3 = emu.carto3();
    assert_eq!(c3.api_base_url, "https://gcp-us-east1.api.carto.com");
    let ca = emu.ca_cert().unwrap();
    let id = c3.m2m().client_id.clone();
    let credentials_file = work.path().join("carto_credentials.json");
    let doc = serde_json::json!({"api_base_url": c3.api_base_url,
        "client_id": id, "client_secret": c3.m2m().client_secret});
    std::fs::write(&credentials_file, doc.to_string()).unwrap();

    // 1. cartoauth mints a 2-minute token into its cache; carto-auth reads that file.
    let cache = tempfile::tempdir().unwrap();
    let ours = m2m_client(&emu, cache.path()).access_token().unwrap().token;
    assert_eq!(emu.carto3_counters().minted_by(&id), 1);
    let files: Vec<PathBuf> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(files.len(), 1);
    let answer = python(
        READ_OUR_CACHE,
        &ca,
        &[
            credentials_file.to_str().unwrap(),
            files[0].to_str().unwrap(),
        ],
    );
    let answer: serde_json::Value = serde_json::from_str(answer.trim()).unwrap();
    assert_eq!(
        answer["token"],
        ours.expose(),
        "carto-auth used cartoauth's token"
    );
    assert!(answer["project"].is_string(), "{answer}");
    // In New York carto-auth's clock runs 5 h ahead: had `expiration` been the real one, it
    // would have thought the token dead and minted another.
    assert_eq!(
        emu.carto3_counters().minted_by(&id),
        1,
        "carto-auth minted: it misread cartoauth's expiration"
    );

    // 2. carto-auth mints and caches in ~/.carto-auth; cartoauth adopts that token.
    assert_eq!(std::env::var("HOME").unwrap(), home.to_str().unwrap());
    let answer = python(MINT_AND_CACHE, &ca, &[credentials_file.to_str().unwrap()]);
    let answer: serde_json::Value = serde_json::from_str(answer.trim()).unwrap();
    let theirs = answer["token"].as_str().unwrap().to_owned();
    assert!(home.join(".carto-auth/token_m2m.json").exists());
    assert_eq!(emu.carto3_counters().minted_by(&id), 2);
    let other_cache = tempfile::tempdir().unwrap();
    let adopted = m2m_client(&emu, other_cache.path())
        .access_token()
        .unwrap()
        .token;
    assert_eq!(
        adopted.expose(),
        theirs,
        "cartoauth adopted carto-auth's cached token"
    );
    assert_eq!(emu.carto3_counters().minted_by(&id), 2, "and minted none");

    // 3. carto-auth's files through cartoauth's resolution: its credentials file names an
    //    M2M client, and with nothing else set the default chain finds its token cache.
    let env = MapEnvironment::new()
        .with("HOME", home.to_str().unwrap())
        .with(env::CONFIG_DIR, work.path().join("cfg").to_str().unwrap());
    let from_file = cartoauth::resolve_with(
        None,
        None,
        &env.clone()
            .with(env::CREDENTIALS_FILE, credentials_file.to_str().unwrap()),
    )
    .unwrap();
    assert_eq!(from_file.kind(), CredentialKind::M2m);
    assert_eq!(from_file.client_id(), Some(id.as_str()));
    let from_cache = cartoauth::resolve_with(None, None, &env).unwrap();
    assert_eq!(from_cache.kind(), CredentialKind::AccessToken);
    assert_eq!(from_cache.access_token().unwrap().expose(), theirs);
    let client = Client::new(
        from_cache,
        ClientOptions {
            trust: Trust::CaBundle(ca.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    let result = client
        .sql_v3(
            c3.connection(),
            "select count(*) as n from points_public",
            None,
        )
        .unwrap();
    assert_eq!(result.column(0).unwrap().int64(0).unwrap(), 3);
    assert_eq!(emu.carto3_counters().expired_token_requests, 0);
    println!("carto3_interop: both ways, 2 mints for 4 users of tokens");
}
