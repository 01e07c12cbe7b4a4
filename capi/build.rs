//! Gives the shared library its versioned SONAME, and puts the SONAME's link beside it.
//!
//! Nothing is generated here: the header is written by `cargo xtask gen` and checked in, so
//! building the library needs neither cbindgen nor syn.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

// CARTO_ABI_VERSION, the same constant the library and the header use.
include!("src/abi_version.rs");

fn main() {
    println!("cargo:rerun-if-changed=src/abi_version.rs");
    set_soname(CARTO_ABI_VERSION);
}

/// The versioned SONAME (`libcartoauth.so.<ABI>`) that distribution packages and installed
/// consumers rely on: programs record it (NEEDED) and keep working across compatible updates.
/// On macOS the install name plays that role; `@rpath` keeps the library relocatable.
fn set_soname(abi: u32) {
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

/// Programs linked against `target/<profile>/libcartoauth.so` (examples/, the C tests, the R
/// package, benches/) look for the SONAME at run time, so it must exist next to the library:
/// a relative symlink `libcartoauth.so.<ABI> -> libcartoauth.so`, as an installed library has.
fn link_soname_in_target_dir(abi: u32) {
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    // OUT_DIR is target/<profile>/build/cartoauth-capi-<hash>/out.
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
