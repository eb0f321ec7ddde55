//! What an agent's report may hold: every device-supplied string and list bounded (cut with a
//! marker and a warning on the stored report, never refused whole), at most
//! `[server] max_hosts_per_report` hosts (413), and only under its token's agent name (403).

#[path = "support/console.rs"]
mod console;

use console::{ConsoleServer, agent_report, openssh_service, scanned_host, start_server};
use daicho_ledger::{DeviceFilter, Role};
use daicho_model::api::ApiError;
use daicho_model::bounds::{MAX_EVIDENCE, MAX_NAME_CHARS};
use daicho_model::{Host, ScanReport};
use reqwest::StatusCode;

struct Running {
    server: ConsoleServer,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
    agent: String,
    operator: String,
    client: reqwest::Client,
}

async fn start(max_hosts: Option<usize>) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bounds.db");
    let at = db.clone();
    let server = start_server(move |c| {
        c.storage.database = at;
        if let Some(n) = max_hosts {
            c.server.max_hosts_per_report = n;
        }
    })
    .await;
    let (agent, operator) = server
        .on_ledger(|l| {
            (
                l.create_token("ward3", Role::Agent).unwrap().1,
                l.create_token("admin", Role::Operator).unwrap().1,
            )
        })
        .await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    Running {
        server,
        db,
        _dir: dir,
        agent,
        operator,
        client: reqwest::Client::new(),
    }
}

impl Running {
    async fn push(&self, report: &ScanReport) -> (StatusCode, String) {
        let r = self
            .client
            .post(format!("{}/api/v1/reports", self.server.base))
            .bearer_auth(&self.agent)
            .json(report)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    async fn get(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let r = self
            .client
            .get(format!("{}{path}", self.server.base))
            .bearer_auth(&self.operator)
            .send()
            .await
            .unwrap();
        (r.status(), r.bytes().await.unwrap().to_vec())
    }

    async fn devices(&self) -> Vec<daicho_ledger::DeviceSummary> {
        self.server
            .on_ledger(|l| {
                l.list_devices(&DeviceFilter {
                    limit: Some(100),
                    ..DeviceFilter::default()
                })
                .unwrap()
                .devices
            })
            .await
    }

    /// The `warnings` stored with every report, oldest first.
    fn stored_warnings(&self) -> Vec<Vec<String>> {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        let mut stmt = conn
            .prepare("SELECT warnings_json FROM reports ORDER BY id")
            .unwrap();
        stmt.query_map([], |row| row.get::<_, String>(0))
            .unwrap()
            .map(|w| serde_json::from_str(&w.unwrap()).unwrap())
            .collect()
    }
}

fn error_of(body: &str) -> String {
    serde_json::from_str::<ApiError>(body)
        .unwrap_or_else(|e| panic!("{e}: {body}"))
        .error
}

fn is_marked(s: &str) -> bool {
    s.chars().count() <= MAX_NAME_CHARS && s.contains("…[truncated ") && s.ends_with(" chars]")
}

#[tokio::test]
async fn over_long_strings_are_stored_bounded_with_a_warning_and_every_export_works() {
    let run = start(None).await;
    let mut host: Host = scanned_host(10, &"h".repeat(40_000));
    host.os.name = Some("Linux ".repeat(10 * 1024 * 1024 / 6));
    host.os.evidence = (0..1_000).map(|i| format!("evidence {i}")).collect();
    let mut ssh = openssh_service();
    ssh.product = Some("病".repeat(50_000));
    host.services = vec![ssh];
    let (status, body) = run.push(&agent_report("ward3", "test", vec![host])).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let devices = run.devices().await;
    assert_eq!(devices.len(), 1);
    let d = &devices[0];
    let hostname = d.hostname.as_deref().unwrap();
    assert!(is_marked(hostname), "{hostname}");
    assert!(hostname.starts_with("hhhh"));
    let os = d.os.name.as_deref().unwrap();
    assert!(is_marked(os), "{}", &os[..os.len().min(300)]);
    assert!(os.starts_with("Linux Linux"));

    let warnings = run.stored_warnings();
    assert_eq!(warnings.len(), 1);
    let w = &warnings[0];
    for field in [
        "hosts[0].hostname",
        "hosts[0].os.name",
        "hosts[0].os.evidence",
        "hosts[0].services[0].product",
    ] {
        assert!(
            w.iter().any(|x| x.starts_with(&format!("{field}:"))),
            "no warning names {field}: {w:?}"
        );
    }
    assert!(
        w.iter()
            .any(|x| x.contains("1000 entries") && x.contains(&format!("first {MAX_EVIDENCE}"))),
        "{w:?}"
    );

    // The ledger file, read back (a row needs its 管理番号): the host name bounded, the marker kept.
    let r = run
        .client
        .patch(format!("{}/api/v1/devices/{}", run.server.base, d.id))
        .bearer_auth(&run.operator)
        .json(&serde_json::json!({"asset_no": "A-1"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let (status, xlsx) = run.get("/api/v1/ledger/export?format=xlsx").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&xlsx));
    let rows = daicho_ledger_io::import_ledger(&xlsx).unwrap().rows;
    assert!(
        rows.iter().any(|r| is_marked(&r.computer_name)),
        "{:?}",
        rows.iter().map(|r| &r.computer_name).collect::<Vec<_>>()
    );
    let (status, csv) = run.get("/api/v1/ledger/export?format=csv").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&csv));
    let (status, checklist) = run
        .get("/api/v1/reports/checklist?format=xlsx&restriction_applied=true")
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&checklist)
    );
    assert!(checklist.starts_with(b"PK\x03\x04"));
}

#[tokio::test]
async fn a_report_over_the_host_limit_is_refused_with_413_naming_it() {
    let run = start(Some(3)).await;
    let hosts = |n: u8| {
        (1..=n)
            .map(|i| scanned_host(i, &format!("pc{i}")))
            .collect()
    };
    let (status, body) = run.push(&agent_report("ward3", "test", hosts(4))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let error = error_of(&body);
    assert!(
        error.contains("max_hosts_per_report")
            && error.contains("(3)")
            && error.contains("4 hosts"),
        "{error}"
    );
    assert!(run.devices().await.is_empty(), "nothing stored");
    let (status, body) = run.push(&agent_report("ward3", "test", hosts(3))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn the_default_host_limit_is_a_slash_16() {
    assert_eq!(
        daicho_collector::Config::default()
            .server
            .max_hosts_per_report,
        65_536
    );
}

#[tokio::test]
async fn a_token_reports_only_under_its_own_agent_name() {
    let run = start(None).await;
    let report = agent_report("ward9", "test", vec![scanned_host(1, "pc1")]);
    let (status, body) = run.push(&report).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let error = error_of(&body);
    assert!(
        error.contains("`ward9`") && error.contains("`ward3`"),
        "{error}"
    );
    assert!(run.devices().await.is_empty(), "nothing stored");
    assert!(run.stored_warnings().is_empty());
    let (status, body) = run
        .push(&agent_report("ward3", "test", vec![scanned_host(1, "pc1")]))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
