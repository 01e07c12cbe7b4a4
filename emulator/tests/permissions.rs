//! Keys are real PostgreSQL roles: what each key may do comes from PostgreSQL's grants.

mod common;

use common::*;
use serde_json::json;

fn as_key(emu: &Emulator, key: &str, q: &str) -> Resp {
    sql(emu, q, &format!("api_key={key}"))
}

#[test]
fn the_public_role_cannot_read_private_tables() {
    let emu = shared();
    for extra in ["", "api_key=default_public"] {
        let r = sql(emu, "select * from points_private", extra);
        assert_eq!(r.status, 403, "{extra}");
        assert_eq!(
            r.json(),
            json!({"error": ["permission denied for table points_private"]})
        );
        let r = sql(emu, "select count(*) from points_public", extra);
        assert_eq!(r.json()["rows"], json!([{"count": 3}]));
        let r = sql(emu, "delete from points_public", extra);
        assert_eq!(r.status, 403, "{}", r.text());
    }
}

#[test]
fn a_regular_key_has_exactly_its_grants() {
    let emu = shared();
    let k = emu.key("demo", "demo_regular");
    assert_eq!(
        as_key(emu, &k, "select count(*) from points_public").status,
        200
    );
    let r = as_key(emu, &k, "select * from points_private");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json(),
        json!({"error": ["permission denied for table points_private"]})
    );
    let r = as_key(emu, &k, "update points_public set name = 'x'");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json(),
        json!({"error": ["permission denied for table points_public"]})
    );
    let r = as_key(
        emu,
        &k,
        "insert into points_writable (name, the_geom) values ('regular', cdb_latlng(1, 2)) returning cartodb_id, st_x(the_geom_webmercator) > 0 as merc",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["total_rows"], 1);
    assert_eq!(r.json()["rows"][0]["merc"], true);
    let r = as_key(emu, &k, "create table mine (a int)");
    assert_eq!(r.status, 403, "{}", r.text());
}

#[test]
fn each_key_connects_as_its_own_role() {
    let emu = shared();
    let cases = [
        (emu.key("demo", "master"), "cartodb_user_demo".to_string()),
        (
            "default_public".to_string(),
            "cartodb_publicuser_demo".to_string(),
        ),
    ];
    for (key, role) in cases {
        // RESET ROLE cannot escape: the session itself logged in as the role.
        let r = as_key(
            emu,
            &key,
            "RESET ROLE; SELECT current_user::text AS u, session_user::text AS s",
        );
        assert_eq!(
            r.json()["rows"],
            json!([{"u": role, "s": role}]),
            "{}",
            r.text()
        );
    }
    let r = as_key(
        emu,
        &emu.key("demo", "regular"),
        "select current_user::text as u",
    );
    assert!(r.json()["rows"][0]["u"]
        .as_str()
        .unwrap()
        .starts_with("carto_role_"));
    let r = as_key(emu, "default_public", "set role cartodb_user_demo");
    assert_eq!(r.status, 403, "{}", r.text());
}

#[test]
fn system_tables_are_forbidden_except_for_the_master_key() {
    let emu = shared();
    for key in ["default_public".to_string(), emu.key("demo", "regular")] {
        for q in [
            "select * from pg_class limit 1",
            "select table_name from information_schema.tables",
        ] {
            let r = as_key(emu, &key, q);
            assert_eq!(r.status, 403, "{q}");
            assert_eq!(r.json(), json!({"error": ["system tables are forbidden"]}));
        }
    }
    let r = as_key(
        emu,
        &emu.key("demo", "master"),
        "select count(*) > 0 as some from pg_class",
    );
    assert_eq!(r.json()["rows"], json!([{"some": true}]));
}

#[test]
fn cdb_user_tables_lists_what_the_key_can_read() {
    let emu = shared();
    let list = |key: &str, arg: &str| {
        let r = as_key(emu, key, &format!("select cdb_usertables({arg}) as t"));
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["t"].as_str().unwrap().to_string())
            .filter(|t| t.starts_with("points_"))
            .collect::<Vec<_>>()
    };
    assert_eq!(list("default_public", ""), ["points_public"]);
    assert_eq!(
        list(&emu.key("demo", "regular"), ""),
        ["points_public", "points_writable"]
    );
    let master = emu.key("demo", "master");
    assert_eq!(
        list(&master, ""),
        ["points_private", "points_public", "points_writable"]
    );
    assert_eq!(list(&master, "'public'"), ["points_public"]);
    assert_eq!(
        list(&master, "'private'"),
        ["points_private", "points_writable"]
    );
}

#[test]
fn the_master_key_creates_and_cartodbfies_tables() {
    let emu = shared();
    master_sql(emu, "create table layer_x (strfield text)");
    let v = master_sql(emu, "select cdb_cartodbfytable('layer_x')");
    assert_eq!(v["rows"], json!([{"cdb_cartodbfytable": "layer_x"}]));
    master_sql(
        emu,
        "insert into layer_x (strfield, the_geom) values ('a', 'SRID=4326;POINT(1 2)')",
    );
    let v = master_sql(
        emu,
        "select cartodb_id, strfield, st_astext(the_geom) as g, the_geom_webmercator is not null as m from layer_x",
    );
    assert_eq!(
        v["rows"],
        json!([{"cartodb_id": 1, "strfield": "a", "g": "POINT(1 2)", "m": true}])
    );
    // Private by default: the public role cannot see it.
    assert_eq!(sql(emu, "select * from layer_x", "").status, 403);
}
