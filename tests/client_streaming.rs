//! Streaming in constant memory: a COPY TO download and COPY FROM uploads (plain and gzip) of
//! more than 100 MB each, progress reporting, cancellation and failing callbacks.
//!
//! One test function runs the transfers one after another so that the process' peak resident
//! memory (VmHWM, reset before each transfer) measures that transfer alone.

use carto_emulator::harness::Emulator;
use cartoauth::client::{Body, Progress};
use cartoauth::{Client, ClientOptions, Credentials, ErrorKind, Request};
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const MIB: u64 = 1 << 20;
const ROW_PAYLOAD: usize = 1000;
/// Memory growth allowed for a 100+ MB transfer: buffers, not the data.
const FLAT_LIMIT: u64 = 48 * MIB;

fn peak_rss_reset() {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset peak RSS (Linux)");
}

fn rss(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Generates `rows` lines of COPY text format: `id<TAB>payload\n`.
struct Rows {
    next: u64,
    rows: u64,
    pending: Vec<u8>,
}

impl Read for Rows {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending.is_empty() && self.next < self.rows {
            self.pending = format!("{}\t{}\n", self.next, "p".repeat(ROW_PAYLOAD)).into_bytes();
            self.next += 1;
        }
        let n = self.pending.len().min(buf.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

/// Counts bytes and discards them.
struct Counter(Arc<AtomicU64>);

impl Write for Counter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.fetch_add(data.len() as u64, Ordering::Relaxed);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn master(emu: &Emulator) -> Client {
    let key = emu.key("demo", "master");
    let creds = Credentials::new(None, Some(&key), Some(&emu.base_url("demo")), true).unwrap();
    Client::new(
        creds,
        ClientOptions {
            timeout: None,
            ..Default::default()
        },
    )
    .unwrap()
}

fn upload(c: &Client, rows: u64, gzip: bool) -> (u64, u64) {
    peak_rss_reset();
    let before = rss("VmRSS:");
    let sent = Arc::new(AtomicU64::new(0));
    let seen = sent.clone();
    let request = Request::copy_from(
        "COPY upload_target (id, payload) FROM STDIN",
        Body::Reader {
            reader: Box::new(Rows {
                next: 0,
                rows,
                pending: Vec::new(),
            }),
            length: None,
            content_type: "application/octet-stream".into(),
        },
    )
    .gzip(gzip)
    .on_progress(Box::new(move |p: Progress| {
        seen.store(p.uploaded, Ordering::Relaxed);
        true
    }));
    let r = c.send(request).unwrap().error_for_status().unwrap();
    let copied = r.json().unwrap()["total_rows"].as_u64().unwrap();
    let growth = rss("VmHWM:").saturating_sub(before);
    assert_eq!(copied, rows, "gzip={gzip}");
    (sent.load(Ordering::Relaxed), growth)
}

#[test]
fn hundred_megabyte_transfers_stream_in_constant_memory() {
    let emu = Emulator::start();
    let c = master(&emu);

    // Download: ~110 MB of COPY TO output delivered to a writer.
    let received = Arc::new(AtomicU64::new(0));
    let progress_calls = Arc::new(AtomicU64::new(0));
    let calls = progress_calls.clone();
    peak_rss_reset();
    let before = rss("VmRSS:");
    let request = Request::copy_to(&format!(
        "COPY (SELECT g, repeat('x', {ROW_PAYLOAD}) FROM generate_series(1, 110000) g) TO STDOUT"
    ))
    .write_response_to(Box::new(Counter(received.clone())))
    .on_progress(Box::new(move |_| {
        calls.fetch_add(1, Ordering::Relaxed);
        true
    }));
    let r = c.send(request).unwrap().error_for_status().unwrap();
    let growth = rss("VmHWM:").saturating_sub(before);
    let bytes = received.load(Ordering::Relaxed);
    assert!(bytes > 100 * MIB, "downloaded {bytes} bytes");
    assert_eq!(r.streamed_bytes(), bytes);
    assert!(r.body().is_empty(), "a streamed body is not kept");
    assert!(progress_calls.load(Ordering::Relaxed) > 100);
    assert!(
        growth < FLAT_LIMIT,
        "download grew RSS by {} MiB",
        growth / MIB
    );
    eprintln!(
        "download: {} MiB, RSS growth {} MiB",
        bytes / MIB,
        growth / MIB
    );

    c.sql("CREATE TABLE upload_target (id int, payload text)", None)
        .unwrap();
    // Upload: ~100 MB, plain then gzip.
    let rows = 100 * MIB / (ROW_PAYLOAD as u64 + 8);
    for gzip in [false, true] {
        let (sent, growth) = upload(&c, rows, gzip);
        assert!(sent >= 100 * MIB - MIB, "uploaded {sent} bytes");
        assert!(
            growth < FLAT_LIMIT,
            "upload (gzip={gzip}) grew RSS by {} MiB",
            growth / MIB
        );
        eprintln!(
            "upload gzip={gzip}: {} MiB, RSS growth {} MiB",
            sent / MIB,
            growth / MIB
        );
    }
    let count = c
        .sql("select count(*) as n from upload_target", None)
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(count["rows"][0]["n"], 2 * rows);
}

#[test]
fn progress_can_cancel_and_failing_callbacks_stop_the_transfer() {
    let emu = Emulator::start();
    let c = master(&emu);
    let export = "COPY (SELECT repeat('y', 1000) FROM generate_series(1, 20000)) TO STDOUT";
    let err = c
        .send(
            Request::copy_to(export)
                .write_response_to(Box::new(io::sink()))
                .on_progress(Box::new(|p: Progress| p.downloaded < MIB)),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");

    struct Refuses;
    impl Write for Refuses {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let err = c
        .send(Request::copy_to(export).write_response_to(Box::new(Refuses)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Callback, "{err}");
    assert!(err.message().contains("disk full"), "{err}");

    // Progress reports both directions with totals when known.
    let seen = Arc::new(Mutex::new(Progress::default()));
    let last = seen.clone();
    c.send(
        Request::post("api/v2/sql")
            .form_field("q", "select 1")
            .on_progress(Box::new(move |p| {
                *last.lock().unwrap() = p;
                true
            })),
    )
    .unwrap();
    let p = *seen.lock().unwrap();
    assert_eq!(p.upload_total, Some("q=select+1".len() as u64));
    assert_eq!(p.uploaded, p.upload_total.unwrap());
    assert!(p.downloaded > 0);
}
