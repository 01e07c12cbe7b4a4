//! The exported C API is pinned in `abi/cartoauth.symbols` (one prototype per line, with the
//! CARTO_ABI_VERSION it belongs to). These tests fail when a function disappears from, or
//! changes its prototype in, `include/cartoauth.h` without an ABI version bump, and when the
//! shared library exports anything but the listed functions.
//!
//! Adding functions is compatible: `scripts/update-abi.sh` records them. It refuses to drop or
//! change a listed prototype unless CARTO_ABI_VERSION (capi/src/abi_version.rs) was bumped.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use support::read;

const UPDATE: &str = "scripts/update-abi.sh";

/// Function name -> prototype, normalised to one line.
type Prototypes = BTreeMap<String, String>;

/// The function prototypes of a C header as cbindgen writes it: comments and preprocessor
/// lines and the `extern "C"` block removed, statements split at `;` outside braces, type
/// definitions skipped.
fn header_prototypes(header: &str) -> Prototypes {
    let mut code = String::new();
    let mut rest = header;
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("comments are closed");
        rest = &rest[start + end + 2..];
    }
    code.push_str(rest);
    let code: String = code
        .lines()
        .filter(|l| {
            let l = l.trim();
            // Preprocessor lines, and the C++ linkage block around the functions.
            !(l.starts_with('#')
                || l == "extern \"C\" {"
                || (l.starts_with('}') && l.contains("extern \"C\"")))
        })
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n");

    let mut prototypes = Prototypes::new();
    let mut depth = 0usize;
    let mut statement = String::new();
    for c in code.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.checked_sub(1).expect("braces are balanced"),
            ';' if depth == 0 => {
                if let Some((name, prototype)) = prototype(&statement) {
                    assert!(
                        prototypes.insert(name.clone(), prototype).is_none(),
                        "{name} is declared twice"
                    );
                }
                statement.clear();
                continue;
            }
            _ => {}
        }
        statement.push(c);
    }
    prototypes
}

/// `Some((name, normalised prototype))` when the statement declares a function.
fn prototype(statement: &str) -> Option<(String, String)> {
    let words: Vec<&str> = statement
        .split_whitespace()
        .filter(|w| *w != "CARTO_MUST_USE") // an attribute, not part of the ABI
        .collect();
    let text = words.join(" ");
    // Type definitions (enums, structs, typedefs such as callback types) are not functions.
    if text.is_empty() || text.starts_with("typedef") || text.contains('{') {
        return None;
    }
    let open = text.find('(')?;
    let name: String = text[..open]
        .trim_end()
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()?
        .to_owned();
    let text = text.replace("( ", "(").replace(" )", ")");
    Some((name, format!("{text};")))
}

struct SymbolList {
    abi: u32,
    prototypes: Prototypes,
}

const LIST_PATH: &str = "abi/cartoauth.symbols";

fn symbol_list() -> SymbolList {
    let text = read(LIST_PATH);
    let mut abi = None;
    let mut prototypes = Prototypes::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(n) = line.strip_prefix("abi ") {
            abi = Some(n.parse().expect("`abi N` holds a number"));
            continue;
        }
        let (name, prototype) = prototype(line.trim_end_matches(';'))
            .unwrap_or_else(|| panic!("not a prototype: {line}"));
        prototypes.insert(name, prototype);
    }
    SymbolList {
        abi: abi.expect("abi/cartoauth.symbols has an `abi N` line"),
        prototypes,
    }
}

fn render(list: &SymbolList) -> String {
    let mut out = String::from(
        "# The exported C API of libcartoauth: every function of include/cartoauth.h, one\n\
         # prototype per line, and the CARTO_ABI_VERSION they belong to (the SONAME's number).\n\
         # Regenerate with scripts/update-abi.sh; tests/abi.rs compares it with the header and\n\
         # with `nm -D` of the built library. Removing or changing a line needs an ABI bump.\n",
    );
    out.push_str(&format!("abi {}\n", list.abi));
    for prototype in list.prototypes.values() {
        out.push_str(prototype);
        out.push('\n');
    }
    out
}

/// Listed prototypes the header no longer has, or has with another signature.
fn incompatible_changes(listed: &Prototypes, header: &Prototypes) -> Vec<String> {
    listed
        .iter()
        .filter_map(|(name, old)| match header.get(name) {
            None => Some(format!("removed: {old}")),
            Some(new) if new != old => Some(format!("changed: {old}\n     now: {new}")),
            Some(_) => None,
        })
        .collect()
}

#[test]
fn header_parser_finds_prototypes_and_skips_types() {
    let header = "/** doc; with a semicolon */\n#define X 1\ntypedef int32_t (*carto_cb)(void *a);\n\
                  typedef enum carto_e {\n  A = 1,\n  B = 2,\n} carto_e;\n#ifdef __cplusplus\n\
                  extern \"C\" {\n#endif\nCARTO_MUST_USE\ncarto_status carto_f(const char *a,\n\
                  \x20                     size_t n);\nvoid carto_g(void);\n#ifdef __cplusplus\n}  // extern \"C\"\n#endif\n";
    let found = header_prototypes(header);
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        vec![
            (
                "carto_f".to_owned(),
                "carto_status carto_f(const char *a, size_t n);".to_owned()
            ),
            ("carto_g".to_owned(), "void carto_g(void);".to_owned()),
        ]
    );
}

#[test]
fn incompatible_changes_are_removals_and_changed_prototypes_not_additions() {
    let listed: Prototypes = [
        ("carto_a", "void carto_a(void);"),
        ("carto_b", "int carto_b(int x);"),
    ]
    .map(|(n, p)| (n.to_owned(), p.to_owned()))
    .into();
    let mut header = listed.clone();
    header.insert("carto_new".into(), "void carto_new(void);".into());
    assert!(incompatible_changes(&listed, &header).is_empty());
    header.insert("carto_b".into(), "int carto_b(long x);".into());
    header.remove("carto_a");
    let changes = incompatible_changes(&listed, &header);
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes[0].starts_with("removed: void carto_a(void);"));
    assert!(changes[1].contains("now: int carto_b(long x);"));
}

/// The header against the list. With `CARTOAUTH_WRITE_ABI=1` (scripts/update-abi.sh) it
/// rewrites the list instead, unless that would hide an incompatible change.
#[test]
fn symbol_list_matches_the_header() {
    let header = header_prototypes(&read("include/cartoauth.h"));
    assert!(header.len() > 10, "the header parser found only {header:?}");
    assert!(header.keys().all(|n| n.starts_with("carto_")), "{header:?}");
    let abi = support::runtime_abi_version();
    let list = symbol_list();
    let incompatible = incompatible_changes(&list.prototypes, &header);
    let bump = format!(
        "incompatible change of the C API without an ABI version bump (still {abi}):\n{}\n\
         Keep the old function, or increment CARTO_ABI_VERSION in capi/src/abi_version.rs, regenerate \
         the header (cargo xtask gen) and run {UPDATE}.",
        incompatible.join("\n")
    );
    if std::env::var_os("CARTOAUTH_WRITE_ABI").is_some() {
        assert!(incompatible.is_empty() || list.abi != abi, "{bump}");
        let updated = SymbolList {
            abi,
            prototypes: header,
        };
        std::fs::write(support::root().join(LIST_PATH), render(&updated)).unwrap();
        return;
    }
    assert!(incompatible.is_empty() || list.abi != abi, "{bump}");
    assert!(
        list.abi == abi && list.prototypes == header,
        "{LIST_PATH} is out of date (ABI {} listed, {abi} built; functions added: {:?}): run {UPDATE}",
        list.abi,
        header.keys().filter(|n| !list.prototypes.contains_key(*n)).collect::<Vec<_>>()
    );
    assert_eq!(
        read(LIST_PATH),
        render(&list),
        "{LIST_PATH} is not in canonical form: run {UPDATE}"
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
    let listed: Vec<String> = symbol_list().prototypes.into_keys().collect();
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
