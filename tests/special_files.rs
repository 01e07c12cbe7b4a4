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

fn save(path: &Path) -> Result<std::path::PathBuf> {
    let c = cartoauth::Credentials::new(Some("alice"), Some("s3cret-key"), None, false).unwrap();
    config::save_with(
        &c,
        &Location::Path(path.into()),
        None,
        &MapEnvironment::new(),
    )
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_lock_file_symlink_is_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere");
    let path = dir.path().join("c.json");
    std::os::unix::fs::symlink(&elsewhere, dir.path().join(".c.json.lock")).unwrap();
    let err = save(&path).unwrap_err();
    assert!(
        err.message().contains(".c.json.lock is a symbolic link"),
        "{err}"
    );
    assert!(!elsewhere.exists(), "created through the link");
    assert!(!path.exists());

    // Nor a FIFO planted there: refused without blocking.
    std::fs::remove_file(dir.path().join(".c.json.lock")).unwrap();
    mkfifo(&dir.path().join(".c.json.lock"));
    let err = without_blocking(move || save(&path)).unwrap_err();
    assert!(err.message().contains(".c.json.lock"), "{err}");
}

#[test]
fn only_temporary_files_this_process_created_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let theirs = dir.path().join(".c.json.Xy12ab.tmp");
    std::fs::write(&theirs, "another program's half-written file").unwrap();
    save(&dir.path().join("c.json")).unwrap();
    assert!(theirs.exists());
    let ours: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") && n != ".c.json.Xy12ab.tmp")
        .collect();
    assert!(ours.is_empty(), "{ours:?}");
}

#[test]
fn a_symlinked_target_is_resolved_once_and_written_next_to_the_real_file() {
    let dir = tempfile::tempdir().unwrap();
    let dotfiles = dir.path().join("dotfiles");
    let config_dir = dir.path().join("config");
    std::fs::create_dir_all(&dotfiles).unwrap();
    std::fs::create_dir_all(&config_dir).unwrap();
    chmod(&config_dir, 0o700);
    let real = dotfiles.join("creds.json");
    std::fs::write(&real, "{}").unwrap();
    let link = config_dir.join("cartocreds.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    save(&link).unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&real).unwrap().contains("alice"));
    assert!(
        dotfiles.join(".creds.json.lock").exists(),
        "the lock sits by the real file"
    );
    assert!(!config_dir.join(".cartocreds.json.lock").exists());

    // In a directory others can write, the link may be planted: refused, nothing written.
    chmod(&config_dir, 0o777);
    std::fs::write(&real, "{}").unwrap();
    let err = save(&link).unwrap_err();
    assert!(err.message().contains("symbolic link"), "{err}");
    assert!(err.message().contains("chmod go-w"), "{err}");
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "{}");
    chmod(&config_dir, 0o700);
}

#[test]
fn a_directory_others_can_write_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let path = shared.join("c.json");
    save(&path).unwrap();
    let quiet = config::load_with(&Location::Path(path.clone()), &MapEnvironment::new(), false);
    assert!(quiet.unwrap().origin().warnings().is_empty());
    chmod(&shared, 0o777);
    let c = config::load_with(&Location::Path(path), &MapEnvironment::new(), false).unwrap();
    let warnings = c.origin().warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("can be written by other users (mode 0777)"),
        "{warnings:?}"
    );
    assert!(
        warnings[0].contains(&shared.display().to_string()),
        "{warnings:?}"
    );
    assert!(!warnings[0].contains("s3cret-key"));
}
