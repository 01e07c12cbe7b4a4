// The ABI version alone, so that build.rs (the SONAME) reads the same constant as the library
// (`carto_abi_version`) and the header (CARTO_ABI_VERSION): it `include!`s this file.

/// The ABI version. Incremented on every incompatible change of the C interface, so a
/// binding built for one version can refuse a library of another at load time.
pub const CARTO_ABI_VERSION: u32 = 1;
