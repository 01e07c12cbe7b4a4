//! Standard output for whole answers: a reader that goes away (`cartoauth status | head -1`)
//! ends the command quietly instead of a panic from `println!`.

use crate::exit::{self, Failure, Outcome};
use std::io::Write;

pub fn write(text: &str) -> Outcome {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(exit::OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::OK),
        Err(e) => Err(Failure::new(
            exit::FAILURE,
            format!("writing standard output: {e}"),
        )),
    }
}

/// Each line followed by a newline, with terminal escapes and line breaks inside a line
/// made visible (the lines hold file names and server text).
pub fn lines(lines: &[String]) -> Outcome {
    let lines: Vec<String> = lines.iter().map(|l| crate::escape::line(l)).collect();
    let mut text = lines.join("\n");
    text.push('\n');
    write(&text)
}

/// A message for the user on standard error, as one line without terminal escapes.
pub fn note(text: &str) {
    eprintln!("{}", crate::escape::line(text));
}
