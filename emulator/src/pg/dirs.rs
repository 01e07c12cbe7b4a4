//! Data directories: their layout, default locations, locks, and the clean-up of those that
//! killed emulators left behind.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An exclusive advisory lock on a file, held until dropped.
pub struct FileLock {
    _file: File,
}

impl FileLock {
    pub fn acquire(path: &Path, wait: bool) -> Result<Option<FileLock>, String> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| format!("cannot open lock file {}: {e}", path.display()))?;
        let mut flags = libc::LOCK_EX;
        if !wait {
            flags |= libc::LOCK_NB;
        }
        // SAFETY: flock on a file descriptor we own.
        let rc = unsafe { libc::flock(file.as_raw_fd(), flags) };
        if rc == 0 {
            Ok(Some(FileLock { _file: file }))
        } else {
            let err = io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                Ok(None)
            } else {
                Err(format!("cannot lock {}: {err}", path.display()))
            }
        }
    }
}

/// Creates a directory that the unprivileged cluster user can traverse.
pub fn make_traversable_dir(path: &Path) -> Result<(), String> {
    fs::create_dir_all(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let meta = fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mode = meta.permissions().mode() & 0o7777;
    // SAFETY: geteuid has no preconditions.
    if meta.uid() == unsafe { libc::geteuid() } && mode & 0o711 != 0o711 {
        fs::set_permissions(path, fs::Permissions::from_mode(mode | 0o711))
            .map_err(|e| format!("cannot chmod {}: {e}", path.display()))?;
    }
    Ok(())
}

/// The default template cache: shared by every instance of this user, safe for `nobody` to read.
pub fn default_cache_root() -> PathBuf {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    if uid == 0 {
        return PathBuf::from(format!("/var/tmp/carto-emulator-{uid}"));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("carto-emulator");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache/carto-emulator");
    }
    PathBuf::from(format!("/var/tmp/carto-emulator-{uid}"))
}

/// The default persistent data directory (used without `--fresh` / `--data-dir`).
pub fn default_data_dir() -> PathBuf {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    if uid == 0 {
        return PathBuf::from(format!("/var/tmp/carto-emulator-{uid}/data"));
    }
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("carto-emulator");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".local/share/carto-emulator");
    }
    PathBuf::from(format!("/var/tmp/carto-emulator-{uid}/data"))
}

/// A cluster directory layout: `<root>/pgdata` holds the cluster and its socket.
#[derive(Debug, Clone)]
pub struct ClusterDir {
    pub root: PathBuf,
}

impl ClusterDir {
    pub fn pgdata(&self) -> PathBuf {
        self.root.join("pgdata")
    }
    pub fn socket_dir(&self) -> PathBuf {
        self.pgdata()
    }
    pub fn is_initialized(&self) -> bool {
        self.pgdata().join("PG_VERSION").exists()
    }
}

/// Removes `--fresh` data directories left by emulators that were killed (SIGKILL leaves no
/// chance to clean up): those whose lock nobody holds and that are older than ten minutes.
pub fn remove_stale_fresh_dirs(base: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let dir = e.path();
        let lock = dir.join("emulator.lock");
        if !name.starts_with(prefix) || !lock.is_file() || !dir.join("pgdata").is_dir() {
            continue;
        }
        let old = fs::metadata(&lock)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(600));
        if !old {
            continue;
        }
        if let Ok(Some(_held)) = FileLock::acquire(&lock, false) {
            let _ = fs::remove_dir_all(&dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_instance(base: &Path, name: &str, age: Duration) -> PathBuf {
        let dir = base.join(name);
        fs::create_dir_all(dir.join("pgdata")).unwrap();
        let lock = File::create(dir.join("emulator.lock")).unwrap();
        lock.set_modified(std::time::SystemTime::now() - age)
            .unwrap();
        dir
    }

    #[test]
    fn only_old_unlocked_fresh_dirs_are_removed() {
        let base = tempfile::tempdir().unwrap();
        let hour = Duration::from_secs(3600);
        let stale = fake_instance(base.path(), "carto-emulator-a", hour);
        let young = fake_instance(base.path(), "carto-emulator-b", Duration::ZERO);
        let running = fake_instance(base.path(), "carto-emulator-c", hour);
        let other = fake_instance(base.path(), "something-else", hour);
        let _held = FileLock::acquire(&running.join("emulator.lock"), false)
            .unwrap()
            .unwrap();
        remove_stale_fresh_dirs(base.path(), "carto-emulator-");
        assert!(!stale.exists());
        assert!(young.exists() && running.exists() && other.exists());
    }
}
