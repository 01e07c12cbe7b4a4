//! `queryParameters` of the v3 SQL API: an array for positional `$1, $2, …` placeholders
//! (PostgreSQL's) or an object for named `@name` ones (BigQuery's, which CARTO's client
//! documents). Each placeholder outside string literals, quoted identifiers, comments and
//! dollar-quoted bodies becomes a quoted literal of its value, which PostgreSQL types from the
//! context exactly as it types an unspecified `$n` parameter (node-postgres sends every value
//! as text the same way). NULL stays NULL.

use serde_json::Value;

use crate::pg::accounts::quote_literal;

/// At most this many parameters (a bound on work and on the statement's size).
const MAX_PARAMS: usize = 10_000;

/// The parameters as a request carries them: a JSON value in a POST body, or JSON text in a
/// query string (or a form body).
pub fn parse(raw: Option<&Value>) -> Result<Option<Value>, String> {
    let v = match raw {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => serde_json::from_str::<Value>(s)
            .map_err(|e| format!("queryParameters is not valid JSON: {e}"))?,
        Some(v) => v.clone(),
    };
    match &v {
        Value::Array(a) if a.len() > MAX_PARAMS => Err(format!(
            "queryParameters has {} values; at most {MAX_PARAMS}",
            a.len()
        )),
        Value::Object(o) if o.len() > MAX_PARAMS => Err(format!(
            "queryParameters has {} values; at most {MAX_PARAMS}",
            o.len()
        )),
        Value::Array(_) | Value::Object(_) => Ok(Some(v)),
        _ => Err("queryParameters must be an array ($1, $2, ...) or an object (@name)".into()),
    }
}

fn literal(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::String(s) => quote_literal(s),
        other => quote_literal(&other.to_string()),
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Replaces the placeholders of `sql` by the literals of `params`.
pub fn bind(sql: &str, params: Option<&Value>) -> Result<String, String> {
    let Some(params) = params else {
        return Ok(sql.to_string());
    };
    let c: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    let prev_is_ident = |i: usize| i > 0 && is_ident(c[i - 1]);
    while i < c.len() {
        let ch = c[i];
        match ch {
            '\'' => {
                // E'…' strings treat a backslash as an escape.
                let escapes =
                    i > 0 && matches!(c[i - 1], 'E' | 'e') && !(i > 1 && is_ident(c[i - 2]));
                let end = skip_quoted(&c, i, '\'', escapes);
                out.extend(&c[i..end]);
                i = end;
            }
            '"' => {
                let end = skip_quoted(&c, i, '"', false);
                out.extend(&c[i..end]);
                i = end;
            }
            '-' if c.get(i + 1) == Some(&'-') => {
                let end = c[i..]
                    .iter()
                    .position(|&x| x == '\n')
                    .map_or(c.len(), |p| i + p);
                out.extend(&c[i..end]);
                i = end;
            }
            '/' if c.get(i + 1) == Some(&'*') => {
                let end = skip_block_comment(&c, i);
                out.extend(&c[i..end]);
                i = end;
            }
            '$' if !prev_is_ident(i) && c.get(i + 1).is_some_and(char::is_ascii_digit) => {
                let start = i + 1;
                let mut end = start;
                while end < c.len() && c[end].is_ascii_digit() {
                    end += 1;
                }
                let digits: String = c[start..end].iter().collect();
                match params {
                    Value::Array(values) => {
                        let n: usize = digits.parse().unwrap_or(0);
                        let v = n
                            .checked_sub(1)
                            .and_then(|k| values.get(k))
                            .ok_or_else(|| {
                                format!(
                                    "queryParameters has no value for ${digits} ({} given)",
                                    values.len()
                                )
                            })?;
                        out.push_str(&literal(v));
                    }
                    _ => {
                        return Err(format!(
                        "${digits} needs queryParameters as an array; an object names @parameters"
                    ))
                    }
                }
                i = end;
            }
            '$' if !prev_is_ident(i) => match dollar_tag(&c, i) {
                Some(tag_len) => {
                    let end = skip_dollar_quoted(&c, i, tag_len);
                    out.extend(&c[i..end]);
                    i = end;
                }
                None => {
                    out.push(ch);
                    i += 1;
                }
            },
            '@' if !prev_is_ident(i)
                && c.get(i + 1).is_some_and(|n| n.is_alphabetic() || *n == '_') =>
            {
                let start = i + 1;
                let mut end = start;
                while end < c.len() && (c[end].is_alphanumeric() || c[end] == '_') {
                    end += 1;
                }
                let name: String = c[start..end].iter().collect();
                // Only names the object has: `@` is also PostgreSQL's absolute-value operator.
                match params.as_object().and_then(|o| o.get(&name)) {
                    Some(v) => out.push_str(&literal(v)),
                    None => out.extend(&c[i..end]),
                }
                i = end;
            }
            _ => {
                out.push(ch);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// The end (exclusive) of a quoted run starting at `start` (doubled quotes stay inside).
fn skip_quoted(c: &[char], start: usize, q: char, backslash_escapes: bool) -> usize {
    let mut i = start + 1;
    while i < c.len() {
        if backslash_escapes && c[i] == '\\' {
            i += 2;
            continue;
        }
        if c[i] == q {
            if c.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    c.len()
}

/// PostgreSQL's block comments nest.
fn skip_block_comment(c: &[char], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i + 1 < c.len() {
        if c[i] == '/' && c[i + 1] == '*' {
            depth += 1;
            i += 2;
        } else if c[i] == '*' && c[i + 1] == '/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    c.len()
}

/// The length of a `$tag$` (or `$$`) opening at `start`.
fn dollar_tag(c: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    if c.get(i).is_some_and(|x| x.is_ascii_digit()) {
        return None;
    }
    while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
        i += 1;
    }
    (c.get(i) == Some(&'$')).then_some(i + 1 - start)
}

fn skip_dollar_quoted(c: &[char], start: usize, tag_len: usize) -> usize {
    let tag = &c[start..start + tag_len];
    let mut i = start + tag_len;
    while i + tag_len <= c.len() {
        if &c[i..i + tag_len] == tag {
            return i + tag_len;
        }
        i += 1;
    }
    c.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn positional_parameters_become_literals() {
        let sql = "SELECT * FROM t WHERE a = $1 AND b = $2 OR c = $1::int AND d = $10";
        let mut values: Vec<Value> = (1..=10).map(|n| json!(n)).collect();
        values[0] = json!("it's");
        values[1] = Value::Null;
        assert_eq!(
            bind(sql, Some(&Value::Array(values))).unwrap(),
            "SELECT * FROM t WHERE a = 'it''s' AND b = NULL OR c = 'it''s'::int AND d = '10'"
        );
        let err = bind("SELECT $3", Some(&json!([1]))).unwrap_err();
        assert!(err.contains("$3") && err.contains("1 given"), "{err}");
        assert!(bind("SELECT $0", Some(&json!([1]))).is_err());
        assert!(bind("SELECT $1", Some(&json!({"a": 1}))).is_err());
    }

    #[test]
    fn named_parameters_only_replace_the_names_given() {
        let p = json!({"name": "Madrid", "min": 2.5, "flag": true, "obj": {"k": [1]}});
        assert_eq!(
            bind(
                "SELECT @name, @min, @flag, @obj, @ -5, @other, x@name",
                Some(&p)
            )
            .unwrap(),
            "SELECT 'Madrid', '2.5', 'true', '{\"k\":[1]}', @ -5, @other, x@name"
        );
    }

    #[test]
    fn placeholders_inside_strings_identifiers_comments_and_bodies_stay() {
        let sql = "SELECT '$1', \"@name$1\", E'\\'$1', $$ $1 $$, $f$ @name $f$, $1 -- $1\n/* $1 /* @name */ $1 */ @name";
        let p = json!(["X"]);
        assert_eq!(
            bind(sql, Some(&p)).unwrap(),
            "SELECT '$1', \"@name$1\", E'\\'$1', $$ $1 $$, $f$ @name $f$, 'X' -- $1\n/* $1 /* @name */ $1 */ @name"
        );
        // An identifier ending in $ followed by digits is not a placeholder.
        assert_eq!(
            bind("SELECT a$1 FROM t", Some(&p)).unwrap(),
            "SELECT a$1 FROM t"
        );
        // Unterminated runs end the statement without panicking.
        for s in [
            "SELECT '$1",
            "SELECT \"x",
            "SELECT /* $1",
            "SELECT $$ $1",
            "SELECT $",
            "SELECT @",
        ] {
            assert!(bind(s, Some(&p)).is_ok(), "{s}");
        }
    }

    #[test]
    fn both_encodings_of_the_parameters_parse() {
        assert_eq!(
            parse(Some(&json!("[1,\"a\"]"))).unwrap(),
            Some(json!([1, "a"]))
        );
        assert_eq!(
            parse(Some(&json!({"a": 1}))).unwrap(),
            Some(json!({"a": 1}))
        );
        assert_eq!(parse(Some(&json!(""))).unwrap(), None);
        assert_eq!(parse(None).unwrap(), None);
        assert!(parse(Some(&json!("{nope"))).is_err());
        assert!(parse(Some(&json!(5))).is_err());
    }
}
