//! Developer tasks for cartoauth, run as `cargo xtask <task>`:
//!
//! - `gen`: regenerates every file that follows mechanically from the C ABI's Rust sources
//!   (capi/src): the C header, and from it the other generated files. Run it after changing an
//!   exported function and commit what it writes.
//! - `gen --check`: regenerates in memory and fails, naming each file, when a checked-in copy
//!   differs (CI runs it; so does this crate's test).
//!
//! The one description of the ABI is the Rust source of capi/: its `extern "C"` functions
//! with their doc comments, and the status table.

mod header;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A generated file: where it goes (relative to the repository root) and what it holds.
pub struct Generated {
    pub path: &'static str,
    pub text: String,
}

/// The repository's root (xtask/ sits in it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ sits in the repository")
        .to_path_buf()
}

/// Every generated file, in memory.
pub fn generate(root: &Path) -> Result<Vec<Generated>, String> {
    let header = header::generate(root)?;
    Ok(vec![header])
}

/// The generated files whose checked-in copy differs, each with its first differing line.
pub fn stale(root: &Path, files: &[Generated]) -> Vec<String> {
    files
        .iter()
        .filter_map(|file| {
            let current = std::fs::read_to_string(root.join(file.path)).unwrap_or_default();
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
    let files = generate(&root)?;
    if check {
        let stale = stale(&root, &files);
        if !stale.is_empty() {
            return Err(format!(
                "generated files are out of date:\n  {}\nrun `cargo xtask gen` and commit the result",
                stale.join("\n  ")
            ));
        }
        println!("gen --check: {} generated files up to date", files.len());
        return Ok(());
    }
    for file in &files {
        let path = root.join(file.path);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(file.text.as_str()) {
            std::fs::write(&path, &file.text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("wrote {}", file.path);
        }
    }
    Ok(())
}

fn usage() -> String {
    "usage: cargo xtask gen [--check]".to_owned()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let outcome = match args.as_slice() {
        ["gen"] => gen(false),
        ["gen", "--check"] => gen(true),
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
