//! `cartoauth login` as a person uses it: on a terminal (a pseudo-terminal here), typing the
//! account and the key. The key must not be echoed, and must be saved 0600.

mod common;

use common::pty::Terminal;
use common::*;

#[test]
fn login_on_a_terminal_asks_hides_the_key_and_saves_it_0600() {
    let sb = Sandbox::new();
    let url = base_url();
    let mut term = Terminal::spawn(sb.command(&["login", "--profile", "work"]));
    term.wait_for("CARTO username or base URL: ");
    assert!(term.echoes(), "the account is typed with echo");
    term.type_line(&url);
    term.wait_for("API key (typing is hidden): ");
    term.wait_for_no_echo();
    term.type_line(MASTER_KEY);
    let (status, screen) = term.finish();
    assert!(status.success(), "{status:?}\n{screen}");
    assert!(screen.contains(&url), "the account is echoed:\n{screen}");
    assert!(
        !screen.contains(MASTER_KEY),
        "the key was echoed:\n{screen}"
    );
    assert!(screen.contains("Logged in as demo"), "{screen}");

    let file = sb.config_dir().join("profiles/work.json");
    assert_eq!(mode(&file), 0o600);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["api_key"], MASTER_KEY);
    assert_eq!(saved["base_url"], url);
    // And it is what status now uses.
    let run = sb.run(&["status", "--profile", "work", "--json"], "");
    run.assert_code(0);
}

#[test]
fn a_rejected_key_typed_on_the_terminal_saves_nothing_and_logout_asks_there() {
    let sb = Sandbox::new();
    let url = base_url();
    let mut term = Terminal::spawn(sb.command(&["login", "--base-url", &url]));
    term.wait_for("API key (typing is hidden): ");
    term.wait_for_no_echo();
    term.type_line("wrong_key_typed_by_hand");
    let (status, screen) = term.finish();
    assert_eq!(status.code(), Some(4), "{screen}");
    assert!(!screen.contains("wrong_key_typed_by_hand"), "{screen}");
    assert!(!sb.config_dir().exists());

    // logout asks on the terminal: "n" keeps the file, "y" deletes it.
    sb.login(MASTER_KEY, None);
    let file = sb.config_dir().join("cartocreds.json");
    for (answer, kept) in [("n", true), ("y", false)] {
        let mut term = Terminal::spawn(sb.command(&["logout"]));
        term.wait_for("? [y/N] ");
        term.type_line(answer);
        let (status, screen) = term.finish();
        assert!(status.success(), "{screen}");
        assert_eq!(file.exists(), kept, "{answer}: {screen}");
    }
}

#[test]
fn with_key_on_a_terminal_still_hides_the_key() {
    let sb = Sandbox::new();
    let url = base_url();
    let mut term = Terminal::spawn(sb.command(&["login", "--with-key", "--base-url", &url]));
    term.wait_for("API key (typing is hidden): ");
    term.wait_for_no_echo();
    term.type_line(MASTER_KEY);
    let (status, screen) = term.finish();
    assert!(status.success(), "{screen}");
    assert!(
        !screen.contains(MASTER_KEY),
        "the key was echoed:\n{screen}"
    );
    assert!(sb.config_dir().join("cartocreds.json").exists());
}

#[test]
fn an_http_url_typed_on_the_terminal_is_refused_before_the_key_is_asked() {
    let sb = Sandbox::new();
    let url = base_url();
    let mut cmd = sb.command(&["login"]);
    cmd.env_remove("CARTO_ALLOW_NON_SECURE");
    let mut term = Terminal::spawn(cmd);
    term.wait_for("CARTO username or base URL: ");
    term.type_line(&url);
    term.wait_for("--allow-non-secure");
    let (status, screen) = term.finish();
    assert_eq!(status.code(), Some(2), "{screen}");
    assert!(
        !screen.contains("API key (typing is hidden)"),
        "the key was asked for, then refused:\n{screen}"
    );
    assert!(!sb.config_dir().exists());
}
