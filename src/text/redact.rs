//! Removing secrets from text that may be shown: URLs in messages and logs.
//!
//! carto-python and GDAL send the key as an `api_key` query parameter, HTTP libraries put the
//! URL in their error messages, and users paste `https://user:password@host` URLs, so every
//! message passes through [`message`] before it is stored in an [`crate::Error`] or handed to C.

use std::borrow::Cow;

const REDACTED: &str = "REDACTED";

/// Redacts everything this module knows: userinfo in URLs, then secret query parameters.
pub fn message(text: &str) -> String {
    query_keys(&userinfo(text))
}

/// Replaces the value of every parameter whose name looks like a secret (`api_key`, `apikey`,
/// `key`, `map_key`, `access_token`, `password`, ...) with `REDACTED`.
///
/// Names are percent-decoded (repeatedly, so `api%255Fkey` counts) and compared without case,
/// `_`, `-` or `.`, so spellings a server or a user might choose are all caught. The separator
/// may be `=` or `%3D`, or `:` after a quoted name (JSON); the value may follow spaces and may
/// be quoted.
pub fn query_keys(text: &str) -> String {
    let bytes = text.as_bytes();
    // Every separator is examined, even one inside a value already found: an unquoted value
    // can swallow the next parameter's name (`x_key={api_key="S"`), so values are collected
    // as spans and overlapping spans merged, rather than skipping past each value.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let Some((separator_len, needs_quoted_name)) = separator_at(bytes, i) else {
            i += 1;
            continue;
        };
        let (name, quoted) = name_before(text, i);
        if (!needs_quoted_name || quoted) && is_secret_name(name) {
            let (value_start, value_end, value_quoted) = value_after(bytes, i + separator_len);
            // JSON (`"api_key": "S"`): only a quoted value is a value; `field "key": expected
            // a string` is a message about the field.
            if value_end > value_start && (value_quoted || !needs_quoted_name) {
                match spans.last_mut() {
                    Some(last) if value_start <= last.1 => last.1 = last.1.max(value_end),
                    _ => spans.push((value_start, value_end)),
                }
            }
        }
        i += separator_len;
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in spans {
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED);
        copied = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// `=` or `%3D` (a nested, encoded URL) end a name; `:` does too when the name is quoted.
fn separator_at(bytes: &[u8], i: usize) -> Option<(usize, bool)> {
    match bytes[i] {
        b'=' => Some((1, false)),
        b':' => Some((1, true)),
        b'%' if bytes.get(i + 1) == Some(&b'3')
            && bytes
                .get(i + 2)
                .is_some_and(|b| b.eq_ignore_ascii_case(&b'd')) =>
        {
            Some((3, false))
        }
        _ => None,
    }
}

fn ends_name(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'?' | b'&'
                | b';'
                | b','
                | b'('
                | b'{'
                | b'['
                | b'<'
                | b'>'
                | b'/'
                | b'#'
                | b'"'
                | b'\''
                | b'='
        )
}

/// The parameter name that ends at `end` (spaces before the separator skipped), and whether it
/// was quoted.
fn name_before(text: &str, end: usize) -> (&str, bool) {
    let bytes = text.as_bytes();
    let mut stop = end;
    while stop > 0 && matches!(bytes[stop - 1], b' ' | b'\t') {
        stop -= 1;
    }
    if stop > 0 && matches!(bytes[stop - 1], b'"' | b'\'') {
        let quote = bytes[stop - 1];
        let inner_end = stop - 1;
        let start = bytes[..inner_end]
            .iter()
            .rposition(|&b| b == quote)
            .map_or(0, |p| p + 1);
        // A Debug-escaped quote (`\"`) leaves a backslash at the end of the name.
        return (text[start..inner_end].trim_end_matches('\\'), true);
    }
    let start = bytes[..stop]
        .iter()
        .rposition(|&b| ends_name(b))
        .map_or(0, |p| p + 1);
    (&text[start..stop], false)
}

/// Whether a (possibly percent-encoded) parameter name names a secret.
fn is_secret_name(name: &str) -> bool {
    let mut decoded: Cow<'_, str> = Cow::Borrowed(name);
    for _ in 0..3 {
        let next = percent_encoding::percent_decode_str(&decoded)
            .decode_utf8_lossy()
            .into_owned();
        if next == decoded {
            break;
        }
        decoded = Cow::Owned(next);
    }
    let normalized: String = decoded
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    ["key", "token", "password", "passwd", "secret"]
        .iter()
        .any(|suffix| normalized.ends_with(suffix))
}

/// The value after a separator: leading spaces skipped, quoted values up to their closing quote;
/// and whether it was quoted.
fn value_after(bytes: &[u8], mut start: usize) -> (usize, usize, bool) {
    while start < bytes.len() && matches!(bytes[start], b' ' | b'\t') {
        start += 1;
    }
    let mut quote = None;
    if bytes.get(start) == Some(&b'\\') && matches!(bytes.get(start + 1), Some(b'"' | b'\'')) {
        quote = Some(bytes[start + 1]);
        start += 2;
    } else if let Some(&q @ (b'"' | b'\'')) = bytes.get(start) {
        quote = Some(q);
        start += 1;
    }
    let end = match quote {
        Some(q) => bytes[start..]
            .iter()
            .position(|&b| b == q || b == b'\\')
            .map_or(bytes.len(), |p| start + p),
        None => bytes[start..]
            .iter()
            .position(|&b| {
                b.is_ascii_whitespace()
                    || matches!(
                        b,
                        b'&' | b'#'
                            | b'"'
                            | b'\''
                            | b'<'
                            | b'>'
                            | b';'
                            | b','
                            | b')'
                            | b'}'
                            | b']'
                            | b'\\'
                    )
            })
            .map_or(bytes.len(), |p| start + p),
    };
    (start, end, quote.is_some())
}

/// Replaces the userinfo (`user:password@`) of every URL-like token with `***`.
///
/// A token is a scheme (`https:`, `ftp:`, ...) and what follows it up to a space or quote. Its
/// userinfo is everything between the scheme's slashes and the last `@` before any `?` or `#`,
/// the way a lenient URL parser would read it, so `https://a:p@ss@h`, `https:a:pw@h` and
/// `https://a:pa/ss@h` all lose their password, even when the URL is not valid.
pub fn userinfo(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b':' || !scheme_ends_at(bytes, i) {
            i += 1;
            continue;
        }
        let token_end = bytes[i + 1..]
            .iter()
            .position(|&b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<' | b'>'))
            .map_or(bytes.len(), |p| i + 1 + p);
        let authority_start = bytes[i + 1..token_end]
            .iter()
            .position(|&b| !matches!(b, b'/' | b'\\'))
            .map_or(token_end, |p| i + 1 + p);
        let before_query = bytes[authority_start..token_end]
            .iter()
            .position(|&b| matches!(b, b'?' | b'#'))
            .map_or(token_end, |p| authority_start + p);
        if let Some(at) = bytes[authority_start..before_query]
            .iter()
            .rposition(|&b| b == b'@')
        {
            out.push_str(&text[copied..authority_start]);
            out.push_str("***");
            copied = authority_start + at;
        }
        i = token_end.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

/// Whether the `:` at `colon` ends a URL scheme: scheme characters from the first letter of the
/// run before it (so `x1https:` still counts, as a lenient reader would see it). One letter is
/// enough (`h:` is a valid scheme); a Windows path like `C:\a@b` is cut too, which is safe.
fn scheme_ends_at(bytes: &[u8], colon: usize) -> bool {
    let run_start = bytes[..colon]
        .iter()
        .rposition(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
        .map_or(0, |p| p + 1);
    bytes[run_start..colon]
        .iter()
        .position(u8::is_ascii_alphabetic)
        .is_some()
}

/// What messages show of a parsed URL: scheme, host, port and path; never userinfo, query
/// string or fragment.
pub fn url(url: &url::Url) -> String {
    use url::Position;
    // Sliced from the serialization rather than rebuilt through setters, which re-parse and
    // re-serialize: every request describes its URL (for messages), so this is on the hot path.
    if url.has_host() {
        return format!(
            "{}://{}",
            url.scheme(),
            &url[Position::BeforeHost..Position::AfterPath]
        );
    }
    url[..Position::AfterPath].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_parameter_is_redacted() {
        assert_eq!(
            query_keys("GET https://u.carto.com/api/v2/sql?q=1&api_key=abc123&x=2 failed"),
            "GET https://u.carto.com/api/v2/sql?q=1&api_key=REDACTED&x=2 failed"
        );
        assert_eq!(
            query_keys("a?API_KEY=k1&map_key=k2"),
            "a?API_KEY=REDACTED&map_key=REDACTED"
        );
        assert_eq!(
            query_keys("url: \"h?api_key=k\""),
            "url: \"h?api_key=REDACTED\""
        );
        assert_eq!(query_keys("api_key="), "api_key=");
        assert_eq!(query_keys("no keys here"), "no keys here");
        assert_eq!(query_keys("é api_key=ключ é"), "é api_key=REDACTED é");
    }

    #[test]
    fn spellings_encodings_spaces_and_quotes_are_redacted() {
        for text in [
            "h?api%5Fkey=S3CRET&x=1",
            "h?api%5fkey=S3CRET",
            "h?api%255Fkey=S3CRET",
            "h?apikey=S3CRET",
            "h?ApiKey=S3CRET",
            "h?key=S3CRET",
            "h?api-key=S3CRET",
            "h?access_token=S3CRET",
            "h?password=S3CRET",
            "api_key= S3CRET",
            "api_key = S3CRET",
            "api_key=\"S3CRET\"",
            "api_key=\"S3CRET",
            "api_key='S3CRET'",
            "api_key=\\\"S3CRET\\\"",
            "next=https%3A%2F%2Fh%2Fx%3Fapi_key%3DS3CRET",
            "{\"api_key\": \"S3CRET\"}",
            "{\"api_key\":\"S3CRET\"}",
            "{\\\"api_key\\\":\\\"S3CRET\\\"}",
            // A value that runs into the next secret parameter must not hide it.
            "x_key={:0api%5Fkey=\"S3CRET\"",
            "key=a&api_key=S3CRET",
        ] {
            let shown = query_keys(text);
            assert!(!shown.contains("S3CRET"), "{text} -> {shown}");
            assert!(shown.contains(REDACTED), "{text} -> {shown}");
        }
    }

    #[test]
    fn harmless_parameters_and_prose_are_kept() {
        for text in [
            "h?q=select 1&format=csv",
            "field \"username\": \"alice\"",
            "line 3 column 5: expected value",
            "a=b c=d",
            "/tmp/c.json: field \"api_key\": expected a string, found 3",
        ] {
            assert_eq!(query_keys(text), text);
        }
    }

    #[test]
    fn userinfo_is_removed_from_valid_and_invalid_urls() {
        for (text, shown) in [
            ("https://alice:p@ssw0rd@host/", "https://***@host/"),
            ("https://alice:pa/ssw0rd@host/x", "https://***@host/x"),
            ("https:alice:PASSW0RD@host/", "https:***@host/"),
            ("https:/alice:PASSW0RD@host/", "https:/***@host/"),
            ("https:\\\\alice:PASSW0RD@host/", "https:\\\\***@host/"),
            (
                "see \"http://u:PW@h:1/p?x=a@b\" now",
                "see \"http://***@h:1/p?x=a@b\" now",
            ),
            ("ftp://u:PW@h", "ftp://***@h"),
            ("1https://u:PW@h", "1https://***@h"),
            ("h::PW@h", "h:***@h"),
            ("h:\\\\r:PW@x@y", "h:\\\\***@y"),
        ] {
            assert_eq!(userinfo(text), shown, "{text}");
        }
        for text in ["mail alice@example.com", "x: y@z", "https://h/p"] {
            assert_eq!(userinfo(text), text);
        }
    }

    #[test]
    fn urls_are_shown_without_userinfo_query_or_fragment() {
        let u = url::Url::parse("https://a:PW@h.carto.com:8443/user/x?api_key=K#f").unwrap();
        assert_eq!(url(&u), "https://h.carto.com:8443/user/x");
        for (given, shown) in [
            ("http://u@127.0.0.1:80/a%20b?q=1", "http://127.0.0.1/a%20b"),
            ("https://[::1]:9/", "https://[::1]:9/"),
            ("https://h", "https://h/"),
            ("mailto:a@b?subject=k", "mailto:a@b"),
        ] {
            assert_eq!(url(&url::Url::parse(given).unwrap()), shown, "{given}");
        }
    }
}
