//! Hub configuration from flags and `TENFOUR_*` environment variables (flags win).

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub bind: String,
    /// The SQLite database file; its folder is created if missing.
    pub database: PathBuf,
    /// The built PWA (Trunk's `dist/`).
    pub dist: PathBuf,
}

impl Config {
    pub const USAGE: &'static str =
        "usage: tenfour-hub [--bind ADDR] [--database FILE] [--dist DIR]
  --bind ADDR      listen address (env TENFOUR_BIND, default 127.0.0.1:8080)
  --database FILE  SQLite database (env TENFOUR_DATABASE, default data/tenfour.db)
  --dist DIR       built app to serve (env TENFOUR_DIST, default dist)";

    pub fn from_env_and_args(args: impl IntoIterator<Item = String>) -> Result<Config, String> {
        let env = |key: &str, default: &str| std::env::var(key).unwrap_or_else(|_| default.into());
        let mut config = Config {
            bind: env("TENFOUR_BIND", "127.0.0.1:8080"),
            database: env("TENFOUR_DATABASE", "data/tenfour.db").into(),
            dist: env("TENFOUR_DIST", "dist").into(),
        };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--bind" => config.bind = value()?,
                "--database" => config.database = value()?.into(),
                "--dist" => config.dist = value()?.into(),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(config)
    }
}
