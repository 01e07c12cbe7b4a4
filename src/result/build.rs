//! Typing cells one at a time into a column: the one rule, shared by the whole-answer parser
//! (which knows the types once `fields` has been read) and the streaming reader (which knows
//! them before the first row).

use super::cells;
use super::column::{Column, ColumnKind, Packed, UnfitCell, Values};
use std::borrow::Cow;

/// What a column is, before any of its cells: name, CARTO's type, PostgreSQL's type, the SRID
/// the field declares and how the cells are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ColumnSpec {
    pub(crate) name: String,
    pub(crate) carto_type: String,
    pub(crate) pgtype: String,
    pub(crate) srid: Option<i32>,
    pub(crate) kind: ColumnKind,
}

impl ColumnSpec {
    /// A column the fields do not describe: text.
    pub(crate) fn text(name: String) -> ColumnSpec {
        ColumnSpec {
            name,
            carto_type: "string".into(),
            pgtype: "text".into(),
            srid: None,
            kind: ColumnKind::Text,
        }
    }

    /// The spec of an existing column.
    pub(crate) fn of(column: &Column) -> ColumnSpec {
        ColumnSpec {
            name: column.name.clone(),
            carto_type: column.carto_type.clone(),
            pgtype: column.pgtype.clone(),
            srid: column.srid,
            kind: column.kind,
        }
    }
}

/// A column being filled, cell by cell, with raw JSON values.
pub(crate) struct ColumnBuilder {
    spec: ColumnSpec,
    nulls: Vec<bool>,
    values: Values,
    unfit: Vec<UnfitCell>,
}

impl ColumnBuilder {
    /// An empty column of `spec` with room for `capacity` cells.
    pub(crate) fn new(spec: ColumnSpec, capacity: usize) -> ColumnBuilder {
        let values = match spec.kind {
            ColumnKind::Text => Values::Text(Packed::new(true, capacity)),
            ColumnKind::Bool => Values::Bool(Vec::with_capacity(capacity)),
            ColumnKind::Int => Values::Int(Vec::with_capacity(capacity)),
            ColumnKind::Float => Values::Float(Vec::with_capacity(capacity)),
            ColumnKind::Timestamp => Values::Timestamp(Vec::with_capacity(capacity)),
            ColumnKind::Date => Values::Date(Vec::with_capacity(capacity)),
            ColumnKind::Geometry => Values::Geometry {
                wkb: Packed::new(false, capacity),
                srids: Vec::with_capacity(capacity),
            },
        };
        ColumnBuilder {
            spec,
            nulls: Vec::with_capacity(capacity),
            values,
            unfit: Vec::new(),
        }
    }

    pub(crate) fn spec(&self) -> &ColumnSpec {
        &self.spec
    }

    /// How many cells it holds.
    pub(crate) fn len(&self) -> usize {
        self.nulls.len()
    }

    /// Appends the cell whose JSON text is `raw`. A value the type cannot hold is kept as
    /// sent, with why, and fails only its own cell (see [`super::Cell::Unfit`]).
    pub(crate) fn push(&mut self, raw: &str) {
        let row = self.nulls.len();
        let null = raw == "null";
        self.nulls.push(null);
        let outcome = match &mut self.values {
            Values::Text(text) => {
                match cells::json_string(raw) {
                    _ if null => text.seal(),
                    Some(s) => text.push(s.as_bytes()),
                    // Objects, arrays, numbers and booleans in a text column: their JSON.
                    None => text.push(raw.as_bytes()),
                }
                Ok(())
            }
            Values::Bool(v) => typed(v, null, false, || match raw {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err("is neither true nor false"),
            }),
            // int8 may arrive as a string (node-postgres' default).
            Values::Int(v) => typed(v, null, 0, || match cells::json_string(raw) {
                Some(s) => cells::int64(&s),
                None => cells::int64(raw),
            }),
            // NaN and the infinities arrive as strings, and numerics node-postgres keeps as
            // text.
            Values::Float(v) => typed(v, null, 0.0, || match cells::json_string(raw) {
                Some(s) => cells::double(&s),
                None => cells::double(raw),
            }),
            Values::Timestamp(v) => typed(v, null, 0, || {
                cells::json_string(raw)
                    .ok_or("is not an ISO 8601 time")
                    .and_then(|s| cells::timestamp_micros(&s))
            }),
            Values::Date(v) => typed(v, null, 0, || {
                cells::json_string(raw)
                    .ok_or("is not an ISO 8601 date")
                    .and_then(|s| cells::date_days(&s))
            }),
            Values::Geometry { wkb, srids } => {
                let converted = match cells::json_string(raw) {
                    _ if null => Ok(0),
                    Some(hex) => cells::ewkb_hex_to_wkb(&hex, &mut wkb.data),
                    None => Err("is not a hex EWKB string"),
                };
                wkb.seal();
                srids.push(*converted.as_ref().unwrap_or(&0));
                converted.map(drop)
            }
        };
        if let Err(why) = outcome {
            // A cell that does not fit keeps what was sent (its string, or its JSON text).
            let text = cells::json_string(raw).map_or_else(|| raw.to_owned(), Cow::into_owned);
            self.unfit.push(UnfitCell {
                row,
                text: text.into_boxed_str(),
                why,
            });
        }
    }

    /// Drops the cells from row `rows` on (a row that was only partly received).
    pub(crate) fn truncate(&mut self, rows: usize) {
        if rows >= self.nulls.len() {
            return;
        }
        self.nulls.truncate(rows);
        while self.unfit.last().is_some_and(|u| u.row >= rows) {
            self.unfit.pop();
        }
        match &mut self.values {
            Values::Text(p) => p.truncate(rows),
            Values::Bool(v) => v.truncate(rows),
            Values::Int(v) | Values::Timestamp(v) => v.truncate(rows),
            Values::Float(v) => v.truncate(rows),
            Values::Date(v) => v.truncate(rows),
            Values::Geometry { wkb, srids } => {
                wkb.truncate(rows);
                srids.truncate(rows);
            }
        }
    }

    /// The column, and a fresh builder of the same spec with room for `capacity` cells.
    pub(crate) fn take(&mut self, capacity: usize) -> Column {
        let fresh = ColumnBuilder::new(self.spec.clone(), capacity);
        std::mem::replace(self, fresh).finish()
    }

    pub(crate) fn finish(self) -> Column {
        let ColumnSpec {
            name,
            carto_type,
            pgtype,
            srid,
            kind,
        } = self.spec;
        Column {
            name,
            carto_type,
            pgtype,
            srid,
            kind,
            nulls: self.nulls,
            values: self.values,
            unfit: self.unfit,
        }
    }
}

/// Appends a fixed-size value: `zero` for NULL and for a value that does not fit.
fn typed<T: Copy>(
    values: &mut Vec<T>,
    null: bool,
    zero: T,
    convert: impl FnOnce() -> Result<T, cells::Unfit>,
) -> Result<(), cells::Unfit> {
    if null {
        values.push(zero);
        return Ok(());
    }
    match convert() {
        Ok(v) => {
            values.push(v);
            Ok(())
        }
        Err(why) => {
            values.push(zero);
            Err(why)
        }
    }
}
