//! The targets and the invariants each input must keep. A panic inside the library, or an
//! `assert!` here, is a crash.

use crate::inputs;
use crate::{drive, Report, Target};
use cartoauth::fuzzing;
use cartoauth::{Credentials, FileFormat};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use std::time::Instant;

pub const ALL: &[Target] = &[
    Target {
        name: "config_file",
        run: config_file,
    },
    Target {
        name: "base_url",
        run: base_url,
    },
    Target {
        name: "error_body",
        run: error_body,
    },
    Target {
        name: "headers",
        run: headers,
    },
    Target {
        name: "redaction",
        run: redaction,
    },
];

/// Messages echo bounded excerpts of what they were given.
const MAX_MESSAGE_BYTES: usize = 2048;
const PASSWORD: &str = "Pw9MARKERpw";
const SECRET: &str = "Zq7MARKERzq";

fn config_file(runner: &mut TestRunner, deadline: Instant, report: &mut Report) {
    let strategy = prop_oneof![
        inputs::mutated(inputs::CONFIG_SEEDS, 6),
        inputs::config_document(),
    ];
    drive("config_file", runner, deadline, report, strategy, |text| {
        for allow in [false, true] {
            match fuzzing::credentials_from_file_text(text, allow) {
                Ok(credentials) => saved_credentials_load_back(&credentials),
                Err(e) => assert!(
                    e.message().len() < MAX_MESSAGE_BYTES + text.len().min(MAX_MESSAGE_BYTES)
                ),
            }
        }
    });
}

/// Whatever was accepted is saved in every layout and loads back the same.
fn saved_credentials_load_back(credentials: &Credentials) {
    for format in [FileFormat::CartoCreds, FileFormat::CartoFrames] {
        let text = fuzzing::file_text(credentials, format);
        let loaded = fuzzing::credentials_from_file_text(&text, false)
            .unwrap_or_else(|e| panic!("saved as {format:?} but does not load: {e}\n{text}"));
        assert_eq!(loaded.base_url(), credentials.base_url(), "{text}");
        assert_eq!(loaded.username(), credentials.username(), "{text}");
        assert_eq!(loaded.api_key().expose(), credentials.api_key().expose());
        assert_eq!(loaded.allow_non_secure(), credentials.allow_non_secure());
    }
}

fn base_url(runner: &mut TestRunner, deadline: Instant, report: &mut Report) {
    let strategy = prop_oneof![
        inputs::mutated(inputs::URL_SEEDS, 6).prop_map(|u| (u, false)),
        inputs::url_with_password(PASSWORD),
    ];
    drive(
        "base_url",
        runner,
        deadline,
        report,
        strategy,
        |(url, has_password)| {
            for allow in [false, true] {
                match Credentials::new(None, Some("k"), Some(url), allow) {
                    Ok(c) => {
                        assert!(!c.base_url().contains(PASSWORD), "{url}");
                        let again = Credentials::new(None, Some("k"), Some(c.base_url()), allow)
                            .unwrap_or_else(|e| {
                                panic!("{} does not parse again: {e}", c.base_url())
                            });
                        assert_eq!(again.base_url(), c.base_url());
                        assert_eq!(again.username(), c.username());
                        saved_credentials_load_back(&c);
                    }
                    Err(e) => {
                        assert!(
                            e.message().len() < MAX_MESSAGE_BYTES,
                            "{}",
                            e.message().len()
                        );
                        if *has_password {
                            assert!(!e.message().contains(PASSWORD), "{}", e.message());
                            assert!(!format!("{e:?}").contains(PASSWORD));
                        }
                    }
                }
            }
        },
    );
}

fn error_body(runner: &mut TestRunner, deadline: Instant, report: &mut Report) {
    let strategy = (
        prop_oneof![
            3 => inputs::mutated(inputs::BODY_SEEDS, 6).prop_map(String::into_bytes),
            1 => prop::collection::vec(any::<u8>(), 0..64),
        ],
        prop_oneof![Just(400u16), Just(401), Just(429), Just(500), 100u16..1000],
    );
    drive(
        "error_body",
        runner,
        deadline,
        report,
        strategy,
        |(body, status)| {
            let _ = fuzzing::carto_error_message(body);
            let (_, checked) = fuzzing::answer(*status, Vec::new(), body.clone());
            assert_eq!(checked.is_err(), *status >= 400, "status {status}");
            if let Err(e) = checked {
                assert_eq!(e.http_status(), Some(*status));
            }
        },
    );
}

fn headers(runner: &mut TestRunner, deadline: Instant, report: &mut Report) {
    let strategy = (inputs::headers(), 100u16..600);
    drive(
        "headers",
        runner,
        deadline,
        report,
        strategy,
        |(headers, status)| {
            let (limits, checked) = fuzzing::answer(*status, headers.clone(), Vec::new());
            let expected_retry = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
                .and_then(|(_, v)| v.trim().parse::<i64>().ok());
            assert_eq!(limits.retry_after, expected_retry, "{headers:?}");
            assert_eq!(checked.is_err(), *status >= 400);
        },
    );
}

fn redaction(runner: &mut TestRunner, deadline: Instant, report: &mut Report) {
    let strategy = prop_oneof![
        inputs::text_with_secret_parameter(SECRET),
        (
            inputs::chars(24),
            inputs::url_with_password(PASSWORD),
            inputs::chars(24)
        )
            .prop_filter("has a password", |(_, (_, with), _)| *with)
            .prop_map(|(a, (url, _), b)| format!("{a} {url} {b}")),
    ];
    drive("redaction", runner, deadline, report, strategy, |text| {
        let shown = fuzzing::redact_message(text);
        assert!(!shown.contains(SECRET), "{text:?} -> {shown:?}");
        assert!(!shown.contains(PASSWORD), "{text:?} -> {shown:?}");
    });
}
