//! A scripted HTTP/1.1 server on 127.0.0.1 for tests that need a server misbehaving in ways
//! the emulator does not: answering another origin's redirect, sending endless or
//! decompression-bomb bodies, or never answering. It records each request head it reads and
//! hands the connection to the test's handler, which writes whatever it likes.

#![allow(dead_code)] // each test crate uses part of it

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request as the server read it: the request line and the headers, names lowercase.
#[derive(Debug, Clone)]
pub struct Seen {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub type Handler = dyn Fn(&Seen, &mut TcpStream) + Send + Sync;

/// A server running on a thread until the test process exits.
pub struct Scripted {
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    /// Starts a server that calls `handler` for every request, one connection at a time on its
    /// own thread each (so a stalled answer does not block the next connection).
    pub fn start(handler: impl Fn(&Seen, &mut TcpStream) + Send + Sync + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let handler = Arc::clone(&handler);
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    let Some(request) = read_head(&stream) else {
                        return;
                    };
                    log.lock().unwrap().push(request.clone());
                    handler(&request, &mut stream);
                    let _ = stream.flush();
                });
            }
        });
        Scripted { port, seen }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The requests read so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn read_head(stream: &TcpStream) -> Option<Seen> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    Some(Seen {
        request_line: request_line.trim_end().to_owned(),
        headers,
    })
}

/// Writes a complete answer with a `Content-Length` and closes the connection.
pub fn answer(stream: &mut TcpStream, status: &str, extra_headers: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\n{extra_headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

/// CPU time of the calling thread, in seconds: unlike wall time, other processes on a loaded
/// machine (or a server thread of the test) do not add to it.
pub fn thread_cpu_seconds() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec to write.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    now.tv_sec as f64 + now.tv_nsec as f64 * 1e-9
}

/// How much more CPU time `run(10 * n)` takes than `run(n)` on this thread: about 10 when the
/// work is linear in `n`, 100 when it is quadratic. Each size runs 5 times, interleaved, and
/// the fastest run counts. Other processes still disturb caches, so a ratio above
/// [`MAX_GROWTH`] is measured again, twice at most: a quadratic cost is above it every time.
pub fn cpu_growth<T>(run: impl Fn(usize) -> T, n: usize) -> f64 {
    let time = |size: usize| {
        let started = thread_cpu_seconds();
        std::hint::black_box(run(size));
        thread_cpu_seconds() - started
    };
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let (mut small, mut large) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..5 {
            small = small.min(time(n));
            large = large.min(time(10 * n));
        }
        best = best.min(large / small.max(1e-9));
        if best < MAX_GROWTH {
            break;
        }
    }
    best
}

/// The largest growth a linear cost shows at 10x the input, with room for noise.
pub const MAX_GROWTH: f64 = 12.0;
