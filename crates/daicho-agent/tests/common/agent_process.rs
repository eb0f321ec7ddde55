//! Runs the real `daicho-agent` binary and follows its JSON log.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

/// An agent process with its log lines collected as they arrive.
pub struct AgentProcess {
    /// The child.
    pub child: Child,
    /// Every log line so far.
    pub log: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl AgentProcess {
    /// Starts `daicho-agent run --config CONFIG [extra…] --log-format json`.
    pub fn start(config: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_daicho-agent"))
            .arg("run")
            .arg("--config")
            .arg(config)
            .args(extra)
            .args(["--log-format", "json"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("agent starts");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|_| serde_json::json!({ "message": line }));
                sink.lock().unwrap().push(value);
            }
        });
        Self { child, log }
    }

    /// Report ids of log events with `message`.
    pub fn ids(&self, message: &str) -> Vec<Uuid> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|v| v["message"] == message)
            .filter_map(|v| v["report_id"].as_str()?.parse().ok())
            .collect()
    }

    /// Log events with `message`.
    pub fn events(&self, message: &str) -> Vec<serde_json::Value> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|v| v["message"] == message)
            .cloned()
            .collect()
    }

    /// The log as text, for failure messages.
    pub fn dump(&self) -> String {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for exit, up to `limit`.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the log reader drain the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "agent did not exit within {limit:?}:\n{}",
                self.dump()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `condition` every 50 ms until it holds or `limit` passes.
pub async fn wait_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Writes a token and an inventory-only agent config into `dir`; returns the config path.
pub fn write_config(
    dir: &Path,
    collector_url: &str,
    interval: &str,
    extra_schedule: &str,
) -> PathBuf {
    std::fs::write(dir.join("token"), "test-token-123\n").unwrap();
    std::fs::set_permissions(
        dir.join("token"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let config = dir.join("agent.toml");
    std::fs::write(
        &config,
        format!(
            r#"[agent]
name = "test-agent"
shutdown_grace = "10s"

[schedule]
interval = "{interval}"
{extra_schedule}

[collector]
url = "{collector_url}"
token_file = "token"
timeout = "3s"
retry_initial = "100ms"
retry_max = "500ms"

[spool]
dir = "spool"
"#
        ),
    )
    .unwrap();
    config
}

/// Report files in the spool's `pending/`.
pub fn pending_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir.join("spool/pending"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(".json.gz"))
                .collect()
        })
        .unwrap_or_default()
}
