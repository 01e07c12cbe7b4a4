//! Reading and writing credentials files safely.
//!
//! Writes are atomic, private and serialised:
//! - an advisory lock on a sibling `.<name>.lock` file (the target itself is replaced by rename,
//!   so it cannot carry the lock) is held for the whole read-modify-write;
//! - the new content goes to a temporary file in the same directory, created 0600, fsynced, then
//!   renamed over the target, and the directory is fsynced so the rename survives a crash;
//! - new directories are created 0700.
//!
//! A reader therefore sees the old file or the new one, never a mix, and a writer killed at any
//! point leaves the old file intact. Reading warns when group or others can access the file.

use crate::error::{Error, ErrorKind, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Credentials files are tiny; anything larger is not one.
const MAX_FILE_BYTES: u64 = 1 << 20;
/// How long a writer waits for another process's lock before giving up.
const LOCK_TIMEOUT: Duration = Duration::from_secs(10);
const LOCK_POLL: Duration = Duration::from_millis(5);

/// A file's text and any warnings about it.
pub(crate) struct FileText {
    /// Wiped when dropped: it holds the key.
    pub text: zeroize::Zeroizing<String>,
    pub warnings: Vec<String>,
}

/// Reads a credentials file: size-limited, UTF-8 (a BOM is accepted), permissions checked.
pub(crate) fn read(path: &Path) -> Result<FileText> {
    let mut file = File::open(path).map_err(|e| Error::io("read", path, &e))?;
    let meta = file.metadata().map_err(|e| Error::io("read", path, &e))?;
    if meta.is_dir() {
        return Err(Error::new(
            ErrorKind::Io,
            format!("{} is a directory, not a credentials file", path.display()),
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::file_content(
            path,
            None,
            &format!(
                "is {} bytes, too large to be a credentials file",
                meta.len()
            ),
        ));
    }
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(meta.len() as usize));
    Read::by_ref(&mut file)
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("read", path, &e))?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = String::from_utf8(body.to_vec()).map_err(|e| {
        Error::file_content(
            path,
            None,
            &format!(
                "is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    Ok(FileText {
        text: zeroize::Zeroizing::new(text),
        warnings: permission_warnings(path, &meta),
    })
}

#[cfg(unix)]
fn permission_warnings(path: &Path, meta: &fs::Metadata) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Vec::new();
    }
    vec![format!(
        "{} can be read by other users (mode {mode:04o}); run: chmod 600 {}",
        path.display(),
        path.display()
    )]
}

#[cfg(not(unix))]
fn permission_warnings(_path: &Path, _meta: &fs::Metadata) -> Vec<String> {
    Vec::new()
}

/// Runs `f` while holding the advisory lock of `path`, creating the directory if needed.
pub(crate) fn locked<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let dir = parent_dir(path);
    create_private_dir(&dir)?;
    let lock_path = sibling(path, ".", ".lock");
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    private_mode(&mut options);
    let lock = options
        .open(&lock_path)
        .map_err(|e| Error::io("create lock file", &lock_path, &e))?;
    let started = Instant::now();
    loop {
        match lock.try_lock() {
            Ok(()) => break,
            Err(fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_TIMEOUT => {
                std::thread::sleep(LOCK_POLL)
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(Error::new(
                    ErrorKind::LockTimeout,
                    format!(
                        "another process has held the lock on {} for more than {} s",
                        path.display(),
                        LOCK_TIMEOUT.as_secs()
                    ),
                ))
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io("lock", &lock_path, &e)),
        }
    }
    let result = f();
    // Closing the file releases the lock; unlock explicitly to make the order obvious.
    let _ = lock.unlock();
    result
}

/// Replaces `path` with `bytes` atomically, with mode 0600. Call inside [`locked`].
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = follow_symlink(path);
    let dir = parent_dir(&target);
    create_private_dir(&dir)?;
    remove_stale_temporaries(&target, &dir);
    let name = file_name(&target);
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| Error::io("create a temporary file in", &dir, &e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| Error::io("write", temp.path(), &e))?;
    temp.persist(&target)
        .map_err(|e| Error::io("replace", &target, &e.error))?;
    sync_dir(&dir)
}

/// Deletes `path`; a missing file is [`ErrorKind::FileNotFound`]. Call inside [`locked`].
pub(crate) fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => sync_dir(&parent_dir(path)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::file_not_found(path)),
        Err(e) => Err(Error::io("delete", path, &e)),
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "credentials".to_owned())
}

/// `<dir>/<prefix><name><suffix>`.
fn sibling(path: &Path, prefix: &str, suffix: &str) -> PathBuf {
    parent_dir(path).join(format!("{prefix}{}{suffix}", file_name(path)))
}

/// Users who keep dotfiles as symlinks expect the link's target to be updated, not replaced.
fn follow_symlink(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

/// Temporary files of writers that were killed. Safe to delete: we hold the lock.
fn remove_stale_temporaries(target: &Path, dir: &Path) {
    let prefix = format!(".{}.", file_name(target));
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| Error::io("create directory", dir, &e))
}

fn private_mode(options: &mut OpenOptions) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = options;
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("sync directory", dir, &e))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_the_file_privately_and_leave_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/creds.json");
        locked(&path, || write_atomic(&path, b"{\"a\":1}")).unwrap();
        locked(&path, || write_atomic(&path, b"{\"a\":2}")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"a\":2}");
        let names: Vec<String> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
            assert!(read(&path).unwrap().warnings.is_empty());
        }
    }

    #[cfg(unix)]
    #[test]
    fn readable_by_others_is_a_warning_not_an_error() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        fs::write(&path, "{}").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let text = read(&path).unwrap();
        assert_eq!(text.warnings.len(), 1);
        assert!(
            text.warnings[0].contains("mode 0644"),
            "{:?}",
            text.warnings
        );
    }

    #[test]
    fn stale_temporaries_of_killed_writers_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let stale = dir.path().join(".c.json.abc123.tmp");
        fs::write(&stale, "half").unwrap();
        locked(&path, || write_atomic(&path, b"{}")).unwrap();
        assert!(!stale.exists());
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_files_are_updated_through_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        fs::write(&real, "{}").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        locked(&link, || write_atomic(&link, b"{\"x\":1}")).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "{\"x\":1}");
    }

    #[test]
    fn oversized_binary_and_missing_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.json");
        fs::write(&big, vec![b' '; (MAX_FILE_BYTES + 1) as usize]).unwrap();
        assert!(read(&big).err().unwrap().message().contains("too large"));
        let bin = dir.path().join("bin.json");
        fs::write(&bin, [b'{', 0xff, b'}']).unwrap();
        assert!(read(&bin).err().unwrap().message().contains("not UTF-8"));
        let missing = dir.path().join("none.json");
        assert_eq!(
            read(&missing).err().unwrap().kind(),
            ErrorKind::FileNotFound
        );
        assert_eq!(
            remove(&missing).unwrap_err().kind(),
            ErrorKind::FileNotFound
        );
    }

    #[test]
    fn a_bom_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        fs::write(&path, b"\xEF\xBB\xBF{}").unwrap();
        assert_eq!(*read(&path).unwrap().text, "{}");
    }
}
