//! `davsync completions SHELL`: the shell's completion script for davsync,
//! generated from the command-line definition, on standard output.

use anyhow::Result;
use clap_complete::Shell;
use std::io::Write;

/// Arguments of `davsync completions`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to write the script for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the completion script of `command` (the whole `davsync` command
/// line) for the shell of `args`; needs no configuration file.
pub(crate) fn run(mut command: clap::Command, args: &CompletionsArgs) -> Result<bool> {
    // clap_complete panics when its writer fails: it writes to memory, and a
    // closed pipe on stdout (`| head`) becomes an error instead.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "davsync", &mut script);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&script)?;
    stdout.flush()?;
    Ok(true)
}
