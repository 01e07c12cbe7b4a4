//! Handles: the opaque pointers C callers hold.
//!
//! A handle is not a memory address but a token that is never reused: the registry maps it to
//! an `Arc` of the Rust object and its type. So a freed, foreign or wrong-type handle is
//! reported as `CARTO_ERR_INVALID_HANDLE` instead of crashing the host (R, Julia, a GIS
//! desktop), and a call that is using a handle keeps its object alive even if another thread
//! frees the handle meanwhile. Nothing here dereferences a pointer.

use super::status::{carto_status, FfiError};
use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

/// A Rust type that C holds through handles of type `C`.
pub(crate) trait Handle: Any + Send + Sync {
    /// The opaque C type (`carto_credentials`, ...).
    type C;
    /// The C type's name, for messages.
    const NAME: &'static str;
}

type Registry = HashMap<usize, Arc<dyn Any + Send + Sync>>;

static REGISTRY: LazyLock<RwLock<Registry>> = LazyLock::new(Default::default);
/// Handles are multiples of 16 so they look like aligned pointers to tools that care.
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
const ID_STRIDE: usize = 16;

/// Registers `value` and returns its new handle.
pub(crate) fn register<T: Handle>(value: T) -> *mut T::C {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed) * ID_STRIDE;
    REGISTRY
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id, Arc::new(value));
    id as *mut T::C
}

/// Registers an object that is already shared (e.g. a second handle to the same credentials).
pub(crate) fn register_shared<T: Handle>(value: Arc<T>) -> *mut T::C {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed) * ID_STRIDE;
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
    fn handles_are_never_reused() {
        let a = register(Apple(1));
        release::<Apple>(a);
        let b = register(Apple(2));
        assert_ne!(a as usize, b as usize);
        release::<Apple>(b);
    }
}
