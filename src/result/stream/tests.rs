use super::*;
use crate::result::{Cell, Column};

/// An answer served in pieces of `piece` bytes.
struct Pieces {
    data: Vec<u8>,
    at: usize,
    piece: usize,
}

impl Pieces {
    fn new(data: &[u8], piece: usize) -> Pieces {
        Pieces {
            data: data.to_vec(),
            at: 0,
            piece,
        }
    }
}

impl Input for Pieces {
    fn read_into(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        let end = self.data.len().min(self.at + self.piece);
        buf.extend_from_slice(&self.data[self.at..end]);
        let n = end - self.at;
        self.at = end;
        Ok(n)
    }
}

/// A v2 answer of `n` rows of every kind: escapes, non-ASCII text, NULLs, values that do not
/// fit their type, geometries, JSON values in a text column; notices after the fields.
fn answer(n: usize) -> String {
    let mut rows = Vec::new();
    for i in 0..n {
        let text = match i % 4 {
            0 => format!("\"name {i}\""),
            1 => "\"a\\\"b\\\\c\\u00e9\\ud83d\\ude00 \u{263a}\"".to_owned(),
            2 => "null".to_owned(),
            _ => "{\"x\":[1,2,{\"y\":\"}\"}]}".to_owned(),
        };
        let int = match i % 5 {
            0 => "null".to_owned(),
            1 => "1.5".to_owned(), // does not fit
            2 => format!("\"{}\"", i64::MAX - i as i64),
            _ => format!("{}", i as i64 * -1_000_003),
        };
        let float = match i % 3 {
            0 => "\"NaN\"".to_owned(),
            1 => "1e400".to_owned(), // beyond a double
            _ => format!("{}.25", i),
        };
        let geom = if i % 2 == 0 {
            "\"0101000020E6100000000000000000F03F0000000000000040\"".to_owned()
        } else {
            "\"zz\"".to_owned()
        };
        rows.push(format!(
            "{{\"i\":{int},\"f\":{float},\"b\":{},\"t\":\"2020-01-0{}T00:00:0{}.5Z\",\"d\":\"1999-12-31\",\"g\":{geom},\"s\":{text}}}",
            if i % 7 == 0 { "null" } else if i % 2 == 0 { "true" } else { "false" },
            1 + i % 9,
            i % 10,
        ));
    }
    format!(
        "{{\"rows\":[\n{}\n ] ,\"time\":0.25,\"fields\":{FIELDS},\"total_rows\":{n},\"notices\":[\"n1\"],\"warnings\":[\"w1\",\"w2\"]}}\n",
        rows.join(",\n ")
    )
}

const FIELDS: &str = r#"{"i":{"type":"number","pgtype":"int8"},"f":{"type":"number","pgtype":"float8"},"b":{"type":"boolean","pgtype":"bool"},"t":{"type":"date","pgtype":"timestamptz"},"d":{"type":"date","pgtype":"date"},"g":{"type":"geometry","srid":4326},"s":{"type":"string","pgtype":"text"}}"#;

fn specs_of(json: &str) -> Vec<ColumnSpec> {
    ResultSet::from_json(json.as_bytes())
        .unwrap()
        .columns()
        .iter()
        .map(ColumnSpec::of)
        .collect()
}

/// Reads the whole answer in chunks; fails the test on an error.
fn read_all(
    reader: &mut ChunkReader,
    input: &mut dyn Input,
    max_rows: usize,
    probe: Probe<'_>,
) -> Vec<ResultSet> {
    let mut chunks = Vec::new();
    while let Some(chunk) = reader.next_chunk(input, max_rows, probe).unwrap() {
        assert!(chunk.row_count() <= max_rows);
        assert!(
            chunk.row_count() > 0 || chunks.is_empty(),
            "only the first chunk may be empty"
        );
        chunks.push(chunk);
        assert!(chunks.len() < 100_000, "the reader does not end");
    }
    assert!(reader.is_done());
    chunks
}

/// Every cell of the chunks, in order, with the columns' metadata, as text for comparing.
fn cells(sets: &[ResultSet]) -> Vec<String> {
    let mut out = Vec::new();
    for set in sets {
        let meta: Vec<String> = set
            .columns()
            .iter()
            .map(|c| {
                format!(
                    "{}:{}:{}:{:?}:{:?}",
                    c.name(),
                    c.carto_type(),
                    c.pgtype(),
                    c.srid(),
                    c.kind()
                )
            })
            .collect();
        for row in 0..set.row_count() {
            let line: Vec<String> = set
                .columns()
                .iter()
                .map(|c: &Column| match c.cell(row) {
                    Cell::Unfit(t) => format!("unfit {t:?} {:?}", c.int64(row).unwrap_err().kind()),
                    Cell::Float(f) if f.is_nan() => "NaN".into(),
                    cell => format!("{cell:?}"),
                })
                .collect();
            out.push(format!("{}|{}", meta.join(","), line.join("|")));
        }
    }
    out
}

#[test]
fn chunks_hold_the_cells_of_the_whole_answer_whatever_the_pieces_it_arrives_in() {
    let text = answer(40);
    let whole = ResultSet::from_json(text.as_bytes()).unwrap();
    let expected = cells(std::slice::from_ref(&whole));
    assert_eq!(expected.len(), 40);
    let specs = specs_of(&text);
    for piece in [1, 2, 3, 7, 64, 1000, 1 << 20] {
        for max_rows in [1, 3, 40, 41, 1000] {
            let mut probes = 0;
            let mut probe = || {
                probes += 1;
                Ok(Some(specs.clone()))
            };
            let mut reader = ChunkReader::new(1 << 20).with_read_ahead(0);
            let mut input = Pieces::new(text.as_bytes(), piece);
            let chunks = read_all(&mut reader, &mut input, max_rows, &mut probe);
            assert_eq!(
                cells(&chunks),
                expected,
                "pieces of {piece}, chunks of {max_rows}"
            );
            assert_eq!(reader.rows_read(), 40);
            let last = chunks.last().unwrap();
            assert_eq!((last.total_rows(), last.time()), (Some(40), Some(0.25)));
            assert_eq!(last.notices(), whole.notices());
            for chunk in &chunks[..chunks.len() - 1] {
                assert_eq!((chunk.total_rows(), chunk.notices().len()), (None, 0));
            }
            assert_eq!(chunks.len(), 40usize.div_ceil(max_rows));
            assert_eq!(probes, 1);
        }
    }
}

#[test]
fn an_answer_within_the_read_ahead_is_read_whole_without_asking_for_its_types() {
    let text = answer(25);
    let expected = cells(&[ResultSet::from_json(text.as_bytes()).unwrap()]);
    for max_rows in [1, 10, 25, 26] {
        let mut reader = ChunkReader::new(1 << 20);
        let mut input = Pieces::new(text.as_bytes(), 5);
        let mut probe = || -> Result<Option<Vec<ColumnSpec>>> { panic!("asked for types") };
        let chunks = read_all(&mut reader, &mut input, max_rows, &mut probe);
        assert_eq!(cells(&chunks), expected, "chunks of {max_rows}");
        let last = chunks.last().unwrap();
        assert_eq!((last.total_rows(), last.notices().len()), (Some(25), 3));
    }
}

#[test]
fn empty_answers_give_one_chunk_of_typed_columns() {
    let text = format!(r#"{{"rows":[],"time":0,"fields":{FIELDS},"total_rows":0}}"#);
    for read_ahead in [0, READ_AHEAD] {
        let mut reader = ChunkReader::new(1 << 20).with_read_ahead(read_ahead);
        let specs = specs_of(&text);
        let mut probe = || Ok(Some(specs.clone()));
        let mut input = Pieces::new(text.as_bytes(), 3);
        let chunks = read_all(&mut reader, &mut input, 10, &mut probe);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].row_count(), 0);
        assert_eq!(chunks[0].columns().len(), 7);
        assert_eq!(
            chunks[0].column(0).unwrap().kind(),
            crate::result::ColumnKind::Int
        );
        assert_eq!(chunks[0].total_rows(), Some(0));
    }
}

#[test]
fn an_error_after_the_rows_fails_the_call_that_reaches_it_and_every_later_one() {
    let text = answer(30).replacen(",\"time\"", ",\"error\":[\"division by zero\"],\"time\"", 1);
    let specs = specs_of(&answer(1));
    for read_ahead in [0, READ_AHEAD] {
        let mut reader = ChunkReader::new(1 << 20).with_read_ahead(read_ahead);
        let mut probe = || Ok(Some(specs.clone()));
        let mut input = Pieces::new(text.as_bytes(), 17);
        let mut rows = 0;
        let error = loop {
            match reader.next_chunk(&mut input, 7, &mut probe) {
                Ok(Some(chunk)) => rows += chunk.row_count(),
                Ok(None) => panic!("the failure was not reported"),
                Err(e) => break e,
            }
        };
        assert_eq!(error.kind(), ErrorKind::QueryFailed, "{error}");
        assert!(error.message().contains("division by zero"), "{error}");
        assert!(rows < 30, "the rows of the failed chunk are not given");
        let again = reader.next_chunk(&mut input, 7, &mut probe).unwrap_err();
        assert_eq!(again.kind(), ErrorKind::QueryFailed);
        assert!(again.message().contains("division by zero"), "{again}");
        assert!(reader.is_done());
    }
}

#[test]
fn an_answer_cut_anywhere_is_an_error_never_a_shorter_result() {
    let text = answer(6);
    let specs = specs_of(&text);
    // Every prefix that is not the whole answer (the final newline is white space).
    for cut in 0..text.trim_end().len() {
        for read_ahead in [0, READ_AHEAD] {
            let mut reader = ChunkReader::new(1 << 20).with_read_ahead(read_ahead);
            let mut probe = || Ok(Some(specs.clone()));
            let mut input = Pieces::new(&text.as_bytes()[..cut], 11);
            let outcome = loop {
                match reader.next_chunk(&mut input, 2, &mut probe) {
                    Ok(Some(_)) => {}
                    Ok(None) => break None,
                    Err(e) => break Some(e),
                }
            };
            let error = outcome.unwrap_or_else(|| panic!("cut at {cut} read as a whole answer"));
            assert_eq!(
                error.kind(),
                ErrorKind::ResultFormat,
                "cut at {cut}: {error}"
            );
        }
    }
}

#[test]
fn what_follows_the_answer_and_changed_columns_are_errors() {
    let specs = specs_of(&answer(1));
    let fail = |text: &str, specs: Vec<ColumnSpec>| {
        let mut reader = ChunkReader::new(1 << 20).with_read_ahead(0);
        let mut probe = || Ok(Some(specs.clone()));
        let mut input = Pieces::new(text.as_bytes(), 4);
        loop {
            match reader.next_chunk(&mut input, 100, &mut probe) {
                Ok(Some(_)) => {}
                Ok(None) => panic!("{text:?} was read"),
                Err(e) => return e,
            }
        }
    };
    let e = fail(&format!("{} {{}}", answer(2)), specs.clone());
    assert!(e.message().contains("goes on after its end"), "{e}");
    // The rows were typed from columns the answer does not end with.
    let mut other = specs.clone();
    other[0].pgtype = "text".into();
    other[0].kind = crate::result::ColumnKind::Text;
    let e = fail(&answer(2), other);
    assert!(
        e.message().contains("not those its rows were typed as"),
        "{e}"
    );
    assert!(e.message().contains("'i'"), "{e}");
    let e = fail(&answer(2), specs[..3].to_vec());
    assert!(
        e.message()
            .contains("3 columns were expected and the answer describes 7"),
        "{e}"
    );
    let two_fields = answer(1).replacen(
        ",\"total_rows\"",
        &format!(",\"fields\":{FIELDS},\"total_rows\""),
        1,
    );
    let e = fail(&two_fields, specs.clone());
    assert!(e.message().contains("second fields"), "{e}");
    let e = fail(r#"{"rows":[{"a":1},]}"#, vec![ColumnSpec::text("a".into())]);
    assert!(e.message().contains("row 1 is not a JSON object"), "{e}");
    let e = fail(
        r#"{"rows":[{"a":1} {"a":2}]}"#,
        vec![ColumnSpec::text("a".into())],
    );
    assert!(e.message().contains("row 0 is not followed by"), "{e}");
    let e = fail(
        r#"{"rows":[{"a":1},{"a":2,"a":3}]}"#,
        vec![ColumnSpec::text("a".into())],
    );
    assert!(e.message().contains("row 1: column 'a' twice"), "{e}");
    let e = fail(
        r#"{"rows":[{"a":1},{}]}"#,
        vec![ColumnSpec::text("a".into())],
    );
    assert!(
        e.message().contains("row 1: no value for column 'a'"),
        "{e}"
    );
    let e = fail(
        r#"{"rows":[{"a":1},{"a":2,"b":3}]}"#,
        vec![ColumnSpec::text("a".into())],
    );
    assert!(
        e.message()
            .contains("row 1: a column 'b' that the first row has not"),
        "{e}"
    );
    let e = fail(
        r#"{"rows":[{"a":1},{"a":tru}]}"#,
        vec![ColumnSpec::text("a".into())],
    );
    assert!(e.message().starts_with("row 1: "), "{e}");
    assert!(!e.message().contains("line 1"), "{e}");
    let e = fail(r#"{"rows":{"a":1}}"#, vec![]);
    assert!(e.message().contains("rows is not an array"), "{e}");
    let e = fail(r#"{"time":1 "rows":[]}"#, vec![]);
    assert!(e.message().contains("not separated by commas"), "{e}");
    let e = fail(r#"["rows"]"#, vec![]);
    assert!(e.message().contains("not a JSON object"), "{e}");
}

#[test]
fn a_column_only_the_rows_name_is_text_as_in_a_whole_answer() {
    let text = r#"{"rows":[{"a":1,"extra":{"k":2}},{"a":2,"extra":null}],"fields":{"a":{"type":"number","pgtype":"int4"}}}"#;
    let whole = cells(&[ResultSet::from_json(text.as_bytes()).unwrap()]);
    let mut reader = ChunkReader::new(1 << 20).with_read_ahead(0);
    let specs = specs_of(text);
    assert_eq!(specs.len(), 2);
    let mut probe = || Ok(Some(specs[..1].to_vec()));
    let mut input = Pieces::new(text.as_bytes(), 1);
    let chunks = read_all(&mut reader, &mut input, 1, &mut probe);
    assert_eq!(cells(&chunks), whole);
}

#[test]
fn fields_before_the_rows_type_them_without_asking() {
    let text = format!(
        r#"{{"fields":{FIELDS},"time":1,"rows":[{}]}}"#,
        r#"{"i":1,"f":2,"b":true,"t":"2020-01-01T00:00:00Z","d":"2020-01-01","g":null,"s":"x"}"#
    );
    let mut reader = ChunkReader::new(1 << 20).with_read_ahead(0);
    let mut probe = || -> Result<Option<Vec<ColumnSpec>>> { panic!("asked for types") };
    let mut input = Pieces::new(text.as_bytes(), 3);
    let chunks = read_all(&mut reader, &mut input, 5, &mut probe);
    assert_eq!(chunks[0].column(0).unwrap().int64(0).unwrap(), 1);
    assert_eq!(chunks[0].time(), Some(1.0));
}

#[test]
fn untyped_answers_are_read_whole_within_the_limit() {
    let text = answer(20);
    let expected = cells(&[ResultSet::from_json(text.as_bytes()).unwrap()]);
    let mut probe = || Ok(None);
    let mut reader = ChunkReader::new(1 << 20).with_read_ahead(0);
    let mut input = Pieces::new(text.as_bytes(), 9);
    let chunks = read_all(&mut reader, &mut input, 6, &mut probe);
    assert_eq!(cells(&chunks), expected);

    let mut reader = ChunkReader::new(text.len() as u64 / 2).with_read_ahead(0);
    let mut input = Pieces::new(text.as_bytes(), 9);
    let e = reader.next_chunk(&mut input, 6, &mut probe).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BodyTooLarge, "{e}");
    assert!(e.message().contains("cannot be read in chunks"), "{e}");
}

#[test]
fn an_answer_larger_than_the_limit_streams_but_a_row_larger_than_it_does_not() {
    let text = answer(300);
    let specs = specs_of(&text);
    let mut probe = || Ok(Some(specs.clone()));
    // The limit is far below the answer (and the read-ahead follows it).
    let limit = 1024;
    assert!(text.len() > 20 * limit);
    let mut reader = ChunkReader::new(limit as u64);
    let mut input = Pieces::new(text.as_bytes(), 100);
    let chunks = read_all(&mut reader, &mut input, 50, &mut probe);
    assert_eq!(chunks.iter().map(ResultSet::row_count).sum::<usize>(), 300);
    assert!(
        reader.buf.capacity() < 8 * limit,
        "{}",
        reader.buf.capacity()
    );

    let big = format!(r#"{{"rows":[{{"s":"{}"}}]}}"#, "x".repeat(5000));
    let mut reader = ChunkReader::new(limit as u64);
    let mut probe = || Ok(Some(vec![ColumnSpec::text("s".into())]));
    let mut input = Pieces::new(big.as_bytes(), 100);
    let e = reader.next_chunk(&mut input, 50, &mut probe).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BodyTooLarge, "{e}");
    assert!(
        e.message()
            .contains("row 0 of the answer is larger than 1024 bytes"),
        "{e}"
    );
}

#[test]
fn the_buffer_holds_a_piece_not_the_answer() {
    // 1x and 10x the rows: what stays allocated does not grow with the answer.
    let capacity = |n: usize| {
        let text = answer(n);
        let specs = specs_of(&answer(1));
        let mut probe = || Ok(Some(specs.clone()));
        let mut reader = ChunkReader::new(1 << 30).with_read_ahead(0);
        let mut input = Pieces::new(text.as_bytes(), READ_BLOCK);
        let mut most = 0;
        while let Some(chunk) = reader.next_chunk(&mut input, 100, &mut probe).unwrap() {
            most = most.max(reader.buf.capacity());
            assert!(chunk.row_count() <= 100);
        }
        most
    };
    let (small, large) = (capacity(2_000), capacity(20_000));
    assert!(large <= 2 * small.max(4 * READ_BLOCK), "{small} vs {large}");
}

#[test]
fn asking_for_no_rows_is_refused() {
    let mut reader = ChunkReader::new(1 << 20);
    let mut input = Pieces::new(b"{}", 1);
    let mut probe = || Ok(None);
    let e = reader.next_chunk(&mut input, 0, &mut probe).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn v3_answers_stream_with_their_schema() {
    let rows: Vec<String> = (0..50)
        .map(|i| {
            format!(
                r#"{{"n":{i},"big":"{}","s":"x{i}","at":"2024-01-01T00:00:0{}.000Z"}}"#,
                i64::MAX - i,
                i % 10
            )
        })
        .collect();
    let text = format!(
        r#"{{"rows":[{}],"schema":[{{"name":"n","type":"number"}},{{"name":"big","type":"bigint"}},{{"name":"s","type":"string"}},{{"name":"at","type":"timestamp"}}],"meta":{{"cacheHit":false}}}}"#,
        rows.join(",")
    );
    let whole = ResultSet::from_json(text.as_bytes()).unwrap();
    let specs = specs_of(&text);
    let mut probe = || Ok(Some(specs.clone()));
    let mut reader = ChunkReader::new(1 << 20).with_read_ahead(0);
    let mut input = Pieces::new(text.as_bytes(), 13);
    let chunks = read_all(&mut reader, &mut input, 8, &mut probe);
    assert_eq!(cells(&chunks), cells(&[whole]));
    assert_eq!(chunks.last().unwrap().meta(), Some(r#"{"cacheHit":false}"#));
}
