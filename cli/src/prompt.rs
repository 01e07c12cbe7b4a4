//! Questions on the terminal (standard error for the question, standard input for the answer).

use crate::escape;
use crate::exit::{self, Failure, Outcome};
use std::io::{BufRead, Write};

/// A line typed on the terminal, with echo (never a secret: the key goes through rpassword).
pub fn ask(prompt: &str) -> Outcome<String> {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{}", escape::line(prompt));
    let _ = stderr.flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::new(exit::FAILURE, format!("reading the terminal: {e}")))?;
    Ok(line)
}

/// A yes/no question whose answer is no unless the user types y or yes.
pub fn confirm(question: &str) -> Outcome<bool> {
    let answer = ask(question)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
