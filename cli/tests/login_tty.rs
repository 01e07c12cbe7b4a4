//! `cartoauth login` as a person uses it: on a terminal (a pseudo-terminal here), typing the
//! account and the key. The key must not be echoed, and must be saved 0600.

mod common;

use common::*;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A program on a pseudo-terminal: everything it shows is collected from the master side.
struct Terminal {
    master: File,
    screen: Arc<Mutex<Vec<u8>>>,
    child: Child,
}

impl Terminal {
    fn spawn(mut cmd: std::process::Command) -> Terminal {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: openpty writes two new descriptors into the out-params; the name, termios
        // and window size pointers may be null.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and are owned by nobody else.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        // SAFETY: setsid and ioctl are async-signal-safe; the child gets a session of its own
        // whose controlling terminal is the pty (so /dev/tty is the pty, as for a person).
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        drop(cmd); // closes our copies of the slave, so reads end when the child exits
        let master = File::from(master);
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().unwrap();
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO once the child has exited and the slave is closed.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Terminal {
            master,
            screen,
            child,
        }
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.screen().contains(text) {
            assert!(
                Instant::now() < deadline,
                "the terminal never showed {text:?}; it shows:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the terminal echoes what is typed (the program's current setting).
    fn echoes(&self) -> bool {
        // SAFETY: termios is plain data; tcgetattr fills it for a valid descriptor.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(
            unsafe { libc::tcgetattr(self.master.as_raw_fd(), &mut t) },
            0
        );
        t.c_lflag & libc::ECHO != 0
    }

    fn wait_for_no_echo(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.echoes() {
            assert!(
                Instant::now() < deadline,
                "echo was never turned off:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn type_line(&mut self, text: &str) {
        self.master
            .write_all(format!("{text}\n").as_bytes())
            .unwrap();
    }

    fn finish(mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(200)); // the reader drains what is left
        (status, self.screen())
    }
}

#[test]
fn login_on_a_terminal_asks_hides_the_key_and_saves_it_0600() {
    let sb = Sandbox::new();
    let url = base_url();
    let mut term = Terminal::spawn(sb.command(&["login", "--profile", "work"]));
    term.wait_for("CARTO username or base URL: ");
    assert!(term.echoes(), "the account is typed with echo");
    term.type_line(&url);
    term.wait_for("API key (typing is hidden): ");
    term.wait_for_no_echo();
    term.type_line(MASTER_KEY);
    let (status, screen) = term.finish();
    assert!(status.success(), "{status:?}\n{screen}");
    assert!(screen.contains(&url), "the account is echoed:\n{screen}");
    assert!(
        !screen.contains(MASTER_KEY),
        "the key was echoed:\n{screen}"
    );
    assert!(screen.contains("Logged in as demo"), "{screen}");

    let file = sb.config_dir().join("profiles/work.json");
    assert_eq!(mode(&file), 0o600);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["api_key"], MASTER_KEY);
    assert_eq!(saved["base_url"], url);
    // And it is what status now uses.
    let run = sb.run(&["status", "--profile", "work", "--json"], "");
    run.assert_code(0);
}

#[test]
fn a_rejected_key_typed_on_the_terminal_saves_nothing_and_logout_asks_there() {
    let sb = Sandbox::new();
    let url = base_url();
    let mut term = Terminal::spawn(sb.command(&["login", "--base-url", &url]));
    term.wait_for("API key (typing is hidden): ");
    term.wait_for_no_echo();
    term.type_line("wrong_key_typed_by_hand");
    let (status, screen) = term.finish();
    assert_eq!(status.code(), Some(4), "{screen}");
    assert!(!screen.contains("wrong_key_typed_by_hand"), "{screen}");
    assert!(!sb.config_dir().exists());

    // logout asks on the terminal: "n" keeps the file, "y" deletes it.
    sb.login(MASTER_KEY, None);
    let file = sb.config_dir().join("cartocreds.json");
    for (answer, kept) in [("n", true), ("y", false)] {
        let mut term = Terminal::spawn(sb.command(&["logout"]));
        term.wait_for("? [y/N] ");
        term.type_line(answer);
        let (status, screen) = term.finish();
        assert!(status.success(), "{screen}");
        assert_eq!(file.exists(), kept, "{answer}: {screen}");
    }
}

#[test]
fn with_key_on_a_terminal_still_hides_the_key() {
    let sb = Sandbox::new();
    let url = base_url();
    let mut term = Terminal::spawn(sb.command(&["login", "--with-key", "--base-url", &url]));
    term.wait_for("API key (typing is hidden): ");
    term.wait_for_no_echo();
    term.type_line(MASTER_KEY);
    let (status, screen) = term.finish();
    assert!(status.success(), "{screen}");
    assert!(
        !screen.contains(MASTER_KEY),
        "the key was echoed:\n{screen}"
    );
    assert!(sb.config_dir().join("cartocreds.json").exists());
}
