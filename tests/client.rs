//! The HTTP client against the local CARTO-compatible server: key transports as the server saw
//! them, SQL formats, GET/POST choice, every error class, retries, timeouts, broken bodies,
//! redirects, TLS and threads. Each test starts its own emulator, so faults and rate limits
//! armed by one test never reach another.

use carto_emulator::harness::{Emulator, Fault, Options};
use cartoauth::client::{Body, KeyValidity, RetryPolicy, Trust};
use cartoauth::{Client, ClientOptions, Credentials, ErrorKind, KeyTransport, Request};
use std::time::Duration;

fn credentials(emu: &Emulator, key_type: &str) -> Credentials {
    let key = emu.key("demo", key_type);
    Credentials::new(None, Some(&key), Some(&emu.base_url("demo")), true).unwrap()
}

fn client(emu: &Emulator, key_type: &str, options: ClientOptions) -> Client {
    Client::new(credentials(emu, key_type), options).unwrap()
}

fn no_retry() -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy {
            max_attempts: 1,
            max_wait: Duration::ZERO,
        },
        ..Default::default()
    }
}

#[test]
fn basic_transport_keeps_the_key_out_of_every_url() {
    let emu = Emulator::start();
    let key = emu.key("demo", "master");
    let c = client(&emu, "master", ClientOptions::default());
    let r = c
        .sql(
            "select cartodb_id, name from points_private order by 1",
            None,
        )
        .unwrap();
    let doc = r.json().unwrap();
    assert_eq!(doc["rows"][0]["cartodb_id"], 1);
    assert_eq!(doc["total_rows"], doc["rows"].as_array().unwrap().len());
    c.me().unwrap();
    let log = emu.requests();
    assert!(log.len() >= 2);
    for entry in &log {
        assert_eq!(entry.key_transport, "basic", "{entry:?}");
        assert_eq!(entry.key_type.as_deref(), Some("master"));
        assert!(!entry.query.contains("api_key"), "{entry:?}");
        assert!(!entry.query.contains(&key) && !entry.path.contains(&key));
        assert!(entry
            .user_agent
            .as_deref()
            .unwrap()
            .starts_with("cartoauth/"));
    }
}

#[test]
fn query_transport_sends_api_key_like_carto_python() {
    let emu = Emulator::start();
    let options = ClientOptions {
        key_transport: KeyTransport::Query,
        user_agent_suffix: Some("qgis-plugin/2.1".into()),
        ..Default::default()
    };
    let c = client(&emu, "master", options);
    c.sql("select 1", None).unwrap();
    let log = emu.requests();
    let entry = log.last().unwrap();
    assert_eq!(entry.key_transport, "query");
    assert!(entry.query.contains("api_key=REDACTED"), "{entry:?}");
    assert!(entry
        .user_agent
        .as_deref()
        .unwrap()
        .ends_with(" qgis-plugin/2.1"));
}

#[test]
fn basic_transport_needs_a_username() {
    let creds = Credentials::new(None, Some("k"), Some("http://127.0.0.1:9"), true).unwrap();
    let err = Client::new(creds.clone(), ClientOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("query key transport"), "{err}");
    let query = ClientOptions {
        key_transport: KeyTransport::Query,
        ..Default::default()
    };
    Client::new(creds, query).unwrap();
}

#[test]
fn sql_in_every_format_and_long_queries_by_post() {
    let emu = Emulator::start();
    let c = client(&emu, "master", ClientOptions::default());
    let geojson = c
        .sql(
            "select cartodb_id, the_geom from points_public",
            Some("geojson"),
        )
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(geojson["type"], "FeatureCollection");
    assert_eq!(geojson["features"][0]["geometry"]["type"], "Point");
    let csv = c
        .sql(
            "select cartodb_id, name from points_public order by 1",
            Some("csv"),
        )
        .unwrap();
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = String::from_utf8(csv.body().to_vec()).unwrap();
    assert!(text.starts_with("cartodb_id,name"), "{text}");
    let err = c.sql("select 1", Some("svg")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpClientError);
    assert!(err.message().contains("Invalid format: svg"), "{err}");

    let long = format!("select '{}' as padding, 42 as answer", "x".repeat(1100));
    let r = c.sql(&long, None).unwrap();
    assert_eq!(r.json().unwrap()["rows"][0]["answer"], 42);
    let paged = c
        .send(
            Request::sql("select generate_series(1, 10) as n", None)
                .param("rows_per_page", "3")
                .param("page", "1"),
        )
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(paged["rows"][0]["n"], 4);
    let log = emu.requests();
    let sql: Vec<&str> = log
        .iter()
        .filter(|e| e.path.ends_with("/api/v2/sql"))
        .map(|e| e.method.as_str())
        .collect();
    assert_eq!(sql, ["GET", "GET", "GET", "POST", "GET"]);
}

#[test]
fn every_http_error_class_is_distinct_and_carries_cartos_message() {
    let emu = Emulator::start();
    let wrong = Credentials::new(
        None,
        Some("not-a-key-1234567890"),
        Some(&emu.base_url("demo")),
        true,
    )
    .unwrap();
    let err = Client::new(wrong, no_retry())
        .unwrap()
        .sql("select 1", None)
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.http_status()),
        (ErrorKind::HttpUnauthorized, Some(401))
    );
    assert!(!err.message().contains("not-a-key"), "{err}");

    let public = client(&emu, "default", no_retry());
    let err = public
        .sql("select * from points_private", None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpForbidden);
    assert!(
        err.message()
            .contains("permission denied for table points_private"),
        "{err}"
    );

    let err = public.sql("selct 1", None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpClientError);
    assert!(err.message().contains("syntax error"), "{err}");

    let nobody_url = format!("{}/user/nobody", emu.root_url());
    let nobody = Credentials::new(None, None, Some(&nobody_url), true).unwrap();
    let err = Client::new(nobody, no_retry())
        .unwrap()
        .sql("select 1", None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpNotFound);
    assert!(
        err.message().contains("can't find CARTO user 'nobody'"),
        "{err}"
    );

    emu.arm_fault(&Fault::on("/user/demo/api/v2/sql").status(500).times(1));
    let err = public.sql("select 1", None).unwrap_err();
    assert_eq!(
        (err.kind(), err.http_status()),
        (ErrorKind::HttpServerError, Some(500))
    );
    emu.arm_fault(&Fault::on("/user/demo/api/v2/sql").status(503).times(1));
    let err = public.sql("select 1", None).unwrap_err();
    assert_eq!(err.http_status(), Some(503));
}

#[test]
fn rate_limits_are_exposed_and_retried_when_allowed() {
    let emu = Emulator::start();
    emu.set_rate_limit("demo", "Master", Some((1, 1)));
    let strict = client(&emu, "master", no_retry());
    let first = strict.send(Request::sql("select 1", None)).unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.rate_limit().limit, Some(1));
    let second = strict.send(Request::sql("select 1", None)).unwrap();
    assert_eq!(second.status(), 429);
    let limits = second.rate_limit();
    assert_eq!(
        (limits.remaining, limits.retry_after.is_some()),
        (Some(0), true)
    );
    let err = second.check().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpRateLimited);
    assert!(err.message().contains("over platform's limits"), "{err}");

    let patient = client(
        &emu,
        "master",
        ClientOptions {
            retry: RetryPolicy {
                max_attempts: 4,
                max_wait: Duration::from_secs(10),
            },
            ..Default::default()
        },
    );
    let r = patient.send(Request::sql("select 1", None)).unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.attempts() >= 2, "waited for Retry-After and retried");
}

#[test]
fn a_statement_timeout_429_is_not_retried() {
    let emu = Emulator::start();
    emu.set_statement_timeout(Duration::from_millis(200));
    let c = client(&emu, "master", ClientOptions::default());
    let r = c.send(Request::sql("select pg_sleep(2)", None)).unwrap();
    assert_eq!((r.status(), r.attempts()), (429, 1));
    assert!(r
        .carto_error_message()
        .unwrap()
        .contains("SQL query timeout"));
}

#[test]
fn slow_servers_time_out_and_storms_of_429_give_up() {
    let emu = Emulator::start();
    emu.arm_fault(&Fault::on("/user/demo/api/v2/sql").delay(Duration::from_secs(3)));
    let impatient = client(
        &emu,
        "master",
        ClientOptions {
            timeout: Some(Duration::from_millis(500)),
            ..no_retry()
        },
    );
    let err = impatient.sql("select 1", None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    emu.clear_faults();

    emu.arm_fault(
        &Fault::on("/user/demo/api/v2/sql")
            .status(429)
            .retry_after(1),
    );
    let c = client(
        &emu,
        "master",
        ClientOptions {
            retry: RetryPolicy {
                max_attempts: 3,
                max_wait: Duration::from_secs(5),
            },
            ..Default::default()
        },
    );
    let r = c.send(Request::sql("select 1", None)).unwrap();
    assert_eq!((r.status(), r.attempts()), (429, 3), "bounded by attempts");
}

#[test]
fn a_503_with_retry_after_is_retried_and_without_it_is_final() {
    let emu = Emulator::start();
    let c = client(&emu, "master", ClientOptions::default());
    emu.arm_fault(
        &Fault::on("/user/demo/api/v2/sql")
            .status(503)
            .retry_after(1)
            .times(1),
    );
    let r = c.send(Request::sql("select 1", None)).unwrap();
    assert_eq!((r.status(), r.attempts()), (200, 2));
    emu.arm_fault(&Fault::on("/user/demo/api/v2/sql").status(503).times(1));
    let r = c.send(Request::sql("select 1", None)).unwrap();
    assert_eq!((r.status(), r.attempts()), (503, 1));
}

#[test]
fn a_body_cut_mid_way_is_a_connection_error() {
    let emu = Emulator::start();
    emu.arm_fault(&Fault::on("/user/demo/api/v2/sql").abort_after(100_000));
    let c = client(&emu, "master", no_retry());
    let err = c
        .sql(
            "select repeat('x', 1000) as padding from generate_series(1, 500)",
            None,
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(err.message().contains("broke off"), "{err}");
}

#[test]
fn malformed_json_is_reported_as_a_protocol_error() {
    let emu = Emulator::start();
    emu.arm_fault(&Fault::on("/user/demo/api/v3/me").malformed_json());
    let err = client(&emu, "master", no_retry()).me().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
}

#[test]
fn connection_failures_are_distinct_from_http_errors() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let creds = Credentials::new(
        None,
        None,
        Some(&format!("http://127.0.0.1:{port}/user/demo")),
        true,
    )
    .unwrap();
    let options = ClientOptions {
        retry: RetryPolicy {
            max_attempts: 2,
            max_wait: Duration::from_secs(1),
        },
        ..Default::default()
    };
    let err = Client::new(creds, options)
        .unwrap()
        .sql("select 1", None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
}

#[test]
fn redirects_to_another_host_never_carry_the_key() {
    let emu = Emulator::start();
    let other = Emulator::start();
    let elsewhere = format!(
        "{}/api/v3/me",
        other.base_url("demo").replace("127.0.0.1", "localhost")
    );
    emu.arm_fault(
        &Fault::on("/user/demo/api/v3/me")
            .redirect(307, &elsewhere)
            .times(1),
    );
    for transport in [KeyTransport::Basic, KeyTransport::Query] {
        let options = ClientOptions {
            key_transport: transport,
            ..no_retry()
        };
        let c = client(&emu, "master", options);
        let me = c.me().unwrap();
        assert_eq!(me.username.as_deref(), Some("demo"));
        assert_eq!(
            me.user_id, None,
            "the other host got no key, so no user_data"
        );
        let seen = other.requests();
        let last = seen.last().unwrap();
        assert_eq!(last.key_transport, "none", "{transport:?}: {last:?}");
        emu.arm_fault(
            &Fault::on("/user/demo/api/v3/me")
                .redirect(307, &elsewhere)
                .times(1),
        );
    }
    // A redirect on the same origin keeps the key.
    emu.clear_faults();
    let same = format!("{}/api/v3/me", emu.base_url("demo"));
    emu.arm_fault(
        &Fault::on("/user/demo/api/v2/sql")
            .redirect(302, &same)
            .times(1),
    );
    let c = client(&emu, "master", no_retry());
    let r = c.send(Request::sql("select 1", None)).unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.json().unwrap()["user_data"]["id"].is_string());
}

#[test]
fn tls_with_a_ca_bundle_and_no_downgrade_to_http() {
    let emu = Emulator::start_with(Options {
        tls: true,
        ..Default::default()
    });
    assert!(emu.base_url("demo").starts_with("https://"));
    let ca = emu.ca_cert().expect("the TLS emulator writes its CA");
    let untrusted = client(&emu, "master", no_retry())
        .sql("select 1", None)
        .unwrap_err();
    assert_eq!(untrusted.kind(), ErrorKind::Tls, "{untrusted}");
    let trusting = ClientOptions {
        trust: Trust::CaBundle(ca.clone()),
        ..no_retry()
    };
    let c = client(&emu, "master", trusting.clone());
    assert_eq!(c.sql("select 1", None).unwrap().status(), 200);

    let plain = Emulator::start();
    emu.arm_fault(
        &Fault::on("/user/demo/api/v3/me")
            .redirect(302, &format!("{}/api/v3/me", plain.base_url("demo"))),
    );
    let err = c.me().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("from https to http"), "{err}");
    assert!(plain.requests().is_empty());

    let missing = ClientOptions {
        trust: Trust::CaBundle("/no/such/ca.pem".into()),
        ..Default::default()
    };
    let err = Client::new(credentials(&emu, "master"), missing).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls);
    assert!(err.message().contains("/no/such/ca.pem"), "{err}");
}

#[test]
fn eight_threads_share_one_client() {
    let emu = Emulator::start();
    let c = client(&emu, "master", ClientOptions::default());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let c = c.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let r = c
                        .sql(&format!("select {t} * 100 + {i} as n"), None)
                        .unwrap();
                    assert_eq!(r.json().unwrap()["rows"][0]["n"], t * 100 + i);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(emu.requests().len(), 200);
}

#[test]
fn me_and_key_validation() {
    let emu = Emulator::start();
    let master = client(&emu, "master", ClientOptions::default());
    let me = master.me().unwrap();
    assert_eq!(me.username.as_deref(), Some("demo"));
    assert!(me.user_id.is_some());
    let public = client(&emu, "default", ClientOptions::default());
    assert_eq!(public.me().unwrap().user_id, None);
    assert_eq!(master.validate_key(), KeyValidity::Valid);
    assert_eq!(public.validate_key(), KeyValidity::Valid);
    let wrong = Credentials::new(None, Some("wadus"), Some(&emu.base_url("demo")), true).unwrap();
    let wrong = Client::new(wrong, ClientOptions::default()).unwrap();
    assert_eq!(wrong.validate_key(), KeyValidity::Invalid);
    let down =
        Credentials::new(None, Some("k"), Some("http://127.0.0.1:1/user/demo"), true).unwrap();
    let down = Client::new(down, no_retry()).unwrap();
    assert_eq!(down.validate_key(), KeyValidity::Unknown);
}

#[test]
fn generic_requests_reach_the_auth_and_batch_apis() {
    let emu = Emulator::start();
    let c = client(&emu, "master", ClientOptions::default());
    let created = c
        .send(Request::post("api/v3/api_keys").body(Body::Json(
            r#"{"name":"cartoauth-test","grants":[{"type":"apis","apis":["sql"]}]}"#.into(),
        )))
        .unwrap();
    assert_eq!(
        created.status(),
        201,
        "{:?}",
        String::from_utf8_lossy(created.body())
    );
    let dup = c
        .send(Request::post("/api/v3/api_keys").body(Body::Json(
            r#"{"name":"cartoauth-test","grants":[{"type":"apis","apis":["sql"]}]}"#.into(),
        )))
        .unwrap();
    assert_eq!(dup.status(), 422);
    assert_eq!(
        dup.carto_error_message().as_deref(),
        Some("Validation failed: Name has already been taken")
    );
    let deleted = c
        .send(Request::new("DELETE", "api/v3/api_keys/cartoauth-test"))
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let job = c
        .send(Request::post("api/v2/sql/job").body(Body::Json(r#"{"query":"select 1"}"#.into())))
        .unwrap();
    assert_eq!(job.status(), 201);
    assert!(job.json().unwrap()["job_id"].is_string());

    let err = c
        .send(Request::get("https://example.org/api/v3/me"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn passwords_in_request_urls_are_never_echoed() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = format!("http://127.0.0.1:{port}/user/demo");
    let creds = Credentials::new(None, None, Some(&base), true).unwrap();
    let c = Client::new(creds, no_retry()).unwrap();
    for url in [
        format!("http://alice:PASSW0RD@127.0.0.1:{port}/user/demo/api/v3/me"),
        "https://alice:PASSW0RD@example.org/api/v3/me".to_owned(),
        "https://alice:pa/PASSW0RD@example.org/api".to_owned(),
        format!(
            "api/v2/sql?api%5Fkey=PASSW0RD&apikey=PASSW0RD{}",
            "x".repeat(100_000)
        ),
    ] {
        let err = c.send(Request::get(&url)).unwrap_err();
        assert!(!err.message().contains("PASSW0RD"), "{url}: {err}");
        assert!(err.message().len() < 1000, "{}", err.message().len());
    }
}
