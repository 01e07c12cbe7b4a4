//! Reading a SQL API JSON answer into typed columns with one serde pass.
//!
//! CARTO sends `rows` before `fields`, so the types are not known while the rows are read.
//! The pass therefore keeps each cell as a borrowed slice of the body (`&RawValue`: no copy,
//! no `serde_json::Value` tree) in per-column vectors, and once `fields` has been read types
//! each column in one go. The body can be dropped as soon as [`parse`] returns.

use super::build::{ColumnBuilder, ColumnSpec};
use super::column::{Column, ColumnKind};
use super::{Notice, ResultSet};
use crate::error::{Error, ErrorKind, Result};
use crate::text::excerpt;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// A column as read from the rows: its name and each row's raw JSON value.
struct RawColumn<'de> {
    name: Cow<'de, str>,
    cells: Vec<&'de RawValue>,
}

/// A `fields` entry.
#[derive(serde::Deserialize, Default)]
pub(super) struct Field {
    #[serde(rename = "type", default)]
    carto_type: String,
    #[serde(default)]
    pgtype: Option<String>,
    #[serde(default)]
    srid: Option<i64>,
}

/// A SQL API v3 `schema` entry: `{"name", "type"}` with CARTO's type names.
#[derive(serde::Deserialize)]
pub(super) struct SchemaField {
    name: String,
    #[serde(rename = "type", default)]
    carto_type: String,
}

#[derive(Default)]
struct Document<'de> {
    columns: Vec<RawColumn<'de>>,
    /// Where each column of `columns` is, by name: a row of 40,000 columns is read in linear
    /// time, not by comparing each name with every column.
    index: HashMap<Cow<'de, str>, usize>,
    rows: usize,
    fields: Option<Vec<(String, Field)>>,
    /// SQL API v3's column list (used when there are no v2 `fields`).
    schema: Option<Vec<SchemaField>>,
    /// SQL API v3's `meta` object, as JSON text.
    meta: Option<String>,
    total_rows: Option<u64>,
    time: Option<f64>,
    error: Option<String>,
    notices: Vec<Notice>,
}

pub(super) fn format_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::ResultFormat, message)
}

impl ResultSet {
    /// Reads a SQL API JSON answer (`format=json`, the default).
    ///
    /// Errors: [`crate::ErrorKind::ResultFormat`] when the body is not such an answer (not
    /// JSON, rows that disagree on their columns, a second `rows` or `fields`; the message
    /// names row and column); [`crate::ErrorKind::QueryFailed`] when the answer ends with an
    /// `error` (the query failed after rows were sent). A value that does not fit its
    /// column's type is not an error here: only reading that cell as its type is
    /// ([`super::Cell::Unfit`]).
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
pub(super) struct Name<'de>(pub(super) Cow<'de, str>);

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
                // A second "rows" would be appended to the first, a second "fields" would
                // retype them: an answer with either is not one result.
                "rows" if saw_rows => return Err(de::Error::duplicate_field("rows")),
                "fields" if doc.fields.is_some() => {
                    return Err(de::Error::duplicate_field("fields"))
                }
                "rows" => {
                    saw_rows = true;
                    map.next_value_seed(RowsSeed(&mut doc))?;
                }
                "fields" => doc.fields = Some(map.next_value_seed(FieldsSeed)?),
                "schema" => doc.schema = Some(map.next_value()?),
                "meta" => {
                    let value: &RawValue = map.next_value()?;
                    doc.meta = Some(value.get().to_owned());
                }
                "time" => doc.time = map.next_value()?,
                "total_rows" => doc.total_rows = map.next_value()?,
                "error" => {
                    let value: serde_json::Value = map.next_value()?;
                    if let Some(message) = failure_of(&value) {
                        doc.error = Some(message);
                    }
                }
                group => {
                    let value: serde_json::Value = map.next_value()?;
                    add_notices(group, &value, &mut doc.notices);
                }
            }
        }
        if !saw_rows {
            return Err(de::Error::missing_field("rows"));
        }
        Ok(doc)
    }
}

/// The failure an answer's `error` holds: `"error": null` (or `[]`) says there was none.
pub(super) fn failure_of(value: &serde_json::Value) -> Option<String> {
    let messages = messages(value);
    // Server text shown to people: bounded and redacted.
    (!messages.is_empty()).then(|| crate::text::redact::message(&messages.join("; ")))
}

/// The notices of a key that is none of the answer's own: they come grouped by severity
/// ("notices", "warnings", "infos", ...; a key longer than a severity name is something else).
pub(super) fn add_notices(group: &str, value: &serde_json::Value, notices: &mut Vec<Notice>) {
    if let Some(items) = value.as_array().filter(|_| group.len() <= 64) {
        let severity = group.strip_suffix('s').unwrap_or(group);
        for message in items.iter().filter_map(|m| m.as_str()) {
            notices.push(Notice {
                severity: severity.to_owned(),
                // Server text shown to people: bounded and redacted.
                message: crate::text::redact::message(message),
            });
        }
    }
}

fn messages(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::Array(items) => items.iter().flat_map(messages).collect(),
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Null => Vec::new(),
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
                _ => match doc.index.get(&key) {
                    Some(&i) => i,
                    None if row == 0 => {
                        doc.index.insert(key.clone(), doc.columns.len());
                        doc.columns.push(RawColumn {
                            name: key,
                            cells: Vec::new(),
                        });
                        doc.columns.len() - 1
                    }
                    None => {
                        return Err(de::Error::custom(format!(
                            "row {row} has a column {} that row 0 has not",
                            excerpt::name(&key)
                        )))
                    }
                },
            };
            let column = &mut doc.columns[index];
            if column.cells.len() != row {
                return Err(de::Error::custom(format!(
                    "row {row} names column {} twice",
                    excerpt::name(&column.name)
                )));
            }
            column.cells.push(map.next_value::<&'de RawValue>()?);
            position += 1;
        }
        // Each column got at most one cell of this row, so this row is complete when it
        // gave as many cells as there are columns.
        if position != doc.columns.len() {
            let missing = doc
                .columns
                .iter()
                .find(|c| c.cells.len() != row + 1)
                .map_or_else(String::new, |c| excerpt::name(&c.name));
            return Err(de::Error::custom(format!(
                "row {row} has no value for column {missing}"
            )));
        }
        Ok(())
    }
}

pub(super) struct FieldsSeed;

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

/// The PostgreSQL type standing for a SQL API v3 type name (CARTO's `SchemaFieldType`), so
/// that both APIs' columns are typed by one rule.
fn pgtype_of_v3(carto_type: &str) -> &'static str {
    match carto_type {
        "number" => "float8",
        "bigint" | "integer" | "int" => "int8",
        "boolean" => "bool",
        "timestamp" => "timestamptz",
        "date" => "date",
        "geometry" | "geography" => "geometry",
        _ => "text",
    }
}

/// The columns a SQL API v2 `fields` object describes, in its order.
pub(super) fn specs_of_fields(fields: Vec<(String, Field)>) -> Vec<ColumnSpec> {
    fields
        .into_iter()
        .map(|(name, field)| {
            let pgtype = field.pgtype.unwrap_or_else(|| field.carto_type.clone());
            let kind = ColumnKind::of(&pgtype, &field.carto_type);
            let srid = (kind == ColumnKind::Geometry)
                .then(|| field.srid.and_then(|s| i32::try_from(s).ok()))
                .flatten();
            ColumnSpec {
                name,
                carto_type: field.carto_type,
                pgtype,
                srid,
                kind,
            }
        })
        .collect()
}

/// The columns a SQL API v3 `schema` array describes, in its order.
pub(super) fn specs_of_schema(schema: Vec<SchemaField>) -> Vec<ColumnSpec> {
    schema
        .into_iter()
        .map(|f| {
            let pgtype = pgtype_of_v3(&f.carto_type).to_owned();
            let kind = ColumnKind::of(&pgtype, &f.carto_type);
            ColumnSpec {
                name: f.name,
                carto_type: f.carto_type,
                pgtype,
                srid: None,
                kind,
            }
        })
        .collect()
}

/// Types every column from its field; columns the rows have but `fields` lacks are text.
fn type_columns(mut doc: Document<'_>) -> Result<ResultSet> {
    let specs = match (doc.fields.take(), doc.schema.take()) {
        (Some(fields), _) => specs_of_fields(fields),
        (None, Some(schema)) => specs_of_schema(schema),
        (None, None) => Vec::new(),
    };
    let rows = doc.rows;
    let index = doc.index;
    let mut raw: Vec<Option<RawColumn>> = doc.columns.into_iter().map(Some).collect();
    let mut columns = Vec::with_capacity(raw.len());
    for spec in specs {
        let taken = index.get(spec.name.as_str()).and_then(|&i| raw[i].take());
        let cells = match taken {
            Some(c) => c.cells,
            None if rows == 0 => Vec::new(),
            None => {
                return Err(format_error(format!(
                    "field {} has no values in the rows",
                    excerpt::name(&spec.name)
                )))
            }
        };
        columns.push(type_column(spec, &cells));
    }
    for c in raw.into_iter().flatten() {
        columns.push(type_column(ColumnSpec::text(c.name.into_owned()), &c.cells));
    }
    Ok(ResultSet {
        columns,
        row_count: rows,
        total_rows: doc.total_rows,
        time: doc.time,
        notices: doc.notices,
        meta: doc.meta,
    })
}

fn type_column(spec: ColumnSpec, cells: &[&RawValue]) -> Column {
    let mut column = ColumnBuilder::new(spec, cells.len());
    for cell in cells {
        column.push(cell.get());
    }
    column.finish()
}
