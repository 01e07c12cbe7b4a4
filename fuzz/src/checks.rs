//! What every input of each target must satisfy. A panic inside the library, or an `assert!`
//! here, is a crash. Both drivers call these: the stable one with structured inputs
//! (`inputs.rs`), libFuzzer's with inputs decoded from bytes (`bytes.rs`).

use crate::grammar::{PASSWORD, SECRET};
use cartoauth::client::BatchJob;
use cartoauth::fuzzing;
use cartoauth::result::{Cell, Column, ColumnKind};
use cartoauth::{Credentials, ErrorKind, FileFormat, ResultSet};

/// Messages echo bounded excerpts of what they were given.
const MAX_EXCERPT_MESSAGE_BYTES: usize = 2048;
/// Every message is cut to 16 KiB (and says how long it was).
const MAX_MESSAGE_BYTES: usize = 16 * 1024 + 64;

/// A credentials file's text, read with and without `allow_non_secure`.
pub fn config_file(text: &str) {
    for allow in [false, true] {
        match fuzzing::credentials_from_file_text(text, allow) {
            Ok(credentials) => saved_credentials_load_back(&credentials),
            Err(e) => assert!(
                e.message().len()
                    < MAX_EXCERPT_MESSAGE_BYTES + text.len().min(MAX_EXCERPT_MESSAGE_BYTES)
            ),
        }
    }
}

/// Whatever was accepted is saved in every layout and loads back the same.
fn saved_credentials_load_back(credentials: &Credentials) {
    for format in [FileFormat::CartoCreds, FileFormat::CartoFrames] {
        let text = fuzzing::file_text(credentials, format);
        let loaded = fuzzing::credentials_from_file_text(&text, false)
            .unwrap_or_else(|e| panic!("saved as {format:?} but does not load: {e}\n{text}"));
        assert_eq!(loaded.base_url(), credentials.base_url(), "{text}");
        assert_eq!(loaded.username(), credentials.username(), "{text}");
        assert_eq!(loaded.api_key().expose(), credentials.api_key().expose());
        assert_eq!(loaded.allow_non_secure(), credentials.allow_non_secure());
    }
}

/// A base URL; `has_password` when it was built with [`PASSWORD`] in its userinfo.
pub fn base_url(url: &str, has_password: bool) {
    for allow in [false, true] {
        match Credentials::new(None, Some("k"), Some(url), allow) {
            Ok(c) => {
                assert!(!c.base_url().contains(PASSWORD), "{url}");
                let again = Credentials::new(None, Some("k"), Some(c.base_url()), allow)
                    .unwrap_or_else(|e| panic!("{} does not parse again: {e}", c.base_url()));
                assert_eq!(again.base_url(), c.base_url());
                assert_eq!(again.username(), c.username());
                saved_credentials_load_back(&c);
            }
            Err(e) => {
                assert!(
                    e.message().len() < MAX_EXCERPT_MESSAGE_BYTES,
                    "{}",
                    e.message().len()
                );
                if has_password {
                    assert!(!e.message().contains(PASSWORD), "{url:?}: {}", e.message());
                    assert!(!format!("{e:?}").contains(PASSWORD));
                }
            }
        }
    }
}

/// A response body with a status.
pub fn error_body(body: &[u8], status: u16) {
    if let Some(message) = fuzzing::carto_error_message(body) {
        assert!(message.len() <= MAX_MESSAGE_BYTES, "{}", message.len());
    }
    let (_, checked) = fuzzing::answer(status, Vec::new(), body.to_vec());
    assert_eq!(checked.is_err(), status >= 400, "status {status}");
    if let Err(e) = checked {
        assert_eq!(e.http_status(), Some(status));
        assert!(
            e.message().len() <= MAX_MESSAGE_BYTES,
            "{}",
            e.message().len()
        );
    }
}

/// Response headers with a status.
pub fn headers(headers: &[(String, String)], status: u16) {
    let (limits, checked) = fuzzing::answer(status, headers.to_vec(), Vec::new());
    let expected_retry = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, v)| v.trim().parse::<i64>().ok());
    assert_eq!(limits.retry_after, expected_retry, "{headers:?}");
    assert_eq!(checked.is_err(), status >= 400);
}

/// Text holding [`SECRET`] as a secret parameter's value or [`PASSWORD`] as a URL's password.
pub fn redaction(text: &str) {
    let shown = fuzzing::redact_message(text);
    assert!(!shown.contains(SECRET), "{text:?} -> {shown:?}");
    assert!(!shown.contains(PASSWORD), "{text:?} -> {shown:?}");
    assert!(shown.len() <= MAX_MESSAGE_BYTES, "{}", shown.len());
}

/// A SQL API answer: refused with a bounded message, or read so that every cell reads back.
pub fn result_json(body: &[u8]) {
    let result = match ResultSet::from_json(body) {
        Ok(result) => result,
        Err(e) => {
            assert!(
                matches!(e.kind(), ErrorKind::ResultFormat | ErrorKind::QueryFailed),
                "{e:?}"
            );
            assert!(
                e.message().len() <= MAX_MESSAGE_BYTES,
                "{}",
                e.message().len()
            );
            return;
        }
    };
    for column in result.columns() {
        assert_eq!(
            column.nulls().len(),
            result.row_count(),
            "{}",
            column.name()
        );
        for row in 0..result.row_count() {
            cell_reads_back(column, row);
        }
    }
}

/// A cell is NULL, a value of its column's kind, or unfit; its text reads, and a date or time
/// written as text is read back as the same value.
fn cell_reads_back(column: &Column, row: usize) {
    let cell = column.cell(row);
    let text = column.text(row);
    match cell {
        Cell::Null => {
            assert_eq!(text.unwrap_err().kind(), ErrorKind::ResultNull);
            return;
        }
        Cell::Unfit(sent) => {
            assert_eq!(text.as_deref(), Ok(sent));
            let typed = match column.kind() {
                ColumnKind::Int => column.int64(row).err(),
                ColumnKind::Float => column.double(row).err(),
                ColumnKind::Bool => column.bool(row).err(),
                ColumnKind::Timestamp => column.time_micros(row).err(),
                ColumnKind::Date => column.date_days(row).err(),
                ColumnKind::Geometry => column.wkb(row).err(),
                ColumnKind::Text => panic!("a text cell is never unfit"),
            };
            let error = typed.expect("an unfit cell is not its column's type");
            assert_eq!(error.kind(), ErrorKind::ResultType);
            assert!(error.message().len() <= MAX_MESSAGE_BYTES);
            return;
        }
        _ => {}
    }
    let text = text.expect("a cell that is not NULL has text");
    let again = |pgtype: &str| {
        let body = serde_json::json!({"rows": [{"a": text}],
            "fields": {"a": {"type": "date", "pgtype": pgtype}}});
        ResultSet::from_json(body.to_string().as_bytes()).expect("one cell of our own text")
    };
    match cell {
        Cell::Date(days) => {
            let back = again("date");
            assert_eq!(
                back.column(0).unwrap().date_days(0).ok(),
                Some(days),
                "{text}"
            );
        }
        Cell::Timestamp(micros) => {
            let back = again("timestamptz");
            assert_eq!(
                back.column(0).unwrap().time_micros(0).ok(),
                Some(micros),
                "{text}"
            );
        }
        _ => {}
    }
    let _ = (column.int64(row), column.double(row), column.bool(row));
    let _ = (
        column.time_micros(row),
        column.date_days(row),
        column.wkb(row),
    );
}

/// A Batch SQL API job document: read with bounded failure reasons, or refused.
pub fn batch_job(body: &[u8]) {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(body) else {
        return;
    };
    match BatchJob::from_json(&doc) {
        Ok(job) => {
            assert!(!job.id.is_empty());
            let reasons = job.queries.iter().filter_map(|q| q.failed_reason.as_ref());
            for reason in job.failed_reason.iter().chain(reasons) {
                assert!(reason.len() <= MAX_MESSAGE_BYTES, "{}", reason.len());
            }
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::Protocol, "{e:?}"),
    }
}
