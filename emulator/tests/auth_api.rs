//! The Auth API over HTTP: listing, creating (a real role), using, regenerating and deleting
//! keys, its error shape and its empty 401.

mod common;

use common::*;
use serde_json::{json, Value};

fn keys_url(emu: &Emulator) -> String {
    format!("{}/api/v3/api_keys", emu.base_url("demo"))
}

fn as_master(emu: &Emulator) -> String {
    basic("demo", &emu.key("demo", "master"))
}

fn create(emu: &Emulator, body: Value) -> Resp {
    send(
        emu,
        "POST",
        &keys_url(emu),
        &[("Authorization", &as_master(emu))],
        Some(("application/json", serde_json::to_vec(&body).unwrap())),
    )
}

#[test]
fn key_lifecycle_with_real_roles() {
    let emu = start();
    let auth = as_master(&emu);
    let r = create(
        &emu,
        json!({"name": "reader", "grants": [
            {"type": "apis", "apis": ["sql", "maps"]},
            {"type": "database", "tables": [{"schema": "demo", "name": "points_private", "permissions": ["select"]}]}
        ]}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json();
    assert_eq!(key["name"], "reader");
    assert_eq!(key["type"], "regular");
    assert_eq!(key["user"], json!({"username": "demo"}));
    assert_eq!(
        key["grants"][1]["tables"],
        json!([{"schema": "demo", "name": "points_private", "owner": "cartodb_user_demo", "permissions": ["select"]}])
    );
    let token = key["token"].as_str().unwrap().to_string();

    // The new key is a role with exactly that grant.
    let r = sql(
        &emu,
        "select count(*) from points_private",
        &format!("api_key={token}"),
    );
    assert_eq!(r.json()["rows"], json!([{"count": 2}]), "{}", r.text());
    let r = sql(
        &emu,
        "select * from points_writable",
        &format!("api_key={token}"),
    );
    assert_eq!(r.status, 403);

    let r = create(
        &emu,
        json!({"name": "reader", "grants": [{"type": "apis", "apis": ["sql"]}]}),
    );
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json(),
        json!({"errors": "Validation failed: Name has already been taken", "errors_cause": null})
    );

    let r = get(
        &emu,
        &format!("{}/reader", keys_url(&emu)),
        &[("Authorization", &auth)],
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["token"], token.as_str());

    let r = send(
        &emu,
        "POST",
        &format!("{}/reader/token/regenerate", keys_url(&emu)),
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let new_token = r.json()["token"].as_str().unwrap().to_string();
    assert_ne!(new_token, token);
    assert_eq!(
        sql(&emu, "select 1", &format!("api_key={token}")).status,
        401
    );
    assert_eq!(
        sql(&emu, "select 1", &format!("api_key={new_token}")).status,
        200
    );

    let role_query = "select count(*) from pg_roles where rolname like 'carto_role_%'";
    let roles_before = master_sql(&emu, role_query)["rows"][0]["count"]
        .as_i64()
        .unwrap();
    let r = send(
        &emu,
        "DELETE",
        &format!("{}/reader", keys_url(&emu)),
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    assert_eq!(
        sql(&emu, "select 1", &format!("api_key={new_token}")).status,
        401
    );
    let roles_after = master_sql(&emu, role_query)["rows"][0]["count"]
        .as_i64()
        .unwrap();
    assert_eq!(roles_after, roles_before - 1, "the role was dropped");
    let r = get(
        &emu,
        &format!("{}/reader", keys_url(&emu)),
        &[("Authorization", &auth)],
    );
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"errors": "API key not found: reader", "errors_cause": null})
    );
}

#[test]
fn listing_paging_filters_and_visibility() {
    let emu = shared();
    let auth = as_master(emu);
    let r = get(emu, &keys_url(emu), &[("Authorization", &auth)]);
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["total"], 3);
    assert_eq!(v["count"], 3);
    let types: Vec<&str> = v["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["master", "default", "regular"]);
    assert_eq!(
        v["result"][1]["_links"]["self"],
        format!("{}/Default%20public", keys_url(emu)).as_str()
    );
    assert_eq!(v["result"][1]["token"], "default_public");
    assert_eq!(v["result"][0]["token"], emu.key("demo", "master").as_str());

    let r = get(
        emu,
        &format!("{}?type=master", keys_url(emu)),
        &[("Authorization", &auth)],
    );
    assert_eq!(r.json()["total"], 1);
    let r = get(
        emu,
        &format!("{}?type=default,master", keys_url(emu)),
        &[("Authorization", &auth)],
    );
    assert_eq!(r.json()["total"], 2);
    let r = get(
        emu,
        &format!("{}?type=bogus", keys_url(emu)),
        &[("Authorization", &auth)],
    );
    assert_eq!(r.status, 400);
    assert!(r.json()["errors"]
        .as_str()
        .unwrap()
        .starts_with("Wrong 'type' parameter value."));

    let r = get(
        emu,
        &format!("{}?page=2&per_page=1", keys_url(emu)),
        &[("Authorization", &auth)],
    );
    let v = r.json();
    assert_eq!(
        (v["total"].clone(), v["count"].clone()),
        (json!(3), json!(1))
    );
    assert_eq!(v["result"][0]["type"], "default");
    let links = v["_links"].as_object().unwrap();
    assert_eq!(
        links.keys().collect::<Vec<_>>(),
        ["first", "prev", "next", "last"]
    );
    assert!(links["last"]["href"]
        .as_str()
        .unwrap()
        .ends_with("page=3&per_page=1"));

    // A non-master key lists only itself (carto-python's is_valid_api_key relies on it).
    let r = get(
        emu,
        &keys_url(emu),
        &[("Authorization", &basic("demo", "default_public"))],
    );
    let v = r.json();
    assert_eq!(
        (v["total"].clone(), v["count"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(v["result"][0]["name"], "Default public");
    let r = get(
        emu,
        &format!("{}?api_key={}", keys_url(emu), emu.key("demo", "regular")),
        &[],
    );
    assert_eq!(r.json()["result"][0]["name"], "demo_regular");
    let r = get(
        emu,
        &format!(
            "{}/Master?api_key={}",
            keys_url(emu),
            emu.key("demo", "regular")
        ),
        &[],
    );
    assert_eq!(r.status, 404);
}

#[test]
fn unauthenticated_requests_get_an_empty_401() {
    let emu = shared();
    for headers in [
        vec![],
        vec![("Authorization".to_string(), basic("demo", "wadus"))],
        vec![(
            "Authorization".to_string(),
            basic("other", &emu.key("demo", "master")),
        )],
    ] {
        let h: Vec<(&str, &str)> = headers
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let r = get(emu, &keys_url(emu), &h);
        assert_eq!(r.status, 401);
        assert!(r.body.is_empty(), "{}", r.text());
    }
    // Writes need the master key.
    let r = send(
        emu,
        "POST",
        &keys_url(emu),
        &[("Authorization", &basic("demo", &emu.key("demo", "regular")))],
        Some(("application/json", br#"{"name":"x","grants":[]}"#.to_vec())),
    );
    assert_eq!(r.status, 401);
    assert!(r.body.is_empty());
}

#[test]
fn validation_errors_and_protected_keys() {
    let emu = start();
    let auth = as_master(&emu);
    let r = create(&emu, json!({"name": "x", "grants": "nope"}));
    assert_eq!(
        (r.status, r.json()["errors"].clone()),
        (422, json!("grants has to be an array"))
    );
    let r = create(
        &emu,
        json!({"name": "x", "grants": [{"type": "database", "tables": [{"name": "points_public", "permissions": ["drop"]}]}]}),
    );
    assert_eq!(r.status, 422);
    assert!(r.json()["errors"]
        .as_str()
        .unwrap()
        .contains("did not match one of the following values: insert, select, update, delete"));
    let r = create(&emu, json!({"name": "", "grants": []}));
    assert_eq!(r.status, 422);
    let r = create(
        &emu,
        json!({"name": "ghost", "grants": [{"type": "database", "tables": [{"name": "no_table", "permissions": ["select"]}]}]}),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    // Nothing was left behind by the failed create.
    assert_eq!(
        get(
            &emu,
            &format!("{}/ghost", keys_url(&emu)),
            &[("Authorization", &auth)]
        )
        .status,
        404
    );
    for name in ["Master", "Default%20public"] {
        let r = send(
            &emu,
            "DELETE",
            &format!("{}/{name}", keys_url(&emu)),
            &[("Authorization", &auth)],
            None,
        );
        assert_eq!(r.status, 403, "{name}");
    }
    // A key without the sql api cannot use the SQL API.
    let r = create(
        &emu,
        json!({"name": "maps_only", "grants": [{"type": "apis", "apis": ["maps"]}]}),
    );
    assert_eq!(r.status, 201);
    let token = r.json()["token"].as_str().unwrap().to_string();
    let r = sql(&emu, "select 1", &format!("api_key={token}"));
    assert_eq!((r.status, r.json()), (403, json!({"error": ["forbidden"]})));
    // A key with the do api gets a DO token.
    let r = create(
        &emu,
        json!({"name": "do_key", "grants": [{"type": "apis", "apis": ["do"]}]}),
    );
    let token = r.json()["token"].as_str().unwrap().to_string();
    let r = get(
        &emu,
        &format!("{}/api/v4/do/token?api_key={token}", emu.base_url("demo")),
        &[],
    );
    assert_eq!(r.status, 200);
}
