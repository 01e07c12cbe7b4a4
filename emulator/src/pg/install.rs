//! The system's PostgreSQL: where its programs are, that PostGIS is there, and the
//! unprivileged account they run as when the emulator runs as root.

use std::ffi::CString;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the PostgreSQL programs and the PostGIS extension live.
#[derive(Debug, Clone)]
pub struct PgInstall {
    pub bin_dir: PathBuf,
    pub major: u32,
}

impl PgInstall {
    /// Finds the PostgreSQL binaries: an explicit directory first, then `pg_config --bindir`,
    /// then `/usr/lib/postgresql/*/bin`, newest version first.
    pub fn locate(explicit: Option<&Path>) -> Result<PgInstall, String> {
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
    pub fn check_postgis(&self) -> Result<(), String> {
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

fn postgres_major(bin_dir: &Path) -> Result<u32, String> {
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
    pub fn for_current_process(user_name: &str) -> Result<Option<RunAs>, String> {
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

    /// Makes `cmd` run as this account.
    pub fn apply(self, cmd: &mut Command) {
        cmd.uid(self.uid).gid(self.gid);
    }

    /// Fails with a clear message when the unprivileged user cannot reach `dir` (a parent
    /// without o+x, e.g. a home directory), which PostgreSQL would report far less clearly.
    pub fn check_reachable(self, dir: &Path) -> Result<(), String> {
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
    pub fn chown_tree(self, path: &Path) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_bin_dir_must_hold_the_server() {
        let err = PgInstall::locate(Some(Path::new("/nonexistent"))).unwrap_err();
        assert!(err.contains("--pg-bin /nonexistent"), "{err}");
    }
}
