//! `cartoauth env`: the account as shell assignments for `eval`, the key included.

use crate::account;
use crate::args::{Env, Shell};
use crate::exit::Outcome;
use crate::variables;

pub fn run(args: Env) -> Outcome {
    let credentials = account::credentials(args.account.profile.as_deref())?;
    let shell = args.shell.unwrap_or_else(shell_from_env);
    let mut out = String::new();
    for name in variables::SUPERSEDED {
        out.push_str(&unset(shell, name));
        out.push('\n');
    }
    for (name, value) in variables::for_account(&credentials, false)? {
        out.push_str(&assign(shell, name, &value));
        out.push('\n');
    }
    crate::output::write(&out)
}

/// `$SHELL`'s name when it is one we know; POSIX syntax otherwise.
pub fn shell_from_env() -> Shell {
    let shell = std::env::var("SHELL").unwrap_or_default();
    match shell.rsplit('/').next().unwrap_or("") {
        "fish" => Shell::Fish,
        "zsh" => Shell::Zsh,
        "pwsh" | "powershell" => Shell::Powershell,
        _ => Shell::Bash,
    }
}

pub fn assign(shell: Shell, name: &str, value: &str) -> String {
    match shell {
        Shell::Bash | Shell::Zsh => format!("export {name}={}", posix_quote(value)),
        Shell::Fish => format!("set -gx {name} {}", fish_quote(value)),
        Shell::Powershell => format!("$Env:{name} = {}", powershell_quote(value)),
    }
}

fn unset(shell: Shell, name: &str) -> String {
    match shell {
        Shell::Bash | Shell::Zsh => format!("unset {name}"),
        Shell::Fish => format!("set -e {name}"),
        Shell::Powershell => format!("Remove-Item Env:{name} -ErrorAction SilentlyContinue"),
    }
}

/// Single quotes keep everything literal; a quote inside ends the string, adds \' and reopens.
fn posix_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// In fish's single quotes only \ and ' are special, each escaped with a backslash.
fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

/// In PowerShell's single quotes only ' is special (and its typographic forms), written twice.
fn powershell_quote(value: &str) -> String {
    let mut quoted = String::from("'");
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            quoted.push(c);
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_keep_every_character_literal() {
        let v = r#"a'b"c$d\e`f"#;
        assert_eq!(assign(Shell::Bash, "X", v), r#"export X='a'\''b"c$d\e`f'"#);
        assert_eq!(assign(Shell::Fish, "X", v), r#"set -gx X 'a\'b"c$d\\e`f'"#);
        assert_eq!(
            assign(Shell::Powershell, "X", "it’s 'x'"),
            "$Env:X = 'it’’s ''x'''"
        );
    }
}
