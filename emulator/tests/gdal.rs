//! GDAL's CARTO driver (ogrinfo/ogr2ogr), unchanged, against the emulator: listing tables,
//! reading features, creating a layer through COPY, and SQL through the driver. Needs GDAL's
//! command-line tools (Debian: gdal-bin); without them it fails under
//! `CARTOAUTH_REQUIRE_INTEROP` (CI) and says it skipped otherwise.

mod common;

use std::process::Command;

use common::*;
use serde_json::json;

fn gdal(tool: &str, emu: &Emulator, key: Option<&str>, args: &[&str]) -> String {
    let api = format!("{}/api/v2/sql", emu.base_url("demo"));
    let mut cmd = Command::new(tool);
    cmd.args(["--config", "CARTO_API_URL", &api]);
    if let Some(k) = key {
        cmd.args(["--config", "CARTO_API_KEY", k]);
    }
    let out = cmd.args(args).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{tool} {args:?} failed:\n{text}");
    text
}

#[test]
fn gdal_reads_and_writes_through_the_carto_driver() {
    if Command::new("ogr2ogr").arg("--version").output().is_err() {
        interop_client_missing(
            "gdal_reads_and_writes_through_the_carto_driver",
            "GDAL's command-line tools (apt-get install gdal-bin)",
        );
        return;
    }
    let emu = start();
    let master = emu.key("demo", "master");

    // Public access lists only the public table and reads it with CARTO's types.
    let listing = gdal("ogrinfo", &emu, None, &["-ro", "CARTO:demo"]);
    assert!(listing.contains("1: points_public"), "{listing}");
    assert!(!listing.contains("points_private"), "{listing}");
    let layer = gdal(
        "ogrinfo",
        &emu,
        None,
        &["-ro", "CARTO:demo", "points_public"],
    );
    for needle in [
        "Feature Count: 3",
        "FID Column = cartodb_id",
        "score: Real",
        "active: Integer(Boolean)",
        "observed_at: DateTime",
        "name (String) = Madrid",
        "observed_at (DateTime) = 2015/04/24 12:34:56.123+00",
        "POINT (-3.7038 40.4168)",
    ] {
        assert!(layer.contains(needle), "missing {needle:?} in:\n{layer}");
    }

    // Writing with the master key: a new layer through copyfrom, '+', '%' and '&' intact.
    let dir = std::env::temp_dir().join(format!("emu-gdal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.geojson");
    std::fs::write(
        &input,
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"label":"a b+c","n":1.5},"geometry":{"type":"Point","coordinates":[1,2]}},
          {"type":"Feature","properties":{"label":"100% & more","n":2},"geometry":{"type":"Point","coordinates":[3,4]}}]}"#,
    )
    .unwrap();
    gdal(
        "ogr2ogr",
        &emu,
        Some(&master),
        &[
            "-f",
            "CARTO",
            "CARTO:demo",
            input.to_str().unwrap(),
            "-nln",
            "from_gdal",
        ],
    );
    let v = master_sql(
        &emu,
        "select label, n, st_astext(the_geom) as g from from_gdal order by n",
    );
    assert_eq!(
        v["rows"],
        json!([{"label": "a b+c", "n": 1.5, "g": "POINT(1 2)"}, {"label": "100% & more", "n": 2, "g": "POINT(3 4)"}])
    );
    // SQL through the driver (GDAL posts it as a hand-escaped form body).
    gdal(
        "ogrinfo",
        &emu,
        Some(&master),
        &["CARTO:demo", "-sql", "DELETE FROM from_gdal WHERE n = 2"],
    );
    let v = master_sql(&emu, "select count(*) from from_gdal");
    assert_eq!(v["rows"], json!([{"count": 1}]));
    // GDAL sent the key in the body and on the COPY query string; the log shows neither.
    let log = emu.requests();
    assert!(log
        .iter()
        .any(|r| r.path.ends_with("/sql/copyfrom") && r.status == 200));
    assert!(log.iter().any(|r| r.key_transport == "body"));
    assert!(log.iter().all(|r| !r.query.contains(&master)));
    let _ = std::fs::remove_dir_all(dir);
}
