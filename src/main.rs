//! The `boarddiff` binary: parses the command line and calls the engine. Errors are
//! reported once, here, with exit code 2 (diff(1) convention: 0 same, 1 different).
use anyhow::Context;
use boarddiff::cli::{self, Command};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    boarddiff::engine::memory::tune_allocator();
    let args = cli::Args::parse();
    let result = match args
        .command
        .unwrap_or_else(|| Command::Gui(Default::default()))
    {
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
