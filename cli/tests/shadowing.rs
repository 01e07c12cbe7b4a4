//! Credentials saved where an earlier source of the resolution order hides them, and stored
//! credentials replaced: login refuses (or asks, on a terminal), status and profiles show what
//! is hidden. Before these checks a `login --format cartoframes` wrote creds.json and said
//! "Logged in" while an older cartocreds.json stayed in use.

mod common;

use common::pty::Terminal;
use common::*;
use serde_json::Value;

fn login_args<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["login", "--with-key", "--base-url", url];
    args.extend_from_slice(extra);
    args
}

#[test]
fn login_refuses_to_save_behind_an_older_cartocreds_json_unless_told() {
    let sb = Sandbox::new();
    let url = base_url();
    sb.login(REGULAR_KEY, None); // the old cartocreds.json
    let creds_json = sb.config_dir().join("creds.json");

    let run = sb.run(
        &login_args(&url, &["--format", "cartoframes"]),
        &format!("{MASTER_KEY}\n"),
    );
    run.assert_code(2);
    let line = run.error_line();
    assert!(
        line.contains("creds.json would not be used")
            && line.contains("cartocreds.json comes first")
            && line.contains("--allow-shadowed"),
        "{line}"
    );
    assert!(!creds_json.exists(), "nothing may be saved");

    let run = sb.run(
        &login_args(&url, &["--format", "cartoframes", "--allow-shadowed"]),
        &format!("{MASTER_KEY}\n"),
    );
    run.assert_code(0);
    assert!(creds_json.exists());
    assert!(
        run.stderr().contains("not used by default") && run.stderr().contains("cartocreds.json"),
        "{}",
        run.stderr()
    );

    // status names the hidden file, in text and JSON.
    let run = sb.run(&["status", "--no-check"], "");
    run.assert_code(0);
    let out = run.stdout();
    assert!(
        out.contains(&format!("{} (shadowed)", creds_json.display())),
        "{out}"
    );
    let run = sb.run(&["status", "--no-check", "--json"], "");
    let v: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(v["shadowed"][0], creds_json.display().to_string(), "{v}");

    // profiles lists both files and says which one is not used.
    let out = sb.run(&["profiles"], "").stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("* (default file)") && lines[0].contains("cartocreds.json"),
        "{out}"
    );
    assert!(
        lines[1].contains("creds.json)")
            && lines[1].contains("not used: ")
            && lines[1].contains("cartocreds.json comes first"),
        "{out}"
    );
    let v: Value = serde_json::from_str(&sb.run(&["profiles", "--json"], "").stdout()).unwrap();
    assert!(v["profiles"][0]["shadowed_by"].is_null(), "{v}");
    assert!(
        v["profiles"][1]["shadowed_by"]
            .as_str()
            .unwrap()
            .ends_with("cartocreds.json"),
        "{v}"
    );
}

#[test]
fn login_refuses_to_save_a_file_the_environment_overrides() {
    let sb = Sandbox::new();
    let url = base_url();
    let mut cmd = sb.command(&login_args(&url, &[]));
    cmd.env("CARTO_USERNAME", "someone");
    let run = sb.run_command(cmd, &format!("{MASTER_KEY}\n"));
    run.assert_code(2);
    let line = run.error_line();
    assert!(
        line.contains("environment (CARTO_USERNAME) comes first"),
        "{line}"
    );
    assert!(!sb.config_dir().join("cartocreds.json").exists());
    // A profile is chosen by name, never hidden: saving it is fine.
    let mut cmd = sb.command(&login_args(&url, &["--profile", "work"]));
    cmd.env("CARTO_USERNAME", "someone");
    sb.run_command(cmd, &format!("{MASTER_KEY}\n"))
        .assert_code(0);
}

#[test]
fn saving_cartocreds_json_says_that_creds_json_is_no_longer_used() {
    let sb = Sandbox::new();
    let url = base_url();
    let run = sb.run(
        &login_args(&url, &["--format", "cartoframes"]),
        &format!("{REGULAR_KEY}\n"),
    );
    run.assert_code(0);
    let run = sb.run(&login_args(&url, &[]), &format!("{MASTER_KEY}\n"));
    run.assert_code(0);
    assert!(
        run.stderr().contains("creds.json is no longer used"),
        "{}",
        run.stderr()
    );
}

#[test]
fn logging_in_again_asks_before_replacing_the_stored_key() {
    let sb = Sandbox::new();
    let url = base_url();
    sb.login(REGULAR_KEY, None);
    let file = sb.config_dir().join("cartocreds.json");
    let before = std::fs::read_to_string(&file).unwrap();

    // No terminal to ask on: a flag is needed.
    let run = sb.run(&login_args(&url, &[]), &format!("{MASTER_KEY}\n"));
    run.assert_code(2);
    let line = run.error_line();
    assert!(
        line.contains("--replace") && line.contains("key demo…"),
        "{line}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);

    sb.run(
        &login_args(&url, &["--replace"]),
        &format!("{MASTER_KEY}\n"),
    )
    .assert_code(0);
    assert!(std::fs::read_to_string(&file).unwrap().contains(MASTER_KEY));

    // On a terminal it asks, before the key: "n" keeps the file and asks for no key.
    let mut term = Terminal::spawn(sb.command(&["login", "--base-url", &url]));
    term.wait_for("Replace it? [y/N] ");
    assert!(
        !term.screen().contains("API key (typing is hidden)"),
        "{}",
        term.screen()
    );
    term.type_line("n");
    let (status, screen) = term.finish();
    assert!(status.success(), "{screen}");
    assert!(screen.contains("Nothing was saved"), "{screen}");
    assert!(!screen.contains("API key (typing is hidden)"), "{screen}");
    assert!(std::fs::read_to_string(&file).unwrap().contains(MASTER_KEY));

    // "y", then the key.
    let mut term = Terminal::spawn(sb.command(&["login", "--base-url", &url]));
    term.wait_for("Replace it? [y/N] ");
    term.type_line("y");
    term.wait_for("API key (typing is hidden): ");
    term.wait_for_no_echo();
    term.type_line(REGULAR_KEY);
    let (status, screen) = term.finish();
    assert!(status.success(), "{screen}");
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains(REGULAR_KEY));
}

#[test]
fn on_a_terminal_a_shadowed_save_is_asked_about_before_the_key() {
    let sb = Sandbox::new();
    let url = base_url();
    sb.login(REGULAR_KEY, None);
    let mut term =
        Terminal::spawn(sb.command(&["login", "--base-url", &url, "--format", "cartoframes"]));
    term.wait_for("Save them anyway? [y/N] ");
    assert!(term.screen().contains("cartocreds.json comes first"));
    term.type_line("");
    let (status, screen) = term.finish();
    assert!(status.success(), "{screen}");
    assert!(!screen.contains("API key (typing is hidden)"), "{screen}");
    assert!(!sb.config_dir().join("creds.json").exists());
}
