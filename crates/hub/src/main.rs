//! The `tenfour-hub` binary: reads its configuration, opens the database and serves; or,
//! as `tenfour-hub migrate --from FILE --to postgres://…`, moves a SQLite hub's records into
//! PostgreSQL.

use std::process::ExitCode;

fn main() -> ExitCode {
    return_large_blocks_to_the_system();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => {
            let args: Vec<String> = std::env::args().skip(1).collect();
            match args.split_first() {
                Some((command, rest)) if command == "migrate" => runtime.block_on(migrate(rest)),
                _ => runtime.block_on(serve(args)),
            }
        }
        Err(err) => {
            eprintln!("tenfour-hub: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

/// glibc raises its mmap threshold after freeing a large block, and from then on keeps large
/// blocks (each password check's 19 MiB) in arenas it rarely gives back: the hub sat at
/// 145 MB after seeding and 345 MB after 128 sign-ins. A fixed 1 MiB threshold maps such
/// blocks and unmaps them when freed: 10 MB and 16 MB.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_system() {
    // SAFETY: `mallopt` only tunes the allocator, and runs before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_system() {}

async fn migrate(args: &[String]) -> ExitCode {
    use tenfour_hub::migrate::{self, MigrateError};
    let (from, to) = match migrate::parse_args(args) {
        Ok(paths) => paths,
        Err(err) => {
            eprintln!("tenfour-hub migrate: {err}\n\n{}", migrate::USAGE);
            return ExitCode::from(2);
        }
    };
    println!(
        "copying {} into {}",
        from.display(),
        tenfour_hub::db::Location::parse(&to)
    );
    match migrate::run(from, to).await {
        Ok(copied) => {
            for (table, rows) in &copied {
                println!("  {table:<20} {rows:>9} rows");
            }
            println!("done: every table copied and its rows counted on both sides");
            ExitCode::SUCCESS
        }
        Err(err @ MigrateError::Usage(_)) => {
            eprintln!("tenfour-hub migrate: {err}\n\n{}", migrate::USAGE);
            ExitCode::from(2)
        }
        Err(err) => {
            eprintln!("tenfour-hub migrate: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Vec<String>) -> ExitCode {
    tenfour_hub::init_tracing();
    let config = match tenfour_hub::Config::from_env_and_args(args) {
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
