//! What reaches a terminal. Server messages, stored values and file names can hold escape
//! sequences (which a terminal obeys: clear the screen, retitle the window, fake a prompt) and
//! bidirectional controls (which reorder what is shown, U+202E). Every message the tool prints
//! goes through [`line`]; the table through [`visible`]; streamed formats through [`Stream`]
//! when standard output is a terminal.

use std::io::{self, Write};

/// Unicode's bidirectional formatting characters: embeddings, overrides, isolates and marks.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Whether a character must not reach a terminal as it is: C0, DEL, C1 and bidi controls.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// `text` with every unsafe character written as an escape (`\n`, `\u{1b}`, `\u{202e}`), so
/// a value can neither break the layout nor act on the terminal.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_visible(&mut out, c);
    }
    out
}

fn push_visible(out: &mut String, c: char) {
    if c.is_control() {
        out.extend(c.escape_default());
    } else if is_bidi_control(c) {
        out.push_str(&format!("\\u{{{:x}}}", c as u32));
    } else {
        out.push(c);
    }
}

/// A message as one line: line breaks become spaces, every other unsafe character an escape.
pub fn line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c => push_visible(&mut out, c),
        }
    }
    out
}

/// JSON text with bidi controls written as `\uXXXX` escapes: the same JSON (they can only
/// occur inside strings, and serde_json already escapes control characters), safe to show.
pub fn json(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if !text.chars().any(is_bidi_control) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 12);
    for c in text.chars() {
        if is_bidi_control(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// How a [`Stream`] writes what it escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `\u{1b}`, as [`visible`] (CSV).
    Text,
    /// `\u001b`, so JSON stays valid JSON.
    Json,
}

/// A writer for bytes on their way to a terminal: line feeds, tabs and CRLF pass, every other
/// unsafe character is escaped, and bytes that are not UTF-8 become `\xNN`. Characters split
/// between writes are held until complete; [`Stream::finish`] writes what is left.
pub struct Stream<W: Write> {
    inner: W,
    style: Style,
    /// An incomplete UTF-8 sequence, or a CR whose next byte decides whether it ends a line.
    pending: Vec<u8>,
}

impl<W: Write> Stream<W> {
    pub fn new(inner: W, style: Style) -> Self {
        Stream {
            inner,
            style,
            pending: Vec::new(),
        }
    }

    /// Writes what was held back (a truncated character, a final CR) and flushes.
    pub fn finish(&mut self) -> io::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        let mut out = String::new();
        for byte in pending {
            self.push_byte(&mut out, byte);
        }
        self.inner.write_all(out.as_bytes())?;
        self.inner.flush()
    }

    fn push_byte(&self, out: &mut String, byte: u8) {
        match (self.style, byte) {
            (Style::Json, _) => out.push_str(&format!("\\u00{byte:02x}")),
            (Style::Text, b'\r') => out.push_str("\\r"),
            (Style::Text, _) => out.push_str(&format!("\\x{byte:02x}")),
        }
    }

    fn push_char(&self, out: &mut String, c: char) {
        match c {
            '\n' | '\t' => out.push(c),
            c if !is_unsafe(c) => out.push(c),
            c => match self.style {
                Style::Text => push_visible(out, c),
                Style::Json => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
            },
        }
    }

    fn escape(&mut self, buf: &[u8]) -> String {
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(buf);
        let mut out = String::with_capacity(bytes.len());
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let (valid, invalid) = match std::str::from_utf8(rest) {
                Ok(text) => (text, None),
                // valid_up_to() ends a UTF-8 prefix, so the inner conversion cannot fail.
                Err(e) => (
                    std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or(""),
                    Some(e),
                ),
            };
            let mut chars = valid.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                if c == '\r' {
                    match chars.peek() {
                        Some((_, '\n')) => out.push('\r'),
                        // The last byte so far: the next write decides.
                        None if invalid.is_none() && i + 1 == valid.len() => {
                            self.pending.push(b'\r');
                        }
                        _ => self.push_char(&mut out, c),
                    }
                } else {
                    self.push_char(&mut out, c);
                }
            }
            match invalid {
                None => break,
                Some(e) => {
                    let at = e.valid_up_to();
                    match e.error_len() {
                        // A character cut by the end of this write: keep it for the next.
                        None => {
                            self.pending.extend_from_slice(&rest[at..]);
                            break;
                        }
                        Some(n) => {
                            for &byte in &rest[at..at + n] {
                                self.push_byte(&mut out, byte);
                            }
                            rest = &rest[at + n..];
                        }
                    }
                }
            }
        }
        out
    }
}

impl<W: Write> Write for Stream<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let out = self.escape(buf);
        self.inner.write_all(out.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(style: Style, chunks: &[&[u8]]) -> String {
        let mut s = Stream::new(Vec::new(), style);
        for chunk in chunks {
            s.write_all(chunk).unwrap();
        }
        s.finish().unwrap();
        String::from_utf8(s.inner).unwrap()
    }

    #[test]
    fn messages_lose_escapes_line_breaks_and_bidi_overrides() {
        assert_eq!(
            line("bad \u{1b}[2J\u{202e}txt\r\nnext\u{9b}"),
            "bad \\u{1b}[2J\\u{202e}txt  next\\u{9b}"
        );
        assert_eq!(visible("a\tb\u{2066}"), "a\\tb\\u{2066}");
        assert_eq!(visible("Zürich 東京"), "Zürich 東京");
    }

    #[test]
    fn json_keeps_its_meaning() {
        let v = serde_json::json!({"e": "x\u{1b}y\u{202e}z"});
        let text = json(&v);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
    }

    #[test]
    fn streams_escape_across_chunk_boundaries() {
        let override_ = "\u{202e}".as_bytes();
        let csv = stream(
            Style::Text,
            &[
                b"a,\x1b[31m",
                &override_[..1],
                &override_[1..],
                b"b\r",
                b"\nc\rd\xff\n",
            ],
        );
        assert_eq!(csv, "a,\\u{1b}[31m\\u{202e}b\r\nc\\rd\\xff\n");
        let json = stream(
            Style::Json,
            &[b"{\"t\":\"\x1b", &override_[..2], &override_[2..], b"\"}"],
        );
        assert_eq!(json, "{\"t\":\"\\u001b\\u202e\"}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).unwrap()["t"],
            "\u{1b}\u{202e}"
        );
        // A character cut off by the end of the stream is shown, not dropped.
        assert_eq!(stream(Style::Text, &[b"x", &override_[..2]]), "x\\xe2\\x80");
        assert_eq!(stream(Style::Text, &[b"plain text\n"]), "plain text\n");
    }
}
