use super::*;
use crate::error::ErrorKind;

const ANSWER: &str = r#"{"rows":[
 {"i":1,"big":"-9223372036854775808","f":0.5,"n":"NaN","b":true,"t":"1969-12-31T23:59:59.999Z","d":"1900-01-01T00:00:00.000Z","g":"0101000020E6100000000000000000F03F0000000000000040","s":"a\"b","j":{"x":[1,2]}},
 {"i":null,"big":9223372036854775807,"f":"-Infinity","n":1e300,"b":false,"t":"Infinity","d":null,"g":null,"s":null,"j":null}
],"time":0.012,"fields":{"i":{"type":"number","pgtype":"int4"},"big":{"type":"number","pgtype":"int8"},"f":{"type":"number","pgtype":"float8"},"n":{"type":"number","pgtype":"numeric"},"b":{"type":"boolean","pgtype":"bool"},"t":{"type":"date","pgtype":"timestamptz"},"d":{"type":"date","pgtype":"date"},"g":{"type":"geometry","wkbtype":"Point","dims":2,"srid":4326},"s":{"type":"string","pgtype":"text"},"j":{"type":"JSON","pgtype":"JSON"}},"total_rows":2,"notices":["hello"],"warnings":["careful","twice"]}"#;

#[test]
fn every_kind_is_typed_from_its_field() {
    let r = ResultSet::from_json(ANSWER.as_bytes()).unwrap();
    assert_eq!(r.row_count(), 2);
    assert_eq!(r.total_rows(), Some(2));
    assert_eq!(r.time(), Some(0.012));
    let kinds: Vec<ColumnKind> = r.columns().iter().map(Column::kind).collect();
    use ColumnKind::*;
    assert_eq!(
        kinds,
        [Int, Int, Float, Float, Bool, Timestamp, Date, Geometry, Text, Text]
    );
    let c = |i: usize| r.column(i).unwrap();
    assert_eq!(c(0).int64(0).unwrap(), 1);
    assert_eq!(c(0).int64(1).unwrap_err().kind(), ErrorKind::ResultNull);
    assert_eq!(c(1).int64(0).unwrap(), i64::MIN);
    assert_eq!(c(1).int64(1).unwrap(), i64::MAX);
    assert_eq!(c(1).double(1).unwrap_err().kind(), ErrorKind::ResultType);
    // i64::MIN has no absolute value in an i64 (found by the result_json fuzz target).
    assert_eq!(c(1).double(0).unwrap_err().kind(), ErrorKind::ResultType);
    assert_eq!(c(2).double(0).unwrap(), 0.5);
    assert_eq!(c(2).double(1).unwrap(), f64::NEG_INFINITY);
    assert_eq!(c(2).int64(0).unwrap_err().kind(), ErrorKind::ResultType);
    assert!(c(3).double(0).unwrap().is_nan());
    assert_eq!(c(3).double(1).unwrap(), 1e300);
    assert!(c(4).bool(0).unwrap());
    assert_eq!(c(4).int64(0).unwrap_err().kind(), ErrorKind::ResultType);
    assert_eq!(c(5).time_micros(0).unwrap(), -1_000);
    assert_eq!(c(5).time_micros(1).unwrap(), TIME_INFINITY);
    assert_eq!(c(5).text(0).unwrap(), "1969-12-31T23:59:59.999000Z");
    assert_eq!(c(6).date_days(0).unwrap(), -25567);
    assert_eq!(c(6).text(0).unwrap(), "1900-01-01");
    let (wkb, srid) = c(7).wkb(0).unwrap();
    assert_eq!((wkb.len(), srid), (21, 4326));
    assert_eq!(c(7).srid(), Some(4326));
    assert_eq!(c(7).pgtype(), "geometry");
    assert_eq!(c(8).text(0).unwrap(), "a\"b");
    assert_eq!(c(9).text(0).unwrap(), r#"{"x":[1,2]}"#);
    assert_eq!(c(9).nulls(), [false, true]);
    assert_eq!(
        r.notices()
            .iter()
            .map(|n| format!("{}:{}", n.severity, n.message))
            .collect::<Vec<_>>(),
        ["notice:hello", "warning:careful", "warning:twice"]
    );
}

#[test]
fn empty_results_keep_their_typed_columns() {
    let r = ResultSet::from_json(
        br#"{"rows":[],"time":0,"fields":{"a":{"type":"number","pgtype":"int8"},"b":{"type":"date","pgtype":"date"}},"total_rows":0}"#,
    )
    .unwrap();
    assert_eq!(r.row_count(), 0);
    assert_eq!(r.columns().len(), 2);
    assert_eq!(r.column(1).unwrap().kind(), ColumnKind::Date);
    let dml =
        ResultSet::from_json(br#"{"rows":[],"time":0.001,"fields":{},"total_rows":3}"#).unwrap();
    assert_eq!((dml.columns().len(), dml.total_rows()), (0, Some(3)));
}

#[test]
fn answers_that_are_not_one_result_are_errors() {
    let cases = [
        (r#"{"rows":[{"a":1},{"b":2}]}"#, "row 1 has a column 'b'"),
        (
            r#"{"rows":[{"a":1,"b":2},{"a":1}]}"#,
            "row 1 has no value for column 'b'",
        ),
        (r#"{"rows":[{"a":1,"a":2}]}"#, "twice"),
        (
            r#"{"rows":[{"a":1}],"fields":{"a":{"type":"number","pgtype":"int4"},"z":{"type":"number","pgtype":"int4"}}}"#,
            "field 'z'",
        ),
        (r#"{"time":1}"#, "missing field `rows`"),
        (r#"a,b\n1,2"#, "not a SQL API JSON result"),
        (r#"{"rows":[]} trailing"#, "trailing"),
        (r#"{"rows":[{"a":1}"#, "EOF"),
        // A second "rows" was appended to the first; a second "fields" retyped them.
        (
            r#"{"rows":[{"a":1}],"rows":[{"a":2}]}"#,
            "duplicate field `rows`",
        ),
        (
            r#"{"rows":[],"fields":{},"fields":{"a":{"type":"number"}}}"#,
            "duplicate field `fields`",
        ),
    ];
    for (body, needle) in cases {
        let err = ResultSet::from_json(body.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResultFormat, "{body}");
        assert!(err.message().contains(needle), "{body}: {err}");
    }
    // A lying server's 1 MB column name is shown cut.
    let name = "n".repeat(1 << 20);
    let body = format!(r#"{{"rows":[{{"a":1}},{{"{name}":2}}]}}"#);
    let err = ResultSet::from_json(body.as_bytes()).unwrap_err();
    assert!(err.message().len() < 600, "{}", err.message().len());
    assert!(err.message().contains("(1048576 bytes in all)"), "{err}");
}

#[test]
fn a_value_that_does_not_fit_fails_only_its_own_cell() {
    let cases = [
        (r#"{"a":1.5}"#, "int4", "1.5", "not a whole number"),
        (r#"{"a":"x"}"#, "float8", "x", "not a number"),
        (r#"{"a":"yesterday"}"#, "timestamp", "yesterday", "ISO 8601"),
        (r#"{"a":"0101"}"#, "geometry", "0101", "hex EWKB"),
        (r#"{"a":1}"#, "bool", "1", "neither true nor false"),
        (r#"{"a":{"x":1}}"#, "date", r#"{"x":1}"#, "ISO 8601 date"),
    ];
    for (cell, pgtype, text, why) in cases {
        let carto_type = if pgtype == "geometry" {
            "geometry"
        } else {
            "x"
        };
        let body = format!(
            r#"{{"rows":[{{"a":null}},{cell},{{"a":null}}],"fields":{{"a":{{"type":"{carto_type}","pgtype":"{pgtype}"}}}}}}"#
        );
        let r = ResultSet::from_json(body.as_bytes()).unwrap_or_else(|e| panic!("{body}: {e}"));
        let c = r.column(0).unwrap();
        assert_eq!(c.cell(1), Cell::Unfit(text), "{body}");
        assert!(c.is_unfit(1) && !c.is_unfit(0) && !c.is_unfit(2));
        assert_eq!(c.cell(2), Cell::Null);
        assert_eq!(c.text(1).unwrap(), text);
        let readers: [&dyn Fn(usize) -> crate::Result<()>; 6] = [
            &|row| c.int64(row).map(drop),
            &|row| c.double(row).map(drop),
            &|row| c.bool(row).map(drop),
            &|row| c.time_micros(row).map(drop),
            &|row| c.date_days(row).map(drop),
            &|row| c.wkb(row).map(drop),
        ];
        for read in readers {
            let err = read(1).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ResultType, "{body}: {err}");
            assert!(
                err.message().contains("row 1 of column 'a'") && err.message().contains(why),
                "{body}: {err}"
            );
            assert_eq!(read(0).unwrap_err().kind(), ErrorKind::ResultNull);
        }
    }
    let huge = format!(
        r#"{{"rows":[{{"a":"{}"}}],"fields":{{"a":{{"type":"date","pgtype":"date"}}}}}}"#,
        "9".repeat(100_000)
    );
    let r = ResultSet::from_json(huge.as_bytes()).unwrap();
    let err = r.column(0).unwrap().date_days(0).unwrap_err();
    assert!(err.message().len() < 400, "{}", err.message().len());
    assert_eq!(r.column(0).unwrap().text(0).unwrap().len(), 100_000);
}

#[test]
fn postgresql_values_outside_javascript_and_chrono_ranges_are_read() {
    // What the SQL API sends for 'infinity'::date, BC dates and times, years past 262143 and
    // a numeric beyond a double's range (node-postgres keeps it as text).
    let body = br#"{"rows":[
      {"d":"Infinity","t":"-Infinity","n":1},
      {"d":"0044-03-15 BC","t":"0044-03-15 12:00:00+00 BC","n":"1e400"},
      {"d":"-000043-03-15T00:00:00.000Z","t":"-000043-03-15T12:00:00.000Z","n":2},
      {"d":"275760-09-13","t":"+275760-09-13T00:00:00.000Z","n":3}
    ],"fields":{"d":{"type":"date","pgtype":"date"},"t":{"type":"date","pgtype":"timestamptz"},"n":{"type":"number","pgtype":"numeric"}}}"#;
    let r = ResultSet::from_json(body).unwrap();
    let (d, t, n) = (
        r.column(0).unwrap(),
        r.column(1).unwrap(),
        r.column(2).unwrap(),
    );
    assert_eq!(d.date_days(0).unwrap(), DATE_INFINITY);
    assert_eq!(d.time_micros(0).unwrap(), TIME_INFINITY);
    assert_eq!(d.text(0).unwrap(), "Infinity");
    assert_eq!(t.time_micros(0).unwrap(), TIME_MINUS_INFINITY);
    assert_eq!(d.date_days(1).unwrap(), d.date_days(2).unwrap());
    assert_eq!(d.text(1).unwrap(), "-000043-03-15");
    assert_eq!(t.time_micros(1).unwrap(), t.time_micros(2).unwrap());
    assert_eq!(t.text(2).unwrap(), "-000043-03-15T12:00:00.000000Z");
    assert_eq!(d.text(3).unwrap(), "+275760-09-13");
    assert_eq!(
        t.time_micros(3).unwrap(),
        d.time_micros(3).unwrap(),
        "midnight of the same day"
    );
    // The numeric beyond double range is its own cell's error, the rest reads.
    assert_eq!(n.double(0).unwrap(), 1.0);
    let err = n.double(1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResultType);
    assert!(
        err.message().contains("beyond the range of a double"),
        "{err}"
    );
    assert_eq!(n.text(1).unwrap(), "1e400");
    assert_eq!(n.double(3).unwrap(), 3.0);
}

#[test]
fn a_null_error_is_no_error_and_lone_surrogates_are_replaced() {
    let r = ResultSet::from_json(
        br#"{"rows":[{"s":"a\ud800b","p":"\ud83d\ude00","h":"\udc00"}],"error":null,"fields":{"s":{"type":"string","pgtype":"text"}}}"#,
    )
    .unwrap();
    assert_eq!(r.column(0).unwrap().text(0).unwrap(), "a\u{FFFD}b");
    assert_eq!(r.column(1).unwrap().text(0).unwrap(), "\u{1F600}");
    assert_eq!(r.column(2).unwrap().text(0).unwrap(), "\u{FFFD}");
    assert!(ResultSet::from_json(br#"{"rows":[],"error":[]}"#).is_ok());
}

#[test]
fn parsing_time_is_linear_in_columns_and_rows() {
    let wide = |columns: usize| {
        let row: Vec<String> = (0..columns).map(|i| format!("\"c{i}\":{i}")).collect();
        let fields: Vec<String> = (0..columns)
            .map(|i| format!("\"c{i}\":{{\"type\":\"number\",\"pgtype\":\"int4\"}}"))
            .collect();
        let body = format!(
            "{{\"rows\":[{{{}}},{{{}}}],\"fields\":{{{}}}}}",
            row.join(","),
            row.join(","),
            fields.join(",")
        );
        ResultSet::from_json(body.as_bytes())
            .unwrap()
            .columns()
            .len()
    };
    let ratio = crate::test_support::growth(wide, 2_000);
    assert!(
        ratio < crate::test_support::MAX_GROWTH,
        "10x the columns took {ratio:.1}x as long"
    );
    // Rows whose columns come in another order than row 0's.
    let shuffled = |rows: usize| {
        let mut body = String::from("{\"rows\":[");
        for r in 0..rows {
            let mut cells: Vec<String> = (0..50).map(|i| format!("\"c{i}\":{r}")).collect();
            cells.rotate_left(r % 50);
            body.push_str(&format!(
                "{}{{{}}}",
                if r > 0 { "," } else { "" },
                cells.join(",")
            ));
        }
        body.push_str("]}");
        ResultSet::from_json(body.as_bytes()).unwrap().row_count()
    };
    let ratio = crate::test_support::growth(shuffled, 100);
    assert!(
        ratio < crate::test_support::MAX_GROWTH,
        "10x the rows took {ratio:.1}x as long"
    );
}

#[test]
fn an_error_after_the_rows_fails_the_result() {
    let err = ResultSet::from_json(
        br#"{"rows":[{"a":1}],"time":0.1,"fields":{"a":{"type":"number","pgtype":"int4"}},"total_rows":1,"error":["division by zero"]}"#,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QueryFailed);
    assert!(err.message().contains("division by zero"), "{err}");
}

#[test]
fn escaped_names_and_untyped_columns_are_kept() {
    let r = ResultSet::from_json(
        br#"{"rows":[{"a\u00e9":"x\u0000y","n":12}],"fields":{"a\u00e9":{"type":"string","pgtype":"text"}}}"#,
    )
    .unwrap();
    assert_eq!(r.column(0).unwrap().name(), "aé");
    assert_eq!(r.column(0).unwrap().text(0).unwrap(), "x\0y");
    let n = r.column(1).unwrap();
    assert_eq!(
        (n.kind(), n.text(0).unwrap().as_str()),
        (ColumnKind::Text, "12")
    );
}

#[test]
fn columns_are_found_by_exact_name() {
    let set = ResultSet::from_json(br#"{"rows":[{"a":1,"B":2}],"fields":{"a":{"type":"number","pgtype":"int4"},"B":{"type":"number","pgtype":"int4"}}}"#).unwrap();
    assert_eq!(set.column_index("B").unwrap(), 1);
    let e = set.column_index("b").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("no column 'b'"), "{e}");
}
