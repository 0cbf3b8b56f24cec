//! `cargo xtask run | test | bench | bootstrap`: everything a fresh machine needs, in one place.
//!
//! Each step checks what is there before it installs anything, so a second run takes seconds.

mod api;
mod app;
mod bootstrap;
mod first_run;
mod fuzz;
mod http;
mod hub;
mod postgres;
mod scale;
mod sh;
mod tally;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  run [--bind ADDR]   install what is missing, build the app, start the hub on SQLite (./data)
                      with a demo agency and print the URL (default 127.0.0.1:8080)
  run --scale N       the same with N hubs on PostgreSQL (its data in ./data/postgres) behind
                      nginx (deploy/nginx.conf) on that address
  test [LAYER...]     install what is missing, then run every test layer, or only the ones
                      named: lint, native, postgres, wasm, fuzz, api, e2e, first-run
  bench               build release binaries and print the figures that matter
  soak [MINUTES] [UNITS]  a fleet (default 2,000 units) connected for MINUTES (default 30):
                      pushes, reconnects, memory and files sampled each minute; the figures
                      go into BENCHMARKS.md's Soak section
  chaos [N]           the chaos end-to-end test with N actions (default 1000)
  fuzz [SECONDS]      coverage-guided fuzzing (cargo fuzz, libFuzzer) of every target in
                      crates/fuzz for SECONDS each (default 60); `test` runs each for 10
  props [CASES]       the decoder property tests with many more cases (default 3,000,000)
  bootstrap           only install what is missing";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("bench") => bench(),
        Some("soak") => soak(&args[1..]),
        Some("chaos") => chaos(&args[1..]),
        Some("fuzz") => fuzz(&args[1..]),
        Some("props") => props(&args[1..]),
        Some("bootstrap") => bootstrap::ensure_all(&root()).map(|_| ()),
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives one level below it). Read at run time: `cargo run` sets
/// CARGO_MANIFEST_DIR for the process, while the compile-time value can name another clone
/// that built this binary into a shared target directory.
fn root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest
        .parent()
        .map_or(manifest.clone(), Path::to_path_buf)
}

fn run(args: &[String]) -> Result<(), String> {
    let mut bind = std::env::var("TENFOUR_BIND").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let mut scale = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--bind" => bind = rest.next().ok_or("--bind needs an address")?.clone(),
            "--scale" => {
                let n = rest.next().ok_or("--scale needs a number of hubs")?;
                scale = Some(
                    n.parse::<usize>()
                        .ok()
                        .filter(|n| (1..=16).contains(n))
                        .ok_or_else(|| format!("--scale {n:?}: give 1 to 16 hubs"))?,
                );
            }
            other => return Err(format!("unknown argument to run: {other:?}")),
        }
    }
    let root = root();
    let tools = bootstrap::ensure_all(&root)?;
    app::build(&root, &tools)?;
    // The tests' build, not the optimised one: the demo starts minutes sooner on a new
    // machine (and at once after the tests); README.md says how to build the hub for service.
    let hub = hub::build(&root, hub::Profile::Dev)?;
    let database = std::env::var_os("TENFOUR_DATABASE")
        .map_or_else(|| root.join("data").join("tenfour.db"), PathBuf::from);
    let map = hub::demo_map(&root, &tools)?;
    if let Some(hubs) = scale {
        // The data folder: the SQLite file's (./data unless TENFOUR_DATABASE says otherwise).
        let data = database
            .parent()
            .map_or_else(|| root.join("data"), Path::to_path_buf);
        let map = map.display().to_string();
        sh::banner(&format!(
            "starting PostgreSQL, {hubs} hubs with the demo agency and nginx in front"
        ));
        let database = postgres::Server::start_kept(&data.join("postgres"))?;
        let url = database.database("tenfour")?;
        let cluster = scale::Cluster::start(
            &hub,
            &tools,
            (&bind, &url, &root.join("dist")),
            (&data.join("nginx"), &data.join("maps")),
            hubs,
            &["--demo", "--map", &map],
        )?;
        println!(
            "\nxtask: {hubs} hubs on PostgreSQL (127.0.0.1:{}) behind nginx; Ctrl-C stops them all.",
            database.port()
        );
        println!("  data:     {}", data.display());
        println!("  map:      Florence, © OpenStreetMap contributors (ODbL), tiles by Protomaps");
        println!(
            "  open {} (the demo sign-ins are above; every password is tenfour-demo)",
            cluster.url
        );
        return cluster.wait();
    }
    println!("\nxtask: starting the hub with the demo agency; Ctrl-C stops it.");
    println!("  database: {}", database.display());
    println!("  app:      {}", root.join("dist").display());
    println!("  map:      Florence, © OpenStreetMap contributors (ODbL), tiles by Protomaps");
    println!("  the hub prints its address and the demo sign-ins below; any responder may sign");
    println!("  in to any unit of the agency");
    hub::exec(
        &hub,
        &tools,
        &bind,
        &database,
        &root.join("dist"),
        &["--demo", "--map", &map.display().to_string()],
    )
}

/// Coverage-guided fuzzing of every target for SECONDS each.
fn fuzz(args: &[String]) -> Result<(), String> {
    let seconds: u64 = match args.first() {
        Some(n) => n
            .parse()
            .map_err(|_| format!("fuzz time {n:?} is not a number of seconds"))?,
        None => 60,
    };
    let root = root();
    let ran = fuzz::run_all(&root, &sh::Tools::minimal(), seconds)?;
    println!("fuzz: {ran} targets ran {seconds} s each with no failure");
    Ok(())
}

/// The decoder property tests with many more cases.
fn props(args: &[String]) -> Result<(), String> {
    let cases = args.first().map_or("3000000", String::as_str);
    let root = root();
    sh::banner(&format!("props: wire decoders, {cases} cases per property"));
    sh::run(
        sh::cargo(&root, &sh::Tools::minimal())
            .args([
                "test",
                "--release",
                "--package",
                "tenfour-protocol",
                "--test",
                "decoders",
            ])
            .env("PROPTEST_CASES", cases),
    )
}

/// The chaos spec alone, at a chosen size (`cargo xtask test` runs it small).
fn chaos(args: &[String]) -> Result<(), String> {
    let actions: u32 = match args.first() {
        Some(n) => n
            .parse()
            .map_err(|_| format!("chaos size {n:?} is not a number"))?,
        None => 1000,
    };
    let root = root();
    let tools = bootstrap::ensure_all(&root)?;
    app::build(&root, &tools)?;
    let hub_bin = hub::build(&root, hub::Profile::Dev)?;
    sh::banner(&format!("chaos: {actions} actions"));
    sh::run(
        sh::command("npx", &tools)
            .args(["playwright", "test", "specs/chaos.spec.js"])
            .current_dir(root.join("tests/e2e"))
            .env("TENFOUR_URL", "http://127.0.0.1:9")
            .env("CHAOS_ACTIONS", actions.to_string())
            .env("TENFOUR_HUB_BIN", &hub_bin)
            .env("TENFOUR_DIST", root.join("dist")),
    )
}

fn test(layers: &[String]) -> Result<(), String> {
    const ALL: [&str; 8] = [
        "lint",
        "native",
        "postgres",
        "wasm",
        "fuzz",
        "api",
        "e2e",
        "first-run",
    ];
    for layer in layers {
        if !ALL.contains(&layer.as_str()) {
            return Err(format!("unknown test layer {layer:?}; choose from {ALL:?}"));
        }
    }
    let wanted = |layer: &str| layers.is_empty() || layers.iter().any(|l| l == layer);
    let root = root();
    let mut clock = Clock::start();
    let tools = bootstrap::ensure_all(&root)?;
    clock.lap("bootstrap");
    let mut total = tally::Tally::default();
    // A check that exits 0 counts as one passed.
    let one = tally::Tally {
        passed: 1,
        ..tally::Tally::default()
    };

    if wanted("lint") {
        sh::banner("lint: cargo fmt --check, cargo clippy -D warnings (native and wasm32)");
        sh::run(sh::cargo(&root, &tools).args(["fmt", "--all", "--check"]))?;
        total.add(one);
        // With the hub's test features, so that its tests across hubs are linted too.
        sh::run(
            sh::cargo(&root, &tools)
                .args(["clippy", "--workspace", "--all-targets", "--features"])
                .arg(format!("tenfour-hub/{}", hub::TEST_FEATURES))
                .args(["--", "-D", "warnings"]),
        )?;
        total.add(one);
        sh::run(sh::cargo(&root, &tools).args([
            "clippy",
            "--package",
            "tenfour",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
        total.add(one);
        clock.lap("lint");
    }
    if wanted("native") {
        sh::banner("native tests: tenfour-protocol, tenfour-hub (real hub over HTTP), xtask");
        // The hub's tests across hubs need a PostgreSQL server: the postgres layer runs them,
        // from this same build (the hub's features as in every test build).
        total.add(tally::run(
            sh::cargo(&root, &tools)
                .args(["test", "--workspace", "--exclude", "tenfour", "--features"])
                .arg(format!("tenfour-hub/{}", hub::TEST_FEATURES))
                .args(["--", "--skip", "needs_postgres::"]),
        )?);
        clock.lap("native");
    }
    if wanted("postgres") {
        sh::banner(
            "postgres: the hub's tests again, each hub on a new database of a real PostgreSQL \
             server, and several hubs sharing one",
        );
        let server = postgres::Server::start()?;
        let result = tally::run(
            sh::cargo(&root, &tools)
                // With the tests of several hubs on one database (tests/hubs.rs).
                .args(["test", "--package", "tenfour-hub", "--features"])
                .arg(hub::TEST_FEATURES)
                .env("TENFOUR_TEST_POSTGRES", server.url())
                // The chaos test across hubs restarts the server and runs nginx in front.
                .env("TENFOUR_TEST_POSTGRES_RESTART", server.restart_command())
                .env("TENFOUR_TEST_NGINX", scale::ensure_nginx()?),
        );
        drop(server);
        total.add(result?);
        clock.lap("postgres");
    }
    if wanted("wasm") {
        sh::banner("browser tests: wasm-bindgen-test in headless Chromium (real IndexedDB)");
        total.add(tally::run(
            sh::cargo(&root, &tools)
                .args([
                    "test",
                    "--package",
                    "tenfour",
                    "--target",
                    "wasm32-unknown-unknown",
                ])
                .env(
                    "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                    "wasm-bindgen-test-runner",
                ),
        )?);
        clock.lap("wasm");
    }
    if wanted("fuzz") {
        sh::banner("fuzz: every cargo fuzz target for 10 s from its seed corpus");
        for _ in 0..fuzz::run_all(&root, &tools, 10)? {
            total.add(one);
        }
        clock.lap("fuzz");
    }
    if wanted("api") {
        sh::banner("api: Schemathesis (every check) against the hub's OpenAPI document");
        app::build(&root, &tools)?;
        let hub_bin = hub::build(&root, hub::Profile::Dev)?;
        total.add(api::check(&root, &tools, &hub_bin)?);
        clock.lap("api");
    }
    if wanted("e2e") {
        sh::banner(
            "end to end: Playwright + Chromium against a real hub serving the release build",
        );
        app::build(&root, &tools)?;
        let hub_bin = hub::build(&root, hub::Profile::Dev)?;
        let scratch = sh::Scratch::new("e2e")?;
        let map = hub::demo_map(&root, &tools)?.display().to_string();
        let running = hub::spawn(
            &hub_bin,
            &tools,
            (
                "127.0.0.1:0",
                &scratch.path().join("tenfour.db"),
                &root.join("dist"),
            ),
            &["--demo", "--map", &map],
            hub::Logs::Info,
        )?;
        let result = tally::run(
            sh::command("npx", &tools)
                .args(["playwright", "test"])
                .current_dir(root.join("tests/e2e"))
                .env("TENFOUR_URL", running.url())
                // The chaos spec runs (and kills) a hub of its own.
                .env("TENFOUR_HUB_BIN", &hub_bin)
                // The map spec starts one with the demo's map pack.
                .env("TENFOUR_DEMO_MAP", &map)
                .env("TENFOUR_DIST", root.join("dist")),
        );
        running.stop();
        total.add(result?);
        clock.lap("e2e");
    }
    if wanted("first-run") {
        sh::banner("first run: `cargo xtask run` on an empty data folder; every printed sign-in");
        for _ in 0..first_run::check(&root, &tools, None)? {
            total.add(one);
        }
        sh::banner(
            "first run, scaled: `cargo xtask run --scale 3` (PostgreSQL, 3 hubs, nginx) on an \
             empty data folder; every printed sign-in, through nginx",
        );
        for _ in 0..first_run::check(&root, &tools, Some(3))? {
            total.add(one);
        }
        clock.lap("first-run");
    }
    println!(
        "\nxtask: all requested test layers passed: {}",
        clock.summary()
    );
    // Last, alone on its line: what every layer counted.
    println!("xtask: {}", total.line());
    Ok(())
}

/// How long each step of a test run took, for the summary line.
struct Clock {
    since: std::time::Instant,
    laps: Vec<(&'static str, std::time::Duration)>,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            since: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, step: &'static str) {
        let now = std::time::Instant::now();
        self.laps.push((step, now - self.since));
        self.since = now;
    }

    /// `lint (2m 05s), native (4m 10s), …; 21m 30s in all`.
    fn summary(&self) -> String {
        let shown =
            |d: std::time::Duration| format!("{}m {:02}s", d.as_secs() / 60, d.as_secs() % 60);
        let steps: Vec<String> = self
            .laps
            .iter()
            .filter(|(step, _)| *step != "bootstrap")
            .map(|(step, took)| format!("{step} ({})", shown(*took)))
            .collect();
        let all = self.laps.iter().map(|(_, took)| *took).sum();
        let bootstrap = self.laps.iter().find(|(step, _)| *step == "bootstrap");
        format!(
            "{}; tools checked in {}, {} in all",
            steps.join(", "),
            shown(bootstrap.map_or_else(Default::default, |(_, took)| *took)),
            shown(all)
        )
    }
}

/// The load generator, built in the `hub` profile beside the optimized hub.
fn build_bench(root: &Path, tools: &sh::Tools, hub_bin: &Path) -> Result<PathBuf, String> {
    sh::banner("building the load generator");
    sh::run(sh::cargo(root, tools).args([
        "build",
        "--package",
        "tenfour-bench",
        "--profile",
        "hub",
    ]))?;
    Ok(hub_bin.with_file_name("tenfour-bench"))
}

fn soak(args: &[String]) -> Result<(), String> {
    let number = |i: usize, default: usize, what: &str| -> Result<usize, String> {
        args.get(i).map_or(Ok(default), |n| {
            n.parse()
                .map_err(|_| format!("soak {what} {n:?} is not a number"))
        })
    };
    let minutes = number(0, 30, "minutes")?;
    let units = number(1, 2000, "units")?;
    let root = root();
    let tools = bootstrap::ensure_all(&root)?;
    app::build(&root, &tools)?;
    let hub_bin = hub::build(&root, hub::Profile::Optimized)?;
    let bench_bin = build_bench(&root, &tools, &hub_bin)?;
    let scratch = sh::Scratch::new("soak")?;
    let seed = scratch.path().join("soak-agency.json");
    sh::run(
        sh::command(&bench_bin.display().to_string(), &tools)
            .arg("seed")
            .arg(&seed)
            .arg(units.to_string()),
    )?;
    let seed_arg = seed.display().to_string();
    let running = hub::spawn(
        &hub_bin,
        &tools,
        (
            "127.0.0.1:0",
            &scratch.path().join("soak.db"),
            &root.join("dist"),
        ),
        &["--seed", &seed_arg],
        hub::Logs::Quiet,
    )?;
    sh::banner(&format!("soak: {units} units for {minutes} minutes"));
    let figures = sh::capture(
        sh::command(&bench_bin.display().to_string(), &tools)
            .arg("soak")
            .arg(running.url())
            .arg(running.pid().to_string())
            .arg(minutes.to_string())
            .arg(units.to_string()),
    );
    running.stop();
    let figures = figures?;
    let path = root.join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_else(|_| "# tenfour benchmarks\n".into());
    let before_soak = old.find("\n## Soak").map_or(old.as_str(), |at| &old[..at]);
    let date = sh::output(std::process::Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
        .unwrap_or_default();
    let section = figures.trim_start().replacen(
        "## Soak\n",
        &format!("## Soak\n\nMeasured on {}.\n", date.trim()),
        1,
    );
    std::fs::write(&path, format!("{}\n\n{}", before_soak.trim_end(), section))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("\nxtask: soak figures written to BENCHMARKS.md");
    Ok(())
}

fn bench() -> Result<(), String> {
    let root = root();
    let tools = bootstrap::ensure_all(&root)?;
    app::build(&root, &tools)?;
    let mut report = String::new();
    report.push_str(&first_load_table(&root)?);
    report.push_str(&board_load_table(&root)?);
    report.push_str(&map_code_table(&root)?);

    let hub_bin = hub::build(&root, hub::Profile::Optimized)?;
    let bench_bin = build_bench(&root, &tools, &hub_bin)?;
    let scratch = sh::Scratch::new("bench")?;
    let seed = scratch.path().join("bench-agency.json");
    sh::run(
        sh::command(&bench_bin.display().to_string(), &tools)
            .arg("seed")
            .arg(&seed)
            // The largest field-to-board level; the other scenarios use the first 2,000.
            .arg("10000"),
    )?;
    let seed_arg = seed.display().to_string();
    let running = hub::spawn(
        &hub_bin,
        &tools,
        (
            "127.0.0.1:0",
            &scratch.path().join("bench.db"),
            &root.join("dist"),
        ),
        &["--demo", "--seed", &seed_arg],
        hub::Logs::Info,
    )?;

    let pouch = pouchdb_server(&root, &tools, &scratch.path().join("pouchdb"))?;

    sh::banner("hub beside pouchdb-server: ingest, reconnect drain, field to board");
    let hub_figures = sh::capture(
        sh::command(&bench_bin.display().to_string(), &tools)
            .arg("run")
            .arg(running.url())
            .arg(running.pid().to_string())
            .arg(&pouch.url)
            .arg(pouch.child.id().to_string()),
    );
    drop(pouch);
    sh::banner("device: offline cold start and tap to durable (Chromium)");
    let device = sh::capture(
        sh::command("npx", &tools)
            .args(["playwright", "test", "-c", "playwright.bench.config.js"])
            .current_dir(root.join("tests/e2e"))
            .env("TENFOUR_URL", running.url())
            // The map benchmark runs a hub of its own with the demo's map pack.
            .env("TENFOUR_HUB_BIN", &hub_bin)
            .env("TENFOUR_DIST", root.join("dist"))
            .env("TENFOUR_DEMO_MAP", hub::demo_map(&root, &tools)?),
    );
    sh::banner(
        "accessibility: Lighthouse 12 on the sign-in page, the responder's screens and the board",
    );
    let accessibility = lighthouse_table(&root, &tools, running.url());
    running.stop();
    sh::banner(
        "past one machine: one hub on SQLite, one on PostgreSQL, three behind nginx (2,000 units)",
    );
    let scaled = scale_table(&root, &tools, (&hub_bin, &bench_bin), &seed_arg, &scratch);
    sh::banner("a year of history: a new device's first sync, before and after compaction");
    let history = history_table(&root, &tools, (&hub_bin, &bench_bin), &scratch);
    report.push_str(&hub_figures?);
    let device = device?;
    report.push_str(&device_table(&device)?);
    report.push_str(&storage_table(&device)?);
    report.push_str(&accessibility?);
    report.push_str(&scaled?);
    report.push_str(&history?);

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = sh::output(std::process::Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
        .unwrap_or_default();
    let document = format!(
        "# tenfour benchmarks\n\nMeasured by `cargo xtask bench` on {} ({cores} cores). Figures, not \
         verdicts: compare them with the previous run.\n{report}",
        date.trim()
    );
    println!("{document}");
    // The soak has its own command and takes half an hour: keep its last figures.
    let kept_soak = std::fs::read_to_string(root.join("BENCHMARKS.md"))
        .ok()
        .and_then(|old| old.find("\n## Soak").map(|at| old[at..].to_owned()))
        .unwrap_or_default();
    let document = format!("{document}{kept_soak}");
    std::fs::write(root.join("BENCHMARKS.md"), &document)
        .map_err(|e| format!("cannot write BENCHMARKS.md: {e}"))
}

/// The same load on one hub on SQLite, one on PostgreSQL, one on PostgreSQL behind nginx
/// (what the proxy's hop costs) and three on PostgreSQL behind nginx, each with the bench
/// agency on a database of its own.
fn scale_table(
    root: &Path,
    tools: &sh::Tools,
    (hub_bin, bench_bin): (&Path, &Path),
    seed: &str,
    scratch: &sh::Scratch,
) -> Result<String, String> {
    let dist = root.join("dist");
    let args = ["--seed", seed];
    let sqlite = hub::spawn(
        hub_bin,
        tools,
        ("127.0.0.1:0", &scratch.path().join("scale.db"), &dist),
        &args,
        hub::Logs::Quiet,
    )?;
    let server = postgres::Server::start()?;
    let one = server.database("one_hub")?;
    let postgres = hub::spawn(
        hub_bin,
        tools,
        ("127.0.0.1:0", Path::new(&one), &dist),
        &args,
        hub::Logs::Quiet,
    )?;
    let behind_nginx = |hubs: usize| -> Result<scale::Cluster, String> {
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?;
        let database = server.database(&format!("hubs_{hubs}"))?;
        let state = scratch.path().join(format!("nginx-{hubs}"));
        scale::Cluster::start(
            hub_bin,
            tools,
            (&free.to_string(), &database, &dist),
            (&state, &scratch.path().join("maps")),
            hubs,
            &args,
        )
    };
    let proxied = behind_nginx(1)?;
    let cluster = behind_nginx(3)?;
    let figures = sh::capture(
        sh::command(&bench_bin.display().to_string(), tools)
            .arg("scale")
            .args(["1 hub, SQLite", sqlite.url(), &sqlite.pid().to_string()])
            .args([
                "1 hub, PostgreSQL",
                postgres.url(),
                &postgres.pid().to_string(),
            ])
            .args([
                "1 hub, PostgreSQL, nginx",
                &proxied.url,
                &proxied.hubs[0].pid().to_string(),
            ])
            .args([
                "3 hubs, PostgreSQL, nginx",
                &cluster.url,
                &cluster.hubs[0].pid().to_string(),
            ]),
    );
    drop(cluster);
    drop(proxied);
    postgres.stop();
    sqlite.stop();
    drop(server);
    figures
}

/// Writes a simulated year into the bench database (1,050,000 changes), then times a new
/// device's first sync on a hub that keeps the whole year and on one that compacted it at
/// start (the default week kept); returns the Markdown section.
fn history_table(
    root: &Path,
    tools: &sh::Tools,
    (hub_bin, bench_bin): (&Path, &Path),
    scratch: &sh::Scratch,
) -> Result<String, String> {
    let bench = || sh::command(&bench_bin.display().to_string(), tools);
    let database = scratch.path().join("bench.db");
    let written = sh::capture(bench().arg("history").arg(&database))?;
    let mut rows = Vec::new();
    // Ten years kept: nothing compacted, the year's history is all there.
    for (label, keep) in [
        ("the whole year kept", Some("315360000")),
        ("compacted (a week kept, the default)", None),
    ] {
        let args: Vec<&str> = keep.map_or(Vec::new(), |k| vec!["--keep-changes", k]);
        let started = std::time::Instant::now();
        let running = hub::spawn(
            hub_bin,
            tools,
            ("127.0.0.1:0", &database, &root.join("dist")),
            &args,
            hub::Logs::Info,
        )?;
        let start_s = started.elapsed().as_secs_f64();
        let measured = sh::capture(bench().arg("first-sync").arg(running.url()));
        let log = sh::capture(bench().arg("log").arg(&database));
        running.stop();
        let (measured, log) = (measured?, log?);
        let figure = |role: &str, key: &str| -> String {
            measured
                .lines()
                .find(|l| l.starts_with(&format!("first-sync {role} ")))
                .and_then(|l| {
                    l.split_whitespace()
                        .find_map(|w| w.strip_prefix(&format!("{key}=")))
                })
                .unwrap_or("?")
                .to_owned()
        };
        let kb = |role: &str| {
            figure(role, "bytes")
                .parse::<f64>()
                .map_or("?".into(), |b| format!("{:.0} KB", b / 1000.0))
        };
        rows.push(format!(
            "| {label} | {} | {start_s:.1} s | {} ms, {}, {} changes | {} ms, {}, {} changes |",
            log.trim(),
            figure("responder", "ms"),
            kb("responder"),
            figure("responder", "changes"),
            figure("dispatcher", "ms"),
            kb("dispatcher"),
            figure("dispatcher", "changes"),
        ));
    }
    Ok(format!(
        "\n## A new device's first sync after a year of history\n\n{}\n\
         Target: a responder's first sync ≤ 2 s and ≤ 1 MB. Before this, a new device pulled \
         every change since the agency began (the whole log above, page by page).\n\n\
         | log | changes held, size | hub start | responder's first sync | dispatcher's first sync |\n\
         |---|---|---|---|---|\n{}\n",
        written.trim(),
        rows.join("\n")
    ))
}

/// `pouchdb-server` (LevelDB on disk, as it runs by default), stopped when dropped.
struct Background {
    child: std::process::Child,
    url: String,
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Installs (first time only) and starts pouchdb-server on a free port with its files in
/// `dir`; the load generator waits until it answers.
fn pouchdb_server(root: &Path, tools: &sh::Tools, dir: &Path) -> Result<Background, String> {
    let package = root.join("crates/bench/pouchdb-server");
    bootstrap::ensure_npm_dir(&package, "pouchdb-server 4.2.0 (benchmarks only)")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port for pouchdb-server: {e}"))?
        .port();
    let server = package.join("node_modules/pouchdb-server/bin/pouchdb-server");
    let log_path = dir.join("console.log");
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let child = sh::command("node", tools)
        .arg(server)
        .args([
            "--port",
            &port.to_string(),
            "--no-stdout-logs",
            "--no-color",
        ])
        .arg("--dir")
        .arg(dir)
        .arg("--config")
        .arg(dir.join("config.json"))
        .current_dir(dir)
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start pouchdb-server: {e}"))?;
    Ok(Background {
        child,
        url: format!("http://127.0.0.1:{port}"),
    })
}

/// Lighthouse accessibility scores of the screens people work on, signed in (installs
/// Lighthouse from `crates/bench/lighthouse/package-lock.json` the first time).
fn lighthouse_table(root: &Path, tools: &sh::Tools, url: &str) -> Result<String, String> {
    let package = root.join("crates/bench/lighthouse");
    bootstrap::ensure_npm_dir(&package, "lighthouse 12.8.2 (benchmarks only)")?;
    let output = sh::capture(
        sh::command("node", tools)
            .arg(package.join("a11y.js"))
            .current_dir(&package)
            .env("TENFOUR_URL", url),
    )?;
    let rows: Vec<&str> = output
        .lines()
        .filter_map(|l| l.trim().strip_prefix("LIGHTHOUSE_ROW "))
        .collect();
    if rows.is_empty() {
        return Err("the Lighthouse run printed no scores".into());
    }
    let mut table = String::from(
        "\n### Accessibility (Lighthouse 12, signed in)\n\n| screen | score | failing audits |\n|---|---:|---|\n",
    );
    for row in rows {
        table.push_str(row);
        table.push('\n');
    }
    Ok(table)
}

/// Brotli sizes of what a first visit fetches, as the hub serves them.
/// The map's code: not part of the first load (it loads when a map opens), precached by the
/// service worker for offline use.
fn map_code_table(root: &Path) -> Result<String, String> {
    transfer_table(
        &root.join("dist").join("map"),
        "map/",
        "Map code (loaded when a map first opens, precached for offline)",
        |name| !name.ends_with(".br") && !name.ends_with(".gz"),
    )
}

/// The field app: what a responder's phone fetches before its first screen.
fn first_load_table(root: &Path) -> Result<String, String> {
    transfer_table(
        &root.join("dist"),
        "",
        "First-load transfer, field app (brotli, as the hub serves it; target 150 KB)",
        loaded_first,
    )
}

/// The board and administration, their own bundle: what a dispatcher's first visit adds
/// (the manifest and icons are the field app's).
fn board_load_table(root: &Path) -> Result<String, String> {
    transfer_table(
        &root.join("dist").join("board"),
        "board/",
        "First-load transfer, board (dispatchers and administrators; brotli)",
        loaded_first,
    )
}

fn loaded_first(name: &str) -> bool {
    name != "sw.js"
        && [".wasm", ".js", ".css", ".html", ".webmanifest"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// The raw and brotli sizes of the files in `folder` that `wanted` names, as a table.
fn transfer_table(
    folder: &Path,
    prefix: &str,
    title: &str,
    wanted: impl Fn(&str) -> bool,
) -> Result<String, String> {
    let mut rows = Vec::new();
    for entry in
        std::fs::read_dir(folder).map_err(|e| format!("cannot read {}: {e}", folder.display()))?
    {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if !path.is_file() || !wanted(&name) {
            continue;
        }
        let raw = file_len(&path)?;
        let br = file_len(&path.with_file_name(format!("{name}.br")))?;
        rows.push((name, raw, br));
    }
    rows.sort();
    let mut table = format!("\n### {title}\n\n| file | raw | brotli |\n|---|---:|---:|\n");
    for (name, raw, br) in &rows {
        table.push_str(&format!(
            "| {prefix}{name} | {} | {} |\n",
            kb(*raw),
            kb(*br)
        ));
    }
    let total: u64 = rows.iter().map(|r| r.2).sum();
    table.push_str(&format!("| **total** | | **{}** |\n", kb(total)));
    println!("{table}");
    Ok(table)
}

/// A number from a `PREFIX {json}` line of the browser benchmark's output.
fn bench_field(output: &str, prefix: &str, name: &str) -> Option<f64> {
    let line = output.lines().find_map(|l| l.trim().strip_prefix(prefix))?;
    json_number(line, name)
}

/// A number at the top of a one-line JSON object.
fn json_number(line: &str, name: &str) -> Option<f64> {
    let key = format!("\"{name}\":");
    line.split(&key)
        .nth(1)?
        .split([',', '}'])
        .next()?
        .trim()
        .parse()
        .ok()
}

/// The device figures (`BENCH {json}`) beside PouchDB's in the same Chromium (`BENCH_POUCH`).
fn device_table(output: &str) -> Result<String, String> {
    let ours = |name: &str| bench_field(output, "BENCH ", name);
    let pouch = |name: &str| bench_field(output, "BENCH_POUCH ", name);
    if ours("taps").is_none() {
        return Err("the browser benchmark printed no figures".into());
    }
    let row = |label: &str, name: &str| {
        let (a, b) = (ours(name), pouch(name));
        let show = |v: Option<f64>| v.map_or("?".to_owned(), |v| format!("{v:.1} ms"));
        let ratio = match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
            _ => "?".into(),
        };
        format!("| {label} | {} | {} | {ratio} |\n", show(a), show(b))
    };
    let mut table = format!(
        "\n### Device (Chromium, phone viewport; {} incidents and {} notes on the device)\n\n\
         | figure | tenfour | PouchDB 9 | tenfour / PouchDB |\n|---|---:|---:|---:|\n",
        ours("incidents").unwrap_or(0.0),
        ours("notes").unwrap_or(0.0)
    );
    table.push_str(&row(
        "offline cold start to first assignment, 4x CPU throttling (median of 5)",
        "cold_start_median_ms",
    ));
    table.push_str(&row("tap to durable write, p50", "commit_p50_ms"));
    table.push_str(&row("tap to durable write, p95", "commit_p95_ms"));
    table.push_str(&format!(
        "| tap to \"saved\" shown, p50 / p95 | {:.1} / {:.1} ms | | |\n",
        ours("saved_shown_p50_ms").unwrap_or(f64::NAN),
        ours("saved_shown_p95_ms").unwrap_or(f64::NAN)
    ));
    table.push_str(&format!(
        "| map screen opened offline, 4x CPU throttling, tap to streets drawn (median of 5; \
         target ≤ 1 s) | {} | | |\n",
        bench_field(output, "BENCH_MAP ", "open_median_ms")
            .map_or("?".to_owned(), |v| format!("{v:.0} ms"))
    ));
    let board = |name: &str| {
        bench_field(output, "BENCH_BOARD ", name).map_or("?".to_owned(), |v| format!("{v:.1} ms"))
    };
    table.push_str(&format!(
        "| board with 500 units and 10,000 field events, 1280×800: tap on Sign in in a new \
         browser to the board filled (median of 3; target ≤ 1 s) | {} | | |\n\
         | the same board opened again, its store filled (median of 3) | {} | | |\n\
         | board: a status change from its stream message to the unit's row, p50 / p95 \
         (target p95 ≤ 16 ms) | {} / {} | | |\n",
        board("first_sign_in_median_ms"),
        board("reopen_median_ms"),
        board("update_p50_ms"),
        board("update_p95_ms"),
    ));
    table.push_str(
        "\nPouchDB cold start: navigation, loading pouchdb.min.js, reading every document and \
         finding the active assignment; tenfour's: navigation to the assignment on screen. Tap to \
         durable write, both: from a real tap on a button to the IndexedDB commit (about 12 ms of \
         it is Chromium rendering a frame after the input event before IndexedDB runs).\n",
    );
    Ok(table)
}

/// A responder's device over 10,000 calls (`BENCH_STORAGE_ROUND {json}` a thousand), and a
/// note's change beside the whole incident (`BENCH_STORAGE {json}`).
fn storage_table(output: &str) -> Result<String, String> {
    let rounds: Vec<&str> = output
        .lines()
        .filter_map(|l| l.trim().strip_prefix("BENCH_STORAGE_ROUND "))
        .collect();
    let notes = |name: &str| bench_field(output, "BENCH_STORAGE ", name);
    let (Some(note), Some(whole)) = (notes("note_change_bytes"), notes("whole_incident_bytes"))
    else {
        return Err("the storage benchmark printed no figures".into());
    };
    let n = |line: &str, name: &str| json_number(line, name).unwrap_or(f64::NAN);
    let mut table = String::from(
        "\n### A responder's device as calls come and go (Chromium, phone viewport)\n\n\
         Calls dispatched to one unit and closed, a thousand at a time. After each thousand the \
         device's clock moves on 13 hours (it keeps a closed call for 12) and the next change \
         makes it sync. Bytes: the records' JSON in the device's IndexedDB; on disk: \
         Chromium's own estimate of what IndexedDB takes.\n\n\
         | calls so far | at the thousand's end: incidents / records / bytes | on disk | \
         after forgetting: incidents / records / bytes | on disk |\n\
         |---:|---:|---:|---:|---:|\n",
    );
    for line in &rounds {
        table.push_str(&format!(
            "| {:.0} | {:.0} / {:.0} / {} | {} | {:.0} / {:.0} / {} | {} |\n",
            n(line, "incidents_so_far"),
            n(line, "peak_incidents"),
            n(line, "peak_records"),
            kb(n(line, "peak_bytes") as u64),
            kb(n(line, "peak_on_disk") as u64),
            n(line, "incidents"),
            n(line, "records"),
            kb(n(line, "bytes") as u64),
            kb(n(line, "on_disk") as u64),
        ));
    }
    table.push_str(&format!(
        "\nA field note's change, on an incident holding {:.0} notes: **{:.0} bytes**. The whole \
         incident with its notes, which every note change carried before notes travelled as \
         themselves: {:.0} bytes ({:.0}×).\n",
        notes("notes_on_incident").unwrap_or(f64::NAN),
        note,
        whole,
        whole / note
    ));
    Ok(table)
}

fn file_len(path: &Path) -> Result<u64, String> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}
