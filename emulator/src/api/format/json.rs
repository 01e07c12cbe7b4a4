//! The default format: `{"rows":[...],"time":s,"fields":{...},"total_rows":n}` streamed in that
//! key order, with an `error` key appended when a query fails after rows were sent, and notices
//! grouped by severity (`notices`, `warnings`, ...).

use bytes::{BufMut, BytesMut};
use serde_json::{Map, Value};

use super::{Column, Formatter, Summary};

#[derive(Default)]
pub struct JsonFormat {
    rows: u64,
    /// JSONP: wrap the document in `callback(...)`.
    pub callback: Option<String>,
}

impl JsonFormat {
    pub fn new(callback: Option<String>) -> JsonFormat {
        JsonFormat { rows: 0, callback }
    }
}

fn write_json(out: &mut BytesMut, v: &Value) {
    serde_json::to_writer(out.writer(), v).expect("writing JSON to memory cannot fail");
}

/// The `fields` object; later columns with the same name replace earlier ones, as in a JS object.
pub fn fields_object(columns: &[Column]) -> Value {
    let mut fields = Map::new();
    for c in columns {
        fields.insert(c.name.clone(), c.field_json());
    }
    Value::Object(fields)
}

/// One row as a JSON object in column order.
pub fn row_object(columns: &[Column], values: &[Option<&str>]) -> Value {
    let mut obj = Map::new();
    for (c, v) in columns.iter().zip(values) {
        obj.insert(c.name.clone(), c.value_json(*v));
    }
    Value::Object(obj)
}

impl Formatter for JsonFormat {
    fn content_type(&self) -> &'static str {
        "application/json; charset=utf-8"
    }
    fn extension(&self) -> &'static str {
        "json"
    }
    fn begin(&mut self, _columns: &[Column], out: &mut BytesMut) {
        if let Some(cb) = &self.callback {
            out.put_slice(cb.as_bytes());
            out.put_u8(b'(');
        }
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
        out.put_slice(b"],\"time\":");
        let secs = s.elapsed.as_millis() as f64 / 1000.0;
        write_json(out, &super::values::js_number(secs));
        out.put_slice(b",\"fields\":");
        write_json(out, &fields_object(s.columns));
        out.put_slice(b",\"total_rows\":");
        write_json(out, &Value::from(s.total_rows));
        if let Some(e) = s.error {
            out.put_slice(b",\"error\":");
            write_json(out, &e.messages());
        }
        let mut groups: Map<String, Value> = Map::new();
        for n in s.notices {
            let key = format!("{}s", n.severity.to_lowercase());
            let entry = groups
                .entry(key)
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(a) = entry {
                a.push(Value::String(n.message.clone()));
            }
        }
        for (k, v) in groups {
            out.put_u8(b',');
            write_json(out, &Value::String(k));
            out.put_u8(b':');
            write_json(out, &v);
        }
        out.put_u8(b'}');
        if self.callback.is_some() {
            out.put_slice(b");");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::db::Notice;
    use std::time::Duration;
    use tokio_postgres::types::Type;

    #[test]
    fn document_shape_and_key_order() {
        let cols = vec![
            Column::typed("cartodb_id", &Type::INT4, -1),
            Column::typed("name", &Type::TEXT, -1),
        ];
        let mut f = JsonFormat::new(None);
        let mut out = BytesMut::new();
        f.begin(&cols, &mut out);
        f.row(&cols, &[Some("1"), Some("a")], &mut out);
        f.row(&cols, &[Some("2"), None], &mut out);
        let notices = vec![Notice {
            severity: "WARNING".into(),
            message: "careful".into(),
        }];
        f.finish(
            &Summary {
                elapsed: Duration::from_millis(6),
                columns: &cols,
                total_rows: 2,
                notices: &notices,
                error: None,
            },
            &mut out,
        );
        let text = String::from_utf8(out.to_vec()).unwrap();
        assert_eq!(
            text,
            r#"{"rows":[{"cartodb_id":1,"name":"a"},{"cartodb_id":2,"name":null}],"time":0.006,"fields":{"cartodb_id":{"type":"number","pgtype":"int4"},"name":{"type":"string","pgtype":"text"}},"total_rows":2,"warnings":["careful"]}"#
        );
    }

    #[test]
    fn jsonp_wraps_the_document() {
        let mut f = JsonFormat::new(Some("cb".into()));
        let mut out = BytesMut::new();
        f.begin(&[], &mut out);
        f.finish(
            &Summary {
                elapsed: Duration::ZERO,
                columns: &[],
                total_rows: 0,
                notices: &[],
                error: None,
            },
            &mut out,
        );
        let text = String::from_utf8(out.to_vec()).unwrap();
        assert!(text.starts_with("cb({\"rows\":[]"), "{text}");
        assert!(text.ends_with("});"), "{text}");
    }
}
