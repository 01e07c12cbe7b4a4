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
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if name == "zsh" {
        script = autoloadable_zsh(&script)?;
    }
    crate::output::write(&script)
}

/// clap's zsh script registers its function with `compdef` when it runs, which suits
/// `source <(...)` but not a file in $fpath: zsh autoloads that file as `_cartoauth` on the
/// first TAB, which then only registered and completed nothing. The usual `#compdef` idiom
/// does both: complete when run as `_cartoauth`, register when sourced.
fn autoloadable_zsh(script: &str) -> Outcome<String> {
    const REGISTER: &str = "compdef _clap_dynamic_completer_cartoauth cartoauth\n";
    if !script.contains(REGISTER) {
        return Err(Failure::new(
            exit::FAILURE,
            "clap_complete's zsh script no longer ends with the compdef line this tool adapts",
        ));
    }
    Ok(script.replace(
        REGISTER,
        "if [ \"$funcstack[1]\" = \"_cartoauth\" ]; then\n    _clap_dynamic_completer_cartoauth \"$@\"\nelse\n    compdef _clap_dynamic_completer_cartoauth cartoauth\nfi\n",
    ))
}
