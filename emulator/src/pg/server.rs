//! The running cluster: `postgres` as an unprivileged user on a unix socket only, started,
//! waited for and stopped cleanly.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::pg::dirs::ClusterDir;
use crate::pg::install::{PgInstall, RunAs};

/// The database every account lives in (one schema per user).
pub const DATABASE: &str = "carto";
/// The cluster's superuser, used only by the emulator itself for provisioning.
pub const SUPERUSER: &str = "postgres";
/// The unix socket "port" (only the socket file name depends on it).
pub const SOCKET_PORT: u16 = 5432;

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
    pub fn start(
        pg: &PgInstall,
        run_as: Option<RunAs>,
        dir: &ClusterDir,
    ) -> Result<Postgres, String> {
        Postgres::start_with(pg, run_as, dir, &[])
    }

    /// [`Postgres::start`] with more `-c name=value` settings.
    pub fn start_with(
        pg: &PgInstall,
        run_as: Option<RunAs>,
        dir: &ClusterDir,
        extra: &[(&str, &str)],
    ) -> Result<Postgres, String> {
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

    fn wait_ready(&mut self, log_path: &Path) -> Result<(), String> {
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
    pub fn psql(&self, sql: &str) -> Result<(), String> {
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
    pub fn stop(&mut self) -> Result<(), String> {
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
