//! The COPY API: copyfrom (chunked, gzip) and copyto, errors, and large transfers in constant
//! memory.

mod common;

use std::io::{Read, Write};

use common::*;
use serde_json::json;

fn copy_url(emu: &Emulator, what: &str, q: &str, key: &str) -> String {
    format!(
        "{}/api/v2/sql/{what}?q={}&api_key={key}",
        emu.base_url("demo"),
        enc(q)
    )
}

/// A body of unknown length, so it is sent chunked.
struct Chunked(std::io::Cursor<Vec<u8>>);
impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(1000);
        self.0.read(&mut buf[..n])
    }
}

fn post_reader(
    emu: &Emulator,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Read + Send + 'static,
) -> Resp {
    let mut req = emu
        .agent()
        .post(url)
        .header("Content-Type", "application/octet-stream");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut r = req.send(ureq::SendBody::from_owned_reader(body)).unwrap();
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = r.body_mut().read_to_vec().unwrap();
    Resp {
        status,
        headers,
        body,
    }
}

#[test]
fn copy_round_trip_with_gzip_and_chunks() {
    let emu = shared();
    let master = emu.key("demo", "master");
    master_sql(
        emu,
        "create table copy_t (a int, b text, g geometry(Point, 4326))",
    );
    let csv = "a,b,g\n1,one,SRID=4326;POINT(1 1)\n2,\"t,wo\",SRID=4326;POINT(2 2)\n3,,\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(csv.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let url = copy_url(
        emu,
        "copyfrom",
        "COPY copy_t (a, b, g) FROM stdin WITH (FORMAT csv, HEADER true)",
        &master,
    );
    let r = post_reader(
        emu,
        &format!("{url}&client=cps-1.11.3"),
        &[("Content-Encoding", "gzip")],
        Chunked(std::io::Cursor::new(gz)),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["total_rows"], 3);
    assert!(v["time"].is_number());
    assert_eq!(v.as_object().unwrap().len(), 2);

    // Uncompressed, with the key in a Basic header instead.
    let url = format!(
        "{}/api/v2/sql/copyfrom?q={}",
        emu.base_url("demo"),
        enc("COPY copy_t (a, b) FROM STDIN")
    );
    let r = post_reader(
        emu,
        &url,
        &[("Authorization", &basic("demo", &master))],
        Chunked(std::io::Cursor::new(b"4\tfour\n".to_vec())),
    );
    assert_eq!(r.json()["total_rows"], 1, "{}", r.text());

    let url = copy_url(
        emu,
        "copyto",
        "COPY (SELECT a, b, ST_AsText(g) FROM copy_t ORDER BY a) TO STDOUT",
        &master,
    );
    let r = get(emu, &url, &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").unwrap(),
        "application/octet-stream"
    );
    assert_eq!(
        r.header("content-disposition").unwrap(),
        "attachment; filename=carto-sql-copyto.dmp"
    );
    assert_eq!(
        r.text(),
        "1\tone\tPOINT(1 1)\n2\tt,wo\tPOINT(2 2)\n3\t\\N\t\\N\n4\tfour\t\\N\n"
    );
    let r = send(
        emu,
        "POST",
        &format!("{url}&filename=/tmp/output.dmp"),
        &[],
        None,
    );
    assert_eq!(
        r.header("content-disposition").unwrap(),
        "attachment; filename=%2Ftmp%2Foutput.dmp"
    );
    assert!(r.text().starts_with("1\tone"));
}

#[test]
fn copy_errors() {
    let emu = shared();
    let master = emu.key("demo", "master");
    let post = |url: String, body: &[u8], headers: &[(&str, &str)]| {
        send(
            emu,
            "POST",
            &url,
            headers,
            Some(("application/octet-stream", body.to_vec())),
        )
    };
    master_sql(emu, "create table copy_e (a int)");
    let r = post(
        copy_url(emu, "copyfrom", "COPY copy_e FROM STDIN", &master),
        b"",
        &[],
    );
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": ["No rows copied"]}))
    );
    let r = post(copy_url(emu, "copyfrom", "SELECT 1", &master), b"1\n", &[]);
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": ["SQL must start with COPY"]}))
    );
    let r = post(
        format!(
            "{}/api/v2/sql/copyfrom?api_key={master}",
            emu.base_url("demo")
        ),
        b"1\n",
        &[],
    );
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": ["SQL is missing"]}))
    );
    let r = post(
        copy_url(emu, "copyfrom", "COPY any_wrong_table FROM STDIN", &master),
        b"1\n",
        &[],
    );
    assert_eq!(r.status, 400);
    assert!(
        r.text()
            .contains("relation \\\"any_wrong_table\\\" does not exist"),
        "{}",
        r.text()
    );
    let r = post(
        copy_url(emu, "copyfrom", "COPY copy_e FROM STDIN", &master),
        b"not gzip",
        &[("Content-Encoding", "gzip")],
    );
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"][0]
            .as_str()
            .unwrap()
            .starts_with("Error while gunzipping"),
        "{}",
        r.text()
    );
    let r = post(
        copy_url(emu, "copyfrom", "COPY copy_e FROM STDIN", &master),
        b"x\n",
        &[],
    );
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains("invalid input syntax for type integer"),
        "{}",
        r.text()
    );
    let r = post(
        copy_url(
            emu,
            "copyfrom",
            "COPY points_private (name) FROM STDIN",
            "default_public",
        ),
        b"x\n",
        &[],
    );
    assert_eq!(
        (r.status, r.json()),
        (
            403,
            json!({"error": ["permission denied for table points_private"]})
        )
    );
    let r = get(
        emu,
        &copy_url(
            emu,
            "copyto",
            "COPY points_private TO STDOUT",
            "default_public",
        ),
        &[],
    );
    assert_eq!(r.status, 403);
    // The connection used by failed COPYs is healthy for the next request.
    assert_eq!(
        master_sql(emu, "select count(*) from copy_e")["rows"],
        json!([{"count": 0}])
    );
}

/// Generates `total` bytes of `n\tpadding\n` rows without holding them in memory.
struct Rows {
    left: u64,
    n: u64,
    pending: Vec<u8>,
}
impl Read for Rows {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            if self.left == 0 {
                return Ok(0);
            }
            self.n += 1;
            let mut line = format!("{}\t", self.n).into_bytes();
            line.resize(1000.min(self.left as usize).max(line.len() + 1) - 1, b'x');
            line.push(b'\n');
            self.left = self.left.saturating_sub(line.len() as u64);
            self.pending = line;
        }
        let k = buf.len().min(self.pending.len());
        buf[..k].copy_from_slice(&self.pending[..k]);
        self.pending.drain(..k);
        Ok(k)
    }
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[test]
fn large_transfers_stream_in_constant_memory() {
    // 64 MiB by default; CARTO_EMULATOR_BIG_COPY_MB=1024 checks a whole GiB.
    let mb: u64 = std::env::var("CARTO_EMULATOR_BIG_COPY_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let total = mb * 1024 * 1024;
    let emu = start();
    let master = emu.key("demo", "master");
    master_sql(&emu, "create unlogged table big (n bigint, pad text)");
    let url = copy_url(&emu, "copyfrom", "COPY big FROM STDIN", &master);
    let r = post_reader(
        &emu,
        &url,
        &[],
        Rows {
            left: total,
            n: 0,
            pending: Vec::new(),
        },
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let rows = r.json()["total_rows"].as_u64().unwrap();
    assert!(rows >= total / 1000, "{rows}");

    let url = copy_url(&emu, "copyto", "COPY big TO STDOUT", &master);
    let mut resp = emu.agent().get(&url).call().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let mut reader = resp.body_mut().with_config().limit(u64::MAX).reader();
    let mut buf = vec![0u8; 1 << 16];
    let (mut bytes, mut lines) = (0u64, 0u64);
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        bytes += n as u64;
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
    assert_eq!(bytes, total);
    assert_eq!(lines, rows);

    // The SQL API streams a result of the same size as JSON.
    let url = format!(
        "{}/api/v2/sql?q=select+n,pad+from+big&api_key={master}",
        emu.base_url("demo")
    );
    let mut resp = emu.agent().get(&url).call().unwrap();
    let mut reader = resp.body_mut().with_config().limit(u64::MAX).reader();
    let mut json_bytes = 0u64;
    let mut tail = Vec::new();
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        json_bytes += n as u64;
        tail.extend_from_slice(&buf[..n]);
        let keep = tail.len().saturating_sub(64);
        tail.drain(..keep);
    }
    assert!(json_bytes > total, "{json_bytes}");
    let tail = String::from_utf8_lossy(&tail);
    assert!(
        tail.ends_with(&format!("\"total_rows\":{rows}}}")),
        "{tail}"
    );
    // Nothing was buffered: the server's peak memory stays below the size of one transfer.
    let peak_mib = peak_rss_kib(emu.pid()) / 1024;
    assert!(
        peak_mib < 48,
        "emulator peak RSS {peak_mib} MiB after moving {mb} MiB three times"
    );
}
