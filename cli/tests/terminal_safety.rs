//! Nothing the server or a stored value says can act on the user's terminal: escape
//! sequences (ESC, C1 controls) and bidi overrides (U+202E) in error messages, in the table and,
//! when standard output is a terminal, in streamed formats, are shown escaped.

mod common;

use common::pty::Terminal;
use common::*;

const ESC: char = '\u{1b}';
const OVERRIDE: char = '\u{202e}';

fn assert_inert(what: &str, text: &str) {
    assert!(
        !text.contains(ESC) && !text.contains(OVERRIDE) && !text.contains('\u{9b}'),
        "{what} passed a terminal control through:\n{text:?}"
    );
}

fn logged_in() -> Sandbox {
    let sb = Sandbox::new();
    sb.login(MASTER_KEY, None);
    sb
}

#[test]
fn a_query_error_echoing_escapes_is_printed_inert() {
    let sb = logged_in();
    // PostgreSQL echoes the bad value in its message.
    let query = "select (E'\\x1b]2;pwned\\x07\\x1b[2J' || chr(8238) || chr(155) || 'x')::int";
    for format in ["table", "csv", "json"] {
        let run = sb.run(&["sql", query, "-f", format], "");
        run.assert_code(6);
        let line = run.error_line();
        assert_inert("sql's error", &line);
        assert!(line.contains("\\u{1b}]2;pwned"), "{line}");
        assert!(line.contains("\\u{202e}"), "{line}");
    }
}

#[test]
fn server_messages_at_login_and_status_are_printed_inert() {
    let url = lying_server(
        401,
        r#"{"error":["Unauthorized \u001b[2J\u001b]0;owned\u0007 \u202egnp.exe"]}"#,
    );
    let sb = Sandbox::new();
    let run = sb.run(
        &["login", "--with-key", "--base-url", &url],
        "some_key_value\n",
    );
    run.assert_code(4);
    assert_inert("login", &run.stderr());
    assert!(run.stderr().contains("\\u{1b}[2J"), "{}", run.stderr());

    let mut cmd = sb.command(&["status"]);
    cmd.env("CARTO_BASE_URL", &url)
        .env("CARTO_API_KEY", "some_key_value");
    let run = sb.run_command(cmd, "");
    run.assert_code(4);
    assert_inert("status", &run.stdout());
    assert!(
        run.stdout().contains("\\u{202e}gnp.exe"),
        "{}",
        run.stdout()
    );
    let mut cmd = sb.command(&["status", "--json"]);
    cmd.env("CARTO_BASE_URL", &url)
        .env("CARTO_API_KEY", "some_key_value");
    let run = sb.run_command(cmd, "");
    assert_inert("status --json", &run.stdout());
    let v: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert!(
        v["key"]["detail"]
            .as_str()
            .unwrap()
            .contains("\u{202e}gnp.exe"),
        "the JSON keeps the text, escaped: {v}"
    );
}

#[test]
fn the_table_escapes_bidi_overrides_and_controls() {
    let sb = logged_in();
    let run = sb.run(
        &[
            "sql",
            "select 'abc' || chr(8238) || 'def' as t, E'\\x1b[31mred' as u",
        ],
        "",
    );
    run.assert_code(0);
    assert_inert("the table", &run.stdout());
    assert!(run.stdout().contains("abc\\u{202e}def"), "{}", run.stdout());
}

const STORED: &str = "select E'a\\x1b[2Jb' || chr(8238) || 'c' as t";

#[test]
fn streamed_formats_are_escaped_on_a_terminal_only() {
    let sb = logged_in();
    for format in ["csv", "json", "geojson"] {
        let query = if format == "geojson" {
            "select ST_SetSRID(ST_Point(1, 2), 4326) as the_geom, E'a\\x1b[2Jb' || chr(8238) || 'c' as t"
        } else {
            STORED
        };
        // Into a pipe: the SQL API's bytes, unchanged.
        let piped = sb.run(&["sql", query, "-f", format], "");
        piped.assert_code(0);
        let raw = piped.stdout();
        assert!(
            raw.contains(OVERRIDE),
            "{format}: the piped output was altered: {raw:?}"
        );
        // On a terminal: inert, and JSON stays JSON.
        let term = Terminal::spawn(sb.command(&["sql", query, "-f", format]));
        let (status, bytes) = term.finish_bytes();
        let shown = String::from_utf8(bytes).unwrap();
        assert!(status.success(), "{format}: {shown}");
        assert_inert(format, &shown);
        if format != "csv" {
            let text = shown.replace("\r\n", "\n");
            let v: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap_or_else(|e| {
                panic!("{format} on a terminal is no longer JSON ({e}): {text:?}")
            });
            let t = if format == "json" {
                &v["rows"][0]["t"]
            } else {
                &v["features"][0]["properties"]["t"]
            };
            assert_eq!(t, "a\u{1b}[2Jb\u{202e}c", "{format}");
        } else {
            assert!(shown.contains("a\\u{1b}[2Jb\\u{202e}c"), "{shown:?}");
        }
    }
}
