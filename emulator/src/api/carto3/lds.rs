//! `GET /v3/lds/geocoding/geocode?address=…`: CARTO's Location Data Services take the token
//! in the query string (`access_token=`) as well as in a Bearer header, which is what a
//! client's redaction of secrets in URLs must cope with. There is no geocoding provider here:
//! a small gazetteer of capital cities answers, and anything else is a 404.
//!
//! CARTO normalises its providers' answers but documents no shape for them; this one is
//! `[{"value": [{"latitude", "longitude"}], "address", "country"}]` (inferred).

use axum::response::Response;
use hyper::StatusCode;
use serde_json::json;

use crate::api::carto3::access::allow_api;
use crate::api::carto3::authenticate::authenticate;
use crate::http::context::Ctx;
use crate::http::errors::{json_response, v3_error};
use crate::http::form;
use crate::state::carto3::Carto3;

/// (name, ISO country, latitude, longitude).
const GAZETTEER: [(&str, &str, f64, f64); 8] = [
    ("Madrid", "ES", 40.4168, -3.7038),
    ("Paris", "FR", 48.8566, 2.3522),
    ("Berlin", "DE", 52.52, 13.405),
    ("London", "GB", 51.5072, -0.1276),
    ("Rome", "IT", 41.9028, 12.4964),
    ("Lisbon", "PT", 38.7223, -9.1393),
    ("Washington", "US", 38.9072, -77.0369),
    ("Tokyo", "JP", 35.6762, 139.6503),
];

pub fn geocode(c3: &Carto3, ctx: &Ctx) -> Response {
    let q = form::parse_urlencoded(ctx.raw_query());
    let caller = match authenticate(c3, ctx, q.get_str("access_token")) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = allow_api(ctx, &caller, "lds") {
        return r;
    }
    let Some(address) = q.get_str("address").filter(|a| !a.trim().is_empty()) else {
        return v3_error(StatusCode::BAD_REQUEST, "Missing parameter: address");
    };
    let country = q.get_str("country").filter(|c| !c.is_empty());
    let first = address
        .split(',')
        .next()
        .unwrap_or("")
        .trim()
        .to_lowercase();
    let hit = GAZETTEER.iter().find(|(name, iso, _, _)| {
        name.to_lowercase() == first
            && country
                .as_deref()
                .is_none_or(|c| c.eq_ignore_ascii_case(iso))
    });
    match hit {
        Some((name, iso, lat, lon)) => json_response(
            StatusCode::OK,
            &json!([{"value": [{"latitude": lat, "longitude": lon}], "address": name, "country": iso}]),
        ),
        None => v3_error(StatusCode::NOT_FOUND, format!("No result for {address:?}")),
    }
}
