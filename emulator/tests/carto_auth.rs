//! carto-auth 0.2.0 (PyPI), unchanged, against the emulator's CARTO 3
//! (tests/carto_auth_client.py): from_m2m() + get_access_token() + the DW credentials, and
//! the browser flow from_oauth() with a scripted browser that follows the redirect.
//!
//! carto-auth writes CARTO's host names as literals, so the script runs in a network and
//! mount namespace of its own (`unshare --net --mount`, as root) where those names are
//! 127.0.0.1 and the emulator listens on port 443 with TLS for them; where namespaces are not
//! available (or `CARTO_AUTH_ROUTING=resolver`), the script's own resolver sends those names
//! to an emulator on a free port instead. It needs a Python with carto-auth 0.2.0
//! (`CARTO_AUTH_PYTHON`; tests/interop/setup-carto-auth-venv.sh makes one); without it, it
//! fails under `CARTOAUTH_REQUIRE_INTEROP` (CI) and says it skipped otherwise.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn carto_auth_python() -> Option<String> {
    let python = std::env::var("CARTO_AUTH_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let probe = Command::new(&python)
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('carto-auth'))",
        ])
        .output()
        .ok()?;
    (probe.status.success() && String::from_utf8_lossy(&probe.stdout).trim() == "0.2.0")
        .then_some(python)
}

fn namespaces_work() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    root && Command::new("unshare")
        .args(["--net", "--mount", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn carto_auth_works_unchanged() {
    let test = "carto_auth_works_unchanged";
    let Some(python) = carto_auth_python() else {
        common::interop_client_missing(test, "a Python with carto-auth==0.2.0 (CARTO_AUTH_PYTHON)");
        return;
    };
    let namespace =
        std::env::var("CARTO_AUTH_ROUTING").as_deref() != Ok("resolver") && namespaces_work();
    let work = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/carto_auth_client.py");
    let mut cmd = if namespace {
        let mut c = Command::new("unshare");
        c.args(["--net", "--mount", "--"]).arg(&python);
        c
    } else {
        Command::new(&python)
    };
    let mut child = cmd
        .arg(script)
        .arg(if namespace {
            "--namespace"
        } else {
            "--resolver"
        })
        .arg(env!("CARGO_BIN_EXE_carto-emulator"))
        .arg(work.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let emulator_err =
        std::fs::read_to_string(work.path().join("emulator.stderr")).unwrap_or_default();
    let browser = std::fs::read_to_string(work.path().join("browser.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "carto-auth checks failed:\n{stdout}\n{stderr}\nemulator: {emulator_err}\nbrowser: {browser}"
    );
    // The checks carto-auth passed, for the test's output.
    eprintln!("{stdout}");
    let last: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("")).expect("a JSON summary");
    assert_eq!(last["checks"], "all passed", "{stdout}");
    assert_eq!(
        last["routing"],
        if namespace { "namespace" } else { "resolver" }
    );
    // One M2M token for two from_m2m() calls (carto-auth's cache), one user token.
    let minted = &last["counters"]["minted"];
    assert_eq!(minted["emulator_m2m_client"], 1, "{last}");
    assert_eq!(minted["0dxb8HR3ATXCxJiPOJVHsLoHoAtbRX6u"], 1, "{last}");
}
