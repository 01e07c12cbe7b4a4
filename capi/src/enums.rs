//! The core's `repr(i32)` enums, handed to C as they are: their numbers are the core's, so no
//! enum is mirrored by hand.
//!
//! `core_enum! { /// doc  carto_x = CoreEnum, variants CARTO_X_ { /// doc  Variant: NAME } }`
//! makes `carto_x` the core enum in this crate. cbindgen does not expand macros, so `cargo
//! xtask gen` reads the declaration and the core enum (variants, numbers, docs) and gives
//! cbindgen the C enum: each variant is the prefix plus its name in SCREAMING_SNAKE_CASE,
//! unless the braces rename it, with the core's doc unless the braces give a C one (which
//! functions read it, say). xtask refuses a core enum without `#[repr(i32)]` or without a
//! number for every variant, and braces that name a variant the core lacks. The values only ever go out to C; where C supplies a value the ABI takes an
//! `int32_t` (a number the enum lacks would be undefined behaviour in Rust).
macro_rules! core_enum {
    (
        $(#[doc = $doc:literal])*
        $c:ident = $core:ty, variants $prefix:ident $({
            $($(#[doc = $vdoc:literal])* $from:ident $(: $to:ident)?),* $(,)?
        })?
    ) => {
        $(#[doc = $doc])*
        pub type $c = $core;
        const _: () = assert!(std::mem::size_of::<$core>() == std::mem::size_of::<i32>());
    };
}
pub(crate) use core_enum;
