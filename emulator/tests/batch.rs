//! The Batch SQL API: master only, jobs run in the background through CARTO's statuses.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

fn jobs_url(emu: &Emulator) -> String {
    format!("{}/api/v2/sql/job", emu.base_url("demo"))
}

/// Creates a job the way carto-python does: JSON body with the key inside.
fn create(emu: &Emulator, query: Value) -> Resp {
    let body =
        json!({"query": query, "api_key": emu.key("demo", "master"), "client": "cps-1.11.3"});
    send(
        emu,
        "POST",
        &format!("{}/", jobs_url(emu)),
        &[],
        Some(("application/json", serde_json::to_vec(&body).unwrap())),
    )
}

fn job(emu: &Emulator, id: &str) -> Value {
    let r = get(
        emu,
        &format!(
            "{}/{id}?api_key={}",
            jobs_url(emu),
            emu.key("demo", "master")
        ),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// Polls until the job leaves pending/running (bounded).
fn wait_final(emu: &Emulator, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let j = job(emu, id);
        if !["pending", "running"].contains(&j["status"].as_str().unwrap()) {
            return j;
        }
        assert!(Instant::now() < deadline, "job {id} never finished: {j}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_job_runs_to_done() {
    let emu = shared();
    let r = create(emu, json!("CREATE TABLE batch_done AS SELECT 1 AS a"));
    assert_eq!(r.status, 201, "{}", r.text());
    let j = r.json();
    let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "job_id",
            "user",
            "query",
            "status",
            "created_at",
            "updated_at"
        ]
    );
    assert_eq!(j["user"], "demo");
    assert_eq!(j["status"], "pending");
    assert_eq!(r.header("carto-client").unwrap(), "cps-1.11.3");
    let done = wait_final(emu, j["job_id"].as_str().unwrap());
    assert_eq!(done["status"], "done");
    assert_eq!(
        master_sql(emu, "select a from batch_done")["rows"],
        json!([{"a": 1}])
    );
}

#[test]
fn multi_query_jobs_and_failures() {
    let emu = shared();
    let r = create(
        emu,
        json!([
            "CREATE TABLE batch_multi (a int)",
            "INSERT INTO batch_multi VALUES (1)"
        ]),
    );
    let done = wait_final(emu, r.json()["job_id"].as_str().unwrap());
    assert_eq!(done["status"], "done");
    assert_eq!(
        done["query"],
        json!([
            {"query": "CREATE TABLE batch_multi (a int)", "status": "done"},
            {"query": "INSERT INTO batch_multi VALUES (1)", "status": "done"}
        ])
    );
    let r = create(
        emu,
        json!(["SELECT 1", "SELECT * FROM no_such_relation", "SELECT 2"]),
    );
    let failed = wait_final(emu, r.json()["job_id"].as_str().unwrap());
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        failed["failed_reason"],
        "relation \"no_such_relation\" does not exist"
    );
    assert_eq!(failed["query"][1]["status"], "failed");
    assert_eq!(failed["query"][2]["status"], "skipped");
}

#[test]
fn cancelling_a_running_job_and_a_done_one() {
    let emu = shared();
    let r = create(emu, json!("SELECT pg_sleep(30)"));
    let id = r.json()["job_id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    while job(emu, &id)["status"] != "running" {
        assert!(Instant::now() < deadline, "job never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = format!(
        "{}/{id}?api_key={}",
        jobs_url(emu),
        emu.key("demo", "master")
    );
    let r = send(emu, "DELETE", &url, &[], None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "cancelled");
    assert_eq!(wait_final(emu, &id)["status"], "cancelled");
    let r = send(emu, "DELETE", &url, &[], None);
    assert_eq!(
        (r.status, r.json()),
        (
            400,
            json!({"error": ["Cannot set status from cancelled to cancelled"]})
        )
    );

    let r = create(emu, json!("SELECT 1"));
    let id = r.json()["job_id"].as_str().unwrap().to_string();
    assert_eq!(wait_final(emu, &id)["status"], "done");
    let url = format!(
        "{}/{id}?api_key={}",
        jobs_url(emu),
        emu.key("demo", "master")
    );
    let r = send(emu, "DELETE", &url, &[], None);
    assert_eq!(
        (r.status, r.json()),
        (
            400,
            json!({"error": ["Cannot set status from done to cancelled"]})
        )
    );
}

#[test]
fn job_errors() {
    let emu = shared();
    let master = emu.key("demo", "master");
    let r = get(
        emu,
        &format!("{}/irrelevantJob?api_key={master}", jobs_url(emu)),
        &[],
    );
    assert_eq!(
        (r.status, r.json()),
        (
            400,
            json!({"error": ["Job with id irrelevantJob not found"]})
        )
    );
    for key in ["default_public".to_string(), emu.key("demo", "regular")] {
        let r = send(
            emu,
            "POST",
            &jobs_url(emu),
            &[],
            Some((
                "application/json",
                serde_json::to_vec(&json!({"query": "select 1", "api_key": key})).unwrap(),
            )),
        );
        assert_eq!(
            (r.status, r.json()),
            (403, json!({"error": ["permission denied"]}))
        );
    }
    let r = send(
        emu,
        "POST",
        &format!("{}?api_key=nope", jobs_url(emu)),
        &[],
        None,
    );
    assert_eq!(r.status, 401);
    let r = send(
        emu,
        "POST",
        &format!("{}?api_key={master}", jobs_url(emu)),
        &[],
        Some(("application/x-www-form-urlencoded", b"q=select+1".to_vec())),
    );
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"error": ["You must indicate a valid SQL"]}))
    );
    let big = format!("SELECT '{}'", "x".repeat(17 * 1024));
    let r = create(emu, json!(big));
    assert_eq!(r.status, 400);
    assert!(r.json()["error"][0]
        .as_str()
        .unwrap()
        .starts_with("Your payload is too large: "));
}

#[test]
fn fallback_jobs_run_their_hooks_and_echo_them() {
    let emu = shared();
    let setup = create(emu, json!("CREATE TABLE batch_hooks (what text)"));
    assert_eq!(setup.status, 201, "{}", setup.text());
    assert_eq!(
        wait_final(emu, setup.json()["job_id"].as_str().unwrap())["status"],
        "done"
    );
    let r = create(
        emu,
        json!({
            "query": [
                {"query": "SELECT 1", "onsuccess": "INSERT INTO batch_hooks VALUES ('q0 ok')"},
                {"query": "SELECT * FROM batch_hooks_missing",
                 "onerror": "INSERT INTO batch_hooks VALUES ('q1 <%= error_message %>')"}
            ],
            "onerror": "INSERT INTO batch_hooks VALUES ('job <%= job_id %>')",
            "onsuccess": "INSERT INTO batch_hooks VALUES ('never')"
        }),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let created = r.json();
    assert_eq!(
        created["query"]["onerror"],
        "INSERT INTO batch_hooks VALUES ('job <%= job_id %>')"
    );
    assert_eq!(created["query"]["query"][0]["status"], "pending");
    let id = created["job_id"].as_str().unwrap().to_string();
    let j = wait_final(emu, &id);
    assert_eq!(j["status"], "failed", "{j}");
    assert_eq!(j["query"]["query"][1]["status"], "failed", "{j}");
    // The hooks ran after the job's state was recorded: poll the table briefly.
    let deadline = Instant::now() + Duration::from_secs(10);
    let rows = loop {
        let done = create(emu, json!("SELECT 1"));
        let _ = wait_final(emu, done.json()["job_id"].as_str().unwrap());
        let r = get(
            emu,
            &format!(
                "{}/api/v2/sql?q=SELECT%20what%20FROM%20batch_hooks%20ORDER%20BY%201&api_key={}",
                emu.base_url("demo"),
                emu.key("demo", "master")
            ),
            &[],
        );
        let rows: Vec<String> = r.json()["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["what"].as_str().unwrap().to_string())
            .collect();
        if rows.len() >= 3 || Instant::now() > deadline {
            break rows;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0], format!("job {id}"));
    assert!(rows[1].starts_with("q0 ok"), "{rows:?}");
    assert!(rows[2].contains("batch_hooks_missing"), "{rows:?}");
}
