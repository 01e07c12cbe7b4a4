//! Input strategies: real seeds mutated by random edits, and values built from each format's
//! grammar (JSON credentials files, URLs, headers).

use proptest::prelude::*;
use proptest::sample::{select, Index};

/// Up to `max` arbitrary characters (cheaper than a `\\PC{0,n}` regex strategy).
pub fn chars(max: usize) -> impl Strategy<Value = String> + Clone {
    prop::collection::vec(any::<char>(), 0..=max).prop_map(String::from_iter)
}

/// Snippets that matter to the parsers: JSON syntax, the layouts' keys, URL pieces, encodings
/// and secrets.
pub const TOKENS: &[&str] = &[
    "\"",
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1e999",
    "{username}",
    "%",
    "%00",
    "%2F",
    "%5F",
    "%zz",
    "@",
    "/",
    "\\",
    "\\u0000",
    "\\ud800",
    "\\\"",
    "APIKEY",
    "USERNAME",
    "USERURL",
    "ALLOW_NON_SECURE",
    "username",
    "api_key",
    "base_url",
    "allow_non_secure",
    "key",
    "http://",
    "https://",
    "https:",
    "ftp://",
    "/user/",
    "/u/",
    ".carto.com",
    "www.",
    "?",
    "#",
    " ",
    "\t",
    "\n",
    "é",
    "\u{0}",
    "\u{feff}",
    "xn--",
    "[::1]",
    ":8080",
    ":99999",
    "..",
    "api_key=",
    "apikey=",
    "a:b@",
    "%3D",
];

#[derive(Debug, Clone)]
enum Edit {
    Insert(Index, String),
    Delete(Index, Index),
    Replace(Index, String),
    Duplicate(Index, Index),
}

fn snippet() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(TOKENS).prop_map(str::to_owned),
        2 => any::<char>().prop_map(String::from),
        1 => chars(8),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), snippet()).prop_map(|(i, s)| Edit::Insert(i, s)),
        (any::<Index>(), any::<Index>()).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<Index>(), snippet()).prop_map(|(i, s)| Edit::Replace(i, s)),
        (any::<Index>(), any::<Index>()).prop_map(|(i, n)| Edit::Duplicate(i, n)),
    ]
}

fn apply(seed: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = seed.chars().collect();
    for edit in edits {
        let len = chars.len();
        match edit {
            Edit::Insert(at, text) => {
                let at = at.index(len + 1);
                chars.splice(at..at, text.chars());
            }
            Edit::Replace(at, text) if len > 0 => {
                let at = at.index(len);
                chars.splice(at..at + 1, text.chars());
            }
            Edit::Delete(at, n) if len > 0 => {
                let at = at.index(len);
                let n = n.index((len - at).min(16)) + 1;
                chars.drain(at..at + n);
            }
            Edit::Duplicate(at, n) if len > 0 => {
                let at = at.index(len);
                let n = n.index((len - at).min(64)) + 1;
                let copy: Vec<char> = chars[at..at + n].to_vec();
                chars.splice(at..at, copy);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// One of `seeds`, changed by up to `max_edits` random edits.
pub fn mutated(seeds: &'static [&'static str], max_edits: usize) -> impl Strategy<Value = String> {
    (select(seeds), prop::collection::vec(edit(), 0..=max_edits))
        .prop_map(|(seed, edits)| apply(seed, &edits))
}

pub const CONFIG_SEEDS: &[&str] = &[
    r#"{"APIKEY": "c0ffee00deadbeef1234567890abcdef", "USERNAME": "johnsmith", "USERURL": "https://{username}.carto.com/"}"#,
    r#"{"APIKEY": "k", "USERNAME": "jo", "USERURL": "https://org.example.com/user/{username}/", "ALLOW_NON_SECURE": false}"#,
    r#"{"APIKEY": "k", "USERURL": "http://127.0.0.1:8080/user/jo", "ALLOW_NON_SECURE": true}"#,
    r#"{"username": "jo", "api_key": "k", "base_url": "https://jo.carto.com/", "allow_non_secure": false}"#,
    r#"{"username": null, "api_key": null, "base_url": "https://h.example.com/u/bob"}"#,
    r#"{"key": "k", "username": "jo", "base_url": "https://jo.carto.com/"}"#,
    r#"{"username": "jo", "api_key": "k", "base_url": "https://jo.carto.com"}"#,
    "\u{feff}{\"username\": \"jo\"}",
    "{}",
    "[]",
];

pub const URL_SEEDS: &[&str] = &[
    "https://johnsmith.carto.com",
    "https://www.user2.carto.com/a/b/c",
    "https://carto.com/user/user1/a/b/c",
    "http://127.0.0.1:8080/user/alice/",
    "https://org.carto.com/u/bob/",
    "https://alice.localhost:9000/",
    "http://[::1]:8080/",
    "https://Fake_User.CARTO.com///",
    "https://alice:p@ssw0rd@host/",
    "https:alice:pw@host/",
    "https://h.example.com/user/a%20b",
    "  https://turtleland.com/user/fake_user/ ",
];

pub const BODY_SEEDS: &[&str] = &[
    r#"{"error": ["relation \"x\" does not exist"]}"#,
    r#"{"errors": "Unauthorized"}"#,
    r#"{"errors": ["Validation failed: Name has already been taken"], "errors_cause": null}"#,
    r#"{"error": ["You are over platform's limits: SQL query timeout error"], "context": "limit", "detail": "datasource"}"#,
    r#"{"error": {"message": "x", "api_key": "S3CRET"}}"#,
    r#"{"rows": [], "time": 0.01, "fields": {}, "total_rows": 0}"#,
    "<html><body>502 Bad Gateway</body></html>",
    "",
];

/// A JSON value a credentials field might hold.
fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        url().prop_map(|u| json_string(&u)),
        mutated(URL_SEEDS, 2).prop_map(|u| json_string(&u)),
        chars(16).prop_map(|s| json_string(&s)),
    ]
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

/// A JSON object built from the layouts' keys (and others), as text.
pub fn config_document() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        8 => select(&[
            "APIKEY", "USERNAME", "USERURL", "ALLOW_NON_SECURE", "username", "api_key",
            "base_url", "allow_non_secure", "key",
        ][..]).prop_map(str::to_owned),
        1 => "[a-zA-Z_]{1,8}",
    ];
    prop::collection::vec((key, field_value()), 0..6).prop_map(|pairs| {
        let body: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}: {v}", json_string(k)))
            .collect();
        format!("{{{}}}", body.join(", "))
    })
}

/// A URL built from parts: scheme, separator, optional userinfo with `password`, host, port,
/// path.
pub fn url_with_password(password: &'static str) -> impl Strategy<Value = (String, bool)> {
    (
        prop_oneof![
            (
                select(&["https", "http", "HTTPS", "ftp", "file", "h"][..]),
                select(&["://", ":/", ":", ":\\\\", "://\\"][..]),
            )
                .prop_map(|(scheme, sep)| format!("{scheme}{sep}")),
            // Broken schemes still show what follows their "://".
            select(&["https ://", "https_://", "(x)://", "ht tps://"][..]).prop_map(String::from),
        ],
        prop::option::of((
            "[a-z]{0,6}",
            // A password the user did not encode may hold '#', '?', '/', '@' or be digits.
            select(&["", "x#", "x?", "p/", "p@", "123", "x#?/"][..]),
            select(&["@", "@x@", "/@", "@@"][..]),
        )),
        host(),
        select(&["", ":443", ":8080", ":0", ":99999", ":x"][..]),
        path(),
    )
        .prop_map(move |(scheme, userinfo, host, port, path)| {
            let with_password = userinfo.is_some();
            let userinfo = userinfo
                .map(|(user, before, at)| format!("{user}:{before}{password}{at}"))
                .unwrap_or_default();
            (
                format!("{scheme}{userinfo}{host}{port}{path}"),
                with_password,
            )
        })
}

/// A URL without userinfo.
pub fn url() -> impl Strategy<Value = String> {
    (select(&["https://", "http://"][..]), host(), path())
        .prop_map(|(scheme, host, path)| format!("{scheme}{host}{path}"))
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(
            prop_oneof![
                "[a-z0-9_-]{1,12}".boxed(),
                chars(4).prop_filter("not empty", |s| !s.is_empty()).boxed(),
                Just("a".repeat(64)).boxed(),
            ],
            1..5,
        )
        .prop_map(|labels| labels.join(".")),
        1 => Just("127.0.0.1".to_owned()),
        1 => Just("[::1]".to_owned()),
        1 => Just(String::new()),
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            select(&["user", "u", "{username}", "api", "", ".."][..]).prop_map(str::to_owned),
            "[a-zA-Z0-9._~%-]{0,10}",
            chars(6),
        ],
        0..4,
    )
    .prop_map(|segments| segments.iter().map(|s| format!("/{s}")).collect::<String>())
}

/// Response headers: CARTO's rate-limit names (and others), with numeric and hostile values.
pub fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        select(
            &[
                "Retry-After",
                "retry-after",
                "Carto-Rate-Limit-Limit",
                "Carto-Rate-Limit-Remaining",
                "Carto-Rate-Limit-Reset",
                "Content-Type",
                "Content-Length",
            ][..]
        )
        .prop_map(str::to_owned),
        "[A-Za-z-]{1,20}",
    ];
    let value = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (0u32..100_000).prop_map(|n| format!(" {n} ")),
        select(
            &[
                "",
                "-0",
                "+5",
                "1e3",
                "Wed, 21 Oct 2015 07:28:00 GMT",
                "99999999999999999999999"
            ][..]
        )
        .prop_map(str::to_owned),
        chars(12),
    ];
    prop::collection::vec((name, value), 0..8)
}

/// Text around a secret parameter: `(text, secret)`.
pub fn text_with_secret_parameter(secret: &'static str) -> impl Strategy<Value = String> {
    (
        chars(24),
        select(
            &[
                "api_key",
                "API_KEY",
                "api%5Fkey",
                "api%5fkey",
                "api%255Fkey",
                "apikey",
                "ApiKey",
                "key",
                "map_key",
                "access_token",
                "password",
                "api-key",
                "x-api-key",
            ][..],
        ),
        select(&["=", "%3D", "%3d", "= ", " = ", "=\t"][..]),
        select(&["", "\"", "'", "\\\""][..]),
        chars(24),
    )
        .prop_map(move |(prefix, name, sep, quote, suffix)| {
            format!("{prefix}{name}{sep}{quote}{secret}{quote}{suffix}")
        })
}
