//! The stable driver's targets: proptest strategies of inputs, each checked by `checks.rs`.

use crate::{drive, Report, Target};
use cartoauth_fuzz::checks;
use cartoauth_fuzz::grammar::{PASSWORD, SECRET};
use cartoauth_fuzz::inputs;
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
    Target {
        name: "result_json",
        run: result_json,
    },
    Target {
        name: "batch_job",
        run: batch_job,
    },
];

fn config_file(runner: &mut TestRunner, deadline: Instant, report: &mut Report) {
    let strategy = prop_oneof![
        inputs::mutated(inputs::CONFIG_SEEDS, 6),
        inputs::config_document(),
    ];
    drive("config_file", runner, deadline, report, strategy, |text| {
        checks::config_file(text)
    });
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
        |(url, has_password)| checks::base_url(url, *has_password),
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
        |(body, status)| checks::error_body(body, *status),
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
        |(headers, status)| checks::headers(headers, *status),
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
        checks::redaction(text)
    });
}

fn result_json(runner: &mut TestRunner, deadline: Instant, report: &mut Report) {
    let strategy = prop_oneof![
        inputs::mutated(inputs::RESULT_SEEDS, 6),
        inputs::result_document(),
    ];
    drive("result_json", runner, deadline, report, strategy, |body| {
        checks::result_json(body.as_bytes())
    });
}

fn batch_job(runner: &mut TestRunner, deadline: Instant, report: &mut Report) {
    let strategy = inputs::mutated(inputs::JOB_SEEDS, 6);
    drive("batch_job", runner, deadline, report, strategy, |body| {
        checks::batch_job(body.as_bytes())
    });
}
