//! The HTTP API over real loopback connections (a TcpListener on 127.0.0.1, reqwest client).

#[path = "support/console.rs"]
mod console;

use std::io::Write as _;
use std::sync::Arc;

use chrono::Duration;
use console::{ConsoleServer, agent_report, openssh_service, start_server};
use daicho_collector::{Config, Server};
use daicho_ledger::{Ledger, Role};
use daicho_model::api::{ApiError, ReportAccepted};
use daicho_model::{Host, MacAddr, OsGuess, ScanReport};
use reqwest::StatusCode;
use serde_json::Value;

/// A started collector (stopped when dropped) with an agent token for `ward3` and an operator
/// token for `admin`.
struct Running {
    _server: ConsoleServer,
    base: String,
    ledger: Arc<Ledger>,
    agent: String,
    operator: String,
    client: reqwest::Client,
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().unwrap()
}

async fn start(tweak: impl FnOnce(&mut Config)) -> Running {
    let server = start_server(tweak).await;
    let (agent, operator) = server
        .on_ledger(|l| {
            (
                l.create_token("ward3", Role::Agent).unwrap().1,
                l.create_token("admin", Role::Operator).unwrap().1,
            )
        })
        .await;
    Running {
        base: server.base.clone(),
        ledger: Arc::clone(&server.ledger),
        _server: server,
        agent,
        operator,
        client: client(),
    }
}

fn report(agent: &str, hosts: Vec<Host>) -> ScanReport {
    agent_report(agent, "test", hosts)
}

fn host(i: u8, mac: bool) -> Host {
    Host {
        ip: format!("198.18.0.{i}").parse().unwrap(),
        mac: mac.then_some(MacAddr([0x00, 0x1b, 0x21, 0, 0, i])),
        vendor: mac.then(|| "Intel Corporate".to_owned()),
        mac_randomized: false,
        hostname: Some(format!("host{i}")),
        os: OsGuess::default(),
        services: vec![openssh_service()],
        rtt_ms: None,
        ttl: Some(64),
        discovered_by: vec!["arp".into()],
        local: None,
    }
}

impl Running {
    async fn push(&self, token: Option<&str>, body: Vec<u8>, gzip: bool) -> (StatusCode, Value) {
        let mut req = self
            .client
            .post(format!("{}/api/v1/reports", self.base))
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let body = if gzip {
            req = req.header("content-encoding", "gzip");
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&body).unwrap();
            enc.finish().unwrap()
        } else {
            body
        };
        let resp = req.body(body).send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.operator)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        let resp = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.operator)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn stored(&self) -> (u64, u64) {
        let l = self.ledger.clone();
        tokio::task::spawn_blocking(move || (l.report_count().unwrap(), l.device_count().unwrap()))
            .await
            .unwrap()
    }
}

fn error_text(v: &Value) -> String {
    serde_json::from_value::<ApiError>(v.clone())
        .expect("an ApiError body")
        .error
}

#[tokio::test]
async fn pushes_without_a_valid_token_are_refused_and_store_nothing() {
    let s = start(|_| {}).await;
    let body = report("ward3", vec![host(10, true)])
        .to_json_pretty()
        .into_bytes();
    let (status, v) = s.push(None, body.clone(), false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(error_text(&v).contains("missing bearer token"));
    let (status, _) = s.push(Some("dct_0123"), body.clone(), false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = s.push(Some("not-even-a-token"), body.clone(), true).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // An operator token may not push.
    let (status, _) = s.push(Some(&s.operator.clone()), body.clone(), false).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Revoked.
    let l = s.ledger.clone();
    tokio::task::spawn_blocking(move || l.revoke_tokens("ward3").unwrap())
        .await
        .unwrap();
    let (status, v) = s.push(Some(&s.agent.clone()), body, false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(error_text(&v).contains("revoked"));
    assert_eq!(s.stored().await, (0, 0));
    // An agent token cannot read the ledger either.
    let resp = s
        .client
        .get(format!("{}/api/v1/devices", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let metrics = s
        .client
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap();
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("daicho_reports_rejected_total{reason=\"auth\"} 5"),
        "{text}"
    );
}

#[tokio::test]
async fn oversized_bodies_and_gzip_bombs_get_413() {
    let s = start(|c| {
        c.server.max_body_bytes = 64 * 1024;
        c.server.max_decompressed_bytes = 256 * 1024;
    })
    .await;
    let agent = s.agent.clone();
    let hosts: Vec<Host> = (1..=250).map(|i| host(i, true)).collect();
    let big = report("ward3", hosts).to_json_pretty().into_bytes();
    assert!(
        big.len() > 64 * 1024 && big.len() < 256 * 1024,
        "{}",
        big.len()
    );
    let (status, v) = s.push(Some(&agent), big.clone(), false).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(error_text(&v).contains("larger than 65536 bytes"));
    // The same report gzip-compressed fits the wire limit and is accepted.
    let (status, v) = s.push(Some(&agent), big, true).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(s.stored().await, (1, 250));
    // A small gzip body that inflates past the decompressed limit.
    let mut bomb = br#"{"schema":1,"pad":""#.to_vec();
    bomb.extend(std::iter::repeat_n(b' ', 4 * 1024 * 1024));
    bomb.extend(br#""}"#);
    let (status, v) = s.push(Some(&agent), bomb, true).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(error_text(&v).contains("decompressed"));
    assert_eq!(s.stored().await, (1, 250));
}

#[tokio::test]
async fn malformed_reports_get_400_naming_the_problem() {
    let s = start(|_| {}).await;
    let agent = s.agent.clone();
    let good = report("ward3", vec![host(10, true), host(11, true)]).to_json_pretty();
    let bad_mac = good.replacen("00:1b:21:00:00:0b", "00:1b:21:00:00:zz", 1);
    let (status, v) = s.push(Some(&agent), bad_mac.into_bytes(), false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_text(&v).contains("hosts[1].mac"), "{v}");
    let (status, v) = s
        .push(
            Some(&agent),
            good.as_bytes()[..good.len() / 2].to_vec(),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_text(&v).contains("not valid JSON"), "{v}");
    let future = good.replacen("\"schema\": 1", "\"schema\": 99", 1);
    let (status, v) = s.push(Some(&agent), future.into_bytes(), true).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_text(&v).contains("schema"), "{v}");
    let no_hosts = good.replacen("\"hosts\"", "\"hostz\"", 1);
    let (status, v) = s.push(Some(&agent), no_hosts.into_bytes(), false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_text(&v).contains("hosts"), "{v}");
    let resp = s
        .client
        .post(format!("{}/api/v1/reports", s.base))
        .bearer_auth(&agent)
        .header("content-encoding", "gzip")
        .body(b"\x1f\x8b\x08garbage".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: Value = resp.json().await.unwrap();
    assert!(error_text(&v).contains("gzip"), "{v}");
    let resp = s
        .client
        .post(format!("{}/api/v1/reports", s.base))
        .bearer_auth(&agent)
        .header("content-encoding", "br")
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(s.stored().await, (0, 0));
}

#[tokio::test]
async fn a_retried_report_is_idempotent() {
    let s = start(|_| {}).await;
    let agent = s.agent.clone();
    let r = report("ward3", vec![host(10, true), host(11, true)]);
    let body = r.to_json_pretty().into_bytes();
    let (status, v) = s.push(Some(&agent), body.clone(), true).await;
    assert_eq!(status, StatusCode::CREATED);
    let first: ReportAccepted = serde_json::from_value(v).unwrap();
    assert_eq!(
        (first.report_id, first.duplicate, first.devices),
        (r.report_id, false, 2)
    );
    let (_, events_before) = s.get("/api/v1/events?limit=1000").await;
    let (status, v) = s.push(Some(&agent), body, false).await;
    assert_eq!(status, StatusCode::OK);
    let again: ReportAccepted = serde_json::from_value(v).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.devices, 2);
    let (_, events_after) = s.get("/api/v1/events?limit=1000").await;
    assert_eq!(events_before, events_after);
    assert_eq!(s.stored().await, (1, 2));
}

#[tokio::test]
async fn two_agents_over_the_same_hosts_make_one_device_each() {
    let s = start(|_| {}).await;
    let l = s.ledger.clone();
    let second =
        tokio::task::spawn_blocking(move || l.create_token("ward4", Role::Agent).unwrap().1)
            .await
            .unwrap();
    let agent = s.agent.clone();
    for round in 0..3i64 {
        let mut a = report("ward3", (10..30).map(|i| host(i, true)).collect());
        let mut b = report("ward4", (10..30).map(|i| host(i, false)).collect());
        a.finished_at += Duration::hours(round);
        b.finished_at += Duration::hours(round) + Duration::minutes(1);
        if round == 2 {
            // Host .10 moved to .200 (new lease) in both agents' view.
            a.hosts[0].ip = "198.18.0.200".parse().unwrap();
            b.hosts[0].ip = "198.18.0.200".parse().unwrap();
        }
        let (sa, _) = s
            .push(Some(&agent), a.to_json_pretty().into_bytes(), true)
            .await;
        let (sb, _) = s
            .push(Some(&second), b.to_json_pretty().into_bytes(), true)
            .await;
        assert_eq!((sa, sb), (StatusCode::CREATED, StatusCode::CREATED));
    }
    let (status, page) = s.get("/api/v1/devices?limit=1000").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 20, "{page:#}");
    let (_, moved) = s.get("/api/v1/devices?q=198.18.0.200").await;
    assert_eq!(moved["total"], 1);
    assert_eq!(moved["devices"][0]["mac"], "00:1b:21:00:00:0a");
}

#[tokio::test]
async fn operators_read_filter_edit_merge_and_split() {
    let s = start(|_| {}).await;
    let agent = s.agent.clone();
    let first = report("ward3", vec![host(10, true), host(11, true)]);
    s.push(Some(&agent), first.to_json_pretty().into_bytes(), false)
        .await;
    let (status, page) = s
        .get("/api/v1/devices?flag=unregistered&subnet=198.18.0.0/24")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 2);
    let (status, v) = s.get("/api/v1/devices?subnet=198.18.0.0/33").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_text(&v).contains("subnet"));
    let (status, v) = s.get("/api/v1/devices?colour=red").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_text(&v).contains("colour"), "{v}");
    let (status, _) = s.get("/api/v1/devices/999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.get("/api/v1/devices/abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let id = page["devices"][0]["id"].as_i64().unwrap();
    let other = page["devices"][1]["id"].as_i64().unwrap();
    let (status, device) = s
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/devices/{id}"),
            &serde_json::json!({"asset_no": "PC-0001", "location": "3階 ナースステーション",
                                "status": "稼働", "registered_on": "2026-05-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{device}");
    assert_eq!(device["ledger"]["location"], "3階 ナースステーション");
    let (status, v) = s
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/devices/{other}"),
            &serde_json::json!({"asset_no": "PC-0001"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    let (status, v) = s
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/devices/{other}"),
            &serde_json::json!({"registered_on": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_text(&v).contains("registered_on"), "{v}");
    // A later scan does not overwrite the ledger fields.
    let mut later = report("ward3", vec![host(10, true), host(11, true)]);
    later.finished_at += Duration::hours(1);
    s.push(Some(&agent), later.to_json_pretty().into_bytes(), false)
        .await;
    let (_, device) = s.get(&format!("/api/v1/devices/{id}")).await;
    assert_eq!(device["ledger"]["asset_no"], "PC-0001");
    assert_eq!(device["ledger"]["status"], "稼働");
    assert!(
        device["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "ledger_updated")
    );
    let (_, unregistered) = s.get("/api/v1/devices?flag=unregistered").await;
    assert_eq!(unregistered["total"], 1);
    let (_, running) = s.get("/api/v1/devices?status=%E7%A8%BC%E5%83%8D").await;
    assert_eq!(running["total"], 1);
    // Merge and split.
    let (status, merged) = s
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/devices/{id}/merge"),
            &serde_json::json!({"from": other}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let (_, page) = s.get("/api/v1/devices").await;
    assert_eq!(page["total"], 1);
    let (status, v) = s
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/devices/{id}/split"),
            &serde_json::json!({"macs": ["not-a-mac"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_text(&v).contains("macs[0]"), "{v}");
    let (status, sp) = s
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/devices/{id}/split"),
            &serde_json::json!({"macs": ["00:1b:21:00:00:0b"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sp}");
    let mut again = report("ward3", vec![host(10, true), host(11, true)]);
    again.finished_at += Duration::hours(2);
    s.push(Some(&agent), again.to_json_pretty().into_bytes(), false)
        .await;
    let (_, page) = s.get("/api/v1/devices").await;
    assert_eq!(page["total"], 2);
    let (status, events) = s
        .get(&format!("/api/v1/events?device={id}&kind=merged"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(events.as_array().unwrap().len(), 1);
    let health = s
        .client
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let (status, _) = s.get("/api/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tls_serves_https_with_the_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_path = dir.path().join("c.pem");
    let key_path = dir.path().join("k.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let s = start(|c| {
        c.server.tls = Some(daicho_collector::config::TlsConfig {
            cert: cert_path.clone(),
            key: key_path.clone(),
        });
    })
    .await;
    let port = s.base.rsplit(':').next().unwrap().to_owned();
    let https = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap()])
        .resolve("localhost", format!("127.0.0.1:{port}").parse().unwrap())
        .build()
        .unwrap();
    let resp = https
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Plain HTTP to the TLS port does not get an answer.
    assert!(
        s.client
            .get(format!("{}/healthz", s.base))
            .send()
            .await
            .is_err()
    );
    // A missing key file is a clear startup error.
    let mut bad = Config::default();
    bad.server.listen = "127.0.0.1:0".parse().unwrap();
    bad.storage.database = dir.path().join("x.db");
    bad.server.tls = Some(daicho_collector::config::TlsConfig {
        cert: cert_path,
        key: dir.path().join("missing.pem"),
    });
    let err = Server::bind(&bad).await.err().unwrap();
    assert!(err.to_string().contains("missing.pem"), "{err}");
}

/// Sends raw bytes and returns the status line and body of the answer.
async fn raw_exchange(addr: &str, request: &[u8], then_wait: bool) -> (String, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(request).await.unwrap();
    if !then_wait {
        conn.shutdown().await.unwrap();
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        conn.read_to_end(&mut answer),
    )
    .await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.lines().next().unwrap_or_default().to_owned();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

#[tokio::test]
async fn a_stalled_upload_times_out_and_an_unauthenticated_one_is_refused_at_once() {
    let s = start(|c| c.server.request_timeout_secs = 1).await;
    let addr = s.base.trim_start_matches("http://").to_owned();
    let head = |token: &str| {
        format!(
            "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"schema\":1,"
        )
    };
    let started = std::time::Instant::now();
    let (status, body) = raw_exchange(&addr, head(&s.agent).as_bytes(), true).await;
    assert!(status.contains("408"), "{status} {body}");
    assert!(body.contains("not completed within 1 s"), "{body}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Without a valid token the body is never waited for.
    let started = std::time::Instant::now();
    let (status, _) = raw_exchange(&addr, head("dct_bad").as_bytes(), true).await;
    assert!(status.contains("401"), "{status}");
    assert!(started.elapsed() < std::time::Duration::from_millis(900));
    let (status, body) = raw_exchange(
        &addr,
        b"DELETE /api/v1/reports HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        false,
    )
    .await;
    assert!(status.contains("405"), "{status}");
    assert!(body.contains("\"error\""), "{body}");
    assert_eq!(s.stored().await, (0, 0));
}
