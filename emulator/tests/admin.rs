//! The admin API itself: token checks, listing and removing faults, validation, shutdown.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

fn admin_url(emu: &Emulator, path: &str) -> String {
    format!("{}/_emulator{path}", emu.root_url())
}

#[test]
fn the_admin_api_needs_its_token() {
    let emu = shared();
    let r = get(emu, &admin_url(emu, "/health"), &[]);
    assert_eq!((r.status, r.json()), (200, json!({"ok": true})));
    for headers in [
        vec![],
        vec![("Authorization", "Bearer wrong")],
        vec![("X-Emulator-Token", "wrong")],
    ] {
        let r = get(emu, &admin_url(emu, "/requests"), &headers);
        assert_eq!(r.status, 401);
    }
    let bearer = format!("Bearer {}", emu.admin_token());
    let r = get(emu, &admin_url(emu, "/info"), &[("Authorization", &bearer)]);
    assert_eq!(r.status, 200);
    assert_eq!(&r.json(), emu.info());
    let r = get(
        emu,
        &admin_url(emu, "/statement_timeout"),
        &[("X-Emulator-Token", emu.admin_token())],
    );
    assert_eq!(r.json(), json!({"ms": 300000}));
    let r = get(
        emu,
        &admin_url(emu, "/nothing"),
        &[("Authorization", &bearer)],
    );
    assert_eq!(r.status, 404);
    // Admin calls are not part of the request log.
    assert!(emu
        .requests()
        .iter()
        .all(|r| !r.path.starts_with("/_emulator")));
}

#[test]
fn faults_are_listed_removed_and_validated() {
    let emu = start();
    let token = emu.admin_token().to_string();
    let h = [("X-Emulator-Token", token.as_str())];
    let a = emu.arm_fault(&Fault::on("/a").status(500));
    let b = emu.arm_fault(&Fault::on("/b").delay(Duration::from_millis(1)));
    let listed = get(&emu, &admin_url(&emu, "/faults"), &h).json();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["id"], a);
    assert_eq!(listed[1]["spec"]["path_prefix"], "/b");
    let r = send(
        &emu,
        "DELETE",
        &admin_url(&emu, &format!("/faults/{a}")),
        &h,
        None,
    );
    assert_eq!(r.status, 200);
    let r = send(
        &emu,
        "DELETE",
        &admin_url(&emu, &format!("/faults/{a}")),
        &h,
        None,
    );
    assert_eq!(r.status, 404);
    let listed = get(&emu, &admin_url(&emu, "/faults"), &h).json();
    assert_eq!(listed[0]["id"], b);
    for bad in [
        r#"{"status": 503}"#,
        r#"{"path_prefix": "/x", "nonsense": 1}"#,
        "not json",
    ] {
        let r = send(
            &emu,
            "POST",
            &admin_url(&emu, "/faults"),
            &h,
            Some(("application/json", bad.as_bytes().to_vec())),
        );
        assert_eq!(r.status, 400, "{bad}");
    }
    let r = send(
        &emu,
        "POST",
        &admin_url(&emu, "/rate_limits"),
        &h,
        Some((
            "application/json",
            br#"{"user":"demo","key":"no such key","limit":1}"#.to_vec(),
        )),
    );
    assert_eq!(r.status, 404);
    let r = send(
        &emu,
        "POST",
        &admin_url(&emu, "/rate_limits"),
        &h,
        Some((
            "application/json",
            br#"{"user":"demo","key":"Master","limit":0}"#.to_vec(),
        )),
    );
    assert_eq!(r.status, 400);
}

#[test]
fn shutdown_through_the_admin_api() {
    let emu = start();
    let pid = emu.pid() as i32;
    let r = send(
        &emu,
        "POST",
        &admin_url(&emu, "/shutdown"),
        &[("X-Emulator-Token", emu.admin_token())],
        None,
    );
    assert_eq!(r.status, 200);
    let deadline = Instant::now() + Duration::from_secs(30);
    // The harness still owns the child: wait for it to become a zombie or vanish.
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if stat.is_empty() || stat.contains(") Z ") {
            break;
        }
        assert!(Instant::now() < deadline, "the emulator did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(emu.stop().success());
}
