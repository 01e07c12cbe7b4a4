//! The client against servers that misbehave on purpose (scripted in `support`): redirects to
//! another origin, endless and decompression-bomb bodies, silence. Each test asserts on what
//! the server received or on where the call stopped, never on how long it took.

mod support;

use cartoauth::client::RetryPolicy;
use cartoauth::{Client, ClientOptions, Credentials, ErrorKind, Request};
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

/// An answer without `Content-Length` that ends when the server closes the connection:
/// `total` bytes, or endless when `None` (until the client hangs up).
fn close_delimited(stream: &mut std::net::TcpStream, extra_headers: &str, total: Option<usize>) {
    use std::io::Write;
    let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{extra_headers}Connection: close\r\n\r\n");
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while total.is_none_or(|total| sent < total) {
        let n = total.map_or(chunk.len(), |total| chunk.len().min(total - sent));
        if stream.write_all(&chunk[..n]).is_err() {
            return;
        }
        sent += n;
    }
}

/// A request that records the largest `downloaded` its progress callback saw.
fn watched(path: &str) -> (Request, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    let most = std::sync::Arc::new(AtomicU64::new(0));
    let seen = std::sync::Arc::clone(&most);
    let request = Request::get(path).on_progress(Box::new(move |p| {
        seen.fetch_max(p.downloaded, Ordering::SeqCst);
        true
    }));
    (request, most)
}

const LIMIT: u64 = 1 << 20;

fn limited() -> ClientOptions {
    ClientOptions {
        max_body_size: LIMIT,
        ..no_retry()
    }
}

#[test]
fn the_default_body_limit_is_256_mib() {
    assert_eq!(ClientOptions::default().max_body_size, 256 << 20);
}

#[test]
fn an_endless_body_stops_at_the_limit() {
    use std::sync::atomic::Ordering;
    let server = Scripted::start(|_, stream| close_delimited(stream, "", None));
    let (request, most) = watched("api/v2/sql");
    let err = client_for(&server, limited()).send(request).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BodyTooLarge, "{err}");
    assert!(err.message().contains("1048576 bytes"), "{err}");
    assert!(err.message().contains("stream it"), "{err}");
    let kept = most.load(Ordering::SeqCst);
    assert!(kept <= LIMIT && kept > LIMIT - 65536, "kept {kept} bytes");
}

#[test]
fn a_gzip_bomb_stops_at_the_limit_counted_decompressed() {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![b' '; 16 << 20]).unwrap();
    let bomb = std::sync::Arc::new(encoder.finish().unwrap());
    assert!(bomb.len() < 100_000, "{} compressed bytes", bomb.len());
    let served = std::sync::Arc::clone(&bomb);
    let server = Scripted::start(move |_, stream| {
        answer(stream, "200 OK", "Content-Encoding: gzip\r\n", &served)
    });
    let (request, most) = watched("api/v2/sql");
    let err = client_for(&server, limited()).send(request).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BodyTooLarge, "{err}");
    let kept = most.load(Ordering::SeqCst);
    assert!(kept <= LIMIT && kept > LIMIT - 65536, "kept {kept} bytes");

    // Under a limit large enough, the same answer arrives whole.
    let roomy = ClientOptions {
        max_body_size: 32 << 20,
        ..no_retry()
    };
    let r = client_for(&server, roomy).send(Request::get("x")).unwrap();
    assert_eq!(r.body().len(), 16 << 20);
}

#[test]
fn a_streamed_body_has_no_limit() {
    let server = Scripted::start(|_, stream| close_delimited(stream, "", Some(4 << 20)));
    let request = Request::get("api/v2/sql").write_response_to(Box::new(std::io::sink()));
    let r = client_for(&server, limited()).send(request).unwrap();
    assert_eq!(r.streamed_bytes(), 4 << 20);
}

/// A server that reads the request and then says nothing, holding the connection open.
fn silent() -> Scripted {
    Scripted::start(|_, _| std::thread::sleep(Duration::from_secs(60)))
}

#[test]
fn a_cancel_during_a_silent_wait_is_honoured_at_the_next_tick() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let server = silent();
    let calls = std::sync::Arc::new(AtomicU32::new(0));
    let counted = std::sync::Arc::clone(&calls);
    let request = Request::get("api/v2/sql").on_progress(Box::new(move |p| {
        assert_eq!(p.downloaded, 0, "nothing moved");
        counted.fetch_add(1, Ordering::SeqCst) + 1 < 4
    }));
    let options = ClientOptions {
        idle_timeout: Duration::from_secs(5),
        ..no_retry()
    };
    let err = client_for(&server, options).send(request).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        4,
        "called on every tick until it said stop"
    );
}

#[test]
fn waits_between_retries_are_cancellable_too() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let server = Scripted::start(|_, stream| {
        answer(
            stream,
            "503 Service Unavailable",
            "Retry-After: 20\r\n",
            b"{}",
        )
    });
    let calls = std::sync::Arc::new(AtomicU32::new(0));
    let counted = std::sync::Arc::clone(&calls);
    let request = Request::get("api/v2/sql").on_progress(Box::new(move |_| {
        counted.fetch_add(1, Ordering::SeqCst) + 1 < 3
    }));
    let err = client_for(&server, ClientOptions::default())
        .send(request)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    assert_eq!(server.seen().len(), 1, "no second attempt");
}

#[test]
fn a_server_that_never_answers_costs_the_total_timeout_at_most() {
    assert_eq!(
        ClientOptions::default().total_timeout,
        Some(Duration::from_secs(300))
    );
    let server = silent();
    let options = ClientOptions {
        idle_timeout: Duration::from_secs(3),
        total_timeout: Some(Duration::from_secs(1)),
        ..Default::default()
    };
    let err = client_for(&server, options)
        .send(Request::get("api/v2/sql?q=select%201"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.message().contains("total time limit of 1.0 s"), "{err}");
    assert!(!err.message().contains("select"), "no query string: {err}");
    assert_eq!(server.seen().len(), 1, "no retry after the deadline");
}

/// A slow query over plain HTTP and over TLS: the waits cut into slices (each one a read
/// timeout underneath) leave the connection intact, and the answer arrives whole afterwards.
#[test]
fn sliced_waits_keep_http_and_tls_connections_intact() {
    use carto_emulator::harness::{Emulator, Options};
    use cartoauth::client::Trust;
    use std::sync::atomic::{AtomicU32, Ordering};
    for tls in [false, true] {
        let emu = Emulator::start_with(Options {
            tls,
            ..Default::default()
        });
        let key = emu.key("demo", "master");
        let creds = Credentials::new(None, Some(&key), Some(&emu.base_url("demo")), true).unwrap();
        let options = ClientOptions {
            trust: emu
                .ca_cert()
                .map_or(Trust::WebPki, |ca| Trust::CaBundle(ca.clone())),
            ..no_retry()
        };
        let client = Client::new(creds, options).unwrap();
        let idle_ticks = std::sync::Arc::new(AtomicU32::new(0));
        let counted = std::sync::Arc::clone(&idle_ticks);
        let request = Request::sql("select pg_sleep(2), repeat('x', 100000) as padding", None)
            .on_progress(Box::new(move |p| {
                if p.downloaded == 0 {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
                true
            }));
        let r = client.send(request).unwrap();
        assert_eq!(r.status(), 200, "tls {tls}");
        let rows = r.json().unwrap();
        assert_eq!(
            rows["rows"][0]["padding"].as_str().map(str::len),
            Some(100_000)
        );
        assert!(
            idle_ticks.load(Ordering::SeqCst) >= 4,
            "tls {tls}: ticks while waiting"
        );
        // The connection goes back to the pool in a usable state.
        assert_eq!(client.sql("select 1 as one", None).unwrap().status(), 200);
    }
}

#[test]
fn the_idle_timeout_still_applies_to_a_sliced_wait() {
    let server = silent();
    let options = ClientOptions {
        idle_timeout: Duration::from_millis(700),
        total_timeout: None,
        ..no_retry()
    };
    let err = client_for(&server, options)
        .send(Request::get("api/v2/sql"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(!err.message().contains("total time"), "{err}");
}

/// What a kept-alive server does after each answer.
#[derive(Clone, Copy)]
enum AfterAnswer {
    /// Keeps the connection open for the next request.
    Wait,
    /// Once the client has read the answer, sends a second, unrequested answer on the
    /// connection, then keeps it open.
    Smuggle,
    /// Closes the connection although its answer promised to keep it open.
    Close,
}

/// The order of events between a test and its kept-alive server.
#[derive(Default)]
struct Steps {
    /// Connections the server accepted.
    connections: std::sync::atomic::AtomicUsize,
    /// Answers the client has read (set by the test).
    read: std::sync::atomic::AtomicUsize,
    /// Answers after which the server has done its `AfterAnswer`.
    acted: std::sync::atomic::AtomicUsize,
}

/// Waits (10 s at most) until `counter` reaches `n`.
fn wait_for(counter: &std::sync::atomic::AtomicUsize, n: usize) {
    for _ in 0..2000 {
        if counter.load(std::sync::atomic::Ordering::SeqCst) >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the other side did not reach step {n}");
}

/// A server that keeps connections alive: request `n` on connection `c` gets the body `c:n`.
/// Returns its origin and the steps it shares with the test.
fn keep_alive(after: AfterAnswer) -> (String, std::sync::Arc<Steps>) {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let steps = Arc::new(Steps::default());
    let shared = Arc::clone(&steps);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let c = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
            let steps = Arc::clone(&shared);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                for n in 1.. {
                    // The client sends GETs without a body: a request ends at its blank line.
                    let mut line = String::new();
                    loop {
                        line.clear();
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) if line == "\r\n" => break,
                            Ok(_) => {}
                        }
                    }
                    let body = format!("{c}:{n}");
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    stream.write_all(answer.as_bytes()).unwrap();
                    let answered = steps.acted.load(Ordering::SeqCst) + 1;
                    match after {
                        AfterAnswer::Wait => {}
                        AfterAnswer::Smuggle => {
                            // After the client has read the body: the bytes wait in the socket.
                            wait_for(&steps.read, answered);
                            let fake = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled";
                            stream.write_all(fake.as_bytes()).unwrap();
                        }
                        AfterAnswer::Close => {
                            stream.shutdown(std::net::Shutdown::Both).unwrap();
                            steps.acted.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                    }
                    steps.acted.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    (origin, steps)
}

/// Sends GET requests one after the other, each once the server has acted on the previous
/// answer, and returns the bodies.
fn bodies_of_sequential_gets(origin: &str, steps: &Steps, count: usize) -> Vec<String> {
    use std::sync::atomic::Ordering;
    let creds = Credentials::new(
        None,
        Some("k3y-never-leaves"),
        Some(&format!("{origin}/user/demo")),
        true,
    )
    .unwrap();
    let client = Client::new(creds, no_retry()).unwrap();
    (1..=count)
        .map(|i| {
            let r = client.send(Request::get("ping")).unwrap();
            steps.read.fetch_add(1, Ordering::SeqCst);
            wait_for(&steps.acted, i);
            assert_eq!(r.status(), 200);
            String::from_utf8(r.body().to_vec()).unwrap()
        })
        .collect()
}

#[test]
fn a_kept_alive_connection_carries_the_next_requests() {
    let (origin, steps) = keep_alive(AfterAnswer::Wait);
    let bodies = bodies_of_sequential_gets(&origin, &steps, 3);
    assert_eq!(bodies, ["1:1", "1:2", "1:3"]);
    assert_eq!(
        steps.connections.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

/// Bytes arriving after an answer's body, once the body was read, would be taken for the next
/// request's answer if the connection were reused: it must be dropped instead.
#[test]
fn bytes_sent_after_the_body_never_become_the_next_answer() {
    let (origin, steps) = keep_alive(AfterAnswer::Smuggle);
    let bodies = bodies_of_sequential_gets(&origin, &steps, 3);
    assert_eq!(bodies, ["1:1", "2:1", "3:1"]);
    assert_eq!(
        steps.connections.load(std::sync::atomic::Ordering::SeqCst),
        3
    );
}

/// A server may close a kept-alive connection while it is idle (its keep-alive timeout): the
/// next request goes on a new connection and succeeds, without a retry.
#[test]
fn a_connection_the_server_closed_while_idle_is_not_reused() {
    let (origin, steps) = keep_alive(AfterAnswer::Close);
    let bodies = bodies_of_sequential_gets(&origin, &steps, 3);
    assert_eq!(bodies, ["1:1", "2:1", "3:1"]);
    assert_eq!(
        steps.connections.load(std::sync::atomic::Ordering::SeqCst),
        3
    );
}

/// A server that reads the request and hangs up without answering.
fn hangs_up() -> Scripted {
    Scripted::start(|_, stream| {
        let _ = stream.shutdown(std::net::Shutdown::Both);
    })
}

#[test]
fn sql_batch_copy_and_auth_requests_that_may_have_run_are_never_sent_twice() {
    let retrying = ClientOptions {
        idle_timeout: Duration::from_millis(300),
        retry: RetryPolicy {
            max_attempts: 3,
            max_wait: Duration::from_secs(10),
        },
        ..Default::default()
    };
    for (server, failure) in [
        (silent(), ErrorKind::Timeout),
        (hangs_up(), ErrorKind::Connection),
    ] {
        let client = client_for(&server, retrying.clone());
        let requests = [
            // Short SQL goes by GET, which a timeout used to retry as idempotent.
            Request::sql("update t set n = n + 1", None),
            Request::copy_to("COPY t TO STDOUT"),
            Request::get("api/v2/sql/job/j1"),
            Request::new("DELETE", "api/v3/api_keys/k"),
            Request::get("api/v3/sql/carto_dw/query").query("q", "delete from t"),
        ];
        for request in requests {
            let shown = format!("{request:?}");
            let before = server.seen().len();
            let err = client.send(request).unwrap_err();
            assert_eq!(err.kind(), failure, "{shown}: {err}");
            assert_eq!(server.seen().len() - before, 1, "{shown} was sent again");
        }
        // The caller may say a query is safe to repeat; then it is retried.
        let before = server.seen().len();
        let request = Request::sql("select 1", None).idempotent(true);
        client.send(request).unwrap_err();
        assert_eq!(server.seen().len() - before, 3);
        // Other idempotent requests still are.
        let before = server.seen().len();
        client.send(Request::get("api/v3/me")).unwrap_err();
        assert_eq!(server.seen().len() - before, 3);
    }
}

/// Options whose interrupt hook says "stop" from its `stop_at`-th question on, counting them.
fn interrupted_at(
    stop_at: usize,
) -> (
    ClientOptions,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let asked = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&asked);
    let options = ClientOptions {
        // Without the hook, each call would wait this long.
        idle_timeout: Duration::from_secs(120),
        interrupt: Some(cartoauth::client::InterruptHook::new(move || {
            counter.fetch_add(1, Ordering::SeqCst) + 1 >= stop_at
        })),
        ..no_retry()
    };
    (options, asked)
}

#[test]
fn every_call_of_a_client_asks_its_interrupt_hook_while_the_server_says_nothing() {
    use cartoauth::client::{BatchJobSpec, Grants, KeyValidity};
    use std::sync::atomic::Ordering;
    let server = silent();
    type Call = Box<dyn Fn(&Client) -> Option<cartoauth::Error>>;
    let calls: Vec<(&str, Call)> = vec![
        ("me", Box::new(|c| c.me().err())),
        ("api_keys", Box::new(|c| c.api_keys().err())),
        ("api_key", Box::new(|c| c.api_key("k").err())),
        (
            "create_api_key",
            Box::new(|c| {
                let grants = Grants {
                    apis: vec!["sql".into()],
                    ..Default::default()
                };
                c.create_api_key("k", &grants).err()
            }),
        ),
        ("delete_api_key", Box::new(|c| c.delete_api_key("k").err())),
        ("regenerate", Box::new(|c| c.regenerate_api_key("k").err())),
        ("do_credentials", Box::new(|c| c.do_credentials().err())),
        ("batch_status", Box::new(|c| c.batch_status("j").err())),
        (
            "batch_create",
            Box::new(|c| c.batch_create(&BatchJobSpec::query("select 1")).err()),
        ),
        ("batch_cancel", Box::new(|c| c.batch_cancel("j").err())),
        (
            "batch_wait",
            Box::new(|c| {
                c.batch_wait("j", &cartoauth::client::WaitOptions::default(), None)
                    .err()
            }),
        ),
        ("sql_result", Box::new(|c| c.sql_result("select 1").err())),
        ("sql", Box::new(|c| c.sql("select 1", None).err())),
    ];
    for (name, call) in calls {
        let (options, asked) = interrupted_at(3);
        let err = call(&client_for(&server, options)).unwrap_or_else(|| panic!("{name} succeeded"));
        assert_eq!(err.kind(), ErrorKind::Cancelled, "{name}: {err}");
        assert!(err.message().contains("interrupted"), "{name}: {err}");
        assert_eq!(asked.load(Ordering::SeqCst), 3, "{name}");
    }
    let (options, asked) = interrupted_at(3);
    let validity = client_for(&server, options).validate_key();
    assert_eq!(validity, KeyValidity::Unknown);
    assert_eq!(asked.load(Ordering::SeqCst), 3);
}

#[test]
fn a_batch_wait_ends_at_its_timeout_even_while_a_poll_hangs() {
    let server = silent();
    let options = ClientOptions {
        // Without the wait's own deadline the poll would hang until this.
        total_timeout: Some(Duration::from_secs(8)),
        ..no_retry()
    };
    let wait = cartoauth::client::WaitOptions {
        timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let err = client_for(&server, options)
        .batch_wait("j", &wait, None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WaitTimeout, "{err}");
    assert!(err.message().contains("batch job j"), "{err}");
}

#[test]
fn the_pause_between_batch_polls_asks_the_interrupt_hook() {
    use std::sync::atomic::Ordering;
    let server = Scripted::start(|_, stream| {
        answer(
            stream,
            "200 OK",
            "",
            br#"{"job_id":"j","status":"running"}"#,
        )
    });
    // The first poll answers at once; the next question comes during the 30 s pause.
    let (options, asked) = interrupted_at(2);
    let wait = cartoauth::client::WaitOptions {
        initial_interval: Duration::from_secs(30),
        max_interval: Duration::from_secs(30),
        ..Default::default()
    };
    let err = client_for(&server, options)
        .batch_wait("j", &wait, None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    assert!(err.message().contains("waiting for batch job j"), "{err}");
    assert_eq!(asked.load(Ordering::SeqCst), 2);
    assert_eq!(server.seen().len(), 1);
}

/// A page of `count` keys, each with a `padding`-byte name, claiming `total` keys in all.
fn key_page(count: usize, padding: usize, total: u64) -> Vec<u8> {
    let keys: Vec<serde_json::Value> = (0..count)
        .map(|i| serde_json::json!({"name": format!("k{i}{}", "x".repeat(padding)), "type": "regular"}))
        .collect();
    serde_json::json!({"result": keys, "total": total})
        .to_string()
        .into_bytes()
}

#[test]
fn a_key_listing_from_a_lying_server_stops_at_its_bounds() {
    const FOREVER: u64 = 1_000_000_000_000;
    // Full pages that never reach the claimed total: at most 10,000 keys.
    let full = Scripted::start(|_, stream| answer(stream, "200 OK", "", &key_page(20, 0, FOREVER)));
    let err = client_for(&full, no_retry()).api_keys().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(err.message().contains("10000 keys"), "{err}");
    assert!(full.seen().len() <= 501, "{} requests", full.seen().len());
    // A page shorter than asked for is the last, whatever the total says.
    let short = Scripted::start(|_, stream| answer(stream, "200 OK", "", &key_page(1, 0, FOREVER)));
    assert_eq!(client_for(&short, no_retry()).api_keys().unwrap().len(), 1);
    assert_eq!(short.seen().len(), 1);
    // 5 MB pages: at most 64 MiB of pages in all.
    let page = std::sync::Arc::new(key_page(20, 250_000, FOREVER));
    let served = std::sync::Arc::clone(&page);
    let big = Scripted::start(move |_, stream| answer(stream, "200 OK", "", &served));
    let err = client_for(&big, no_retry()).api_keys().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(err.message().contains("67108864 bytes"), "{err}");
    assert!(big.seen().len() <= 14, "{} requests", big.seen().len());
    // Slow pages: the whole listing ends within the total time limit.
    let slow = Scripted::start(|_, stream| {
        std::thread::sleep(Duration::from_millis(300));
        answer(stream, "200 OK", "", &key_page(20, 0, FOREVER))
    });
    let options = ClientOptions {
        total_timeout: Some(Duration::from_secs(1)),
        ..no_retry()
    };
    let err = client_for(&slow, options).api_keys().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(slow.seen().len() <= 5, "{} requests", slow.seen().len());
}
