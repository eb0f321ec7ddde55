//! The collector binary run as a child process that serves, its log (stderr) read line by line
//! as it comes, and the address it listens on taken from its `listening` line.

#![allow(dead_code)] // each test file uses part of it

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// `BIN serve --config CONFIG` with `RUST_LOG=info`, once it listens (see [`Collector::start`]).
pub fn serve(bin: &str, config: &Path, wait: Duration) -> Collector {
    let mut command = Command::new(bin);
    command
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "info");
    Collector::start(command, wait)
}

/// A serving collector; killed when dropped.
pub struct Collector {
    pub child: Child,
    /// Where it listens, as logged (`127.0.0.1:PORT`).
    pub addr: String,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    wait: Duration,
}

impl Collector {
    /// Spawns `command` (the test's own program, arguments and environment) with its stdout
    /// discarded and its stderr read, and waits for the `listening` line; `wait` is how long
    /// [`Collector::wait_for`] waits for a line before it panics.
    pub fn start(mut command: Command, wait: Duration) -> Self {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut c = Self {
            child,
            addr: String::new(),
            lines,
            seen: Vec::new(),
            wait,
        };
        let line = c.wait_for("listening");
        line.split("addr=")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap()
            .clone_into(&mut c.addr);
        c
    }

    /// The first stderr line from now on containing `needle`; panics (with the log so far)
    /// when no line comes for the `wait` given to [`Collector::start`].
    pub fn wait_for(&mut self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(self.wait) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(e) => panic!("collector never logged {needle:?}: {e}\n{:#?}", self.seen),
            }
        }
    }

    /// Whether a stderr line that has arrived since the last look (by this, `wait_for` or
    /// `log`) contains `needle`; no waiting.
    pub fn saw(&mut self, needle: &str) -> bool {
        let new = self.seen.len();
        self.seen.extend(self.lines.try_iter());
        self.seen[new..].iter().any(|l| l.contains(needle))
    }

    /// Every stderr line so far.
    pub fn log(&mut self) -> &[String] {
        self.seen.extend(self.lines.try_iter());
        &self.seen
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `BIN token create --agent AGENT --config CONFIG`: the new token, once the command has
/// succeeded (its stderr in the panic otherwise).
pub fn agent_token(bin: &str, config: &Path, agent: &str) -> String {
    let out = Command::new(bin)
        .args(["token", "create", "--agent", agent, "--config"])
        .arg(config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// One request on a new connection (`Connection: close`); the status code and the whole answer.
pub async fn request(addr: &str, head: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut out = format!("{head}\r\nHost: collector\r\nConnection: close\r\n").into_bytes();
    if !body.is_empty() {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    s.write_all(&out).await.unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    (status, answer)
}
