//! `cartoauth sql` against carto-emulator in each output format, and its errors.

mod common;

use common::*;
use serde_json::Value;

fn logged_in(key: &str) -> Sandbox {
    let sb = Sandbox::new();
    sb.login(key, None);
    sb
}

const QUERY: &str = "select cartodb_id, name, score from points_public order by cartodb_id";

#[test]
fn table_output_is_aligned_columns_with_a_row_count() {
    let sb = logged_in(MASTER_KEY);
    let run = sb.run(&["sql", QUERY], "");
    run.assert_code(0);
    let out = run.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(lines[0].starts_with("cartodb_id | name"), "{out}");
    assert!(lines[1].starts_with("-----------+-"), "{out}");
    assert!(lines[2].starts_with("         1 | Madrid"), "{out}");
    assert_eq!(lines[5], "(3 rows)");
    // Every data line puts its separators in the same columns.
    let bars: Vec<Vec<usize>> = lines[2..5]
        .iter()
        .map(|l| l.match_indices(" | ").map(|(i, _)| i).collect())
        .collect();
    assert!(bars.windows(2).all(|w| w[0] == w[1]), "{out}");
    assert!(run.stderr().is_empty(), "{}", run.stderr());
}

#[test]
fn json_csv_and_geojson_are_the_sql_apis_own_output() {
    let sb = logged_in(MASTER_KEY);
    let json: Value =
        serde_json::from_str(&sb.run(&["sql", QUERY, "--format", "json"], "").stdout()).unwrap();
    assert_eq!(json["total_rows"], 3);
    assert_eq!(json["rows"][0]["name"], "Madrid");
    assert!(json["fields"]["score"].is_object());

    let run = sb.run(&["sql", QUERY, "-f", "csv"], "");
    run.assert_code(0);
    let csv = run.stdout();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "cartodb_id,name,score");
    assert!(lines[1].starts_with("1,Madrid,"), "{csv}");
    assert_eq!(lines.len(), 4, "{csv}");

    let run = sb.run(
        &[
            "sql",
            "select * from points_public order by cartodb_id",
            "--format",
            "geojson",
        ],
        "",
    );
    run.assert_code(0);
    let geo: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(geo["type"], "FeatureCollection");
    assert_eq!(geo["features"].as_array().unwrap().len(), 3);
    assert_eq!(geo["features"][0]["geometry"]["type"], "Point");
}

#[test]
fn statements_without_columns_say_how_many_rows_they_changed() {
    let sb = logged_in(MASTER_KEY);
    sb.run(&["sql", "drop table if exists cli_affected"], "")
        .assert_code(0);
    let run = sb.run(
        &[
            "sql",
            "create table cli_affected as select g from generate_series(1, 3) g",
        ],
        "",
    );
    run.assert_code(0);
    assert_eq!(run.stdout(), "(3 rows affected)\n");
    let run = sb.run(&["sql", "update cli_affected set g = 0 where g = 2"], "");
    run.assert_code(0);
    assert_eq!(run.stdout(), "(1 row affected)\n");
    let run = sb.run(&["sql", "delete from cli_affected where g > 5"], "");
    assert_eq!(run.stdout(), "(0 rows affected)\n");
    // A query that finds nothing still shows its columns.
    let run = sb.run(&["sql", "select g from cli_affected where g > 5"], "");
    assert_eq!(run.stdout(), "g\n-\n(0 rows)\n");
    sb.run(&["sql", "drop table cli_affected"], "")
        .assert_code(0);
}

#[test]
fn json_and_geojson_end_with_a_line_break() {
    let sb = logged_in(MASTER_KEY);
    for format in ["json", "geojson"] {
        let run = sb.run(&["sql", "select * from points_public", "-f", format], "");
        run.assert_code(0);
        let out = run.stdout();
        assert!(
            out.ends_with("}\n") && !out.ends_with("\n\n"),
            "{format}: {out:?}"
        );
    }
    let csv = sb.run(&["sql", "select 1 as n", "-f", "csv"], "").stdout();
    assert_eq!(csv, "n\n1\n");
}

#[test]
fn a_large_answer_streams_through() {
    let sb = logged_in(MASTER_KEY);
    let run = sb.run(
        &[
            "sql",
            "select g, repeat('x', 100) as pad from generate_series(1, 50000) g",
            "-f",
            "csv",
        ],
        "",
    );
    run.assert_code(0);
    let out = run.stdout();
    assert_eq!(out.lines().count(), 50_001);
    assert!(out.lines().last().unwrap().starts_with("50000,"));
}

#[test]
fn the_query_can_come_from_standard_input() {
    let sb = logged_in(MASTER_KEY);
    let long = format!("select '{}' as x", "y".repeat(5000)); // long: sent by POST
    let run = sb.run(&["sql", "-", "-f", "csv"], &long);
    run.assert_code(0);
    assert!(run.stdout().contains(&"y".repeat(5000)));
}

#[test]
fn errors_are_one_line_with_a_distinct_exit_code() {
    let sb = logged_in(MASTER_KEY);
    for format in ["table", "json", "csv", "geojson"] {
        let run = sb.run(&["sql", "selec 1", "-f", format], "");
        run.assert_code(6);
        let line = run.error_line();
        assert!(
            line.contains("the query failed") && line.contains("syntax error"),
            "{line}"
        );
        assert!(run.stdout().is_empty(), "{format}: {}", run.stdout());
    }
    sb.run(&["sql", "  "], "").assert_code(2);

    // A valid key without the grant: exit 7, not 4 (a rejected key), and a message that
    // says the key is fine, as status does.
    let reader = logged_in(REGULAR_KEY);
    for format in ["table", "csv"] {
        let run = reader.run(&["sql", "select * from points_private", "-f", format], "");
        run.assert_code(7);
        let line = run.error_line();
        assert!(
            line.contains("permission denied for table points_private")
                && line.contains("the key is valid but lacks a grant"),
            "{line}"
        );
    }
    let run = reader.run(&["status"], "");
    run.assert_code(0);
    assert!(run.stdout().contains("Key:      valid"), "{}", run.stdout());
    // A key CARTO does not know is still 4.
    let mut cmd = reader.command(&["sql", "select 1"]);
    cmd.env("CARTO_BASE_URL", base_url())
        .env("CARTO_API_KEY", "not_a_key_of_demo");
    reader.run_command(cmd, "").assert_code(4);

    // No credentials at all.
    let run = Sandbox::new().run(&["sql", "select 1"], "");
    run.assert_code(3);
}

#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    let sb = logged_in(MASTER_KEY);
    let script = format!(
        "{} sql 'select g from generate_series(1, 200000) g' -f csv | head -n 2",
        env!("CARGO_BIN_EXE_cartoauth")
    );
    let mut sh = std::process::Command::new("bash");
    sh.args(["-o", "pipefail", "-c", &script])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("HOME", sb.home())
        .env("XDG_CONFIG_HOME", sb.xdg())
        .env("CARTO_ALLOW_NON_SECURE", "1");
    let run = run_with_input(&mut sh, "");
    run.assert_code(0);
    assert_eq!(run.stdout(), "g\n1\n");
    assert!(!run.stderr().contains("cartoauth:"), "{}", run.stderr());
}

#[test]
fn a_lying_or_failing_server_gives_one_line_and_exit_5() {
    use carto_emulator::harness::Fault;
    // Faults are global to an emulator: this test has its own.
    let emu = Emulator::start();
    let sb = Sandbox::new();
    sb.login_to(&emu.base_url("demo"), MASTER_KEY, None);
    let sql_path = "/user/demo/api/v2/sql";

    emu.arm_fault(&Fault::on(sql_path).malformed_json().times(1));
    let run = sb.run(&["sql", "select 1"], "");
    run.assert_code(5);
    run.error_line();
    assert!(run.stdout().is_empty());

    for format in ["table", "csv"] {
        emu.arm_fault(&Fault::on(sql_path).status(500).times(1));
        let run = sb.run(&["sql", "select 1", "-f", format], "");
        run.assert_code(5);
        assert!(run.error_line().contains("HTTP 500"), "{}", run.stderr());
        assert!(run.stdout().is_empty());
    }

    // status cannot tell while the server fails, and says so with its own exit code.
    emu.arm_fault(&Fault::on("/user/demo/api").status(500).times(2));
    let run = sb.run(&["status", "--json"], "");
    run.assert_code(5);
    let v: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(v["key"]["status"], "could not tell");
}
