//! Input strategies: real seeds mutated by random edits, and values built from each format's
//! grammar (JSON credentials files, URLs, headers).

use proptest::prelude::*;
use proptest::sample::{select, Index};

/// Up to `max` arbitrary characters (cheaper than a `\\PC{0,n}` regex strategy).
pub fn chars(max: usize) -> impl Strategy<Value = String> + Clone {
    prop::collection::vec(any::<char>(), 0..=max).prop_map(String::from_iter)
}

pub use crate::grammar::TOKENS;
use crate::grammar::*;

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
            (select(SCHEMES), select(SCHEME_SEPARATORS))
                .prop_map(|(scheme, sep)| format!("{scheme}{sep}")),
            select(BROKEN_SCHEMES).prop_map(String::from),
        ],
        prop::option::of((
            "[a-z]{0,6}",
            select(PASSWORD_PREFIXES),
            select(AFTER_PASSWORD),
        )),
        host(),
        select(PORTS),
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
            select(PATH_SEGMENTS).prop_map(str::to_owned),
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
        select(HEADER_NAMES).prop_map(str::to_owned),
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
        select(SECRET_NAMES),
        select(SECRET_SEPARATORS),
        select(QUOTES),
        chars(24),
    )
        .prop_map(move |(prefix, name, sep, quote, suffix)| {
            format!("{prefix}{name}{sep}{quote}{secret}{quote}{suffix}")
        })
}

/// SQL API answers: every kind of column, CARTO's special values, BC and far-future times,
/// notices and a late error.
pub const RESULT_SEEDS: &[&str] = &[
    r#"{"rows":[{"i":1,"big":"-9223372036854775808","f":0.5,"n":"NaN","b":true,"t":"1969-12-31T23:59:59.999Z","d":"1900-01-01T00:00:00.000Z","g":"0101000020E6100000000000000000F03F0000000000000040","s":"a\"b","j":{"x":[1,2]}},{"i":null,"big":9223372036854775807,"f":"-Infinity","n":1e300,"b":false,"t":"Infinity","d":null,"g":null,"s":null,"j":null}],"time":0.012,"fields":{"i":{"type":"number","pgtype":"int4"},"big":{"type":"number","pgtype":"int8"},"f":{"type":"number","pgtype":"float8"},"n":{"type":"number","pgtype":"numeric"},"b":{"type":"boolean","pgtype":"bool"},"t":{"type":"date","pgtype":"timestamptz"},"d":{"type":"date","pgtype":"date"},"g":{"type":"geometry","wkbtype":"Point","dims":2,"srid":4326},"s":{"type":"string","pgtype":"text"},"j":{"type":"JSON","pgtype":"JSON"}},"total_rows":2,"notices":["hello"],"warnings":["careful"]}"#,
    r#"{"rows":[{"d":"Infinity","t":"-Infinity","n":1},{"d":"0044-03-15 BC","t":"0044-03-15 12:00:00+00 BC","n":"1e400"},{"d":"-000043-03-15T00:00:00.000Z","t":"-000043-03-15T12:00:00.000Z","n":2},{"d":"275760-09-13","t":"+275760-09-13T00:00:00.000Z","n":3}],"fields":{"d":{"type":"date","pgtype":"date"},"t":{"type":"date","pgtype":"timestamptz"},"n":{"type":"number","pgtype":"numeric"}}}"#,
    r#"{"rows":[{"s":"a\ud800b","p":"\ud83d\ude00"}],"error":null,"fields":{"s":{"type":"string","pgtype":"text"}}}"#,
    r#"{"rows":[{"a":1}],"time":0.1,"fields":{"a":{"type":"number","pgtype":"int4"}},"total_rows":1,"error":["division by zero"]}"#,
    r#"{"rows":[],"time":0,"fields":{"a":{"type":"number","pgtype":"int8"},"b":{"type":"date","pgtype":"date"}},"total_rows":0}"#,
    r#"{"rows":[{"a":1.5,"b":"x","c":1,"e":"2020-02-30"}],"fields":{"a":{"type":"number","pgtype":"int4"},"b":{"type":"number","pgtype":"float8"},"c":{"type":"boolean","pgtype":"bool"},"e":{"type":"date","pgtype":"timestamp"}}}"#,
];

/// Batch SQL API job documents of every shape.
pub const JOB_SEEDS: &[&str] = &[
    r#"{"job_id":"de305d54-75b4-431b-adb2-eb6b9e546014","user":"cartofante","query":"UPDATE airports SET type = 'international'","status":"pending","created_at":"2015-12-15T07:36:25.949Z","updated_at":"2015-12-15T07:36:25.949Z"}"#,
    r#"{"job_id":"j","status":"failed","query":"select x","failed_reason":"column \"x\" does not exist"}"#,
    r#"{"job_id":"j","status":"cancelled","query":[{"query":"a","status":"done"},{"query":"b","status":"skipped","failed_reason":"r"}]}"#,
    r#"{"job_id":"j","status":"running","query":{"query":[{"query":"a","onsuccess":"s","status":"running"}],"onerror":"e"}}"#,
    r#"{"status":"done"}"#,
];

/// A SQL API answer built from columns of each type and values of every sort.
pub fn result_document() -> impl Strategy<Value = String> {
    let pgtype = select(
        &[
            "int4",
            "int8",
            "float8",
            "numeric",
            "bool",
            "date",
            "timestamp",
            "timestamptz",
            "text",
            "json",
            "geometry",
        ][..],
    );
    let value = prop_oneof![
        Just("null".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| serde_json::to_string(&f).unwrap_or_else(|_| "0".into())),
        any::<bool>().prop_map(|b| b.to_string()),
        select(
            &[
                "\"Infinity\"",
                "\"-infinity\"",
                "\"NaN\"",
                "\"1e400\"",
                "\"0044-03-15 BC\"",
                "\"-000043-03-15T00:00:00.000Z\"",
                "\"+275760-09-13T00:00:00.000Z\"",
                "\"5874897-12-31\"",
                "\"2020-01-01 01:00:00.5+01\"",
                "\"1800-01-01 00:00:00+00:19:32\"",
                "\"2020-02-30\"",
                "\"\\ud800\"",
                "\"0101000020E6100000000000000000F03F0000000000000040\"",
                "{\"x\":[1]}",
                "[]",
            ][..]
        )
        .prop_map(str::to_owned),
        chars(12).prop_map(|s| json_string(&s)),
    ];
    (
        prop::collection::vec(pgtype, 1..5),
        prop::collection::vec(prop::collection::vec(value, 5), 0..4),
    )
        .prop_map(|(types, rows)| {
            let rows: Vec<String> = rows
                .iter()
                .map(|cells| {
                    let cells: Vec<String> = types
                        .iter()
                        .enumerate()
                        .map(|(i, _)| format!("\"c{i}\":{}", cells[i % cells.len()]))
                        .collect();
                    format!("{{{}}}", cells.join(","))
                })
                .collect();
            let fields: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let carto = if *t == "geometry" { "geometry" } else { "x" };
                    format!("\"c{i}\":{{\"type\":\"{carto}\",\"pgtype\":\"{t}\"}}")
                })
                .collect();
            format!(
                "{{\"rows\":[{}],\"fields\":{{{}}}}}",
                rows.join(","),
                fields.join(",")
            )
        })
}
