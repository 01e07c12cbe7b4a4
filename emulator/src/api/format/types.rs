//! CARTO's view of PostgreSQL types: the `fields` metadata (type names as the SQL API derives
//! them from a fixed oid table) and how a text value becomes JSON (as node-postgres parses it).

use serde_json::{json, Map, Value};
use tokio_postgres::types::{Kind, Type};

/// The oid → name table node-cartodb-psql knows; other oids are `unknown(oid)` unless they are
/// PostGIS's geometry, geography or raster.
fn std_type_name(oid: u32) -> Option<&'static str> {
    Some(match oid {
        16 => "bool",
        17 => "bytea",
        18 => "char",
        19 => "name",
        20 => "int8",
        21 => "int2",
        22 => "int2vector",
        23 => "int4",
        24 => "regproc",
        25 => "text",
        26 => "oid",
        27 => "tid",
        28 => "xid",
        29 => "cid",
        30 => "oidvector",
        32 => "pg_ddl_command",
        71 => "pg_type",
        75 => "pg_attribute",
        81 => "pg_proc",
        83 => "pg_class",
        114 => "JSON",
        142 => "xml",
        143 => "_xml",
        194 => "pg_node_tree",
        199 => "_json",
        210 => "smgr",
        600 => "point",
        601 => "lseg",
        602 => "path",
        603 => "box",
        604 => "polygon",
        628 => "line",
        629 => "_line",
        650 => "cidr",
        700 => "float4",
        701 => "float8",
        702 => "abstime",
        703 => "reltime",
        704 => "tinterval",
        705 => "unknown",
        718 => "circle",
        719 => "_circle",
        790 => "money",
        791 => "_money",
        829 => "macaddr",
        869 => "inet",
        1000 => "_bool",
        1001 => "_bytea",
        1002 => "_char",
        1003 => "_name",
        1005 => "_int2",
        1006 => "_int2vector",
        1007 => "_int4",
        1008 => "_regproc",
        1009 => "_text",
        1010 => "_tid",
        1011 => "_xid",
        1012 => "_cid",
        1013 => "_oidvector",
        1014 => "_bpchar",
        1015 => "_varchar",
        1016 => "_int8",
        1017 => "_point",
        1018 => "_lseg",
        1019 => "_path",
        1020 => "_box",
        1021 => "_float4",
        1022 => "_float8",
        1023 => "_abstime",
        1024 => "_reltime",
        1025 => "_tinterval",
        1027 => "_polygon",
        1028 => "_oid",
        1033 => "aclitem",
        1034 => "_aclitem",
        1040 => "_macaddr",
        1041 => "_inet",
        1042 => "bpchar",
        1043 => "varchar",
        1082 => "date",
        1083 => "time",
        1114 => "timestamp",
        1115 => "_timestamp",
        1182 => "_date",
        1183 => "_time",
        1184 => "timestamptz",
        1185 => "_timestamptz",
        1186 => "interval",
        1187 => "_interval",
        1231 => "_numeric",
        1263 => "_cstring",
        1266 => "timetz",
        1270 => "_timetz",
        1560 => "bit",
        1561 => "_bit",
        1562 => "varbit",
        1563 => "_varbit",
        1700 => "numeric",
        1790 => "refcursor",
        2201 => "_refcursor",
        2202 => "regprocedure",
        2203 => "regoper",
        2204 => "regoperator",
        2205 => "regclass",
        2206 => "regtype",
        2207 => "_regprocedure",
        2208 => "_regoper",
        2209 => "_regoperator",
        2210 => "_regclass",
        2211 => "_regtype",
        2249 => "record",
        2275 => "cstring",
        2276 => "any",
        2277 => "anyarray",
        2278 => "void",
        2279 => "trigger",
        2280 => "language_handler",
        2281 => "internal",
        2282 => "opaque",
        2283 => "anyelement",
        2287 => "_record",
        2776 => "anynonarray",
        2949 => "_txid_snapshot",
        2950 => "uuid",
        2951 => "_uuid",
        2970 => "txid_snapshot",
        3115 => "fdw_handler",
        3220 => "pg_lsn",
        3221 => "_pg_lsn",
        3310 => "tsm_handler",
        3500 => "anyenum",
        3614 => "tsvector",
        3615 => "tsquery",
        3642 => "gtsvector",
        3643 => "_tsvector",
        3644 => "_gtsvector",
        3645 => "_tsquery",
        3734 => "regconfig",
        3735 => "_regconfig",
        3769 => "regdictionary",
        3770 => "_regdictionary",
        3802 => "jsonb",
        3807 => "_jsonb",
        3831 => "anyrange",
        3838 => "event_trigger",
        3904 => "int4range",
        3905 => "_int4range",
        3906 => "numrange",
        3907 => "_numrange",
        3908 => "tsrange",
        3909 => "_tsrange",
        3910 => "tstzrange",
        3911 => "_tstzrange",
        3912 => "daterange",
        3913 => "_daterange",
        3926 => "int8range",
        3927 => "_int8range",
        4089 => "regnamespace",
        4090 => "_regnamespace",
        4096 => "regrole",
        4097 => "_regrole",
        _ => return None,
    })
}

const SPATIAL_TYPES: [&str; 3] = ["geometry", "geography", "raster"];

/// What CARTO calls a column's type, before the `[]` suffix.
fn carto_type_of(cname: &str) -> String {
    let t = if cname.contains("bool") {
        "boolean"
    } else if ["int", "float", "numeric"]
        .iter()
        .any(|p| cname.contains(p))
    {
        "number"
    } else if ["text", "char", "unknown"]
        .iter()
        .any(|p| cname.contains(p))
    {
        "string"
    } else if cname.contains("date") || cname.contains("time") {
        "date"
    } else {
        cname
    };
    let mut t = t.to_string();
    if cname.starts_with('_') {
        t.push_str("[]");
    }
    t
}

/// The pg type name the SQL API would know for this column, if any.
pub fn known_type_name(ty: &Type) -> Option<String> {
    if let Some(n) = std_type_name(ty.oid()) {
        return Some(n.to_string());
    }
    SPATIAL_TYPES
        .contains(&ty.name())
        .then(|| ty.name().to_string())
}

/// The `fields` entry of one column, e.g. `{"type":"number","pgtype":"int4"}` or, for spatial
/// columns, `{"type":"geometry","wkbtype":"Point","dims":2,"srid":4326}`.
pub fn field_json(ty: &Type, typmod: i32) -> Value {
    let Some(cname) = known_type_name(ty) else {
        return json!({ "type": format!("unknown({})", ty.oid()) });
    };
    let tname = carto_type_of(&cname);
    if SPATIAL_TYPES.contains(&cname.as_str()) {
        let info = typmod_info(typmod);
        let mut m = Map::new();
        m.insert("type".into(), Value::String(tname));
        if let Some(w) = info.wkbtype {
            m.insert("wkbtype".into(), Value::String(w.into()));
        }
        m.insert("dims".into(), json!(info.dims));
        m.insert("srid".into(), json!(info.srid));
        Value::Object(m)
    } else {
        json!({ "type": tname, "pgtype": cname })
    }
}

/// A field of unknown type (multi-statement queries cannot be described beforehand).
pub fn untyped_field_json() -> Value {
    json!({ "type": "string", "pgtype": "text" })
}

pub struct TypmodInfo {
    pub wkbtype: Option<&'static str>,
    pub dims: i32,
    pub srid: i32,
}

/// Decodes PostGIS's typmod bits the way the SQL API does (so typmod -1 gives srid -1, dims 4,
/// and no wkbtype).
pub fn typmod_info(typmod: i32) -> TypmodInfo {
    const WKB_TYPES: [&str; 15] = [
        "Unknown",
        "Point",
        "LineString",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
        "CircularString",
        "CompoundCurve",
        "CurvePolygon",
        "MultiCurvePolygon",
        "PolyhedralSurface",
        "Triangle",
        "TIN",
    ];
    let srid = ((typmod & 0x0FFF_FF00) - (typmod & 0x1000_0000)) >> 8;
    let lwtype = ((typmod & 0xFC) >> 2) as usize;
    let has_z = (typmod & 0x02) >> 1;
    let has_m = typmod & 0x01;
    TypmodInfo {
        wkbtype: WKB_TYPES.get(lwtype).copied(),
        dims: 2 + has_z + has_m,
        srid,
    }
}

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

/// A parsed PostgreSQL array literal: nested lists of optional strings.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayItem {
    Null,
    Text(String),
    List(Vec<ArrayItem>),
}

/// Parses `{1,2,"a b",NULL,{3,4}}` (with optional `[1:2]=` bounds prefix).
pub fn parse_array(text: &str) -> Option<Vec<ArrayItem>> {
    let body = match text.find("={") {
        Some(pos) if text.starts_with('[') => &text[pos + 1..],
        _ => text,
    };
    let chars: Vec<char> = body.chars().collect();
    let mut pos = 0;
    let list = parse_list(&chars, &mut pos)?;
    (pos == chars.len()).then_some(list)
}

fn parse_list(c: &[char], pos: &mut usize) -> Option<Vec<ArrayItem>> {
    if c.get(*pos) != Some(&'{') {
        return None;
    }
    *pos += 1;
    let mut items = Vec::new();
    if c.get(*pos) == Some(&'}') {
        *pos += 1;
        return Some(items);
    }
    loop {
        match c.get(*pos)? {
            '{' => items.push(ArrayItem::List(parse_list(c, pos)?)),
            '"' => {
                *pos += 1;
                let mut s = String::new();
                loop {
                    match c.get(*pos)? {
                        '\\' => {
                            s.push(*c.get(*pos + 1)?);
                            *pos += 2;
                        }
                        '"' => {
                            *pos += 1;
                            break;
                        }
                        ch => {
                            s.push(*ch);
                            *pos += 1;
                        }
                    }
                }
                items.push(ArrayItem::Text(s));
            }
            _ => {
                let start = *pos;
                while !matches!(c.get(*pos)?, ',' | '}') {
                    *pos += 1;
                }
                let raw: String = c[start..*pos].iter().collect();
                items.push(if raw == "NULL" {
                    ArrayItem::Null
                } else {
                    ArrayItem::Text(raw)
                });
            }
        }
        match c.get(*pos)? {
            ',' => *pos += 1,
            '}' => {
                *pos += 1;
                return Some(items);
            }
            _ => return None,
        }
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
    fn field_types_follow_the_sql_api_mapping() {
        assert_eq!(
            field_json(&Type::INT4, -1),
            json!({"type":"number","pgtype":"int4"})
        );
        assert_eq!(
            field_json(&Type::TEXT, -1),
            json!({"type":"string","pgtype":"text"})
        );
        assert_eq!(
            field_json(&Type::BOOL, -1),
            json!({"type":"boolean","pgtype":"bool"})
        );
        assert_eq!(
            field_json(&Type::TIMESTAMPTZ, -1),
            json!({"type":"date","pgtype":"timestamptz"})
        );
        assert_eq!(
            field_json(&Type::INT4_ARRAY, -1),
            json!({"type":"number[]","pgtype":"_int4"})
        );
        assert_eq!(
            field_json(&Type::TEXT_ARRAY, -1),
            json!({"type":"string[]","pgtype":"_text"})
        );
        // Quirks of the original: json is upper case, interval contains "int".
        assert_eq!(
            field_json(&Type::JSON, -1),
            json!({"type":"JSON","pgtype":"JSON"})
        );
        assert_eq!(
            field_json(&Type::INTERVAL, -1),
            json!({"type":"number","pgtype":"interval"})
        );
        assert_eq!(
            field_json(&Type::NAME, -1),
            json!({"type":"name","pgtype":"name"})
        );
        assert_eq!(
            field_json(&Type::UUID, -1),
            json!({"type":"uuid","pgtype":"uuid"})
        );
        assert_eq!(
            field_json(&Type::JSONPATH, -1),
            json!({"type":"unknown(4072)"})
        );
    }

    #[test]
    fn typmod_decoding_matches_postgis() {
        // geometry(Point,4326)
        let i = typmod_info(4326 << 8 | 1 << 2);
        assert_eq!((i.wkbtype, i.dims, i.srid), (Some("Point"), 2, 4326));
        // geometry(Geometry,3857)
        let i = typmod_info(3857 << 8);
        assert_eq!((i.wkbtype, i.dims, i.srid), (Some("Unknown"), 2, 3857));
        // geometry(PolygonZM,0)
        let i = typmod_info(3 << 2 | 3);
        assert_eq!((i.wkbtype, i.dims), (Some("Polygon"), 4));
        // no typmod (an expression)
        let i = typmod_info(-1);
        assert_eq!((i.wkbtype, i.dims, i.srid), (None, 4, -1));
    }

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
