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
fn values_that_do_not_fit_are_errors_naming_row_and_column() {
    let cases = [
        (
            r#"{"rows":[{"a":1.5}],"fields":{"a":{"type":"number","pgtype":"int4"}}}"#,
            "row 0 of column 'a'",
        ),
        (
            r#"{"rows":[{"a":1},{"a":"x"}],"fields":{"a":{"type":"number","pgtype":"float8"}}}"#,
            "row 1 of column 'a'",
        ),
        (
            r#"{"rows":[{"a":"yesterday"}],"fields":{"a":{"type":"date","pgtype":"timestamp"}}}"#,
            "ISO 8601",
        ),
        (
            r#"{"rows":[{"a":"0101"}],"fields":{"a":{"type":"geometry","srid":4326}}}"#,
            "hex EWKB",
        ),
        (
            r#"{"rows":[{"a":1}],"fields":{"a":{"type":"boolean","pgtype":"bool"}}}"#,
            "true or false",
        ),
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
    ];
    for (body, needle) in cases {
        let err = ResultSet::from_json(body.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResultFormat, "{body}");
        assert!(err.message().contains(needle), "{body}: {err}");
    }
    let huge = format!(
        r#"{{"rows":[{{"a":"{}"}}],"fields":{{"a":{{"type":"date","pgtype":"date"}}}}}}"#,
        "9".repeat(100_000)
    );
    let err = ResultSet::from_json(huge.as_bytes()).unwrap_err();
    assert!(err.message().len() < 300, "{}", err.message().len());
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
