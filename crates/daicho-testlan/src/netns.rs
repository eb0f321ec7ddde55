//! Inspecting network namespaces and the processes in them, through `ip` and `/proc`.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use crate::LanError;

/// Fails with [`LanError::NotRoot`] unless the effective uid is 0.
pub fn require_root() -> Result<(), LanError> {
    let path = Path::new("/proc/self/status");
    let status = fs::read_to_string(path).map_err(|source| LanError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    // "Uid:\treal\teffective\tsaved\tfs"
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(u32::MAX);
    if euid == 0 {
        Ok(())
    } else {
        Err(LanError::NotRoot { euid })
    }
}

/// Runs `ip ARGS`; its output when it succeeded, else why not.
pub(crate) fn run_ip(args: &[&str]) -> Result<std::process::Output, LanError> {
    let output = Command::new("ip")
        .args(args)
        .output()
        .map_err(|source| LanError::Spawn {
            program: "ip".into(),
            source,
        })?;
    if !output.status.success() {
        return Err(LanError::CommandFailed {
            command: format!("ip {}", args.join(" ")),
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(output)
}

/// Names of the named network namespaces (`ip netns list`) that start with `prefix`.
pub fn namespaces_with_prefix(prefix: &str) -> Result<Vec<String>, LanError> {
    let output = run_ip(&["netns", "list"])?;
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_owned)
        .collect())
}

/// Inode of a named namespace (`/run/netns/NAME`), which identifies it in `/proc/PID/ns/net`.
pub(crate) fn namespace_inode(name: &str) -> Option<u64> {
    fs::metadata(Path::new("/run/netns").join(name))
        .ok()
        .map(|m| m.ino())
}

/// Pids of running (not zombie) processes whose network namespace is one of `inodes`.
///
/// Only meaningful while those namespaces exist: the kernel reuses a freed namespace's inode
/// number for the next namespace created (by any test).
pub fn processes_in_namespaces(inodes: &[u64]) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(link) = fs::read_link(entry.path().join("ns/net")) else {
            continue;
        };
        let in_ours = link
            .to_str()
            .and_then(|l| l.strip_prefix("net:["))
            .and_then(|l| l.strip_suffix(']'))
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|ino| inodes.contains(&ino));
        if in_ours && process_running(pid) {
            pids.push(pid);
        }
    }
    pids
}

/// Fields of `/proc/PID/stat` after the command name: `[state, ppid, ...]`.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may itself contain spaces or ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    Some(after.split_whitespace().map(str::to_owned).collect())
}

/// True while `pid` exists and is not a zombie (a zombie is dead, only not yet reaped).
pub(crate) fn process_running(pid: u32) -> bool {
    stat_fields(pid).is_some_and(|f| f.first().is_some_and(|s| s != "Z" && s != "X"))
}

/// Start time of `pid` in clock ticks since boot (field 22 of `/proc/PID/stat`).
pub(crate) fn process_start_time(pid: u32) -> Option<u64> {
    stat_fields(pid)?.get(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_running_and_has_a_start_time() {
        let me = std::process::id();
        assert!(process_running(me));
        assert!(process_start_time(me).is_some_and(|t| t > 0));
    }

    #[test]
    fn a_pid_that_cannot_exist_is_not_running() {
        // Above the kernel's pid_max limit (2^22).
        assert!(!process_running(u32::MAX - 1));
        assert!(process_start_time(u32::MAX - 1).is_none());
    }
}
