//! `cartoauth exec -- COMMAND ARGS...`: run a command with the account in its environment.

use crate::account;
use crate::args::Exec;
use crate::exit::{self, Failure, Outcome};
use crate::variables;
use std::process::Command;

pub fn run(args: Exec) -> Outcome {
    let credentials = account::credentials(args.account.profile.as_deref())?;
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Failure::usage("exec needs a command after --"))?;
    let mut command = Command::new(program);
    command.args(rest);
    for name in variables::SUPERSEDED {
        command.env_remove(name);
    }
    for (name, value) in variables::for_account(&credentials, args.gdal_headers)? {
        command.env(name, value);
    }
    drop(credentials);
    let shown = program.to_string_lossy();
    run_command(command, &shown)
}

/// Unix: exec(2) replaces this process, so the command keeps our process id, gets every
/// signal sent to it (Ctrl-C, kill, job control) and its exit status is the caller's.
#[cfg(unix)]
fn run_command(mut command: Command, shown: &str) -> Outcome {
    use std::os::unix::process::CommandExt;
    let error = command.exec();
    Err(spawn_failure(&error, shown))
}

/// Elsewhere: run it, wait, and pass its exit code on (Ctrl-C reaches the whole console group).
#[cfg(not(unix))]
fn run_command(mut command: Command, shown: &str) -> Outcome {
    let status = command.status().map_err(|e| spawn_failure(&e, shown))?;
    Ok(status.code().map_or(exit::FAILURE, |c| c as u8))
}

fn spawn_failure(error: &std::io::Error, shown: &str) -> Failure {
    let code = match error.kind() {
        std::io::ErrorKind::NotFound => exit::COMMAND_NOT_FOUND,
        _ => exit::CANNOT_EXECUTE,
    };
    Failure::new(code, format!("cannot run {shown}: {error}"))
}
