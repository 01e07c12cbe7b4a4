//! libFuzzer's entry points: each turns the raw bytes libFuzzer mutates into its target's input
//! (choices from `grammar.rs` read off leading bytes, the rest as text) and checks it with
//! `checks.rs`. `fuzz/libfuzzer/fuzz_targets/*.rs` are one line each.

use crate::checks;
use crate::grammar::*;

/// Reads choices and pieces of text off the front of fuzzer bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> u8 {
        let Some((&first, rest)) = self.0.split_first() else {
            return 0;
        };
        self.0 = rest;
        first
    }

    fn choose<'t>(&mut self, options: &[&'t str]) -> &'t str {
        options[usize::from(self.byte()) % options.len()]
    }

    /// A piece of text: a length byte, then up to that many bytes (lossy UTF-8).
    fn text(&mut self) -> String {
        let n = usize::from(self.byte()).min(self.0.len());
        let (piece, rest) = self.0.split_at(n);
        self.0 = rest;
        free_text(piece)
    }

    /// The remaining bytes as free text.
    fn rest_text(self) -> String {
        free_text(self.0)
    }

    fn rest(self) -> &'a [u8] {
        self.0
    }
}

/// Bytes as text around the planted secrets. libFuzzer learns the markers from comparisons and
/// writes them anywhere; one in the surrounding text is not a secret the library was told of,
/// so it is taken out.
fn free_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .replace(SECRET, "-")
        .replace(PASSWORD, "-")
}

pub fn config_file(data: &[u8]) {
    checks::config_file(&String::from_utf8_lossy(data));
}

/// A URL built from the grammar with [`PASSWORD`] in its userinfo, or (when the first byte is
/// even) the bytes as they are.
fn url_input(data: &[u8]) -> (String, bool) {
    let mut r = Reader(data);
    if r.byte() % 2 == 0 {
        return (String::from_utf8_lossy(r.rest()).into_owned(), false);
    }
    let scheme = if r.byte() % 4 == 0 {
        r.choose(BROKEN_SCHEMES).to_owned()
    } else {
        format!("{}{}", r.choose(SCHEMES), r.choose(SCHEME_SEPARATORS))
    };
    // A user name ends where a token of text does (a space, a quote): what follows is no
    // longer the same URL, to a reader or to redaction.
    let user: String = r
        .text()
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | '<' | '>'))
        .collect();
    let prefix = r.choose(PASSWORD_PREFIXES);
    let at = r.choose(AFTER_PASSWORD);
    let host = r.text();
    let port = r.choose(PORTS);
    let segment = r.choose(PATH_SEGMENTS);
    let path = r.rest_text();
    (
        format!("{scheme}{user}:{prefix}{PASSWORD}{at}{host}{port}/{segment}{path}"),
        true,
    )
}

pub fn base_url(data: &[u8]) {
    let (url, has_password) = url_input(data);
    checks::base_url(&url, has_password);
}

/// A status in 100..1000 from two bytes, then the body.
pub fn error_body(data: &[u8]) {
    let mut r = Reader(data);
    let status = 100 + u16::from_le_bytes([r.byte(), r.byte()]) % 900;
    checks::error_body(r.rest(), status);
}

/// A status in 100..600 from two bytes, then `name: value` lines (a name byte may pick one
/// of CARTO's header names).
pub fn headers(data: &[u8]) {
    let mut r = Reader(data);
    let status = 100 + u16::from_le_bytes([r.byte(), r.byte()]) % 500;
    let text = String::from_utf8_lossy(r.rest()).into_owned();
    let headers: Vec<(String, String)> = text
        .lines()
        .map(|line| match line.split_once(':') {
            Some((name, value)) => {
                let name = match name.as_bytes().first() {
                    Some(&b) if b < 0x20 => HEADER_NAMES[usize::from(b) % HEADER_NAMES.len()],
                    _ => name,
                };
                (name.to_owned(), value.to_owned())
            }
            None => (line.to_owned(), String::new()),
        })
        .collect();
    checks::headers(&headers, status);
}

/// Text around [`SECRET`] as a secret parameter's value, or around a URL with [`PASSWORD`].
pub fn redaction(data: &[u8]) {
    let mut r = Reader(data);
    let text = if r.byte() % 2 == 0 {
        let prefix = r.text();
        let name = r.choose(SECRET_NAMES);
        let separator = r.choose(SECRET_SEPARATORS);
        let quote = r.choose(QUOTES);
        let suffix = r.rest_text();
        format!("{prefix}{name}{separator}{quote}{SECRET}{quote}{suffix}")
    } else {
        let prefix = r.text();
        let (url, _) = url_input(&[&[1][..], r.rest()].concat());
        format!("{prefix} {url}")
    };
    checks::redaction(&text);
}

pub fn result_json(data: &[u8]) {
    checks::result_json(data);
}

pub fn batch_job(data: &[u8]) {
    checks::batch_job(data);
}

/// A target's entry point.
pub type Entry = fn(&[u8]);

/// Every target, by name, for the drivers and the corpus writer.
pub const TARGETS: &[(&str, Entry)] = &[
    ("config_file", config_file),
    ("base_url", base_url),
    ("error_body", error_body),
    ("headers", headers),
    ("redaction", redaction),
    ("result_json", result_json),
    ("batch_job", batch_job),
];

/// Seed inputs of a target, in its byte form: real files, URLs, bodies and answers.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    use crate::inputs::{BODY_SEEDS, CONFIG_SEEDS, JOB_SEEDS, RESULT_SEEDS, URL_SEEDS};
    let with = |prefix: &[u8], rest: &str| [prefix, rest.as_bytes()].concat();
    match target {
        "config_file" => CONFIG_SEEDS.iter().map(|s| s.as_bytes().to_vec()).collect(),
        "base_url" => URL_SEEDS
            .iter()
            .map(|url| with(&[0], url))
            .chain([
                with(&[1, 1, 0, 5], "alice\u{0}\u{0}\u{8}carto.com\u{1}\u{0}x"),
                with(&[1, 0, 0, 3], "bob\u{1}\u{0}\u{4}h.io\u{2}\u{2}"),
            ])
            .collect(),
        // Status 400 (100 + 300).
        "error_body" => BODY_SEEDS.iter().map(|b| with(&[44, 1], b)).collect(),
        // Status 429 (100 + 329).
        "headers" => vec![with(
            &[73, 1],
            "Retry-After: 5\nCarto-Rate-Limit-Limit: 2\n\u{0}: 7\nX: y",
        )],
        "redaction" => vec![
            with(
                &[0, 30],
                "GET https://u.carto.com/api?q=1&\u{0}\u{0}\u{0}&x=2 failed",
            ),
            with(
                &[1, 6, b'u', b'r', b'l', b':', b' ', b'"'],
                "\u{1}\u{0}\u{1}\u{4}host",
            ),
        ],
        "result_json" => RESULT_SEEDS.iter().map(|s| s.as_bytes().to_vec()).collect(),
        "batch_job" => JOB_SEEDS.iter().map(|s| s.as_bytes().to_vec()).collect(),
        _ => Vec::new(),
    }
}

/// libFuzzer's dictionary of [`TOKENS`]: one quoted token a line, bytes outside printable
/// ASCII (and `"`, `\\`) escaped as `\\xNN`.
pub fn dictionary() -> String {
    let mut out = String::new();
    for token in TOKENS {
        out.push('"');
        for &b in token.as_bytes() {
            if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
        out.push_str("\"\n");
    }
    out
}
