//! A private D-Bus session bus for the keychain tests, with a real Secret Service on it
//! (gnome-keyring, unlocked), a stub that owns the Secret Service's name and never replies, or
//! nothing at all. Started by the test, stopped when dropped; nothing of the machine's own
//! session is used. Needs dbus-daemon, gnome-keyring, secret-tool (libsecret-tools) and, for
//! the stub, /usr/bin/python3 with python3-dbus (scripts/install-deps.sh installs them).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The Secret Service's well-known bus name.
pub const SECRETS_NAME: &str = "org.freedesktop.secrets";

/// A session bus of the test's own.
pub struct SessionBus {
    /// DBUS_SESSION_BUS_ADDRESS for the processes that should use it.
    pub address: String,
    /// XDG_RUNTIME_DIR for them (gnome-keyring's control socket is there).
    pub runtime_dir: PathBuf,
    dir: tempfile::TempDir,
    children: Vec<Child>,
}

fn spawn(command: &mut Command, what: &str) -> Child {
    command.spawn().unwrap_or_else(|e| {
        panic!("cannot start {what} ({e}); install dbus, gnome-keyring, libsecret-tools and python3-dbus (scripts/install-deps.sh)")
    })
}

impl SessionBus {
    /// A bus with no service on it.
    pub fn bare() -> SessionBus {
        let dir = tempfile::tempdir().unwrap();
        let runtime_dir = dir.path().join("run");
        std::fs::create_dir(&runtime_dir).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let socket = dir.path().join("bus");
        let mut daemon = spawn(
            Command::new("dbus-daemon")
                .arg("--session")
                .arg("--nofork")
                .arg("--print-address=1")
                .arg(format!("--address=unix:path={}", socket.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
            "dbus-daemon",
        );
        let mut line = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon printed {line:?}");
        SessionBus {
            address,
            runtime_dir,
            dir,
            children: vec![daemon],
        }
    }

    /// A bus with an unlocked gnome-keyring keeping its keyrings under `home`.
    pub fn with_keyring(home: &Path) -> SessionBus {
        let mut bus = SessionBus::bare();
        let mut command = Command::new("gnome-keyring-daemon");
        let mut keyring = spawn(
            bus.env(&mut command, home)
                .args(["--foreground", "--unlock", "--components=secrets"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
            "gnome-keyring-daemon",
        );
        // --unlock reads the login keyring's password from standard input, to its end.
        let mut stdin = keyring.stdin.take().unwrap();
        stdin.write_all(b"ci-pass").unwrap();
        drop(stdin);
        bus.children.push(keyring);
        bus.wait_for_name();
        // The settle: a keyring used at once after start fails intermittently ("keyring was
        // in an invalid or unrecognized format", then no access), 6 times in 14 runs on
        // Debian 12; a readiness loop did not fix it, one second did (20 of 20).
        std::thread::sleep(Duration::from_secs(1));
        bus
    }

    /// A bus where a stub owns the Secret Service's name and never answers a call.
    pub fn with_silent_stub() -> SessionBus {
        let mut bus = SessionBus::bare();
        let script = "import dbus, sys, time\n\
                      bus = dbus.SessionBus()\n\
                      bus.request_name(sys.argv[1], dbus.bus.NAME_FLAG_DO_NOT_QUEUE)\n\
                      print('ready', flush=True)\n\
                      time.sleep(120)\n";
        let mut stub = spawn(
            Command::new("/usr/bin/python3")
                .args(["-c", script, SECRETS_NAME])
                .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit()),
            "the silent Secret Service stub (python3-dbus)",
        );
        let mut line = String::new();
        BufReader::new(stub.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the stub did not start");
        bus.children.push(stub);
        bus
    }

    /// `command` with this bus, `home` and the runtime directory in its environment.
    pub fn env<'a>(&self, command: &'a mut Command, home: &Path) -> &'a mut Command {
        command
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("XDG_RUNTIME_DIR", &self.runtime_dir)
            .env("HOME", home)
    }

    fn wait_for_name(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let owned = Command::new("dbus-send")
                .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    &format!("string:{SECRETS_NAME}"),
                ])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
                .unwrap_or(false);
            if owned {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("gnome-keyring-daemon did not take {SECRETS_NAME} on the test's bus within 20 s");
    }

    /// `secret-tool ARGS` on this bus.
    pub fn secret_tool(&self, home: &Path, args: &[&str]) -> Output {
        self.env(&mut Command::new("secret-tool"), home)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("secret-tool (libsecret-tools)")
    }

    /// The secret of cartoauth's item `account`, as secret-tool finds it (`None`: no item).
    pub fn lookup(&self, home: &Path, account: &str) -> Option<String> {
        let out = self.secret_tool(
            home,
            &["lookup", "service", "cartoauth", "username", account],
        );
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The accounts of every cartoauth item on this bus's keyring.
    pub fn accounts(&self, home: &Path) -> Vec<String> {
        let out = self.secret_tool(home, &["search", "--all", "service", "cartoauth"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        let mut accounts: Vec<String> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("attribute.username = "))
            .map(str::to_owned)
            .collect();
        accounts.sort();
        accounts
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        // The services first, then the bus.
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = &self.dir;
    }
}

/// Every file under `dir` whose bytes contain `needle` (the test's grep).
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                dirs.push(path);
            } else if meta.is_file() {
                let bytes = std::fs::read(&path).unwrap_or_default();
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    found.push(path);
                }
            }
        }
    }
    found
}
