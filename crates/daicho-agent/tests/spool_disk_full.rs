//! A spool on a full disk (a 1 MiB tmpfs filled to ENOSPC): the agent starts anyway, delivers
//! the spooled backlog to a collector double, keeps running and spools again once space is
//! free; no probe or temporary file is left behind. Needs `mount` (root); skipped with a
//! message otherwise.

#[path = "common/agent_process.rs"]
#[allow(dead_code)] // shared helpers; this file uses a subset
mod agent_process;
#[path = "common/collector_double.rs"]
#[allow(dead_code)] // shared helpers; this file uses a subset
mod collector_double;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use agent_process::{AgentProcess, pending_files, write_config};
use collector_double::CollectorDouble;
use daicho_agent::spool::{PROBE_PREFIX, Spool, TMP_PREFIX};
use daicho_model::{AgentInfo, ScanReport, Scope};
use uuid::Uuid;

const TOKEN: &str = "test-token-123";
const LOST: &str =
    "SPOOL DISK FULL: report lost, it could not be spooled; the next run tries again";

/// A 1 MiB tmpfs mounted on a directory, unmounted on drop.
struct SmallTmpfs(PathBuf);

impl SmallTmpfs {
    /// Mounts it on `dir` (created), or says why it cannot.
    fn mount(dir: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1M,mode=0700", "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if out.status.success() {
            Ok(Self(dir.to_owned()))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Mounts the tmpfs or prints why the test is skipped.
fn small_tmpfs(dir: &Path) -> Option<SmallTmpfs> {
    match SmallTmpfs::mount(dir) {
        Ok(m) => Some(m),
        Err(why) => {
            eprintln!("SKIPPED: needs a tmpfs mount (root): {why}");
            None
        }
    }
}

/// Writes `dir/NAME` until the disk refuses (ENOSPC).
fn fill(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0x55u8; 4096];
    loop {
        match file.write_all(&chunk).and_then(|()| file.sync_all()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
            Err(e) => panic!("filling {}: {e}", path.display()),
        }
    }
    // Whatever small remainder a page still had.
    for _ in 0..4096 {
        if file.write_all(&[0]).and_then(|()| file.sync_all()).is_err() {
            break;
        }
    }
    path
}

/// Every probe or temporary file under `dir`.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else if name.starts_with(PROBE_PREFIX) || name.starts_with(TMP_PREFIX) {
                found.push(entry.path());
            }
        }
    }
    found
}

/// Waits up to a minute for `condition`, showing the agent's log if it never holds.
async fn wait_for(agent: &AgentProcess, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for: {what}\n{}",
            agent.dump()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn report_body() -> (Uuid, Vec<u8>) {
    let agent = AgentInfo {
        name: "test-agent".into(),
        version: "0".into(),
        machine_id: None,
    };
    let report = ScanReport::new(agent, Scope::default(), chrono::Utc::now());
    (report.report_id, daicho_agent::runner::gzip_json(&report))
}

#[test]
fn a_write_on_a_full_disk_is_told_apart_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let spool_dir = dir.path().join("spool");
    let Some(_mount) = small_tmpfs(&spool_dir) else {
        return;
    };
    let spool = Spool::open(&spool_dir, 100, 1 << 20).unwrap();
    let (id, body) = report_body();
    spool.put(id, &body).unwrap();
    fill(&spool_dir, "filler");

    let probe = spool.probe().unwrap_err();
    assert!(probe.disk_full(), "{probe}");
    let (id, body) = report_body();
    let put = spool.put(id, &body).unwrap_err();
    assert!(put.disk_full(), "{put}");
    assert_eq!(leftovers(&spool_dir), Vec::<PathBuf>::new());
    assert_eq!(
        spool.pending().unwrap().len(),
        1,
        "the spooled report stays"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_spool_disk_delivers_the_backlog_and_keeps_running() {
    let dir = tempfile::tempdir().unwrap();
    let spool_dir = dir.path().join("spool");
    let Some(_mount) = small_tmpfs(&spool_dir) else {
        return;
    };
    let collector = CollectorDouble::start(TOKEN).await;
    let config = write_config(dir.path(), &collector.url(), "1s", "");
    // A backlog of three reports, what a crash leaves behind, and then a full disk.
    let spool = Spool::open(&spool_dir, 100, 1 << 20).unwrap();
    let backlog: Vec<Uuid> = (0..3)
        .map(|_| {
            let (id, body) = report_body();
            spool.put(id, &body).unwrap();
            id
        })
        .collect();
    drop(spool);
    // Empty, as a full disk leaves them (created, then the write failed): removing them frees
    // no space.
    for leftover in [
        format!("{PROBE_PREFIX}999999"),
        format!("pending/{TMP_PREFIX}half.json.gz"),
        format!("rejected/{TMP_PREFIX}half.json.gz.reason"),
    ] {
        std::fs::write(spool_dir.join(leftover), b"").unwrap();
    }
    let filler = fill(&spool_dir, "filler");

    let mut agent = AgentProcess::start(&config, &[]);
    wait_for(&agent, "the spooled backlog delivered", || {
        backlog.iter().all(|id| collector.record.count(*id) == 1)
    })
    .await;
    assert!(
        agent.child.try_wait().unwrap().is_none(),
        "the agent keeps running on a full disk:\n{}",
        agent.dump()
    );
    let full = agent.events(
        "SPOOL DISK FULL: new reports cannot be written; delivering the spooled ones to free space and retrying at each run",
    );
    assert_eq!(full.len(), 1, "{}", agent.dump());
    assert_eq!(full[0]["level"], "ERROR");
    assert_eq!(full[0]["backlog"], 3);

    // The delivered backlog freed the space the agent's own run needed.
    wait_for(&agent, "a report of the agent's own run delivered", || {
        let own = agent.ids("report spooled");
        !own.is_empty() && own.iter().all(|id| collector.record.count(*id) == 1)
    })
    .await;

    // Full again with nothing left to deliver: a run loses its report, loudly, and the agent
    // goes on; once space is free (the operator removes what filled the disk), runs spool again.
    wait_for(&agent, "the spool drained", || {
        pending_files(dir.path()).is_empty()
    })
    .await;
    let refill = fill(&spool_dir, "filler-2");
    wait_for(&agent, "a run's report logged as lost", || {
        !agent.events(LOST).is_empty()
    })
    .await;
    let lost = agent.events(LOST);
    assert_eq!(lost[0]["level"], "ERROR");
    let lost_id: Uuid = lost[0]["report_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(collector.record.count(lost_id), 0);
    assert!(
        agent.child.try_wait().unwrap().is_none(),
        "{}",
        agent.dump()
    );
    std::fs::remove_file(&filler).unwrap();
    std::fs::remove_file(&refill).unwrap();
    let spooled_before = agent.ids("report spooled").len();
    wait_for(
        &agent,
        "a report spooled and delivered after space was freed",
        || {
            let own = agent.ids("report spooled");
            own.len() > spooled_before && own.iter().all(|id| collector.record.count(*id) == 1)
        },
    )
    .await;

    agent.terminate();
    let status = agent.wait(Duration::from_secs(30));
    assert!(status.success(), "{status}\n{}", agent.dump());
    assert!(pending_files(dir.path()).is_empty(), "spool drained");
    assert_eq!(leftovers(&spool_dir), Vec::<PathBuf>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_on_a_full_disk_logs_the_lost_report_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let spool_dir = dir.path().join("spool");
    let Some(_mount) = small_tmpfs(&spool_dir) else {
        return;
    };
    let collector = CollectorDouble::start(TOKEN).await;
    let config = write_config(dir.path(), &collector.url(), "1h", "");
    drop(Spool::open(&spool_dir, 100, 1 << 20).unwrap());
    fill(&spool_dir, "filler");

    let mut agent = AgentProcess::start(&config, &["--once"]);
    let status = agent.wait(Duration::from_mins(1));
    assert_eq!(status.code(), Some(1), "{}", agent.dump());
    let lost = agent.events(LOST);
    assert_eq!(lost.len(), 1, "{}", agent.dump());
    assert_eq!(lost[0]["level"], "ERROR");
    assert!(collector.record.ids().is_empty());
    assert_eq!(leftovers(&spool_dir), Vec::<PathBuf>::new());
}
