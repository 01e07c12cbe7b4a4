//! The column model: what a SQL API field says about a column, how its cells are stored once
//! typed, and the checked conversions a caller may ask for.

use super::cells;
use crate::error::{Error, ErrorKind, Result};
use crate::text::excerpt;

/// How a column's cells are stored, decided by the field's `pgtype` (or its CARTO `type` for
/// spatial columns, which have no pgtype).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum ColumnKind {
    /// Anything else (text, varchar, uuid, json, arrays, intervals, ...): the value's text,
    /// or its JSON text when CARTO sends an object, array, number or boolean.
    Text = 0,
    /// bool.
    Bool = 1,
    /// int2, int4, int8, oid: exact 64-bit integers.
    Int = 2,
    /// float4, float8, numeric: doubles (NaN and the infinities included).
    Float = 3,
    /// timestamp, timestamptz: microseconds since 1970-01-01 UTC.
    Timestamp = 4,
    /// date: days since 1970-01-01.
    Date = 5,
    /// geometry, geography: WKB (from CARTO's hex EWKB) and an SRID per cell.
    Geometry = 6,
}

impl ColumnKind {
    /// The kind for a field's pgtype / CARTO type.
    pub fn of(pgtype: &str, carto_type: &str) -> ColumnKind {
        match pgtype {
            "bool" => ColumnKind::Bool,
            "int2" | "int4" | "int8" | "oid" => ColumnKind::Int,
            "float4" | "float8" | "numeric" => ColumnKind::Float,
            "timestamp" | "timestamptz" => ColumnKind::Timestamp,
            "date" => ColumnKind::Date,
            _ if matches!(carto_type, "geometry" | "geography") => ColumnKind::Geometry,
            _ => ColumnKind::Text,
        }
    }
}

/// Variable-length values (text, WKB) packed in one buffer: value `i` is
/// `data[offsets[i]..offsets[i + 1]]`. Text values are each followed by a NUL (not part of the
/// value), so C can borrow them as strings.
#[derive(Debug, Default, Clone)]
pub struct Packed {
    pub(crate) data: Vec<u8>,
    pub(crate) offsets: Vec<usize>,
    nul_terminated: bool,
}

impl Packed {
    pub(crate) fn new(nul_terminated: bool, capacity: usize) -> Packed {
        let mut offsets = Vec::with_capacity(capacity + 1);
        offsets.push(0);
        Packed {
            data: Vec::new(),
            offsets,
            nul_terminated,
        }
    }

    /// Ends the value written to `data` since the last call.
    pub(crate) fn seal(&mut self) {
        let end = self.data.len();
        if self.nul_terminated {
            self.data.push(0);
        }
        self.offsets.push(self.data.len());
        debug_assert!(end <= self.data.len());
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.data.extend_from_slice(bytes);
        self.seal();
    }

    /// Value `i`, without its NUL.
    pub fn get(&self, i: usize) -> &[u8] {
        let end = self.offsets[i + 1] - usize::from(self.nul_terminated);
        &self.data[self.offsets[i]..end]
    }

    /// Keeps the first `count` values.
    pub(crate) fn truncate(&mut self, count: usize) {
        if count + 1 < self.offsets.len() {
            self.offsets.truncate(count + 1);
            self.data.truncate(self.offsets[count]);
        }
    }

    /// Values `rows` as a new buffer (text stays NUL-terminated).
    fn slice(&self, rows: std::ops::Range<usize>) -> Packed {
        let base = self.offsets[rows.start];
        let end = self.offsets[rows.end];
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        offsets.extend(self.offsets[rows.start..=rows.end].iter().map(|o| o - base));
        Packed {
            data: self.data[base..end].to_vec(),
            offsets,
            nul_terminated: self.nul_terminated,
        }
    }

    /// Value `i` with its NUL (text only).
    #[cfg_attr(not(feature = "capi"), allow(dead_code))] // for the C ABI (capi_support)
    pub(crate) fn get_with_nul(&self, i: usize) -> &[u8] {
        &self.data[self.offsets[i]..self.offsets[i + 1]]
    }
}

/// The typed cells of one column (NULL cells hold a zero / empty value).
#[derive(Debug, Clone)]
pub enum Values {
    /// [`ColumnKind::Text`]; NUL-terminated UTF-8.
    Text(Packed),
    /// [`ColumnKind::Bool`].
    Bool(Vec<bool>),
    /// [`ColumnKind::Int`].
    Int(Vec<i64>),
    /// [`ColumnKind::Float`].
    Float(Vec<f64>),
    /// [`ColumnKind::Timestamp`]: microseconds since the epoch, UTC.
    Timestamp(Vec<i64>),
    /// [`ColumnKind::Date`]: days since the epoch.
    Date(Vec<i32>),
    /// [`ColumnKind::Geometry`]: WKB and SRID per cell.
    Geometry {
        /// WKB without SRID.
        wkb: Packed,
        /// The SRID each EWKB carried (0: none).
        srids: Vec<i32>,
    },
}

/// One cell, typed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// SQL NULL.
    Null,
    /// Text (or JSON text of a non-scalar value).
    Text(&'a str),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A double.
    Float(f64),
    /// Microseconds since the epoch, UTC ([`cells::TIME_INFINITY`] for infinity).
    Timestamp(i64),
    /// Days since the epoch.
    Date(i32),
    /// WKB and the SRID.
    Geometry(&'a [u8], i32),
    /// A value the column's type cannot hold (a numeric beyond a double's range, text in a
    /// number column), as sent: the typed readers give [`ErrorKind::ResultType`] for it.
    Unfit(&'a str),
}

/// A cell whose value does not fit its column's type: what was sent, and why it does not fit.
#[derive(Debug, Clone)]
pub(crate) struct UnfitCell {
    pub(crate) row: usize,
    pub(crate) text: Box<str>,
    pub(crate) why: cells::Unfit,
}

/// A result column: its metadata and typed cells.
#[derive(Debug, Clone)]
pub struct Column {
    pub(crate) name: String,
    pub(crate) carto_type: String,
    pub(crate) pgtype: String,
    pub(crate) srid: Option<i32>,
    pub(crate) kind: ColumnKind,
    pub(crate) nulls: Vec<bool>,
    pub(crate) values: Values,
    /// The cells that do not fit, by increasing row (their slot in `values` holds a zero).
    pub(crate) unfit: Vec<UnfitCell>,
}

/// Largest magnitude below which every integer is exact in a double (2^53).
const EXACT_IN_DOUBLE: i64 = 1 << 53;

impl Column {
    /// The column's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// CARTO's type: number, string, boolean, date, geometry, ... (`[]` suffix for arrays).
    pub fn carto_type(&self) -> &str {
        &self.carto_type
    }
    /// PostgreSQL's type name (int4, timestamptz, ...; `geometry` for spatial columns).
    pub fn pgtype(&self) -> &str {
        &self.pgtype
    }
    /// The SRID the field declares, for geometry columns.
    pub fn srid(&self) -> Option<i32> {
        self.srid
    }
    /// How the cells are stored.
    pub fn kind(&self) -> ColumnKind {
        self.kind
    }
    /// The NULL mask, one entry per row.
    pub fn nulls(&self) -> &[bool] {
        &self.nulls
    }
    /// The typed cells.
    pub fn values(&self) -> &Values {
        &self.values
    }

    /// Whether cell `row` holds a value its column's type cannot hold ([`Cell::Unfit`]).
    pub fn is_unfit(&self, row: usize) -> bool {
        self.unfit_at(row).is_some()
    }

    fn unfit_at(&self, row: usize) -> Option<&UnfitCell> {
        if self.unfit.is_empty() {
            return None;
        }
        let i = self.unfit.binary_search_by_key(&row, |u| u.row).ok()?;
        Some(&self.unfit[i])
    }

    /// Cell `row` (the caller checked the range).
    pub fn cell(&self, row: usize) -> Cell<'_> {
        if self.nulls[row] {
            return Cell::Null;
        }
        if let Some(unfit) = self.unfit_at(row) {
            return Cell::Unfit(&unfit.text);
        }
        match &self.values {
            Values::Text(p) => Cell::Text(std::str::from_utf8(p.get(row)).unwrap_or_default()),
            Values::Bool(v) => Cell::Bool(v[row]),
            Values::Int(v) => Cell::Int(v[row]),
            Values::Float(v) => Cell::Float(v[row]),
            Values::Timestamp(v) => Cell::Timestamp(v[row]),
            Values::Date(v) => Cell::Date(v[row]),
            Values::Geometry { wkb, srids } => Cell::Geometry(wkb.get(row), srids[row]),
        }
    }

    fn refuse(&self, row: usize, wanted: &str) -> Error {
        if let Some(unfit) = self.unfit_at(row) {
            return Error::new(
                ErrorKind::ResultType,
                format!(
                    "row {row} of column {} ({}) holds {}, which {}; read it as text",
                    excerpt::name(&self.name),
                    self.pgtype,
                    excerpt::quoted(&unfit.text),
                    unfit.why
                ),
            );
        }
        Error::new(
            ErrorKind::ResultType,
            format!(
                "row {row} of column {} ({}) cannot be read as {wanted}",
                excerpt::name(&self.name),
                self.pgtype
            ),
        )
    }

    fn null(&self, row: usize) -> Error {
        Error::new(
            ErrorKind::ResultNull,
            format!("row {row} of column {} is NULL", excerpt::name(&self.name)),
        )
    }

    /// The cell as an exact int64: integers, and whole doubles within ±2^53.
    pub fn int64(&self, row: usize) -> Result<i64> {
        match self.cell(row) {
            Cell::Null => Err(self.null(row)),
            Cell::Int(i) => Ok(i),
            Cell::Float(f) if f.fract() == 0.0 && f.abs() < EXACT_IN_DOUBLE as f64 => Ok(f as i64),
            Cell::Float(f) => Err(self.refuse(row, "int64").context(format!(
                "{} is not a whole number within ±2^53",
                cells::format_double(f)
            ))),
            _ => Err(self.refuse(row, "int64")),
        }
    }

    /// The cell as a double: doubles, and integers that a double holds exactly (±2^53).
    pub fn double(&self, row: usize) -> Result<f64> {
        match self.cell(row) {
            Cell::Null => Err(self.null(row)),
            Cell::Float(f) => Ok(f),
            Cell::Int(i) if i.unsigned_abs() <= EXACT_IN_DOUBLE.unsigned_abs() => Ok(i as f64),
            Cell::Int(i) => Err(self
                .refuse(row, "double")
                .context(format!("{i} has no exact double"))),
            _ => Err(self.refuse(row, "double")),
        }
    }

    /// The cell as a boolean (bool columns only).
    pub fn bool(&self, row: usize) -> Result<bool> {
        match self.cell(row) {
            Cell::Null => Err(self.null(row)),
            Cell::Bool(b) => Ok(b),
            _ => Err(self.refuse(row, "bool")),
        }
    }

    /// The cell as microseconds since the epoch, UTC: timestamps, and dates (their midnight UTC).
    pub fn time_micros(&self, row: usize) -> Result<i64> {
        match self.cell(row) {
            Cell::Null => Err(self.null(row)),
            Cell::Timestamp(t) => Ok(t),
            Cell::Date(d) => cells::date_micros(d).ok_or_else(|| {
                self.refuse(row, "a time")
                    .context("the date is too far from 1970 for 64-bit microseconds")
            }),
            _ => Err(self.refuse(row, "a time")),
        }
    }

    /// The cell as days since the epoch (date columns only).
    pub fn date_days(&self, row: usize) -> Result<i32> {
        match self.cell(row) {
            Cell::Null => Err(self.null(row)),
            Cell::Date(d) => Ok(d),
            _ => Err(self.refuse(row, "a date")),
        }
    }

    /// The cell as WKB with its SRID (geometry columns only).
    pub fn wkb(&self, row: usize) -> Result<(&[u8], i32)> {
        match self.cell(row) {
            Cell::Null => Err(self.null(row)),
            Cell::Geometry(wkb, srid) => Ok((wkb, srid)),
            _ => Err(self.refuse(row, "WKB")),
        }
    }

    /// Rows `rows` of the column as a column of their own (row numbers start again at 0).
    pub(crate) fn slice(&self, rows: std::ops::Range<usize>) -> Column {
        let values = match &self.values {
            Values::Text(p) => Values::Text(p.slice(rows.clone())),
            Values::Bool(v) => Values::Bool(v[rows.clone()].to_vec()),
            Values::Int(v) => Values::Int(v[rows.clone()].to_vec()),
            Values::Float(v) => Values::Float(v[rows.clone()].to_vec()),
            Values::Timestamp(v) => Values::Timestamp(v[rows.clone()].to_vec()),
            Values::Date(v) => Values::Date(v[rows.clone()].to_vec()),
            Values::Geometry { wkb, srids } => Values::Geometry {
                wkb: wkb.slice(rows.clone()),
                srids: srids[rows.clone()].to_vec(),
            },
        };
        let first = self.unfit.partition_point(|u| u.row < rows.start);
        let unfit = self.unfit[first..]
            .iter()
            .take_while(|u| u.row < rows.end)
            .map(|u| UnfitCell {
                row: u.row - rows.start,
                ..u.clone()
            })
            .collect();
        Column {
            name: self.name.clone(),
            carto_type: self.carto_type.clone(),
            pgtype: self.pgtype.clone(),
            srid: self.srid,
            kind: self.kind,
            nulls: self.nulls[rows].to_vec(),
            values,
            unfit,
        }
    }

    /// The text of every cell, for columns that do not store text (NULL cells give "").
    /// Text columns are their own text; see [`Column::stored_text`].
    #[cfg_attr(not(feature = "capi"), allow(dead_code))] // for the C ABI (capi_support)
    pub(crate) fn render_text(&self) -> Packed {
        let mut packed = Packed::new(true, self.nulls.len());
        for row in 0..self.nulls.len() {
            packed.push(text_of(self.cell(row)).as_bytes());
        }
        packed
    }

    /// The packed text of a text column.
    #[cfg_attr(not(feature = "capi"), allow(dead_code))] // for the C ABI (capi_support)
    pub(crate) fn stored_text(&self) -> Option<&Packed> {
        match &self.values {
            Values::Text(p) => Some(p),
            _ => None,
        }
    }

    /// The cell as text: text as sent, numbers in shortest form, booleans true/false, times in
    /// ISO 8601 UTC with microseconds, dates YYYY-MM-DD, geometries as hex WKB.
    pub fn text(&self, row: usize) -> Result<String> {
        match self.cell(row) {
            Cell::Null => Err(self.null(row)),
            cell => Ok(text_of(cell)),
        }
    }
}

/// A cell's text (NULL gives "").
fn text_of(cell: Cell<'_>) -> String {
    match cell {
        Cell::Null => String::new(),
        Cell::Text(t) => t.to_owned(),
        Cell::Bool(b) => b.to_string(),
        Cell::Int(i) => i.to_string(),
        Cell::Float(f) => cells::format_double(f),
        Cell::Timestamp(t) => cells::format_timestamp(t),
        Cell::Date(d) => cells::format_date(d),
        Cell::Geometry(wkb, _) => cells::to_hex(wkb),
        Cell::Unfit(t) => t.to_owned(),
    }
}
