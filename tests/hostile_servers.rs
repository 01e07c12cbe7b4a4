//! The client against servers that misbehave on purpose (scripted in `support`): redirects to
//! another origin. Each test asserts on what
//! the server received or on where the call stopped, never on how long it took.

mod support;

use cartoauth::client::RetryPolicy;
use cartoauth::{Client, ClientOptions, Credentials, Request};
use std::time::Duration;
use support::{answer, Scripted};

fn client_for(server: &Scripted, options: ClientOptions) -> Client {
    let base = format!("{}/user/demo", server.origin());
    let creds = Credentials::new(None, Some("k3y-never-leaves"), Some(&base), true).unwrap();
    Client::new(creds, options).unwrap()
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
fn caller_headers_stay_on_the_origin_they_were_set_for() {
    let elsewhere = Scripted::start(|_, stream| answer(stream, "200 OK", "", b"{}"));
    let target = format!("{}/landing", elsewhere.origin());
    let home = Scripted::start(move |seen, stream| {
        let path = seen.request_line.split(' ').nth(1).unwrap_or("");
        if path.contains("/cross") {
            answer(
                stream,
                "307 Temporary Redirect",
                &format!("Location: {target}\r\n"),
                b"",
            );
        } else if path.contains("/hop") {
            answer(
                stream,
                "307 Temporary Redirect",
                "Location: /user/demo/same\r\n",
                b"",
            );
        } else {
            answer(stream, "200 OK", "", b"{}");
        }
    });
    let client = client_for(&home, no_retry());
    let request = |path: &str| {
        Request::get(path)
            .header("Cookie", "session=c00kie")
            .header("X-My-Token", "t0ken")
    };

    let r = client.send(request("cross")).unwrap();
    assert_eq!(r.status(), 200);
    let first = &home.seen()[0];
    assert_eq!(first.header("x-my-token"), Some("t0ken"), "{first:?}");
    let other = &elsewhere.seen()[0];
    assert_eq!(other.request_line, "GET /landing HTTP/1.1");
    for name in ["cookie", "x-my-token", "authorization"] {
        assert_eq!(
            other.header(name),
            None,
            "{name} crossed origins: {other:?}"
        );
    }

    // A redirect on the same origin keeps them, and the key.
    client.send(request("hop")).unwrap();
    let seen = home.seen();
    let last = seen.last().unwrap();
    assert!(
        last.request_line.starts_with("GET /user/demo/same"),
        "{last:?}"
    );
    assert_eq!(last.header("cookie"), Some("session=c00kie"), "{last:?}");
    assert_eq!(last.header("x-my-token"), Some("t0ken"), "{last:?}");
    assert!(last.header("authorization").is_some(), "{last:?}");
}

