use std::process::ExitCode;

use clap::Parser;
use xtask::commands::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", xtask::terminal::lines(&format!("{error:#}")));
            ExitCode::FAILURE
        }
    }
}
