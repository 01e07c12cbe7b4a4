//! Helpers of the CLI tests: a sandbox per test (its own HOME and config directory, an
//! environment cleared of the caller's CARTO_* variables), a shared carto-emulator, and a
//! runner that checks every output for the API keys.
#![allow(dead_code)]

pub mod pty;

pub use carto_emulator::harness::Emulator;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The emulator's keys of account `demo` (see emulator/README.md).
pub const MASTER_KEY: &str = "demo_master_key";
pub const REGULAR_KEY: &str = "demo_regular_key";
pub const SECRET_KEYS: [&str; 2] = [MASTER_KEY, REGULAR_KEY];

/// One emulator for every test of a test binary (it stops when the process exits). Tests only
/// read from it, or write to tables of their own.
pub fn emulator() -> &'static Emulator {
    static EMU: OnceLock<Emulator> = OnceLock::new();
    EMU.get_or_init(Emulator::start)
}

pub fn base_url() -> String {
    emulator().base_url("demo")
}

/// A private HOME and config directory; removed when dropped.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        Sandbox { dir }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn xdg(&self) -> PathBuf {
        self.dir.path().join("xdg")
    }

    /// Where the library keeps files in this sandbox (`$XDG_CONFIG_HOME/cartoframes`).
    pub fn config_dir(&self) -> PathBuf {
        self.xdg().join("cartoframes")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `cartoauth ARGS` with nothing of the caller's environment but PATH; http:// is allowed
    /// because the emulator serves plain HTTP.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cartoauth"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.xdg())
            .env("CARTO_ALLOW_NON_SECURE", "1")
            // Secrets in the files the tests look at, never in the keychain of the machine
            // running them (tests/keychain.rs brings a keychain of its own).
            .env("CARTO_CREDENTIAL_STORE", "file")
            .env("LC_ALL", "C.UTF-8");
        cmd
    }

    /// Runs `cartoauth ARGS` with `stdin` and checks that no key shows in what it printed.
    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        self.run_command(self.command(args), stdin)
    }

    pub fn run_command(&self, mut cmd: Command, stdin: &str) -> Run {
        let run = run_with_input(&mut cmd, stdin);
        run.assert_no_key();
        run
    }

    /// Logs in to the shared emulator's `demo` account with `key`, optionally as a profile.
    pub fn login(&self, key: &str, profile: Option<&str>) -> Run {
        self.login_to(&base_url(), key, profile)
    }

    /// Logs in to the account at `url` with `key`.
    pub fn login_to(&self, url: &str, key: &str, profile: Option<&str>) -> Run {
        let mut args = vec!["login", "--with-key", "--base-url", url];
        if let Some(p) = profile {
            args.extend(["--profile", p]);
        }
        let run = self.run(&args, &format!("{key}\n"));
        run.assert_code(0);
        run
    }
}

/// What a command printed, and how it ended.
pub struct Run {
    pub args: String,
    pub output: Output,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            Some(code),
            "cartoauth {} exited with {:?}\nstdout:\n{}\nstderr:\n{}",
            self.args,
            self.output.status,
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// The failure line: exactly one line on standard error, starting "cartoauth: ".
    pub fn error_line(&self) -> String {
        let err = self.stderr();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "expected one error line, got:\n{err}");
        assert!(lines[0].starts_with("cartoauth: "), "{err}");
        lines[0].to_owned()
    }

    pub fn assert_no_key(&self) {
        for key in SECRET_KEYS {
            for (name, text) in [("stdout", self.stdout()), ("stderr", self.stderr())] {
                assert!(
                    !text.contains(key),
                    "cartoauth {} printed an API key on {name}:\n{text}",
                    self.args
                );
            }
        }
    }
}

/// Runs a command to completion with `stdin` as its standard input.
pub fn run_with_input(cmd: &mut Command, stdin: &str) -> Run {
    let args = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let text = stdin.to_owned();
    let writer = std::thread::spawn(move || {
        // The command may exit without reading: a broken pipe is fine.
        let _ = input.write_all(text.as_bytes());
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run { args, output }
}

/// The octal permission bits of a file.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// GDAL's command-line tools, or why the test cannot run: a failure under
/// CARTOAUTH_REQUIRE_INTEROP (CI), a loud skip otherwise.
pub fn gdal_available(test: &str) -> bool {
    if Command::new("ogrinfo").arg("--version").output().is_ok() {
        return true;
    }
    if std::env::var_os("CARTOAUTH_REQUIRE_INTEROP").is_some() {
        panic!(
            "{test} needs GDAL (apt-get install gdal-bin), and CARTOAUTH_REQUIRE_INTEROP is set"
        );
    }
    eprintln!("SKIPPED {test}: GDAL's command-line tools are not installed (gdal-bin)");
    false
}

/// A server on 127.0.0.1 that answers every request with `status` and the JSON `body`, as a
/// CARTO that lies might; returns its base URL for account `demo`. It runs until the test
/// process ends.
pub fn lying_server(status: u16, body: &str) -> String {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let body = body.to_owned();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            // The request head; a body (never sent to this server by these tests) is ignored.
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if line == "\r\n" {
                    break;
                }
                line.clear();
            }
            let response = format!(
                "HTTP/1.1 {status} Lie\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = reader.get_mut().write_all(response.as_bytes());
        }
    });
    format!("http://127.0.0.1:{port}/user/demo")
}

/// The names of the files in a directory, sorted (hidden ones included).
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
