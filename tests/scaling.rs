//! Every parser of untrusted input in linear time: the CPU time of 10x the input is at most
//! about 10x (a quadratic parser takes 100x; fuzzers rarely find that). Sizes are small enough
//! for a debug build; `support::cpu_growth` measures the calling thread's CPU time, so other
//! processes on the machine do not count.

mod support;

use cartoauth::client::BatchJob;
use cartoauth::{fuzzing, Credentials, ErrorKind, ResultSet};
use support::{cpu_growth, MAX_GROWTH};

fn assert_linear<T>(what: &str, n: usize, run: impl Fn(usize) -> T) {
    let ratio = cpu_growth(run, n);
    assert!(
        ratio < MAX_GROWTH,
        "{what}: 10x the input took {ratio:.1}x the CPU time"
    );
}

#[test]
fn credentials_files() {
    // Many fields a layout does not know, and one long value.
    assert_linear("unknown keys", 2_000, |n| {
        let fields: Vec<String> = (0..n)
            .map(|i| format!("\"extra{i}\": [{i}, \"x\"]"))
            .collect();
        let text = format!(
            "{{\"APIKEY\": \"k\", \"USERNAME\": \"jo\", {}}}",
            fields.join(", ")
        );
        fuzzing::credentials_from_file_text(&text, false).is_ok()
    });
    assert_linear("a long key", 20_000, |n| {
        let text = format!(
            "{{\"APIKEY\": \"{}\", \"USERNAME\": \"jo\"}}",
            "k".repeat(n)
        );
        fuzzing::credentials_from_file_text(&text, false).is_ok()
    });
}

#[test]
fn base_urls() {
    assert_linear("a long path", 5_000, |n| {
        let url = format!("https://h.example.com/user/jo/{}", "a/".repeat(n));
        Credentials::new(None, Some("k"), Some(&url), false).is_ok()
    });
    assert_linear("a long broken URL", 5_000, |n| {
        let url = format!("https://u:{}@h", "p:@".repeat(n));
        Credentials::new(None, Some("k"), Some(&url), false).is_err()
    });
}

#[test]
fn carto_error_bodies_and_headers() {
    assert_linear("error items", 2_000, |n| {
        let items: Vec<String> = (0..n).map(|i| format!("\"error {i} a:b=c\"")).collect();
        let body = format!("{{\"error\": [{}]}}", items.join(","));
        fuzzing::carto_error_message(body.as_bytes()).map(|m| m.len())
    });
    assert_linear("headers", 2_000, |n| {
        let headers: Vec<(String, String)> = (0..n)
            .map(|i| (format!("x-h{i}"), i.to_string()))
            .chain([("Retry-After".to_owned(), "5".to_owned())])
            .collect();
        fuzzing::answer(429, headers, Vec::new()).0.retry_after
    });
}

#[test]
fn redaction() {
    for unit in [
        "a:",
        "a%3D",
        "\"a\":",
        "key=",
        "https://a:",
        "x_key=\"",
        "a@b ",
        "Bearer ",
        "eyJhbGciOi.",
    ] {
        assert_linear(&format!("{unit:?} repeated"), 2_000, |n| {
            fuzzing::redact_unbounded(&unit.repeat(n)).len()
        });
    }
    // The bounded form every message takes costs the same whatever the text's length.
    let bounded = cpu_growth(|n| fuzzing::redact_message(&"a:".repeat(n)).len(), 20_000);
    assert!(bounded < MAX_GROWTH, "{bounded:.1}");
}

#[test]
fn sql_api_results() {
    let typed_rows = |n: usize| {
        let rows: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    "{{\"i\":{i},\"f\":\"1e400\",\"d\":\"0044-03-15 BC\",\"t\":\"+275760-09-13T00:00:00.000Z\",\"s\":\"\\ud800{i}\"}}"
                )
            })
            .collect();
        let body = format!(
            "{{\"rows\":[{}],\"fields\":{{\"i\":{{\"type\":\"number\",\"pgtype\":\"int8\"}},\"f\":{{\"type\":\"number\",\"pgtype\":\"numeric\"}},\"d\":{{\"type\":\"date\",\"pgtype\":\"date\"}},\"t\":{{\"type\":\"date\",\"pgtype\":\"timestamptz\"}}}},\"notices\":[\"n\"]}}",
            rows.join(",")
        );
        ResultSet::from_json(body.as_bytes()).unwrap().row_count()
    };
    assert_linear("rows of every kind, unfit cells included", 500, typed_rows);
    assert_linear("columns of one row", 2_000, |n| {
        let cells: Vec<String> = (0..n).map(|i| format!("\"c{i}\":{i}")).collect();
        let body = format!("{{\"rows\":[{{{}}}]}}", cells.join(","));
        ResultSet::from_json(body.as_bytes())
            .unwrap()
            .columns()
            .len()
    });
    assert_linear("a refused answer", 2_000, |n| {
        let cells: Vec<String> = (0..n).map(|i| format!("\"c{i}\":{i}")).collect();
        let body = format!("{{\"rows\":[{{{}}},{{\"other\":1}}]}}", cells.join(","));
        let err = ResultSet::from_json(body.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResultFormat);
    });
}

#[test]
fn batch_jobs() {
    assert_linear("queries of a job", 2_000, |n| {
        let queries: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                serde_json::json!({"query": format!("select {i}"), "status": "failed",
                "failed_reason": "a:".repeat(20)})
            })
            .collect();
        let doc = serde_json::json!({"job_id": "j", "status": "failed", "query": queries});
        BatchJob::from_json(&doc).unwrap().queries.len()
    });
}
