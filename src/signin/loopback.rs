//! The one-shot HTTP listener on 127.0.0.1 that receives the browser's redirect after a
//! sign-in: `GET /callback?code=…&state=…`.
//!
//! It answers nothing but that one path and stops after it: other paths (a favicon) get 404,
//! and every wait is bounded (connections, bytes per request, seconds per connection, the
//! whole wait), so a stray or hostile local client cannot keep it busy forever.

use crate::error::{Error, ErrorKind, Result};
use std::io::{ErrorKind as IoKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// The most connections one wait accepts.
const MAX_CONNECTIONS: usize = 64;
/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// How long one connection may take to send its request.
const PER_CONNECTION: Duration = Duration::from_secs(5);
/// How often the wait checks its deadline and the caller's callback.
const POLL: Duration = Duration::from_millis(50);

/// A bound listener waiting for the redirect.
#[derive(Debug)]
pub(crate) struct Listener {
    listener: TcpListener,
    port: u16,
    path: String,
}

/// The query of the callback, and the connection to answer on.
pub(crate) struct Callback {
    pub query: Vec<(String, String)>,
    stream: TcpStream,
}

impl std::fmt::Debug for Callback {
    /// Parameter names only: the code is a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.query.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Callback").field("query", &names).finish()
    }
}

impl Callback {
    /// Answers the browser with a short page and closes the connection.
    pub(crate) fn answer(mut self, ok: bool, message: &str) {
        let title = if ok {
            "Signed in to CARTO"
        } else {
            "CARTO sign-in failed"
        };
        let body = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1><p>{}</p></body></html>",
            html_escape(message)
        );
        let status = if ok { "200 OK" } else { "400 Bad Request" };
        let _ = write!(
            self.stream,
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = self.stream.flush();
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Listener {
    /// Listens on 127.0.0.1:`port` (0: a free port) for `path`.
    pub(crate) fn bind(port: u16, path: &str) -> Result<Listener> {
        let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!(
                    "cannot listen on 127.0.0.1:{port} for the sign-in's redirect: {e}{}",
                    if e.kind() == IoKind::AddrInUse {
                        " (another program, or another sign-in, uses the port); finish with the paste flow instead"
                    } else {
                        ""
                    }
                ),
            )
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::new(ErrorKind::Io, format!("the sign-in listener: {e}")))?
            .port();
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::new(ErrorKind::Io, format!("the sign-in listener: {e}")))?;
        Ok(Listener {
            listener,
            port,
            path: normalize(path),
        })
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Waits for the callback request, at most `timeout`; `keep_waiting` is asked every 50 ms
    /// and may stop the wait (it runs on this thread).
    pub(crate) fn wait(
        &self,
        timeout: Duration,
        keep_waiting: &mut dyn FnMut() -> bool,
    ) -> Result<Callback> {
        let started = Instant::now();
        let mut connections = 0;
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    connections += 1;
                    if let Some(callback) = self.serve(stream) {
                        return Ok(callback);
                    }
                    if connections >= MAX_CONNECTIONS {
                        return Err(Error::new(
                            ErrorKind::SignInFailed,
                            format!(
                                "{MAX_CONNECTIONS} connections reached the sign-in listener on port {} without the redirect; giving up",
                                self.port
                            ),
                        ));
                    }
                }
                Err(e) if e.kind() == IoKind::WouldBlock || e.kind() == IoKind::Interrupted => {
                    if started.elapsed() >= timeout {
                        return Err(Error::new(
                            ErrorKind::Timeout,
                            format!(
                                "no sign-in redirect reached 127.0.0.1:{} within {:.0} s; finish with the paste flow, or sign in again",
                                self.port,
                                timeout.as_secs_f64()
                            ),
                        ));
                    }
                    if !keep_waiting() {
                        return Err(Error::new(
                            ErrorKind::Cancelled,
                            "stopped waiting for the sign-in redirect at the caller's request",
                        ));
                    }
                    std::thread::sleep(POLL);
                }
                Err(e) => {
                    return Err(Error::new(
                        ErrorKind::Io,
                        format!("the sign-in listener failed: {e}"),
                    ))
                }
            }
        }
    }

    /// Reads one request; the callback if it is one, else answers 404 and returns `None`.
    fn serve(&self, mut stream: TcpStream) -> Option<Callback> {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(PER_CONNECTION));
        let _ = stream.set_write_timeout(Some(PER_CONNECTION));
        let head = read_head(&mut stream)?;
        let line = head.lines().next()?;
        let mut parts = line.split(' ');
        let (method, target) = (parts.next()?, parts.next()?);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if method != "GET" || normalize(path) != self.path {
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            return None;
        }
        let query = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Some(Callback { query, stream })
    }
}

/// `/callback/` and `/callback` are the same path.
fn normalize(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    }
}

fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    let started = Instant::now();
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() >= MAX_HEAD || started.elapsed() > PER_CONNECTION {
            return None;
        }
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
            Err(_) => return None,
        }
    }
    String::from_utf8(head).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(port: u16, target: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    #[test]
    fn only_the_callback_path_ends_the_wait() {
        let listener = Listener::bind(0, "/callback/").unwrap();
        let port = listener.port();
        let browser = std::thread::spawn(move || {
            let miss = get(port, "/favicon.ico");
            let hit = get(port, "/callback?code=abc&state=s%201");
            (miss, hit)
        });
        let callback = listener
            .wait(Duration::from_secs(10), &mut || true)
            .unwrap();
        assert_eq!(
            callback.query,
            [
                ("code".into(), "abc".into()),
                ("state".into(), "s 1".into())
            ]
        );
        callback.answer(true, "you can close <this>");
        let (miss, hit) = browser.join().unwrap();
        assert!(miss.starts_with("HTTP/1.1 404"), "{miss}");
        assert!(hit.starts_with("HTTP/1.1 200"), "{hit}");
        assert!(hit.contains("&lt;this&gt;"));
    }

    #[test]
    fn the_wait_is_bounded_and_cancellable() {
        let listener = Listener::bind(0, "/cb").unwrap();
        let err = listener
            .wait(Duration::from_millis(120), &mut || true)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
        let mut calls = 0;
        let err = listener
            .wait(Duration::from_secs(30), &mut || {
                calls += 1;
                calls < 3
            })
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Cancelled);
    }

    #[test]
    fn silent_and_oversized_clients_do_not_stall_it() {
        let listener = Listener::bind(0, "/cb").unwrap();
        let port = listener.port();
        std::thread::spawn(move || {
            let _silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
            let mut big = TcpStream::connect(("127.0.0.1", port)).unwrap();
            let _ = big.write_all(&vec![b'a'; MAX_HEAD + 10]);
            get(port, "/cb?code=1");
        });
        let started = Instant::now();
        let callback = listener
            .wait(Duration::from_secs(30), &mut || true)
            .unwrap();
        assert_eq!(callback.query[0].1, "1");
        // The silent client costs one connection's limit, no more.
        assert!(started.elapsed() < PER_CONNECTION * 3);
    }
}
