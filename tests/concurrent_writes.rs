//! Atomic, locked writes under contention: threads, processes, and writers killed mid-write.
//!
//! Child processes are this test binary re-run with `CARTOAUTH_TEST_WRITER` set: the
//! `writer_process` entry point then saves or updates a file in a loop instead of testing.

use cartoauth::config::{self, FileFormat, FileUpdate, Location};
use cartoauth::Credentials;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WRITER_ENV: &str = "CARTOAUTH_TEST_WRITER";

fn creds(i: usize) -> Credentials {
    // Long keys make each write take longer, widening the window for a torn write.
    let key = format!("{i:04}{}", "k".repeat(4000));
    Credentials::new(Some(&format!("user{i}")), Some(&key), None, false).unwrap()
}

/// Any load must succeed and give one of the written credentials.
fn assert_whole(path: &Path, writers: usize) {
    let c = config::load(&Location::Path(path.to_path_buf()))
        .unwrap_or_else(|e| panic!("torn or broken file: {e}"));
    let n: usize = c.username().unwrap()["user".len()..].parse().unwrap();
    assert!(n < writers);
    assert_eq!(c, creds(n));
}

#[test]
fn threads_writing_and_reading_never_see_a_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.json");
    config::save(&creds(0), &Location::Path(path.clone()), None).unwrap();
    let writers: Vec<_> = (0..6)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                for _ in 0..40 {
                    config::save(&creds(i), &Location::Path(path.clone()), None).unwrap();
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                for _ in 0..300 {
                    assert_whole(&path, 6);
                }
            })
        })
        .collect();
    writers
        .into_iter()
        .chain(readers)
        .for_each(|t| t.join().unwrap());
    assert_whole(&path, 6);
}

fn spawn_writer(path: &Path, mode: &str, id: usize) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "writer_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WRITER_ENV, format!("{mode}:{id}:{}", path.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Entry point of the child processes; a no-op when run as an ordinary test.
#[test]
fn writer_process() {
    let Ok(spec) = std::env::var(WRITER_ENV) else {
        return;
    };
    let mut parts = spec.splitn(3, ':');
    let (mode, id, path) = (
        parts.next().unwrap(),
        parts.next().unwrap().parse::<usize>().unwrap(),
        PathBuf::from(parts.next().unwrap()),
    );
    let location = Location::Path(path);
    match mode {
        "save" => loop {
            config::save(&creds(id), &location, Some(FileFormat::CartoCreds)).unwrap();
        },
        "update" => {
            for round in 0..60 {
                let update = FileUpdate {
                    api_key: Some(format!("p{id}r{round}")),
                    ..Default::default()
                };
                config::update(&location, &update).unwrap();
            }
        }
        other => panic!("unknown writer mode {other}"),
    }
}

#[test]
fn processes_updating_one_file_keep_it_whole_and_keep_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.json");
    std::fs::write(
        &path,
        r#"{"APIKEY": "start", "USERNAME": "jo", "USERURL": "https://{username}.carto.com/", "team": "gis"}"#,
    )
    .unwrap();
    let children: Vec<Child> = (0..4).map(|i| spawn_writer(&path, "update", i)).collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a writer process failed");
    }
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        doc["team"], "gis",
        "unknown keys survive concurrent updates"
    );
    assert_eq!(doc["USERNAME"], "jo");
    let key = doc["APIKEY"].as_str().unwrap();
    assert!(
        key.ends_with("r59"),
        "the last update of some process wins: {key}"
    );
}

#[cfg(unix)]
#[test]
fn writers_killed_mid_write_leave_the_previous_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.json");
    config::save(&creds(0), &Location::Path(path.clone()), None).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    for round in 0..25 {
        let mut children: Vec<Child> = (0..3).map(|i| spawn_writer(&path, "save", i)).collect();
        std::thread::sleep(Duration::from_millis(20 + (round * 7) % 40));
        for child in &mut children {
            child.kill().unwrap(); // SIGKILL: no chance to clean up
        }
        for mut child in children {
            child.wait().unwrap();
        }
        assert_whole(&path, 3);
        assert!(Instant::now() < deadline, "kill rounds took too long");
    }
    // A killed writer may leave its temporary file; the next write succeeds beside it and
    // leaves it alone (only the process that created a temporary file removes it).
    config::save(&creds(1), &Location::Path(path.clone()), None).unwrap();
    assert_whole(&path, 3);
}
