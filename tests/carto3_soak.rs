//! The short CI version of the CARTO 3 token soak (the 10-minute one is benches/carto3_soak.rs):
//! 3 processes × 4 threads making SQL API v3 calls for 45 s through one M2M client against the
//! emulator issuing 20-second tokens. The emulator must count no request with an expired token
//! and at most one mint per refresh window (every process shares one token cache).

#[path = "support/soak.rs"]
mod soak;

use std::time::Duration;

#[test]
#[ignore = "a worker process of the soak below"]
fn worker() {
    soak::worker_if_asked();
}

#[test]
fn three_processes_mint_once_per_refresh_window_and_never_send_an_expired_token() {
    let plan = soak::Plan {
        processes: 3,
        threads: 4,
        duration: Duration::from_secs(45),
        token_lifetime: Duration::from_secs(20),
        pause: Duration::from_millis(20),
    };
    let exe = std::env::current_exe().unwrap();
    let outcome = soak::drive(
        &plan,
        &exe,
        &[
            "--exact",
            "worker",
            "--ignored",
            "--test-threads=1",
            "--nocapture",
        ],
    );
    println!("{outcome:?}");
    assert!(outcome.requests > 500, "{outcome:?}");
    assert!(outcome.errors.is_empty(), "{outcome:?}");
    assert_eq!(outcome.expired_token_requests, 0, "{outcome:?}");
    assert!(
        outcome.minted >= 2,
        "the tokens expired during the run: {outcome:?}"
    );
    assert!(outcome.minted <= outcome.refresh_windows, "{outcome:?}");
    assert_eq!(
        outcome.authenticated_requests, outcome.requests,
        "{outcome:?}"
    );
}
