//! The exported C API is pinned in `abi/cartoauth.symbols` (one prototype per line, with the
//! CARTO_ABI_VERSION it belongs to), which `cargo xtask gen` writes from the header and
//! refuses to rewrite when a listed function disappeared or changed its prototype without an
//! ABI version bump (xtask's tests cover that rule; `gen --check` that the list is current).
//! These tests hold the built library to the list: it exports exactly the listed functions,
//! reports the listed ABI version, and carries the matching SONAME.

mod support;

use std::path::Path;
use std::process::Command;

const LIST_PATH: &str = "abi/cartoauth.symbols";

struct SymbolList {
    abi: u32,
    /// The listed functions' names.
    names: Vec<String>,
}

fn symbol_list() -> SymbolList {
    let text = support::read(LIST_PATH);
    let mut abi = None;
    let mut names = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(n) = line.strip_prefix("abi ") {
            abi = Some(n.parse().expect("`abi N` holds a number"));
            continue;
        }
        let name = line
            .split('(')
            .next()
            .and_then(|head| head.rsplit([' ', '*']).next())
            .filter(|n| n.starts_with("carto_"))
            .unwrap_or_else(|| panic!("not a prototype: {line}"));
        names.push(name.to_owned());
    }
    SymbolList {
        abi: abi.expect("abi/cartoauth.symbols has an `abi N` line"),
        names,
    }
}

#[test]
fn the_list_names_the_abi_version_the_library_reports() {
    let list = symbol_list();
    assert!(
        list.names.len() > 10,
        "the list holds only {:?}",
        list.names
    );
    assert_eq!(
        list.abi,
        support::runtime_abi_version(),
        "{LIST_PATH} is for another ABI version than the library: run `cargo xtask gen`"
    );
}

/// The cdylib built from this run's sources (see `support::library_dir`).
fn built_library() -> std::path::PathBuf {
    support::shared_library()
}

/// What `nm -D --defined-only` lists as the library's exported functions and data.
fn exported_symbols(library: &Path) -> Vec<String> {
    let output = Command::new("nm")
        .args(["-D", "--defined-only", "--format=posix"])
        .arg(library)
        .output()
        .unwrap_or_else(|e| panic!("cannot run nm (binutils): {e}"));
    assert!(
        output.status.success(),
        "nm -D {} failed: {}",
        library.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut names: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| n.split('@').next().unwrap().to_owned())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(target_os = "linux")]
#[test]
fn shared_library_exports_exactly_the_listed_functions() {
    let library = built_library();
    assert!(library.exists(), "{} was not built", library.display());
    let exported = exported_symbols(&library);
    let listed = symbol_list().names;
    let extra: Vec<_> = exported.iter().filter(|n| !listed.contains(n)).collect();
    let missing: Vec<_> = listed.iter().filter(|n| !exported.contains(n)).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "{} exports what {LIST_PATH} does not list: {extra:?}; and lacks: {missing:?}",
        library.display()
    );
}

#[cfg(target_os = "linux")]
#[test]
fn shared_library_has_the_versioned_soname() {
    let library = built_library();
    let output = Command::new("readelf")
        .args(["-d"])
        .arg(&library)
        .output()
        .unwrap_or_else(|e| panic!("cannot run readelf (binutils): {e}"));
    let dynamic = String::from_utf8_lossy(&output.stdout);
    let abi = support::runtime_abi_version();
    let soname = format!("Library soname: [libcartoauth.so.{abi}]");
    assert!(
        dynamic.contains(&soname),
        "no `{soname}` in readelf -d:\n{dynamic}"
    );
    // The build leaves the SONAME link beside the library, so in-tree programs can run.
    let link = library.with_file_name(format!("libcartoauth.so.{abi}"));
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("libcartoauth.so")
    );
}
