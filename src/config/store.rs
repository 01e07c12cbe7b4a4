//! Reading and writing credentials files safely.
//!
//! Writes are atomic, private and serialised:
//! - an advisory lock on a sibling `.<name>.lock` file (the target itself is replaced by rename,
//!   so it cannot carry the lock) is held for the whole read-modify-write; the lock file is
//!   removed with the file it guards, and a waiter that locked a removed one takes the new one;
//! - the new content goes to a temporary file in the same directory, created 0600, fsynced, then
//!   renamed over the target, and the directory is fsynced so the rename survives a crash;
//! - new directories are created 0700.
//!
//! A reader therefore sees the old file or the new one, never a mix, and a writer killed at any
//! point leaves the old file intact (and possibly its temporary file: only the process that
//! created a temporary file ever removes it). Reading warns when group or others can access
//! the file, or write its directory.
//!
//! Symbolic links: links on the way to the saved path (a linked config directory, a file of
//! dotfiles managed by stow) are resolved once; the lock, the temporary file and the rename
//! all happen next to the file they lead to, which is replaced there while the links stay, and
//! deleting the file deletes that file (what holds the key), not the link to it. As OpenSSH
//! trusts a path, a link is followed only where it sits in a directory owned by the effective
//! user or root that group and others cannot write: anyone else may have planted it, to make
//! us write credentials elsewhere (root saving into a user's directory through `sudo` without
//! `-H` would replace whatever file the user's link names). The lock file is never created or
//! opened through a link (`O_NOFOLLOW`).

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
    let mut options = OpenOptions::new();
    options.read(true);
    let (mut file, meta) = open_regular(&options, Links::Follow, path, "read")?;
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
    let mut warnings = permission_warnings(path, &meta);
    warnings.extend(directory_warning(&parent_dir(path)));
    Ok(FileText {
        text: zeroize::Zeroizing::new(text),
        warnings,
    })
}

/// How [`open_regular`] treats a symbolic link at the path itself.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Links {
    Follow,
    Refuse,
}

/// Opens `path` without ever blocking (a FIFO would wait forever for a writer) and returns it
/// only if it is a regular file: a FIFO, socket, device or directory is refused, naming it.
fn open_regular(
    options: &OpenOptions,
    links: Links,
    path: &Path,
    action: &str,
) -> Result<(File, fs::Metadata)> {
    let mut options = options.clone();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // custom_flags replaces earlier custom flags: set them all here.
        let no_follow = if links == Links::Refuse {
            libc::O_NOFOLLOW
        } else {
            0
        };
        options.custom_flags(libc::O_NONBLOCK | no_follow);
    }
    #[cfg(not(unix))]
    let _ = links;
    let file = options
        .open(path)
        .map_err(|e| Error::io(action, path, &e))?;
    let meta = file.metadata().map_err(|e| Error::io(action, path, &e))?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::Io,
            format!(
                "{} is {}, not a regular file: a credentials file must be a regular file",
                path.display(),
                file_kind(&meta)
            ),
        ));
    }
    Ok((file, meta))
}

fn file_kind(meta: &fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
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

/// Whether group or others may create, rename and delete entries of `dir`: they could then
/// replace the credentials file or plant a symbolic link where it is saved.
#[cfg(unix)]
fn writable_by_others(dir: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(dir).ok()?.permissions().mode() & 0o7777;
    (mode & 0o022 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn writable_by_others(_dir: &Path) -> Option<u32> {
    None
}

fn directory_warning(dir: &Path) -> Option<String> {
    writable_by_others(dir).map(|mode| {
        format!(
            "the directory {} can be written by other users (mode {mode:04o}), who could replace its credentials files; run: chmod go-w {}",
            dir.display(),
            dir.display()
        )
    })
}

/// Runs `f(target)` while holding the advisory lock of the file `path` names, creating the
/// directory if needed. `target` is `path` with a symbolic link resolved once (see the module
/// documentation); the lock sits next to it.
pub(crate) fn locked<T>(path: &Path, f: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
    locked_waiting(path, LockWait::Up(LOCK_TIMEOUT), f)?.ok_or_else(|| {
        Error::new(
            ErrorKind::LockTimeout,
            format!("the lock on {} is held", path.display()),
        )
    })
}

/// How long [`locked_waiting`] waits for another process's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockWait {
    /// Not at all: `Ok(None)` when the lock is held.
    Try,
    /// Up to this long, then [`ErrorKind::LockTimeout`].
    Up(Duration),
}

/// [`locked`] with a chosen wait; `Ok(None)` when `wait` is [`LockWait::Try`] and another
/// process holds the lock (the token cache's advisory refresh gives way to another minter).
pub(crate) fn locked_waiting<T>(
    path: &Path,
    wait: LockWait,
    f: impl FnOnce(&Path) -> Result<T>,
) -> Result<Option<T>> {
    let target = resolve_link(path)?;
    let dir = parent_dir(&target);
    create_private_dir(&dir)?;
    let lock_path = sibling(&target, ".", ".lock");
    let started = Instant::now();
    let lock = loop {
        let lock = open_lock(&lock_path)?;
        if !wait_for_lock(&lock, &lock_path, path, started, wait)? {
            return Ok(None);
        }
        // The holder before us may have removed the lock file (below) after we opened it:
        // then ours is an orphan that guards nothing, and the lock is the file now there.
        if is_current_lock(&lock, &lock_path) {
            break lock;
        }
    };
    let result = f(&target);
    // A lock file never outlives the file it guards (logout leaves nothing behind). Removed
    // while still held, so a waiter on it sees the change above and takes a fresh one.
    #[cfg(unix)]
    if matches!(fs::symlink_metadata(&target), Err(e) if e.kind() == io::ErrorKind::NotFound) {
        let _ = fs::remove_file(&lock_path);
    }
    // Closing the file releases the lock; unlock explicitly to make the order obvious.
    let _ = lock.unlock();
    result.map(Some)
}

fn open_lock(lock_path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    private_mode(&mut options);
    let (lock, _) = open_regular(&options, Links::Refuse, lock_path, "create lock file").map_err(|e| {
        if is_symlink(lock_path) {
            Error::new(
                ErrorKind::Io,
                format!(
                    "{} is a symbolic link: refusing to create or open a lock file through it; remove it",
                    lock_path.display()
                ),
            )
        } else {
            e
        }
    })?;
    Ok(lock)
}

/// Takes the lock; `Ok(false)` when `wait` is [`LockWait::Try`] and it is held.
fn wait_for_lock(
    lock: &File,
    lock_path: &Path,
    path: &Path,
    started: Instant,
    wait: LockWait,
) -> Result<bool> {
    loop {
        match (lock.try_lock(), wait) {
            (Ok(()), _) => return Ok(true),
            (Err(fs::TryLockError::WouldBlock), LockWait::Try) => return Ok(false),
            (Err(fs::TryLockError::WouldBlock), LockWait::Up(limit))
                if started.elapsed() < limit =>
            {
                std::thread::sleep(LOCK_POLL)
            }
            (Err(fs::TryLockError::WouldBlock), LockWait::Up(limit)) => {
                return Err(Error::new(
                    ErrorKind::LockTimeout,
                    format!(
                        "another process has held the lock on {} for more than {:.0} s",
                        path.display(),
                        limit.as_secs_f64()
                    ),
                ))
            }
            (Err(fs::TryLockError::Error(e)), _) => return Err(Error::io("lock", lock_path, &e)),
        }
    }
}

/// Whether the locked file is still the one at `lock_path`.
#[cfg(unix)]
fn is_current_lock(lock: &File, lock_path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (lock.metadata(), fs::symlink_metadata(lock_path)) {
        (Ok(held), Ok(there)) => held.dev() == there.dev() && held.ino() == there.ino(),
        _ => false,
    }
}

/// Lock files are never removed elsewhere, so the one opened is the one there.
#[cfg(not(unix))]
fn is_current_lock(_lock: &File, _lock_path: &Path) -> bool {
    true
}

/// Replaces `target` (as [`locked`] gave it) with `bytes` atomically, with mode 0600. The
/// temporary file is removed by tempfile if anything fails before the rename.
pub(crate) fn write_atomic(target: &Path, bytes: &[u8]) -> Result<()> {
    let dir = parent_dir(target);
    create_private_dir(&dir)?;
    let name = file_name(target);
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| Error::io("create a temporary file in", &dir, &e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| Error::io("write", temp.path(), &e))?;
    temp.persist(target)
        .map_err(|e| Error::io("replace", target, &e.error))?;
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

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
}

/// The most links followed on the way to one file (Linux's own limit is 40).
const MAX_LINKS: usize = 40;

/// `path` with every symbolic link on the way resolved, each one only where it may be trusted
/// (see the module documentation). The last components need not exist yet; a link to a file
/// that does not exist resolves to where that file would be.
#[cfg(unix)]
fn resolve_link(path: &Path) -> Result<PathBuf> {
    use std::collections::VecDeque;
    use std::path::Component;
    let mut pending: VecDeque<PathBuf> = path
        .components()
        .map(|c| PathBuf::from(c.as_os_str()))
        .collect();
    let mut resolved = PathBuf::new();
    let mut links = 0;
    while let Some(part) = pending.pop_front() {
        match part.components().next() {
            Some(Component::RootDir | Component::Prefix(_)) => resolved = part,
            Some(Component::CurDir) | None => {}
            // After the links before it are resolved, ".." is the real parent.
            Some(Component::ParentDir) => {
                if resolved.as_os_str().is_empty() || resolved.ends_with("..") {
                    resolved.push("..");
                } else if resolved.parent().is_some() {
                    // (the root is its own parent)
                    resolved.pop();
                }
            }
            Some(Component::Normal(_)) => {
                let candidate = resolved.join(&part);
                let is_link = match fs::symlink_metadata(&candidate) {
                    Ok(meta) => meta.file_type().is_symlink(),
                    // Nothing there yet: the rest is created, not followed.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        resolved = candidate;
                        resolved.extend(pending.drain(..));
                        return Ok(resolved);
                    }
                    Err(e) => return Err(Error::io("read", &candidate, &e)),
                };
                if !is_link {
                    resolved = candidate;
                    continue;
                }
                links += 1;
                if links > MAX_LINKS {
                    return Err(Error::new(
                        ErrorKind::Io,
                        format!(
                            "{}: more than {MAX_LINKS} symbolic links on the way",
                            crate::text::excerpt::path(path)
                        ),
                    ));
                }
                check_link_may_be_followed(&candidate, &parent_dir(&candidate))?;
                let target = fs::read_link(&candidate)
                    .map_err(|e| Error::io("resolve the symbolic link", &candidate, &e))?;
                for (i, component) in target.components().enumerate() {
                    pending.insert(i, PathBuf::from(component.as_os_str()));
                }
            }
        }
    }
    Ok(resolved)
}

/// Refuses a link in a directory owned by someone other than the effective user and root, or
/// that group or others can write.
#[cfg(unix)]
fn check_link_may_be_followed(link: &Path, dir: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(dir).map_err(|e| Error::io("read", dir, &e))?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    let mode = meta.mode() & 0o7777;
    let shown_dir = crate::text::excerpt::path(dir);
    let (why, fix) = if meta.uid() != euid && meta.uid() != 0 {
        (
            format!(
                "which belongs to another user (uid {}, this process runs as uid {euid})",
                meta.uid()
            ),
            "give the real path, or run as that user".to_owned(),
        )
    } else if mode & 0o022 != 0 {
        (
            format!("which other users can write (mode {mode:04o})"),
            format!("remove the link or run: chmod go-w {shown_dir}"),
        )
    } else {
        return Ok(());
    };
    Err(Error::new(
        ErrorKind::Io,
        format!(
            "{} is a symbolic link in {shown_dir}, {why}: refusing to write credentials where it points; {fix}",
            crate::text::excerpt::path(link),
        ),
    ))
}

/// `path`, or the file its symbolic link points to.
#[cfg(not(unix))]
fn resolve_link(path: &Path) -> Result<PathBuf> {
    if !is_symlink(path) {
        return Ok(path.to_path_buf());
    }
    fs::canonicalize(path).map_err(|e| Error::io("resolve the symbolic link", path, &e))
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
        locked(&path, |target| write_atomic(target, b"{\"a\":1}")).unwrap();
        locked(&path, |target| write_atomic(target, b"{\"a\":2}")).unwrap();
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
    fn a_lock_file_goes_with_its_file_and_the_lock_still_excludes() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let lock_file = dir.path().join(".c.json.lock");
        locked(&path, |target| write_atomic(target, b"{}")).unwrap();
        assert!(
            lock_file.exists(),
            "a lock file stays while its file exists"
        );
        locked(&path, remove).unwrap();
        assert!(
            !lock_file.exists(),
            "deleting the file deletes its lock file"
        );
        // Nothing to delete: no lock file is created and left either.
        assert!(locked(&path, remove).is_err());
        assert!(!lock_file.exists());

        // Threads that delete and recreate the file (so lock files come and go) are never
        // inside the lock together: a waiter on a removed lock file takes the new one.
        let inside = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..6)
            .map(|t| {
                let (path, inside) = (path.clone(), inside.clone());
                std::thread::spawn(move || {
                    for round in 0..60 {
                        locked(&path, |target| {
                            assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                            let done = if (t + round) % 2 == 0 {
                                write_atomic(target, b"{}")
                            } else {
                                remove(target).or_else(|e| match e.kind() {
                                    ErrorKind::FileNotFound => Ok(()),
                                    _ => Err(e),
                                })
                            };
                            std::thread::yield_now();
                            inside.fetch_sub(1, Ordering::SeqCst);
                            done
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
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
    fn temporaries_of_other_processes_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let theirs = dir.path().join(".c.json.abc123.tmp");
        fs::write(&theirs, "half").unwrap();
        locked(&path, |target| write_atomic(target, b"{}")).unwrap();
        assert_eq!(fs::read_to_string(&theirs).unwrap(), "half");
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_files_are_updated_through_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        fs::write(&real, "{}").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        locked(&link, |target| write_atomic(target, b"{\"x\":1}")).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "{\"x\":1}");
    }

    /// Gives `path` to another user (as root) and returns whether that was possible.
    #[cfg(unix)]
    fn give_away(path: &Path) -> bool {
        use std::os::unix::ffi::OsStrExt;
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return false;
        }
        let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; 65534 is the conventional "nobody".
        unsafe { libc::chown(c_path.as_ptr(), 65534, 65534) == 0 }
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_only_in_directories_of_this_user_or_root() {
        use std::os::unix::fs::{symlink, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        // A user's config directory (mode 0755) holding a link to a file of root's choosing.
        let theirs = dir.path().join("theirs");
        fs::create_dir(&theirs).unwrap();
        fs::set_permissions(&theirs, fs::Permissions::from_mode(0o755)).unwrap();
        symlink(&victim, theirs.join("creds.json")).unwrap();
        // ... and a linked config directory in it.
        let real_dir = dir.path().join("real_dir");
        fs::create_dir(&real_dir).unwrap();
        symlink(&real_dir, theirs.join("linked")).unwrap();
        // In this process's own directory both are followed.
        locked(&theirs.join("linked/c.json"), |t| write_atomic(t, b"{}")).unwrap();
        assert!(real_dir.join("c.json").exists());
        if !give_away(&theirs) {
            eprintln!("not root: the other-owner half of this test needs root");
            return;
        }
        for path in [theirs.join("creds.json"), theirs.join("linked/c.json")] {
            let err = locked(&path, |t| write_atomic(t, b"{\"k\":1}")).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Io, "{err}");
            assert!(err.message().contains("belongs to another user"), "{err}");
        }
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(fs::read_to_string(real_dir.join("c.json")).unwrap(), "{}");
        // A link in a directory others can write is refused too.
        let shared = dir.path().join("shared");
        fs::create_dir(&shared).unwrap();
        symlink(&victim, shared.join("creds.json")).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).unwrap();
        let err = locked(&shared.join("creds.json"), |t| write_atomic(t, b"{}")).unwrap_err();
        assert!(err.message().contains("other users can write"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn link_chains_loops_and_dangling_links_resolve_or_fail_cleanly() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("a")).unwrap();
        symlink("a", d.join("b")).unwrap();
        symlink("../a/real.json", d.join("b/rel.json")).unwrap();
        symlink(d.join("b/rel.json"), d.join("abs.json")).unwrap();
        // A chain of links, relative and absolute, to a file not there yet.
        assert_eq!(
            resolve_link(&d.join("abs.json")).unwrap(),
            d.join("a/real.json")
        );
        locked(&d.join("abs.json"), |t| write_atomic(t, b"1")).unwrap();
        assert_eq!(fs::read_to_string(d.join("a/real.json")).unwrap(), "1");
        symlink("loop2", d.join("loop1")).unwrap();
        symlink("loop1", d.join("loop2")).unwrap();
        let err = resolve_link(&d.join("loop1")).unwrap_err();
        assert!(
            err.message().contains("more than 40 symbolic links"),
            "{err}"
        );
        assert_eq!(resolve_link(&d.join("b/../b/x")).unwrap(), d.join("a/x"));
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
