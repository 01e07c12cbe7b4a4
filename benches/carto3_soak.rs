//! The CARTO 3 token soak: 3 processes x 8 threads making SQL API v3 calls for 10 minutes
//! through one M2M client against carto-emulator issuing 120-second tokens; the emulator
//! counts the tokens it minted and the requests that came with an expired token. Then, when
//! a Python with carto-auth 0.2.0 is at hand (`CARTO_AUTH_PYTHON`, or the venv of
//! tests/interop/setup-carto-auth-venv.sh), carto-auth in the same loop, for comparison
//! (benches/carto3_soak_carto_auth.py; in a network namespace as root, since carto-auth
//! writes CARTO's URLs as literals).
//!
//!   cargo build --release -p carto-emulator && cargo bench --bench carto3_soak
//!
//! `SOAK_SECONDS` (default 600), `SOAK_PROCESSES` (3), `SOAK_THREADS` (8),
//! `SOAK_LIFETIME_S` (120) and `SOAK_PAUSE_MS` (50) change the plan; the short CI version is
//! tests/carto3_soak.rs.

#[path = "../tests/support/soak.rs"]
mod soak;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map_or(default, |v| v.parse().unwrap())
}

fn carto_auth_python() -> Option<String> {
    let python = std::env::var("CARTO_AUTH_PYTHON").ok().or_else(|| {
        let venv = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/target/venv-carto-auth/bin/python"
        );
        Path::new(venv).exists().then(|| venv.to_owned())
    })?;
    let ok = Command::new(&python)
        .args(["-c", "import carto_auth"])
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(python)
}

fn main() {
    soak::worker_if_asked();
    let plan = soak::Plan {
        processes: number("SOAK_PROCESSES", 3) as usize,
        threads: number("SOAK_THREADS", 8) as usize,
        duration: Duration::from_secs(number("SOAK_SECONDS", 600)),
        token_lifetime: Duration::from_secs(number("SOAK_LIFETIME_S", 120)),
        pause: Duration::from_millis(number("SOAK_PAUSE_MS", 50)),
    };
    println!("plan: {plan:?}");
    let exe = std::env::current_exe().unwrap();
    let outcome = soak::drive(&plan, &exe, &[]);
    println!(
        "cartoauth: {} requests in {:.0} s, {} errors {:?}; emulator: {} minted for {} refresh windows, {} requests with an expired token, {} authenticated",
        outcome.requests,
        outcome.elapsed.as_secs_f64(),
        outcome.errors.values().sum::<u64>(),
        outcome.errors,
        outcome.minted,
        outcome.refresh_windows,
        outcome.expired_token_requests,
        outcome.authenticated_requests
    );
    let Some(python) = carto_auth_python() else {
        println!("carto-auth: not run (no Python with carto-auth 0.2.0; tests/interop/setup-carto-auth-venv.sh)");
        return;
    };
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/carto3_soak_carto_auth.py"
    );
    let emulator = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("carto-emulator"))
        .filter(|p| p.exists())
        .or_else(|| std::env::var_os("CARTO_EMULATOR_BIN").map(Into::into))
        .expect("the carto-emulator binary: cargo build --release -p carto-emulator");
    let work = tempfile::tempdir().unwrap();
    let mut cmd = if root {
        let mut c = Command::new("unshare");
        c.args(["--net", "--mount", "--"]).arg(&python);
        c
    } else {
        Command::new(&python)
    };
    let status = cmd
        .arg(script)
        .arg(if root { "--namespace" } else { "--resolver" })
        .arg(&emulator)
        .arg(work.path())
        .args([
            plan.duration.as_secs().to_string(),
            plan.processes.to_string(),
            plan.threads.to_string(),
            plan.pause.as_millis().to_string(),
            plan.token_lifetime.as_secs().to_string(),
        ])
        .status()
        .unwrap();
    assert!(status.success(), "the carto-auth run failed");
}
