//! carto-emulator: a local CARTO-compatible HTTP server on a private PostgreSQL/PostGIS
//! cluster. See emulator/README.md for flags, the default account and the admin API.

mod admin;
mod api;
mod http;
mod oauth;
mod pg;
mod router;
mod state;
mod testing;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Instant;

use clap::Parser;

use crate::http::tls;
use crate::pg::accounts::AccountsFile;
use crate::pg::dirs::{self, ClusterDir, FileLock};
use crate::pg::install::{PgInstall, RunAs};
use crate::pg::server::{self, Postgres};
use crate::pg::template;
use crate::pg::{accounts, db, provision};
use crate::state::jobs;
use crate::state::App;
use crate::testing::{faults, info, rate_limit, request_log};

/// A local CARTO-compatible server (SQL, Batch, COPY, Auth APIs) on a private PostgreSQL/PostGIS
/// cluster. Prints its root URL as the first line of stdout.
#[derive(Parser, Debug)]
#[command(name = "carto-emulator", version)]
struct Cli {
    /// TCP port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Persistent data directory (default: /var/tmp/carto-emulator-0/data as root, else
    /// $XDG_DATA_HOME/carto-emulator or ~/.local/share/carto-emulator).
    #[arg(long, conflicts_with = "fresh")]
    data_dir: Option<PathBuf>,
    /// Use a new temporary data directory, removed at shutdown.
    #[arg(long)]
    fresh: bool,
    /// Where the pristine template cluster is cached (default: /var/tmp/carto-emulator-0 as
    /// root, else $XDG_CACHE_HOME/carto-emulator or ~/.cache/carto-emulator).
    #[arg(long)]
    template_dir: Option<PathBuf>,
    /// Accounts definition (JSON); default: the built-in `demo` account.
    #[arg(long)]
    accounts: Option<PathBuf>,
    /// Directory of the PostgreSQL server binaries (initdb, postgres).
    #[arg(long, env = "CARTO_EMULATOR_PG_BIN")]
    pg_bin: Option<PathBuf>,
    /// When run as root, the unprivileged user PostgreSQL runs as.
    #[arg(long, default_value = "nobody")]
    pg_user: String,
    /// Serve HTTPS with a certificate generated at start (CA written to --ca-cert-out).
    #[arg(long)]
    tls: bool,
    /// Where to write the CA certificate with --tls (default: <data dir>/ca.pem).
    #[arg(long)]
    ca_cert_out: Option<PathBuf>,
    /// Token of the /_emulator admin API (default: random, see the info file).
    #[arg(long, env = "CARTO_EMULATOR_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Statement timeout of SQL API queries in milliseconds (0 disables).
    #[arg(long, default_value_t = 300_000)]
    statement_timeout_ms: u64,
    /// Also append the request log to this file as JSON lines.
    #[arg(long)]
    request_log: Option<PathBuf>,
    /// Print each request (the redacted request log entry) to stderr.
    #[arg(long)]
    verbose: bool,
    /// Write the info JSON here when ready (default: <data dir>/info.json).
    #[arg(long)]
    info_file: Option<PathBuf>,
    /// Shut down when standard input reaches end of file (for test harnesses).
    #[arg(long)]
    exit_on_stdin_eof: bool,
    /// Print the built-in accounts definition (a starting point for --accounts) and exit.
    #[arg(long)]
    print_default_accounts: bool,
    #[command(flatten)]
    carto3: Carto3Args,
}

/// CARTO 3 (see emulator/README.md): off unless `--carto3`.
#[derive(clap::Args, Debug)]
struct Carto3Args {
    /// Also serve CARTO 3: the OAuth issuer (/authorize, /oauth/token, JWKS), discovery
    /// (/accounts, /config.yaml) and the v3 API (/v3/...).
    #[arg(long = "carto3")]
    enabled: bool,
    /// Lifetime of the access tokens the issuer mints, in seconds.
    #[arg(long = "carto3-token-lifetime-s", default_value_t = 86_400,
          value_parser = clap::value_parser!(u64).range(1..))]
    token_lifetime_s: u64,
    /// Tokens each OAuth client may mint per quota period; then 429 (default: unlimited).
    #[arg(long = "carto3-mint-quota")]
    mint_quota: Option<u32>,
    /// The quota period in seconds (CARTO's quota is daily).
    #[arg(long = "carto3-mint-quota-period-s", default_value_t = 86_400,
          value_parser = clap::value_parser!(u64).range(1..))]
    mint_quota_period_s: u64,
    /// Host names in CARTO 3's URLs and tokens: `loopback` (127.0.0.1:PORT) or `carto`
    /// (auth.carto.com, accounts.app.carto.com, clausa.app.carto.com and
    /// gcp-us-east1.api.carto.com, for tests that map those names to 127.0.0.1).
    #[arg(long = "carto3-hosts", value_enum, default_value_t = HostsArg::Loopback)]
    hosts: HostsArg,
    /// Statement timeout of `/v3/sql/{connection}/query` in milliseconds (CARTO: one minute).
    #[arg(long = "carto3-statement-timeout-ms", default_value_t = 60_000)]
    sql_statement_timeout_ms: u64,
    /// Rows `/v3/sql/{connection}/query` returns at most (CARTO: 200,000).
    #[arg(long = "carto3-max-rows", default_value_t = 200_000)]
    sql_max_rows: u64,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum HostsArg {
    Loopback,
    Carto,
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("carto-emulator: error: {msg}");
    std::process::exit(1);
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if cli.print_default_accounts {
        println!("{}", accounts::DEFAULT_ACCOUNTS_JSON);
        return;
    }
    let started = Instant::now();
    // Registered first, so a SIGTERM during startup still ends in a clean shutdown (once the
    // cluster is up) rather than leaving a temporary data directory behind.
    let signals = Signals::new();
    // The RSA key pair takes a moment to generate: do it while PostgreSQL starts.
    let carto3_keys = cli
        .carto3
        .enabled
        .then(|| std::thread::spawn(oauth::keys::Keys::generate));
    // Everything that must run before the server is up, including postgres itself, runs on
    // this (main) thread: postgres gets SIGQUIT if this thread dies.
    let (mut postgres, mut cleanup, prepared) = match prepare(&cli) {
        Ok(v) => v,
        Err(e) => fail(e),
    };
    let started_with = Started {
        at: started,
        signals,
        carto3_keys,
    };
    let code = match serve(&cli, &prepared, &postgres, &mut cleanup, started_with).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("carto-emulator: error: {e}");
            1
        }
    };
    if let Err(e) = postgres.stop() {
        eprintln!("carto-emulator: {e}");
    }
    cleanup.run();
    std::process::exit(code);
}

/// Things to remove at exit: the info file, and the whole data dir of a --fresh run.
struct Cleanup {
    files: Vec<PathBuf>,
    fresh_dir: Option<tempfile::TempDir>,
    _lock: Option<FileLock>,
}

impl Cleanup {
    fn run(&mut self) {
        for f in self.files.drain(..) {
            let _ = std::fs::remove_file(f);
        }
        self._lock = None;
        if let Some(d) = self.fresh_dir.take() {
            let _ = d.close();
        }
    }
}

/// What `main` began before the cluster was up.
struct Started {
    at: Instant,
    signals: Signals,
    carto3_keys: Option<std::thread::JoinHandle<Result<oauth::keys::Keys, String>>>,
}

struct Prepared {
    pg: PgInstall,
    dir: ClusterDir,
    accounts: AccountsFile,
}

fn prepare(cli: &Cli) -> Result<(Postgres, Cleanup, Prepared), String> {
    let accounts = match &cli.accounts {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read --accounts {}: {e}", p.display()))?;
            AccountsFile::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => AccountsFile::builtin(),
    };
    let pg = PgInstall::locate(cli.pg_bin.as_deref())?;
    pg.check_postgis()?;
    let run_as = RunAs::for_current_process(&cli.pg_user)?;

    let mut cleanup = Cleanup {
        files: Vec::new(),
        fresh_dir: None,
        _lock: None,
    };
    let root = if cli.fresh {
        let base = if run_as.is_some() {
            PathBuf::from("/var/tmp")
        } else {
            std::env::temp_dir()
        };
        dirs::remove_stale_fresh_dirs(&base, "carto-emulator-");
        let tmp = tempfile::Builder::new()
            .prefix("carto-emulator-")
            .tempdir_in(&base)
            .map_err(|e| {
                format!(
                    "cannot create a temporary directory in {}: {e}",
                    base.display()
                )
            })?;
        let path = tmp.path().to_path_buf();
        cleanup.fresh_dir = Some(tmp);
        path
    } else {
        cli.data_dir.clone().unwrap_or_else(dirs::default_data_dir)
    };
    dirs::make_traversable_dir(&root)?;
    if let Some(parent) = root.parent() {
        let _ = dirs::make_traversable_dir(parent);
    }
    cleanup._lock = Some(
        FileLock::acquire(&root.join("emulator.lock"), false)?.ok_or_else(|| {
            format!(
                "the data directory {} is in use by another carto-emulator; use --fresh or another --data-dir",
                root.display()
            )
        })?,
    );
    if let Some(r) = run_as {
        r.check_reachable(&root)?;
    }
    let dir = ClusterDir { root };
    if !dir.is_initialized() {
        let template_root = cli
            .template_dir
            .clone()
            .unwrap_or_else(dirs::default_cache_root);
        let template =
            template::ensure_template(&pg, run_as, &template_root, provision::TEMPLATE_SETUP_SQL)?;
        template::copy_template(&template, &dir)?;
    }
    let postgres = Postgres::start(&pg, run_as, &dir)?;
    Ok((postgres, cleanup, Prepared { pg, dir, accounts }))
}

async fn serve(
    cli: &Cli,
    prepared: &Prepared,
    postgres: &Postgres,
    cleanup: &mut Cleanup,
    started: Started,
) -> Result<(), String> {
    let Started {
        at: started,
        mut signals,
        carto3_keys,
    } = started;
    let pool = db::Pool::new(postgres.socket_dir(), cli.statement_timeout_ms);
    let registry = {
        let su = pool
            .connect(server::SUPERUSER)
            .await
            .map_err(|e| format!("connecting to the cluster: {e}"))?;
        provision::provision(&pool, &su.client, &prepared.accounts).await?
    };

    let admin_token = cli
        .admin_token
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(accounts::random_token);
    let log = request_log::RequestLog::new(cli.request_log.as_deref(), cli.verbose)?;
    let rate = rate_limit::RateLimiter::default();
    for (name, def) in prepared.accounts.users.iter().map(|u| (&u.username, u)) {
        for k in &def.keys {
            if let Some(rl) = k.rate_limit {
                rate.set(name, &k.name, Some(rl));
            }
        }
    }
    let scheme = if cli.tls { "https" } else { "http" };
    let listener = std::net::TcpListener::bind(("127.0.0.1", cli.port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", cli.port))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let root_url = format!("{scheme}://127.0.0.1:{port}");
    let carto3 = match carto3_keys {
        Some(handle) => {
            let keys = handle
                .join()
                .map_err(|_| "the key generation thread panicked".to_string())??;
            Some(carto3_state(
                &cli.carto3,
                scheme,
                port,
                &prepared.accounts,
                keys,
            ))
        }
        None => None,
    };
    let app = Arc::new(App {
        registry: RwLock::new(registry),
        pool: pool.clone(),
        rate,
        faults: faults::Faults::default(),
        log,
        jobs: jobs::Jobs::default(),
        admin_token: admin_token.clone(),
        scheme,
        root_url: OnceLock::new(),
        info: OnceLock::new(),
        shutdown: tokio::sync::Notify::new(),
        keys_lock: tokio::sync::Mutex::new(()),
        carto3,
    });
    let _ = app.root_url.set(root_url.clone());

    let router = axum::Router::new()
        .fallback(router::dispatch)
        .with_state(app.clone());
    let make = router.into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let mut ca_path: Option<PathBuf> = None;
    let server = if cli.tls {
        let names = app
            .carto3
            .as_ref()
            .map(|c| c.identity.issuer.settings.host_names())
            .unwrap_or_default();
        let material = tls::generate(&names)?;
        let path = cli
            .ca_cert_out
            .clone()
            .unwrap_or_else(|| prepared.dir.root.join("ca.pem"));
        // Public, so readable by anyone.
        info::write_atomically(&path, material.ca_pem.as_bytes(), 0o644)?;
        ca_path = Some(path);
        let config = axum_server::tls_rustls::RustlsConfig::from_config(material.server_config);
        let s = axum_server::tls_rustls::from_tcp_rustls(listener, config)
            .map_err(|e| e.to_string())?
            .handle(handle.clone());
        tokio::spawn(s.serve(make))
    } else {
        let s = axum_server::from_tcp(listener)
            .map_err(|e| e.to_string())?
            .handle(handle.clone());
        tokio::spawn(s.serve(make))
    };

    let info_path = cli
        .info_file
        .clone()
        .unwrap_or_else(|| prepared.dir.root.join("info.json"));
    let doc = info::document(
        &info::InfoInput {
            root_url: &root_url,
            port,
            scheme: app.scheme,
            admin_token: &admin_token,
            ca_cert: ca_path.as_deref(),
            data_dir: &prepared.dir.root,
            request_log: cli.request_log.as_deref(),
            pg_bin_dir: &prepared.pg.bin_dir,
            pg_major: prepared.pg.major,
            socket_dir: &postgres.socket_dir(),
            statement_timeout_ms: cli.statement_timeout_ms,
            carto3: app.carto3.as_ref().map(|c| {
                let info = c
                    .identity
                    .info(c.limits.statement_timeout_ms(), c.limits.max_rows());
                serde_json::to_value(info).expect("info serialises")
            }),
        },
        &app.registry.read().unwrap(),
    );
    let _ = app.info.set(doc.clone());
    info::write_atomically(
        &info_path,
        serde_json::to_string_pretty(&doc)
            .expect("info serialises")
            .as_bytes(),
        0o600,
    )?;
    cleanup.files.push(info_path.clone());
    if let Some(p) = &ca_path {
        cleanup.files.push(p.clone());
    }

    print_banner(
        &app,
        &root_url,
        &info_path,
        ca_path.as_deref(),
        prepared,
        started,
    );

    if cli.exit_on_stdin_eof {
        let app2 = app.clone();
        std::thread::spawn(move || {
            let mut sink = [0u8; 4096];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            app2.shutdown.notify_one();
        });
    }
    signals.wait(&app).await;
    handle.graceful_shutdown(Some(std::time::Duration::from_secs(2)));
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
    app.jobs.cancel_all();
    app.pool.purge_all();
    Ok(())
}

struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Signals {
        use tokio::signal::unix::{signal, SignalKind};
        Signals {
            term: signal(SignalKind::terminate()).expect("SIGTERM handler"),
            int: signal(SignalKind::interrupt()).expect("SIGINT handler"),
        }
    }

    /// Returns on SIGTERM, SIGINT, or a shutdown request (admin API, stdin EOF).
    async fn wait(&mut self, app: &App) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
            _ = app.shutdown.notified() => {}
        }
    }
}

/// CARTO 3's state: the issuer at the names `--carto3-hosts` chose.
fn carto3_state(
    args: &Carto3Args,
    scheme: &str,
    port: u16,
    accounts: &AccountsFile,
    keys: oauth::keys::Keys,
) -> state::carto3::Carto3 {
    let hosts = match args.hosts {
        HostsArg::Loopback => oauth::issuer::Hosts::Loopback,
        HostsArg::Carto => oauth::issuer::Hosts::Carto,
    };
    let settings = oauth::issuer::Settings {
        token_lifetime_s: args.token_lifetime_s,
        mint_quota: args.mint_quota,
        quota_period: std::time::Duration::from_secs(args.mint_quota_period_s),
        ..oauth::issuer::Settings::at(hosts, scheme, port)
    };
    state::carto3::Carto3 {
        identity: oauth::Identity {
            issuer: oauth::issuer::Issuer::new(settings, accounts.carto3_or_derived(), keys),
            api_tokens: Default::default(),
        },
        limits: state::carto3::Limits::new(args.sql_statement_timeout_ms, args.sql_max_rows),
        maps: Default::default(),
    }
}

/// The first line is the root URL (tests may read it); the rest is for people. No token is
/// ever printed.
fn print_banner(
    app: &App,
    root_url: &str,
    info_path: &Path,
    ca: Option<&Path>,
    prepared: &Prepared,
    started: Instant,
) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{root_url}");
    let _ = writeln!(
        out,
        "carto-emulator ready in {} ms: PostgreSQL {} in {}",
        started.elapsed().as_millis(),
        prepared.pg.major,
        prepared.dir.root.display()
    );
    for (name, user) in &app.registry.read().unwrap().users {
        let _ = writeln!(out, "user {name}: base URL {root_url}/user/{name}");
        for k in &user.keys {
            let _ = writeln!(out, "  key {:?} ({})", k.name, k.key_type);
        }
    }
    let _ = writeln!(
        out,
        "tokens and the admin token: {} (built-in account defaults: see emulator/README.md)",
        info_path.display()
    );
    if let Some(ca) = ca {
        let _ = writeln!(out, "CA certificate: {}", ca.display());
    }
    let _ = writeln!(out, "admin API: {root_url}/_emulator/  (stop with Ctrl-C)");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let cli =
            Cli::try_parse_from(["carto-emulator", "--carto3", "--carto3-max-rows", "5"]).unwrap();
        assert!(cli.carto3.enabled);
        assert_eq!(cli.carto3.sql_max_rows, 5);
        assert_eq!(cli.carto3.token_lifetime_s, 86_400);
        assert!(Cli::try_parse_from(["carto-emulator", "--carto3-token-lifetime-s", "0"]).is_err());
    }
}
