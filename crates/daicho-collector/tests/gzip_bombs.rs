//! Eight concurrent gzip bombs against the collector binary run as a child process (so that its
//! resident memory can be read from `/proc/PID/status`): every push is refused (413 when
//! decompressed past `max_decompressed_bytes`, 503 with Retry-After when every decompression slot
//! stays busy), `/healthz` still answers, and the peak resident memory (VmHWM) stays under
//!
//! ```text
//! base + max_concurrent_decompressions × (2 × max_body_bytes + max_decompressed_bytes) + slack
//! ```
//!
//! where `base` is the resident memory once serving and the body counts twice (the request
//! body as received and the copy it is gathered into).

#[path = "support/child_collector.rs"]
mod child_collector;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use child_collector::{Collector, agent_token, request};

const MIB: usize = 1024 * 1024;
/// The test's limits: small enough that the bound means something.
const MAX_BODY: usize = 20 * MIB;
const MAX_DECOMPRESSED: usize = 64 * MIB;
const SLOTS: usize = 2;
/// Allocator and runtime overhead beyond the buffers themselves.
const SLACK: usize = 48 * MIB;
const BOMBS: usize = 8;

fn bin() -> String {
    env!("CARGO_BIN_EXE_daicho-collector").to_owned()
}

fn config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("collector.toml");
    std::fs::write(
        &path,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nmax_body_bytes = {MAX_BODY}\n\
             max_decompressed_bytes = {MAX_DECOMPRESSED}\nmax_concurrent_decompressions = {SLOTS}\n\
             [storage]\ndatabase = \"{}\"\n",
            dir.join("collector.db").display()
        ),
    )
    .unwrap();
    path
}

/// About 16 MiB of gzip that inflates to about 16 GiB of zeros: a gzip header, then one
/// deflate segment for 1 MiB of zeros (taken between two full flushes, so it refers to nothing
/// before it) repeated, then an empty final block and a trailer. The trailer's CRC is not that
/// of the data: the collector stops long before it.
fn bomb() -> Vec<u8> {
    let zeros = vec![0u8; MIB];
    let mut z = flate2::Compress::new(flate2::Compression::best(), false);
    let mut first = Vec::with_capacity(MIB);
    z.compress_vec(&zeros, &mut first, flate2::FlushCompress::Full)
        .unwrap();
    let mut segment = Vec::with_capacity(MIB);
    z.compress_vec(&zeros, &mut segment, flate2::FlushCompress::Full)
        .unwrap();
    assert!(
        !segment.is_empty() && segment.len() < 2048,
        "{}",
        segment.len()
    );
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend_from_slice(&first);
    while out.len() + segment.len() < 16 * MIB {
        out.extend_from_slice(&segment);
    }
    // An empty final fixed-Huffman block, then CRC32 and ISIZE.
    out.extend_from_slice(&[0x03, 0x00]);
    out.extend_from_slice(&[0; 8]);
    assert!(out.len() <= MAX_BODY);
    out
}

/// A `kB` field of `/proc/PID/status` (`VmRSS`, `VmHWM`), in bytes.
fn status_bytes(pid: u32, field: &str) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in {status}"));
    let kb: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_concurrent_gzip_bombs_keep_resident_memory_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let token = agent_token(&bin(), &config, "ward-3");
    let mut command = Command::new(bin());
    command
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1");
    let collector = Collector::start(command, Duration::from_mins(1));
    let pid = collector.child.id();
    let addr = collector.addr.clone();

    let (status, _) = request(&addr, "GET /healthz HTTP/1.1", b"").await;
    assert_eq!(status, 200);
    let base = status_bytes(pid, "VmRSS");

    let bomb = std::sync::Arc::new(bomb());
    let head = format!(
        "POST /api/v1/reports HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Encoding: gzip"
    );
    let pushes: Vec<_> = (0..BOMBS)
        .map(|_| {
            let (addr, head, bomb) = (addr.clone(), head.clone(), bomb.clone());
            tokio::spawn(async move { request(&addr, &head, &bomb).await })
        })
        .collect();
    // While the bombs go off, /healthz answers.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, _) = tokio::time::timeout(
        Duration::from_secs(5),
        request(&addr, "GET /healthz HTTP/1.1", b""),
    )
    .await
    .expect("/healthz did not answer within 5 s during the bombs");
    assert_eq!(status, 200);

    let mut statuses = Vec::new();
    for push in pushes {
        let (status, answer) = push.await.unwrap();
        match status {
            413 => {}
            503 => assert!(
                answer.to_ascii_lowercase().contains("\r\nretry-after: "),
                "{answer}"
            ),
            other => panic!("a bomb was answered {other}: {answer}"),
        }
        statuses.push(status);
    }
    let (status, _) = request(&addr, "GET /healthz HTTP/1.1", b"").await;
    assert_eq!(status, 200);

    let peak = status_bytes(pid, "VmHWM");
    let bound = base + SLOTS * (2 * MAX_BODY + MAX_DECOMPRESSED) + SLACK;
    eprintln!(
        "gzip bombs: {statuses:?}; VmRSS before {} MiB, VmHWM after {} MiB, bound {} MiB",
        base / MIB,
        peak / MIB,
        bound / MIB
    );
    assert!(
        peak <= bound,
        "peak resident {} MiB over the bound {} MiB (base {} MiB)",
        peak / MIB,
        bound / MIB,
        base / MIB
    );
}
