//! Hub configuration from flags and `TENFOUR_*` environment variables (flags win).

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub bind: String,
    /// The SQLite database file; its folder is created if missing.
    pub database: PathBuf,
    /// The built PWA (Trunk's `dist/`).
    pub dist: PathBuf,
    /// Seed the built-in demo agency if it does not exist.
    pub demo: bool,
    /// Agencies to seed from JSON files (see `seed.rs`), each only if its slug is new.
    pub seeds: Vec<PathBuf>,
    /// How long a sign-in lasts (a shift).
    pub session_ttl: Duration,
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
            demo: false,
            seeds: Vec::new(),
            session_ttl: Duration::from_secs(parse_secs(&env("TENFOUR_SESSION_TTL", "43200"))?),
        };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--bind" => config.bind = value()?,
                "--database" => config.database = value()?.into(),
                "--dist" => config.dist = value()?.into(),
                "--seed" => config.seeds.push(value()?.into()),
                "--session-ttl" => config.session_ttl = Duration::from_secs(parse_secs(&value()?)?),
                "--demo" => config.demo = true,
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(config)
    }
}

fn parse_secs(text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("session ttl {text:?} is not a number of seconds"))
}
