//! Running the `klaxon` binary as a real process: `klaxon serve` on the
//! relay fixture roster, waiting for it to listen, reading its log, and
//! killing it when the test ends. The binary's path is the caller's
//! `env!("CARGO_BIN_EXE_klaxon")` (only the CLI's own tests have it).

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A child process killed (and reaped) when dropped, pass or fail, so a
/// failed assertion leaves no relay or pager running.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port that was free a moment ago (the OS picks it; the
/// listener is closed again so a child process can bind it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `klaxon serve --config tests/fixtures/relay.toml --db <db> --listen
/// 127.0.0.1:<port>` with admin token `admin` and `KLAXON_LOG=warn`, its
/// output discarded. Not started yet: a test may set more (`.env`,
/// `.stderr(Stdio::piped())`) before `.spawn()`.
pub fn serve_command(bin: &str, db: &Path, port: u16, admin: &str) -> Command {
    let mut command = Command::new(bin);
    command
        .arg("serve")
        .arg("--config")
        .arg(crate::fixtures::path("relay.toml"))
        .arg("--db")
        .arg(db)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("KLAXON_ADMIN_TOKEN", admin)
        .env("KLAXON_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Blocks until something accepts connections on 127.0.0.1:`port`;
/// panics ("serve never listened") after 20 s.
pub fn wait_listening(port: u16) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "serve never listened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads a child's stderr line by line on a thread: the lines arrive on
/// the receiver; the thread ends when the stream does (join it to be sure
/// every line was read).
pub fn stderr_lines(stderr: ChildStderr) -> (Receiver<String>, JoinHandle<()>) {
    let (tx, rx) = channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (rx, reader)
}
