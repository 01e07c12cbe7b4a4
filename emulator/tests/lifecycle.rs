//! Starting and stopping: stdout, the info file, stdin EOF, data dir reuse and reset, custom
//! accounts, and bad input.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_carto-emulator")
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("emu-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[test]
fn first_line_is_the_root_url_and_stdin_eof_stops_everything() {
    let dir = temp_dir("eof");
    let info = dir.join("info.json");
    let mut child = Command::new(bin())
        .args(["--fresh", "--exit-on-stdin-eof", "--info-file"])
        .arg(&info)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let first = first.trim_end();
    assert!(first.starts_with("http://127.0.0.1:"), "{first}");
    assert!(first[17..].chars().all(|c| c.is_ascii_digit()));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&info).unwrap()).unwrap();
    assert_eq!(v["root_url"], first);
    assert_eq!(
        v["accounts"]["demo"]["base_url"],
        format!("{first}/user/demo").as_str()
    );
    assert_eq!(v["ca_cert"], json!(null));
    let data_dir = PathBuf::from(v["data_dir"].as_str().unwrap());
    let pid_line = std::fs::read_to_string(data_dir.join("pgdata/postmaster.pid")).unwrap();
    let pg_pid: i32 = pid_line.lines().next().unwrap().parse().unwrap();
    assert!(alive(pg_pid));
    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "did not exit on stdin EOF");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    assert!(!alive(pg_pid), "postgres still runs");
    assert!(!data_dir.exists(), "the --fresh data dir was not removed");
    assert!(!info.exists(), "the info file was not removed");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sigterm_stops_cleanly() {
    let emu = start();
    let data_dir = PathBuf::from(emu.info()["data_dir"].as_str().unwrap());
    assert!(data_dir.exists());
    let status = emu.stop();
    assert!(status.success(), "{status}");
    assert!(!data_dir.exists());
}

#[test]
fn a_data_dir_is_reused_reset_and_locked() {
    let dir = temp_dir("reuse");
    let data = dir.join("data");
    let emu = Emulator::start_with(Options {
        binary: Some(bin().into()),
        data_dir: Some(data.clone()),
        ..Options::default()
    });
    master_sql(&emu, "create table leftover (a int)");
    master_sql(&emu, "delete from points_public");
    // A second emulator cannot take the same data dir.
    let second = Emulator::try_start_with(Options {
        binary: Some(bin().into()),
        data_dir: Some(data.clone()),
        ..Options::default()
    });
    let err = second.err().expect("the second start must fail");
    assert!(err.contains("in use"), "{err}");
    drop(emu);
    assert!(data.join("pgdata/PG_VERSION").exists());
    let emu = Emulator::start_with(Options {
        binary: Some(bin().into()),
        data_dir: Some(data.clone()),
        ..Options::default()
    });
    assert_eq!(
        sql(
            &emu,
            "select * from leftover",
            &format!("api_key={}", emu.key("demo", "master"))
        )
        .status,
        400
    );
    assert_eq!(
        sql(&emu, "select count(*) from points_public", "").json()["rows"],
        json!([{"count": 3}])
    );
    drop(emu);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn custom_accounts_isolate_users() {
    let dir = temp_dir("accounts");
    let path = dir.join("accounts.json");
    std::fs::write(
        &path,
        r#"{"users": [
          {"username": "alice", "keys": [
             {"name": "Master", "type": "master", "token": "alice_master"},
             {"name": "writer", "type": "regular", "token": "alice_writer",
              "grants": [{"table": "notes", "permissions": ["insert", "select"]}],
              "schemas": [{"name": "alice", "permissions": ["create"]}]}],
           "tables": [{"name": "notes", "public": true, "columns": "body text"}],
           "seed_sql": ["INSERT INTO notes (body) VALUES ('hi')", "CREATE TABLE plain (x int)"]},
          {"username": "bob", "keys": [{"name": "Master", "type": "master", "token": "bob_master"}]}
        ]}"#,
    )
    .unwrap();
    let emu = start_with(|o| o.accounts_file = Some(path.clone()));
    let alice = emu.base_url("alice");
    let r = get(
        &emu,
        &format!("{alice}/api/v2/sql?q=select+body+from+notes"),
        &[],
    );
    assert_eq!(r.json()["rows"], json!([{"body": "hi"}]));
    let r = get(
        &emu,
        &format!("{alice}/api/v2/sql?q=select+*+from+plain"),
        &[],
    );
    assert_eq!(r.status, 403);
    let w = |q: &str| {
        get(
            &emu,
            &format!("{alice}/api/v2/sql?q={}&api_key=alice_writer", enc(q)),
            &[],
        )
    };
    assert_eq!(w("insert into notes (body) values ('more')").status, 200);
    assert_eq!(
        w("create table scratch (a int)").status,
        200,
        "schema create grant"
    );
    // Bob's master key means nothing for alice, and bob cannot reach alice's schema.
    let r = get(
        &emu,
        &format!("{alice}/api/v2/sql?q=select+1&api_key=bob_master"),
        &[],
    );
    assert_eq!(r.status, 401);
    let r = get(
        &emu,
        &format!(
            "{}/api/v2/sql?q=select+*+from+alice.notes&api_key=bob_master",
            emu.base_url("bob")
        ),
        &[],
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json(),
        json!({"error": ["permission denied for schema alice"]})
    );
    assert_eq!(emu.key("bob", "master"), "bob_master");
    // Missing default keys are added.
    assert_eq!(emu.key("bob", "default"), "default_public");
    drop(emu);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_input_fails_with_a_clear_message() {
    let dir = temp_dir("bad");
    let path = dir.join("bad.json");
    std::fs::write(&path, r#"{"users":[{"username":"Bad Name"}]}"#).unwrap();
    let out = Command::new(bin())
        .arg("--accounts")
        .arg(&path)
        .arg("--fresh")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid username \"Bad Name\""), "{err}");
    let out = Command::new(bin())
        .args(["--pg-bin", "/nonexistent", "--fresh"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--pg-bin /nonexistent"));
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // As root, PostgreSQL runs as nobody, who cannot enter a private directory.
        let private = dir.join("private");
        std::fs::create_dir_all(private.join("inner")).unwrap();
        std::fs::set_permissions(
            &private,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        let out = Command::new(bin())
            .arg("--data-dir")
            .arg(private.join("inner/data"))
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("every parent directory needs o+x"));
    }
    let out = Command::new(bin())
        .arg("--print-default-accounts")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["users"][0]["username"], "demo");
    let _ = std::fs::remove_dir_all(dir);
}

/// Starts the binary directly; returns the child, its info and its postmaster pid.
fn spawn_direct(name: &str) -> (std::process::Child, serde_json::Value, i32, PathBuf) {
    let dir = temp_dir(name);
    let info = dir.join("info.json");
    let child = Command::new(bin())
        .args(["--fresh", "--info-file"])
        .arg(&info)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let v: serde_json::Value = loop {
        if let Ok(t) = std::fs::read_to_string(&info) {
            if let Ok(v) = serde_json::from_str(&t) {
                break v;
            }
        }
        assert!(Instant::now() < deadline, "not ready");
        std::thread::sleep(Duration::from_millis(20));
    };
    let data_dir = PathBuf::from(v["data_dir"].as_str().unwrap());
    let pid_line = std::fs::read_to_string(data_dir.join("pgdata/postmaster.pid")).unwrap();
    let pg_pid: i32 = pid_line.lines().next().unwrap().parse().unwrap();
    (child, v, pg_pid, dir)
}

fn wait_gone(pid: i32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while alive(pid) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

#[test]
fn sigint_stops_cleanly() {
    let (mut child, _, pg_pid, dir) = spawn_direct("sigint");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert!(child.wait().unwrap().success());
    assert!(wait_gone(pg_pid), "postgres still runs");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_killed_emulator_takes_postgres_with_it() {
    let (mut child, _, pg_pid, dir) = spawn_direct("sigkill");
    child.kill().unwrap();
    let _ = child.wait();
    // postgres was started with a parent-death signal: no orphan cluster stays behind.
    assert!(wait_gone(pg_pid), "postgres outlived its emulator");
    let _ = std::fs::remove_dir_all(dir);
}
