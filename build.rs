//! Generates the C header with cbindgen and gives the shared library its versioned SONAME.
//!
//! The header goes to `$OUT_DIR/cartoauth.h`; a test compares it with the checked-in
//! `include/cartoauth.h`. Set `CARTOAUTH_WRITE_HEADER=1` to also write the checked-in copy
//! (the one time a build script writes outside OUT_DIR, and only when asked).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=CARTOAUTH_WRITE_HEADER");

    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    set_soname(&crate_dir);
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    config.after_includes = Some(version_macros());
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    let status_enum = out_dir.join("carto_status.rs");
    std::fs::write(&status_enum, status_enum_source()).expect("OUT_DIR is writable");
    let header = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_src(&status_enum)
        .with_config(config)
        .generate()
        .expect("cbindgen can parse the crate");
    let mut text = Vec::new();
    header.write(&mut text);
    let text =
        parenthesise_negative_macros(&String::from_utf8(text).expect("cbindgen writes UTF-8"));
    write_if_changed(&out_dir.join("cartoauth.h"), &text);
    if env::var_os("CARTOAUTH_WRITE_HEADER").is_some() {
        write_if_changed(&crate_dir.join("include").join("cartoauth.h"), &text);
    }
}

/// Rewrites the header only when it changed, so its timestamp does not trigger rebuilds.
fn write_if_changed(path: &Path, text: &str) {
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text).expect("the header's directory is writable");
    }
}

/// `#define NAME -1` becomes `#define NAME (-1)`: cbindgen writes negative constants bare,
/// and a bare negative macro changes meaning next to a binary operator (`x-CARTO_KEEP`).
fn parenthesise_negative_macros(header: &str) -> String {
    let mut out = String::with_capacity(header.len() + 16);
    for line in header.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let negative = body.strip_prefix("#define ").and_then(|rest| {
            let (name, value) = rest.split_once(' ')?;
            let digits = value.strip_prefix('-')?;
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then_some((name, value))
        });
        match negative {
            Some((name, value)) => {
                out.push_str(&format!("#define {name} ({value})"));
                out.push_str(&line[body.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// The C ABI version, read from `src/ffi/library.rs` so the SONAME can never disagree with
/// `carto_abi_version()` and the header's CARTO_ABI_VERSION.
fn abi_version(crate_dir: &Path) -> u32 {
    let path = crate_dir.join("src").join("ffi").join("library.rs");
    let source = fs::read_to_string(&path).expect("src/ffi/library.rs is readable");
    source
        .lines()
        .find_map(|l| l.trim().strip_prefix("pub const CARTO_ABI_VERSION: u32 = "))
        .and_then(|rest| rest.trim_end_matches(';').trim().parse().ok())
        .expect("src/ffi/library.rs defines `pub const CARTO_ABI_VERSION: u32 = N;`")
}

/// The versioned SONAME (`libcartoauth.so.<ABI>`) that distribution packages and installed
/// consumers rely on: programs record it (NEEDED) and keep working across compatible updates.
/// On macOS the install name plays that role; `@rpath` keeps the library relocatable.
fn set_soname(crate_dir: &Path) {
    let abi = abi_version(crate_dir);
    match env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("macos") | Ok("ios") => {
            let version = env::var("CARGO_PKG_VERSION").expect("set by cargo");
            println!(
                "cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libcartoauth.{abi}.dylib,\
                 -compatibility_version,{abi},-current_version,{version}"
            );
        }
        Ok("windows") => {}
        _ => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcartoauth.so.{abi}");
            link_soname_in_target_dir(abi);
        }
    }
}

/// Programs linked against `target/<profile>/libcartoauth.so` (examples/, the R package,
/// benches/) or `target/<profile>/deps/libcartoauth.so` (the C tests: `cargo test` builds there
/// only) look for the SONAME at run time, so it must exist next to the library: a relative
/// symlink `libcartoauth.so.<ABI> -> libcartoauth.so`, as an installed library has.
fn link_soname_in_target_dir(abi: u32) {
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    // OUT_DIR is target/<profile>/build/cartoauth-<hash>/out.
    let Some(profile_dir) = out_dir.ancestors().nth(3) else {
        return;
    };
    for dir in [profile_dir.to_path_buf(), profile_dir.join("deps")] {
        let link = dir.join(format!("libcartoauth.so.{abi}"));
        if fs::read_link(&link).is_ok_and(|target| target == Path::new("libcartoauth.so")) {
            continue;
        }
        let _ = fs::create_dir_all(&dir);
        let _ = fs::remove_file(&link);
        #[cfg(unix)]
        std::os::unix::fs::symlink("libcartoauth.so", &link)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", link.display()));
    }
}

/// Version macros taken from Cargo.toml, so the header can never disagree with the crate.
fn version_macros() -> String {
    let part = |name: &str| env::var(name).expect("set by cargo");
    let (major, minor, patch) = (
        part("CARGO_PKG_VERSION_MAJOR"),
        part("CARGO_PKG_VERSION_MINOR"),
        part("CARGO_PKG_VERSION_PATCH"),
    );
    format!(
        r#"
/** The version of this header, e.g. "0.1.0"; carto_version() gives the loaded library's. */
#define CARTO_VERSION "{version}"
#define CARTO_VERSION_MAJOR {major}
#define CARTO_VERSION_MINOR {minor}
#define CARTO_VERSION_PATCH {patch}
/** MAJOR * 1000000 + MINOR * 1000 + PATCH, for #if comparisons. */
#define CARTO_VERSION_NUMBER ({major} * 1000000 + {minor} * 1000 + {patch})

/** Marks functions whose carto_status result must be checked. */
#if defined(__GNUC__) || defined(__clang__)
#define CARTO_MUST_USE __attribute__((warn_unused_result))
#else
#define CARTO_MUST_USE
#endif"#,
        version = part("CARGO_PKG_VERSION"),
    )
}

/// build.rs's reading of src/ffi/status_table.rs: the enum's doc, then each code's doc, name
/// and number (the description is the library's business).
macro_rules! status_table {
    (
        $(#[doc = $enum_doc:literal])*
        pub enum $enum_name:ident {
            $(
                $(#[doc = $doc:literal])*
                $name:ident = $number:literal => $description:literal,
            )*
        }
    ) => {
        StatusTable {
            name: stringify!($enum_name),
            doc: &[$($enum_doc),*],
            codes: &[$((stringify!($name), $number, &[$($doc),*])),*],
        }
    };
}

struct StatusTable {
    name: &'static str,
    doc: &'static [&'static str],
    codes: &'static [(&'static str, i32, &'static [&'static str])],
}

/// The status enum as plain Rust, for cbindgen (which does not expand macros): the library
/// itself gets the same enum from the same declaration through src/ffi/status.rs's macro.
fn status_enum_source() -> String {
    const TABLE: StatusTable = include!("src/ffi/status_table.rs");
    let doc = |lines: &[&str], indent: &str| -> String {
        lines
            .iter()
            .map(|line| format!("{indent}#[doc = {line:?}]\n"))
            .collect()
    };
    let mut source = doc(TABLE.doc, "");
    source.push_str(&format!("#[repr(i32)]\npub enum {} {{\n", TABLE.name));
    for (name, number, lines) in TABLE.codes {
        source.push_str(&doc(lines, "    "));
        source.push_str(&format!("    {name} = {number},\n"));
    }
    source.push_str("}\n");
    source
}
