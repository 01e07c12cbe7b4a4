//! Text shown to people: secrets removed from messages ([`redact`]) and caller-supplied values
//! cut to a bounded excerpt ([`excerpt`]). A leaf: it depends on nothing else in the crate.

pub(crate) mod excerpt;
pub(crate) mod redact;
