//! How a text value from PostgreSQL becomes JSON, as node-postgres parses it for the SQL API.

use serde_json::{json, Map, Value};
use tokio_postgres::types::{Kind, Type};

use super::array::{parse_array, ArrayItem};

/// How a column's text values are turned into JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    Number,
    Bool,
    Json,
    /// timestamp, timestamptz and date become ISO 8601 in UTC with milliseconds.
    Timestamp,
    Date,
    Interval,
    Bytea,
    Array(Box<ValueKind>),
    Text,
}

pub fn value_kind(ty: &Type) -> ValueKind {
    match ty.oid() {
        20 | 21 | 23 | 26 | 700 | 701 | 1700 => ValueKind::Number,
        16 => ValueKind::Bool,
        114 | 3802 => ValueKind::Json,
        1114 | 1184 => ValueKind::Timestamp,
        1082 => ValueKind::Date,
        1186 => ValueKind::Interval,
        17 => ValueKind::Bytea,
        _ => match ty.kind() {
            // node-postgres parses arrays of the types it knows; others stay a string.
            Kind::Array(elem) => match value_kind(elem) {
                ValueKind::Text if !is_parsed_text_array(elem) => ValueKind::Text,
                ValueKind::Array(_) => ValueKind::Text,
                k => ValueKind::Array(Box::new(k)),
            },
            _ => ValueKind::Text,
        },
    }
}

fn is_parsed_text_array(elem: &Type) -> bool {
    matches!(
        elem.oid(),
        25 | 1043 | 1042 | 18 | 19 | 2950 | 869 | 650 | 829 | 1083 | 1266
    )
}

/// Converts one text value of the given kind to JSON.
pub fn to_json(kind: &ValueKind, text: &str) -> Value {
    match kind {
        ValueKind::Number => number(text),
        ValueKind::Bool => Value::Bool(text == "t" || text == "true"),
        ValueKind::Json => serde_json::from_str(text).unwrap_or(Value::String(text.into())),
        ValueKind::Timestamp => timestamp(text),
        ValueKind::Date => date(text),
        ValueKind::Interval => interval(text),
        ValueKind::Bytea => bytea(text),
        ValueKind::Array(elem) => match parse_array(text) {
            Some(items) => array_to_json(&items, elem),
            None => Value::String(text.into()),
        },
        ValueKind::Text => Value::String(text.into()),
    }
}

/// Numbers as JSON numbers; NaN and the infinities as strings (as the SQL API's replacer does).
fn number(text: &str) -> Value {
    match text {
        "NaN" => return Value::String("NaN".into()),
        "Infinity" => return Value::String("Infinity".into()),
        "-Infinity" => return Value::String("-Infinity".into()),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Value::from(i);
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => js_number(f),
        _ => Value::String(text.into()),
    }
}

/// A finite number as JavaScript's JSON.stringify writes it: whole values without `.0`.
pub fn js_number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

fn timestamp(text: &str) -> Value {
    match text {
        "infinity" => return Value::String("Infinity".into()),
        "-infinity" => return Value::String("-Infinity".into()),
        _ => {}
    }
    let parsed = chrono::DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z")
        .map(|d| d.with_timezone(&chrono::Utc).naive_utc())
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"));
    match parsed {
        Ok(dt) => Value::String(dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
        Err(_) => Value::String(text.into()),
    }
}

fn date(text: &str) -> Value {
    match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(d) => Value::String(format!("{}T00:00:00.000Z", d.format("%Y-%m-%d"))),
        Err(_) => timestamp(text),
    }
}

/// `1 year 2 mons 3 days 04:05:06.5` → `{"years":1,"months":2,"days":3,"hours":4,...}` (the
/// shape of node's postgres-interval: only the parts that are present and non-zero).
fn interval(text: &str) -> Value {
    let mut m = Map::new();
    let mut tokens = text.split_whitespace().peekable();
    while let Some(tok) = tokens.next() {
        if tok.contains(':') {
            let negative = tok.starts_with('-');
            let parts: Vec<&str> = tok.trim_start_matches(['-', '+']).split(':').collect();
            if parts.len() != 3 {
                return Value::String(text.into());
            }
            let sign = if negative { -1 } else { 1 };
            let h: i64 = parts[0].parse().unwrap_or(0);
            let mi: i64 = parts[1].parse().unwrap_or(0);
            let (s, frac) = parts[2].split_once('.').unwrap_or((parts[2], ""));
            let s: i64 = s.parse().unwrap_or(0);
            let ms: i64 = if frac.is_empty() {
                0
            } else {
                format!("{frac:0<3}")[..3].parse().unwrap_or(0)
            };
            for (k, v) in [
                ("hours", h),
                ("minutes", mi),
                ("seconds", s),
                ("milliseconds", ms),
            ] {
                if v != 0 {
                    m.insert(k.into(), json!(sign * v));
                }
            }
        } else if let Ok(n) = tok.parse::<i64>() {
            let unit = tokens.next().unwrap_or("");
            let key = match unit.trim_end_matches('s') {
                "year" => "years",
                "mon" => "months",
                "day" => "days",
                _ => return Value::String(text.into()),
            };
            if n != 0 {
                m.insert(key.into(), json!(n));
            }
        } else {
            return Value::String(text.into());
        }
    }
    Value::Object(m)
}

/// node-postgres returns a Buffer, which JSON.stringify writes as `{"type":"Buffer","data":[..]}`.
fn bytea(text: &str) -> Value {
    let Some(hex) = text.strip_prefix("\\x") else {
        return Value::String(text.into());
    };
    let bytes: Option<Vec<Value>> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(hex.get(i..i + 2)?, 16)
                .ok()
                .map(Value::from)
        })
        .collect();
    match bytes {
        Some(data) => json!({ "type": "Buffer", "data": data }),
        None => Value::String(text.into()),
    }
}

fn array_to_json(items: &[ArrayItem], elem: &ValueKind) -> Value {
    Value::Array(
        items
            .iter()
            .map(|i| match i {
                ArrayItem::Null => Value::Null,
                ArrayItem::Text(t) => to_json(elem, t),
                ArrayItem::List(l) => array_to_json(l, elem),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_json_like_node_postgres() {
        assert_eq!(to_json(&ValueKind::Number, "42"), json!(42));
        assert_eq!(
            to_json(&ValueKind::Number, "9876543210"),
            json!(9876543210i64)
        );
        assert_eq!(to_json(&ValueKind::Number, "1.50"), json!(1.5));
        assert_eq!(to_json(&ValueKind::Number, "2.000"), json!(2));
        assert_eq!(js_number(0.0).to_string(), "0");
        assert_eq!(to_json(&ValueKind::Number, "NaN"), json!("NaN"));
        assert_eq!(to_json(&ValueKind::Number, "-Infinity"), json!("-Infinity"));
        assert_eq!(to_json(&ValueKind::Bool, "t"), json!(true));
        assert_eq!(to_json(&ValueKind::Bool, "f"), json!(false));
        assert_eq!(
            to_json(&ValueKind::Json, r#"{"b": 1, "a": [1, 2]}"#),
            json!({"b":1,"a":[1,2]})
        );
        assert_eq!(
            to_json(&ValueKind::Timestamp, "2015-04-24 12:34:56.123+00"),
            json!("2015-04-24T12:34:56.123Z")
        );
        assert_eq!(
            to_json(&ValueKind::Timestamp, "2015-04-24 14:34:56+02"),
            json!("2015-04-24T12:34:56.000Z")
        );
        assert_eq!(
            to_json(&ValueKind::Timestamp, "2015-04-24 12:34:56"),
            json!("2015-04-24T12:34:56.000Z")
        );
        assert_eq!(
            to_json(&ValueKind::Date, "2015-04-24"),
            json!("2015-04-24T00:00:00.000Z")
        );
        assert_eq!(
            to_json(&ValueKind::Interval, "1 year 2 mons 3 days 04:05:06.5"),
            json!({"years":1,"months":2,"days":3,"hours":4,"minutes":5,"seconds":6,"milliseconds":500})
        );
        assert_eq!(
            to_json(&ValueKind::Interval, "-00:00:02"),
            json!({"seconds":-2})
        );
        assert_eq!(
            to_json(&ValueKind::Bytea, "\\x0aff"),
            json!({"type":"Buffer","data":[10,255]})
        );
    }

    #[test]
    fn arrays_are_parsed_with_their_element_kind() {
        assert_eq!(
            to_json(&ValueKind::Array(Box::new(ValueKind::Number)), "{1,2,NULL}"),
            json!([1, 2, null])
        );
        assert_eq!(
            to_json(
                &ValueKind::Array(Box::new(ValueKind::Text)),
                r#"{"a b","c\"d",NULL,"NULL"}"#
            ),
            json!(["a b", "c\"d", null, "NULL"])
        );
        assert_eq!(
            to_json(
                &ValueKind::Array(Box::new(ValueKind::Number)),
                "{{1,2},{3,4}}"
            ),
            json!([[1, 2], [3, 4]])
        );
        assert_eq!(
            to_json(&ValueKind::Array(Box::new(ValueKind::Bool)), "[0:1]={t,f}"),
            json!([true, false])
        );
        assert_eq!(
            to_json(&ValueKind::Array(Box::new(ValueKind::Number)), "{}"),
            json!([])
        );
        assert_eq!(
            value_kind(&Type::TEXT_ARRAY),
            ValueKind::Array(Box::new(ValueKind::Text))
        );
    }
}
