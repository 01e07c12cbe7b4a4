//! Results read in chunks of typed rows as the answer arrives (`ResultReader`), against
//! carto-emulator (CARTO 2 and CARTO 3's SQL APIs) and scripted servers that break off or
//! stall: answers larger than `max_body_size`, an error after rows were sent, statements whose
//! types cannot be asked for first, cancelling and interrupting between chunks.

mod support;

use carto_emulator::harness::{Carto3Options, Emulator, Fault, LoggedRequest, Options};
use cartoauth::client::{InterruptHook, RetryPolicy};
use cartoauth::result::ColumnKind;
use cartoauth::token::TokenCache;
use cartoauth::{Client, ClientOptions, Credentials, ErrorKind, Platform, Request, ResultSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

fn emulator() -> &'static Emulator {
    static EMU: OnceLock<Emulator> = OnceLock::new();
    EMU.get_or_init(|| {
        Emulator::start_with(Options {
            carto3: Some(Carto3Options::default()),
            ..Options::default()
        })
    })
}

fn master_with(options: ClientOptions) -> Client {
    let emu = emulator();
    let key = emu.key("demo", "master");
    let creds = Credentials::new(None, Some(&key), Some(&emu.base_url("demo")), true).unwrap();
    Client::new(creds, options).unwrap()
}

fn master() -> Client {
    master_with(ClientOptions::default())
}

/// Client options whose bodies kept in memory are at most `limit` bytes.
fn limited(limit: u64) -> ClientOptions {
    ClientOptions {
        max_body_size: limit,
        ..Default::default()
    }
}

/// `n` rows of (int4, int8, float8, text, bool, timestamptz) with `pad` bytes of text each;
/// `marker` tells this test's requests apart in the shared emulator's log.
fn rows_query(marker: &str, n: u64, pad: usize) -> String {
    format!(
        "select g::int4 as i, g::int8 * 1000003 as big, g / 4.0::float8 as f, \
         '{marker}' || repeat('x', {pad}) || g as t, g % 2 = 0 as b, \
         timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second' as ts \
         from generate_series(1, {n}) g"
    )
}

/// Reads everything in chunks of `max_rows`, checking each row's values.
fn read_checked(
    reader: &mut cartoauth::ResultReader,
    max_rows: usize,
    pad: usize,
) -> Vec<ResultSet> {
    let mut chunks = Vec::new();
    let mut next = 1i64;
    while let Some(chunk) = reader.next_chunk(max_rows).unwrap() {
        let kinds: Vec<ColumnKind> = chunk.columns().iter().map(|c| c.kind()).collect();
        use ColumnKind::*;
        assert_eq!(kinds, [Int, Int, Float, Text, Bool, Timestamp]);
        assert!(chunk.row_count() <= max_rows);
        let c = |i: usize| chunk.column(i).unwrap();
        for row in 0..chunk.row_count() {
            assert_eq!(c(0).int64(row).unwrap(), next);
            assert_eq!(c(1).int64(row).unwrap(), next * 1_000_003);
            assert_eq!(c(2).double(row).unwrap(), next as f64 / 4.0);
            let text = c(3).text(row).unwrap();
            assert_eq!(
                text.len() - text.trim_end_matches(char::is_numeric).len(),
                next.to_string().len()
            );
            assert!(text.contains(&"x".repeat(pad)));
            assert_eq!(c(4).bool(row).unwrap(), next % 2 == 0);
            assert_eq!(
                c(5).time_micros(row).unwrap(),
                (1_577_836_800 + next) * 1_000_000
            );
            next += 1;
        }
        chunks.push(chunk);
    }
    assert!(reader.is_done());
    chunks
}

/// The emulator's logged SQL API requests whose query string holds `marker`.
fn logged(marker: &str) -> Vec<LoggedRequest> {
    emulator()
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/sql") || r.path.ends_with("/query"))
        .filter(|r| {
            percent_encoding::percent_decode_str(&r.query.replace('+', " "))
                .decode_utf8_lossy()
                .contains(marker)
        })
        .collect()
}

#[test]
fn a_result_larger_than_max_body_size_reads_in_full_in_chunks() {
    let marker = "larger-than-the-limit";
    let limit = 1 << 20;
    let query = rows_query(marker, 40_000, 100);
    let c = master_with(limited(limit));
    let whole = c.sql_result(&query).unwrap_err();
    assert_eq!(whole.kind(), ErrorKind::BodyTooLarge, "{whole}");

    let mut reader = c.sql_reader(&query).unwrap();
    let chunks = read_checked(&mut reader, 7_000, 100);
    assert_eq!(chunks.len(), 6);
    assert_eq!(reader.rows_read(), 40_000);
    let last = chunks.last().unwrap();
    assert_eq!(last.total_rows(), Some(40_000));
    assert!(last.time().is_some());
    assert!(chunks[0].total_rows().is_none());
    assert!(reader.next_chunk(10).unwrap().is_none());

    // The query itself and, once, the same query wrapped for its columns.
    let requests = logged(marker);
    let probes: Vec<_> = requests
        .iter()
        .filter(|r| r.query.contains("LIMIT+0"))
        .collect();
    assert_eq!(probes.len(), 1, "{requests:#?}");
    assert_eq!(
        requests.len(),
        3,
        "the whole read, the reader's query and its probe: {requests:#?}"
    );
}

#[test]
fn a_small_result_takes_one_request_and_reads_as_sql_result_does() {
    let marker = "small-and-whole";
    let query = rows_query(marker, 1_000, 3);
    let c = master();
    let whole = c.sql_result(&query).unwrap();
    let mut reader = c.sql_reader(&query).unwrap();
    let chunks = read_checked(&mut reader, 300, 3);
    assert_eq!(
        chunks.iter().map(ResultSet::row_count).collect::<Vec<_>>(),
        [300, 300, 300, 100]
    );
    let mut row = 0;
    for chunk in &chunks {
        for r in 0..chunk.row_count() {
            for col in 0..6 {
                assert_eq!(
                    chunk.column(col).unwrap().text(r).unwrap(),
                    whole.column(col).unwrap().text(row).unwrap()
                );
            }
            row += 1;
        }
    }
    assert_eq!(
        logged(marker).len(),
        2,
        "sql_result's and the reader's: no probe"
    );
}

#[test]
fn an_error_after_rows_were_sent_fails_the_read_and_is_never_a_shorter_result() {
    let c = master();
    // Rows well past the read-ahead arrive before PostgreSQL divides by zero.
    let query = "select g, repeat('y', 200) as pad, 1 / (50000 - g) as boom \
                 from generate_series(1, 80000) g";
    let mut reader = c.sql_reader(query).unwrap();
    let mut rows = 0;
    let error = loop {
        match reader.next_chunk(5_000) {
            Ok(Some(chunk)) => rows += chunk.row_count(),
            Ok(None) => panic!("the failure was not reported after {rows} rows"),
            Err(e) => break e,
        }
    };
    assert_eq!(error.kind(), ErrorKind::QueryFailed, "{error}");
    assert!(error.message().contains("division by zero"), "{error}");
    assert!((5_000..50_000).contains(&rows), "{rows} rows");
    assert!(reader.is_done());
    let again = reader.next_chunk(5_000).unwrap_err();
    assert_eq!(again.kind(), ErrorKind::QueryFailed);
}

#[test]
fn a_statement_whose_types_cannot_be_asked_first_runs_once_and_reads_whole() {
    let c = master();
    c.sql_result(
        "drop table if exists reader_returning; create table reader_returning (id int, pad text)",
    )
    .unwrap();
    let insert = "insert into reader_returning select g, repeat('z', 200) from generate_series(1, 30000) g returning id, pad";
    let mut reader = c.sql_reader(insert).unwrap();
    let mut rows = 0;
    while let Some(chunk) = reader.next_chunk(4_000).unwrap() {
        rows += chunk.row_count();
        assert_eq!(chunk.column(0).unwrap().kind(), ColumnKind::Int);
    }
    assert_eq!(rows, 30_000);
    let count = c
        .sql_result("select count(*) as n from reader_returning")
        .unwrap();
    assert_eq!(
        count.column(0).unwrap().int64(0).unwrap(),
        30_000,
        "the insert ran once"
    );

    // The same answer beyond the body limit cannot be read: it says why.
    let small = master_with(limited(1 << 20));
    let mut reader = small.sql_reader(insert).unwrap();
    let e = reader.next_chunk(4_000).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BodyTooLarge, "{e}");
    assert!(e.message().contains("cannot be read in chunks"), "{e}");
    assert!(
        e.message()
            .contains("asking for the answer's columns first failed"),
        "{e}"
    );
    c.sql_result("drop table reader_returning").unwrap();
}

/// Rows of `marker`'s query that PostgreSQL is still running, as the master role sees them.
fn running(c: &Client, marker: &str) -> i64 {
    let check = format!(
        "select count(*) as n from pg_stat_activity where state = 'active' and query like '%{marker}%' and pid <> pg_backend_pid() and query not like '%pg_stat_activity%'"
    );
    c.sql_result(&check)
        .unwrap()
        .column(0)
        .unwrap()
        .int64(0)
        .unwrap()
}

#[test]
fn dropping_a_reader_between_chunks_stops_the_query_on_the_server() {
    let marker = "dropped-between-chunks";
    let c = master();
    // About 2 GB of JSON: only a stop makes it end soon.
    let mut reader = c.sql_reader(&rows_query(marker, 10_000_000, 100)).unwrap();
    let first = reader.next_chunk(1_000).unwrap().unwrap();
    assert_eq!(first.row_count(), 1_000);
    assert_eq!(
        running(&c, marker),
        1,
        "the query runs while the reader is open"
    );
    drop(reader);
    let until = Instant::now() + Duration::from_secs(30);
    while running(&c, marker) > 0 {
        assert!(
            Instant::now() < until,
            "the query still runs after the reader was dropped"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let entry = logged(marker)
        .into_iter()
        .find(|r| !r.query.contains("LIMIT+0"))
        .unwrap();
    assert!(entry.response_bytes < 1 << 30, "{entry:?}");
}

#[test]
fn the_interrupt_hook_stops_a_read_and_every_later_one() {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let c = master_with(ClientOptions {
        interrupt: Some(InterruptHook::new(move || flag.load(Ordering::SeqCst))),
        ..Default::default()
    });
    let mut reader = c
        .sql_reader(&rows_query("interrupted", 10_000_000, 100))
        .unwrap();
    assert_eq!(reader.next_chunk(100).unwrap().unwrap().row_count(), 100);
    stop.store(true, Ordering::SeqCst);
    let e = reader.next_chunk(100_000).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert!(e.message().contains("interrupted"), "{e}");
    stop.store(false, Ordering::SeqCst);
    assert_eq!(
        reader.next_chunk(100).unwrap_err().kind(),
        ErrorKind::Cancelled
    );
    assert!(reader.is_done());
}

#[test]
fn the_progress_callback_sees_the_answer_arrive_and_can_cancel_a_read() {
    let c = master();
    let mut reader = c
        .sql_reader(&rows_query("progress", 10_000_000, 100))
        .unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let most = Arc::clone(&seen);
    reader.set_progress(Some(Box::new(move |p| {
        most.fetch_max(p.downloaded, Ordering::SeqCst);
        p.downloaded < 30 << 20
    })));
    let mut rows = 0;
    let e = loop {
        match reader.next_chunk(50_000) {
            Ok(Some(chunk)) => rows += chunk.row_count(),
            Ok(None) => panic!("a 2 GB answer ended"),
            Err(e) => break e,
        }
    };
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert!(rows > 0);
    let downloaded = seen.load(Ordering::SeqCst);
    assert!((30 << 20..40 << 20).contains(&downloaded), "{downloaded}");
}

#[test]
fn a_connection_that_breaks_mid_answer_is_an_error() {
    let emu = emulator();
    let c = master_with(ClientOptions {
        retry: RetryPolicy {
            max_attempts: 1,
            max_wait: Duration::ZERO,
        },
        ..Default::default()
    });
    let mut request = Request::sql(&rows_query("broken", 100_000, 50), None);
    for (name, value) in emu.fault_headers(&Fault::once().abort_after(6 << 20)) {
        request = request.header(&name, &value);
    }
    let mut reader = c.result_reader(request).unwrap();
    let mut rows = 0;
    let e = loop {
        match reader.next_chunk(10_000) {
            Ok(Some(chunk)) => rows += chunk.row_count(),
            Ok(None) => panic!("a broken answer ended well after {rows} rows"),
            Err(e) => break e,
        }
    };
    assert!(
        matches!(e.kind(), ErrorKind::Connection | ErrorKind::ResultFormat),
        "{e}"
    );
    assert!(rows < 100_000);
}

#[test]
fn a_server_that_stops_sending_times_out_or_is_interrupted() {
    use std::io::Write;
    // Part of an answer, then silence (the connection stays open).
    let server = support::Scripted::start(|_, stream| {
        let body = b"{\"rows\":[{\"a\":1},";
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len() + 1000
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
        let _ = stream.flush();
        std::thread::sleep(Duration::from_secs(120));
    });
    let base = format!("{}/user/demo", server.origin());
    let creds = Credentials::new(None, Some("k3y"), Some(&base), true).unwrap();

    let quick = Client::new(
        creds.clone(),
        ClientOptions {
            idle_timeout: Duration::from_millis(800),
            ..Default::default()
        },
    )
    .unwrap();
    let mut reader = quick.sql_reader("select 1 as a").unwrap();
    let e = reader.next_chunk(10).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");

    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let patient = Client::new(
        creds,
        ClientOptions {
            interrupt: Some(InterruptHook::new(move || flag.load(Ordering::SeqCst))),
            ..Default::default()
        },
    )
    .unwrap();
    let mut reader = patient.sql_reader("select 1 as a").unwrap();
    let flip = Arc::clone(&stop);
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        flip.store(true, Ordering::SeqCst);
    });
    let e = reader.next_chunk(10).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    timer.join().unwrap();
}

fn carto3_client(cache: &std::path::Path, max_body_size: u64) -> Client {
    let emu = emulator();
    let c3 = emu.carto3();
    let creds = Credentials::builder()
        .base_url(&c3.api_base_url)
        .platform(Platform::Carto3)
        .allow_non_secure(true)
        .auth_url(c3.issuer.trim_end_matches('/'))
        .m2m_client(&c3.m2m().client_id, &c3.m2m().client_secret)
        .build()
        .unwrap();
    Client::new(
        creds,
        ClientOptions {
            token_cache: TokenCache::Directory(cache.to_path_buf()),
            max_body_size,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn carto3_results_read_in_chunks_and_the_row_cap_is_an_error() {
    let cache = tempfile::tempdir().unwrap();
    let c = carto3_client(cache.path(), 1 << 20);
    let query = rows_query("carto3-chunks", 40_000, 100);
    let mut reader = c.sql_v3_reader("carto_dw", &query, None).unwrap();
    let mut rows = 0;
    while let Some(chunk) = reader.next_chunk(9_000).unwrap() {
        let c = |i: usize| chunk.column(i).unwrap();
        assert_eq!(c(0).kind(), ColumnKind::Float, "CARTO 3 says number");
        assert_eq!(c(1).kind(), ColumnKind::Int, "bigint");
        for row in 0..chunk.row_count() {
            rows += 1;
            assert_eq!(c(1).int64(row).unwrap(), rows * 1_000_003);
        }
    }
    assert_eq!(rows, 40_000);
    let probes = logged("carto3-chunks")
        .into_iter()
        .filter(|r| r.query.contains("LIMIT+0"))
        .count();
    assert_eq!(probes, 1);

    // CARTO cuts a synchronous query at 200,000 rows: an answer of that many is an error.
    let mut reader = c
        .sql_v3_reader(
            "carto_dw",
            "select g from generate_series(1, 200005) g",
            None,
        )
        .unwrap();
    let mut rows = 0;
    let e = loop {
        match reader.next_chunk(50_000) {
            Ok(Some(chunk)) => rows += chunk.row_count(),
            Ok(None) => panic!("a capped answer ended well"),
            Err(e) => break e,
        }
    };
    assert_eq!(e.kind(), ErrorKind::QueryFailed, "{e}");
    assert!(e.message().contains("200000 rows"), "{e}");
    assert!(rows < 200_000);
}

#[test]
fn a_refused_query_gives_the_servers_answer_when_asked_and_an_error_otherwise() {
    let c = master();
    let refusal = c
        .result_reader_or_refusal(Request::sql("select * from no_such_table_r", None))
        .unwrap()
        .unwrap_err();
    assert_eq!(refusal.status(), 400);
    let message = refusal.carto_error_message().unwrap();
    assert!(message.contains("no_such_table_r"), "{message}");
    let e = refusal.check().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpClientError, "{e}");

    let e = c
        .result_reader(Request::sql("select * from no_such_table_r", None))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpClientError, "{e}");
    assert!(e.to_string().contains("no_such_table_r"), "{e}");

    let mut reader = c
        .result_reader_or_refusal(Request::sql("select 7 as seven", None))
        .unwrap()
        .unwrap();
    let chunk = reader.next_chunk(10).unwrap().unwrap();
    assert_eq!(chunk.row_count(), 1);
    assert!(reader.next_chunk(10).unwrap().is_none());
}
