//! Removing secrets from text that may be shown: URLs in messages and logs.
//!
//! carto-python and GDAL send the key as an `api_key` query parameter, HTTP libraries put the
//! URL in their error messages, and users paste `https://user:password@host` URLs, so every
//! message passes through [`message`] before it is stored in an [`crate::Error`] or handed to C.
//!
//! Messages often carry text a server or a user chose (PostgreSQL echoes a bad value in full),
//! so the cost of redaction is bounded twice: [`message`] keeps at most [`MAX_MESSAGE_BYTES`],
//! and every scan here is linear in the text it is given (each byte is looked at a bounded
//! number of times, whatever the separators and quotes in it).

use std::borrow::Cow;

const REDACTED: &str = "REDACTED";

/// The longest message kept: longer text is cut (at a token boundary, so no half of a URL or
/// a value survives the cut unredacted) and its length said.
pub(crate) const MAX_MESSAGE_BYTES: usize = 16 * 1024;

/// Only this many bytes at the end of a parameter name are read to decide whether it names a
/// secret: enough for every spelling (`api%25255Fkey`), bounded for a name of a megabyte.
const NAME_TAIL_BYTES: usize = 256;

/// Bounds `text` (see [`MAX_MESSAGE_BYTES`]), then redacts everything this module knows:
/// userinfo in URLs, secret query parameters, then Bearer tokens and JWTs.
pub fn message(text: &str) -> String {
    let Some(kept) = cut_at_token(text, MAX_MESSAGE_BYTES) else {
        return tokens(&query_keys(&userinfo(text)));
    };
    let mut shown = tokens(&query_keys(&userinfo(kept)));
    shown.push_str(&format!("… ({} bytes in all)", text.len()));
    shown
}

/// Characters of a Bearer token (RFC 6750's b64token).
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')
}

/// Replaces CARTO 3 tokens with `REDACTED`: a token of 8 or more characters after `Bearer `
/// (any case), and every JWT (`eyJ…` header, payload and signature parts) wherever it
/// appears, in one pass.
pub fn tokens(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let before = (i > 0).then(|| bytes[i - 1]);
        let end = if before.is_some_and(|b| b.is_ascii_alphanumeric()) {
            None
        } else if bytes.len() - i > 7 && bytes[i..i + 6].eq_ignore_ascii_case(b"bearer") {
            let mut start = i + 6;
            while start < bytes.len() && matches!(bytes[start], b' ' | b'\t') {
                start += 1;
            }
            let end = start
                + bytes[start..]
                    .iter()
                    .take_while(|&&b| is_token_char(b))
                    .count();
            // Prose ("the bearer of") is not a token: CARTO's are far longer than 8.
            (start > i + 6 && end >= start + 8).then(|| {
                out.push_str(&text[copied..start]);
                end
            })
        } else if bytes[i..].starts_with(b"eyJ")
            && !before.is_some_and(|b| is_base64url(b) || b == b'.')
        {
            // header.payload.signature, the first two parts non-empty.
            let mut end = i;
            let mut parts = 0;
            loop {
                let run = bytes[end..]
                    .iter()
                    .take_while(|&&b| is_base64url(b))
                    .count();
                end += run;
                parts += 1;
                if parts == 3 || bytes.get(end) != Some(&b'.') || run == 0 {
                    break;
                }
                end += 1;
            }
            (parts == 3).then(|| {
                out.push_str(&text[copied..i]);
                end
            })
        } else {
            None
        };
        match end {
            Some(end) => {
                out.push_str(REDACTED);
                copied = end;
                i = end;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// `text` cut to at most `max` bytes, or `None` when it is that short already. The cut backs
/// off to the last space, quote or angle bracket, so that a URL, key or value that the cut
/// would split is dropped whole rather than shown in part.
fn cut_at_token(text: &str, max: usize) -> Option<&str> {
    if text.len() <= max {
        return None;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let boundary = text.as_bytes()[..end]
        .iter()
        .rposition(|&b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<' | b'>'))
        .unwrap_or(0);
    Some(&text[..boundary])
}

/// Replaces the value of every parameter whose name looks like a secret (`api_key`, `apikey`,
/// `key`, `map_key`, `access_token`, `password`, ...) with `REDACTED`.
///
/// Names are percent-decoded (repeatedly, so `api%255Fkey` counts) and compared without case,
/// `_`, `-` or `.`, so spellings a server or a user might choose are all caught. The separator
/// may be `=` or `%3D`, or `:` after a quoted name (JSON); the value may follow spaces and may
/// be quoted.
///
/// One pass: where the name before a separator starts, and where a value ends, are tracked as
/// the scan moves forward instead of being searched for from each separator.
pub fn query_keys(text: &str) -> String {
    let bytes = text.as_bytes();
    // Every separator is examined, even one inside a value already found: an unquoted value
    // can swallow the next parameter's name (`x_key={api_key="S"`), so values are collected
    // as spans and overlapping spans merged, rather than skipping past each value.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut names = NameTracker::default();
    let mut ends = ValueEnds::default();
    let mut i = 0;
    while i < bytes.len() {
        let Some((separator_len, needs_quoted_name)) = separator_at(bytes, i) else {
            names.see(bytes, i);
            i += 1;
            continue;
        };
        let (name, quoted) = names.name_before(text, i);
        if (!needs_quoted_name || quoted) && is_secret_name(name) {
            let (value_start, value_end, value_quoted) =
                value_after(bytes, i + separator_len, &mut ends);
            // JSON (`"api_key": "S"`): only a quoted value is a value; `field "key": expected
            // a string` is a message about the field.
            if value_end > value_start && (value_quoted || !needs_quoted_name) {
                match spans.last_mut() {
                    Some(last) if value_start <= last.1 => last.1 = last.1.max(value_end),
                    _ => spans.push((value_start, value_end)),
                }
            }
        }
        for j in i..i + separator_len {
            names.see(bytes, j);
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

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t')
}

/// Where the name before the current position starts, kept up to date byte by byte.
///
/// A name ends before the separator, after any spaces or tabs; unquoted, it starts after the
/// last byte that ends names; quoted (`"api_key"`), after the previous quote of its kind.
#[derive(Default)]
struct NameTracker {
    /// Where the current run of spaces and tabs started, if the last byte seen was one.
    blank_run: Option<usize>,
    /// The last name-ending byte seen (spaces included).
    last_break: Option<usize>,
    /// `last_break` as it was at the last byte that was not a space or tab.
    last_break_at_word: Option<usize>,
    /// The last two positions of `"` and of `'` (latest first).
    double_quotes: [Option<usize>; 2],
    single_quotes: [Option<usize>; 2],
}

impl NameTracker {
    fn see(&mut self, bytes: &[u8], j: usize) {
        let b = bytes[j];
        if is_blank(b) {
            self.blank_run.get_or_insert(j);
            self.last_break = Some(j);
            return;
        }
        self.blank_run = None;
        if ends_name(b) {
            self.last_break = Some(j);
        }
        self.last_break_at_word = self.last_break;
        let quotes = match b {
            b'"' => &mut self.double_quotes,
            b'\'' => &mut self.single_quotes,
            _ => return,
        };
        *quotes = [Some(j), quotes[0]];
    }

    /// The name that ends at `separator` (spaces before it skipped), and whether it was
    /// quoted; every byte before `separator` has been seen. Only the last [`NAME_TAIL_BYTES`]
    /// of a longer name are returned.
    fn name_before<'t>(&self, text: &'t str, separator: usize) -> (&'t str, bool) {
        let (stop, last_break) = match self.blank_run {
            Some(start) => (start, self.last_break_at_word),
            None => (separator, self.last_break),
        };
        let bytes = text.as_bytes();
        let tail = |start: usize, end: usize| {
            let mut start = start.max(end.saturating_sub(NAME_TAIL_BYTES));
            while !text.is_char_boundary(start) {
                start += 1;
            }
            &text[start..end]
        };
        if stop > 0 && matches!(bytes[stop - 1], b'"' | b'\'') {
            let quotes = if bytes[stop - 1] == b'"' {
                &self.double_quotes
            } else {
                &self.single_quotes
            };
            let inner_end = stop - 1;
            let start = quotes[1].map_or(0, |p| p + 1);
            // A Debug-escaped quote (`\"`) leaves a backslash at the end of the name.
            return (tail(start, inner_end).trim_end_matches('\\'), true);
        }
        (tail(last_break.map_or(0, |p| p + 1), stop), false)
    }
}

/// Memoized ends of values: values are looked for at increasing positions, and a value that
/// starts before the end found for the previous one of the same kind ends there too, so each
/// byte is scanned at most once per kind of value (unquoted, `"`-quoted, `'`-quoted).
#[derive(Default)]
struct ValueEnds {
    /// (scanned from, end found) per kind.
    found: [Option<(usize, usize)>; 3],
}

impl ValueEnds {
    fn end(
        &mut self,
        bytes: &[u8],
        start: usize,
        kind: usize,
        stops: impl Fn(u8) -> bool,
    ) -> usize {
        if let Some((from, end)) = self.found[kind] {
            if from <= start && start <= end {
                return end;
            }
        }
        let end = bytes[start..]
            .iter()
            .position(|&b| stops(b))
            .map_or(bytes.len(), |p| start + p);
        self.found[kind] = Some((start, end));
        end
    }
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
    ["key", "token", "password", "passwd", "secret", "verifier"]
        .iter()
        .any(|suffix| normalized.ends_with(suffix))
}

/// The value after a separator: leading spaces skipped, quoted values up to their closing quote;
/// and whether it was quoted.
fn value_after(bytes: &[u8], mut start: usize, ends: &mut ValueEnds) -> (usize, usize, bool) {
    while start < bytes.len() && is_blank(bytes[start]) {
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
        Some(q) => ends.end(bytes, start, usize::from(q == b'\'') + 1, |b| {
            b == q || b == b'\\'
        }),
        None => ends.end(bytes, start, 0, |b| {
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
        }),
    };
    (start, end, quote.is_some())
}

/// Replaces the userinfo (`user:password@`) of every URL-like token with `***`.
///
/// A token is a scheme (`https:`, `ftp:`, ...; or anything followed by `://`, since a broken
/// scheme such as `https ://` still shows what follows) and what follows it up to a space or
/// quote. Its userinfo, the way a lenient URL parser or the user who typed it would read it:
/// - when the text before the token's last `@` holds a `:` that is not a port
///   (`alice:p/a?s#s@host`), everything up to that `@`: a password may hold any character;
/// - otherwise everything up to the last `@` before any `/`, `?` or `#` (`alice@host`).
///
/// So `https://a:p@ss@h`, `https:a:pw@h`, `https://a:pa/ss@h` and `https://a:x#pw@h` all lose
/// their password, even when the URL is not valid.
pub fn userinfo(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    // Where the run of scheme characters before the current position starts.
    let mut run_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b':' {
            if !is_scheme_char(b) {
                run_start = i + 1;
            }
            i += 1;
            continue;
        }
        let slashes = |k: usize| matches!(bytes.get(k), Some(b'/' | b'\\'));
        let after_scheme = bytes[run_start..i].iter().any(u8::is_ascii_alphabetic);
        let starts_url = after_scheme || (slashes(i + 1) && slashes(i + 2));
        if !starts_url {
            run_start = i + 1;
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
        if let Some(at) = userinfo_end(&bytes[authority_start..token_end]) {
            out.push_str(&text[copied..authority_start]);
            out.push_str("***");
            copied = authority_start + at;
        }
        i = token_end.max(i + 1);
        run_start = i;
    }
    out.push_str(&text[copied..]);
    out
}

fn is_scheme_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')
}

/// Where the userinfo of `authority` (a URL after its scheme and slashes) ends: the position
/// of its `@` (see [`userinfo`]), or `None` without userinfo.
fn userinfo_end(authority: &[u8]) -> Option<usize> {
    let last_at = authority.iter().rposition(|&b| b == b'@')?;
    if has_password(&authority[..last_at]) {
        return Some(last_at);
    }
    let authority_end = authority
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(authority.len());
    authority[..authority_end].iter().rposition(|&b| b == b'@')
}

/// Whether `before_at` holds a `:` that starts a password rather than a port (digits followed
/// by `/`, `?`, `#` or `\`) or belongs to an IPv6 host (`[::1]`: only hex digits, `:`, `.`
/// and `%` between a `[` and its `]`; any other `[` hides nothing).
fn has_password(before_at: &[u8]) -> bool {
    let ipv6_host_at = |i: usize| {
        let inside = before_at[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.' | b'%'))
            .count();
        before_at.get(i + 1 + inside) == Some(&b']')
    };
    let mut i = 0;
    let mut in_brackets = false;
    while i < before_at.len() {
        match before_at[i] {
            b'[' if ipv6_host_at(i) => in_brackets = true,
            b']' => in_brackets = false,
            b':' if !in_brackets => {
                let digits = before_at[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let after = before_at.get(i + 1 + digits);
                let port = matches!(after, Some(b'/' | b'?' | b'#' | b'\\'));
                if !port {
                    return true;
                }
                i += digits;
            }
            _ => {}
        }
        i += 1;
    }
    false
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
            "api_key\t =\t S3CRET",
            "api_key=\"S3CRET\"",
            "api_key=\"S3CRET",
            "api_key='S3CRET'",
            "api_key=\\\"S3CRET\\\"",
            "next=https%3A%2F%2Fh%2Fx%3Fapi_key%3DS3CRET",
            "{\"api_key\": \"S3CRET\"}",
            "{\"api_key\":\"S3CRET\"}",
            "{'api_key' : 'S3CRET'}",
            "{\"a\": 1, \"api_key\"  :  \"S3CRET\"}",
            "{\\\"api_key\\\":\\\"S3CRET\\\"}",
            // A value that runs into the next secret parameter must not hide it.
            "x_key={:0api%5Fkey=\"S3CRET\"",
            "key=a&api_key=S3CRET",
            "key=key=key=S3CRET",
            // Only the end of a long name matters.
            &format!("{}_api_key=S3CRET", "x".repeat(10_000)),
        ] {
            let shown = query_keys(text);
            assert!(!shown.contains("S3CRET"), "{text} -> {shown}");
            assert!(shown.contains(REDACTED), "{text} -> {shown}");
        }
    }

    #[test]
    fn bearer_tokens_and_jwts_are_redacted_anywhere() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        for text in [
            format!("Authorization: Bearer {jwt}"),
            format!("authorization: bearer  {jwt}"),
            "Authorization: Bearer opaque-S3CRET-token".to_owned(),
            format!("token {jwt} refused"),
            format!("{{\"token\":\"{jwt}\"}}"),
            format!("h?x=1&t={jwt}"),
            format!("({jwt})"),
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".to_owned(),
        ] {
            let shown = tokens(&text);
            assert!(
                !shown.contains("c2lnbmF0dXJl") && !shown.contains("S3CRET"),
                "{text} -> {shown}"
            );
            assert!(!shown.contains("eyJzdWIiOiJ4In0"), "{text} -> {shown}");
            assert!(shown.contains(REDACTED), "{text} -> {shown}");
        }
        for text in [
            "the bearer of bad news",
            "Bearer",
            "eyJ is how JWTs start",
            "eyJhbGci.only-two",
            "key-eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
        ] {
            assert_eq!(tokens(text), text);
        }
        assert_eq!(tokens("Bearer xxxxxxxx é"), "Bearer REDACTED é");
    }

    #[test]
    fn client_secrets_verifiers_and_access_tokens_in_parameters_are_redacted() {
        for text in [
            "client_secret=S3CRET&client_id=c",
            "{\"client_secret\": \"S3CRET\"}",
            "h?access_token=S3CRET",
            "code_verifier=S3CRET",
        ] {
            let shown = message(text);
            assert!(!shown.contains("S3CRET"), "{text} -> {shown}");
        }
        assert!(message("client_id=visible").contains("visible"));
    }

    #[test]
    fn harmless_parameters_and_prose_are_kept() {
        for text in [
            "h?q=select 1&format=csv",
            "field \"username\": \"alice\"",
            "line 3 column 5: expected value",
            "a=b c=d",
            "/tmp/c.json: field \"api_key\": expected a string, found 3",
            "\"key\" \"x\": \"y\"",
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
            ("ftp://u:PW@h", "ftp://***@h"),
            ("1https://u:PW@h", "1https://***@h"),
            ("h::PW@h", "h:***@h"),
            ("h:\\\\r:PW@x@y", "h:\\\\***@y"),
            // A password may hold '#' or '?' (the user did not encode it).
            ("https://alice:x#PASS@host/", "https://***@host/"),
            ("https://alice:x?PASS@host/", "https://***@host/"),
            ("https://alice:1234@host/", "https://***@host/"),
            // Broken schemes still introduce a URL.
            ("https ://:PASS@host", "https ://***@host"),
            ("https_://:PASS@host", "https_://***@host"),
            ("see (x)://u:PASS@host", "see (x)://***@host"),
            // A '[' that no ']' closes is no IPv6 host (found by the base_url fuzz target).
            ("https://h\0#[c\0x:PASS@/user", "https://***@/user"),
            ("https://[::1]:x:PASS@h", "https://***@h"),
            ("(x)://h[:x?PASS/@]h@h/user", "(x)://***@h/user"),
            // Without a password, the userinfo ends before the path, query and fragment.
            ("https://alice@host/p?e=a@b", "https://***@host/p?e=a@b"),
        ] {
            assert_eq!(userinfo(text), shown, "{text}");
        }
        for text in [
            "mail alice@example.com",
            "x: y@z",
            "https://h/p",
            "https://h:8443/p?e=a@b",
            "https://[::1]:9/p?e=a@b",
            "https://h/search?email=a@b.com",
        ] {
            assert_eq!(userinfo(text), text);
        }
    }

    #[test]
    fn long_messages_are_cut_before_redaction_and_no_part_of_a_secret_survives_the_cut() {
        let long = format!(
            "{} https://u:PASSWORD@h/",
            "x ".repeat(MAX_MESSAGE_BYTES / 2)
        );
        let shown = message(&long);
        assert!(shown.len() < MAX_MESSAGE_BYTES + 64, "{}", shown.len());
        assert!(
            shown.ends_with(&format!("… ({} bytes in all)", long.len())),
            "{shown}"
        );
        // The cut falls inside the URL: the URL goes, not just its end.
        for cut_inside in 1..40 {
            let text = format!(
                "{}https://u:PASSWORD@h/",
                "y ".repeat((MAX_MESSAGE_BYTES - cut_inside) / 2)
            );
            let shown = message(&text);
            assert!(!shown.contains("PASS") && !shown.contains("u:P"), "{shown}");
        }
        let one_token = "z".repeat(3 * MAX_MESSAGE_BYTES);
        assert_eq!(
            message(&one_token),
            format!("… ({} bytes in all)", one_token.len())
        );
    }

    fn growth(f: impl Fn(&str) -> String, unit: &str, small_repeats: usize) -> f64 {
        crate::test_support::growth(|n| std::hint::black_box(f(&unit.repeat(n))), small_repeats)
    }

    #[test]
    fn redaction_time_is_linear_in_the_text_whatever_its_separators() {
        // Each shape made the old scan go back to the start of the text from every separator,
        // or forward to its end.
        for unit in [
            "a:",
            "a%3D",
            "\"a\":",
            "key=",
            "x_key=\"",
            "'a' :",
            "%3Da",
            "https://a:",
        ] {
            let ratio = growth(query_keys, unit, 2_000);
            assert!(
                ratio < crate::test_support::MAX_GROWTH,
                "query_keys on {unit:?} x 10 took {ratio:.1} x as long"
            );
            let ratio = growth(userinfo, unit, 2_000);
            assert!(
                ratio < crate::test_support::MAX_GROWTH,
                "userinfo on {unit:?} x 10 took {ratio:.1} x as long"
            );
        }
        for unit in [
            "Bearer ",
            "bearer\t",
            "eyJ.",
            "eyJa.b.",
            " eyJ",
            "Bearer eyJ",
        ] {
            let ratio = growth(tokens, unit, 2_000);
            assert!(
                ratio < 12.0,
                "tokens on {unit:?} x 10 took {ratio:.1} x as long"
            );
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
