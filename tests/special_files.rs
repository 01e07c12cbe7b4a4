//! Credentials files that are not plain files, and save in directories others can tamper
//! with: FIFOs, devices and directories are refused without blocking, wherever the path comes
//! from (an explicit path, CARTO_CREDENTIALS_FILE, the default file during resolution).
#![cfg(unix)]

use cartoauth::config::{self, Location};
use cartoauth::env::{self, MapEnvironment};
use cartoauth::{resolve_with, ErrorKind, Result};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Runs `f` on a thread; a watchdog turns a blocked open (the bug) into a failure instead of a
/// test run that never ends. The limit is far above any honest run; nothing measures speed.
fn without_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the call blocked on a special file")
}

fn assert_refused<T: std::fmt::Debug>(outcome: Result<T>, path: &Path, what: &str) {
    let err = outcome.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    let message = err.message();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains(what), "{message}");
    assert!(message.contains("not a regular file"), "{message}");
}

#[test]
fn a_fifo_is_refused_as_an_explicit_path_an_environment_variable_and_the_default_file() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("f.json");
    mkfifo(&fifo);

    let path = fifo.clone();
    let outcome = without_blocking(move || {
        config::load_with(&Location::Path(path), &MapEnvironment::new(), false)
    });
    assert_refused(outcome, &fifo, "a FIFO (named pipe)");

    let env = MapEnvironment::new()
        .with(env::CONFIG_DIR, dir.path().join("cfg").to_str().unwrap())
        .with(env::CREDENTIALS_FILE, fifo.to_str().unwrap());
    let outcome = without_blocking(move || resolve_with(None, None, &env));
    assert_refused(outcome, &fifo, "a FIFO (named pipe)");

    let root = dir.path().join("cfg");
    std::fs::create_dir_all(&root).unwrap();
    let default = root.join("cartocreds.json");
    mkfifo(&default);
    let env = MapEnvironment::new().with(env::CONFIG_DIR, root.to_str().unwrap());
    let outcome = without_blocking(move || resolve_with(None, None, &env));
    assert_refused(outcome, &default, "a FIFO (named pipe)");
}

#[test]
fn devices_and_directories_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let env = MapEnvironment::new();
    let device = Path::new("/dev/zero");
    assert_refused(
        config::load_with(&Location::Path(device.into()), &env, false),
        device,
        "a character device",
    );
    assert_refused(
        config::load_with(&Location::Path(dir.path().into()), &env, false),
        dir.path(),
        "a directory",
    );
}
