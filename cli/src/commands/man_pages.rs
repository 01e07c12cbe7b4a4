//! `cartoauth man-pages DIR` (hidden; `make` runs it): cartoauth(1) and one page per command
//! (cartoauth-login(1), ...), rendered by clap_mangen from the definition that --help shows,
//! with the exit codes as an EXIT STATUS section.

use crate::args::{Cli, ManPages};
use crate::exit::{self, Failure, Outcome};
use clap::CommandFactory;
use clap_mangen::Man;
use roff::{bold, roman, Roff};
use std::path::Path;

pub fn run(args: ManPages) -> Outcome {
    let mut top = Cli::command().disable_help_subcommand(true);
    top.build();
    let commands: Vec<clap::Command> = top
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .cloned()
        .collect();
    std::fs::create_dir_all(&args.dir).map_err(|e| failure(&args.dir, &e))?;
    let pages: Vec<String> = commands.iter().map(page_name).collect();
    write_page(&top, &args.dir, &pages)?;
    for command in &commands {
        write_page(command, &args.dir, &["cartoauth".to_owned()])?;
    }
    Ok(exit::OK)
}

/// `cartoauth-login` for `cartoauth login`, as clap names it once the tree is built.
fn page_name(command: &clap::Command) -> String {
    command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_owned()
}

fn write_page(command: &clap::Command, dir: &Path, see_also: &[String]) -> Outcome<()> {
    // The exit codes get a section of their own instead of clap's EXTRA paragraph.
    let man = Man::new(command.clone().after_help(None::<&'static str>))
        .source(concat!("cartoauth ", env!("CARGO_PKG_VERSION")))
        .manual("cartoauth");
    let mut page = Vec::new();
    man.render(&mut page)
        .and_then(|()| exit_status_and_see_also(see_also).to_writer(&mut page))
        .map_err(|e| Failure::new(exit::FAILURE, format!("rendering a man page: {e}")))?;
    let path = dir.join(man.get_filename());
    std::fs::write(&path, page).map_err(|e| failure(&path, &e))?;
    Ok(())
}

fn exit_status_and_see_also(see_also: &[String]) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in exit::CODES {
        roff.control("TP", [] as [&str; 0]);
        roff.text([bold(*code)]);
        roff.text([roman(*meaning)]);
    }
    roff.control("PP", [] as [&str; 0]);
    roff.text([roman(exit::EXEC_NOTE)]);
    roff.control("SH", ["SEE ALSO"]);
    let refs: Vec<String> = see_also.iter().map(|p| format!("{p}(1)")).collect();
    roff.text([roman(refs.join(", "))]);
    roff
}

fn failure(path: &Path, e: &std::io::Error) -> Failure {
    Failure::new(exit::FAILURE, format!("writing {}: {e}", path.display()))
}
