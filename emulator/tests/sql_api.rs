//! The SQL API over real HTTP: routes, methods, parameters, formats, types, errors, headers.

mod common;

use common::*;
use serde_json::{json, Value};

fn master(emu: &Emulator) -> String {
    emu.key("demo", "master")
}

#[test]
fn select_one_has_cartos_shape_and_headers() {
    let emu = shared();
    let r = sql(emu, "select 1 as one", "");
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["rows", "time", "fields", "total_rows"]);
    assert_eq!(v["rows"], json!([{"one": 1}]));
    assert_eq!(
        v["fields"],
        json!({"one": {"type": "number", "pgtype": "int4"}})
    );
    assert_eq!(v["total_rows"], 1);
    assert!(v["time"].is_number());
    assert_eq!(
        r.header("content-type").unwrap(),
        "application/json; charset=utf-8"
    );
    let cd = r.header("content-disposition").unwrap();
    assert!(
        cd.starts_with("inline; filename=cartodb-query.json; modification-date=\""),
        "{cd}"
    );
    assert_eq!(r.header("carto-user").unwrap(), "demo");
    assert_eq!(r.header("vary").unwrap(), "Authorization");
    assert_eq!(r.header("access-control-allow-origin").unwrap(), "*");
    assert!(r.header("carto-user-id").is_some());
}

#[test]
fn every_key_transport_reaches_the_private_table() {
    let emu = shared();
    let key = master(emu);
    let base = emu.base_url("demo");
    let q = "select name from points_private order by cartodb_id";
    let expect = json!([{"name": "Secret A"}, {"name": "Secret B"}]);
    let by_basic = get(
        emu,
        &format!("{base}/api/v2/sql?q={}", enc(q)),
        &[("Authorization", &basic("demo", &key))],
    );
    let by_query = sql(emu, q, &format!("api_key={key}"));
    let by_map_key = sql(emu, q, &format!("map_key={key}"));
    let by_form = send(
        emu,
        "POST",
        &format!("{base}/api/v2/sql"),
        &[],
        Some((
            "application/x-www-form-urlencoded",
            format!("q={}&api_key={key}", enc(q)).into_bytes(),
        )),
    );
    let by_json = send(
        emu,
        "POST",
        &format!("{base}/api/v2/sql"),
        &[],
        Some((
            "application/json",
            serde_json::to_vec(&json!({"q": q, "api_key": key})).unwrap(),
        )),
    );
    for (how, r) in [
        ("basic", by_basic),
        ("query", by_query),
        ("map_key", by_map_key),
        ("form", by_form),
        ("json", by_json),
    ] {
        assert_eq!(r.status, 200, "{how}: {}", r.text());
        assert_eq!(r.json()["rows"], expect, "{how}");
    }
}

#[test]
fn basic_auth_wins_over_a_query_key() {
    let emu = shared();
    // A wrong query key is ignored when Basic carries a good one...
    let base = emu.base_url("demo");
    let r = get(
        emu,
        &format!("{base}/api/v2/sql?q=select+1&api_key=wrong"),
        &[("Authorization", &basic("demo", &master(emu)))],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // ...and a query key wins over a body key.
    let r = send(
        emu,
        "POST",
        &format!("{base}/api/v2/sql?api_key=wrong"),
        &[],
        Some((
            "application/x-www-form-urlencoded",
            format!("q=select+1&api_key={}", master(emu)).into_bytes(),
        )),
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"error": ["Unauthorized"]}));
}

#[test]
fn any_method_runs_the_query_and_the_body_wins() {
    let emu = shared();
    let url = format!("{}/api/v2/sql?q=select+1+as+a", emu.base_url("demo"));
    for m in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        let r = send(emu, m, &url, &[], None);
        assert_eq!(r.status, 200, "{m}: {}", r.text());
        assert_eq!(r.json()["rows"], json!([{"a": 1}]), "{m}");
    }
    let r = send(
        emu,
        "POST",
        &url,
        &[],
        Some(("application/json", br#"{"q":"select 2 as b"}"#.to_vec())),
    );
    assert_eq!(r.json()["rows"], json!([{"b": 2}]));
    let r = send(
        emu,
        "POST",
        &url,
        &[],
        Some((
            "application/x-www-form-urlencoded",
            b"q=select+3+as+c".to_vec(),
        )),
    );
    assert_eq!(r.json()["rows"], json!([{"c": 3}]));
    // GET bodies are ignored, as by Express.
    let r = send(
        emu,
        "GET",
        &url,
        &[],
        Some((
            "application/x-www-form-urlencoded",
            b"q=select+4+as+d".to_vec(),
        )),
    );
    assert_eq!(r.json()["rows"], json!([{"a": 1}]));
    let r = send(emu, "OPTIONS", &url, &[], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin").unwrap(), "*");
}

#[test]
fn column_types_and_values_follow_carto() {
    let emu = shared();
    let q = "select 9876543210::int8 as big, 1.5::float8 as f, 'NaN'::float8 as nan, \
             '-Infinity'::float8 as ninf, 2.50::numeric as num, true as b, 'x'::varchar as s, \
             '2015-04-24 12:34:56.123+00'::timestamptz as ts, '2015-04-24'::date as d, \
             '{\"k\": [1, 2]}'::jsonb as j, array[1,2,null] as arr, array['a b','c'] as tarr, \
             null::text as nothing, st_setsrid(st_makepoint(1, 2), 4326) as g, \
             '11111111-2222-3333-4444-555555555555'::uuid as u, current_schema()";
    let r = sql(emu, q, "");
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(
        v["rows"][0],
        json!({
            "big": 9876543210i64, "f": 1.5, "nan": "NaN", "ninf": "-Infinity", "num": 2.5,
            "b": true, "s": "x", "ts": "2015-04-24T12:34:56.123Z", "d": "2015-04-24T00:00:00.000Z",
            "j": {"k": [1, 2]}, "arr": [1, 2, null], "tarr": ["a b", "c"], "nothing": null,
            "g": "0101000020E6100000000000000000F03F0000000000000040",
            "u": "11111111-2222-3333-4444-555555555555", "current_schema": "demo"
        })
    );
    let f = &v["fields"];
    assert_eq!(f["big"], json!({"type": "number", "pgtype": "int8"}));
    assert_eq!(f["num"], json!({"type": "number", "pgtype": "numeric"}));
    assert_eq!(f["b"], json!({"type": "boolean", "pgtype": "bool"}));
    assert_eq!(f["s"], json!({"type": "string", "pgtype": "varchar"}));
    assert_eq!(f["ts"], json!({"type": "date", "pgtype": "timestamptz"}));
    assert_eq!(f["j"], json!({"type": "jsonb", "pgtype": "jsonb"}));
    assert_eq!(f["arr"], json!({"type": "number[]", "pgtype": "_int4"}));
    assert_eq!(f["tarr"], json!({"type": "string[]", "pgtype": "_text"}));
    assert_eq!(f["g"], json!({"type": "geometry", "dims": 4, "srid": -1}));
    assert_eq!(
        f["current_schema"],
        json!({"type": "name", "pgtype": "name"})
    );
    // A table column keeps its typmod: geometry(Geometry,4326).
    let r = sql(emu, "select the_geom from points_public limit 1", "");
    assert_eq!(
        r.json()["fields"]["the_geom"],
        json!({"type": "geometry", "wkbtype": "Unknown", "dims": 2, "srid": 4326})
    );
}

#[test]
fn dml_reports_affected_rows_and_multi_statements_run() {
    let emu = shared();
    master_sql(
        emu,
        "create table dml_t (cartodb_id serial primary key, v int)",
    );
    let v = master_sql(emu, "insert into dml_t (v) values (1), (2), (3)");
    assert_eq!(v["total_rows"], 3);
    assert_eq!(v["rows"], json!([]));
    assert_eq!(v["fields"], json!({}));
    assert_eq!(
        master_sql(emu, "update dml_t set v = v + 1 where v > 1")["total_rows"],
        2
    );
    assert_eq!(
        master_sql(emu, "delete from dml_t where v > 100")["total_rows"],
        0
    );
    let v = master_sql(emu, "insert into dml_t (v) values (9) returning cartodb_id");
    assert_eq!(v["rows"], json!([{"cartodb_id": 4}]));
    assert_eq!(v["total_rows"], 1);
    // GDAL's batch insert: several statements in one request.
    master_sql(
        emu,
        "BEGIN;INSERT INTO dml_t (v) VALUES (10);INSERT INTO dml_t DEFAULT VALUES;COMMIT;",
    );
    assert_eq!(
        master_sql(emu, "select count(*) from dml_t")["rows"],
        json!([{"count": 6}])
    );
}

#[test]
fn formats_csv_geojson_and_unknown() {
    let emu = shared();
    let base = emu.base_url("demo");
    let q = enc(
        "select cartodb_id, name, active, the_geom from points_public order by cartodb_id limit 2",
    );
    let r = get(emu, &format!("{base}/api/v2/sql?q={q}&format=csv"), &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").unwrap(),
        "text/csv; charset=utf-8; header=present"
    );
    assert!(r
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment; filename=cartodb-query.csv;"));
    let text = r.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "cartodb_id,name,active,the_geom");
    assert!(
        lines[1].starts_with("1,Madrid,true,0101000020E6"),
        "{}",
        lines[1]
    );
    assert_eq!(lines.len(), 3);

    // The .format suffix route, and filename.
    let r = get(
        emu,
        &format!("{base}/api/v2/sql.csv?q={q}&filename=mine"),
        &[],
    );
    assert!(r
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment; filename=mine.csv;"));
    assert!(r.text().starts_with("cartodb_id,"));

    let r = get(
        emu,
        &format!("{base}/api/v2/sql?q={q}&format=GeoJSON&dp=2"),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["type"], "FeatureCollection");
    let f = &v["features"][0];
    assert_eq!(f["type"], "Feature");
    assert_eq!(
        f["geometry"],
        json!({"type": "Point", "coordinates": [-3.7, 40.42]})
    );
    assert_eq!(
        f["properties"],
        json!({"cartodb_id": 1, "name": "Madrid", "active": true})
    );

    let r = get(emu, &format!("{base}/api/v2/sql?q={q}&format=shp"), &[]);
    assert_eq!(r.status, 400);
    assert_eq!(r.json(), json!({"error": ["Invalid format: shp"]}));
    let r = get(emu, &format!("{base}/api/v2/sql?q={q}&format=nope"), &[]);
    assert_eq!(r.json(), json!({"error": ["Invalid format: nope"]}));
}

#[test]
fn skipfields_and_paging() {
    let emu = shared();
    let q = "select cartodb_id, name, the_geom from points_public order by cartodb_id";
    let r = sql(emu, q, "skipfields=the_geom,cartodb_id");
    let v = r.json();
    assert_eq!(v["rows"][0], json!({"name": "Madrid"}));
    assert_eq!(
        v["fields"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["name"]
    );
    let v = sql(emu, q, "rows_per_page=1&page=1&skipfields=the_geom").json();
    assert_eq!(v["rows"], json!([{"cartodb_id": 2, "name": "Paris"}]));
    let r = sql(emu, q, "rows_per_page=x");
    assert_eq!(r.status, 400);
}

#[test]
fn errors_follow_cartos_table() {
    let emu = shared();
    let base = emu.base_url("demo");
    let r = get(emu, &format!("{base}/api/v2/sql"), &[]);
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": ["You must indicate a sql query"]}))
    );
    let r = sql(emu, "select * from t where and", "");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"error": ["syntax error at or near \"and\""]})
    );
    assert_eq!(r.header("content-disposition").unwrap(), "inline");
    let r = sql(emu, "select * from no_such_table", "");
    assert_eq!(
        (r.status, r.json()),
        (
            400,
            json!({"error": ["relation \"no_such_table\" does not exist"]})
        )
    );
    let r = sql(emu, "select 1", "api_key=wrong");
    assert_eq!(
        (r.status, r.json()),
        (401, json!({"error": ["Unauthorized"]}))
    );
    let r = get(
        emu,
        &format!("{base}/api/v2/sql?q=select+1"),
        &[("Authorization", &basic("someoneelse", &master(emu)))],
    );
    assert_eq!(
        (r.status, r.json()),
        (403, json!({"error": ["permission denied"]}))
    );
    let r = get(
        emu,
        &format!("{}/user/ghost/api/v2/sql?q=select+1", emu.root_url()),
        &[],
    );
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"error": ["Sorry, we can't find CARTO user 'ghost'. Please check that you have entered the correct domain."]})
    );
    // Detail and hint of PostgreSQL errors are passed on.
    let r = sql(emu, "select 1 from points_public where name = 1", "");
    assert_eq!(r.status, 400);
    assert!(r.json()["hint"].is_string(), "{}", r.text());
    let r = get(emu, &format!("{}/nowhere", emu.root_url()), &[]);
    assert_eq!(r.status, 404);
}

#[test]
fn an_error_after_rows_keeps_200_and_appends_error() {
    let emu = shared();
    let r = sql(
        emu,
        "select 10 / (3 - g) as x from generate_series(1, 5) g",
        "",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["rows"], json!([{"x": 5}, {"x": 10}]));
    assert_eq!(v["error"], json!(["division by zero"]));
}

#[test]
fn host_based_user_routing() {
    let emu = shared();
    let url = format!("{}/api/v2/sql?q=select+current_schema()", emu.root_url());
    let port = emu.root_url().rsplit(':').next().unwrap().to_string();
    let r = get(emu, &url, &[("Host", &format!("demo.localhost:{port}"))]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["rows"], json!([{"current_schema": "demo"}]));
    // 127.0.0.1 has no user label: CARTO's regex takes "127", an unknown user.
    let r = get(emu, &url, &[]);
    assert_eq!(r.status, 404);
    assert!(r.text().contains("'127'"));
}

#[test]
fn client_param_is_echoed_and_jsonp_wraps() {
    let emu = shared();
    let r = sql(emu, "select 1", "client=cps-1.11.3");
    assert_eq!(r.header("carto-client").unwrap(), "cps-1.11.3");
    let r = send(
        emu,
        "POST",
        &format!("{}/api/v2/sql", emu.base_url("demo")),
        &[],
        Some((
            "application/json",
            br#"{"q":"select 1","client":"cartoframes_1.2.4"}"#.to_vec(),
        )),
    );
    assert_eq!(r.header("carto-client").unwrap(), "cartoframes_1.2.4");
    let r = sql(emu, "select 1 as a", "callback=cb");
    let text = r.text();
    assert!(text.starts_with("cb({\"rows\":[{\"a\":1}]"), "{text}");
    let r = sql(emu, "select nope", "callback=cb");
    assert_eq!(r.status, 200);
    assert!(r.text().starts_with("cb({\"error\":"), "{}", r.text());
}

#[test]
fn notices_and_warnings_are_returned() {
    let emu = shared();
    let v = master_sql(
        emu,
        "DO $$ BEGIN RAISE NOTICE 'hello'; RAISE WARNING 'careful'; END $$",
    );
    assert_eq!(v["notices"], json!(["hello"]));
    assert_eq!(v["warnings"], json!(["careful"]));
}

#[test]
fn gdal_style_bodies_are_decoded_leniently() {
    let emu = shared();
    let key = master(emu);
    let path = "/user/demo/api/v2/sql";
    let run = |body: String| -> Value {
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        raw_body_json(&raw_http(emu, req.as_bytes()))
    };
    // Raw spaces and '=', '&&' escaped as %26%26, the key appended unescaped.
    let v = run(format!(
        "q=SELECT name FROM \"points_public\" WHERE (\"the_geom\" %26%26 'BOX3D(-10 30, 0 50)'::box3d) AND visits = 10 LIMIT 500 OFFSET 0&api_key={key}"
    ));
    assert_eq!(v["rows"], json!([{"name": "Madrid"}]), "{v}");
    // A raw '%' leaves the value undecoded (qs), so the SQL arrives as written.
    let v = run(format!("q=SELECT 10 % 3 AS m, '%41' AS s&api_key={key}"));
    assert_eq!(v["rows"], json!([{"m": 1, "s": "%41"}]), "{v}");
    // '+' is a space, as on CARTO (so GDAL's raw '+' breaks there too).
    let v = run(format!("q=SELECT 1+1 AS two&api_key={key}"));
    assert_eq!(v["error"], json!(["syntax error at or near \"1\""]), "{v}");
    // No key: the public role, and the cdb_usertables listing GDAL starts with.
    let v = run("q=SELECT CDB_UserTables() LIMIT 500 OFFSET 0".into());
    assert_eq!(v["rows"], json!([{"cdb_usertables": "points_public"}]));
    assert_eq!(v["fields"]["cdb_usertables"]["type"], "string");
}

#[test]
fn gzip_request_bodies_are_accepted() {
    use std::io::Write;
    let emu = shared();
    let mut enc_ = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc_.write_all(b"q=select+42+as+answer").unwrap();
    let gz = enc_.finish().unwrap();
    let r = send(
        emu,
        "POST",
        &format!("{}/api/v2/sql", emu.base_url("demo")),
        &[("Content-Encoding", "gzip")],
        Some(("application/x-www-form-urlencoded", gz)),
    );
    assert_eq!(r.json()["rows"], json!([{"answer": 42}]));
}

#[test]
fn me_answers_at_user_path_and_root() {
    let emu = shared();
    let key = master(emu);
    let base = emu.base_url("demo");
    let r = get(emu, &format!("{base}/api/v3/me?api_key={key}"), &[]);
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["config"]["user_name"], "demo");
    assert_eq!(v["user_data"]["username"], "demo");
    assert_eq!(v["user_data"]["api_key"], key.as_str());
    assert_eq!(v["user_data"]["base_url"], base.as_str());
    assert_eq!(v["user_data"]["id"].as_str().unwrap().len(), 36);
    // CARTOframes' leading '/' drops /user/demo: the root path answers too.
    let r = get(
        emu,
        &format!("{}/api/v3/me", emu.root_url()),
        &[("Authorization", &basic("demo", &key))],
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["user_data"]["username"], "demo");
    for url in [
        format!("{base}/api/v3/me"),
        format!("{base}/api/v3/me?api_key=default_public"),
        format!("{base}/api/v3/me?api_key=wrong"),
        format!("{base}/api/v3/me?api_key={}", emu.key("demo", "regular")),
    ] {
        let r = get(emu, &url, &[]);
        assert_eq!(r.status, 200, "{url}");
        let v = r.json();
        assert_eq!(v["config"]["user_name"], "demo");
        assert!(v.get("user_data").is_none(), "{url}: {v}");
    }
}

#[test]
fn do_token_needs_master_or_do_grant() {
    let emu = shared();
    let base = emu.base_url("demo");
    let r = get(
        emu,
        &format!("{base}/api/v4/do/token?api_key={}", master(emu)),
        &[],
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    for k in [
        "access_token",
        "bq_public_project",
        "gcp_execution_project",
        "bq_project",
        "bq_dataset",
        "gcs_bucket",
    ] {
        assert!(v[k].is_string(), "{k}: {v}");
    }
    assert_eq!(v["instant_licensing"], false);
    let r = get(emu, &format!("{base}/api/v4/do/token?api_key=wrong"), &[]);
    assert_eq!(r.status, 401);
    let r = get(
        emu,
        &format!("{base}/api/v4/do/token?api_key=default_public"),
        &[],
    );
    assert_eq!(r.status, 403);
}

#[test]
fn stdio_copy_is_refused_and_the_key_keeps_working() {
    let emu = shared();
    let key = emu.key("demo", "regular");
    for q in [
        "COPY points_public TO STDOUT",
        "copy points_writable from stdin",
    ] {
        let r = sql(emu, q, &format!("api_key={key}"));
        assert_eq!(r.status, 400, "{q}");
        assert!(r.json()["error"][0]
            .as_str()
            .unwrap()
            .contains("/api/v2/sql/copyto"));
    }
    // A COPY hidden after another statement breaks only its own connection.
    let r = sql(
        emu,
        "select 1; copy points_public to stdout",
        &format!("api_key={key}"),
    );
    assert!(r.json()["error"].is_array(), "{}", r.text());
    for _ in 0..3 {
        let r = sql(
            emu,
            "select count(*) from points_public",
            &format!("api_key={key}"),
        );
        assert_eq!(r.json()["rows"], json!([{"count": 3}]), "{}", r.text());
    }
}

#[test]
fn multipart_bodies_and_head_requests() {
    let emu = shared();
    let boundary = "XyZ123";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nselect 7 as seven\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\ncsv\r\n--{boundary}--\r\n"
    );
    let r = send(
        emu,
        "POST",
        &format!("{}/api/v2/sql", emu.base_url("demo")),
        &[],
        Some((
            &format!("multipart/form-data; boundary={boundary}"),
            body.into_bytes(),
        )),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "seven\n7\n");
    let r = send(
        emu,
        "HEAD",
        &format!("{}/api/v2/sql?q=select+1", emu.base_url("demo")),
        &[],
        None,
    );
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
}

#[test]
fn multi_statement_results_are_untyped_strings() {
    // Several statements cannot be described before they run, so their columns come back as
    // text (the last statement's rows and fields, like node-postgres).
    let emu = shared();
    let v = sql(emu, "select 1 as a; select 2 as b, true as c", "").json();
    assert_eq!(v["rows"], json!([{"a": "1"}, {"b": "2", "c": "t"}]));
    assert_eq!(
        v["fields"],
        json!({"b": {"type": "string", "pgtype": "text"}, "c": {"type": "string", "pgtype": "text"}})
    );
    assert_eq!(v["total_rows"], 1);
}

#[test]
fn a_client_that_goes_away_cancels_its_query() {
    use std::io::Write;
    use std::time::{Duration, Instant};
    let emu = shared();
    let key = master(emu);
    let running = || {
        master_sql(
            emu,
            "select count(*) as n from pg_stat_activity where query = 'select pg_sleep(60) as abandoned' and state = 'active'",
        )["rows"][0]["n"]
            .as_i64()
            .unwrap()
    };
    let addr = emu.root_url().trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET /user/demo/api/v2/sql?q=select+pg_sleep(60)+as+abandoned&api_key={key} HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while running() == 0 {
        assert!(Instant::now() < deadline, "the query never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(s);
    while running() > 0 {
        assert!(
            Instant::now() < deadline,
            "the abandoned query kept running"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn session_state_does_not_leak_between_requests() {
    let emu = shared();
    let key = master(emu);
    // Many requests on the same key share pooled connections; none sees another's state.
    for i in 0..5 {
        for q in [
            format!("CREATE TEMP TABLE scratch_{i} (a int)"),
            "SET search_path = pg_catalog; BEGIN; SELECT 1".to_string(),
        ] {
            let r = sql(emu, &q, &format!("api_key={key}"));
            assert_eq!(r.status, 200, "{}", r.text());
        }
        let r = sql(
            emu,
            "select current_schema(), (select count(*) from pg_class where relnamespace = pg_my_temp_schema()) as temp_tables",
            &format!("api_key={key}"),
        );
        assert_eq!(
            r.json()["rows"],
            json!([{"current_schema": "demo", "temp_tables": 0}]),
            "{}",
            r.text()
        );
    }
}
