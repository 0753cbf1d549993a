//! The `boarddiff` binary: parses the command line and calls the crates under `crates/`.
//! Errors are reported once, here, with exit code 2 (diff(1) convention: 0 same, 1
//! different).
mod cli;

use anyhow::Context;
use clap::Parser;
use cli::Command;
use std::process::ExitCode;

fn main() -> ExitCode {
    boarddiff_core::memory::tune_allocator();
    // Graphics and windowing errors (wgpu, winit, eframe) reach the user: errors always,
    // more with RUST_LOG=warn, info or debug.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("error")).init();
    let args = cli::Args::parse();
    let Some(command) = args.command.or_else(default_command) else {
        eprintln!(
            "error: this build of boarddiff has no review app (built without the `gui` \
             feature); see `boarddiff --help` for the headless commands"
        );
        return ExitCode::from(2);
    };
    let result = match command {
        Command::Compare(c) => cli::compare(&c),
        Command::Batch(b) => cli::batch(&b),
        Command::BatchMerge(m) => cli::batch_merge(&m),
        #[cfg(feature = "gui")]
        Command::Gui(g) => cli::gui(&g),
        Command::Export(e) => cli::export(&e),
        Command::Eval(e) => cli::eval(&e),
        Command::Samples => cli::compare_samples(),
        Command::Synth(s) => cli::synth(&s).map(|_| 0),
        Command::Completions { shell } => {
            let mut cmd = <cli::Args as clap::CommandFactory>::command();
            clap_complete::generate(
                clap_complete::Shell::from(shell),
                &mut cmd,
                "boarddiff",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
        Command::Man => clap_mangen::Man::new(<cli::Args as clap::CommandFactory>::command())
            .render(&mut std::io::stdout())
            .map(|()| 0)
            .map_err(Into::into),
    };
    match result.context("boarddiff") {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {:#}", e);
            ExitCode::from(2)
        }
    }
}

/// No subcommand opens the app, parsed as `gui` so that its flags get clap's defaults
/// (a derived Default would leave --window empty).
#[cfg(feature = "gui")]
fn default_command() -> Option<Command> {
    cli::Args::parse_from(["boarddiff", "gui"]).command
}

#[cfg(not(feature = "gui"))]
fn default_command() -> Option<Command> {
    None
}
