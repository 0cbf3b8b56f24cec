//! The `tenfour-hub` binary: reads its configuration, opens the database and serves.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tenfour_hub::init_tracing();
    let config = match tenfour_hub::Config::from_env_and_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("tenfour-hub: {message}\n\n{}", tenfour_hub::Config::USAGE);
            return ExitCode::from(2);
        }
    };
    match tenfour_hub::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "hub stopped");
            eprintln!("tenfour-hub: {err}");
            ExitCode::FAILURE
        }
    }
}
