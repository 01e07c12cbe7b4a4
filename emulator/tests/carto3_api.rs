//! CARTO 3's API on its base URL: SQL queries (GET and POST, both forms of queryParameters,
//! positional and named), the row cap and the statement timeout, v3 error bodies, API access
//! tokens and the grants, APIs and referers they are held to, connections, the DW token, and
//! SQL jobs.

mod common;

use std::time::{Duration, Instant};

use common::{enc, get, send, Resp};
use serde_json::{json, Value};

use carto_emulator::harness::{Carto3Options, Emulator};

fn shared() -> &'static Emulator {
    static EMU: std::sync::OnceLock<Emulator> = std::sync::OnceLock::new();
    EMU.get_or_init(|| common::start_with(|o| o.carto3 = Some(Carto3Options::default())))
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// An M2M token of the shared emulator, minted once.
fn token() -> &'static str {
    static T: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    T.get_or_init(|| shared().mint_m2m_token())
}

fn query_url(emu: &Emulator, conn: &str, q: &str, params: Option<&Value>) -> String {
    let mut url = format!(
        "{}/v3/sql/{conn}/query?q={}&client=emulator-test&v=3.4",
        emu.carto3().api_base_url,
        enc(q)
    );
    if let Some(p) = params {
        url.push_str(&format!("&queryParameters={}", enc(&p.to_string())));
    }
    url
}

fn get_query(emu: &Emulator, token: &str, q: &str, params: Option<&Value>) -> Resp {
    let auth = bearer(token);
    get(
        emu,
        &query_url(emu, "carto_dw", q, params),
        &[("Authorization", &auth)],
    )
}

fn post_json(emu: &Emulator, token: &str, path: &str, body: &Value) -> Resp {
    let url = format!("{}{path}", emu.carto3().api_base_url);
    let auth = bearer(token);
    send(
        emu,
        "POST",
        &url,
        &[("Authorization", &auth)],
        Some(("application/json", body.to_string().into_bytes())),
    )
}

fn v3_error(r: &Resp, status: u16) -> String {
    assert_eq!(r.status, status, "{}", r.text());
    let body = r.json();
    assert_eq!(body["status"], status, "{body}");
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no string error in {body}"))
        .to_string()
}

#[test]
fn a_query_answers_rows_schema_and_meta_with_v3_type_names() {
    let emu = shared();
    let r = get_query(
        emu,
        token(),
        "SELECT cartodb_id, name, score, visits::int8 AS big, active, observed_at, the_geom \
         FROM points_public ORDER BY cartodb_id",
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r
        .header("cache-control")
        .unwrap()
        .contains("max-age=31536000"));
    let v = r.json();
    assert_eq!(v["rows"].as_array().unwrap().len(), 3);
    assert_eq!(v["rows"][0]["name"], "Madrid");
    assert_eq!(v["rows"][0]["score"], 3.5);
    assert_eq!(v["rows"][0]["observed_at"], "2015-04-24T12:34:56.123Z");
    let schema: Vec<(String, String)> = v["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().into(),
                c["type"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        // CARTO tables' cartodb_id is a bigserial.
        ("cartodb_id", "bigint"),
        ("name", "string"),
        ("score", "number"),
        ("big", "bigint"),
        ("active", "boolean"),
        ("observed_at", "timestamp"),
        ("the_geom", "geometry"),
    ];
    assert_eq!(
        schema,
        want.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
    assert_eq!(v["meta"]["cacheHit"], false);
    assert!(v["meta"]["totalBytesProcessed"].is_string());
}

#[test]
fn query_parameters_in_both_forms_positional_and_named() {
    let emu = shared();
    let q = "SELECT name FROM points_public WHERE visits > $1 AND name <> $2 ORDER BY name";
    let names = |r: &Resp| -> Vec<String> {
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["name"].as_str().unwrap().to_string())
            .collect()
    };
    // GET: queryParameters is JSON text in the query string.
    let r = get_query(emu, token(), q, Some(&json!([15, "Paris"])));
    assert_eq!(names(&r), ["Berlin"]);
    // POST: a JSON body, queryParameters a JSON value; v and client ride along.
    let body =
        json!({"q": q, "queryParameters": [15, "Berlin"], "v": "3.4", "client": "emulator-test"});
    let r = post_json(emu, token(), "/v3/sql/carto_dw/query", &body);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(names(&r), ["Paris"]);
    // Named @parameters from an object; a quote inside a value stays a value.
    let named = "SELECT name FROM points_public WHERE name = @city OR name = @other";
    let r = get_query(
        emu,
        token(),
        named,
        Some(&json!({"city": "Madrid", "other": "x' OR 'a'='a"})),
    );
    assert_eq!(names(&r), ["Madrid"]);
    let body = json!({"q": named, "queryParameters": {"city": "Berlin", "other": null}});
    assert_eq!(
        names(&post_json(emu, token(), "/v3/sql/carto_dw/query", &body)),
        ["Berlin"]
    );
    // A form body works too.
    let url = format!("{}/v3/sql/carto_dw/query", emu.carto3().api_base_url);
    let form = format!("q={}&queryParameters={}", enc(q), enc("[25, \"\"]"));
    let auth = bearer(token());
    let r = send(
        emu,
        "POST",
        &url,
        &[("Authorization", &auth)],
        Some(("application/x-www-form-urlencoded", form.into_bytes())),
    );
    assert_eq!(names(&r), ["Berlin"]);
    // Wrong or missing parameters are 400s that say what is wrong.
    let e = v3_error(&get_query(emu, token(), q, Some(&json!([1]))), 400);
    assert!(e.contains("$2"), "{e}");
    let bad = query_url(emu, "carto_dw", q, None) + "&queryParameters=%7Bnope";
    let r = get(emu, &bad, &[("Authorization", &auth)]);
    assert!(v3_error(&r, 400).contains("queryParameters"));
}

#[test]
fn refusals_have_v3_bodies() {
    let emu = shared();
    // No token, a garbage token, an unknown connection, no q, bad SQL.
    let url = query_url(emu, "carto_dw", "SELECT 1", None);
    assert_eq!(
        v3_error(&get(emu, &url, &[]), 401),
        "No authorization token was found"
    );
    assert_eq!(
        v3_error(&get(emu, &url, &[("Authorization", "Bearer nope")]), 401),
        "jwt malformed"
    );
    let auth = bearer(token());
    let r = get(
        emu,
        &query_url(emu, "elsewhere", "SELECT 1", None),
        &[("Authorization", &auth)],
    );
    assert!(v3_error(&r, 404).contains("elsewhere"));
    let r = post_json(emu, token(), "/v3/sql/carto_dw/query", &json!({"v": "3.4"}));
    assert!(v3_error(&r, 400).contains("q"));
    let e = v3_error(&get_query(emu, token(), "SELEC 1", None), 400);
    assert!(e.contains("syntax error"), "{e}");
    let e = v3_error(&get_query(emu, token(), "SELECT * FROM nowhere", None), 400);
    assert!(e.contains("nowhere"), "{e}");
    let r = get(
        emu,
        &format!("{}/v3/nothing", emu.carto3().api_base_url),
        &[("Authorization", &auth)],
    );
    assert!(v3_error(&r, 404).contains("/v3/nothing"));
}

#[test]
fn the_row_cap_cuts_results_and_the_statement_timeout_stops_queries() {
    let emu = common::start_with(|o| {
        o.carto3 = Some(Carto3Options {
            sql_max_rows: 5,
            sql_statement_timeout: Duration::from_millis(300),
            ..Carto3Options::default()
        })
    });
    let t = emu.mint_m2m_token();
    let r = get_query(
        &emu,
        &t,
        "SELECT g FROM generate_series(1, 1000000) g",
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let rows = r.json()["rows"].as_array().unwrap().clone();
    assert_eq!(
        rows.iter()
            .map(|r| r["g"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    let started = Instant::now();
    let e = v3_error(&get_query(&emu, &t, "SELECT pg_sleep(5)", None), 429);
    assert!(e.contains("timeout"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(4));
    // Both are faults a test can change at run time.
    emu.set_carto3_sql_limits(Some(Duration::ZERO), Some(200_000));
    let r = get_query(
        &emu,
        &t,
        "SELECT g FROM generate_series(1, 10) g, pg_sleep(0.5)",
        None,
    );
    assert_eq!(
        r.json()["rows"].as_array().unwrap().len(),
        10,
        "{}",
        r.text()
    );
}

fn create_token(emu: &Emulator, oauth: &str, grants: Value, apis: Value, referers: Value) -> Resp {
    post_json(
        emu,
        oauth,
        "/v3/tokens",
        &json!({"grants": grants, "allowed_apis": apis, "referers": referers}),
    )
}

#[test]
fn api_access_tokens_reach_their_grants_and_nothing_else() {
    let emu = shared();
    let source = "SELECT name FROM points_public ORDER BY name";
    let r = create_token(
        emu,
        token(),
        json!([{"connection_name": "carto_dw", "source": source}]),
        json!(["sql"]),
        json!([]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let created = r.json();
    let api = created["token"].as_str().unwrap().to_string();
    assert_eq!(created["allowed_apis"], json!(["sql"]));
    // Its grant, also with other white space.
    let r = get_query(emu, &api, source, None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["rows"][0]["name"], "Berlin");
    assert_eq!(
        get_query(
            emu,
            &api,
            "SELECT name\n  FROM points_public\nORDER BY name;",
            None
        )
        .status,
        200
    );
    // Anything else: CARTO's 403.
    for q in [
        "SELECT * FROM points_private",
        "SELECT name FROM points_public",
    ] {
        let e = v3_error(&get_query(emu, &api, q, None), 403);
        assert_eq!(e, "You don't have permissions to read this resource");
    }
    // Only OAuth tokens may mint tokens or list connections.
    let r = create_token(
        emu,
        &api,
        json!([{"connection_name": "carto_dw", "source": source}]),
        json!(["sql"]),
        json!([]),
    );
    v3_error(&r, 403);
    let url = format!("{}/v3/connections", emu.carto3().api_base_url);
    v3_error(&get(emu, &url, &[("Authorization", &bearer(&api))]), 403);
    let accounts = emu.carto3().accounts_url;
    v3_error(
        &get(emu, &accounts, &[("Authorization", &bearer(&api))]),
        403,
    );
    // Listed, then revoked: the revoked token is no token.
    let list_url = format!("{}/v3/tokens", emu.carto3().api_base_url);
    let list = get(emu, &list_url, &[("Authorization", &bearer(token()))]).json();
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["token"] == api.as_str()));
    let del = send(
        emu,
        "DELETE",
        &format!("{list_url}/{api}"),
        &[("Authorization", &bearer(token()))],
        None,
    );
    assert_eq!(del.status, 204, "{}", del.text());
    assert_eq!(
        v3_error(&get_query(emu, &api, source, None), 401),
        "invalid token"
    );
    // The token was in a path; the request log has it nowhere.
    let log = emu.requests();
    assert!(log
        .iter()
        .any(|e| e.path == "/v3/tokens/REDACTED" && e.method == "DELETE"));
    assert!(log.iter().all(|e| !format!("{e:?}").contains(&api)));
}

#[test]
fn api_access_tokens_are_held_to_their_apis_and_referers() {
    let emu = shared();
    let source = "SELECT 1 AS one";
    let grants = json!([{"connection_name": "carto_dw", "source": source}]);
    let maps_only = create_token(emu, token(), grants.clone(), json!(["maps"]), json!([])).json();
    let e = v3_error(
        &get_query(emu, maps_only["token"].as_str().unwrap(), source, None),
        403,
    );
    assert!(e.contains("sql"), "{e}");
    let referred = create_token(
        emu,
        token(),
        grants.clone(),
        json!(["sql"]),
        json!(["https://app.example/"]),
    )
    .json();
    let t = referred["token"].as_str().unwrap();
    let url = query_url(emu, "carto_dw", source, None);
    let auth = bearer(t);
    let ok = get(
        emu,
        &url,
        &[
            ("Authorization", &auth),
            ("Referer", "https://app.example/page"),
        ],
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    v3_error(
        &get(
            emu,
            &url,
            &[
                ("Authorization", &auth),
                ("Referer", "https://evil.example/"),
            ],
        ),
        403,
    );
    v3_error(&get(emu, &url, &[("Authorization", &auth)]), 403);
    // Bad requests to the Tokens API.
    for (g, a) in [
        (json!([]), json!(["sql"])),
        (
            json!([{"connection_name": "elsewhere", "source": source}]),
            json!(["sql"]),
        ),
        (grants.clone(), json!(["everything"])),
        (grants.clone(), json!([])),
    ] {
        v3_error(&create_token(emu, token(), g, a, json!([])), 400);
    }
}

#[test]
fn connections_and_the_dw_token() {
    let emu = shared();
    let base = emu.carto3().api_base_url;
    let auth = bearer(token());
    let list = get(
        emu,
        &format!("{base}/v3/connections"),
        &[("Authorization", &auth)],
    );
    assert_eq!(list.status, 200, "{}", list.text());
    assert_eq!(list.json()[0]["name"], "carto_dw");
    let dw = get(
        emu,
        &format!("{base}/v3/connections/carto-dw/token"),
        &[("Authorization", &auth)],
    );
    assert_eq!(dw.status, 200, "{}", dw.text());
    let dw = dw.json();
    assert!(dw["projectId"].as_str().is_some_and(|p| !p.is_empty()));
    assert!(dw["token"].as_str().is_some_and(|t| !t.is_empty()));
    v3_error(
        &get(emu, &format!("{base}/v3/connections/carto-dw/token"), &[]),
        401,
    );
}

fn wait_for_job(emu: &Emulator, id: &str, until: &[&str]) -> Value {
    let url = format!("{}/v3/sql/carto_dw/job/{id}", emu.carto3().api_base_url);
    let auth = bearer(token());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = get(emu, &url, &[("Authorization", &auth)]);
        assert_eq!(r.status, 200, "{}", r.text());
        let j = r.json();
        if until.contains(&j["status"].as_str().unwrap()) {
            return j;
        }
        assert!(Instant::now() < deadline, "job {id} still {}", j["status"]);
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sql_jobs_run_fail_cancel_and_list() {
    let emu = shared();
    let r = post_json(
        emu,
        token(),
        "/v3/sql/carto_dw/job",
        &json!({"query": "CREATE TABLE IF NOT EXISTS v3_job_out AS SELECT $1::int AS n", "queryParameters": [7]}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let created = r.json();
    let id = created["jobId"].as_str().unwrap().to_string();
    assert!(["pending", "running"].contains(&created["status"].as_str().unwrap()));
    assert_eq!(
        wait_for_job(emu, &id, &["done", "failed"])["status"],
        "done"
    );
    assert_eq!(
        get_query(emu, token(), "SELECT n FROM v3_job_out", None).json()["rows"][0]["n"],
        7
    );
    // `q` works as the statement's name too; a failing statement fails the job with its error.
    let failing = post_json(
        emu,
        token(),
        "/v3/sql/carto_dw/job",
        &json!({"q": "SELECT * FROM nowhere"}),
    )
    .json();
    let failed = wait_for_job(emu, failing["jobId"].as_str().unwrap(), &["done", "failed"]);
    assert_eq!(failed["status"], "failed");
    assert!(failed["error"].as_str().unwrap().contains("nowhere"));
    // A long one, cancelled.
    let slow = post_json(
        emu,
        token(),
        "/v3/sql/carto_dw/job",
        &json!({"query": "SELECT pg_sleep(30)"}),
    )
    .json();
    let slow_id = slow["jobId"].as_str().unwrap();
    wait_for_job(emu, slow_id, &["running"]);
    let url = format!(
        "{}/v3/sql/carto_dw/job/{slow_id}",
        emu.carto3().api_base_url
    );
    let auth = bearer(token());
    let r = send(emu, "DELETE", &url, &[("Authorization", &auth)], None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "cancelled");
    v3_error(
        &send(emu, "DELETE", &url, &[("Authorization", &auth)], None),
        400,
    );
    // Listed; unknown ids and other connections are 404.
    let list = get(
        emu,
        &format!("{}/v3/sql/jobs", emu.carto3().api_base_url),
        &[("Authorization", &auth)],
    )
    .json();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["jobId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&id.as_str()) && ids.contains(&slow_id));
    let other = url.replace("/carto_dw/", "/elsewhere/");
    v3_error(&get(emu, &other, &[("Authorization", &auth)]), 404);
    v3_error(
        &get(
            emu,
            &url.replace(slow_id, "no-such-job"),
            &[("Authorization", &auth)],
        ),
        404,
    );
}
