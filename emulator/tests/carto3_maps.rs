//! CARTO 3's Maps API as CARTO's web client uses it (instantiation, TileJSON, vector tiles
//! PostGIS builds, GeoJSON) and the LDS geocoding route with its `access_token=`.

mod common;

use common::{enc, get, send, Resp};
use serde_json::{json, Value};

use carto_emulator::harness::{Carto3Options, Emulator};

fn shared() -> &'static Emulator {
    static EMU: std::sync::OnceLock<Emulator> = std::sync::OnceLock::new();
    EMU.get_or_init(|| common::start_with(|o| o.carto3 = Some(Carto3Options::default())))
}

fn token() -> &'static str {
    static T: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    T.get_or_init(|| shared().sign_in_user())
}

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

fn get_auth(emu: &Emulator, url: &str, token: &str) -> Resp {
    get(emu, url, &[("Authorization", &bearer(token))])
}

fn instantiate(emu: &Emulator, token: &str, kind: &str, query: &str) -> Resp {
    let url = format!(
        "{}/v3/maps/carto_dw/{kind}?{query}&v=3.4&client=emulator-test&tileResolution=0.5",
        emu.carto3().api_base_url
    );
    get_auth(emu, &url, token)
}

fn v3_error(r: &Resp, status: u16) -> String {
    assert_eq!(r.status, status, "{}", r.text());
    r.json()["error"]
        .as_str()
        .expect("a string error")
        .to_string()
}

/// A minimal reader of Mapbox Vector Tiles (protobuf): each layer's name, its number of
/// features and its property keys.
fn mvt_layers(tile: &[u8]) -> Vec<(String, usize, Vec<String>)> {
    fn varint(b: &[u8], i: &mut usize) -> u64 {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let byte = b[*i];
            *i += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return v;
            }
            shift += 7;
        }
    }
    /// (field number, bytes) of every length-delimited field; other wire types are skipped.
    fn fields(b: &[u8]) -> Vec<(u64, &[u8])> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let key = varint(b, &mut i);
            match key & 7 {
                0 => {
                    varint(b, &mut i);
                }
                2 => {
                    let len = varint(b, &mut i) as usize;
                    out.push((key >> 3, &b[i..i + len]));
                    i += len;
                }
                5 => i += 4,
                1 => i += 8,
                w => panic!("wire type {w}"),
            }
        }
        out
    }
    fields(tile)
        .into_iter()
        .filter(|(n, _)| *n == 3)
        .map(|(_, layer)| {
            let f = fields(layer);
            let text = |n: u64| -> Vec<String> {
                f.iter()
                    .filter(|(k, _)| *k == n)
                    .map(|(_, v)| String::from_utf8(v.to_vec()).unwrap())
                    .collect()
            };
            let features = f.iter().filter(|(k, _)| *k == 2).count();
            (text(1).remove(0), features, text(3))
        })
        .collect()
}

#[test]
fn a_table_map_serves_tilejson_tiles_and_geojson() {
    let emu = shared();
    let r = instantiate(
        emu,
        token(),
        "table",
        "name=points_public&spatialDataColumn=the_geom",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let map = r.json();
    assert_eq!(map["nrows"], 3);
    assert!(map["schema"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "the_geom", "type": "geometry"})));
    let tilejson_url = map["tilejson"]["url"][0].as_str().expect("tilejson.url[0]");
    let geojson_url = map["geojson"]["url"][0].as_str().expect("geojson.url[0]");
    // Instantiating the same source again names the same map.
    let again = instantiate(
        emu,
        token(),
        "table",
        "name=points_public&spatialDataColumn=the_geom",
    )
    .json();
    assert_eq!(again["tilejson"], map["tilejson"]);

    let tj = get_auth(
        emu,
        &format!("{tilejson_url}?v=3.4&client=emulator-test"),
        token(),
    );
    assert_eq!(tj.status, 200, "{}", tj.text());
    let tj = tj.json();
    assert_eq!(tj["tilejson"], "3.0.0");
    let template = tj["tiles"][0].as_str().unwrap();
    assert!(template.contains("{z}/{x}/{y}"), "{template}");
    assert_eq!(tj["vector_layers"][0]["id"], "default");
    assert_eq!(tj["vector_layers"][0]["fields"]["name"], "String");
    assert_eq!(tj["vector_layers"][0]["fields"]["score"], "Number");
    assert_eq!(tj["tilestats"]["layers"][0]["count"], 3);
    assert_eq!(tj["tilestats"]["layers"][0]["geometry"], "Point");
    let b: Vec<f64> = tj["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        (b[0] + 3.7038).abs() < 1e-6 && (b[3] - 52.52).abs() < 1e-6,
        "{b:?}"
    );

    // The whole world in one tile: three points with their properties.
    let tile_url = |z: u32, x: u32, y: u32| {
        template
            .replace("{z}", &z.to_string())
            .replace("{x}", &x.to_string())
            .replace("{y}", &y.to_string())
    };
    let t = get_auth(emu, &tile_url(0, 0, 0), token());
    assert_eq!(t.status, 200, "{}", t.text());
    assert_eq!(
        t.header("content-type").as_deref(),
        Some("application/vnd.mapbox-vector-tile")
    );
    let layers = mvt_layers(&t.body);
    assert_eq!(layers.len(), 1);
    let (name, features, keys) = &layers[0];
    assert_eq!((name.as_str(), *features), ("default", 3));
    assert!(
        keys.contains(&"name".to_string()) && keys.contains(&"cartodb_id".to_string()),
        "{keys:?}"
    );
    assert!(!keys.iter().any(|k| k.starts_with("the_geom")), "{keys:?}");
    // Madrid's tile at zoom 4 holds Madrid only (x 7, y 6); the Pacific holds nothing.
    let madrid = mvt_layers(&get_auth(emu, &tile_url(4, 7, 6), token()).body);
    assert_eq!(madrid[0].1, 1);
    assert_eq!(get_auth(emu, &tile_url(4, 0, 8), token()).status, 204);
    // Out of range, or a format the emulator does not make.
    v3_error(&get_auth(emu, &tile_url(4, 16, 0), token()), 400);
    let binary = tile_url(0, 0, 0).replace("formatTiles=mvt", "formatTiles=binary");
    v3_error(&get_auth(emu, &binary, token()), 400);

    let gj = get_auth(emu, geojson_url, token());
    assert_eq!(gj.status, 200, "{}", gj.text());
    let fc = gj.json();
    assert_eq!(fc["type"], "FeatureCollection");
    assert_eq!(fc["features"].as_array().unwrap().len(), 3);
    let f = &fc["features"][0];
    assert_eq!(f["geometry"]["type"], "Point");
    assert!(f["properties"]["name"].is_string());
    assert!(f["properties"].get("the_geom").is_none());
    // The token may come in the query string too; without one, 401.
    let with_query = format!("{tilejson_url}?access_token={}", token());
    assert_eq!(get(emu, &with_query, &[]).status, 200);
    v3_error(&get(emu, tilejson_url, &[]), 401);
    v3_error(
        &get_auth(emu, &tilejson_url.replace("/m", "/x"), token()),
        404,
    );
}

#[test]
fn a_query_map_with_parameters_and_its_refusals() {
    let emu = shared();
    let q = "SELECT cartodb_id, name, the_geom AS geom FROM points_public WHERE visits >= $1";
    let r = instantiate(
        emu,
        token(),
        "query",
        &format!("q={}&queryParameters={}", enc(q), enc("[20]")),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["nrows"], 2, "the default spatial column is geom");
    // POST with a JSON body does the same.
    let url = format!("{}/v3/maps/carto_dw/query", emu.carto3().api_base_url);
    let body = json!({"q": q, "queryParameters": [30], "client": "emulator-test"});
    let r = send(
        emu,
        "POST",
        &url,
        &[("Authorization", &bearer(token()))],
        Some(("application/json", body.to_string().into_bytes())),
    );
    assert_eq!(r.json()["nrows"], 1, "{}", r.text());
    // CARTO 2 tables have the_geom, not geom: the error names the columns there are.
    let e = v3_error(
        &instantiate(emu, token(), "table", "name=points_public"),
        400,
    );
    assert!(e.contains("geom") && e.contains("the_geom"), "{e}");
    let e = v3_error(
        &instantiate(
            emu,
            token(),
            "table",
            "name=points_public&spatialDataColumn=name",
        ),
        400,
    );
    assert!(e.contains("not a geometry"), "{e}");
    v3_error(
        &instantiate(
            emu,
            token(),
            "table",
            "name=no_such_table&spatialDataColumn=the_geom",
        ),
        400,
    );
    v3_error(
        &instantiate(emu, token(), "query", "spatialDataColumn=geom"),
        400,
    );
}

fn api_token(emu: &Emulator, source: &str, apis: Value) -> String {
    let url = format!("{}/v3/tokens", emu.carto3().api_base_url);
    let body = json!({"grants": [{"connection_name": "carto_dw", "source": source}], "allowed_apis": apis});
    let r = send(
        emu,
        "POST",
        &url,
        &[("Authorization", &bearer(token()))],
        Some(("application/json", body.to_string().into_bytes())),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["token"].as_str().unwrap().to_string()
}

#[test]
fn maps_hold_api_access_tokens_to_their_grants() {
    let emu = shared();
    let t = api_token(emu, "points_public", json!(["maps"]));
    let r = instantiate(
        emu,
        &t,
        "table",
        "name=points_public&spatialDataColumn=the_geom",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let tilejson = r.json()["tilejson"]["url"][0].as_str().unwrap().to_string();
    assert_eq!(get_auth(emu, &tilejson, &t).status, 200);
    let e = v3_error(
        &instantiate(
            emu,
            &t,
            "table",
            "name=points_private&spatialDataColumn=the_geom",
        ),
        403,
    );
    assert_eq!(e, "You don't have permissions to read this resource");
    // A token for another source may not read this map's data either.
    let other = api_token(emu, "points_private", json!(["maps"]));
    v3_error(&get_auth(emu, &tilejson, &other), 403);
    let sql_only = api_token(emu, "points_public", json!(["sql"]));
    v3_error(
        &instantiate(
            emu,
            &sql_only,
            "table",
            "name=points_public&spatialDataColumn=the_geom",
        ),
        403,
    );
}

#[test]
fn lds_geocoding_takes_the_token_in_the_query_string_and_the_log_redacts_it() {
    let emu = shared();
    let base = emu.carto3().api_base_url;
    emu.clear_requests();
    let url = format!(
        "{base}/v3/lds/geocoding/geocode?address=Madrid&country=ES&access_token={}",
        token()
    );
    let r = get(emu, &url, &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    let hit = &r.json()[0]["value"][0];
    assert!((hit["latitude"].as_f64().unwrap() - 40.4168).abs() < 1e-9);
    assert!((hit["longitude"].as_f64().unwrap() + 3.7038).abs() < 1e-9);
    let logged = emu.requests();
    let e = logged
        .iter()
        .find(|e| e.path == "/v3/lds/geocoding/geocode")
        .unwrap();
    assert_eq!(e.query, "address=Madrid&country=ES&access_token=REDACTED");
    assert_eq!(e.key_transport, "query");
    assert!(logged.iter().all(|e| !format!("{e:?}").contains(token())));
    // A Bearer header works as well; unknown places and missing addresses are v3 errors.
    let r = get_auth(
        emu,
        &format!("{base}/v3/lds/geocoding/geocode?address=Berlin"),
        token(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    v3_error(
        &get_auth(
            emu,
            &format!("{base}/v3/lds/geocoding/geocode?address=Atlantis"),
            token(),
        ),
        404,
    );
    v3_error(
        &get_auth(emu, &format!("{base}/v3/lds/geocoding/geocode"), token()),
        400,
    );
    v3_error(
        &get(
            emu,
            &format!("{base}/v3/lds/geocoding/geocode?address=Madrid"),
            &[],
        ),
        401,
    );
    // An API access token needs lds among its APIs.
    let maps_only = api_token(emu, "points_public", json!(["maps"]));
    let r = get(
        emu,
        &format!("{base}/v3/lds/geocoding/geocode?address=Madrid&access_token={maps_only}"),
        &[],
    );
    v3_error(&r, 403);
    let lds = api_token(emu, "points_public", json!(["lds"]));
    let r = get(
        emu,
        &format!("{base}/v3/lds/geocoding/geocode?address=Rome&access_token={lds}"),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.text());
}
