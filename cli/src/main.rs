//! `cartoauth`: log in to CARTO once, then use the account from the shell, GDAL, QGIS and
//! scripts without the API key on a command line. Built on the cartoauth library's Rust API,
//! so it reads and writes the same files, profiles and variables as every binding.

mod account;
mod args;
mod commands;
mod escape;
mod exit;
mod keycheck;
mod output;
mod prompt;
mod table;
mod variables;

use args::{Cli, Command};
use clap::{CommandFactory, Parser};
use std::process::ExitCode;

fn main() -> ExitCode {
    // A shell asking for completions (the scripts of `cartoauth completions`): answer, exit.
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(commands::completions::VARIABLE)
        .completer(commands::completions::COMPLETER)
        .complete();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Login(a) => commands::login::run(a),
        Command::Status(a) => commands::status::run(a),
        Command::Logout(a) => commands::logout::run(a),
        Command::Env(a) => commands::env::run(a),
        Command::Exec(a) => commands::exec::run(a),
        Command::Sql(a) => commands::sql::run(a),
        Command::Profiles(a) => commands::profiles::run(a),
        Command::Move(a) => commands::moving::run(a),
        Command::Token(a) => commands::token::run(a),
        Command::Completions(a) => commands::completions::run(a),
        Command::ManPages(a) => commands::man_pages::run(a),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("cartoauth: {failure}");
            ExitCode::from(failure.code)
        }
    }
}
