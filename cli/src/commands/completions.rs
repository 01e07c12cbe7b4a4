//! `cartoauth completions SHELL`: the script that registers cartoauth's completions with a
//! shell. It calls `cartoauth` back on each TAB (clap_complete's dynamic engine, wired in
//! main), so completions know the saved profiles.

use crate::args::Completions;
use crate::exit::{self, Failure, Outcome};

/// The variable that tells cartoauth a shell is asking for completions (a name no one sets by
/// accident, unlike clap_complete's default COMPLETE).
pub const VARIABLE: &str = "_CARTOAUTH_COMPLETE";
/// The program the scripts call: the one on PATH, wherever this one was run from.
pub const COMPLETER: &str = "cartoauth";

pub fn run(args: Completions) -> Outcome {
    let name = args.shell.to_string();
    let shells = clap_complete::env::Shells::builtins();
    let shell = shells
        .completer(&name)
        .ok_or_else(|| Failure::usage(format!("no completions for {name}")))?;
    let mut script = Vec::new();
    shell
        .write_registration(VARIABLE, "cartoauth", "cartoauth", COMPLETER, &mut script)
        .map_err(|e| Failure::new(exit::FAILURE, format!("writing the {name} script: {e}")))?;
    crate::output::write(&String::from_utf8_lossy(&script))
}
