//! Handles: the opaque pointers C callers hold.
//!
//! A handle is not a memory address but a token that is never reused and hard to guess (see
//! [`Sequence`]): the registry maps it to
//! an `Arc` of the Rust object and its type. So a freed, foreign or wrong-type handle is
//! reported as `CARTO_ERR_INVALID_HANDLE` instead of crashing the host (R, Julia, a GIS
//! desktop), and a call that is using a handle keeps its object alive even if another thread
//! frees the handle meanwhile. Nothing here dereferences a pointer.

use super::status::{carto_status, FfiError};
use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

/// Declares an opaque C handle type and the Rust type behind it:
///
/// ```text
/// opaque_handle! {
///     /// Opaque result set: ... (the doc comment C programmers read in the header)
///     carto_result => ResultHandle
/// }
/// ```
///
/// defines `pub struct carto_result` (never instantiated: C sees only
/// `typedef struct carto_result carto_result;`) and `impl Handle for ResultHandle`. cbindgen
/// does not expand macros, so `cargo xtask gen` reads these declarations and hands cbindgen
/// the plain structs with their docs.
macro_rules! opaque_handle {
    ($(#[doc = $doc:literal])* $c:ident => $rust:ty) => {
        $(#[doc = $doc])*
        pub struct $c {
            _private: [u8; 0],
        }

        impl $crate::handles::Handle for $rust {
            type C = $c;
            const NAME: &'static str = stringify!($c);
        }
    };
}
pub(crate) use opaque_handle;

/// A Rust type that C holds through handles of type `C`.
pub(crate) trait Handle: Any + Send + Sync {
    /// The opaque C type (`carto_credentials`, ...).
    type C;
    /// The C type's name, for messages.
    const NAME: &'static str;
}

type Registry = HashMap<usize, Arc<dyn Any + Send + Sync>>;

static REGISTRY: LazyLock<RwLock<Registry>> = LazyLock::new(Default::default);

/// How many handles were ever issued; the n-th handle's value comes from `n` alone.
static ISSUED: AtomicU64 = AtomicU64::new(0);

/// Handle values are `base + n * stride` (wrapping), with a base and an odd stride, both
/// multiples of 16 so handles look like aligned pointers, drawn at random once per process:
/// a small integer, or a value seen in another process, is not a live handle. Because the
/// stride / 16 is odd, `n -> value` visits every multiple of 16 once before repeating, so a
/// value is never issued twice (on 32-bit: for the first 2^28 handles; registering more is a
/// caught panic, CARTO_ERR_PANIC, rather than a reuse).
struct Sequence {
    base: u64,
    stride: u64,
}

const ALIGN: u64 = 16;

static SEQUENCE: LazyLock<Sequence> = LazyLock::new(|| {
    // If the OS has no randomness to give, handles are still never reused, only guessable.
    let random = || getrandom::u64().unwrap_or(0x9e37_79b9_7f4a_7c15);
    Sequence {
        base: random() & !(ALIGN - 1),
        stride: (random() | 1).wrapping_mul(ALIGN),
    }
});

/// The value of the `n`-th handle on a target whose pointers have `bits` bits; `None` once
/// every value has been used.
fn handle_value(sequence: &Sequence, n: u64, bits: u32) -> Option<u64> {
    let mask = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let distinct_values = 1u128 << (bits.min(64) - ALIGN.trailing_zeros());
    if u128::from(n) >= distinct_values {
        return None;
    }
    Some(sequence.base.wrapping_add(n.wrapping_mul(sequence.stride)) & mask)
}

/// A fresh, never-issued, non-NULL handle value.
fn next_handle() -> usize {
    loop {
        let n = ISSUED.fetch_add(1, Ordering::Relaxed);
        let value = handle_value(&SEQUENCE, n, usize::BITS)
            .expect("every handle value of this address width has been issued once");
        if value != 0 {
            return usize::try_from(value).expect("masked to the pointer width");
        }
    }
}

/// Registers `value` and returns its new handle.
pub(crate) fn register<T: Handle>(value: T) -> *mut T::C {
    register_shared(Arc::new(value))
}

/// Registers an object that is already shared (e.g. a second handle to the same credentials).
pub(crate) fn register_shared<T: Handle>(value: Arc<T>) -> *mut T::C {
    let id = next_handle();
    REGISTRY
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id, value);
    id as *mut T::C
}

/// The object behind `handle`; `argument` names the parameter in error messages.
pub(crate) fn get<T: Handle>(handle: *const T::C, argument: &str) -> Result<Arc<T>, FfiError> {
    if handle.is_null() {
        return Err(FfiError::new(
            carto_status::CARTO_ERR_NULL_ARGUMENT,
            format!("argument '{argument}' ({} *) is NULL", T::NAME),
        ));
    }
    let entry = REGISTRY
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&(handle as usize))
        .cloned();
    entry
        .and_then(|any| any.downcast::<T>().ok())
        .ok_or_else(|| {
            FfiError::new(
                carto_status::CARTO_ERR_INVALID_HANDLE,
                format!(
                    "argument '{argument}' is not a live {} handle (already freed, or another kind of handle)",
                    T::NAME
                ),
            )
        })
}

/// The object behind an optional handle: NULL gives `None`.
pub(crate) fn get_optional<T: Handle>(
    handle: *const T::C,
    argument: &str,
) -> Result<Option<Arc<T>>, FfiError> {
    if handle.is_null() {
        return Ok(None);
    }
    get(handle, argument).map(Some)
}

/// Forgets `handle`; its object is dropped once no call is using it. NULL, unknown and
/// wrong-type handles are ignored (returns whether something was released).
pub(crate) fn release<T: Handle>(handle: *mut T::C) -> bool {
    if handle.is_null() {
        return false;
    }
    let mut registry = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
    let id = handle as usize;
    if !registry.get(&id).is_some_and(|any| any.is::<T>()) {
        return false;
    }
    let removed = registry.remove(&id);
    drop(registry);
    drop(removed);
    true
}

/// How many handles are alive (for leak tests).
pub(crate) fn live_count() -> usize {
    REGISTRY
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Apple(u32);
    struct AppleC;
    impl Handle for Apple {
        type C = AppleC;
        const NAME: &'static str = "apple";
    }
    #[derive(Debug)]
    struct Pear;
    struct PearC;
    impl Handle for Pear {
        type C = PearC;
        const NAME: &'static str = "pear";
    }

    #[test]
    fn handles_resolve_to_their_object_until_released() {
        let h = register(Apple(7));
        assert_eq!(get::<Apple>(h, "a").unwrap().0, 7);
        assert!(release::<Apple>(h));
        let err = get::<Apple>(h, "a").unwrap_err();
        assert_eq!(err.status, carto_status::CARTO_ERR_INVALID_HANDLE);
        assert!(!release::<Apple>(h), "double free is a no-op");
    }

    #[test]
    fn wrong_types_null_and_foreign_pointers_are_errors() {
        let h = register(Apple(1));
        let as_pear = h as *const PearC;
        assert_eq!(
            get::<Pear>(as_pear, "p").unwrap_err().status,
            carto_status::CARTO_ERR_INVALID_HANDLE
        );
        assert!(!release::<Pear>(as_pear as *mut PearC));
        assert_eq!(
            get::<Apple>(std::ptr::null(), "a").unwrap_err().status,
            carto_status::CARTO_ERR_NULL_ARGUMENT
        );
        assert!(get::<Apple>(0xdead_beef as *const AppleC, "a").is_err());
        assert!(get_optional::<Apple>(std::ptr::null(), "a")
            .unwrap()
            .is_none());
        release::<Apple>(h);
    }

    #[test]
    fn an_object_in_use_outlives_its_handle() {
        let h = register(Apple(3));
        let in_use = get::<Apple>(h, "a").unwrap();
        release::<Apple>(h);
        assert_eq!(in_use.0, 3);
    }

    #[test]
    fn small_integers_and_neighbours_of_a_live_handle_are_not_handles() {
        let live = register(Apple(16));
        for i in 1..=4096usize {
            assert!(get::<Apple>((i * 16) as *const AppleC, "a").is_err(), "{i}");
            let near = (live as usize).wrapping_add(i * 16) as *const AppleC;
            assert!(get::<Apple>(near, "a").is_err(), "live + {i} * 16");
        }
        release::<Apple>(live);
    }

    #[test]
    fn values_never_repeat_until_the_address_space_is_used_up_also_on_32_bit() {
        let sequence = Sequence {
            base: 0xffff_fff0,
            stride: 0x1234_5670 | 16,
        };
        // An 8-bit "address space" holds 16 distinct multiples of 16: all are issued once.
        let values: std::collections::HashSet<u64> = (0..16)
            .map(|n| handle_value(&sequence, n, 8).unwrap())
            .collect();
        assert_eq!(values.len(), 16);
        assert!(values.iter().all(|v| v % 16 == 0 && *v < 256));
        assert_eq!(handle_value(&sequence, 16, 8), None);
        // On 32-bit the counter does not wrap into old values.
        let first = handle_value(&sequence, 0, 32).unwrap();
        assert_eq!(handle_value(&sequence, 1 << 28, 32), None);
        assert_ne!(handle_value(&sequence, (1 << 28) - 1, 32), Some(first));
        assert!(handle_value(&sequence, (1 << 60) - 1, 64).is_some());
    }

    #[test]
    fn handles_are_never_reused() {
        let a = register(Apple(1));
        release::<Apple>(a);
        let b = register(Apple(2));
        assert_ne!(a as usize, b as usize);
        release::<Apple>(b);
    }
}
