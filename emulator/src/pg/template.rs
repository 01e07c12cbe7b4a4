//! The pristine template cluster (initdb + PostGIS + CARTO's helpers), built once under a lock
//! and copied for each instance, so an emulator starts in well under a second.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::pg::dirs::{make_traversable_dir, ClusterDir, FileLock};
use crate::pg::install::{PgInstall, RunAs};
use crate::pg::server::{Postgres, SUPERUSER};

/// Bump when the template's contents change, so old caches are not reused.
const TEMPLATE_VERSION: u32 = 3;

/// Builds (once, under a lock) the pristine template cluster and returns its directory.
pub fn ensure_template(
    pg: &PgInstall,
    run_as: Option<RunAs>,
    template_root: &Path,
    setup_sql: &str,
) -> Result<ClusterDir, String> {
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

fn init_cluster(pg: &PgInstall, run_as: Option<RunAs>, dir: &ClusterDir) -> Result<(), String> {
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
pub fn copy_template(template: &ClusterDir, target: &ClusterDir) -> Result<(), String> {
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
