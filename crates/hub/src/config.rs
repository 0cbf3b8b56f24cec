//! Hub configuration from flags and `TENFOUR_*` environment variables (flags win).

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub bind: String,
    /// The SQLite database file (its folder is created if missing), or a PostgreSQL URL.
    pub database: crate::db::Location,
    /// The built PWA (Trunk's `dist/`).
    pub dist: PathBuf,
    /// Seed the built-in demo agency if it does not exist.
    pub demo: bool,
    /// Agencies to seed from JSON files (see `seed.rs`), each only if its slug is new.
    pub seeds: Vec<PathBuf>,
    /// How long a sign-in lasts (a shift).
    pub session_ttl: Duration,
    /// A PEM certificate chain and key: the hub serves HTTPS itself.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// TLS ends at a proxy in front: cookies are `Secure`, HSTS is sent, and the client's
    /// address is the last one in `X-Forwarded-For`.
    pub behind_tls_proxy: bool,
    /// Live streams one agency may hold at once.
    pub max_streams_per_agency: usize,
    /// Web Push: the contact push services see, how long one delivery may take, and whether
    /// `http://` endpoints on this machine are accepted (a push service in tests).
    pub push_contact: String,
    pub push_timeout: Duration,
    pub push_allow_loopback: bool,
    /// How long every change is kept; older ones are compacted (`compaction.rs`).
    pub keep_changes: Duration,
    /// The map pack (PMTiles) of every agency that has not uploaded its own.
    pub map: Option<PathBuf>,
    /// Where agencies' uploaded packs are kept: `maps/` beside a SQLite database unless given
    /// (with PostgreSQL, `data/maps`; hubs that share a database should share this folder).
    pub maps: Option<PathBuf>,
}

impl Config {
    pub const USAGE: &'static str =
        "usage: tenfour-hub [--bind ADDR] [--database FILE|URL] [--dist DIR]
  --bind ADDR      listen address (env TENFOUR_BIND, default 127.0.0.1:8080)
  --database FILE  SQLite database (env TENFOUR_DATABASE, default data/tenfour.db), or
                   a PostgreSQL URL, postgres://USER:PASSWORD@HOST:PORT/DATABASE
  --dist DIR       built app to serve (env TENFOUR_DIST, default dist)
  --demo           create the demo agency if it does not exist, and print its sign-ins
  --seed FILE      create the agency a JSON document describes, if its slug is new
  --session-ttl S  how long a sign-in lasts, in seconds (env TENFOUR_SESSION_TTL, default 43200)
  --tls-cert FILE  serve HTTPS with this PEM certificate chain (env TENFOUR_TLS_CERT)
  --tls-key FILE   and this PEM private key (env TENFOUR_TLS_KEY); plain HTTP is redirected
  --behind-tls-proxy  TLS ends at a proxy in front (env TENFOUR_BEHIND_TLS_PROXY=1)
  --max-streams-per-agency N  live streams one agency may hold at once
                   (env TENFOUR_MAX_STREAMS_PER_AGENCY, default 20000)
  --push-contact URI  who push services may contact about this hub, mailto: or https:
                   (env TENFOUR_PUSH_CONTACT, default mailto:admin@localhost)
  --push-timeout S  how long one Web Push delivery may take (env TENFOUR_PUSH_TIMEOUT, default 10)
  --push-allow-loopback  accept http:// push endpoints on this machine (for tests)
  --keep-changes S  how long every change is kept before older copies are dropped, in seconds
                   (env TENFOUR_KEEP_CHANGES, default 604800: a week)
  --map FILE       the map pack (PMTiles, vector tiles) for agencies without their own
                   (env TENFOUR_MAP)
  --maps DIR       where the packs admins upload are kept (env TENFOUR_MAPS; default maps/
                   beside the SQLite file, or data/maps with PostgreSQL)";

    pub fn from_env_and_args(args: impl IntoIterator<Item = String>) -> Result<Config, String> {
        let env = |key: &str, default: &str| std::env::var(key).unwrap_or_else(|_| default.into());
        let mut config = Config {
            bind: env("TENFOUR_BIND", "127.0.0.1:8080"),
            database: crate::db::Location::parse(&env("TENFOUR_DATABASE", "data/tenfour.db")),
            dist: env("TENFOUR_DIST", "dist").into(),
            demo: false,
            seeds: Vec::new(),
            session_ttl: Duration::from_secs(parse_secs(&env("TENFOUR_SESSION_TTL", "43200"))?),
            tls: None,
            behind_tls_proxy: matches!(env("TENFOUR_BEHIND_TLS_PROXY", "").as_str(), "1" | "true"),
            max_streams_per_agency: parse_count(&env(
                "TENFOUR_MAX_STREAMS_PER_AGENCY",
                &crate::sessions::STREAMS_PER_AGENCY.to_string(),
            ))?,
            push_contact: env("TENFOUR_PUSH_CONTACT", "mailto:admin@localhost"),
            push_timeout: Duration::from_secs(parse_secs(&env("TENFOUR_PUSH_TIMEOUT", "10"))?),
            push_allow_loopback: false,
            keep_changes: Duration::from_secs(parse_secs(&env(
                "TENFOUR_KEEP_CHANGES",
                &crate::compaction::KEEP_DEFAULT.as_secs().to_string(),
            ))?),
            map: std::env::var_os("TENFOUR_MAP").map(PathBuf::from),
            maps: std::env::var_os("TENFOUR_MAPS").map(PathBuf::from),
        };
        let mut cert = std::env::var_os("TENFOUR_TLS_CERT").map(PathBuf::from);
        let mut key = std::env::var_os("TENFOUR_TLS_KEY").map(PathBuf::from);
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--bind" => config.bind = value()?,
                "--database" => config.database = crate::db::Location::parse(&value()?),
                "--dist" => config.dist = value()?.into(),
                "--seed" => config.seeds.push(value()?.into()),
                "--session-ttl" => config.session_ttl = Duration::from_secs(parse_secs(&value()?)?),
                "--demo" => config.demo = true,
                "--tls-cert" => cert = Some(value()?.into()),
                "--tls-key" => key = Some(value()?.into()),
                "--behind-tls-proxy" => config.behind_tls_proxy = true,
                "--max-streams-per-agency" => {
                    config.max_streams_per_agency = parse_count(&value()?)?
                }
                "--push-contact" => config.push_contact = value()?,
                "--push-timeout" => {
                    config.push_timeout = Duration::from_secs(parse_secs(&value()?)?)
                }
                "--push-allow-loopback" => config.push_allow_loopback = true,
                "--keep-changes" => {
                    config.keep_changes = Duration::from_secs(parse_secs(&value()?)?)
                }
                "--map" => config.map = Some(value()?.into()),
                "--maps" => config.maps = Some(value()?.into()),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        config.tls = match (cert, key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => return Err("give both --tls-cert and --tls-key, or neither".into()),
        };
        if !(config.push_contact.starts_with("mailto:")
            || config.push_contact.starts_with("https:"))
        {
            return Err(format!(
                "push contact {:?} must start with mailto: or https:",
                config.push_contact
            ));
        }
        if config.tls.is_some() && config.behind_tls_proxy {
            return Err("choose one: --tls-cert/--tls-key, or --behind-tls-proxy".into());
        }
        Ok(config)
    }
}

fn parse_secs(text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a whole number of seconds"))
}

fn parse_count(text: &str) -> Result<usize, String> {
    match text.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("stream cap {text:?} is not a whole number above 0")),
    }
}
