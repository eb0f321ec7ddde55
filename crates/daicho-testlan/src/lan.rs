//! The [`TestLan`] guard: `lan.sh up` on creation, `lan.sh down` on drop.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::netns::{
    namespace_inode, namespaces_with_prefix, process_running, process_start_time,
    processes_in_namespaces, run_ip,
};
use crate::probe::{ProbeRequest, ProbeResult};
use crate::{LanError, Truth, require_root};

/// Root of the daicho repository (found from this crate's manifest directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Path of `tests/lan/lan.sh`.
pub fn lan_script() -> PathBuf {
    repo_root().join("tests/lan/lan.sh")
}

/// A LAN id unique among concurrently running tests: `tag` followed by five base-36 characters
/// derived from the process id and a per-process counter (`lan.sh` ids are at most 6 characters).
///
/// `tag` must be an ASCII lower-case letter or digit; it keeps ids of different test suites apart.
pub fn unique_id(tag: char) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    assert!(
        tag.is_ascii_lowercase() || tag.is_ascii_digit(),
        "unique_id tag must be [a-z0-9], got {tag:?}"
    );
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // pid < 2^22 (pid_max), so pid * 8 + n % 8 < 2^25 < 36^5: distinct processes never collide.
    let mut value = u64::from(std::process::id()) * 8 + u64::from(n % 8);
    let mut digits = [b'0'; 5];
    for d in digits.iter_mut().rev() {
        *d = b"0123456789abcdefghijklmnopqrstuvwxyz"[(value % 36) as usize];
        value /= 36;
    }
    let mut id = String::with_capacity(6);
    id.push(tag);
    id.push_str(std::str::from_utf8(&digits).expect("ascii"));
    id
}

fn valid_id(id: &str) -> bool {
    (1..=6).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// One process `lan.sh up` started (a line of `/run/daicho-lan/ID/pids`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedProcess {
    /// Its pid.
    pub pid: u32,
    /// Its start time in clock ticks since boot, to tell it from a later process with the same pid.
    pub start_time: u64,
    /// The namespace it runs in.
    pub ns: String,
    /// What it is (sshd, nginx, vsftpd, snmpd, storescp, telnet, rfb, mllp, ...).
    pub label: String,
}

impl RecordedProcess {
    /// True while this very process (same pid and start time) is still running.
    pub fn is_running(&self) -> bool {
        process_running(self.pid) && process_start_time(self.pid) == Some(self.start_time)
    }
}

/// A running test LAN; tears itself down (`lan.sh down`) when dropped.
#[derive(Debug)]
pub struct TestLan {
    id: String,
    truth: Truth,
    down: bool,
}

impl TestLan {
    /// Brings LAN `id` up with `lan.sh up --id ID [--hosts N]` and reads its ground truth.
    ///
    /// `hosts`: number of hosts on the LAN segment (`None`: only the role hosts of
    /// `tests/lan/hosts.tsv`; up to 244 for a full /24 with fillers).
    pub fn up(id: &str, hosts: Option<usize>) -> Result<TestLan, LanError> {
        Self::up_with(id, hosts, false)
    }

    /// Brings LAN `id` up with two managed switches (`lan.sh up --switches`): the truth's
    /// `switches`, and each host's `switch` and `port`.
    pub fn up_with_switches(id: &str, hosts: Option<usize>) -> Result<TestLan, LanError> {
        Self::up_with(id, hosts, true)
    }

    fn up_with(id: &str, hosts: Option<usize>, switches: bool) -> Result<TestLan, LanError> {
        require_root()?;
        if !valid_id(id) {
            return Err(LanError::BadId { id: id.to_owned() });
        }
        let mut args = vec!["up".to_owned(), "--id".to_owned(), id.to_owned()];
        if let Some(n) = hosts {
            args.push("--hosts".to_owned());
            args.push(n.to_string());
        }
        if switches {
            args.push("--switches".to_owned());
        }
        run_script(&args)?;
        match read_truth(id) {
            Ok(truth) => Ok(TestLan {
                id: id.to_owned(),
                truth,
                down: false,
            }),
            Err(err) => {
                // Never leave a LAN behind that no guard owns.
                let _ = run_script(&["down".into(), "--id".into(), id.to_owned()]);
                Err(err)
            }
        }
    }

    /// The LAN id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its ground truth, as read right after bring-up.
    pub fn truth(&self) -> &Truth {
        &self.truth
    }

    /// The scanner namespace (`dl-ID-scan`).
    pub fn scanner_ns(&self) -> &str {
        &self.truth.scanner.ns
    }

    /// The LAN's run directory (`/run/daicho-lan/ID`).
    pub fn run_dir(&self) -> &Path {
        &self.truth.run_dir
    }

    /// A [`Command`] that runs `program` inside namespace `ns` (via `ip netns exec`) once the
    /// caller adds arguments and spawns it. `ns` must be one of this LAN's namespaces.
    pub fn command_in(&self, ns: &str, program: impl AsRef<OsStr>) -> Result<Command, LanError> {
        if !ns.starts_with(&format!("dl-{}-", self.id)) {
            return Err(LanError::ForeignNamespace {
                ns: ns.to_owned(),
                id: self.id.clone(),
            });
        }
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns]).arg(program);
        Ok(cmd)
    }

    /// Runs `cmd[0] cmd[1..]` inside namespace `ns` and returns its output (whatever its exit status).
    pub fn exec_in(&self, ns: &str, cmd: &[&str]) -> Result<Output, LanError> {
        let (program, args) = cmd.split_first().expect("exec_in needs a program");
        self.command_in(ns, program)?
            .args(args)
            .output()
            .map_err(|source| LanError::Spawn {
                program: (*program).to_owned(),
                source,
            })
    }

    /// Runs a command in the scanner namespace, like [`TestLan::exec_in`].
    pub fn exec_in_scanner(&self, cmd: &[&str]) -> Result<Output, LanError> {
        self.exec_in(&self.truth.scanner.ns.clone(), cmd)
    }

    /// Runs one TCP probe inside namespace `ns` with the `lan-probe` binary at `probe_exe`
    /// (integration tests of this crate get it as `env!("CARGO_BIN_EXE_lan-probe")`).
    pub fn probe_tcp(
        &self,
        probe_exe: &Path,
        ns: &str,
        req: &ProbeRequest,
    ) -> Result<ProbeResult, LanError> {
        let output = self
            .command_in(ns, probe_exe)?
            .args(req.to_args())
            .output()
            .map_err(|source| LanError::Spawn {
                program: probe_exe.display().to_string(),
                source,
            })?;
        if !output.status.success() {
            return Err(LanError::CommandFailed {
                command: format!("{} {}", probe_exe.display(), req.to_args().join(" ")),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            });
        }
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        serde_json::from_str(stdout.trim()).map_err(|source| LanError::ProbeOutput {
            output: stdout,
            source,
        })
    }

    /// Moves switch port `port` (a veth end in the switch namespace, e.g. `l015`) onto
    /// `bridge` (`br0`, `br2`, …), as unplugging a cable and plugging it into another switch:
    /// the old bridge forgets the MACs learnt on it, the new one learns them from the next frame.
    pub fn move_port(&self, port: &str, bridge: &str) -> Result<(), LanError> {
        let ns = self.truth.switch_ns.as_str();
        run_ip(&["-n", ns, "link", "set", port, "nomaster"])?;
        run_ip(&["-n", ns, "link", "set", port, "master", bridge, "up"])?;
        Ok(())
    }

    /// The processes `lan.sh up` started and recorded.
    pub fn recorded_processes(&self) -> Result<Vec<RecordedProcess>, LanError> {
        let path = self.truth.run_dir.join("pids");
        let text = fs::read_to_string(&path).map_err(|source| LanError::Read {
            path: path.clone(),
            source,
        })?;
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let bad = || LanError::PidsLine {
                    path: path.clone(),
                    line: line.to_owned(),
                };
                let mut f = line.split_whitespace();
                let pid = f.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
                let start_time = f.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
                let ns = f.next().ok_or_else(bad)?.to_owned();
                let label = f.next().ok_or_else(bad)?.to_owned();
                Ok(RecordedProcess {
                    pid,
                    start_time,
                    ns,
                    label,
                })
            })
            .collect()
    }

    /// This LAN's namespaces right now (`dl-ID-*`).
    pub fn namespaces(&self) -> Result<Vec<String>, LanError> {
        namespaces_with_prefix(&format!("dl-{}-", self.id))
    }

    /// Every process running inside this LAN's namespaces right now (services, their workers,
    /// anything a test started there), with its start time so that
    /// [`RecordedProcess::is_running`] stays exact after teardown. `label` is the process name.
    pub fn running_processes(&self) -> Result<Vec<RecordedProcess>, LanError> {
        let mut found = Vec::new();
        for ns in self.namespaces()? {
            let Some(inode) = namespace_inode(&ns) else {
                continue;
            };
            for pid in processes_in_namespaces(&[inode]) {
                let (Some(start_time), Ok(comm)) = (
                    process_start_time(pid),
                    fs::read_to_string(format!("/proc/{pid}/comm")),
                ) else {
                    continue; // exited meanwhile
                };
                found.push(RecordedProcess {
                    pid,
                    start_time,
                    ns: ns.clone(),
                    label: comm.trim().to_owned(),
                });
            }
        }
        Ok(found)
    }

    /// Tears the LAN down now (`lan.sh down`), reporting failure; drop does the same silently.
    pub fn down(mut self) -> Result<(), LanError> {
        self.down = true;
        run_script(&["down".into(), "--id".into(), self.id.clone()]).map(|_| ())
    }
}

impl Drop for TestLan {
    fn drop(&mut self) {
        if !self.down {
            self.down = true;
            if let Err(err) = run_script(&["down".into(), "--id".into(), self.id.clone()]) {
                eprintln!("daicho-testlan: tearing down LAN {} failed: {err}", self.id);
            }
        }
    }
}

fn run_dir(id: &str) -> PathBuf {
    Path::new("/run/daicho-lan").join(id)
}

fn read_truth(id: &str) -> Result<Truth, LanError> {
    let path = run_dir(id).join("truth.json");
    let text = fs::read_to_string(&path).map_err(|source| LanError::Read {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| LanError::Truth { path, source })
}

/// Runs `lan.sh ARGS`, failing with its standard error when it fails.
fn run_script(args: &[String]) -> Result<Output, LanError> {
    let script = lan_script();
    let output = Command::new("bash")
        .arg(&script)
        .args(args)
        .output()
        .map_err(|source| LanError::Spawn {
            program: script.display().to_string(),
            source,
        })?;
    if output.status.success() {
        Ok(output)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
        Err(LanError::CommandFailed {
            command: format!("{} {}", script.display(), args.join(" ")),
            status: output.status,
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_ids_are_valid_and_distinct() {
        let a = unique_id('t');
        let b = unique_id('t');
        assert!(valid_id(&a), "{a}");
        assert!(valid_id(&b), "{b}");
        assert_ne!(a, b);
        assert!(a.starts_with('t'));
    }

    #[test]
    fn ids_lan_sh_would_refuse_are_refused() {
        assert!(!valid_id(""));
        assert!(!valid_id("toolong"));
        assert!(!valid_id("Ab1"));
        assert!(!valid_id("a-b"));
        assert!(valid_id("a1b2c3"));
    }

    #[test]
    fn the_script_is_where_the_helpers_say() {
        assert!(lan_script().is_file(), "{}", lan_script().display());
    }
}
