//! Fuzzes cartoauth's parsers of untrusted input on stable Rust for a given time per target and
//! reports the executions and crashes of each: `cartoauth-fuzz [SECONDS] [TARGET...]`.
//!
//! Proptest strategies generate inputs (mutated seeds of real files, URLs, bodies, headers and
//! answers, and structured values built from their grammar), and each target checks the
//! invariants of `checks.rs`, not only "does not panic". A crash is a panic or a broken
//! invariant; its input is written to `fuzz/crashes/`. This is the smoke CI runs where no
//! nightly toolchain is; coverage-guided fuzzing of the same checks is `fuzz/libfuzzer.sh`.
//!
//! `cartoauth-fuzz write-corpus DIR` writes libFuzzer's seed corpus (`DIR/<target>/`) and
//! dictionary (`DIR/tokens.dict`).

mod targets;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

/// One fuzz target: a name, and a loop that runs it until a deadline.
struct Target {
    name: &'static str,
    run: fn(&mut TestRunner, Instant, &mut Report),
}

#[derive(Default)]
struct Report {
    executions: u64,
    crashes: u64,
}

/// Generates inputs from `strategy` and runs `check` on each until `deadline`.
fn drive<S: Strategy>(
    name: &str,
    runner: &mut TestRunner,
    deadline: Instant,
    report: &mut Report,
    strategy: S,
    check: fn(&S::Value),
) where
    S::Value: std::fmt::Debug,
{
    while Instant::now() < deadline {
        // Time is read once per batch: it costs as much as a small target.
        for _ in 0..256 {
            let Ok(tree) = strategy.new_tree(runner) else {
                continue;
            };
            let input = tree.current();
            report.executions += 1;
            if panic::catch_unwind(AssertUnwindSafe(|| check(&input))).is_err() {
                report.crashes += 1;
                save_crash(name, report.crashes, &format!("{input:#?}"));
            }
        }
    }
}

fn save_crash(target: &str, n: u64, input: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("crashes");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{target}-{n}.txt"));
    let message = LAST_PANIC.with(|m| m.borrow().clone());
    let _ = std::fs::write(&path, format!("{message}\n\n{input}\n"));
}

thread_local! {
    static LAST_PANIC: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Writes each libFuzzer target's seeds and the shared dictionary under `dir`.
fn write_corpus(dir: &Path) -> std::io::Result<()> {
    for (target, _) in cartoauth_fuzz::bytes::TARGETS {
        let target_dir = dir.join(target);
        std::fs::create_dir_all(&target_dir)?;
        for (i, seed) in cartoauth_fuzz::bytes::seeds(target).iter().enumerate() {
            std::fs::write(target_dir.join(format!("seed-{i}")), seed)?;
        }
    }
    std::fs::write(dir.join("tokens.dict"), cartoauth_fuzz::bytes::dictionary())
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("write-corpus") {
        let Some(dir) = std::env::args().nth(2) else {
            eprintln!("usage: cartoauth-fuzz write-corpus DIR");
            std::process::exit(2)
        };
        if let Err(e) = write_corpus(Path::new(&dir)) {
            eprintln!("cannot write the corpus under {dir}: {e}");
            std::process::exit(1)
        }
        return;
    }
    let mut args = std::env::args().skip(1);
    let seconds: f64 = match args.next() {
        Some(s) => s.parse().unwrap_or_else(|_| {
            eprintln!("usage: cartoauth-fuzz [SECONDS per target] [TARGET...]");
            std::process::exit(2)
        }),
        None => 10.0,
    };
    let wanted: Vec<String> = args.collect();
    // Crashes are counted and saved, not printed as they happen.
    panic::set_hook(Box::new(|info| {
        LAST_PANIC.with(|m| *m.borrow_mut() = info.to_string());
    }));
    let seed = std::env::var("CARTOAUTH_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    println!("seed {seed} (CARTOAUTH_FUZZ_SEED={seed} repeats this run)");
    let mut total = Report::default();
    for target in targets::ALL {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == target.name) {
            continue;
        }
        let mut seed_bytes = [0u8; 32];
        seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
        seed_bytes[8..16].copy_from_slice(&(target.name.len() as u64).to_le_bytes());
        let mut runner = TestRunner::new_with_rng(
            Config {
                failure_persistence: None,
                ..Config::default()
            },
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
        );
        let mut report = Report::default();
        let started = Instant::now();
        (target.run)(
            &mut runner,
            started + Duration::from_secs_f64(seconds),
            &mut report,
        );
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "{:<16} {:>12} executions in {elapsed:>6.1} s ({:>9.0}/s), {} crashes",
            target.name,
            report.executions,
            report.executions as f64 / elapsed,
            report.crashes
        );
        total.executions += report.executions;
        total.crashes += report.crashes;
    }
    println!(
        "total            {:>12} executions, {} crashes",
        total.executions, total.crashes
    );
    if total.crashes > 0 {
        println!(
            "crash inputs are in {}",
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("crashes")
                .display()
        );
        std::process::exit(1);
    }
}
