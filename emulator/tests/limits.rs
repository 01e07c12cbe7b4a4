//! Rate limits (CARTO's four headers and 429) and the statement timeout (429 datasource).

mod common;

use common::*;
use serde_json::json;

fn int_header(r: &Resp, name: &str) -> i64 {
    r.header(name)
        .unwrap_or_else(|| panic!("missing {name}"))
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not an integer"))
}

#[test]
fn rate_limits_give_cartos_headers_then_429() {
    let emu = start();
    let key = emu.key("demo", "master");
    // A long period: capacity cannot come back between the three requests, however slow.
    emu.set_rate_limit("demo", "Master", Some((2, 3600)));
    let run = || sql(&emu, "select 1", &format!("api_key={key}"));
    let a = run();
    assert_eq!(a.status, 200);
    assert_eq!(
        (
            int_header(&a, "Carto-Rate-Limit-Limit"),
            int_header(&a, "Carto-Rate-Limit-Remaining")
        ),
        (2, 1)
    );
    assert!(a.header("Retry-After").is_none());
    let b = run();
    assert_eq!(
        (b.status, int_header(&b, "Carto-Rate-Limit-Remaining")),
        (200, 0)
    );
    let c = run();
    assert_eq!(c.status, 429);
    assert_eq!(
        c.json(),
        json!({"error": ["You are over platform's limits. Please contact us to know more details"], "context": "limit", "detail": "rate-limit"})
    );
    assert_eq!(int_header(&c, "Carto-Rate-Limit-Limit"), 2);
    assert_eq!(int_header(&c, "Carto-Rate-Limit-Remaining"), 0);
    assert!(int_header(&c, "Carto-Rate-Limit-Reset") > 0);
    assert!(int_header(&c, "Retry-After") >= 0);
    // Other keys are not limited, and removing the limit removes the headers.
    let other = sql(&emu, "select 1", "");
    assert_eq!(other.status, 200);
    assert!(other.header("Carto-Rate-Limit-Limit").is_none());
    emu.set_rate_limit("demo", "Master", None);
    let d = run();
    assert_eq!(d.status, 200);
    assert!(d.header("Carto-Rate-Limit-Limit").is_none());
}

#[test]
fn rate_limits_from_the_accounts_file() {
    let dir = std::env::temp_dir().join(format!("emu-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("accounts.json");
    std::fs::write(
        &path,
        r#"{"users":[{"username":"limited","keys":[
            {"name":"Master","type":"master","token":"limited_master"},
            {"name":"Default public","type":"default","rate_limit":{"limit":1,"period_s":3600}}]}]}"#,
    )
    .unwrap();
    let emu = start_with(|o| o.accounts_file = Some(path.clone()));
    let url = format!("{}/api/v2/sql?q=select+1", emu.base_url("limited"));
    let a = get(&emu, &url, &[]);
    assert_eq!(
        (a.status, int_header(&a, "Carto-Rate-Limit-Limit")),
        (200, 1)
    );
    let b = get(&emu, &url, &[]);
    assert_eq!(b.status, 429);
    assert!(int_header(&b, "Retry-After") > 0);
    // The master key has no limit.
    let c = get(&emu, &format!("{url}&api_key=limited_master"), &[]);
    assert_eq!(c.status, 200);
    drop(emu);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn statement_timeout_is_cartos_datasource_429() {
    let emu = start_with(|o| o.statement_timeout_ms = Some(100));
    let r = sql(&emu, "select pg_sleep(5)", "");
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"error": ["You are over platform's limits: SQL query timeout error. Refactor your query before running again or contact CARTO support for more details."], "context": "limit", "detail": "datasource"})
    );
    assert!(r.header("Retry-After").is_none());
    // Raised at run time, the same query passes; a user's SET does not outlive its request.
    emu.set_statement_timeout(std::time::Duration::from_secs(30));
    let r = sql(&emu, "select pg_sleep(0.2) is null as slept", "");
    assert_eq!(r.status, 200, "{}", r.text());
    emu.set_statement_timeout(std::time::Duration::from_millis(100));
    let key = emu.key("demo", "master");
    let r = sql(
        &emu,
        "SET statement_timeout = 0; SELECT 1",
        &format!("api_key={key}"),
    );
    assert_eq!(r.status, 200);
    let r = sql(&emu, "select pg_sleep(5)", &format!("api_key={key}"));
    assert_eq!(r.status, 429);
}
