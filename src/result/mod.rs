//! Typed result sets: a SQL API JSON answer read once into typed columns (see [`ResultSet`]).
//!
//! Each column's storage follows its field's `pgtype`: exact 64-bit integers for int2/int4/
//! int8, doubles for float4/float8/numeric (NaN and the infinities included), booleans,
//! timestamps as microseconds since the epoch UTC, dates as days, geometries as WKB with their
//! SRID, and text for everything else.
//!
//! A value that does not fit its column's type (a numeric beyond a double's range, a time past
//! 64-bit microseconds, text where a number belongs) fails only its own cell: the typed
//! readers give [`crate::ErrorKind::ResultType`] for it, naming row, column and why, and the
//! text reader gives it as sent. It is never rounded or guessed, and the rest of the table
//! reads as usual.

mod build;
mod calendar;
mod cells;
mod column;
mod parse;
pub(crate) mod stream;

use crate::error::{Error, Result};
pub(crate) use build::ColumnSpec;
pub use cells::{DATE_INFINITY, DATE_MINUS_INFINITY, TIME_INFINITY, TIME_MINUS_INFINITY};

pub use column::{Cell, Column, ColumnKind, Packed, Values};

/// A notice or warning the database raised while running the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// `notice`, `warning`, `info`, ... (CARTO groups them by severity).
    pub severity: String,
    /// The message.
    pub message: String,
}

/// A SQL API result: typed columns, the row count, `total_rows`, `time` and notices.
#[derive(Debug, Clone)]
pub struct ResultSet {
    columns: Vec<Column>,
    row_count: usize,
    total_rows: Option<u64>,
    time: Option<f64>,
    notices: Vec<Notice>,
    meta: Option<String>,
}

/// Accessors; the constructor, [`ResultSet::from_json`], is in `parse.rs` (so that the parser
/// depends on this module, not the other way round).
impl ResultSet {
    /// The columns, in the query's order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The index of the first column named `name` (names are compared exactly). Errors:
    /// no such column.
    pub fn column_index(&self, name: &str) -> Result<usize> {
        self.columns
            .iter()
            .position(|c| c.name() == name)
            .ok_or_else(|| {
                Error::invalid_argument(format!(
                    "the result has no column {}",
                    crate::text::excerpt::name(name)
                ))
            })
    }

    /// Column `index`, if there is one.
    pub fn column(&self, index: usize) -> Option<&Column> {
        self.columns.get(index)
    }

    /// How many rows the answer holds.
    pub fn row_count(&self) -> usize {
        self.row_count
    }

    /// CARTO's `total_rows`: rows returned, or rows affected by INSERT/UPDATE/DELETE.
    pub fn total_rows(&self) -> Option<u64> {
        self.total_rows
    }

    /// CARTO's `time`: seconds the query took on the server.
    pub fn time(&self) -> Option<f64> {
        self.time
    }

    /// Replaces each notice's message with `rewrite(message)`.
    pub(crate) fn rewrite_notices(&mut self, rewrite: impl Fn(&str) -> String) {
        for notice in &mut self.notices {
            notice.message = rewrite(&notice.message);
        }
    }

    /// Notices and warnings, in the order CARTO listed them (grouped by severity).
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    /// SQL API v3's `meta` object (`cacheHit`, `location`, `totalBytesProcessed`) as JSON text.
    pub fn meta(&self) -> Option<&str> {
        self.meta.as_deref()
    }
}

#[cfg(test)]
mod tests;
