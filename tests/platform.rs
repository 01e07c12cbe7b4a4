//! CARTO's platform APIs through the client, against the local CARTO-compatible server: Batch
//! SQL jobs (done, failed, cancelled while running, waits that time out or are stopped), the
//! Auth API (all pages, grants, the master-key-only calls, tokens only from create and
//! regenerate) and the Data Observatory token.

use carto_emulator::harness::{Emulator, Fault};
use cartoauth::client::{
    ApiKeyType, BatchJobSpec, BatchQuery, Grants, JobStatus, TableGrant, WaitOptions,
};
use cartoauth::{Client, ClientOptions, Credentials, ErrorKind};
use std::time::Duration;

fn client_with_key(emu: &Emulator, key: &str) -> Client {
    let credentials = Credentials::new(None, Some(key), Some(&emu.base_url("demo")), true).unwrap();
    Client::new(credentials, ClientOptions::default()).unwrap()
}

fn client(emu: &Emulator, key_type: &str) -> Client {
    client_with_key(emu, &emu.key("demo", key_type))
}

fn quick_wait(timeout: Duration) -> WaitOptions {
    WaitOptions {
        timeout,
        initial_interval: Duration::from_millis(20),
        max_interval: Duration::from_millis(200),
    }
}

fn sql_grants() -> Grants {
    Grants {
        apis: vec!["sql".into()],
        ..Default::default()
    }
}

#[test]
fn a_job_of_several_queries_runs_to_done_with_each_query_s_status() {
    let emu = Emulator::start();
    let c = client(&emu, "master");
    let spec = BatchJobSpec::queries([
        "create table batch_t (n int)",
        "insert into batch_t values (1), (2)",
    ]);
    let job = c.batch_create(&spec).unwrap();
    assert_eq!(job.queries.len(), 2);
    assert!(!job.status.is_final(), "{job:?}");
    let mut polls = 0;
    let mut seen = |_: &cartoauth::client::BatchJob| {
        polls += 1;
        true
    };
    let done = c
        .batch_wait(
            &job.id,
            &quick_wait(Duration::from_secs(30)),
            Some(&mut seen),
        )
        .unwrap();
    assert!(polls >= 1);
    assert_eq!(done.status, JobStatus::Done);
    assert_eq!(done.id, job.id);
    assert!(done.queries.iter().all(|q| q.status == JobStatus::Done));
    let rows = c.sql("select count(*) as n from batch_t", None).unwrap();
    assert_eq!(rows.json().unwrap()["rows"][0]["n"], 2);
    // A callback's "stop" does not hide that the job has finished.
    let mut stop = |_: &cartoauth::client::BatchJob| false;
    let again = c
        .batch_wait(
            &job.id,
            &quick_wait(Duration::from_secs(30)),
            Some(&mut stop),
        )
        .unwrap();
    assert_eq!(again.status, JobStatus::Done);
    // A finished job cannot be cancelled; cancel reports it as it is.
    assert_eq!(c.batch_cancel(&job.id).unwrap().status, JobStatus::Done);
}

#[test]
fn a_failing_job_is_its_own_error_with_the_server_s_reason() {
    let emu = Emulator::start();
    let c = client(&emu, "master");
    let job = c
        .batch_create(&BatchJobSpec::queries([
            "select 1",
            "select * from no_such_table",
            "select 2",
        ]))
        .unwrap();
    let e = c
        .batch_wait(&job.id, &quick_wait(Duration::from_secs(30)), None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BatchJobFailed, "{e}");
    assert!(e.message().contains("no_such_table"), "{e}");
    assert!(e.message().contains(&job.id), "{e}");
    let failed = c.batch_status(&job.id).unwrap();
    assert_eq!(failed.status, JobStatus::Failed);
    let statuses: Vec<JobStatus> = failed.queries.iter().map(|q| q.status).collect();
    assert_eq!(
        statuses,
        [JobStatus::Done, JobStatus::Failed, JobStatus::Skipped]
    );
    assert!(failed.queries[1]
        .failed_reason
        .as_deref()
        .unwrap()
        .contains("no_such_table"));
}

#[test]
fn a_job_cancelled_while_running_stops_and_its_waiter_says_so() {
    let emu = Emulator::start();
    let c = client(&emu, "master");
    let job = c
        .batch_create(&BatchJobSpec::query("select pg_sleep(60)"))
        .unwrap();
    // Wait until it runs, then cancel it from another thread while this one waits.
    let mut running = |j: &cartoauth::client::BatchJob| j.status != JobStatus::Running;
    let e = c
        .batch_wait(
            &job.id,
            &quick_wait(Duration::from_secs(30)),
            Some(&mut running),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    let canceller = {
        let c = c.clone();
        let id = job.id.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            c.batch_cancel(&id).unwrap()
        })
    };
    let e = c
        .batch_wait(&job.id, &quick_wait(Duration::from_secs(30)), None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BatchJobCancelled, "{e}");
    assert_eq!(canceller.join().unwrap().status, JobStatus::Cancelled);
    assert_eq!(
        c.batch_status(&job.id).unwrap().status,
        JobStatus::Cancelled
    );
}

#[test]
fn a_wait_that_times_out_leaves_the_job_running() {
    let emu = Emulator::start();
    let c = client(&emu, "master");
    let job = c
        .batch_create(&BatchJobSpec::query("select pg_sleep(60)"))
        .unwrap();
    let e = c
        .batch_wait(&job.id, &quick_wait(Duration::from_millis(300)), None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WaitTimeout, "{e}");
    assert!(!c.batch_status(&job.id).unwrap().status.is_final());
    c.batch_cancel(&job.id).unwrap();
}

#[test]
fn batch_jobs_need_the_master_key_and_a_known_id() {
    let emu = Emulator::start();
    let regular = client(&emu, "regular");
    let e = regular
        .batch_create(&BatchJobSpec::query("select 1"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpForbidden, "{e}");
    let c = client(&emu, "master");
    let e = c
        .batch_status("00000000-0000-0000-0000-000000000000")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpClientError);
    assert!(e.message().contains("not found"), "{e}");
    let e = c.batch_status("../api_keys").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = c.batch_create(&BatchJobSpec::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = c
        .batch_wait(
            "x",
            &WaitOptions {
                initial_interval: Duration::ZERO,
                ..Default::default()
            },
            None,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn hooks_run_on_success_and_on_error() {
    let emu = Emulator::start();
    let c = client(&emu, "master");
    c.sql("create table hook_log (what text)", None).unwrap();
    let mut spec = BatchJobSpec {
        queries: vec![
            BatchQuery {
                query: "select 1".into(),
                onsuccess: Some("insert into hook_log values ('q0 ok')".into()),
                onerror: None,
            },
            BatchQuery::new("select * from missing_table"),
        ],
        ..Default::default()
    };
    spec.onerror = Some("insert into hook_log values ('job failed')".into());
    spec.onsuccess = Some("insert into hook_log values ('job ok')".into());
    let job = c.batch_create(&spec).unwrap();
    let e = c
        .batch_wait(&job.id, &quick_wait(Duration::from_secs(30)), None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BatchJobFailed, "{e}");
    let log = c
        .sql("select what from hook_log order by what", None)
        .unwrap()
        .json()
        .unwrap();
    let seen: Vec<&str> = log["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["what"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ["job failed", "q0 ok"]);
}

#[test]
fn api_keys_are_listed_over_every_page_in_carto_s_order() {
    let emu = Emulator::start();
    let c = client(&emu, "master");
    let before = c.api_keys().unwrap();
    assert_eq!(before[0].key_type, ApiKeyType::Master);
    assert_eq!(before[1].name, "Default public");
    for i in 0..21 {
        c.create_api_key(&format!("page_key_{i:02}"), &sql_grants())
            .unwrap();
    }
    let all = c.api_keys().unwrap();
    assert_eq!(all.len(), before.len() + 21, "more than one page of 20");
    for i in 0..21 {
        let name = format!("page_key_{i:02}");
        assert_eq!(all.iter().filter(|k| k.name == name).count(), 1, "{name}");
    }
    // Another key sees only itself.
    let regular = client(&emu, "regular");
    let mine = regular.api_keys().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].key_type, ApiKeyType::Regular);
}

#[test]
fn a_key_is_created_with_grants_read_regenerated_and_deleted() {
    let emu = Emulator::start();
    let c = client(&emu, "master");
    let grants = Grants {
        apis: vec!["sql".into(), "maps".into()],
        tables: vec![TableGrant {
            schema: String::new(),
            name: "points_private".into(),
            permissions: vec!["select".into(), "insert".into()],
        }],
        services: vec!["geocoding".into()],
        ..Default::default()
    };
    let created = c.create_api_key("reader key", &grants).unwrap();
    assert_eq!(created.info.name, "reader key");
    assert_eq!(created.info.key_type, ApiKeyType::Regular);
    assert_eq!(created.info.grants.apis, ["sql", "maps"]);
    let table = &created.info.grants.tables[0];
    assert_eq!(table.name, "points_private");
    let mut perms = table.permissions.clone();
    perms.sort();
    assert_eq!(perms, ["insert", "select"]);
    assert_eq!(created.info.grants.services, ["geocoding"]);
    let token = created.token.expose().to_owned();
    assert!(!format!("{created:?}").contains(&token));

    // The new token works, for what it was granted.
    let with_new = client_with_key(&emu, &token);
    with_new
        .sql("select count(*) from points_private", None)
        .unwrap();
    let read = c.api_key("reader key").unwrap();
    assert_eq!(read, created.info);

    let e = c.create_api_key("reader key", &grants).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpClientError);
    assert!(e.message().contains("Name has already been taken"), "{e}");

    let renewed = c.regenerate_api_key("reader key").unwrap();
    assert_ne!(renewed.token.expose(), token);
    let e = with_new.sql("select 1", None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpUnauthorized, "old token: {e}");
    client_with_key(&emu, renewed.token.expose())
        .sql("select 1", None)
        .unwrap();

    c.delete_api_key("reader key").unwrap();
    let e = c.api_key("reader key").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpNotFound);
    assert!(e.message().contains("API key not found"), "{e}");
    let e = c.delete_api_key("Master").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpForbidden, "{e}");
    let e = c.create_api_key("no apis", &Grants::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn a_regular_key_cannot_manage_keys_and_is_told_clearly() {
    let emu = Emulator::start();
    let regular_token = emu.key("demo", "regular");
    let regular = client(&emu, "regular");
    for e in [
        regular.create_api_key("mine", &sql_grants()).unwrap_err(),
        regular.delete_api_key("demo_regular").unwrap_err(),
        regular.regenerate_api_key("demo_regular").unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::HttpForbidden, "{e}");
        assert!(e.message().contains("only the account's master key"), "{e}");
        assert!(!e.message().contains(&regular_token), "{e}");
    }
    let e = regular.api_key("Master").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpNotFound);
    // A wrong key stays "unauthorized".
    let wrong = client_with_key(&emu, "not-a-key-at-all-1234");
    let e = wrong.create_api_key("x", &sql_grants()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpUnauthorized, "{e}");
    let e = wrong.api_keys().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpUnauthorized, "{e}");
}

#[test]
fn do_credentials_for_the_master_key_and_do_granted_keys_only() {
    let emu = Emulator::start();
    let c = client(&emu, "master");
    let creds = c.do_credentials().unwrap();
    assert!(!creds.access_token().is_empty());
    assert!(creds.bq_project.is_some() && creds.bq_dataset.is_some());
    assert!(creds.gcs_bucket.is_some() && creds.gcp_execution_project.is_some());
    assert!(!creds.instant_licensing);
    assert!(!format!("{creds:?}").contains(creds.access_token()));
    let (project, token) = creds.gcloud_credentials();
    assert_eq!(project, creds.bq_project.as_deref());
    assert_eq!(token, creds.access_token());

    let e = client(&emu, "regular").do_credentials().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpForbidden, "{e}");
    let do_key = c
        .create_api_key(
            "do key",
            &Grants {
                apis: vec!["do".into()],
                ..Default::default()
            },
        )
        .unwrap();
    let granted = client_with_key(&emu, do_key.token.expose())
        .do_credentials()
        .unwrap();
    assert_eq!(granted.bq_project, creds.bq_project);
    let e = client_with_key(&emu, "wrong-key-0123456789")
        .do_credentials()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpUnauthorized);
}

#[test]
fn lying_and_stalling_servers_give_errors_not_hangs_or_panics() {
    let emu = Emulator::start();
    let c = client(&emu, "master");
    // A key list that is not JSON.
    emu.arm_fault(
        &Fault::on("/user/demo/api/v3/api_keys")
            .malformed_json()
            .times(1),
    );
    let e = c.api_keys().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    // A DO token answer that is not JSON.
    emu.arm_fault(
        &Fault::on("/user/demo/api/v4/do/token")
            .malformed_json()
            .times(1),
    );
    let e = c.do_credentials().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    // A status poll that stalls past the client's timeout ends the wait with a timeout.
    let job = c.batch_create(&BatchJobSpec::query("select 1")).unwrap();
    let impatient = Client::new(
        Credentials::new(
            None,
            Some(&emu.key("demo", "master")),
            Some(&emu.base_url("demo")),
            true,
        )
        .unwrap(),
        ClientOptions {
            timeout: Some(Duration::from_millis(500)),
            retry: cartoauth::client::RetryPolicy {
                max_attempts: 1,
                max_wait: Duration::ZERO,
            },
            ..Default::default()
        },
    )
    .unwrap();
    // Without retries, a key list cut short is a connection error.
    emu.arm_fault(
        &Fault::on("/user/demo/api/v3/api_keys")
            .abort_after(10)
            .times(1),
    );
    let e = impatient.api_keys().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connection, "{e}");
    emu.arm_fault(&Fault::on("/user/demo/api/v2/sql/job/").delay(Duration::from_secs(3)));
    let e = impatient
        .batch_wait(&job.id, &quick_wait(Duration::from_secs(30)), None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    emu.clear_faults();
    // A server error on create keeps CARTO's status.
    emu.arm_fault(&Fault::on("/user/demo/api/v2/sql/job").status(500).times(1));
    let e = impatient
        .batch_create(&BatchJobSpec::query("select 1"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpServerError, "{e}");
}
