//! The private PostgreSQL cluster: finding the system's binaries, building a pristine template
//! once (initdb + PostGIS), copying it for an instance, running `postgres` as an unprivileged
//! user on a unix socket only, and stopping it cleanly.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Bump when the template's contents change, so old caches are not reused.
const TEMPLATE_VERSION: u32 = 3;
/// The database every account lives in (one schema per user).
pub const DATABASE: &str = "carto";
/// The cluster's superuser, used only by the emulator itself for provisioning.
pub const SUPERUSER: &str = "postgres";
/// The unix socket "port" (only the socket file name depends on it).
pub const SOCKET_PORT: u16 = 5432;

pub type Result<T> = std::result::Result<T, String>;

/// Where the PostgreSQL programs and the PostGIS extension live.
#[derive(Debug, Clone)]
pub struct PgInstall {
    pub bin_dir: PathBuf,
    pub major: u32,
}

impl PgInstall {
    /// Finds the PostgreSQL binaries: an explicit directory first, then `pg_config --bindir`,
    /// then `/usr/lib/postgresql/*/bin`, newest version first.
    pub fn locate(explicit: Option<&Path>) -> Result<PgInstall> {
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(dir) = explicit {
            if !dir.join("initdb").exists() || !dir.join("postgres").exists() {
                return Err(format!(
                    "--pg-bin {}: no initdb/postgres there",
                    dir.display()
                ));
            }
            candidates.push(dir.to_path_buf());
        } else {
            if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
                if out.status.success() {
                    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
                    if !dir.is_empty() {
                        candidates.push(PathBuf::from(dir));
                    }
                }
            }
            let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| {
                    let major = e.file_name().to_str()?.parse::<u32>().ok()?;
                    Some((major, e.path().join("bin")))
                })
                .collect();
            versioned.sort_by_key(|v| std::cmp::Reverse(v.0));
            candidates.extend(versioned.into_iter().map(|(_, p)| p));
        }
        for dir in candidates {
            if dir.join("initdb").exists() && dir.join("postgres").exists() {
                let major = postgres_major(&dir)?;
                return Ok(PgInstall {
                    bin_dir: dir,
                    major,
                });
            }
        }
        Err(
            "no PostgreSQL server binaries found (looked at pg_config --bindir and \
             /usr/lib/postgresql/*/bin); install them (Debian: apt-get install postgresql \
             postgresql-15-postgis-3) or pass --pg-bin DIR / CARTO_EMULATOR_PG_BIN"
                .to_string(),
        )
    }

    pub fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// PostGIS must be installed for this server version, or nothing CARTO-like works.
    pub fn check_postgis(&self) -> Result<()> {
        let sharedir = self
            .pg_config("--sharedir")
            .unwrap_or_else(|| format!("/usr/share/postgresql/{}", self.major));
        let control = Path::new(&sharedir).join("extension/postgis.control");
        if control.exists() {
            Ok(())
        } else {
            Err(format!(
                "PostGIS is not installed for PostgreSQL {} ({} is missing); \
                 Debian: apt-get install postgresql-{}-postgis-3",
                self.major,
                control.display(),
                self.major
            ))
        }
    }

    fn pg_config(&self, flag: &str) -> Option<String> {
        let out = Command::new(self.program("pg_config"))
            .arg(flag)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}

fn postgres_major(bin_dir: &Path) -> Result<u32> {
    let out = Command::new(bin_dir.join("postgres"))
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run {}/postgres: {e}", bin_dir.display()))?;
    // "postgres (PostgreSQL) 15.18 (Debian ...)"
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find_map(|w| w.split('.').next()?.parse::<u32>().ok())
        .ok_or_else(|| format!("cannot parse postgres version from {text:?}"))
}

/// The unprivileged account `initdb` and `postgres` run as (PostgreSQL refuses to run as root).
#[derive(Debug, Clone, Copy)]
pub struct RunAs {
    pub uid: u32,
    pub gid: u32,
}

impl RunAs {
    /// `None` when we are not root: then the cluster simply runs as the current user.
    pub fn for_current_process(user_name: &str) -> Result<Option<RunAs>> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Ok(None);
        }
        let name = CString::new(user_name).map_err(|_| "bad user name".to_string())?;
        // SAFETY: getpwnam returns a pointer into static storage or null; we copy out at once.
        let pw = unsafe { libc::getpwnam(name.as_ptr()) };
        if pw.is_null() {
            return Err(format!(
                "running as root, but the unprivileged user {user_name:?} to run PostgreSQL \
                 as does not exist (choose one with --pg-user)"
            ));
        }
        // SAFETY: pw is non-null and points to a valid passwd record.
        let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
        Ok(Some(RunAs { uid, gid }))
    }

    fn apply(self, cmd: &mut Command) {
        cmd.uid(self.uid).gid(self.gid);
    }

    /// Fails with a clear message when the unprivileged user cannot reach `dir` (a parent
    /// without o+x, e.g. a home directory), which PostgreSQL would report far less clearly.
    pub fn check_reachable(self, dir: &Path) -> Result<()> {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "cd \"$1\"", "sh"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.apply(&mut cmd);
        match cmd.status() {
            Ok(s) if s.success() => Ok(()),
            _ => Err(format!(
                "PostgreSQL runs as uid {} but cannot reach {}: every parent directory needs \
                 o+x (choose another --data-dir, e.g. under /var/tmp)",
                self.uid,
                dir.display()
            )),
        }
    }

    /// Hands a directory tree to the unprivileged user.
    pub fn chown_tree(self, path: &Path) -> Result<()> {
        let status = Command::new("chown")
            .arg("-R")
            .arg(format!("{}:{}", self.uid, self.gid))
            .arg(path)
            .status()
            .map_err(|e| format!("chown: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("chown -R {} failed", path.display()))
        }
    }
}

/// An exclusive advisory lock on a file, held until dropped.
pub struct FileLock {
    _file: File,
}

impl FileLock {
    pub fn acquire(path: &Path, wait: bool) -> Result<Option<FileLock>> {
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
pub fn make_traversable_dir(path: &Path) -> Result<()> {
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

/// Builds (once, under a lock) the pristine template cluster and returns its directory.
pub fn ensure_template(
    pg: &PgInstall,
    run_as: Option<RunAs>,
    template_root: &Path,
    setup_sql: &str,
) -> Result<ClusterDir> {
    make_traversable_dir(template_root)?;
    let name = format!("template-pg{}-v{}", pg.major, TEMPLATE_VERSION);
    let final_dir = ClusterDir {
        root: template_root.join(&name),
    };
    if final_dir.is_initialized() {
        return Ok(final_dir);
    }
    let _lock = FileLock::acquire(&template_root.join(format!("{name}.lock")), true)?;
    if final_dir.is_initialized() {
        return Ok(final_dir);
    }
    // Under the lock, any other half-built template was left by a killed build.
    for e in fs::read_dir(template_root).into_iter().flatten().flatten() {
        if e.file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(&format!("{name}.building-")))
        {
            let _ = fs::remove_dir_all(e.path());
        }
    }
    let building = ClusterDir {
        root: template_root.join(format!("{name}.building-{}", std::process::id())),
    };
    let _ = fs::remove_dir_all(&building.root);
    make_traversable_dir(&building.root)?;
    let result = (|| {
        init_cluster(pg, run_as, &building)?;
        // A small max_wal_size keeps few recycled WAL segments in the template.
        let mut server = Postgres::start_with(pg, run_as, &building, &[("max_wal_size", "4MB")])?;
        let psql = server.psql(setup_sql);
        let stopped = server.stop();
        psql?;
        stopped
    })();
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&building.root);
        return Err(format!("building the template cluster failed: {e}"));
    }
    let _ = fs::remove_dir_all(&final_dir.root);
    fs::rename(&building.root, &final_dir.root)
        .map_err(|e| format!("cannot move the template into place: {e}"))?;
    Ok(final_dir)
}

fn init_cluster(pg: &PgInstall, run_as: Option<RunAs>, dir: &ClusterDir) -> Result<()> {
    let pgdata = dir.pgdata();
    fs::create_dir_all(&pgdata).map_err(|e| format!("cannot create {}: {e}", pgdata.display()))?;
    fs::set_permissions(&pgdata, fs::Permissions::from_mode(0o700)).map_err(|e| e.to_string())?;
    if let Some(r) = run_as {
        r.chown_tree(&pgdata)?;
    }
    let mut cmd = Command::new(pg.program("initdb"));
    cmd.arg("-D")
        .arg(&pgdata)
        .args([
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ])
        // 1 MiB WAL segments keep the template, copied for every instance, small.
        .arg("--wal-segsize=1")
        .env("LC_ALL", "C")
        .env_remove("PGDATA")
        .stdin(Stdio::null());
    if let Some(r) = run_as {
        r.apply(&mut cmd);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// Copies the template cluster into a new instance directory (keeping modes and owners).
pub fn copy_template(template: &ClusterDir, target: &ClusterDir) -> Result<()> {
    make_traversable_dir(&target.root)?;
    let status = Command::new("cp")
        .arg("-a")
        .arg(template.pgdata())
        .arg(target.pgdata())
        .status()
        .map_err(|e| format!("cannot run cp: {e}"))?;
    if !status.success() {
        return Err(format!(
            "copying the template {} to {} failed",
            template.pgdata().display(),
            target.pgdata().display()
        ));
    }
    // A template never holds a running server, but be safe about stale pid files.
    let _ = fs::remove_file(target.pgdata().join("postmaster.pid"));
    Ok(())
}

/// A running `postgres` child process owned by the emulator.
pub struct Postgres {
    child: Option<Child>,
    dir: ClusterDir,
    pg: PgInstall,
}

impl Postgres {
    /// Starts the server on a unix socket inside its data directory (never TCP) and waits until
    /// it accepts connections. Must be called from a thread that outlives the server: the child
    /// asks the kernel for SIGQUIT when that thread dies, so a killed emulator leaves no orphan.
    pub fn start(pg: &PgInstall, run_as: Option<RunAs>, dir: &ClusterDir) -> Result<Postgres> {
        Postgres::start_with(pg, run_as, dir, &[])
    }

    /// [`Postgres::start`] with more `-c name=value` settings.
    fn start_with(
        pg: &PgInstall,
        run_as: Option<RunAs>,
        dir: &ClusterDir,
        extra: &[(&str, &str)],
    ) -> Result<Postgres> {
        let pgdata = dir.pgdata();
        stop_stale_server(pg, run_as, dir);
        let log_path = dir.root.join("postgres.log");
        let log = File::create(&log_path)
            .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        let log2 = log.try_clone().map_err(|e| e.to_string())?;
        let socket_dir = dir.socket_dir();
        let mut cmd = Command::new(pg.program("postgres"));
        cmd.arg("-D").arg(&pgdata);
        let settings: Vec<(&str, String)> = vec![
            ("listen_addresses", String::new()),
            ("unix_socket_directories", socket_dir.display().to_string()),
            ("unix_socket_permissions", "0700".into()),
            ("port", SOCKET_PORT.to_string()),
            ("fsync", "off".into()),
            ("synchronous_commit", "off".into()),
            ("full_page_writes", "off".into()),
            ("timezone", "UTC".into()),
            ("log_timezone", "UTC".into()),
            ("datestyle", "ISO, MDY".into()),
            ("intervalstyle", "postgres".into()),
            ("max_connections", "200".into()),
            // Keep few recycled WAL segments around (the data dir is copied from the template).
            ("min_wal_size", "2MB".into()),
            ("shared_buffers", "16MB".into()),
            ("logging_collector", "off".into()),
            ("log_min_messages", "warning".into()),
            ("dynamic_shared_memory_type", "posix".into()),
        ];
        let extra = extra.iter().map(|(k, v)| (*k, v.to_string()));
        for (k, v) in settings.into_iter().chain(extra) {
            cmd.arg("-c").arg(format!("{k}={v}"));
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2))
            .env("LC_ALL", "C")
            .env_remove("PGDATA");
        if let Some(r) = run_as {
            r.apply(&mut cmd);
        }
        // SAFETY: prctl is async-signal-safe; this runs in the forked child before exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT);
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start postgres: {e}"))?;
        let mut server = Postgres {
            child: Some(child),
            dir: dir.clone(),
            pg: pg.clone(),
        };
        server.wait_ready(&log_path)?;
        Ok(server)
    }

    fn wait_ready(&mut self, log_path: &Path) -> Result<()> {
        let socket = self.socket_file();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    let log = fs::read_to_string(log_path).unwrap_or_default();
                    return Err(format!("postgres exited during startup ({status}): {log}"));
                }
            }
            if socket.exists() {
                let ok = Command::new(self.pg.program("pg_isready"))
                    .arg("-q")
                    .arg("-h")
                    .arg(self.dir.socket_dir())
                    .arg("-p")
                    .arg(SOCKET_PORT.to_string())
                    .arg("-U")
                    .arg(SUPERUSER)
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false);
                if ok {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err("postgres did not become ready within 60 s".into());
            }
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    pub fn socket_file(&self) -> PathBuf {
        self.dir
            .socket_dir()
            .join(format!(".s.PGSQL.{SOCKET_PORT}"))
    }

    pub fn socket_dir(&self) -> PathBuf {
        self.dir.socket_dir()
    }

    /// Runs SQL through `psql` as the superuser (used only while building the template).
    pub fn psql(&self, sql: &str) -> Result<()> {
        let mut child = Command::new(self.pg.program("psql"))
            .arg("-X")
            .arg("-q")
            .args(["-v", "ON_ERROR_STOP=1"])
            .arg("-h")
            .arg(self.dir.socket_dir())
            .args([
                "-p",
                &SOCKET_PORT.to_string(),
                "-U",
                SUPERUSER,
                "-d",
                "postgres",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(sql.as_bytes())
            .map_err(|e| format!("psql stdin: {e}"))?;
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "psql failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Fast shutdown (SIGINT): aborts open transactions and exits cleanly.
    pub fn stop(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        // SAFETY: signalling our own child process by pid.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => return Ok(()),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    // SAFETY: as above; immediate shutdown after the grace period.
                    unsafe {
                        libc::kill(child.id() as libc::pid_t, libc::SIGQUIT);
                    }
                    let _ = child.wait();
                    return Err("postgres did not stop within 20 s; sent SIGQUIT".into());
                }
            }
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// A postmaster left behind by a killed emulator still holds the data directory: stop it.
fn stop_stale_server(pg: &PgInstall, run_as: Option<RunAs>, dir: &ClusterDir) {
    let pid_file = dir.pgdata().join("postmaster.pid");
    if !pid_file.exists() {
        return;
    }
    let mut cmd = Command::new(pg.program("pg_ctl"));
    cmd.arg("-D")
        .arg(dir.pgdata())
        .args(["-m", "immediate", "-w", "stop"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(r) = run_as {
        r.apply(&mut cmd);
    }
    let _ = cmd.status();
    let _ = fs::remove_file(pid_file);
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

    #[test]
    fn an_explicit_bin_dir_must_hold_the_server() {
        let err = PgInstall::locate(Some(Path::new("/nonexistent"))).unwrap_err();
        assert!(err.contains("--pg-bin /nonexistent"), "{err}");
    }
}
