//! The few internals the C ABI crate (capi/) needs, and nothing else: compiled only with the
//! `capi` feature, which only that crate enables. Not a public API.

use crate::client::Response;
use crate::result::{Column, Packed};

pub use crate::client::failure::Abort;
pub use crate::text::redact::message as redact_message;

/// A result column's text as the C ABI hands it out: NUL-terminated values, packed.
pub trait ColumnText {
    /// The text of every cell, for columns that do not store text (NULL cells give "").
    fn render_text(&self) -> Packed;
    /// The packed text of a text column.
    fn stored_text(&self) -> Option<&Packed>;
}

impl ColumnText for Column {
    fn render_text(&self) -> Packed {
        Column::render_text(self)
    }

    fn stored_text(&self) -> Option<&Packed> {
        Column::stored_text(self)
    }
}

/// Packed values with their terminating NUL, as C strings.
pub trait PackedWithNul {
    /// Value `i` with its NUL (text only).
    fn get_with_nul(&self, i: usize) -> &[u8];
}

impl PackedWithNul for Packed {
    fn get_with_nul(&self, i: usize) -> &[u8] {
        Packed::get_with_nul(self, i)
    }
}

/// Moves a response's body out (the C boundary keeps it NUL-terminated in its own buffer).
pub fn take_body(response: &mut Response) -> Vec<u8> {
    response.take_body()
}

/// CARTO's error message in a body (see [`Response::carto_error_message`]).
pub fn carto_error_message_of(body: &[u8]) -> Option<String> {
    Response::carto_error_message_of(body)
}
