//! Reading a SQL API JSON answer as it arrives, in chunks of typed rows, in memory bounded by
//! the chunk (see [`ChunkReader`]).
//!
//! CARTO sends `rows` before `fields` (SQL API v2) or `schema` (v3), so rows can only be typed
//! as they arrive when their types are known first. The reader reads ahead up to
//! [`READ_AHEAD`] bytes: an answer that ends within them is read whole, as
//! [`ResultSet::from_json`] reads it, and handed out in slices (one request, no extra round
//! trip, for the many small answers). A longer one asks its caller for the columns (the client
//! runs the query wrapped in `LIMIT 0`, which plans it without running it) and then types each
//! row as it is parsed, straight into the chunk's columns; the answer's own `fields` are
//! checked against those types at the end. When the columns cannot be known first (the
//! statement cannot be wrapped: DML, DDL, several statements), the answer is read whole
//! within the body limit, as before.
//!
//! The rows are parsed with serde_json one row object at a time, from a buffer that holds the
//! unparsed rest of what arrived: a row cut by the end of the buffer is parsed again once more
//! has arrived (its cells are taken back). An `error` at the end of the answer (CARTO's way to
//! report a failure after rows were sent), an answer that breaks off, and columns that changed
//! all fail the call that reaches them: a result is never silently cut short.

use super::build::{ColumnBuilder, ColumnSpec};
use super::parse::{
    add_notices, failure_of, format_error, specs_of_fields, specs_of_schema, FieldsSeed, Name,
    SchemaField,
};
use super::{Notice, ResultSet};
use crate::error::{Error, ErrorKind, Result};
use crate::text::excerpt;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::fmt;

/// An answer that ends within this many bytes is read whole (no request for its types).
pub(crate) const READ_AHEAD: usize = 4 << 20;

/// Rows a chunk's columns are sized for before they grow (a caller may ask for a huge chunk of
/// a small answer).
const PRESIZED_ROWS: usize = 64 * 1024;

/// Where the answer's bytes come from.
pub(crate) trait Input {
    /// Appends what arrives next to `buf` and returns how many bytes; 0 at the answer's end.
    fn read_into(&mut self, buf: &mut Vec<u8>) -> Result<usize>;
}

/// Asked for the answer's columns when its rows come before them: `Ok(None)` when they cannot
/// be known before the rows.
pub(crate) type Probe<'a> = &'a mut dyn FnMut() -> Result<Option<Vec<ColumnSpec>>>;

/// A SQL API JSON answer read in chunks of typed rows.
pub(crate) struct ChunkReader {
    buf: Vec<u8>,
    /// Where parsing stands in `buf`.
    pos: usize,
    /// The input said it has ended.
    eof: bool,
    /// The largest unparsed piece (a row, a value; the whole answer when read whole).
    limit: usize,
    /// An answer that ends within this many bytes is read whole.
    read_ahead: usize,
    state: State,
    rows_read: u64,
    chunks: u64,
}

enum State {
    /// Nothing parsed yet.
    Start,
    /// Rows typed as they are parsed.
    Rows(Box<Rows>),
    /// The whole answer, handed out in slices from row `next`.
    Whole {
        set: ResultSet,
        next: usize,
    },
    Done,
    /// The reader stopped at this error; it is given again.
    Failed(Error),
}

/// What the answer's keys other than `rows` said.
#[derive(Default)]
struct Trailer {
    /// `fields` or `schema`, as columns.
    specs: Option<Vec<ColumnSpec>>,
    saw_fields: bool,
    total_rows: Option<u64>,
    time: Option<f64>,
    notices: Vec<Notice>,
    meta: Option<String>,
}

struct Rows {
    columns: Vec<ColumnBuilder>,
    /// The column of each name, for rows whose keys are not in the columns' order.
    index: HashMap<String, usize>,
    /// The columns the types were read from (the extra text columns of row 0 excluded).
    typed_from: usize,
    /// What may come next in the rows array.
    expect: Expect,
    /// Rows of the chunk being filled.
    chunk_rows: usize,
    trailer: Trailer,
}

/// Where the rows array stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Just after `[`: a row or `]`.
    FirstRow,
    /// Just after `,`: a row.
    Row,
    /// Just after a row: `,` or `]`.
    Separator,
}

/// How a piece of the buffer parsed.
enum Parsed<T> {
    /// Complete: the value and the offset in the buffer just after it.
    Done(T, usize),
    /// Cut off by the end of what has arrived.
    NeedMore,
}

impl ChunkReader {
    /// A reader whose unparsed pieces stay within `limit` bytes.
    pub(crate) fn new(limit: u64) -> ChunkReader {
        ChunkReader {
            buf: Vec::new(),
            pos: 0,
            eof: false,
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            read_ahead: READ_AHEAD,
            state: State::Start,
            rows_read: 0,
            chunks: 0,
        }
    }

    /// Reads an answer whole when it ends within `bytes` (default [`READ_AHEAD`]).
    #[cfg(test)]
    pub(crate) fn with_read_ahead(mut self, bytes: usize) -> ChunkReader {
        self.read_ahead = bytes;
        self
    }

    /// Rows handed out so far.
    pub(crate) fn rows_read(&self) -> u64 {
        self.rows_read
    }

    /// Whether the answer has been read to its end (or the reader failed).
    pub(crate) fn is_done(&self) -> bool {
        matches!(self.state, State::Done | State::Failed(_))
    }

    /// The next chunk of at most `max_rows` rows (at least 1): `None` once the answer has
    /// ended. The first call always gives a chunk, of no rows for an empty answer (its columns
    /// are typed all the same); the chunk with the last rows carries `total_rows`, `time`,
    /// notices and `meta`. After an error, every call gives it again.
    pub(crate) fn next_chunk(
        &mut self,
        input: &mut dyn Input,
        max_rows: usize,
        probe: Probe<'_>,
    ) -> Result<Option<ResultSet>> {
        if max_rows == 0 {
            return Err(Error::invalid_argument(
                "a chunk holds at least one row (max_rows is 0)",
            ));
        }
        match self.advance(input, max_rows, probe) {
            Ok(chunk) => {
                if let Some(chunk) = &chunk {
                    self.rows_read += chunk.row_count() as u64;
                    self.chunks += 1;
                }
                Ok(chunk)
            }
            Err(error) => {
                self.buf = Vec::new();
                self.state = State::Failed(error.clone());
                Err(error)
            }
        }
    }

    fn advance(
        &mut self,
        input: &mut dyn Input,
        max_rows: usize,
        probe: Probe<'_>,
    ) -> Result<Option<ResultSet>> {
        if matches!(self.state, State::Start) {
            self.state = self.start(input, probe)?;
        }
        match &mut self.state {
            State::Start => unreachable!("started above"),
            State::Failed(error) => Err(Error::new(
                error.kind(),
                format!("the result reader stopped at an earlier error: {error}"),
            )),
            State::Done => Ok(None),
            State::Whole { set, next } => {
                let (chunk, done) = slice_of(set, next, max_rows, self.chunks == 0);
                if done {
                    self.state = State::Done;
                }
                Ok(chunk)
            }
            State::Rows(_) => self.rows(input, max_rows),
        }
    }

    /// Reads ahead, then reads the answer whole or up to its first row.
    fn start(&mut self, input: &mut dyn Input, probe: Probe<'_>) -> Result<State> {
        let ahead = self.read_ahead.min(self.limit);
        while self.buf.len() < ahead && self.fill(input)? {}
        if self.eof {
            return self.whole();
        }
        let mut trailer = Trailer::default();
        self.expect(input, b'{', "the answer is not a JSON object")?;
        let mut after = false;
        loop {
            let Some(key) = self.next_key(input, after)? else {
                return Err(format_error("the answer has no rows"));
            };
            if key == "rows" {
                break;
            }
            let raw = self.value(input)?;
            handle_key(&key, &raw, &mut trailer)?;
            after = true;
        }
        self.expect(input, b'[', "rows is not an array")?;
        let specs = match trailer.specs.take() {
            // Types before rows: no need to ask.
            Some(specs) => specs,
            None => match probe()? {
                Some(specs) => specs,
                None => {
                    while self.fill(input)? {}
                    return self.whole();
                }
            },
        };
        let index = specs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        let typed_from = specs.len();
        Ok(State::Rows(Box::new(Rows {
            columns: specs
                .into_iter()
                .map(|spec| ColumnBuilder::new(spec, 0))
                .collect(),
            index,
            typed_from,
            expect: Expect::FirstRow,
            chunk_rows: 0,
            trailer,
        })))
    }

    /// The whole answer, which has arrived.
    fn whole(&mut self) -> Result<State> {
        let set = ResultSet::from_json(&self.buf)?;
        self.buf = Vec::new();
        self.pos = 0;
        Ok(State::Whole { set, next: 0 })
    }

    /// Parses rows into the chunk until it holds `max_rows` or the rows end.
    fn rows(&mut self, input: &mut dyn Input, max_rows: usize) -> Result<Option<ResultSet>> {
        {
            let State::Rows(rows) = &mut self.state else {
                unreachable!("called in the rows state")
            };
            let room = max_rows.min(PRESIZED_ROWS);
            for column in &mut rows.columns {
                if column.len() == 0 {
                    *column = ColumnBuilder::new(column.spec().clone(), room);
                }
            }
        }
        loop {
            let State::Rows(rows) = &self.state else {
                unreachable!("called in the rows state")
            };
            let (expect, full) = (rows.expect, rows.chunk_rows == max_rows);
            let Some(next) = self.peek(input)? else {
                return Err(self.broke_off());
            };
            match (next, expect) {
                (b']', Expect::FirstRow | Expect::Separator) => {
                    self.pos += 1;
                    return self.trailer(input).map(Some);
                }
                // A full chunk is handed out once it is known whether rows follow.
                (b',', Expect::Separator) if full => return Ok(Some(self.take_chunk(None))),
                (b',', Expect::Separator) => {
                    self.pos += 1;
                    self.rows_state().expect = Expect::Row;
                }
                (b'{', Expect::FirstRow | Expect::Row) => match self.row()? {
                    Parsed::Done((), end) => {
                        self.pos = end;
                        let rows = self.rows_state();
                        rows.chunk_rows += 1;
                        rows.expect = Expect::Separator;
                    }
                    Parsed::NeedMore => {
                        if !self.fill(input)? {
                            return Err(self.broke_off());
                        }
                    }
                },
                (other, Expect::Separator) => {
                    return Err(format_error(format!(
                        "row {} is not followed by ',' or ']' (found {})",
                        self.row_number().saturating_sub(1),
                        shown(other)
                    )))
                }
                (other, _) => {
                    return Err(format_error(format!(
                        "row {} is not a JSON object (found {})",
                        self.row_number(),
                        shown(other)
                    )))
                }
            }
        }
    }

    fn rows_state(&mut self) -> &mut Rows {
        match &mut self.state {
            State::Rows(rows) => rows,
            _ => unreachable!("called in the rows state"),
        }
    }

    /// The number of the row being read, counted from the answer's first.
    fn row_number(&self) -> u64 {
        match &self.state {
            State::Rows(rows) => self.rows_read + rows.chunk_rows as u64,
            _ => self.rows_read,
        }
    }

    /// Parses one row object at `pos` into the chunk's columns.
    fn row(&mut self) -> Result<Parsed<()>> {
        let row = self.row_number();
        let State::Rows(rows) = &mut self.state else {
            unreachable!("called in the rows state")
        };
        let slice = &self.buf[self.pos..];
        let mut visitor = RowVisitor {
            rows,
            first_row: row == 0,
            end: None,
            base: slice.as_ptr() as usize,
        };
        let mut deserializer = serde_json::Deserializer::from_slice(slice);
        let outcome = (&mut deserializer).deserialize_map(&mut visitor);
        let end = visitor.end;
        match outcome {
            Ok(()) => {
                // After the last value (or the `{` of an empty row): spaces, then `}`.
                let from = self.pos + end.unwrap_or(1);
                let close = self.buf[from..]
                    .iter()
                    .position(|&b| b == b'}')
                    .expect("serde_json read the row's closing brace");
                Ok(Parsed::Done((), from + close + 1))
            }
            Err(e) if cut_off(&self.buf[self.pos..], self.eof, &e) => {
                // Take back the cells of the row that was cut.
                let chunk_rows = rows.chunk_rows;
                for column in &mut rows.columns {
                    column.truncate(chunk_rows);
                }
                Ok(Parsed::NeedMore)
            }
            Err(e) => Err(format_error(format!("row {row}: {}", without_position(&e)))),
        }
    }

    /// Reads the keys after the rows, checks the columns, and gives the last chunk.
    fn trailer(&mut self, input: &mut dyn Input) -> Result<ResultSet> {
        while let Some(key) = self.next_key(input, true)? {
            if key == "rows" {
                return Err(format_error("the answer has a second rows"));
            }
            let raw = self.value(input)?;
            handle_key(&key, &raw, &mut self.rows_state().trailer)?;
        }
        // Only white space may follow; reading to the end also frees the connection.
        if let Some(b) = self.peek(input)? {
            return Err(format_error(format!(
                "the answer goes on after its end (found {})",
                shown(b)
            )));
        }
        let rows = self.rows_state();
        let trailer = std::mem::take(&mut rows.trailer);
        if let Some(specs) = &trailer.specs {
            check_columns(&rows.columns[..rows.typed_from], specs)?;
        }
        let chunk = self.take_chunk(Some(trailer));
        self.state = State::Done;
        Ok(chunk)
    }

    /// The rows parsed so far as a chunk (the last one with the answer's trailer).
    fn take_chunk(&mut self, trailer: Option<Trailer>) -> ResultSet {
        let rows = self.rows_state();
        let row_count = rows.chunk_rows;
        rows.chunk_rows = 0;
        let columns = rows.columns.iter_mut().map(|c| c.take(0)).collect();
        let trailer = trailer.unwrap_or_default();
        ResultSet {
            columns,
            row_count,
            total_rows: trailer.total_rows,
            time: trailer.time,
            notices: trailer.notices,
            meta: trailer.meta,
        }
    }

    /// The error of an answer that ended before its end.
    fn broke_off(&self) -> Error {
        format_error(format!(
            "the answer breaks off after {} rows: it ends before its JSON does",
            self.row_number()
        ))
    }

    /// Reads more of the answer; false at its end. Parsed bytes are dropped first, except
    /// before the rows (the answer may yet have to be read whole).
    fn fill(&mut self, input: &mut dyn Input) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 && matches!(self.state, State::Rows(_)) {
            self.buf.drain(..self.pos);
            self.pos = 0;
            // The read-ahead is not needed again.
            if self.buf.capacity() > 4 * READ_BLOCK && self.buf.len() < READ_BLOCK {
                self.buf.shrink_to(2 * READ_BLOCK);
            }
        }
        let pending = self.buf.len() - self.pos;
        if pending > self.limit {
            return Err(Error::new(
                ErrorKind::BodyTooLarge,
                if matches!(self.state, State::Rows(_)) {
                    format!(
                        "row {} of the answer is larger than {} bytes, the limit of what is kept in memory at once (max_body_size)",
                        self.row_number(),
                        self.limit
                    )
                } else {
                    format!(
                        "the answer is larger than {} bytes, the limit of what is kept in memory (max_body_size), and it cannot be read in chunks: the types of its rows are not known before them (a statement that is not a query, or several statements)",
                        self.limit
                    )
                },
            ));
        }
        let n = input.read_into(&mut self.buf)?;
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    /// The next byte that is not white space, without taking it; `None` at the answer's end.
    fn peek(&mut self, input: &mut dyn Input) -> Result<Option<u8>> {
        loop {
            while let Some(&b) = self.buf.get(self.pos) {
                if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                    return Ok(Some(b));
                }
                self.pos += 1;
            }
            if !self.fill(input)? {
                return Ok(None);
            }
        }
    }

    /// Takes the byte `wanted`, or fails with `what`.
    fn expect(&mut self, input: &mut dyn Input, wanted: u8, what: &str) -> Result<()> {
        match self.peek(input)? {
            Some(b) if b == wanted => {
                self.pos += 1;
                Ok(())
            }
            Some(b) => Err(format_error(format!("{what} (found {})", shown(b)))),
            None => Err(self.broke_off()),
        }
    }

    /// The next key of the answer object and its `:`; `None` at the object's `}`. `after` says
    /// whether a key and value came before (so a `,` separates).
    fn next_key(&mut self, input: &mut dyn Input, after: bool) -> Result<Option<String>> {
        match self.peek(input)? {
            Some(b'}') => {
                self.pos += 1;
                return Ok(None);
            }
            Some(b',') if after => self.pos += 1,
            Some(_) if !after => {}
            Some(b) => {
                return Err(format_error(format!(
                    "the answer's keys are not separated by commas (found {})",
                    shown(b)
                )))
            }
            None => return Err(self.broke_off()),
        }
        let raw = self.value(input)?;
        let key: String = serde_json::from_str(&raw)
            .map_err(|_| format_error("the answer has a key that is not a string"))?;
        self.expect(input, b':', "a key of the answer has no value")?;
        Ok(Some(key))
    }

    /// The next whole JSON value, as its text.
    fn value(&mut self, input: &mut dyn Input) -> Result<String> {
        if self.peek(input)?.is_none() {
            return Err(self.broke_off());
        }
        loop {
            match self.raw_value()? {
                Parsed::Done(raw, end) => {
                    self.pos = end;
                    return Ok(raw);
                }
                Parsed::NeedMore if self.eof => return Err(self.broke_off()),
                Parsed::NeedMore => {
                    self.fill(input)?;
                }
            }
        }
    }

    /// A value at `pos`. A value that reaches the end of what has arrived is complete only at
    /// the answer's end (a number may go on).
    fn raw_value(&self) -> Result<Parsed<String>> {
        let slice = &self.buf[self.pos..];
        let mut deserializer = serde_json::Deserializer::from_slice(slice);
        match <&RawValue as serde::Deserialize>::deserialize(&mut deserializer) {
            Ok(raw) => {
                let text = raw.get();
                let end = text.as_ptr() as usize + text.len() - slice.as_ptr() as usize;
                if end == slice.len() && !self.eof {
                    return Ok(Parsed::NeedMore);
                }
                Ok(Parsed::Done(text.to_owned(), self.pos + end))
            }
            Err(e) if cut_off(slice, self.eof, &e) => Ok(Parsed::NeedMore),
            Err(e) => Err(format_error(format!(
                "the answer after its rows is not JSON: {}",
                without_position(&e)
            ))),
        }
    }
}

/// How much is read from the input at a time (what the client's reader gives).
pub(crate) const READ_BLOCK: usize = 64 * 1024;

/// Records what a key other than `rows` says.
fn handle_key(key: &str, raw: &str, trailer: &mut Trailer) -> Result<()> {
    let bad = |e: serde_json::Error| format_error(format!("{key} is malformed: {e}"));
    match key {
        // A second `fields` would retype the rows: an answer with two is not one result.
        "fields" if trailer.saw_fields => {
            return Err(format_error("the answer has a second fields"))
        }
        "fields" => {
            trailer.saw_fields = true;
            let mut deserializer = serde_json::Deserializer::from_str(raw);
            let fields = FieldsSeed.deserialize(&mut deserializer).map_err(bad)?;
            trailer.specs = Some(specs_of_fields(fields));
        }
        // v2 `fields` win over a v3 `schema` (as the whole-answer parser has it).
        "schema" if !trailer.saw_fields => {
            let schema: Vec<SchemaField> = serde_json::from_str(raw).map_err(bad)?;
            trailer.specs = Some(specs_of_schema(schema));
        }
        "schema" => {}
        "meta" => trailer.meta = Some(raw.to_owned()),
        "time" => trailer.time = serde_json::from_str(raw).map_err(bad)?,
        "total_rows" => trailer.total_rows = serde_json::from_str(raw).map_err(bad)?,
        "error" => {
            let value: serde_json::Value = serde_json::from_str(raw).map_err(bad)?;
            if let Some(message) = failure_of(&value) {
                return Err(Error::new(
                    ErrorKind::QueryFailed,
                    format!("the query failed after rows were sent: {message}"),
                ));
            }
        }
        group => {
            let value: serde_json::Value = serde_json::from_str(raw).map_err(bad)?;
            add_notices(group, &value, &mut trailer.notices);
        }
    }
    Ok(())
}

/// The columns the rows were typed as must be those the answer describes at its end.
fn check_columns(typed: &[ColumnBuilder], described: &[ColumnSpec]) -> Result<()> {
    let changed = |what: String| {
        Err(format_error(format!(
            "the answer's columns are not those its rows were typed as: {what}"
        )))
    };
    if typed.len() != described.len() {
        return changed(format!(
            "{} columns were expected and the answer describes {}",
            typed.len(),
            described.len()
        ));
    }
    for (t, d) in typed.iter().map(ColumnBuilder::spec).zip(described) {
        if t.name != d.name || t.pgtype != d.pgtype || t.kind != d.kind {
            return changed(format!(
                "column {} ({}) is described as {} ({})",
                excerpt::name(&t.name),
                excerpt::quoted(&t.pgtype),
                excerpt::name(&d.name),
                excerpt::quoted(&d.pgtype)
            ));
        }
    }
    Ok(())
}

/// The next slice of a whole answer: rows from `next`; the set itself when it is all that is
/// asked for. The first call always gives a chunk. Returns whether the answer is done.
fn slice_of(
    set: &mut ResultSet,
    next: &mut usize,
    max_rows: usize,
    first: bool,
) -> (Option<ResultSet>, bool) {
    let total = set.row_count;
    if *next == 0 && max_rows >= total {
        let whole = std::mem::replace(set, empty_like(set));
        *next = total;
        return (Some(whole), true);
    }
    if *next >= total {
        return (first.then(|| empty_like(set)), true);
    }
    let end = total.min(*next + max_rows);
    let last = end == total;
    let chunk = ResultSet {
        columns: set.columns.iter().map(|c| c.slice(*next..end)).collect(),
        row_count: end - *next,
        total_rows: if last { set.total_rows } else { None },
        time: if last { set.time } else { None },
        notices: if last {
            std::mem::take(&mut set.notices)
        } else {
            Vec::new()
        },
        meta: if last { set.meta.take() } else { None },
    };
    *next = end;
    (Some(chunk), last)
}

/// A set of no rows with the columns of `set`.
fn empty_like(set: &ResultSet) -> ResultSet {
    ResultSet {
        columns: set.columns.iter().map(|c| c.slice(0..0)).collect(),
        row_count: 0,
        total_rows: None,
        time: None,
        notices: Vec::new(),
        meta: None,
    }
}

/// Whether a parse of `piece` failed only because it stops short of what is still to come:
/// serde_json says so of a string or object, while a number cut after `1.` or `1e` is "invalid"
/// at its last byte.
fn cut_off(piece: &[u8], ended: bool, e: &serde_json::Error) -> bool {
    if e.is_eof() {
        return true;
    }
    if ended || !e.is_syntax() {
        return false;
    }
    let line_start = if e.line() <= 1 {
        0
    } else {
        piece
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .nth(e.line() - 2)
            .map_or(piece.len(), |(i, _)| i + 1)
    };
    line_start + e.column() >= piece.len()
}

/// A byte as a message shows it.
fn shown(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// serde_json's message without "at line 1 column 37", which counts from the row's start.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Types one row's cells into the chunk's columns, and remembers where its last value ended.
struct RowVisitor<'r> {
    rows: &'r mut Rows,
    first_row: bool,
    /// Offset, from the row's start, just after its last value.
    end: Option<usize>,
    base: usize,
}

impl<'de> Visitor<'de> for &mut RowVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let rows = &mut *self.rows;
        let chunk_row = rows.chunk_rows;
        let mut position = 0;
        while let Some(Name(key)) = map.next_key::<Name>()? {
            // Every row has the columns in the same order: try the expected one first.
            let index = match rows.columns.get(position) {
                Some(c) if c.spec().name == key => position,
                _ => match rows.index.get(key.as_ref()) {
                    Some(&i) => i,
                    None if self.first_row => {
                        // A column the types do not describe: text, as in a whole answer.
                        let name = key.into_owned();
                        rows.index.insert(name.clone(), rows.columns.len());
                        rows.columns
                            .push(ColumnBuilder::new(ColumnSpec::text(name), 1));
                        rows.columns.len() - 1
                    }
                    None => {
                        return Err(de::Error::custom(format!(
                            "a column {} that the first row has not",
                            excerpt::name(&key)
                        )))
                    }
                },
            };
            let column = &mut rows.columns[index];
            if column.len() != chunk_row {
                return Err(de::Error::custom(format!(
                    "column {} twice",
                    excerpt::name(&column.spec().name)
                )));
            }
            let raw: &RawValue = map.next_value()?;
            let text = raw.get();
            self.end = Some(text.as_ptr() as usize + text.len() - self.base);
            column.push(text);
            position += 1;
        }
        // Each column got at most one cell of this row, so the row is complete when it gave
        // as many cells as there are columns.
        if position != rows.columns.len() {
            let missing = rows
                .columns
                .iter()
                .find(|c| c.len() != chunk_row + 1)
                .map_or_else(String::new, |c| excerpt::name(&c.spec().name));
            return Err(de::Error::custom(format!("no value for column {missing}")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
