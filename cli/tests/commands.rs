//! Every command, non-interactively, against carto-emulator: login, status, logout, env,
//! profiles, completions and --help. Every run is checked for the API keys (common::Run).

mod common;

use common::*;
use serde_json::Value;

#[test]
fn login_checks_the_key_then_saves_it_0600_in_the_default_file() {
    let sb = Sandbox::new();
    let run = sb.login(MASTER_KEY, None);
    assert!(
        run.stderr().contains("The key is valid: the master key"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("Logged in as demo"),
        "{}",
        run.stderr()
    );
    let file = sb.config_dir().join("cartocreds.json");
    assert_eq!(mode(&file), 0o600);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["APIKEY"], MASTER_KEY);
    assert_eq!(saved["USERNAME"], "demo");
    assert_eq!(saved["ALLOW_NON_SECURE"], true);
    // Nothing else was left behind (no temporary files).
    let names: Vec<_> = std::fs::read_dir(sb.config_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert_eq!(names, ["cartocreds.json"]);
}

#[test]
fn login_accepts_regular_and_public_keys_through_the_sql_api() {
    let sb = Sandbox::new();
    let run = sb.login(REGULAR_KEY, Some("reader"));
    assert!(run.stderr().contains("SQL API"), "{}", run.stderr());
    // Profiles are written in CARTOframes' layout unless told otherwise.
    let file = sb.config_dir().join("profiles/reader.json");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["api_key"], REGULAR_KEY);
    assert_eq!(mode(&file), 0o600);
    sb.login("default_public", Some("public"));
}

#[test]
fn login_saves_nothing_when_carto_rejects_the_key() {
    let sb = Sandbox::new();
    let url = base_url();
    let run = sb.run(
        &["login", "--with-key", "--base-url", &url],
        "not_a_key_of_demo\n",
    );
    run.assert_code(4);
    let line = run.error_line();
    assert!(
        line.contains("rejected the key") && line.contains("nothing was saved"),
        "{line}"
    );
    assert!(!line.contains("not_a_key_of_demo"), "{line}");
    assert!(!sb.config_dir().join("cartocreds.json").exists());

    // An account the server does not have is rejected the same way.
    let other = url.replace("/user/demo", "/user/nobody");
    let run = sb.run(
        &["login", "--with-key", "--base-url", &other],
        &format!("{MASTER_KEY}\n"),
    );
    run.assert_code(4);
    assert!(!sb.config_dir().exists());
}

#[test]
fn login_that_cannot_reach_carto_saves_nothing_unless_told_not_to_check() {
    let sb = Sandbox::new();
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/user/demo");
    let run = sb.run(
        &["login", "--with-key", "--base-url", &url],
        &format!("{MASTER_KEY}\n"),
    );
    run.assert_code(5);
    assert!(run.error_line().contains("--no-check"), "{}", run.stderr());
    assert!(!sb.config_dir().exists());

    let run = sb.run(
        &[
            "login",
            "--with-key",
            "--no-check",
            "--base-url",
            &url,
            "--format",
            "cartoframes",
        ],
        &format!("{MASTER_KEY}\n"),
    );
    run.assert_code(0);
    // The CARTOframes layout in the default location is CARTOframes' own creds.json.
    let saved = std::fs::read_to_string(sb.config_dir().join("creds.json")).unwrap();
    assert!(saved.contains("\"api_key\""), "{saved}");
}

#[test]
fn login_refuses_keys_on_the_command_line_and_missing_input() {
    let sb = Sandbox::new();
    let url = base_url();
    // There is no option that takes the key.
    let run = sb.run(&["login", "--base-url", &url, "--api-key", "x"], "");
    run.assert_code(2);
    // No terminal and no --with-key: nothing to read the key from.
    let run = sb.run(&["login", "--base-url", &url], "");
    run.assert_code(2);
    assert!(run.error_line().contains("--with-key"), "{}", run.stderr());
    // --with-key without an account.
    let run = sb.run(&["login", "--with-key"], "k\n");
    run.assert_code(2);
    assert!(run.error_line().contains("--username or --base-url"));
    // An empty key, a blank line, an absurdly long line.
    for input in ["", "\n", "   \n"] {
        let run = sb.run(&["login", "--with-key", "--base-url", &url], input);
        run.assert_code(2);
        assert!(run.error_line().contains("no API key"), "{}", run.stderr());
    }
    let huge = "k".repeat(100_000);
    let run = sb.run(&["login", "--with-key", "--base-url", &url], &huge);
    run.assert_code(2);
    assert!(run.error_line().contains("longer than"), "{}", run.stderr());
    assert!(run.stderr().len() < 300);
    // http:// without permission, and a bad profile name.
    let mut cmd = sb.command(&["login", "--with-key", "--base-url", &url]);
    cmd.env_remove("CARTO_ALLOW_NON_SECURE");
    let run = sb.run_command(cmd, "k\n");
    run.assert_code(2);
    assert!(
        run.error_line().contains("--allow-non-secure"),
        "{}",
        run.stderr()
    );
    let run = sb.run(
        &["login", "--with-key", "-u", "demo", "--profile", "../x"],
        "k\n",
    );
    run.assert_code(2);
    assert!(run.error_line().contains("--profile"), "{}", run.stderr());
    assert!(!sb.config_dir().exists());
}

#[test]
fn status_explains_the_credentials_in_use_and_checks_the_key() {
    let sb = Sandbox::new();
    sb.login(MASTER_KEY, None);
    let run = sb.run(&["status"], "");
    run.assert_code(0);
    let out = run.stdout();
    for needle in [
        "Account:  demo",
        "API key:  demo…",
        "Key:      valid (the master key",
        "explicit credentials (none given)",
        "environment (CARTO_API_TOKEN, CARTO_M2M_CLIENT_ID, CARTO_USERNAME, CARTO_BASE_URL, CARTO_CREDENTIALS_FILE, CARTO_PROFILE not set)",
        "cartocreds.json (used)",
        "Warning:  the base URL is http://",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }

    let run = sb.run(&["status", "--json"], "");
    run.assert_code(0);
    let v: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(v["credentials"]["username"], "demo");
    assert_eq!(v["credentials"]["api_key_masked"], "demo…");
    assert_eq!(v["source"]["kind"], "file");
    assert_eq!(v["key"]["status"], "valid");
    // Every source tried, the used one last, as in the text form.
    let tried = v["tried"].as_array().unwrap();
    assert_eq!(tried.len(), 4, "{v}");
    assert!(
        tried[3]
            .as_str()
            .unwrap()
            .ends_with("cartocreds.json (used)"),
        "{v}"
    );
    // The clear-text warning of the text form.
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("http://")),
        "{v}"
    );

    let run = sb.run(&["status", "--no-check"], "");
    run.assert_code(0);
    assert!(run.stdout().contains("Key:      not checked"));
}

#[test]
fn status_reports_invalid_keys_environment_sources_and_readable_files() {
    let sb = Sandbox::new();
    // The environment comes first and names the variables it used.
    let mut cmd = sb.command(&["status", "--json"]);
    cmd.env("CARTO_BASE_URL", base_url())
        .env("CARTO_API_KEY", "revoked_key_of_demo");
    let run = sb.run_command(cmd, "");
    run.assert_code(4);
    let v: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(v["key"]["status"], "invalid");
    assert_eq!(v["source"]["kind"], "environment");
    assert_eq!(v["source"]["variables"][0], "CARTO_BASE_URL");
    assert!(!run.stdout().contains("revoked_key_of_demo"));

    // A profile other users can read: a warning.
    sb.login(REGULAR_KEY, Some("work"));
    let file = sb.config_dir().join("profiles/work.json");
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let run = sb.run(&["status", "--profile", "work"], "");
    run.assert_code(0);
    let out = run.stdout();
    assert!(out.contains("profile 'work'"), "{out}");
    assert!(
        out.contains("Warning:") && out.contains("other users"),
        "{out}"
    );
    // CARTO_PROFILE selects it too.
    let mut cmd = sb.command(&["status", "--json", "--no-check"]);
    cmd.env("CARTO_PROFILE", "work");
    let run = sb.run_command(cmd, "");
    let v: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(v["source"]["profile"], "work");
    assert_eq!(v["source"]["variables"][0], "CARTO_PROFILE");
}

#[test]
fn status_without_credentials_lists_what_it_tried() {
    let sb = Sandbox::new();
    let run = sb.run(&["status"], "");
    run.assert_code(3);
    let line = run.error_line();
    assert!(
        line.contains("no CARTO credentials found") && line.contains("cartocreds.json"),
        "{line}"
    );
    // And says how to get some, as every command that needs them does.
    assert!(line.contains("`cartoauth login`"), "{line}");
    for args in [&["env"][..], &["sql", "select 1"], &["exec", "--", "true"]] {
        let run = sb.run(args, "");
        run.assert_code(3);
        assert!(
            run.error_line().contains("`cartoauth login`"),
            "{}",
            run.stderr()
        );
    }
    let run = sb.run(&["status", "--json"], "");
    run.assert_code(3);
    let v: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert!(v["credentials"].is_null());
    assert!(v["tried"].as_array().unwrap().len() >= 3, "{v}");
    let run = sb.run(&["status", "--profile", "missing"], "");
    run.assert_code(3);
    assert!(run.error_line().contains("there is no profile 'missing'"));
    // A corrupt file names itself.
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    std::fs::write(sb.config_dir().join("cartocreds.json"), "{\"APIKEY\": ").unwrap();
    let run = sb.run(&["status"], "");
    run.assert_code(3);
    assert!(
        run.error_line().contains("cartocreds.json"),
        "{}",
        run.stderr()
    );
}

#[test]
fn logout_asks_unless_yes_and_deletes_only_what_it_names() {
    let sb = Sandbox::new();
    sb.login(MASTER_KEY, None);
    sb.login(REGULAR_KEY, Some("work"));
    // No terminal to ask on: refuse.
    let run = sb.run(&["logout"], "y\n");
    run.assert_code(2);
    assert!(run.error_line().contains("--yes"));
    assert!(sb.config_dir().join("cartocreds.json").exists());

    let run = sb.run(&["logout", "--profile", "work", "--yes"], "");
    run.assert_code(0);
    assert!(run.stderr().contains("Deleted"), "{}", run.stderr());
    assert!(!sb.config_dir().join("profiles/work.json").exists());
    assert!(sb.config_dir().join("cartocreds.json").exists());

    sb.run(&["logout", "-y"], "").assert_code(0);
    assert!(!sb.config_dir().join("cartocreds.json").exists());
    // Nothing is left behind: no lock files either.
    assert_eq!(file_names(&sb.config_dir()), ["profiles"]);
    assert!(file_names(&sb.config_dir().join("profiles")).is_empty());
    let run = sb.run(&["logout", "-y"], "");
    run.assert_code(3);
    sb.run(&["status"], "").assert_code(3);
}

#[test]
fn env_prints_the_account_for_eval_in_each_shell() {
    let sb = Sandbox::new();
    sb.login(MASTER_KEY, None);
    let url = base_url();
    let mut cmd = sb.command(&["env", "--shell", "bash"]);
    let run = run_with_input(&mut cmd, "");
    run.assert_code(0);
    let out = run.stdout();
    assert!(
        out.contains(&format!("export CARTO_API_KEY='{MASTER_KEY}'")),
        "{out}"
    );
    assert!(
        out.contains(&format!("export CARTO_API_URL='{url}/api/v2/sql'")),
        "{out}"
    );
    assert!(out.contains("export CARTO_USERNAME='demo'"), "{out}");
    assert!(out.contains("unset CARTO_PROFILE"), "{out}");

    // What a shell makes of it: the same values.
    let script = format!(
        "eval \"$({} env --shell bash)\" && printf '%s|%s|%s' \"$CARTO_USERNAME\" \"$CARTO_BASE_URL\" \"$CARTO_API_KEY\"",
        env!("CARGO_BIN_EXE_cartoauth")
    );
    let mut sh = std::process::Command::new("sh");
    sh.args(["-c", &script])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("HOME", sb.home())
        .env("XDG_CONFIG_HOME", sb.xdg())
        .env("CARTO_ALLOW_NON_SECURE", "1");
    let run = run_with_input(&mut sh, "");
    run.assert_code(0);
    assert_eq!(run.stdout(), format!("demo|{url}|{MASTER_KEY}"));

    let fish = run_with_input(&mut sb.command(&["env", "--shell", "fish"]), "").stdout();
    assert!(
        fish.contains(&format!("set -gx CARTO_API_KEY '{MASTER_KEY}'")),
        "{fish}"
    );
    let ps = run_with_input(&mut sb.command(&["env", "--shell", "powershell"]), "").stdout();
    assert!(
        ps.contains(&format!("$Env:CARTO_API_KEY = '{MASTER_KEY}'")),
        "{ps}"
    );
    // $SHELL picks the syntax when --shell is not given.
    let mut cmd = sb.command(&["env"]);
    cmd.env("SHELL", "/usr/bin/fish");
    assert!(run_with_input(&mut cmd, "").stdout().contains("set -gx"));

    // Without credentials: the error, and no half-written script.
    let empty = Sandbox::new();
    let run = empty.run(&["env"], "");
    run.assert_code(3);
    assert!(run.stdout().is_empty());
}

#[test]
fn profiles_lists_names_accounts_and_the_default() {
    let sb = Sandbox::new();
    let run = sb.run(&["profiles"], "");
    run.assert_code(0);
    assert!(run.stdout().contains("No saved credentials"));

    sb.login(MASTER_KEY, None);
    sb.login(REGULAR_KEY, Some("work"));
    let run = sb.run(&["profiles"], "");
    run.assert_code(0);
    let out = run.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("* (default file)  demo http://"),
        "{out}"
    );
    assert!(lines[1].starts_with("  work  demo http://"), "{out}");

    let mut cmd = sb.command(&["profiles", "--json"]);
    cmd.env("CARTO_PROFILE", "work");
    let run = sb.run_command(cmd, "");
    let v: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(v["profiles"][0]["default"], false);
    assert_eq!(v["profiles"][1]["name"], "work");
    assert_eq!(v["profiles"][1]["default"], true);

    // A broken profile is listed with its problem, not fatal.
    std::fs::write(sb.config_dir().join("profiles/broken.json"), "[]").unwrap();
    let out = sb.run(&["profiles"], "").stdout();
    assert!(out.contains("broken  unusable:"), "{out}");
}

#[test]
fn every_command_has_help_with_the_exit_codes_and_completions_exist() {
    let sb = Sandbox::new();
    for command in [
        "login", "status", "logout", "env", "exec", "sql", "profiles",
    ] {
        let run = sb.run(&[command, "--help"], "");
        run.assert_code(0);
        let out = run.stdout();
        assert!(out.contains("Usage: cartoauth"), "{command}: {out}");
        assert!(
            out.contains("Exit codes:")
                && out.contains("4    CARTO rejected")
                && out.contains("7    the key is valid but lacks a grant"),
            "{command}: {out}"
        );
    }
    let run = sb.run(&["--help"], "");
    assert!(run.stdout().contains("Exit codes:"));
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = sb.run(&["completions", shell], "");
        run.assert_code(0);
        let out = run.stdout();
        // The scripts ask cartoauth itself (see bash_completes_profile_names_...).
        assert!(
            out.contains("cartoauth") && out.contains("_CARTOAUTH_COMPLETE"),
            "{shell}: {out}"
        );
    }
    // bash accepts the script.
    let script = run_with_input(&mut sb.command(&["completions", "bash"]), "").stdout();
    let check = std::process::Command::new("bash")
        .args(["-n", "-c", &script])
        .status()
        .unwrap();
    assert!(check.success());
    sb.run(&["login", "--bogus"], "").assert_code(2);
}

#[test]
fn a_reader_that_closes_early_ends_commands_quietly() {
    let sb = Sandbox::new();
    sb.login(MASTER_KEY, None);
    let bin = env!("CARGO_BIN_EXE_cartoauth");
    // `true` exits without reading: the write may hit a closed pipe, which must not panic.
    for args in [
        "status --no-check",
        "status --no-check --json",
        "profiles",
        "env",
        "completions bash",
    ] {
        let mut sh = std::process::Command::new("bash");
        sh.args(["-o", "pipefail", "-c", &format!("{bin} {args} | true")])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap())
            .env("HOME", sb.home())
            .env("XDG_CONFIG_HOME", sb.xdg())
            .env("CARTO_ALLOW_NON_SECURE", "1");
        let run = run_with_input(&mut sh, "");
        run.assert_code(0);
        assert!(run.stderr().is_empty(), "{args}: {}", run.stderr());
    }
}

#[test]
fn bash_completes_profile_names_for_profile_options() {
    let sb = Sandbox::new();
    sb.login(MASTER_KEY, Some("work"));
    sb.login(REGULAR_KEY, Some("weekend"));
    sb.login(REGULAR_KEY, Some("other"));
    std::fs::write(sb.path("wombat.txt"), "a file that is not a profile").unwrap();
    let script = run_with_input(&mut sb.command(&["completions", "bash"]), "").stdout();
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_cartoauth"))
        .parent()
        .unwrap()
        .to_owned();
    // What bash's programmable completion does on TAB after `cartoauth status --profile w`.
    let complete = |line: &str| -> Vec<String> {
        let words: Vec<&str> = line.split(' ').collect();
        let test = format!(
            "{script}\nCOMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{line}'; COMP_POINT={point}; COMP_TYPE=9\n\
             complete -p cartoauth >/dev/null || exit 3\n\
             fn=$(complete -p cartoauth | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p')\n\
             \"$fn\" cartoauth \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            words = words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "),
            cword = words.len() - 1,
            point = line.len(),
        );
        let mut bash = std::process::Command::new("bash");
        bash.args(["--norc", "--noprofile", "-c", &test])
            .current_dir(sb.path(""))
            .env_clear()
            .env(
                "PATH",
                format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
            )
            .env("HOME", sb.home())
            .env("XDG_CONFIG_HOME", sb.xdg());
        let run = run_with_input(&mut bash, "");
        run.assert_code(0);
        let mut got: Vec<String> = run
            .stdout()
            .lines()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        got.sort();
        got
    };
    assert_eq!(
        complete("cartoauth status --profile w"),
        ["weekend", "work"]
    );
    assert_eq!(complete("cartoauth exec -p "), ["other", "weekend", "work"]);
    assert_eq!(complete("cartoauth logout --profile wo"), ["work"]);
}

#[test]
fn man_pages_cover_every_command_with_the_exit_codes() {
    let sb = Sandbox::new();
    let help = sb.run(&["--help"], "").stdout();
    assert!(
        !help.contains("man-pages"),
        "the generator is hidden:\n{help}"
    );
    let commands: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        // A command's line, not a wrapped description.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 8, "{help}");
    let dir = sb.path("man");
    sb.run(&["man-pages", dir.to_str().unwrap()], "")
        .assert_code(0);
    let mut expected: Vec<String> = commands
        .iter()
        .map(|c| format!("cartoauth-{c}.1"))
        .collect();
    expected.push("cartoauth.1".to_owned());
    expected.sort();
    assert_eq!(file_names(&dir), expected);
    for page in expected {
        let text = std::fs::read_to_string(dir.join(&page)).unwrap();
        assert!(text.contains("\n.TH cartoauth"), "{page}");
        assert!(
            text.contains(".SH \"EXIT STATUS\"") && text.contains("lacks a grant"),
            "{page}:\n{text}"
        );
    }
    let login = std::fs::read_to_string(dir.join("cartoauth-login.1")).unwrap();
    assert!(login.contains("allow\\-shadowed"), "{login}");
}
