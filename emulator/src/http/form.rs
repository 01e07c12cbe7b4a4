//! Request parameters: query strings and form bodies decoded as CARTO's Node.js server does
//! (the `qs` module), which is lenient enough for GDAL's hand-escaped bodies, plus JSON bodies,
//! merged with the body winning.

use serde_json::{Map, Value};

/// Parameters by name: strings, arrays (repeated or `name[]` keys) or JSON values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(pub Map<String, Value>);

impl Params {
    /// The parameter as text: the first element of an array, numbers and booleans as written.
    pub fn get_str(&self, name: &str) -> Option<String> {
        value_as_string(self.0.get(name)?)
    }

    /// A comma list or array parameter (e.g. `skipfields`, `type`).
    pub fn get_list(&self, name: &str) -> Vec<String> {
        match self.0.get(name) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(value_as_string)
                .flat_map(|s| split_list(&s))
                .collect(),
            Some(v) => value_as_string(v)
                .map(|s| split_list(&s))
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// `Object.assign({}, query, body)`: body parameters replace query ones.
    pub fn merged(query: &Params, body: &Params) -> Params {
        let mut out = query.0.clone();
        for (k, v) in &body.0 {
            out.insert(k.clone(), v.clone());
        }
        Params(out)
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

fn value_as_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => items.first().and_then(value_as_string),
        Value::Null | Value::Object(_) => None,
    }
}

/// Decodes one component like `qs`: `+` is a space, then percent-decoding; if any escape is
/// malformed (e.g. GDAL's raw `%` in `10 % 3`) the whole component is kept as is.
pub fn decode_component(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_decode_strict(&spaced).unwrap_or(spaced)
}

/// `decodeURIComponent`: `None` if any `%` does not start a two-hex-digit escape, or if the
/// escapes do not form valid UTF-8.
fn percent_decode_strict(s: &str) -> Option<String> {
    let well_formed = s.match_indices('%').all(|(i, _)| {
        s.as_bytes()
            .get(i + 1..i + 3)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return None;
    }
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// Parses `a=1&b=2` leniently: raw spaces and `=` in values are kept, a key without `=` gets an
/// empty value, `name[]` and repeated names collect into arrays.
pub fn parse_urlencoded(input: &[u8]) -> Params {
    let text = String::from_utf8_lossy(input);
    let mut map = Map::new();
    for part in text.split('&').take(1000) {
        if part.is_empty() {
            continue;
        }
        let (raw_key, raw_val) = match part.find('=') {
            Some(pos) => (&part[..pos], &part[pos + 1..]),
            None => (part, ""),
        };
        let mut key = decode_component(raw_key);
        let value = Value::String(decode_component(raw_val));
        let force_array = key.ends_with("[]");
        if force_array {
            key.truncate(key.len() - 2);
        }
        if key.is_empty() {
            continue;
        }
        match map.get_mut(&key) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None if force_array => {
                map.insert(key, Value::Array(vec![value]));
            }
            None => {
                map.insert(key, value);
            }
        }
    }
    Params(map)
}

/// Parses a JSON body; anything but an object contributes no parameters (as body-parser).
pub fn parse_json_body(input: &[u8]) -> Result<Params, String> {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Ok(Params::default());
    }
    match serde_json::from_slice::<Value>(input) {
        Ok(Value::Object(map)) => Ok(Params(map)),
        Ok(_) => Ok(Params::default()),
        Err(e) => Err(format!("Unexpected JSON in request body: {e}")),
    }
}

/// Replaces the values of `api_key`, `map_key` and `access_token` (CARTO 3's LDS) in a raw
/// query string with `REDACTED`.
pub fn redact_query(raw: &str) -> String {
    raw.split('&')
        .map(|part| {
            let key = part.split('=').next().unwrap_or("");
            let decoded = decode_component(key);
            let base = decoded.trim_end_matches("[]");
            if ["api_key", "map_key", "access_token"].contains(&base) {
                format!("{key}=REDACTED")
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gdal_bodies_decode_like_carto() {
        // Raw spaces, a raw '=' in SQL, %26 for '&' and the key appended unescaped.
        let body = b"q=SELECT * FROM \"t\" WHERE a = 1 AND (g %26%26 'BOX3D(0 0, 1 1)'::box3d)&api_key=abc_123";
        let p = parse_urlencoded(body);
        assert_eq!(
            p.get_str("q").unwrap(),
            "SELECT * FROM \"t\" WHERE a = 1 AND (g && 'BOX3D(0 0, 1 1)'::box3d)"
        );
        assert_eq!(p.get_str("api_key").unwrap(), "abc_123");
    }

    #[test]
    fn plus_is_a_space_as_in_qs() {
        let p = parse_urlencoded(b"q=select+1+1");
        assert_eq!(p.get_str("q").unwrap(), "select 1 1");
    }

    #[test]
    fn a_bad_escape_leaves_the_whole_value_undecoded() {
        let p = parse_urlencoded(b"q=SELECT 10 % 3, '%41'");
        assert_eq!(p.get_str("q").unwrap(), "SELECT 10 % 3, '%41'");
        let p = parse_urlencoded(b"q=%E2%82%AC %ZZ");
        assert_eq!(p.get_str("q").unwrap(), "%E2%82%AC %ZZ");
        let p = parse_urlencoded(b"q=%E2%82%AC");
        assert_eq!(p.get_str("q").unwrap(), "\u{20ac}");
        // An escape that is not UTF-8 also keeps the raw text.
        let p = parse_urlencoded(b"q=%FF");
        assert_eq!(p.get_str("q").unwrap(), "%FF");
    }

    #[test]
    fn arrays_and_keys_without_values() {
        let p = parse_urlencoded(b"skipfields[]=a&skipfields[]=b&flag&x=1&x=2");
        assert_eq!(p.get_list("skipfields"), ["a", "b"]);
        assert_eq!(p.get_str("flag").unwrap(), "");
        assert_eq!(p.get_str("x").unwrap(), "1");
        let p = parse_urlencoded(b"skipfields=the_geom,%20cartodb_id");
        assert_eq!(p.get_list("skipfields"), ["the_geom", "cartodb_id"]);
    }

    #[test]
    fn body_wins_over_query() {
        let q = parse_urlencoded(b"q=select+1&format=csv&api_key=a");
        let b = parse_json_body(br#"{"q":"select 2","dp":4}"#).unwrap();
        let m = Params::merged(&q, &b);
        assert_eq!(m.get_str("q").unwrap(), "select 2");
        assert_eq!(m.get_str("format").unwrap(), "csv");
        assert_eq!(m.get_str("dp").unwrap(), "4");
    }

    #[test]
    fn json_bodies() {
        assert!(parse_json_body(b"{nope").is_err());
        assert_eq!(parse_json_body(b"[1,2]").unwrap(), Params::default());
        assert_eq!(parse_json_body(b"  ").unwrap(), Params::default());
    }

    #[test]
    fn redaction_hides_only_key_values() {
        assert_eq!(
            redact_query("q=select+1&api_key=secret&map_key=other&client=cps"),
            "q=select+1&api_key=REDACTED&map_key=REDACTED&client=cps"
        );
        assert_eq!(
            redact_query("address=Madrid&access_token=eyJ.x.y"),
            "address=Madrid&access_token=REDACTED"
        );
        assert_eq!(redact_query("api%5Fkey=secret"), "api%5Fkey=REDACTED");
        assert_eq!(redact_query(""), "");
    }
}
