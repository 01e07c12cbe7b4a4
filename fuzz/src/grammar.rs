//! The pieces fuzz inputs are built from, shared by the stable driver's strategies
//! (`inputs.rs`) and libFuzzer's byte decoding (`bytes.rs`), and written out as libFuzzer's
//! dictionary and seed corpus (`cartoauth-fuzz write-corpus`).

/// Put where a URL's password goes; no message may show it.
pub const PASSWORD: &str = "Pw9MARKERpw";
/// Put where a secret parameter's value goes; no message may show it.
pub const SECRET: &str = "Zq7MARKERzq";

pub const SCHEMES: &[&str] = &["https", "http", "HTTPS", "ftp", "file", "h"];
pub const SCHEME_SEPARATORS: &[&str] = &["://", ":/", ":", ":\\\\", "://\\"];
/// Broken schemes still show what follows their "://".
pub const BROKEN_SCHEMES: &[&str] = &["https ://", "https_://", "(x)://", "ht tps://"];
/// A password the user did not encode may hold '#', '?', '/', '@' or be digits.
pub const PASSWORD_PREFIXES: &[&str] = &["", "x#", "x?", "p/", "p@", "123", "x#?/"];
pub const AFTER_PASSWORD: &[&str] = &["@", "@x@", "/@", "@@"];
pub const PORTS: &[&str] = &["", ":443", ":8080", ":0", ":99999", ":x"];
pub const PATH_SEGMENTS: &[&str] = &["user", "u", "{username}", "api", "", ".."];

pub const SECRET_NAMES: &[&str] = &[
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
];
pub const SECRET_SEPARATORS: &[&str] = &["=", "%3D", "%3d", "= ", " = ", "=\t"];
pub const QUOTES: &[&str] = &["", "\"", "'", "\\\""];

pub const HEADER_NAMES: &[&str] = &[
    "Retry-After",
    "retry-after",
    "Carto-Rate-Limit-Limit",
    "Carto-Rate-Limit-Remaining",
    "Carto-Rate-Limit-Reset",
    "Content-Type",
    "Content-Length",
];

/// Snippets that matter to the parsers: JSON syntax, the layouts' keys, URL pieces, encodings,
/// secrets, and the values of SQL API results.
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
    "1e400",
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
    "\\udc00",
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
    "\"rows\"",
    "\"fields\"",
    "\"error\"",
    "\"notices\"",
    "\"type\"",
    "\"pgtype\"",
    "\"int8\"",
    "\"float8\"",
    "\"numeric\"",
    "\"bool\"",
    "\"date\"",
    "\"timestamptz\"",
    "\"geometry\"",
    "\"srid\"",
    "\"Infinity\"",
    "\"-infinity\"",
    "\"NaN\"",
    " BC",
    "T00:00:00.000Z",
    "+01:00",
    "-000043-03-15",
    "+275760-09-13",
    "0101000020E6100000",
    "\"job_id\"",
    "\"status\"",
    "\"failed_reason\"",
    "\"query\"",
    "\"running\"",
    "\"failed\"",
];
