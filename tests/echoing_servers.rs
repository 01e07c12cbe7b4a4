//! The client against servers that echo what they were sent or handed out (the API key, a
//! token) and servers that answer with huge messages: no secret may reach a message, and no
//! message may grow with what the server sent.

mod support;

use cartoauth::client::{BatchJobSpec, RetryPolicy, WaitOptions};
use cartoauth::{Client, ClientOptions, Credentials, Error, ErrorKind, KeyTransport, Request};
use std::time::Duration;
use support::{answer, Scripted};

const KEY: &str = "Sekr3tKeyThatMustNeverShow";

fn client(server: &Scripted, transport: KeyTransport) -> Client {
    let base = format!("{}/user/demo", server.origin());
    let creds = Credentials::new(Some("demo"), Some(KEY), Some(&base), true).unwrap();
    let options = ClientOptions {
        key_transport: transport,
        retry: RetryPolicy {
            max_attempts: 1,
            max_wait: Duration::ZERO,
        },
        ..Default::default()
    };
    Client::new(creds, options).unwrap()
}

/// Everything a caller may see of an error.
fn shown(error: &Error) -> String {
    format!("{error} | {error:?}")
}

fn assert_hidden(error: &Error, secrets: &[&str]) {
    let all = shown(error);
    for secret in secrets {
        assert!(!all.contains(secret), "{secret} shown: {all}");
    }
}

/// The request's API key as the server received it: from the query or the Basic header.
fn received_credential(seen: &support::Seen) -> String {
    let line = &seen.request_line;
    if let Some(start) = line.find("api_key=") {
        let rest = &line[start + "api_key=".len()..];
        return rest.split([' ', '&']).next().unwrap_or("").to_owned();
    }
    seen.header("authorization").unwrap_or("").to_owned()
}

#[test]
fn a_key_the_server_echoes_reaches_no_message() {
    // The server repeats what it received, as it received it (percent-encoded in a query,
    // Base64 in a Basic header), and in plain text, in JSON and in a bare body.
    let server = Scripted::start(|seen, stream| {
        let credential = received_credential(seen);
        let path = seen.request_line.split(' ').nth(1).unwrap_or("");
        let body = if path.contains("bare") {
            format!("bad key {KEY} ({credential})")
        } else {
            serde_json::json!({"error": [format!("Invalid API key {KEY}"), credential]}).to_string()
        };
        answer(stream, "401 Unauthorized", "", body.as_bytes())
    });
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("demo:{KEY}"));
    let hidden = [KEY, basic.as_str()];
    for transport in [KeyTransport::Query, KeyTransport::Basic] {
        let client = client(&server, transport);
        let err = client.me().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::HttpUnauthorized);
        assert!(err.message().contains("Invalid API key REDACTED"), "{err}");
        assert_hidden(&err, &hidden);
        let err = client.sql("select 1", None).unwrap_err();
        assert_hidden(&err, &hidden);
        let err = client.api_keys().unwrap_err();
        assert_hidden(&err, &hidden);
        let response = client.send(Request::get("bare")).unwrap();
        assert_hidden(&response.check().unwrap_err(), &hidden);
        let response = client.send(Request::get("json")).unwrap();
        let message = response.carto_error_message().unwrap();
        assert!(!message.contains(KEY), "{message}");
    }
}

#[test]
fn batch_failure_reasons_and_result_notices_leave_the_key_out() {
    let server = Scripted::start(|seen, stream| {
        let path = seen.request_line.split(' ').nth(1).unwrap_or("");
        let body = if path.contains("/job") {
            serde_json::json!({"job_id": "j1", "status": "failed",
                "failed_reason": format!("invalid input syntax: \"{KEY}\""),
                "query": [{"query": "x", "status": "failed",
                    "failed_reason": format!("column {KEY} does not exist")}]})
        } else if seen.request_line.contains("notice") {
            serde_json::json!({"rows": [], "fields": {}, "notices": [format!("key {KEY}")]})
        } else {
            serde_json::json!({"rows": [], "fields": {},
                "error": [format!("division by zero near {KEY}")]})
        };
        answer(stream, "200 OK", "", body.to_string().as_bytes())
    });
    let client = client(&server, KeyTransport::Basic);
    let job = client.batch_status("j1").unwrap();
    assert!(
        !job.failed_reason.as_deref().unwrap().contains(KEY),
        "{job:?}"
    );
    assert!(!format!("{job:?}").contains(KEY), "{job:?}");
    let err = client
        .batch_wait("j1", &WaitOptions::default(), None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BatchJobFailed);
    assert_hidden(&err, &[KEY]);
    let job = client.batch_create(&BatchJobSpec::query("x")).unwrap();
    assert!(!format!("{job:?}").contains(KEY));
    let err = client.sql_result("select 1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QueryFailed);
    assert_hidden(&err, &[KEY]);
    let result = client.sql_result("select 'notice'").unwrap();
    assert_eq!(result.notices()[0].message, "key REDACTED");
}

#[test]
fn tokens_the_client_received_stay_out_of_later_messages() {
    const DO_TOKEN: &str = "ya29.a0AfH6SMBdoTokenSecret";
    const NEW_TOKEN: &str = "n3wKeyTokenFromTheAuthApi";
    let server = Scripted::start(|seen, stream| {
        let line = &seen.request_line;
        if line.starts_with("GET /user/demo/api/v4/do/token") {
            let body = serde_json::json!({"access_token": DO_TOKEN, "bq_project": "p"});
            answer(stream, "200 OK", "", body.to_string().as_bytes());
        } else if line.starts_with("POST /user/demo/api/v3/api_keys") {
            let body = serde_json::json!({"name": "k", "type": "regular", "token": NEW_TOKEN,
                "grants": [{"type": "apis", "apis": ["sql"]}]});
            answer(stream, "201 Created", "", body.to_string().as_bytes());
        } else {
            let body = format!("{{\"error\": \"backend saw {DO_TOKEN} and {NEW_TOKEN}\"}}");
            answer(stream, "500 Internal Server Error", "", body.as_bytes());
        }
    });
    let client = client(&server, KeyTransport::Basic);
    assert_eq!(client.do_credentials().unwrap().access_token(), DO_TOKEN);
    let grants = cartoauth::client::Grants {
        apis: vec!["sql".into()],
        ..Default::default()
    };
    let created = client.create_api_key("k", &grants).unwrap();
    assert_eq!(created.token.expose(), NEW_TOKEN);
    let err = client.me().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HttpServerError);
    assert!(
        err.message().contains("backend saw REDACTED and REDACTED"),
        "{err}"
    );
    assert_hidden(&err, &[DO_TOKEN, NEW_TOKEN]);
    // Another client never received them, and has no reason to hide them.
    let other = client_with_key(&server, "anotherKey123");
    assert!(other.me().unwrap_err().message().contains(DO_TOKEN));
}

fn client_with_key(server: &Scripted, key: &str) -> Client {
    let base = format!("{}/user/demo", server.origin());
    let creds = Credentials::new(Some("demo"), Some(key), Some(&base), true).unwrap();
    Client::new(creds, ClientOptions::default()).unwrap()
}

#[test]
fn a_redirect_that_repeats_the_query_key_to_another_origin_is_refused() {
    let elsewhere = Scripted::start(|_, stream| answer(stream, "200 OK", "", b"{}"));
    let target = elsewhere.origin();
    let home = Scripted::start(move |seen, stream| {
        let path = seen.request_line.split(' ').nth(1).unwrap_or("");
        let query = path.split_once('?').map_or("", |(_, q)| q);
        let location = if path.contains("/same") {
            format!("/user/demo/landed?{query}")
        } else if path.contains("/landed") {
            return answer(stream, "200 OK", "", b"{}");
        } else {
            format!("{target}/landing?{query}")
        };
        answer(
            stream,
            "302 Found",
            &format!("Location: {location}\r\n"),
            b"",
        )
    });
    let client = client(&home, KeyTransport::Query);
    let err = client.send(Request::get("api/v2/sql")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(err.message().contains("another origin"), "{err}");
    assert_hidden(&err, &[KEY]);
    assert!(elsewhere.seen().is_empty(), "{:?}", elsewhere.seen());
    // On the account's own origin the redirect is followed.
    assert_eq!(client.send(Request::get("same")).unwrap().status(), 200);
    // Without the key in the location, a cross-origin redirect is followed (without the key).
    let plain = Scripted::start(move |_, stream| {
        let location = format!("{}/landing", elsewhere.origin());
        answer(
            stream,
            "302 Found",
            &format!("Location: {location}\r\n"),
            b"",
        )
    });
    assert_eq!(
        client_with_key(&plain, KEY)
            .send(Request::get("x"))
            .unwrap()
            .status(),
        200
    );
}

#[test]
fn huge_server_messages_and_paths_come_back_bounded() {
    let big_message = "e".repeat(3_900_000);
    let big_reason = "r ".repeat(2_500_000);
    let server = Scripted::start(move |seen, stream| {
        let path = seen.request_line.split(' ').nth(1).unwrap_or("");
        if path.contains("/job") {
            let body = serde_json::json!({"job_id": "j1", "status": "failed",
                "failed_reason": big_reason});
            answer(stream, "200 OK", "", body.to_string().as_bytes());
        } else {
            let body = serde_json::json!({"error": [big_message]});
            answer(stream, "400 Bad Request", "", body.to_string().as_bytes());
        }
    });
    let client = client(&server, KeyTransport::Basic);
    let err = client.sql("select 1", None).unwrap_err();
    assert!(
        err.message().len() < 20_000,
        "{} bytes",
        err.message().len()
    );
    let job = client.batch_status("j1").unwrap();
    let reason = job.failed_reason.unwrap();
    assert!(reason.len() < 20_000, "{} bytes", reason.len());
    assert!(
        reason.ends_with("(5000000 bytes in all)"),
        "{}",
        &reason[reason.len() - 40..]
    );
    let err = client
        .batch_wait("j1", &WaitOptions::default(), None)
        .unwrap_err();
    assert!(
        err.message().len() < 20_000,
        "{} bytes",
        err.message().len()
    );

    let huge_path = std::path::PathBuf::from("/nonexistent/".repeat(800_000));
    let options = ClientOptions {
        trust: cartoauth::client::Trust::CaBundle(huge_path),
        ..Default::default()
    };
    let creds = Credentials::new(Some("demo"), Some(KEY), None, false).unwrap();
    let err = Client::new(creds, options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls);
    assert!(err.message().len() < 1_000, "{} bytes", err.message().len());
}

#[test]
fn the_cost_of_an_error_answer_does_not_grow_with_its_message() {
    // A lying server's 'a%3Da%3D...' error body took 50 to 112 s to redact per call.
    let body_of =
        |n: usize| serde_json::json!({"error": ["a%3D".repeat(n), "a:".repeat(n)]}).to_string();
    let served = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let body = std::sync::Arc::clone(&served);
    let server = Scripted::start(move |_, stream| {
        let text = body.lock().unwrap().clone();
        answer(stream, "400 Bad Request", "", text.as_bytes())
    });
    let client = client(&server, KeyTransport::Basic);
    let ratio = support::cpu_growth(
        |n| {
            *served.lock().unwrap() = body_of(n);
            client.sql("select 1", None).unwrap_err().message().len()
        },
        2_500,
    );
    assert!(
        ratio < support::MAX_GROWTH,
        "10x the message took {ratio:.1}x the CPU time"
    );
}
