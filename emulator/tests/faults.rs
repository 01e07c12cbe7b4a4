//! Fault injection: every mode, per request (header + admin token) and per route.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

fn with_fault(emu: &Emulator, fault: &Fault, q: &str) -> Resp {
    let h = emu.fault_headers(fault);
    let headers: Vec<(&str, &str)> = h.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    get(
        emu,
        &format!("{}/api/v2/sql?q={}", emu.base_url("demo"), enc(q)),
        &headers,
    )
}

#[test]
fn delay_and_drip_deliver_the_same_body_later() {
    let emu = shared();
    let plain = sql(emu, "select name from points_public", "");
    let t = Instant::now();
    let delayed = with_fault(
        emu,
        &Fault::once().delay(Duration::from_millis(300)),
        "select name from points_public",
    );
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(delayed.json()["rows"], plain.json()["rows"]);
    let t = Instant::now();
    let dripped = with_fault(
        emu,
        &Fault::once().drip(16, Duration::from_millis(10)),
        "select name from points_public",
    );
    let chunks = plain.body.len().div_ceil(16) as u32;
    assert!(t.elapsed() >= Duration::from_millis(10) * (chunks - 1));
    assert_eq!(dripped.json()["rows"], plain.json()["rows"]);
    assert_eq!(
        dripped
            .header("content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        dripped.body.len()
    );
}

#[test]
fn abort_breaks_the_connection_mid_body() {
    let emu = shared();
    let h = emu.fault_headers(&Fault::once().abort_after(20));
    // A real client sees an error, not a short but clean body.
    let mut req = emu.agent().get(format!(
        "{}/api/v2/sql?q=select+*+from+points_public",
        emu.base_url("demo")
    ));
    for (k, v) in &h {
        req = req.header(k.as_str(), v.as_str());
    }
    let mut resp = req.call().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.body_mut().read_to_vec().is_err());
    // On the wire: the full Content-Length is announced, 20 bytes come, then EOF.
    let addr = emu.root_url().trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /user/demo/api/v2/sql?q=select+*+from+points_public HTTP/1.1\r\nHost: x\r\n{}: {}\r\n{}: {}\r\n\r\n",
        h[0].0, h[0].1, h[1].0, h[1].1
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(|v| v.trim().parse().unwrap())
        })
        .expect("content-length");
    assert_eq!(body.len(), 20);
    assert!(len > 20);
}

#[test]
fn forced_statuses_carry_cartos_bodies_and_headers() {
    let emu = shared();
    let r = with_fault(emu, &Fault::once().status(429).retry_after(7), "select 1");
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["detail"], "rate-limit");
    for h in [
        "Carto-Rate-Limit-Limit",
        "Carto-Rate-Limit-Remaining",
        "Carto-Rate-Limit-Reset",
    ] {
        r.header(h).unwrap().parse::<i64>().unwrap();
    }
    assert_eq!(r.header("Retry-After").unwrap(), "7");
    for code in [500u16, 503] {
        let r = with_fault(emu, &Fault::once().status(code), "select 1");
        assert_eq!(r.status, code);
        assert!(r.json()["error"][0].is_string());
    }
    let r = with_fault(emu, &Fault::once().malformed_json(), "select 1");
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    let r = with_fault(
        emu,
        &Fault::once().redirect(307, "http://elsewhere.localhost:9/api/v2/sql"),
        "select 1",
    );
    assert_eq!(r.status, 307);
    assert_eq!(
        r.header("location").unwrap(),
        "http://elsewhere.localhost:9/api/v2/sql"
    );
}

#[test]
fn a_fault_header_without_the_admin_token_is_refused() {
    let emu = shared();
    let r = get(
        emu,
        &format!("{}/api/v2/sql?q=select+1", emu.base_url("demo")),
        &[
            ("X-Emulator-Fault", r#"{"status":500}"#),
            ("X-Emulator-Token", "wrong"),
        ],
    );
    assert_eq!(r.status, 400);
    assert!(r
        .text()
        .contains("X-Emulator-Fault requires a valid admin token"));
    let r = with_fault(emu, &Fault::once(), "select 1");
    assert_eq!(r.status, 200);
}

#[test]
fn route_faults_match_disarm_and_skip_the_handler() {
    let emu = start();
    let key = emu.key("demo", "master");
    master_sql(&emu, "create table fault_t (a int)");
    let id = emu.arm_fault(
        &Fault::on("/user/demo/api/v2/sql")
            .method("POST")
            .status(503)
            .times(2),
    );
    assert!(id > 0);
    let url = format!("{}/api/v2/sql", emu.base_url("demo"));
    let insert = || {
        send(
            &emu,
            "POST",
            &url,
            &[],
            Some((
                "application/x-www-form-urlencoded",
                format!("q=insert+into+fault_t+values+(1)&api_key={key}").into_bytes(),
            )),
        )
    };
    // GETs are not matched.
    assert_eq!(sql(&emu, "select 1", "").status, 200);
    assert_eq!(insert().status, 503);
    assert_eq!(insert().status, 503);
    assert_eq!(insert().status, 200);
    // The two failed requests did not run: only one row.
    assert_eq!(
        master_sql(&emu, "select count(*) from fault_t")["rows"],
        json!([{"count": 1}])
    );
    let log = emu.requests();
    let faulted: Vec<_> = log.iter().filter(|r| r.fault.is_some()).collect();
    assert_eq!(faulted.len(), 2);
    assert!(faulted.iter().all(|r| r.status == 503));

    emu.arm_fault(&Fault::on("/user/demo/api/v2/sql").status(500));
    assert_eq!(sql(&emu, "select 1", "").status, 500);
    assert_eq!(sql(&emu, "select 1", "").status, 500);
    emu.clear_faults();
    assert_eq!(sql(&emu, "select 1", "").status, 200);
}
