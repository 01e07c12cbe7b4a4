//! What the C-level tests share: the repository's paths, the built library, and its answers.
//!
//! This crate's library is a cdylib and a staticlib only, which `cargo test` does not build
//! (it builds what the tests link, and they link nothing of it). So [`library_dir`] runs
//! `cargo build -p cartoauth-capi --lib` once per test process, for the same profile and target
//! directory as the test itself: the tests always check the library of the sources they were
//! built from, never a stale copy.

#![allow(dead_code)] // each test crate uses part of it

use std::ffi::{c_char, CStr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository's root (include/, abi/, scripts/).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("capi/ sits in the repository")
        .to_path_buf()
}

/// A file of the repository, read to a string.
pub fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `target/[<triple>/]<profile>`, holding an up-to-date `libcartoauth.so` (and .a) and its
/// SONAME link.
pub fn library_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(build_library)
}

fn build_library() -> PathBuf {
    // This test runs from target/[<triple>/]<profile>/deps/<name>-<hash>.
    let exe = std::env::current_exe().expect("the test knows its path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .expect("the profile directory has a name");
    // cargo marks the target directory's root with CACHEDIR.TAG; one level further up means a
    // --target build.
    let parent = profile_dir.parent().expect("target/<profile> has a parent");
    let (target_dir, triple) = if parent.join("CACHEDIR.TAG").exists() {
        (parent.to_path_buf(), None)
    } else {
        let triple = parent
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_owned);
        (
            parent.parent().expect("target/<triple>").to_path_buf(),
            triple,
        )
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "--lib", "-p", "cartoauth-capi"])
        .arg("--manifest-path")
        .arg(root().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    match profile {
        "debug" => cmd.args(["--profile", "dev"]),
        "release" => cmd.arg("--release"),
        other => cmd.args(["--profile", other]),
    };
    if let Some(triple) = &triple {
        cmd.args(["--target", triple]);
    }
    let output = cmd.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "building libcartoauth failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lib = profile_dir.join("libcartoauth.so");
    assert!(lib.exists(), "{} was not built", lib.display());
    profile_dir.to_path_buf()
}

/// The built shared library.
pub fn shared_library() -> PathBuf {
    library_dir().join("libcartoauth.so")
}

/// The built library, loaded into this process (once), to ask it what it says of itself.
struct Loaded(*mut libc::c_void);
// SAFETY: a dlopen handle may be used from any thread; it is never closed.
unsafe impl Send for Loaded {}
// SAFETY: as above; dlsym is thread-safe.
unsafe impl Sync for Loaded {}

fn loaded() -> &'static Loaded {
    static LIB: OnceLock<Loaded> = OnceLock::new();
    LIB.get_or_init(|| {
        let path = std::ffi::CString::new(shared_library().to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; the library has no constructors that need care.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        assert!(
            !handle.is_null(),
            "cannot dlopen {}",
            path.to_string_lossy()
        );
        Loaded(handle)
    })
}

fn symbol(name: &CStr) -> *mut libc::c_void {
    // SAFETY: the handle is open for the whole process; the name is NUL-terminated.
    let address = unsafe { libc::dlsym(loaded().0, name.as_ptr()) };
    assert!(!address.is_null(), "the library does not export {name:?}");
    address
}

/// `carto_version()` of the built library.
pub fn runtime_version() -> String {
    // SAFETY: carto_version is `const char *carto_version(void)` (include/cartoauth.h).
    let f: extern "C" fn() -> *const c_char =
        unsafe { std::mem::transmute(symbol(c"carto_version")) };
    // SAFETY: it returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(f()) }.to_str().unwrap().to_owned()
}

/// `carto_abi_version()` of the built library.
pub fn runtime_abi_version() -> u32 {
    // SAFETY: carto_abi_version is `uint32_t carto_abi_version(void)` (include/cartoauth.h).
    let f: extern "C" fn() -> u32 = unsafe { std::mem::transmute(symbol(c"carto_abi_version")) };
    f()
}
