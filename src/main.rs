//! The `tollgate` command: parses the command line, dispatches to a subcommand and maps its
//! result to the exit code (0 all agree, 1 a divergence, 2 malformed input or a harness error).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("tollgate: error: {e:#}");
            cli::Exit::Malformed.into()
        }
    }
}
