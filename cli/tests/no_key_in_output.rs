//! No command prints the API key, except `env`, whose job it is: every command, in its success
//! and failure paths, with the key stored and with the key in the environment.

mod common;

use common::*;

fn contains_key(run: &Run) -> bool {
    SECRET_KEYS
        .iter()
        .any(|k| run.stdout().contains(k) || run.stderr().contains(k))
}

#[test]
fn only_env_shows_the_key() {
    let sb = Sandbox::new();
    let url = base_url();
    let runs: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["login", "--with-key", "--base-url", &url],
            "demo_master_key\n",
        ),
        (
            vec!["login", "--with-key", "--base-url", &url, "--profile", "r"],
            "demo_regular_key\n",
        ),
        (
            vec![
                "login",
                "--with-key",
                "--base-url",
                &url,
                "--profile",
                "bad",
            ],
            "demo_master_keyX\n",
        ),
        (
            vec!["login", "--with-key", "--no-check", "--username", "demo"],
            "demo_master_key\n",
        ),
        (
            vec!["login", "--with-key", "--base-url", &url],
            "demo_master_key\n",
        ),
        (vec!["status"], ""),
        (vec!["status", "--json"], ""),
        (vec!["status", "--profile", "r", "--json"], ""),
        (vec!["profiles"], ""),
        (vec!["profiles", "--json"], ""),
        (vec!["sql", "select 1 as one"], ""),
        (vec!["sql", "select 1 as one", "-f", "json"], ""),
        (vec!["sql", "select 1 as one", "-f", "csv"], ""),
        (vec!["sql", "select 1 as one", "-f", "geojson"], ""),
        (vec!["sql", "selec 1"], ""),
        (
            vec!["sql", "select * from points_private", "--profile", "r"],
            "",
        ),
        (vec!["exec", "--", "true"], ""),
        (vec!["exec", "--", "no-such-command"], ""),
        (vec!["completions", "bash"], ""),
        (vec!["logout", "--profile", "r"], ""),
        (vec!["logout", "--profile", "r", "--yes"], ""),
        (vec!["logout", "--yes"], ""),
        (vec!["status"], ""),
    ];
    for (args, stdin) in &runs {
        // Run checks stdout and stderr of each for both keys.
        sb.run(args, stdin);
    }
    // The environment route: the key is in CARTO_API_KEY, still never printed.
    for args in [
        vec!["status"],
        vec!["status", "--json"],
        vec!["sql", "select 2"],
    ] {
        let mut cmd = sb.command(&args);
        cmd.env("CARTO_BASE_URL", &url)
            .env("CARTO_API_KEY", MASTER_KEY);
        sb.run_command(cmd, "");
    }

    // env is the one command that prints it, because that is what it is for.
    sb.login(MASTER_KEY, None);
    let run = run_with_input(&mut sb.command(&["env"]), "");
    run.assert_code(0);
    assert!(
        contains_key(&run),
        "env must print the key:\n{}",
        run.stdout()
    );
}
