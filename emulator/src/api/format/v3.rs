//! CARTO 3's query result, `{"rows": [...], "schema": [{"name", "type"}], "meta": {...}}`
//! (`QueryResult` of CARTO's own TypeScript client), streamed like the v2 formats. Values are
//! converted as the SQL API v2 converts them; the schema uses the client's `SchemaFieldType`
//! names, not PostgreSQL's.

use bytes::{BufMut, BytesMut};
use serde_json::{json, Value};
use tokio_postgres::types::Kind;

use super::json::row_object;
use super::{Column, Formatter, Summary};

#[derive(Default)]
pub struct V3Format {
    rows: u64,
}

/// A column's `SchemaFieldType`. How CARTO names PostgreSQL's types is not documented; this
/// follows the client's names by meaning (inferred): integers and floats `number`, int8
/// `bigint`, text-like `string`, PostGIS's `geometry`, dates and times `timestamp`, booleans
/// `boolean`, JSON, arrays and other structured values `object`, anything else `unknown`.
pub fn schema_type(c: &Column) -> &'static str {
    let Some(ty) = &c.ty else {
        // A statement that could not be described (several statements): text values.
        return "string";
    };
    if matches!(ty.name(), "geometry" | "geography") {
        return "geometry";
    }
    if matches!(
        ty.kind(),
        Kind::Array(_) | Kind::Composite(_) | Kind::Range(_)
    ) {
        return "object";
    }
    match ty.oid() {
        16 => "boolean",
        20 => "bigint",
        21 | 23 | 26 | 700 | 701 | 1700 | 790 => "number",
        25 | 1042 | 1043 | 18 | 19 | 705 | 2950 | 869 | 650 | 829 => "string",
        1082 | 1083 | 1114 | 1184 | 1266 => "timestamp",
        114 | 3802 | 1186 | 17 => "object",
        _ if matches!(ty.kind(), Kind::Enum(_)) => "string",
        _ => "unknown",
    }
}

fn write_json(out: &mut BytesMut, v: &Value) {
    serde_json::to_writer(out.writer(), v).expect("writing JSON to memory cannot fail");
}

impl Formatter for V3Format {
    fn content_type(&self) -> &'static str {
        "application/json; charset=utf-8"
    }
    fn extension(&self) -> &'static str {
        "json"
    }
    fn begin(&mut self, _columns: &[Column], out: &mut BytesMut) {
        out.put_slice(b"{\"rows\":[");
    }
    fn row(&mut self, columns: &[Column], values: &[Option<&str>], out: &mut BytesMut) {
        if self.rows > 0 {
            out.put_u8(b',');
        }
        self.rows += 1;
        write_json(out, &row_object(columns, values));
    }
    fn finish(&mut self, s: &Summary<'_>, out: &mut BytesMut) {
        out.put_slice(b"],\"schema\":");
        let schema: Vec<Value> = s
            .columns
            .iter()
            .map(|c| json!({"name": c.name, "type": schema_type(c)}))
            .collect();
        write_json(out, &Value::Array(schema));
        // CARTO's meta describes its warehouse's work; a local PostgreSQL has no cache and
        // reports no bytes (the client's type makes totalBytesProcessed a string).
        out.put_slice(b",\"meta\":");
        write_json(
            out,
            &json!({"cacheHit": false, "location": "carto-emulator", "totalBytesProcessed": "0"}),
        );
        if let Some(e) = s.error {
            // A failure after rows were sent: the status is already 200 (as in v2).
            out.put_slice(b",\"error\":");
            write_json(out, &Value::String(e.message()));
        }
        out.put_u8(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio_postgres::types::Type;

    #[test]
    fn the_document_has_rows_schema_and_meta() {
        let cols = vec![
            Column::typed("n", &Type::INT4, -1),
            Column::typed("big", &Type::INT8, -1),
            Column::typed("name", &Type::TEXT, -1),
            Column::typed("at", &Type::TIMESTAMPTZ, -1),
            Column::typed("ok", &Type::BOOL, -1),
            Column::typed("doc", &Type::JSONB, -1),
            Column::typed("tags", &Type::TEXT_ARRAY, -1),
            Column::typed("span", &Type::TSTZ_RANGE, -1),
            Column::untyped("x"),
        ];
        let mut f = V3Format::default();
        let mut out = BytesMut::new();
        f.begin(&cols, &mut out);
        f.row(
            &cols,
            &[
                Some("1"),
                Some("2"),
                Some("a"),
                None,
                Some("t"),
                Some("{}"),
                Some("{a}"),
                None,
                Some("x"),
            ],
            &mut out,
        );
        f.finish(
            &Summary {
                elapsed: Duration::ZERO,
                columns: &cols,
                total_rows: 1,
                notices: &[],
                error: None,
            },
            &mut out,
        );
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["rows"][0]["n"], 1);
        assert_eq!(v["rows"][0]["tags"], json!(["a"]));
        let types: Vec<&str> = v["schema"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "number",
                "bigint",
                "string",
                "timestamp",
                "boolean",
                "object",
                "object",
                "object",
                "string"
            ]
        );
        assert_eq!(v["meta"]["cacheHit"], false);
        assert!(v["meta"]["totalBytesProcessed"].is_string());
    }
}
