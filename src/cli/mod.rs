//! The command line: clap definitions, one module per subcommand, and the exit codes.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod fuzz;
pub mod replay;
pub mod score;
pub mod serve;
pub mod target;

/// The multi-threaded tokio runtime every networked command runs on.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// tollgate: a conformance fuzzer and audit tool for content-API permissions.
#[derive(Debug, Parser)]
#[command(name = "tollgate", version, about)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the differential campaign: generated cases against the reference and a target.
    Fuzz(fuzz::FuzzArgs),
    /// Replay scenario files against a target and compare with their expected outcomes.
    Replay(replay::ReplayArgs),
    /// Score the campaign: run it against the sandbox once per fault, until it is found.
    Score(score::ScoreArgs),
    /// Run the sandbox: an embedded Hygraph-compatible Content API on 127.0.0.1.
    Serve(serve::ServeArgs),
}

/// The process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every step of every file agrees.
    Agree = 0,
    /// Some step differs (or is indeterminate).
    Diverged = 1,
    /// Malformed input, a usage error, or a harness error.
    Malformed = 2,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Fuzz(args) => fuzz::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Score(args) => score::run(&args),
        Command::Serve(args) => serve::run(&args),
    }
}
