//! Reading a SQL API JSON answer into typed columns with one serde pass.
//!
//! CARTO sends `rows` before `fields`, so the types are not known while the rows are read.
//! The pass therefore keeps each cell as a borrowed slice of the body (`&RawValue`: no copy,
//! no `serde_json::Value` tree) in per-column vectors, and once `fields` has been read types
//! each column in one go. The body can be dropped as soon as [`parse`] returns.

use super::cells;
use super::column::{Column, ColumnKind, Packed, Values};
use super::{Notice, ResultSet};
use crate::error::{Error, ErrorKind, Result};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A column as read from the rows: its name and each row's raw JSON value.
struct RawColumn<'de> {
    name: Cow<'de, str>,
    cells: Vec<&'de RawValue>,
}

/// A `fields` entry.
#[derive(serde::Deserialize, Default)]
struct Field {
    #[serde(rename = "type", default)]
    carto_type: String,
    #[serde(default)]
    pgtype: Option<String>,
    #[serde(default)]
    srid: Option<i64>,
}

#[derive(Default)]
struct Document<'de> {
    columns: Vec<RawColumn<'de>>,
    rows: usize,
    fields: Option<Vec<(String, Field)>>,
    total_rows: Option<u64>,
    time: Option<f64>,
    error: Option<String>,
    notices: Vec<Notice>,
}

fn format_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::ResultFormat, message)
}

impl ResultSet {
    /// Reads a SQL API JSON answer (`format=json`, the default).
    ///
    /// Errors: [`crate::ErrorKind::ResultFormat`] when the body is not such an answer or a
    /// value does not fit its column's type (the message names row and column);
    /// [`crate::ErrorKind::QueryFailed`] when the answer ends with an `error` (the query failed
    /// after rows were sent).
    pub fn from_json(body: &[u8]) -> Result<ResultSet> {
        parse(body)
    }
}

/// Parses a SQL API JSON answer (`{"rows":[...],"time":..,"fields":{...},"total_rows":..}`).
fn parse(body: &[u8]) -> Result<ResultSet> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let document = deserializer
        .deserialize_map(DocumentVisitor)
        .and_then(|d| deserializer.end().map(|()| d))
        .map_err(|e| {
            format_error(format!(
                "the answer is not a SQL API JSON result: {e} (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
    if let Some(message) = document.error {
        return Err(Error::new(
            ErrorKind::QueryFailed,
            format!("the query failed after rows were sent: {message}"),
        ));
    }
    type_columns(document)
}

/// A string that borrows from the body unless it had escapes.
struct Name<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = Document<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a SQL API result object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut doc = Document::default();
        let mut saw_rows = false;
        while let Some(Name(key)) = map.next_key::<Name>()? {
            match key.as_ref() {
                "rows" => {
                    saw_rows = true;
                    map.next_value_seed(RowsSeed(&mut doc))?;
                }
                "fields" => doc.fields = Some(map.next_value_seed(FieldsSeed)?),
                "time" => doc.time = map.next_value()?,
                "total_rows" => doc.total_rows = map.next_value()?,
                "error" => {
                    let value: serde_json::Value = map.next_value()?;
                    doc.error = Some(messages(&value).join("; "));
                }
                group => {
                    // Notices come grouped by severity: "notices", "warnings", "infos", ...
                    let value: serde_json::Value = map.next_value()?;
                    if let Some(items) = value.as_array() {
                        let severity = group.strip_suffix('s').unwrap_or(group);
                        for message in items.iter().filter_map(|m| m.as_str()) {
                            doc.notices.push(Notice {
                                severity: severity.to_owned(),
                                message: message.to_owned(),
                            });
                        }
                    }
                }
            }
        }
        if !saw_rows {
            return Err(de::Error::missing_field("rows"));
        }
        Ok(doc)
    }
}

fn messages(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::Array(items) => items.iter().flat_map(messages).collect(),
        serde_json::Value::String(s) => vec![s.clone()],
        other => vec![other.to_string()],
    }
}

struct RowsSeed<'a, 'de>(&'a mut Document<'de>);

impl<'de> DeserializeSeed<'de> for RowsSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of row objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(RowSeed(&mut *self.0))?.is_some() {
            self.0.rows += 1;
        }
        Ok(())
    }
}

struct RowSeed<'a, 'de>(&'a mut Document<'de>);

impl<'de> DeserializeSeed<'de> for RowSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let doc = self.0;
        let row = doc.rows;
        let mut position = 0;
        while let Some(Name(key)) = map.next_key::<Name>()? {
            // Every row has the columns in the same order: try the expected one first.
            let index = match doc.columns.get(position) {
                Some(c) if c.name == key => position,
                _ => match doc.columns.iter().position(|c| c.name == key) {
                    Some(i) => i,
                    None if row == 0 => {
                        doc.columns.push(RawColumn {
                            name: key,
                            cells: Vec::new(),
                        });
                        doc.columns.len() - 1
                    }
                    None => {
                        return Err(de::Error::custom(format!(
                            "row {row} has a column '{key}' that row 0 has not"
                        )))
                    }
                },
            };
            let column = &mut doc.columns[index];
            if column.cells.len() != row {
                return Err(de::Error::custom(format!(
                    "row {row} names column '{}' twice",
                    column.name
                )));
            }
            column.cells.push(map.next_value::<&'de RawValue>()?);
            position += 1;
        }
        if let Some(missing) = doc.columns.iter().find(|c| c.cells.len() != row + 1) {
            return Err(de::Error::custom(format!(
                "row {row} has no value for column '{}'",
                missing.name
            )));
        }
        Ok(())
    }
}

struct FieldsSeed;

impl<'de> DeserializeSeed<'de> for FieldsSeed {
    type Value = Vec<(String, Field)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FieldsSeed {
    type Value = Vec<(String, Field)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::new();
        while let Some(Name(name)) = map.next_key::<Name>()? {
            let field: Field = map.next_value()?;
            fields.push((name.into_owned(), field));
        }
        Ok(fields)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

/// Types every column from its field; columns the rows have but `fields` lacks are text.
fn type_columns(doc: Document<'_>) -> Result<ResultSet> {
    let rows = doc.rows;
    let mut raw: Vec<Option<RawColumn>> = doc.columns.into_iter().map(Some).collect();
    let mut columns = Vec::with_capacity(raw.len());
    for (name, field) in doc.fields.unwrap_or_default() {
        let taken = raw
            .iter_mut()
            .find(|c| c.as_ref().is_some_and(|c| c.name == name))
            .and_then(Option::take);
        let cells = match taken {
            Some(c) => c.cells,
            None if rows == 0 => Vec::new(),
            None => {
                return Err(format_error(format!(
                    "field '{name}' has no values in the rows"
                )))
            }
        };
        let pgtype = field
            .pgtype
            .clone()
            .unwrap_or_else(|| field.carto_type.clone());
        let kind = ColumnKind::of(&pgtype, &field.carto_type);
        let srid = (kind == ColumnKind::Geometry)
            .then(|| field.srid.and_then(|s| i32::try_from(s).ok()))
            .flatten();
        columns.push(type_column(
            name,
            field.carto_type,
            pgtype,
            srid,
            kind,
            &cells,
        )?);
    }
    for c in raw.into_iter().flatten() {
        let name = c.name.into_owned();
        columns.push(type_column(
            name,
            "string".into(),
            "text".into(),
            None,
            ColumnKind::Text,
            &c.cells,
        )?);
    }
    Ok(ResultSet {
        columns,
        row_count: rows,
        total_rows: doc.total_rows,
        time: doc.time,
        notices: doc.notices,
    })
}

/// The string inside a JSON string literal, or `None` for other JSON values.
fn json_string(raw: &str) -> Option<Cow<'_, str>> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(raw).ok().map(Cow::Owned)
}

/// A short, bounded excerpt of a value for messages.
fn excerpt(raw: &str) -> String {
    const MAX: usize = 40;
    match raw.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &raw[..cut]),
        None => raw.to_owned(),
    }
}

fn type_column(
    name: String,
    carto_type: String,
    pgtype: String,
    srid: Option<i32>,
    kind: ColumnKind,
    cells: &[&RawValue],
) -> Result<Column> {
    let n = cells.len();
    let mut nulls = Vec::with_capacity(n);
    let bad = |row: usize, raw: &str, expected: &str| {
        format_error(format!(
            "row {row} of column '{name}' ({pgtype}): expected {expected}, got {}",
            excerpt(raw)
        ))
    };
    macro_rules! typed {
        ($variant:ident, $zero:expr, $convert:expr, $expected:expr) => {{
            let mut values = Vec::with_capacity(n);
            for (row, cell) in cells.iter().enumerate() {
                let raw = cell.get();
                if raw == "null" {
                    nulls.push(true);
                    values.push($zero);
                    continue;
                }
                nulls.push(false);
                #[allow(clippy::redundant_closure_call)]
                match ($convert)(raw) {
                    Some(v) => values.push(v),
                    None => return Err(bad(row, raw, $expected)),
                }
            }
            Values::$variant(values)
        }};
    }
    let values = match kind {
        ColumnKind::Bool => typed!(
            Bool,
            false,
            |raw: &str| match raw {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            "true or false"
        ),
        ColumnKind::Int => typed!(
            Int,
            0,
            // int8 may arrive as a string (node-postgres' default).
            |raw: &str| match json_string(raw) {
                Some(s) => cells::int64(&s),
                None => cells::int64(raw),
            },
            "an integer that fits in 64 bits"
        ),
        ColumnKind::Float => typed!(
            Float,
            0.0,
            // NaN and the infinities arrive as strings.
            |raw: &str| match json_string(raw) {
                Some(s) => cells::double(&s),
                None => cells::double(raw),
            },
            "a number, NaN or ±Infinity"
        ),
        ColumnKind::Timestamp => typed!(
            Timestamp,
            0,
            |raw: &str| json_string(raw).and_then(|s| cells::timestamp_micros(&s)),
            "an ISO 8601 time"
        ),
        ColumnKind::Date => typed!(
            Date,
            0,
            |raw: &str| json_string(raw).and_then(|s| cells::date_days(&s)),
            "an ISO 8601 date"
        ),
        ColumnKind::Geometry => {
            let mut wkb = Packed::new(false, n);
            let mut srids = Vec::with_capacity(n);
            for (row, cell) in cells.iter().enumerate() {
                let raw = cell.get();
                if raw == "null" {
                    nulls.push(true);
                    srids.push(0);
                    wkb.seal();
                    continue;
                }
                nulls.push(false);
                let hex = json_string(raw).ok_or_else(|| bad(row, raw, "a hex EWKB string"))?;
                let srid = cells::ewkb_hex_to_wkb(&hex, &mut wkb.data)
                    .map_err(|why| bad(row, raw, &format!("hex EWKB ({why})")))?;
                wkb.seal();
                srids.push(srid);
            }
            Values::Geometry { wkb, srids }
        }
        ColumnKind::Text => {
            let mut text = Packed::new(true, n);
            for cell in cells {
                let raw = cell.get();
                if raw == "null" {
                    nulls.push(true);
                    text.seal();
                    continue;
                }
                nulls.push(false);
                match json_string(raw) {
                    Some(s) => text.push(s.as_bytes()),
                    // Objects, arrays, numbers and booleans in a text column: their JSON.
                    None => text.push(raw.as_bytes()),
                }
            }
            Values::Text(text)
        }
    };
    Ok(Column {
        name,
        carto_type,
        pgtype,
        srid,
        kind,
        nulls,
        values,
    })
}
