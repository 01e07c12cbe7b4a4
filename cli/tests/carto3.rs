//! The CLI with CARTO 3: `login --m2m` and `login --carto3` (browser and paste flows),
//! `token` in every format, `status` with the expiry, `exec` and `env` giving a token (never
//! the M2M secret) to child processes, against the CARTO 3 stand-in of the library's tests.
//! Every output is checked for the client secret; tokens appear only where asked for.

mod common;
#[path = "../../tests/support/carto3.rs"]
mod fake;

use common::Sandbox;
use fake::FakeCarto3;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn m2m_file(sb: &Sandbox, server: &FakeCarto3) -> String {
    let path = sb.path("carto_credentials.json");
    let doc = serde_json::json!({"api_base_url": server.api_base_url(),
        "client_id": fake::CLIENT_ID, "client_secret": fake::CLIENT_SECRET});
    std::fs::write(&path, doc.to_string()).unwrap();
    path.to_str().unwrap().to_owned()
}

fn command(sb: &Sandbox, server: &FakeCarto3, args: &[&str]) -> Command {
    let mut cmd = sb.command(args);
    cmd.env("CARTO_AUTH_URL", server.origin());
    cmd
}

fn run(sb: &Sandbox, server: &FakeCarto3, args: &[&str], stdin: &str) -> common::Run {
    let run = sb.run_command(command(sb, server, args), stdin);
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        !all.contains(fake::CLIENT_SECRET),
        "the M2M secret leaked: {all}"
    );
    run
}

fn login_m2m(sb: &Sandbox, server: &FakeCarto3) {
    let file = m2m_file(sb, server);
    run(sb, server, &["login", "--m2m", &file, "--profile", "m"], "").assert_code(0);
}

#[test]
fn login_m2m_mints_once_saves_carto_auths_layout_and_token_prints_the_cached_token() {
    let server = FakeCarto3::start(3600);
    let sb = Sandbox::new();
    let file = m2m_file(&sb, &server);
    let login = run(
        &sb,
        &server,
        &["login", "--m2m", &file, "--profile", "m"],
        "",
    );
    login.assert_code(0);
    assert!(login.stderr().contains("valid until"), "{}", login.stderr());
    assert_eq!(server.mints(fake::CLIENT_ID), 1);
    let saved = sb.config_dir().join("profiles/m.json");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(saved).unwrap()).unwrap();
    assert_eq!(doc["client_id"], fake::CLIENT_ID);
    assert_eq!(doc["api_base_url"], server.api_base_url().as_str());

    let raw = run(&sb, &server, &["token", "-p", "m"], "");
    raw.assert_code(0);
    let token = raw.stdout().trim().to_owned();
    assert_eq!(token.matches('.').count(), 2, "a JWT: {token}");
    let header = run(
        &sb,
        &server,
        &["token", "-p", "m", "--format", "header"],
        "",
    );
    assert_eq!(header.stdout(), format!("Authorization: Bearer {token}\n"));
    let json = run(&sb, &server, &["token", "-p", "m", "-f", "json"], "");
    let doc: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(doc["access_token"], token.as_str());
    assert_eq!(doc["token_type"], "Bearer");
    assert!(doc["expires_in"].as_i64().unwrap() > 3000);
    let env = run(&sb, &server, &["token", "-p", "m", "-f", "env"], "");
    assert!(
        env.stdout()
            .contains(&format!("export CARTO_API_TOKEN='{token}'")),
        "{}",
        env.stdout()
    );
    // Four commands, one mint: they all read the token cache.
    assert_eq!(server.mints(fake::CLIENT_ID), 1);
}

#[test]
fn login_m2m_from_the_environment_and_a_refused_client_saves_nothing() {
    let server = FakeCarto3::start(3600);
    let sb = Sandbox::new();
    // The variables themselves come first in the resolution order: saving needs a word.
    let mut cmd = command(
        &sb,
        &server,
        &["login", "--m2m", "--api-base-url", &server.api_base_url()],
    );
    cmd.env("CARTO_M2M_CLIENT_ID", fake::CLIENT_ID)
        .env("CARTO_M2M_CLIENT_SECRET", fake::CLIENT_SECRET);
    let shadowed = sb.run_command(cmd, "");
    shadowed.assert_code(2);
    assert!(
        shadowed.stderr().contains("--allow-shadowed"),
        "{}",
        shadowed.stderr()
    );
    let mut cmd = command(
        &sb,
        &server,
        &[
            "login",
            "--m2m",
            "--api-base-url",
            &server.api_base_url(),
            "--allow-shadowed",
        ],
    );
    cmd.env("CARTO_M2M_CLIENT_ID", fake::CLIENT_ID)
        .env("CARTO_M2M_CLIENT_SECRET", fake::CLIENT_SECRET);
    sb.run_command(cmd, "").assert_code(0);
    assert!(sb.config_dir().join("cartocreds.json").exists());

    let sb = Sandbox::new();
    let mut cmd = command(
        &sb,
        &server,
        &[
            "login",
            "--m2m",
            "--api-base-url",
            &server.api_base_url(),
            "--allow-shadowed",
        ],
    );
    cmd.env("CARTO_M2M_CLIENT_ID", fake::CLIENT_ID)
        .env("CARTO_M2M_CLIENT_SECRET", "not-the-secret-at-all");
    let refused = sb.run_command(cmd, "");
    refused.assert_code(4);
    assert!(
        refused.stderr().contains("access_denied"),
        "{}",
        refused.stderr()
    );
    assert!(!refused.stderr().contains("not-the-secret-at-all"));
    assert!(!sb.config_dir().join("cartocreds.json").exists());

    let missing = run(
        &sb,
        &server,
        &[
            "login",
            "--m2m",
            "--api-base-url",
            "https://x.api.carto.com",
        ],
        "",
    );
    missing.assert_code(2);
    assert!(
        missing.stderr().contains("CARTO_M2M_CLIENT_SECRET"),
        "{}",
        missing.stderr()
    );
}

#[test]
fn status_shows_the_kind_the_cache_and_the_expiry_but_no_secret() {
    let server = FakeCarto3::start(3600);
    let sb = Sandbox::new();
    login_m2m(&sb, &server);
    let status = run(&sb, &server, &["status", "-p", "m"], "");
    status.assert_code(0);
    let out = status.stdout();
    for needle in [
        "Platform: CARTO 3",
        "M2M client fake-m2m-client",
        "Token:    valid until",
        "Cache:    file ",
    ] {
        assert!(out.contains(needle), "missing {needle:?}:\n{out}");
    }
    let json = run(&sb, &server, &["status", "-p", "m", "--json"], "");
    let doc: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(doc["credentials"]["kind"], "m2m");
    assert!(doc["token"]["expires_at"].as_i64().unwrap() > fake::now());
    assert!(!json.stdout().contains("eyJ"), "no token in status");
}

#[test]
fn exec_and_env_give_a_token_never_the_secret_and_gdal_headers_only_when_asked() {
    let server = FakeCarto3::start(3600);
    let sb = Sandbox::new();
    login_m2m(&sb, &server);
    let probe = "printf '%s|%s|%s|%s' \"${#CARTO_API_TOKEN}\" \"$CARTO_API_BASE_URL\" \"${CARTO_M2M_CLIENT_SECRET-unset}\" \"${GDAL_HTTP_HEADERS-unset}\"";
    let mut cmd = command(&sb, &server, &["exec", "-p", "m", "--", "sh", "-c", probe]);
    cmd.env("CARTO_M2M_CLIENT_SECRET", fake::CLIENT_SECRET);
    let plain = sb.run_command(cmd, "");
    plain.assert_code(0);
    let fields: Vec<String> = plain.stdout().split('|').map(str::to_owned).collect();
    assert!(fields[0].parse::<usize>().unwrap() > 100, "{fields:?}");
    assert_eq!(fields[1], server.api_base_url());
    assert_eq!(fields[2], "unset", "the child never sees the client secret");
    assert_eq!(fields[3], "unset");
    let gdal = run(
        &sb,
        &server,
        &["exec", "-p", "m", "--gdal-headers", "--", "sh", "-c", probe],
        "",
    );
    assert!(
        gdal.stdout().contains("|unset|Authorization: Bearer eyJ"),
        "{}",
        gdal.stdout()
    );
    let env = run(&sb, &server, &["env", "-p", "m", "--shell", "bash"], "");
    assert!(
        env.stdout().contains("export CARTO_API_TOKEN='eyJ"),
        "{}",
        env.stdout()
    );
    assert!(
        env.stdout().contains("unset CARTO_M2M_CLIENT_SECRET"),
        "{}",
        env.stdout()
    );
    assert_eq!(server.mints(fake::CLIENT_ID), 1);
}

/// A browser that asks for `url` and gives back the redirect's Location.
fn authorize(url: &str) -> String {
    let parsed = url::Url::parse(url).unwrap();
    let mut stream =
        TcpStream::connect((parsed.host_str().unwrap(), parsed.port().unwrap())).unwrap();
    let target = &url[url.find(parsed.path()).unwrap()..];
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .lines()
        .find_map(|l| l.strip_prefix("Location: "))
        .unwrap_or_else(|| panic!("no redirect in {answer}"))
        .trim()
        .to_owned()
}

#[test]
fn login_carto3_paste_flow_takes_the_pasted_address() {
    let server = FakeCarto3::start(3600);
    let sb = Sandbox::new();
    let mut cmd = command(
        &sb,
        &server,
        &[
            "login",
            "--carto3",
            "--api-base-url",
            &server.api_base_url(),
            "--client-id",
            fake::USER_CLIENT_ID,
            "--flow",
            "paste",
            "--profile",
            "me",
        ],
    );
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let url = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "no URL in: {seen}"
        );
        seen.push_str(&line);
        if line.starts_with("http") {
            break line.trim().to_owned();
        }
    };
    assert!(url.contains("code_challenge="), "{url}");
    let location = authorize(&url);
    writeln!(child.stdin.take().unwrap(), "{location}").unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{seen}{rest}");
    assert!(rest.contains("Signed in"), "{rest}");
    let token = run(&sb, &server, &["token", "-p", "me"], "");
    token.assert_code(0);
    let status = run(&sb, &server, &["status", "-p", "me"], "");
    assert!(
        status.stdout().contains("user sign-in"),
        "{}",
        status.stdout()
    );
    assert_eq!(server.code_exchanges(), 1);
}

#[test]
fn login_carto3_browser_flow_completes_when_the_browser_follows_the_redirect() {
    let server = FakeCarto3::start(3600);
    let sb = Sandbox::new();
    // A scripted browser: fetches the address and follows redirects (to the loopback listener).
    let browser = sb.path("browser.py");
    std::fs::write(
        &browser,
        "import sys, urllib.request\nurllib.request.urlopen(sys.argv[1], timeout=30).read()\n",
    )
    .unwrap();
    let mut cmd = command(
        &sb,
        &server,
        &[
            "login",
            "--carto3",
            "--api-base-url",
            &server.api_base_url(),
            "--client-id",
            fake::USER_CLIENT_ID,
            "--flow",
            "browser",
            "--timeout",
            "60",
        ],
    );
    cmd.env("BROWSER", format!("python3 {}", browser.display()));
    let login = sb.run_command(cmd, "");
    login.assert_code(0);
    assert!(login.stderr().contains("Signed in"), "{}", login.stderr());
    run(&sb, &server, &["token"], "").assert_code(0);
}

#[test]
fn without_a_terminal_login_carto3_names_what_to_give_and_prompts_nothing() {
    let server = FakeCarto3::start(3600);
    let sb = Sandbox::new();
    let run = run(&sb, &server, &["login", "--carto3"], "");
    run.assert_code(2);
    assert!(
        run.error_line().contains("--api-base-url"),
        "{}",
        run.stderr()
    );
    let none = sb.run(&["token"], "");
    none.assert_code(3);
}
