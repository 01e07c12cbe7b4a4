//! Removing API keys from text that may be shown: URLs in messages and logs.
//!
//! carto-python and GDAL send the key as an `api_key` query parameter, and HTTP libraries put
//! the URL in their error messages, so any text that may hold a URL passes through here.

const KEY_PARAMS: [&str; 2] = ["api_key=", "map_key="];
const REDACTED: &str = "REDACTED";

/// Replaces the value of every `api_key=` / `map_key=` parameter (any case) with `REDACTED`.
pub fn query_keys(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some((start, param)) = KEY_PARAMS
        .iter()
        .filter_map(|p| lower[search..].find(p).map(|i| (search + i, *p)))
        .min_by_key(|(i, _)| *i)
    {
        let value_start = start + param.len();
        let value_end = text[value_start..]
            .find(|c: char| matches!(c, '&' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace())
            .map_or(text.len(), |i| value_start + i);
        out.push_str(&text[copied..value_start]);
        if value_end > value_start {
            out.push_str(REDACTED);
        }
        copied = value_end;
        search = value_end.max(value_start);
    }
    out.push_str(&text[copied..]);
    out
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
}
