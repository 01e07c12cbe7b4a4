//! Bounded excerpts of caller-supplied values for messages: a 10 MB argument must not become a
//! 10 MB error message, yet the message still shows enough to recognise the value.

use std::path::Path;

/// Values longer than this (in bytes) are cut in messages.
pub(crate) const MAX_SHOWN_BYTES: usize = 200;

/// `value` quoted (Rust `{:?}` form); a longer one as its first bytes, an ellipsis and its
/// length.
pub(crate) fn quoted(value: &str) -> String {
    if value.len() <= MAX_SHOWN_BYTES {
        return format!("{value:?}");
    }
    format!(
        "{:?}… ({} bytes in all)",
        &value[..char_boundary_at_most(value, MAX_SHOWN_BYTES)],
        value.len()
    )
}

/// A name in single quotes (`'x'`), as messages show columns and fields; a longer one as its
/// first bytes, an ellipsis and its length (a lying server may send a 100 MB column name).
pub(crate) fn name(value: &str) -> String {
    if value.len() <= MAX_SHOWN_BYTES {
        return format!("'{value}'");
    }
    format!(
        "'{}…' ({} bytes in all)",
        &value[..char_boundary_at_most(value, MAX_SHOWN_BYTES)],
        value.len()
    )
}

/// A value shown as it is (not quoted), cut like [`quoted`] when long: a keychain's or a
/// system's own words in a message.
pub(crate) fn plain(value: &str) -> String {
    if value.len() <= MAX_SHOWN_BYTES {
        return value.to_owned();
    }
    format!(
        "{}… ({} bytes in all)",
        &value[..char_boundary_at_most(value, MAX_SHOWN_BYTES)],
        value.len()
    )
}

/// A path as messages show it, cut like [`quoted`] when long.
pub(crate) fn path(path: &Path) -> String {
    let shown = path.display().to_string();
    if shown.len() <= MAX_SHOWN_BYTES {
        return shown;
    }
    format!(
        "{}… ({} bytes in all)",
        &shown[..char_boundary_at_most(&shown, MAX_SHOWN_BYTES)],
        shown.len()
    )
}

fn char_boundary_at_most(text: &str, max: usize) -> usize {
    (0..=max.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_shown_whole_and_long_ones_cut_with_their_length() {
        assert_eq!(quoted("abc"), "\"abc\"");
        let huge = "é".repeat(5_000_000);
        let shown = quoted(&huge);
        assert!(shown.len() < 2 * MAX_SHOWN_BYTES, "{}", shown.len());
        assert!(shown.ends_with("… (10000000 bytes in all)"), "{shown}");
        let shown = path(Path::new(&"d/".repeat(1_000_000)));
        assert!(shown.len() < 2 * MAX_SHOWN_BYTES && shown.contains("2000000 bytes"));
        assert_eq!(name("c"), "'c'");
        let shown = name(&"n".repeat(100 << 20));
        assert!(shown.len() < 2 * MAX_SHOWN_BYTES && shown.ends_with("(104857600 bytes in all)"));
    }
}
