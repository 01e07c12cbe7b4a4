//! carto-python 1.11.3, unchanged, against the emulator (tests/carto_python_client.py). It
//! needs a Python with `carto==1.11.3` (`CARTO_PYTHON`, else `python3`); without one it fails
//! under `CARTOAUTH_REQUIRE_INTEROP` (CI) and says it skipped otherwise.

mod common;

use std::process::Command;

#[test]
fn carto_python_works_unchanged() {
    let probe = Command::new(common::python())
        .args(["-c", "import carto, pyrestcli; print(carto.__version__ if hasattr(carto, '__version__') else '')"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        _ => {
            common::interop_client_missing(
                "carto_python_works_unchanged",
                "a Python with carto==1.11.3 (CARTO_PYTHON)",
            );
            return;
        }
    }
    let emu = common::start();
    let info_path = std::env::temp_dir().join(format!("emu-py-info-{}.json", std::process::id()));
    std::fs::write(&info_path, serde_json::to_vec(emu.info()).unwrap()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/carto_python_client.py");
    let out = Command::new(common::python())
        .arg(script)
        .env("CARTO_EMULATOR_INFO", &info_path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&info_path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "carto-python checks failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("carto-python: all checks passed"),
        "{stdout}"
    );
    // The requests really came from carto-python, with its client id and user agent.
    let log = emu.requests();
    assert!(log.iter().any(|r| r.query.contains("client=cps-1.11.3")));
    assert!(log.iter().any(|r| r
        .user_agent
        .as_deref()
        .is_some_and(|ua| ua.starts_with("carto-python-sdk/"))));
    assert!(log
        .iter()
        .all(|r| !r.query.contains(&emu.key("demo", "master"))));
}
