//! `davsync man`: the manual pages, davsync(1) and one per subcommand, made
//! from the command-line definition (`clap_mangen`), printed or written to a
//! folder.

use anyhow::{Context, Result};
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `davsync man`.
#[derive(Debug, clap::Args)]
pub(crate) struct ManArgs {
    /// Write davsync.1 and one page per subcommand (davsync-sync.1, …) into DIR,
    /// created if missing, and print their paths, instead of printing davsync(1).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Prints davsync(1), or writes every page into `--dir`; `command` is the
/// whole `davsync` command line. Needs no configuration file.
pub(crate) fn run(command: clap::Command, args: &ManArgs) -> Result<bool> {
    let pages = pages(command)?;
    let mut stdout = std::io::stdout().lock();
    match &args.dir {
        None => {
            let (_, top) = pages.first().context("no manual page")?;
            stdout.write_all(top)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            for (name, text) in &pages {
                let path = dir.join(name);
                crate::files::write_atomically(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                writeln!(stdout, "{}", path.display())?;
            }
        }
    }
    stdout.flush()?;
    Ok(true)
}

/// Every page as (file name, roff source), davsync.1 first, then the
/// subcommands' (nested ones too: davsync-config-keys.1).
fn pages(command: clap::Command) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    // `help` is clap's, not a command worth a page.
    let mut command = command.disable_help_subcommand(true);
    // Building names the subcommands davsync-sync, davsync-config-keys, …
    command.build();
    let mut pages = Vec::new();
    add_pages(&command, true, &mut pages)?;
    Ok(pages)
}

/// Adds the page of `command` and those of its subcommands to `pages`.
fn add_pages(
    command: &clap::Command,
    top: bool,
    pages: &mut Vec<(String, Vec<u8>)>,
) -> std::io::Result<()> {
    // Every page's footer names davsync and its version (clap_mangen's default
    // names the subcommand alone, without a version).
    let man = Man::new(command.clone()).source(concat!("davsync ", env!("CARGO_PKG_VERSION")));
    pages.push((man.get_filename(), render(&man, command, top)?));
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        add_pages(sub, false, pages)?;
    }
    Ok(())
}

/// One page: clap_mangen's sections, with the configuration example (on
/// davsync(1)) and the exit statuses where `--help` has them after the
/// options; subcommand pages point back to davsync(1).
fn render(man: &Man, command: &clap::Command, top: bool) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    // Every command has options: --help and the global ones.
    man.render_options_section(&mut out)?;
    if command.has_subcommands() {
        man.render_subcommands_section(&mut out)?;
    }
    let mut roff = Roff::new();
    if top {
        configuration(&mut roff);
    }
    exit_status(&mut roff);
    if !top {
        roff.control("SH", ["SEE ALSO"]);
        roff.text([bold("davsync"), roman("(1)")]);
    }
    roff.to_writer(&mut out)?;
    // Only the top command has a version (clap_mangen panics without one).
    if command.get_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    Ok(out)
}

/// The CONFIGURATION section: the example profile of `--help`.
fn configuration(roff: &mut Roff) {
    roff.control("SH", ["CONFIGURATION"]);
    roff.text([roman(
        "Profiles are defined in a TOML file (--config, $DAVSYNC_CONFIG, or \
         $XDG_CONFIG_HOME/davsync/config.toml), such as:",
    )]);
    roff.control("PP", []);
    roff.control("RS", ["4"]);
    // No filling: the example's lines and comments stay as they are.
    roff.control("nf", []);
    for line in crate::CONFIG_EXAMPLE.lines() {
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
    roff.control("RE", []);
    roff.control("PP", []);
    for line in crate::CONFIG_MORE.lines() {
        roff.text([roman(line)]);
    }
}

/// The EXIT STATUS section: the statuses `--help` lists, one tagged paragraph each.
fn exit_status(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in crate::EXIT_STATUSES {
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        // --help breaks the lines; man fills them to its width.
        let meaning: Vec<&str> = meaning.split_whitespace().collect();
        roff.text([roman(meaning.join(" "))]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn all_pages() -> Vec<(String, String)> {
        pages(crate::Cli::command())
            .unwrap()
            .into_iter()
            .map(|(name, text)| (name, String::from_utf8(text).unwrap()))
            .collect()
    }

    #[test]
    fn there_is_a_page_per_command_and_none_for_help() {
        let names: Vec<String> = all_pages().into_iter().map(|(name, _)| name).collect();
        assert_eq!(names[0], "davsync.1");
        for name in ["davsync-sync.1", "davsync-config-keys.1", "davsync-man.1"] {
            assert!(names.iter().any(|n| n == name), "{name}: {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
    }

    #[test]
    fn every_page_has_the_exit_statuses_and_only_the_top_page_the_example() {
        for (name, text) in all_pages() {
            assert!(text.contains(".SH \"EXIT STATUS\""), "{name}:\n{text}");
            for (code, _) in crate::EXIT_STATUSES {
                assert!(text.contains(&format!("\\fB{code}\\fR")), "{name}:\n{text}");
            }
            assert_eq!(
                text.contains("[profiles.work]"),
                name == "davsync.1",
                "{name}:\n{text}"
            );
        }
    }
}
