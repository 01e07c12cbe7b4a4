//! The request log records how keys travelled but never a key, and many clients at once work.

mod common;

use std::sync::Arc;

use common::*;
use serde_json::json;

#[test]
fn the_log_records_transports_but_never_a_key() {
    let log_file = std::env::temp_dir().join(format!("emu-reqlog-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&log_file);
    let emu = start_with(|o| {
        o.request_log = Some(log_file.clone());
        o.extra_args = vec!["--verbose".into()];
    });
    let master = emu.key("demo", "master");
    let regular = emu.key("demo", "regular");
    let base = emu.base_url("demo");
    get(
        &emu,
        &format!("{base}/api/v2/sql?q=select+1"),
        &[
            ("Authorization", &basic("demo", &master)),
            ("User-Agent", "carto-python-sdk/1.11.3"),
        ],
    );
    sql(
        &emu,
        "select 1",
        &format!("api_key={regular}&client=cps-1.11.3"),
    );
    sql(&emu, "select 1", &format!("map_key={master}"));
    sql(&emu, "select 1", "api_key=default_public");
    send(
        &emu,
        "POST",
        &format!("{base}/api/v2/sql"),
        &[],
        Some((
            "application/x-www-form-urlencoded",
            format!("q=select+1&api_key={master}").into_bytes(),
        )),
    );
    send(
        &emu,
        "POST",
        &format!("{base}/api/v2/sql"),
        &[],
        Some((
            "application/json",
            serde_json::to_vec(&json!({"q": "select 1", "api_key": regular})).unwrap(),
        )),
    );
    sql(&emu, "select 1", "");
    sql(&emu, "select 1", "api_key=not_a_real_key_123");
    get(
        &emu,
        &format!("{base}/api/v3/api_keys/{master}"),
        &[("Authorization", &basic("demo", &master))],
    );

    let log = emu.requests();
    assert_eq!(log.len(), 9);
    let summary: Vec<(String, Option<String>, u16)> = log
        .iter()
        .map(|r| (r.key_transport.clone(), r.key_type.clone(), r.status))
        .collect();
    let s = |t: &str, k: Option<&str>, st: u16| (t.to_string(), k.map(String::from), st);
    assert_eq!(
        summary,
        vec![
            s("basic", Some("master"), 200),
            s("query", Some("regular"), 200),
            s("query", Some("master"), 200),
            s("query", Some("default"), 200),
            s("body", Some("master"), 200),
            s("body", Some("regular"), 200),
            s("none", Some("default"), 200),
            s("query", None, 401),
            s("basic", Some("master"), 404),
        ]
    );
    assert_eq!(
        log[1].query,
        "q=select%201&api_key=REDACTED&client=cps-1.11.3"
    );
    assert_eq!(
        log[0].user_agent.as_deref(),
        Some("carto-python-sdk/1.11.3")
    );
    assert_eq!(log[0].user.as_deref(), Some("demo"));
    assert_eq!(log[1].key_name.as_deref(), Some("demo_regular"));
    assert!(log[4].request_bytes > 0);
    assert!(log
        .iter()
        .all(|r| r.complete && r.response_bytes > 0 || r.status == 404));
    assert_eq!(log[8].path, "/user/demo/api/v3/api_keys/REDACTED");

    let secrets = [
        master.as_str(),
        regular.as_str(),
        "default_public",
        "not_a_real_key_123",
        emu.admin_token(),
    ];
    let dump = serde_json::to_string(&emu.info()["root_url"]).unwrap() + &format!("{:?}", log);
    let file = std::fs::read_to_string(&log_file).unwrap();
    assert_eq!(file.lines().count(), 9);
    let out = emu.stdout() + &emu.stderr();
    assert!(out.starts_with(emu.root_url()));
    // --verbose echoes the same redacted entries to stderr.
    assert_eq!(
        emu.stderr().matches("\"key_transport\":\"basic\"").count(),
        2
    );
    for secret in secrets {
        if secret == "not_a_real_key_123" {
            // Unknown keys are redacted from the query string by name.
            assert!(!dump.contains(secret));
            continue;
        }
        assert!(!dump.contains(secret), "log contains {secret}");
        assert!(!file.contains(secret), "log file contains {secret}");
        assert!(!out.contains(secret), "output contains {secret}");
    }
    emu.clear_requests();
    assert!(emu.requests().is_empty());
    drop(emu);
    let _ = std::fs::remove_file(log_file);
}

#[test]
fn sixteen_concurrent_clients() {
    let emu = Arc::new(start());
    let keys = Arc::new([
        emu.key("demo", "master"),
        emu.key("demo", "regular"),
        "default_public".to_string(),
    ]);
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let emu = emu.clone();
            let keys = keys.clone();
            std::thread::spawn(move || {
                for i in 0..20 {
                    let key = &keys[(t + i) % 3];
                    let r = sql(
                        &emu,
                        &format!("select {t} as t, {i} as i, count(*) as n from points_public"),
                        &format!("api_key={key}"),
                    );
                    assert_eq!(r.status, 200, "{}", r.text());
                    assert_eq!(r.json()["rows"], json!([{"t": t, "i": i, "n": 3}]));
                    let r = sql(
                        &emu,
                        "select * from points_private",
                        &format!("api_key={key}"),
                    );
                    assert_eq!(
                        r.status,
                        if key.starts_with("demo_master") {
                            200
                        } else {
                            403
                        }
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(emu.requests().len(), 16 * 20 * 2);
}
