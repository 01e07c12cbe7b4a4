//! The R package's NAMESPACE and man/*.Rd, which roxygen2 writes from the comments in
//! bindings/r/R: regenerated in a scratch copy of the package (bindings/r/tools/roxygenise.R),
//! so that `gen --check` can compare them without touching the checkout. Needs R with
//! roxygen2 and pkgload (scripts/install-deps.sh installs them).

use crate::Generated;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What roxygen2 writes: NAMESPACE, every man/*.Rd, and DESCRIPTION (its RoxygenNote).
pub struct Output {
    pub files: Vec<Generated>,
    /// man/*.Rd files of the checkout that roxygen2 no longer writes.
    pub stale: Vec<String>,
}

const PACKAGE: &str = "bindings/r";

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().map_err(|e| e.to_string())?;
        if kind.is_dir() {
            copy_dir(&path, &target)?;
        } else if kind.is_file() {
            std::fs::copy(&path, &target).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        // Links (src/rust's, to the crates) are not needed to document the R code.
    }
    Ok(())
}

/// Runs roxygen2 on a copy of the package. `Ok(None)` when R is not installed.
pub fn generate(root: &Path) -> Result<Option<Output>, String> {
    if Command::new("Rscript").arg("--version").output().is_err() {
        return Ok(None);
    }
    let package = root.join(PACKAGE);
    let scratch: PathBuf =
        std::env::temp_dir().join(format!("cartoauth-roxygen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let copy = scratch.join("r");
    let outcome = (|| {
        for part in ["R", "man", "tools"] {
            copy_dir(&package.join(part), &copy.join(part))?;
        }
        for file in ["DESCRIPTION", "NAMESPACE"] {
            std::fs::copy(package.join(file), copy.join(file))
                .map_err(|e| format!("{file}: {e}"))?;
        }
        // roxygen2 writes only what it generated: start from an empty man/.
        for entry in std::fs::read_dir(copy.join("man")).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().and_then(|e| e.to_str()) == Some("Rd") {
                std::fs::remove_file(&path).map_err(|e| e.to_string())?;
            }
        }
        let output = Command::new("Rscript")
            .arg(copy.join("tools").join("roxygenise.R"))
            .output()
            .map_err(|e| format!("cannot run Rscript: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "roxygen2 failed on bindings/r:\n{}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let read = |relative: &str| {
            std::fs::read_to_string(copy.join(relative)).map_err(|e| format!("{relative}: {e}"))
        };
        let mut files = Vec::new();
        for file in ["NAMESPACE", "DESCRIPTION"] {
            files.push(Generated {
                path: format!("{PACKAGE}/{file}"),
                text: read(file)?,
            });
        }
        let mut written: Vec<String> = std::fs::read_dir(copy.join("man"))
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".Rd"))
            .collect();
        written.sort();
        for name in &written {
            files.push(Generated {
                path: format!("{PACKAGE}/man/{name}"),
                text: read(&format!("man/{name}"))?,
            });
        }
        let mut stale: Vec<String> = std::fs::read_dir(package.join("man"))
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".Rd") && !written.contains(n))
            .map(|n| format!("{PACKAGE}/man/{n}"))
            .collect();
        stale.sort();
        Ok(Output { files, stale })
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    outcome.map(Some)
}
