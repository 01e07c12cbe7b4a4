//! Developer tasks for cartoauth, run as `cargo xtask <task>`:
//!
//! - `gen`: regenerates every file that follows mechanically from the C ABI's Rust sources
//!   (capi/src) and from the R glue. Run it after changing an exported function or a `.Call`
//!   routine, and commit what it writes.
//! - `gen --check`: regenerates in memory and fails, naming each file, when a checked-in copy
//!   differs (CI runs it; so does this crate's test, without the R part).
//! - `check`: the fast checks to run before committing: `cargo fmt --check`, clippy with
//!   `-D warnings`, `gen --check`.
//!
//! The one description of the C ABI is capi/'s source: its `extern "C"` functions with their
//! doc comments, and the status table. cbindgen renders it as include/cartoauth.h; everything
//! else is derived from that header:
//! - abi/cartoauth.symbols (refusing a dropped or changed prototype without an ABI bump);
//! - bindings/julia/src/capi.jl (constants, C_FUNCTIONS, one @ccall wrapper per function).
//!
//! And from the R glue's own sources:
//! - bindings/r/src/init.c and routines.h (the .Call registration, with arities);
//! - bindings/r/NAMESPACE and man/*.Rd (roxygen2, when R is installed).

mod abi;
mod header;
mod julia;
mod r;
mod roxygen;
mod symbols;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// A generated file: where it goes (relative to the repository root) and what it holds.
#[derive(Debug)]
pub struct Generated {
    pub path: String,
    pub text: String,
}

/// The repository's root (xtask/ sits in it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ sits in the repository")
        .to_path_buf()
}

/// Every file generated from the C ABI and the R glue (not roxygen's), in memory.
pub fn generate(root: &Path) -> Result<Vec<Generated>, String> {
    let header = header::generate(root)?;
    let abi = abi::parse(&header.text).map_err(|e| format!("{}: {e}", header::PATH))?;
    let checked_in = std::fs::read_to_string(root.join(symbols::PATH)).ok();
    let symbols = symbols::generate(&abi, checked_in.as_deref())?;
    let julia = julia::generate(&abi)?;
    let (init, routines) = r::generate(root)?;
    Ok(vec![header, symbols, julia, init, routines])
}

/// The generated files whose checked-in copy differs, each with its first differing line.
pub fn stale(root: &Path, files: &[Generated]) -> Vec<String> {
    files
        .iter()
        .filter_map(|file| {
            let current = std::fs::read_to_string(root.join(&file.path)).unwrap_or_default();
            (current != file.text).then(|| {
                let line = current
                    .lines()
                    .zip(file.text.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or_else(|| current.lines().count().min(file.text.lines().count()));
                format!("{} (first difference at line {})", file.path, line + 1)
            })
        })
        .collect()
}

fn gen(check: bool) -> Result<(), String> {
    let root = root();
    let mut files = generate(&root)?;
    let mut delete = Vec::new();
    match roxygen::generate(&root)? {
        Some(output) => {
            files.extend(output.files);
            delete = output.stale;
        }
        None if check && std::env::var_os("XTASK_NO_R").is_none() => {
            return Err(
                "Rscript is not installed, so NAMESPACE and man/ cannot be checked (install R \
                 with scripts/install-deps.sh, or set XTASK_NO_R=1 to skip them)"
                    .to_owned(),
            )
        }
        None => {
            eprintln!("xtask: Rscript not found: bindings/r/NAMESPACE and man/ not regenerated")
        }
    }
    if check {
        let mut problems = stale(&root, &files);
        problems.extend(
            delete
                .iter()
                .map(|p| format!("{p} (roxygen2 no longer writes it)")),
        );
        if !problems.is_empty() {
            return Err(format!(
                "generated files are out of date:\n  {}\nrun `cargo xtask gen` and commit the result",
                problems.join("\n  ")
            ));
        }
        println!("gen --check: {} generated files up to date", files.len());
        return Ok(());
    }
    for file in &files {
        let path = root.join(&file.path);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(file.text.as_str()) {
            std::fs::write(&path, &file.text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("wrote {}", file.path);
        }
    }
    for path in &delete {
        std::fs::remove_file(root.join(path)).map_err(|e| format!("cannot remove {path}: {e}"))?;
        println!("removed {path}");
    }
    Ok(())
}

/// Runs a command in the repository, failing with its name.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    println!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed", args.join(" ")))
    }
}

/// The checks a contributor runs before committing (the full suite is scripts/test-all.sh).
fn check() -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    run(&cargo, &["fmt", "--all", "--", "--check"])?;
    run(
        &cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    gen(true)?;
    run(
        "python3",
        &[
            "scripts/import-cycles.py",
            "src",
            "capi/src",
            "cli/src",
            "emulator/src",
            "xtask/src",
            "fuzz/src",
        ],
    )
}

fn usage() -> String {
    "usage: cargo xtask gen [--check] | cargo xtask check".to_owned()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let outcome = match args.as_slice() {
        ["gen"] => gen(false),
        ["gen", "--check"] => gen(true),
        ["check"] => check(),
        _ => Err(usage()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C-derived files only: roxygen's output is checked by `gen --check` in CI.
    #[test]
    fn checked_in_generated_files_are_up_to_date() {
        let root = root();
        let files = generate(&root).unwrap();
        let stale = stale(&root, &files);
        assert!(
            stale.is_empty(),
            "stale: {stale:?}; run `cargo xtask gen` and commit the result"
        );
    }
}
