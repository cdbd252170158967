//! Running the `klaxon` binary as a real process: `klaxon serve` on the
//! relay fixture roster, waiting for it to listen, reading its log, and
//! killing it when the test ends. The binary's path is the caller's
//! `env!("CARGO_BIN_EXE_klaxon")` (only the CLI's own tests have it).

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Output, Stdio};
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
    serve_config_command(bin, &crate::fixtures::path("relay.toml"), db, port, admin)
}

/// [`serve_command`] on the roster file at `config` instead of the fixture.
pub fn serve_config_command(
    bin: &str,
    config: &Path,
    db: &Path,
    port: u16,
    admin: &str,
) -> Command {
    let mut command = Command::new(bin);
    command
        .arg("serve")
        .arg("--config")
        .arg(config)
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
    lines(stderr)
}

/// Reads any byte stream (a child's stdout or stderr) line by line on a
/// thread: the lines arrive on the receiver; the thread ends when the
/// stream does or the receiver is dropped.
pub fn lines(stream: impl std::io::Read + Send + 'static) -> (Receiver<String>, JoinHandle<()>) {
    let (tx, rx) = channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (rx, reader)
}

/// Bytes a process wrote, as text (lossily).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `klaxon` binary at this path (the caller's
/// `env!("CARGO_BIN_EXE_klaxon")`): runs its commands and starts its relay
/// and pager. A `const` in each test file: `const KLAXON: Klaxon =
/// Klaxon(env!("CARGO_BIN_EXE_klaxon"));`.
#[derive(Debug, Clone, Copy)]
pub struct Klaxon(pub &'static str);

impl Klaxon {
    /// `klaxon <args>` run to its end, with `KLAXON_ADMIN_TOKEN` set to the
    /// tests' admin token when `admin`, and unset otherwise.
    pub fn run(&self, args: &[&str], admin: bool) -> Output {
        let mut command = Command::new(self.0);
        command.args(args).env_remove("KLAXON_ADMIN_TOKEN");
        if admin {
            command.env("KLAXON_ADMIN_TOKEN", crate::relay::ADMIN);
        }
        command.output().unwrap()
    }

    /// `klaxon <args>` with the admin token: its output.
    pub fn admin(&self, args: &[&str]) -> Output {
        self.run(args, true)
    }

    /// `klaxon <args>` with the admin token; asserts exit 0 (naming the
    /// arguments and stderr otherwise) and returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.admin(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "klaxon {args:?}: {}",
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// `klaxon send --relay <base> --routing-key <the infra key> <extra>`,
    /// without the admin token: its output, unchecked.
    pub fn send(&self, base: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "send",
            "--relay",
            base,
            "--routing-key",
            crate::relay::API_KEY,
        ];
        args.extend_from_slice(extra);
        self.run(&args, false)
    }

    /// Triggers a page with `summary` and `dedup` on the infra key through
    /// `klaxon send` (at `severity`, when given); asserts exit 0.
    pub fn trigger(&self, base: &str, dedup: &str, summary: &str, severity: Option<&str>) {
        let mut extra = vec!["--summary", summary, "--dedup-key", dedup];
        if let Some(severity) = severity {
            extra.extend(["--severity", severity]);
        }
        let out = self.send(base, &extra);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }

    /// `klaxon invite --relay <base> --person <person>` (admin); asserts
    /// exit 0 and returns the enrollment code.
    pub fn invite(&self, base: &str, person: &str) -> String {
        self.ok(&["invite", "--relay", base, "--person", person])
            .trim()
            .to_string()
    }

    /// `klaxon alerts --relay <base> --json` (admin), parsed.
    pub fn alerts(&self, base: &str) -> Vec<serde_json::Value> {
        serde_json::from_str(&self.ok(&["alerts", "--relay", base, "--json"])).unwrap()
    }

    /// A `klaxon serve` to start with its database at `db`: see [`Serve`].
    pub fn serve(&self, db: &Path) -> Serve {
        Serve {
            bin: self.0,
            config: crate::fixtures::path("relay.toml"),
            db: db.to_path_buf(),
            port: None,
        }
    }

    /// A `klaxon pager --json-events` started now: see [`JsonPager`].
    pub fn pager(&self, base: &str, state: &Path, code: Option<&str>) -> JsonPager {
        JsonPager::start(self.0, base, state, code)
    }
}

/// A `klaxon serve` not started yet: the relay fixture roster unless
/// [`Serve::config`] or [`Serve::roster`] says otherwise, admin token
/// [`crate::relay::ADMIN`], `KLAXON_LOG=warn`, output discarded, on a free
/// port unless [`Serve::port`] names one.
#[derive(Debug, Clone)]
pub struct Serve {
    bin: &'static str,
    config: PathBuf,
    db: PathBuf,
    port: Option<u16>,
}

impl Serve {
    /// Serves the roster file at `config` (read again on SIGHUP).
    pub fn config(mut self, config: &Path) -> Self {
        self.config = config.to_path_buf();
        self
    }

    /// Writes `roster` to `file` and serves that file.
    pub fn roster(self, file: &Path, roster: &str) -> Self {
        std::fs::write(file, roster).unwrap();
        self.config(file)
    }

    /// Listens on this port (to restart a relay where its clients look).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The command for this relay on `port`, not spawned, so a test may set
    /// more (`.env`, `.stderr(Stdio::piped())`) first.
    pub fn command(&self, port: u16) -> Command {
        serve_config_command(self.bin, &self.config, &self.db, port, crate::relay::ADMIN)
    }

    /// Spawns it and waits until it listens (see [`wait_listening`]).
    pub fn start(self) -> Served {
        let port = self.port.unwrap_or_else(free_port);
        let child = Killed(self.command(port).spawn().unwrap());
        wait_listening(port);
        Served {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

/// A listening `klaxon serve`, killed when dropped.
pub struct Served {
    /// The process.
    pub child: Killed,
    /// Its loopback port.
    pub port: u16,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

/// How long [`JsonPager::wait_for`] waits for an event.
pub const WAIT: Duration = Duration::from_secs(20);

/// Whether a pager's JSON event is of `kind` (its `event` field).
pub fn is(event: &serde_json::Value, kind: &str) -> bool {
    event["event"] == kind
}

/// A running `klaxon pager --json-events`: its stdin and its events, parsed
/// as they come (a line that is not JSON fails the reading thread's test).
pub struct JsonPager {
    /// The process, killed when dropped.
    pub child: Killed,
    stdin: std::process::ChildStdin,
    /// Events not read yet.
    pub events: Receiver<serde_json::Value>,
    /// Every event read so far, in order (for failure messages).
    pub seen: Vec<serde_json::Value>,
}

impl JsonPager {
    /// `bin pager --relay <base> --json-events --state-dir <state>`, with
    /// `--enroll <code>` when given; stderr discarded.
    pub fn start(bin: &str, base: &str, state: &Path, code: Option<&str>) -> JsonPager {
        let mut command = Command::new(bin);
        command
            .args(["pager", "--relay", base, "--json-events", "--state-dir"])
            .arg(state);
        if let Some(code) = code {
            command.args(["--enroll", code]);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take().unwrap();
        let (tx, events) = channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let value: serde_json::Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not one JSON object per line: {line:?}: {e}"));
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        JsonPager {
            child: Killed(child),
            stdin,
            events,
            seen: Vec::new(),
        }
    }

    /// Every event from now on until one matches (that one last), within
    /// `limit`; a panic listing everything seen otherwise.
    pub fn until(
        &mut self,
        what: &str,
        limit: Duration,
        matches: impl Fn(&serde_json::Value) -> bool,
    ) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + limit;
        let mut got = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) => {
                    self.seen.push(event.clone());
                    got.push(event.clone());
                    if matches(&event) {
                        return got;
                    }
                }
                Err(_) => panic!("no {what} event within {limit:?}; saw {:#?}", self.seen),
            }
        }
    }

    /// The first event from now on that matches, within [`WAIT`].
    pub fn wait_for(
        &mut self,
        what: &str,
        matches: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        self.until(what, WAIT, matches).pop().unwrap()
    }

    /// The first event already seen that matches, or else the first from
    /// now on (within [`WAIT`]), for events that may have come before the
    /// one the test last waited for.
    pub fn seen_or_wait_for(
        &mut self,
        what: &str,
        matches: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        match self.seen.iter().find(|e| matches(e)) {
            Some(event) => event.clone(),
            None => self.wait_for(what, matches),
        }
    }

    /// Every event that arrives during `span`.
    pub fn during(&mut self, span: Duration) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + span;
        let mut got = Vec::new();
        while let Ok(event) = self
            .events
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(event.clone());
            got.push(event);
        }
        got
    }

    /// Waits (at most [`WAIT`]) for the pager to exit by itself; its exit code.
    pub fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.0.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the pager did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Writes one command line (`ack ID`, `quit`, …) to the pager's stdin.
    pub fn command(&mut self, line: &str) {
        use std::io::Write as _;
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }
}
