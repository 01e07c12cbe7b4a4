//! A test harness for `carto-emulator`: start a private emulator (its own PostgreSQL cluster in
//! a temporary directory), read its info file, and drive its admin API.
//!
//! ```no_run
//! use carto_emulator::harness::{Emulator, Fault};
//! let emu = Emulator::start();
//! let base = emu.base_url("demo"); // http://127.0.0.1:PORT/user/demo
//! let key = emu.key("demo", "master");
//! emu.arm_fault(&Fault::on("/user/demo/api/v2/sql").status(503).times(1));
//! // ... run the client under test against `base` with `key` ...
//! assert!(emu.requests().iter().all(|r| !r.query.contains(&key)));
//! ```
//!
//! The binary is found through `CARTO_EMULATOR_BIN`, else as `carto-emulator` next to the
//! running test executable's target directory (build it with `cargo build -p carto-emulator`).
//! The emulator is started with `--exit-on-stdin-eof`, so it stops even if the test process
//! dies; dropping the [`Emulator`] stops it with SIGTERM. To share one emulator among the tests
//! of a test binary, keep it in a `static OnceLock<Emulator>`: it stops when that process exits.
//! Tests that change global state (faults, rate limits, the statement timeout, keys) are best
//! given their own emulator (a start takes well under a second once the template exists).
//!
//! CARTO 3: start with [`Options::carto3`] set (see [`Carto3Options`]), then read where the
//! issuer and the v3 API are with [`Emulator::carto3`] and what happened with
//! [`Emulator::carto3_counters`]:
//!
//! ```no_run
//! use std::time::Duration;
//! use carto_emulator::harness::{Carto3Options, Emulator, Options};
//! let emu = Emulator::start_with(Options {
//!     carto3: Some(Carto3Options { token_lifetime: Duration::from_secs(120), ..Default::default() }),
//!     ..Options::default()
//! });
//! let c3 = emu.carto3(); // token_url, api_base_url, the M2M client id and secret, ...
//! let token = emu.mint_m2m_token(); // or drive c3.token_url with the client under test
//! assert_eq!(emu.carto3_counters().minted_by(&c3.m2m().client_id), 1);
//! ```

mod carto3;

pub use crate::carto3::{AccountInfo, Carto3Info, Counters, M2mClientInfo, SpaClientInfo};
pub use carto3::Carto3Options;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How to start an emulator. `Options::default()` is what [`Emulator::start`] uses.
#[derive(Debug, Clone)]
pub struct Options {
    /// Serve HTTPS with a generated certificate; see [`Emulator::ca_cert`].
    pub tls: bool,
    /// An accounts definition file (`--accounts`); the built-in `demo` account otherwise.
    pub accounts_file: Option<PathBuf>,
    /// The SQL API statement timeout (`--statement-timeout-ms`).
    pub statement_timeout_ms: Option<u64>,
    /// Also write the request log as JSON lines to this file.
    pub request_log: Option<PathBuf>,
    /// The binary to run (else `CARTO_EMULATOR_BIN`, else next to the test executable).
    pub binary: Option<PathBuf>,
    /// Use (and keep) this data directory instead of a fresh temporary one.
    pub data_dir: Option<PathBuf>,
    /// More command-line arguments.
    pub extra_args: Vec<String>,
    /// How long to wait for readiness (the very first start builds a template cluster).
    pub startup_timeout: Duration,
    /// Also serve CARTO 3 (`--carto3`) with these settings.
    pub carto3: Option<Carto3Options>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tls: false,
            accounts_file: None,
            statement_timeout_ms: None,
            request_log: None,
            binary: None,
            data_dir: None,
            extra_args: Vec::new(),
            startup_timeout: Duration::from_secs(120),
            carto3: None,
        }
    }
}

pub use crate::fault::{Drip, Fault, Redirect};

/// One entry of the emulator's request log (never contains a key).
pub use crate::log_entry::Entry as LoggedRequest;

/// A running emulator; stopped (SIGTERM, then waited for) when dropped.
pub struct Emulator {
    child: Child,
    stdin: Option<ChildStdin>,
    workdir: PathBuf,
    info: Value,
    agent: ureq::Agent,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Removes the work directories of test processes that have exited (an emulator shared
/// through a `static` is never dropped, so its directory outlives the test process).
fn remove_dead_workdirs(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix("carto-emulator-harness-"))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        // SAFETY: signal 0 only asks whether the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if !alive {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

fn make_workdir() -> PathBuf {
    remove_dead_workdirs(&std::env::temp_dir());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "carto-emulator-harness-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).expect("create a harness temp dir");
    dir
}

/// Finds the emulator binary: `CARTO_EMULATOR_BIN`, else `carto-emulator` in a directory
/// above the running executable (cargo puts tests in `target/<profile>/deps/`).
pub fn find_binary() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("CARTO_EMULATOR_BIN").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("CARTO_EMULATOR_BIN={} does not exist", p.display()))
        };
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    for dir in exe.ancestors().skip(1) {
        let candidate = dir.join("carto-emulator");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(format!(
        "the carto-emulator binary was not found above {} and CARTO_EMULATOR_BIN is not set; \
         build it first with `cargo build -p carto-emulator`",
        exe.display()
    ))
}

fn agent_for(ca_cert: Option<&Path>) -> Result<ureq::Agent, String> {
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)));
    if let Some(ca) = ca_cert {
        let pem = fs::read(ca).map_err(|e| format!("reading {}: {e}", ca.display()))?;
        let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        config = config.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)))
                .build(),
        );
    }
    Ok(config.build().into())
}

impl Emulator {
    /// Starts an emulator with the built-in `demo` account; panics with the reason on failure.
    pub fn start() -> Emulator {
        Emulator::start_with(Options::default())
    }

    /// Starts an emulator with options; panics with the reason on failure.
    pub fn start_with(opts: Options) -> Emulator {
        Emulator::try_start_with(opts).unwrap_or_else(|e| panic!("carto-emulator: {e}"))
    }

    /// Starts an emulator, returning why it could not start.
    pub fn try_start_with(opts: Options) -> Result<Emulator, String> {
        let binary = match &opts.binary {
            Some(b) => b.clone(),
            None => find_binary()?,
        };
        let workdir = make_workdir();
        let info_path = workdir.join("info.json");
        let mut cmd = Command::new(&binary);
        match &opts.data_dir {
            Some(d) => cmd.arg("--data-dir").arg(d),
            None => cmd.arg("--fresh"),
        };
        cmd.arg("--exit-on-stdin-eof")
            .arg("--info-file")
            .arg(&info_path);
        if opts.tls {
            cmd.arg("--tls")
                .arg("--ca-cert-out")
                .arg(workdir.join("ca.pem"));
        }
        if let Some(a) = &opts.accounts_file {
            cmd.arg("--accounts").arg(a);
        }
        if let Some(ms) = opts.statement_timeout_ms {
            cmd.arg("--statement-timeout-ms").arg(ms.to_string());
        }
        if let Some(p) = &opts.request_log {
            cmd.arg("--request-log").arg(p);
        }
        if let Some(c3) = &opts.carto3 {
            cmd.args(c3.args());
        }
        cmd.args(&opts.extra_args);
        let stdout = fs::File::create(workdir.join("stdout.txt")).map_err(|e| e.to_string())?;
        let stderr = fs::File::create(workdir.join("stderr.txt")).map_err(|e| e.to_string())?;
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr));
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        let stdin = child.stdin.take();
        let deadline = Instant::now() + opts.startup_timeout;
        let info = loop {
            if let Ok(text) = fs::read_to_string(&info_path) {
                if let Ok(v) = serde_json::from_str::<Value>(&text) {
                    break v;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                let err = fs::read_to_string(workdir.join("stderr.txt")).unwrap_or_default();
                let _ = fs::remove_dir_all(&workdir);
                return Err(format!("exited during startup ({status}): {}", err.trim()));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let err = fs::read_to_string(workdir.join("stderr.txt")).unwrap_or_default();
                let _ = fs::remove_dir_all(&workdir);
                return Err(format!(
                    "not ready within {:?}: {}",
                    opts.startup_timeout,
                    err.trim()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let ca = info["ca_cert"].as_str().map(PathBuf::from);
        let agent = agent_for(ca.as_deref())?;
        Ok(Emulator {
            child,
            stdin,
            workdir,
            info,
            agent,
        })
    }

    /// The server's root URL, e.g. `http://127.0.0.1:41234`.
    pub fn root_url(&self) -> &str {
        self.info["root_url"].as_str().expect("root_url in info")
    }

    /// A user's base URL in the path form, e.g. `http://127.0.0.1:41234/user/demo`.
    pub fn base_url(&self, user: &str) -> String {
        self.account(user)["base_url"]
            .as_str()
            .expect("base_url")
            .to_string()
    }

    /// A user's base URL in the host form, e.g. `http://demo.localhost:41234`.
    pub fn host_base_url(&self, user: &str) -> String {
        self.account(user)["host_base_url"]
            .as_str()
            .expect("host_base_url")
            .to_string()
    }

    fn account(&self, user: &str) -> &Value {
        let a = &self.info["accounts"][user];
        assert!(!a.is_null(), "the emulator has no user {user:?}");
        a
    }

    /// The token of a user's key, by key name (e.g. `Master`, `demo_regular`) or by type
    /// (`master`, `default`, `regular`: the first key of that type). Tokens as at start.
    pub fn key(&self, user: &str, name_or_type: &str) -> String {
        let keys = self.account(user)["keys"].as_array().expect("keys");
        keys.iter()
            .find(|k| k["name"] == name_or_type)
            .or_else(|| keys.iter().find(|k| k["type"] == name_or_type))
            .and_then(|k| k["token"].as_str())
            .unwrap_or_else(|| panic!("user {user:?} has no key named or typed {name_or_type:?}"))
            .to_string()
    }

    pub fn admin_token(&self) -> &str {
        self.info["admin_token"].as_str().expect("admin_token")
    }

    /// The CA certificate (PEM file) of a `--tls` emulator.
    pub fn ca_cert(&self) -> Option<PathBuf> {
        self.info["ca_cert"].as_str().map(PathBuf::from)
    }

    /// The whole info document.
    pub fn info(&self) -> &Value {
        &self.info
    }

    /// The process id of the emulator.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An HTTP agent that trusts the emulator's CA, does not follow redirects and does not
    /// turn 4xx/5xx into errors: handy for tests.
    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let url = format!("{}/_emulator{path}", self.root_url());
        let auth = format!("Bearer {}", self.admin_token());
        let resp = match (method, body) {
            ("GET", _) => self.agent.get(&url).header("Authorization", &auth).call(),
            ("DELETE", _) => self
                .agent
                .delete(&url)
                .header("Authorization", &auth)
                .call(),
            (_, Some(b)) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_json(b),
            (_, None) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_empty(),
        };
        let mut resp = resp.unwrap_or_else(|e| panic!("admin {method} {path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        assert!(
            (200..300).contains(&status),
            "admin {method} {path}: {status} {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// The request log, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        serde_json::from_value(self.admin("GET", "/requests", None)).expect("request log")
    }

    pub fn clear_requests(&self) {
        self.admin("DELETE", "/requests", None);
    }

    /// Arms a route fault; returns its id.
    pub fn arm_fault(&self, fault: &Fault) -> u64 {
        assert!(
            fault.path_prefix.is_some(),
            "a route fault needs Fault::on(path_prefix)"
        );
        let v = self.admin(
            "POST",
            "/faults",
            Some(&serde_json::to_value(fault).expect("fault JSON")),
        );
        v["id"].as_u64().expect("fault id")
    }

    pub fn clear_faults(&self) {
        self.admin("DELETE", "/faults", None);
    }

    /// The two headers that inject `fault` into one request (`X-Emulator-Fault` and
    /// `X-Emulator-Token`).
    pub fn fault_headers(&self, fault: &Fault) -> [(String, String); 2] {
        [
            (
                "X-Emulator-Fault".to_string(),
                serde_json::to_string(fault).expect("fault JSON"),
            ),
            (
                "X-Emulator-Token".to_string(),
                self.admin_token().to_string(),
            ),
        ]
    }

    /// Sets (or with `None` removes) the rate limit of a key, by key name:
    /// `limit` requests per `period_s` seconds.
    pub fn set_rate_limit(&self, user: &str, key_name: &str, limit: Option<(u32, u32)>) {
        let body = match limit {
            Some((limit, period_s)) => {
                json!({"user": user, "key": key_name, "limit": limit, "period_s": period_s})
            }
            None => json!({"user": user, "key": key_name, "limit": null}),
        };
        self.admin("POST", "/rate_limits", Some(&body));
    }

    /// Sets the SQL API statement timeout (zero disables it).
    pub fn set_statement_timeout(&self, timeout: Duration) {
        self.admin(
            "POST",
            "/statement_timeout",
            Some(&json!({"ms": timeout.as_millis() as u64})),
        );
    }

    /// What the emulator printed to stderr so far.
    pub fn stderr(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = fs::File::open(self.workdir.join("stderr.txt")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// What the emulator printed to stdout so far (its first line is the root URL).
    pub fn stdout(&self) -> String {
        fs::read_to_string(self.workdir.join("stdout.txt")).unwrap_or_default()
    }

    /// Stops the emulator and waits for it (also done on drop).
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.shutdown().expect("emulator exit status")
    }

    fn shutdown(&mut self) -> Option<std::process::ExitStatus> {
        self.stdin.take();
        // SAFETY: kill(2) on the pid of a child we spawned and have not reaped yet.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    let _ = self.child.kill();
                    break self.child.wait().ok();
                }
            }
        };
        let _ = fs::remove_dir_all(&self.workdir);
        status
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.shutdown();
        } else {
            let _ = fs::remove_dir_all(&self.workdir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_dirs_of_exited_processes_are_removed() {
        let base = std::env::temp_dir().join(format!("harness-gc-{}", std::process::id()));
        let mut child = Command::new("true").spawn().unwrap();
        let dead_pid = child.id();
        child.wait().unwrap();
        let dead = base.join(format!("carto-emulator-harness-{dead_pid}-0-1"));
        let mine = base.join(format!("carto-emulator-harness-{}-0-1", std::process::id()));
        let other = base.join("unrelated");
        for d in [&dead, &mine, &other] {
            fs::create_dir_all(d).unwrap();
        }
        remove_dead_workdirs(&base);
        assert!(!dead.exists());
        assert!(mine.exists() && other.exists());
        fs::remove_dir_all(base).unwrap();
    }

    #[test]
    fn a_missing_binary_names_the_build_command() {
        std::env::set_var("CARTO_EMULATOR_BIN", "/nonexistent/carto-emulator");
        let err = find_binary().unwrap_err();
        std::env::remove_var("CARTO_EMULATOR_BIN");
        assert!(err.contains("does not exist"), "{err}");
    }
}
