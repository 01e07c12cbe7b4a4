//! `format=csv`: a header line, then one line per row (RFC 4180 quoting).

use bytes::{BufMut, BytesMut};

use super::values::ValueKind;
use super::{Column, Formatter, Summary};

#[derive(Default)]
pub struct CsvFormat;

fn write_cell(out: &mut BytesMut, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.put_u8(b'"');
        out.put_slice(text.replace('"', "\"\"").as_bytes());
        out.put_u8(b'"');
    } else {
        out.put_slice(text.as_bytes());
    }
}

impl Formatter for CsvFormat {
    fn content_type(&self) -> &'static str {
        "text/csv; charset=utf-8; header=present"
    }
    fn extension(&self) -> &'static str {
        "csv"
    }
    fn begin(&mut self, columns: &[Column], out: &mut BytesMut) {
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                out.put_u8(b',');
            }
            write_cell(out, &c.name);
        }
        out.put_u8(b'\n');
    }
    fn row(&mut self, columns: &[Column], values: &[Option<&str>], out: &mut BytesMut) {
        for (i, (c, v)) in columns.iter().zip(values).enumerate() {
            if i > 0 {
                out.put_u8(b',');
            }
            match (v, &c.kind) {
                (None, _) => {}
                (Some(t), ValueKind::Bool) => {
                    out.put_slice(if *t == "t" { b"true" } else { b"false" })
                }
                (Some(t), ValueKind::Timestamp | ValueKind::Date) => {
                    let iso = c.value_json(Some(t));
                    write_cell(out, iso.as_str().unwrap_or(t));
                }
                (Some(t), _) => write_cell(out, t),
            }
        }
        out.put_u8(b'\n');
    }
    fn finish(&mut self, _s: &Summary<'_>, _out: &mut BytesMut) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_postgres::types::Type;

    #[test]
    fn quotes_only_when_needed() {
        let cols = vec![
            Column::typed("a", &Type::TEXT, -1),
            Column::typed("b", &Type::BOOL, -1),
            Column::typed("c", &Type::INT4, -1),
        ];
        let mut f = CsvFormat;
        let mut out = BytesMut::new();
        f.begin(&cols, &mut out);
        f.row(&cols, &[Some("x, \"y\""), Some("t"), None], &mut out);
        f.row(&cols, &[Some("plain"), Some("f"), Some("3")], &mut out);
        assert_eq!(
            String::from_utf8(out.to_vec()).unwrap(),
            "a,b,c\n\"x, \"\"y\"\"\",true,\nplain,false,3\n"
        );
    }
}
