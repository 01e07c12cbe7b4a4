//! Generates the C header with cbindgen and gives the shared library a SONAME.
//!
//! The header goes to `$OUT_DIR/cartoauth.h`; a test compares it with the checked-in
//! `include/cartoauth.h`. Set `CARTOAUTH_WRITE_HEADER=1` to also write the checked-in copy
//! (the one time a build script writes outside OUT_DIR, and only when asked).

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=CARTOAUTH_WRITE_HEADER");
    set_soname();

    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    config.after_includes = Some(version_macros());
    let header = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen can parse the crate");
    let out = PathBuf::from(env::var("OUT_DIR").expect("set by cargo")).join("cartoauth.h");
    header.write_to_file(&out);
    if env::var_os("CARTOAUTH_WRITE_HEADER").is_some() {
        header.write_to_file(crate_dir.join("include").join("cartoauth.h"));
    }
}

/// Without a SONAME, a library loaded by absolute path cannot later be found by name (the
/// trick JLL packages and dlopen users rely on); the R package links against it by name.
fn set_soname() {
    match env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("macos") | Ok("ios") => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libcartoauth.dylib")
        }
        Ok("windows") => {}
        _ => println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcartoauth.so"),
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
