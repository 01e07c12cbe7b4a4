//! `cartoauth exec`: the account reaches the command's environment (cartoauth's variables and
//! GDAL's), exit statuses and signals pass through, and real GDAL works with no key on its
//! command line.

mod common;

use common::*;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

#[test]
fn the_command_gets_the_account_in_its_environment() {
    let sb = Sandbox::new();
    sb.login(MASTER_KEY, None);
    let url = base_url();
    // The key reaches the child; the child prints a digest of it, not the key.
    let run = sb.run(
        &[
            "exec", "--", "sh", "-c",
            "printf '%s|%s|%s|%s|%s' \"$CARTO_USERNAME\" \"$CARTO_BASE_URL\" \"$CARTO_API_URL\" \"${#CARTO_API_KEY}\" \"${CARTO_PROFILE-unset}\"",
        ],
        "",
    );
    run.assert_code(0);
    assert_eq!(
        run.stdout(),
        format!("demo|{url}|{url}/api/v2/sql|{}|unset", MASTER_KEY.len())
    );
    let run = sb.run(
        &[
            "exec",
            "--",
            "sh",
            "-c",
            "test \"$CARTO_API_KEY\" = demo_master_key && echo same",
        ],
        "",
    );
    assert_eq!(run.stdout(), "same\n");

    // --profile picks another account; options after -- belong to the command.
    sb.login(REGULAR_KEY, Some("reader"));
    let run = sb.run(
        &[
            "exec",
            "--profile",
            "reader",
            "--",
            "sh",
            "-c",
            "test \"$CARTO_API_KEY\" = demo_regular_key && echo reader",
        ],
        "",
    );
    assert_eq!(run.stdout(), "reader\n");
    let run = sb.run(
        &[
            "exec",
            "--",
            "sh",
            "-c",
            "echo \"$0\" \"$1\"",
            "--profile",
            "-x",
        ],
        "",
    );
    assert_eq!(run.stdout(), "--profile -x\n");
}

#[test]
fn exit_status_passes_through_and_missing_commands_are_127() {
    let sb = Sandbox::new();
    sb.login(MASTER_KEY, None);
    sb.run(&["exec", "--", "sh", "-c", "exit 7"], "")
        .assert_code(7);
    sb.run(&["exec", "--", "true"], "").assert_code(0);
    let run = sb.run(&["exec", "--", "no-such-command-here"], "");
    run.assert_code(127);
    assert!(run.error_line().contains("no-such-command-here"));
    let not_executable = sb.path("plain.txt");
    std::fs::write(&not_executable, "x").unwrap();
    sb.run(&["exec", "--", not_executable.to_str().unwrap()], "")
        .assert_code(126);
    sb.run(&["exec"], "").assert_code(2);
    // Without credentials the command does not run.
    let run = Sandbox::new().run(&["exec", "--", "sh", "-c", "echo ran"], "");
    run.assert_code(3);
    assert!(run.stdout().is_empty());
}

#[test]
fn the_command_replaces_cartoauth_so_signals_reach_it() {
    let sb = Sandbox::new();
    sb.login(MASTER_KEY, None);
    // Same process: the shell's $$ is the pid we started.
    let mut child = sb
        .command(&["exec", "--", "sh", "-c", "echo $$; exec sleep 30"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), child.id().to_string());
    // SAFETY: sending SIGTERM to a child we started and have not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
}

#[test]
fn gdal_reads_and_writes_carto_with_no_key_on_its_command_line() {
    if !gdal_available("gdal_reads_and_writes_carto_with_no_key_on_its_command_line") {
        return;
    }
    let sb = Sandbox::new();
    sb.login(MASTER_KEY, None);
    // The master key sees the private table: the key reached GDAL.
    let run = sb.run(&["exec", "--", "ogrinfo", "-ro", "CARTO:demo"], "");
    run.assert_code(0);
    assert!(run.stdout().contains("points_private"), "{}", run.stdout());
    let run = sb.run(
        &[
            "exec",
            "--",
            "ogrinfo",
            "-ro",
            "-so",
            "CARTO:demo",
            "points_private",
        ],
        "",
    );
    run.assert_code(0);
    assert!(
        run.stdout().contains("Feature Count: 2"),
        "{}",
        run.stdout()
    );

    let input = sb.path("points.geojson");
    std::fs::write(
        &input,
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"label":"from cli"},"geometry":{"type":"Point","coordinates":[2.17,41.38]}}]}"#,
    )
    .unwrap();
    let table = format!("cli_exec_{}", std::process::id());
    let run = sb.run(
        &[
            "exec",
            "--",
            "ogr2ogr",
            "-f",
            "CARTO",
            "CARTO:demo",
            input.to_str().unwrap(),
            "-nln",
            &table,
        ],
        "",
    );
    run.assert_code(0);
    let run = sb.run(
        &["sql", &format!("select label from {table}"), "-f", "csv"],
        "",
    );
    run.assert_code(0);
    assert_eq!(run.stdout(), "label\nfrom cli\n");

    // GDAL's failure status passes through (a layer that does not exist).
    let run = sb.run(
        &[
            "exec",
            "--",
            "ogrinfo",
            "-ro",
            "CARTO:demo",
            "no_such_layer",
        ],
        "",
    );
    assert_ne!(run.code(), Some(0));
    // With only the public key, the private table is out of GDAL's reach.
    let public = Sandbox::new();
    public.login("default_public", None);
    let run = public.run(&["exec", "--", "ogrinfo", "-ro", "CARTO:demo"], "");
    run.assert_code(0);
    assert!(!run.stdout().contains("points_private"), "{}", run.stdout());
}
