//! `cartoauth completions SHELL`: a completion script generated from the argument definitions.

use crate::args::{Cli, Completions};
use crate::exit::{self, Outcome};
use clap::CommandFactory;

pub fn run(args: Completions) -> Outcome {
    let mut command = Cli::command();
    clap_complete::generate(
        args.shell,
        &mut command,
        "cartoauth",
        &mut std::io::stdout(),
    );
    Ok(exit::OK)
}
