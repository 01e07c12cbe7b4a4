//! The tool with the OS keychain: gnome-keyring on a session bus each test starts (a real
//! Secret Service), a machine with no bus, and a stub service that never replies. After a
//! login no file under the sandbox holds the secret and secret-tool finds it; after logout
//! the item is gone; the fallback is one warning and `storage: file`; a silent keychain costs
//! at most 3.5 s and exit code 8.
#![cfg(target_os = "linux")]

mod common;
#[path = "../../tests/support/carto3.rs"]
mod fake;
#[path = "../../tests/support/secret_service.rs"]
mod secret_service;

use common::{Run, Sandbox};
use secret_service::{files_containing, SessionBus};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const KEY: &str = "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f";

/// `cartoauth ARGS` in the sandbox, with `bus` as its session bus (or none) and the store
/// left to the tool (the sandbox's default is the file).
fn command(sb: &Sandbox, bus: Option<&SessionBus>, args: &[&str]) -> Command {
    let mut cmd = sb.command(args);
    cmd.env_remove("CARTO_CREDENTIAL_STORE");
    match bus {
        Some(bus) => {
            bus.env(&mut cmd, &sb.home());
        }
        None => {
            cmd.env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", sb.path("no-bus").display()),
            );
        }
    }
    cmd
}

fn run(sb: &Sandbox, bus: Option<&SessionBus>, args: &[&str], stdin: &str) -> Run {
    let run = sb.run_command(command(sb, bus, args), stdin);
    let all = run.stdout() + &run.stderr();
    for secret in [KEY, fake::CLIENT_SECRET] {
        assert!(
            !all.contains(secret),
            "cartoauth {} printed a secret:\n{all}",
            run.args
        );
    }
    run
}

fn login(sb: &Sandbox, bus: Option<&SessionBus>, extra: &[&str]) -> Run {
    let mut args = vec!["login", "--with-key", "--username", "jo", "--no-check"];
    args.extend(extra);
    run(sb, bus, &args, &format!("{KEY}\n"))
}

fn status_json(sb: &Sandbox, bus: Option<&SessionBus>, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["status", "--json", "--no-check"];
    args.extend(extra);
    let status = run(sb, bus, &args, "");
    status.assert_code(0);
    serde_json::from_str(&status.stdout()).unwrap()
}

/// Every file of the sandbox (HOME and the config directory) that holds `secret`.
fn leaks(sb: &Sandbox, secret: &str) -> Vec<PathBuf> {
    files_containing(&sb.path(""), secret)
}

fn warnings(run: &Run) -> Vec<String> {
    run.stderr()
        .lines()
        .filter(|l| l.starts_with("Warning"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn login_keeps_the_key_in_the_keychain_only_and_logout_removes_it() {
    let sb = Sandbox::new();
    let bus = SessionBus::with_keyring(&sb.home());
    let first = login(&sb, Some(&bus), &[]);
    first.assert_code(0);
    assert!(
        first.stderr().contains("the key in the Secret Service"),
        "{}",
        first.stderr()
    );
    assert!(warnings(&first).is_empty(), "{}", first.stderr());
    assert_eq!(
        leaks(&sb, KEY),
        Vec::<PathBuf>::new(),
        "the key is in no file"
    );

    let status = status_json(&sb, Some(&bus), &[]);
    assert_eq!(status["source"]["storage"], "keychain", "{status}");
    let item = status["source"]["keychain_item"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(bus.lookup(&sb.home(), &item).as_deref(), Some(KEY));
    let text = run(&sb, Some(&bus), &["status", "--no-check"], "");
    assert!(
        text.stdout()
            .contains("Storage:  keychain (the Secret Service, item api_key/"),
        "{}",
        text.stdout()
    );
    // The key reaches the commands that use it: env prints it when asked.
    let env = sb.run_command(command(&sb, Some(&bus), &["env", "--shell", "bash"]), "");
    env.assert_code(0);
    assert!(env.stdout().contains(KEY));

    // Moved into the file (CARTOframes can read it then) and back.
    let moved = run(&sb, Some(&bus), &["move", "--to", "file"], "");
    moved.assert_code(0);
    assert_eq!(
        leaks(&sb, KEY),
        vec![sb.config_dir().join("cartocreds.json")]
    );
    assert_eq!(bus.lookup(&sb.home(), &item), None);
    assert_eq!(
        status_json(&sb, Some(&bus), &[])["source"]["storage"],
        "file"
    );
    run(&sb, Some(&bus), &["move", "--to", "keychain"], "").assert_code(0);
    assert!(leaks(&sb, KEY).is_empty());
    assert_eq!(bus.accounts(&sb.home()).len(), 1);

    // A plain CARTOframes file is a choice: no warning, and the only file with the key.
    let plain = login(
        &sb,
        Some(&bus),
        &[
            "--profile",
            "py",
            "--store",
            "file",
            "--format",
            "cartoframes",
        ],
    );
    plain.assert_code(0);
    assert!(warnings(&plain).is_empty(), "{}", plain.stderr());
    assert_eq!(
        leaks(&sb, KEY),
        vec![sb.config_dir().join("profiles/py.json")]
    );
    run(&sb, Some(&bus), &["logout", "--profile", "py", "--yes"], "").assert_code(0);

    let logout = run(&sb, Some(&bus), &["logout", "--yes"], "");
    logout.assert_code(0);
    assert!(
        logout.stderr().contains("Deleted the keychain item"),
        "{}",
        logout.stderr()
    );
    assert_eq!(
        bus.accounts(&sb.home()),
        Vec::<String>::new(),
        "the item is gone"
    );
    assert!(leaks(&sb, KEY).is_empty());
}

#[test]
fn an_m2m_clients_secret_and_its_tokens_live_in_the_keychain() {
    let server = fake::FakeCarto3::start(3600);
    let sb = Sandbox::new();
    let bus = SessionBus::with_keyring(&sb.home());
    let m2m = |args: &[&str]| {
        let mut cmd = command(&sb, Some(&bus), args);
        cmd.env("CARTO_AUTH_URL", server.origin())
            .env("CARTO_M2M_CLIENT_ID", fake::CLIENT_ID)
            .env("CARTO_M2M_CLIENT_SECRET", fake::CLIENT_SECRET);
        let run = sb.run_command(cmd, "");
        assert!(!(run.stdout() + &run.stderr()).contains(fake::CLIENT_SECRET));
        run
    };
    let base = server.api_base_url();
    m2m(&["login", "--m2m", "--api-base-url", &base, "--profile", "m"]).assert_code(0);
    assert_eq!(server.mints(fake::CLIENT_ID), 1, "the login's check minted");
    let token = m2m(&["token", "-p", "m"]);
    token.assert_code(0);
    let token = token.stdout().trim().to_owned();
    assert_eq!(
        server.mints(fake::CLIENT_ID),
        1,
        "the cached token was used"
    );
    assert!(leaks(&sb, fake::CLIENT_SECRET).is_empty());
    assert!(leaks(&sb, &token).is_empty(), "the token is in no file");
    let accounts = bus.accounts(&sb.home());
    assert!(
        accounts.iter().any(|a| a.starts_with("client_secret/")),
        "{accounts:?}"
    );
    let cached: Vec<&String> = accounts
        .iter()
        .filter(|a| a.starts_with("token/m2m/"))
        .collect();
    assert_eq!(cached.len(), 1, "{accounts:?}");
    assert!(bus.lookup(&sb.home(), cached[0]).unwrap().contains(&token));
    let status = status_json(&sb, Some(&bus), &["-p", "m"]);
    assert_eq!(status["source"]["storage"], "keychain");
    assert!(
        status["token"]["cache"]
            .as_str()
            .unwrap()
            .starts_with("keychain (the Secret Service)"),
        "{status}"
    );

    let logout = m2m(&["logout", "-p", "m", "--yes"]);
    logout.assert_code(0);
    assert!(
        logout.stderr().contains("Forgot the cached CARTO 3 token"),
        "{}",
        logout.stderr()
    );
    assert_eq!(bus.accounts(&sb.home()), Vec::<String>::new());
}

#[test]
fn no_session_bus_is_one_warning_and_storage_file() {
    let sb = Sandbox::new();
    let started = Instant::now();
    let first = login(&sb, None, &[]);
    let took = started.elapsed();
    first.assert_code(0);
    let warned = warnings(&first);
    assert_eq!(warned.len(), 1, "{}", first.stderr());
    assert!(warned[0].contains("plain text"), "{}", warned[0]);
    assert!(
        warned[0].contains("CARTO_CREDENTIAL_STORE=file"),
        "{}",
        warned[0]
    );
    // The whole command (a process start, a 0600 write): the fallback itself is measured in
    // tests/keychain_secret_service.rs (< 50 ms).
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(
        leaks(&sb, KEY),
        vec![sb.config_dir().join("cartocreds.json")]
    );
    let status = status_json(&sb, None, &[]);
    assert_eq!(status["source"]["storage"], "file", "{status}");
    assert!(status["source"]["keychain_item"].is_null());
    let text = run(&sb, None, &["status", "--no-check"], "");
    assert!(
        text.stdout().contains("Storage:  file"),
        "{}",
        text.stdout()
    );
    // Forcing the keychain fails instead, and saves nothing.
    let forced = login(&sb, None, &["--profile", "k", "--store", "keychain"]);
    forced.assert_code(8);
    assert!(!sb.config_dir().join("profiles/k.json").exists());
    // As the variable does.
    let mut cmd = command(&sb, None, &["move", "--to", "keychain"]);
    cmd.env("CARTO_CREDENTIAL_STORE", "keychain");
    let moved = sb.run_command(cmd, "");
    moved.assert_code(8);
    assert!(
        moved.error_line().contains("the file is unchanged"),
        "{}",
        moved.stderr()
    );
}

#[test]
fn a_keychain_that_never_replies_costs_at_most_three_and_a_half_seconds() {
    let sb = Sandbox::new();
    // A key kept in a keychain, then the keychain replaced by one that never answers.
    {
        let keyring = SessionBus::with_keyring(&sb.home());
        login(&sb, Some(&keyring), &[]).assert_code(0);
    }
    let stub = SessionBus::with_silent_stub();
    for args in [
        vec!["status", "--no-check"],
        vec!["logout", "--yes"],
        vec!["move", "--to", "file"],
    ] {
        let started = Instant::now();
        let failed = run(&sb, Some(&stub), &args, "");
        let took = started.elapsed();
        failed.assert_code(8);
        assert!(
            failed.stderr().contains("did not answer within 3 s"),
            "{args:?}: {}",
            failed.stderr()
        );
        assert!(
            took <= Duration::from_millis(3500),
            "{args:?} took {took:?}"
        );
    }
    assert!(
        sb.config_dir().join("cartocreds.json").exists(),
        "logout kept the file"
    );
    let started = Instant::now();
    let forced = login(&sb, Some(&stub), &["--profile", "k", "--store", "keychain"]);
    assert!(started.elapsed() <= Duration::from_millis(3500));
    forced.assert_code(8);
}
