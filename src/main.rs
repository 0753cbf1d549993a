//! The `boarddiff` binary: parses the command line and calls the engine. Errors are
//! reported once, here, with exit code 2 (diff(1) convention: 0 same, 1 different).
use anyhow::Context;
use boarddiff::cli::{self, Command};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    boarddiff::engine::memory::tune_allocator();
    // No subcommand opens the app: parsed as `gui` so that its flags get clap's defaults
    // (a derived Default would leave --window empty).
    let command = cli::Args::parse()
        .command
        .or_else(|| cli::Args::parse_from(["boarddiff", "gui"]).command);
    let Some(command) = command else {
        eprintln!("error: boarddiff: no command");
        return ExitCode::from(2);
    };
    let result = match command {
        Command::Compare(c) => cli::compare(&c),
        Command::Gui(g) => cli::gui(&g),
        Command::Export(e) => cli::export(&e),
        Command::Eval(e) => cli::eval(&e),
        Command::Samples => cli::compare_samples(),
        Command::Synth(s) => cli::synth(&s).map(|_| 0),
    };
    match result.context("boarddiff") {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {:#}", e);
            ExitCode::from(2)
        }
    }
}
