//! The `hourglass` binary: parse the command line, set up logging, run the subcommand.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
use hourglass_server::config::{Cli, LogFormat};
use hourglass_server::{cli, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let Cli {
        log_format,
        command,
    } = Cli::parse();
    telemetry::init(log_format);
    match cli::execute(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole cause chain on one line, e.g. "cannot apply the database
            // migrations: cannot connect to the database: Connection refused".
            match log_format {
                // Not `eprintln!`, which panics when stderr is closed.
                LogFormat::Pretty => {
                    let _ignored = writeln!(std::io::stderr(), "error: {error:#}");
                }
                LogFormat::Json => {
                    tracing::error!(error = format!("{error:#}"), "hourglass failed")
                }
            }
            ExitCode::FAILURE
        }
    }
}
