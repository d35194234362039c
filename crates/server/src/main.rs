//! The `hourglass` binary: parse the command line, set up logging, run the subcommand.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
use hourglass_server::config::{Cli, Command, LogFormat};
use hourglass_server::{cli, telemetry};

fn main() -> ExitCode {
    let Cli {
        log_format,
        command,
    } = Cli::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Command::Serve(config) = &command
        && let Some(workers) = config.http.runtime_workers
    {
        runtime.worker_threads(workers);
    }
    let runtime = match runtime.build() {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ignored = writeln!(
                std::io::stderr(),
                "error: cannot start the runtime: {error}"
            );
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(log_format, command))
}

async fn run(log_format: LogFormat, command: Command) -> ExitCode {
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
