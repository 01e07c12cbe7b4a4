//! `--tls`: real HTTPS with a generated certificate, trusted through the written CA file.

mod common;

use common::*;
use serde_json::json;

#[test]
fn https_works_with_the_ca_and_fails_without_it() {
    let emu = start_with(|o| o.tls = true);
    assert!(emu.root_url().starts_with("https://127.0.0.1:"));
    let ca = emu.ca_cert().expect("a CA file");
    let pem = std::fs::read_to_string(&ca).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    // The harness agent trusts the CA: a query over TLS, and the admin API too.
    let r = sql(&emu, "select 1 as one", "");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["rows"], json!([{"one": 1}]));
    assert!(!emu.requests().is_empty());
    // An agent with only the public web roots refuses the certificate.
    let strict: ureq::Agent = ureq::Agent::config_builder().build().into();
    let err = strict
        .get(format!("{}/api/v2/sql?q=select+1", emu.base_url("demo")))
        .call()
        .unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("certificate")
            || matches!(err, ureq::Error::Tls(_) | ureq::Error::Rustls(_)),
        "{err}"
    );
    // Plain HTTP on the TLS port does not work either.
    let plain = emu.root_url().replace("https://", "http://");
    let r = ureq::get(format!("{plain}/api/v2/sql?q=select+1")).call();
    assert!(r.is_err() || r.unwrap().status().as_u16() >= 400);
}
