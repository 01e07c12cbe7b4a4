//! `cartoauth completions SHELL`: a completion script generated from the argument definitions.

use crate::args::{Cli, Completions};
use crate::exit::Outcome;
use clap::CommandFactory;

pub fn run(args: Completions) -> Outcome {
    let mut command = Cli::command();
    // Into memory first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "cartoauth", &mut script);
    crate::output::write(&String::from_utf8_lossy(&script))
}
