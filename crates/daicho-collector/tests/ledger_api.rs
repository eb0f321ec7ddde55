//! `GET /api/v1/ledger/export`, `GET /api/v1/reports/checklist` and the applied-allowlist
//! records (`/api/v1/allowlist/records`) over real loopback HTTP.

#[path = "support/console.rs"]
mod console;

use chrono::Utc;
use console::start_console;
use daicho_ledger::Role;
use daicho_ledger_io::{DeviceStatus, LedgerRow};
use daicho_model::{AgentInfo, Host, MacAddr, OsGuess, ScanReport, Scope};
use reqwest::StatusCode;

/// A report of agent `a` seeing `hosts` now.
fn report(hosts: Vec<Host>) -> ScanReport {
    let mut r = ScanReport::new(
        AgentInfo {
            name: "a".into(),
            version: "t".into(),
            machine_id: None,
        },
        Scope::default(),
        Utc::now(),
    );
    r.hosts = hosts;
    r
}

/// Host `198.18.0.{i}` (`host{i}`) with `services` open.
fn host(i: u8, services: Vec<daicho_model::Service>) -> Host {
    Host {
        ip: format!("198.18.0.{i}").parse().unwrap(),
        mac: Some(MacAddr([0, 0x1b, 0x21, 0, 0, i])),
        vendor: None,
        mac_randomized: false,
        hostname: Some(format!("host{i}")),
        os: OsGuess::default(),
        services,
        rtt_ms: None,
        ttl: None,
        discovered_by: vec![],
        local: None,
    }
}

#[tokio::test]
async fn the_ledger_export_and_the_checklist_are_served_to_operators_only() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = start_console().await;
    let (agent, operator) = server
        .on_ledger(|l| {
            l.ingest(&report((10u8..13).map(|i| host(i, vec![])).collect()), None)
                .unwrap();
            let row = LedgerRow {
                asset_no: "受付-001".into(),
                computer_name: "host10".into(),
                status: Some(DeviceStatus::Active),
                mac: Some(MacAddr([0, 0x1b, 0x21, 0, 0, 10])),
                ..LedgerRow::default()
            };
            l.apply_import(daicho_ledger::SiteId::DEFAULT, &[row], &[2])
                .unwrap();
            (
                l.create_token("ward3", Role::Agent).unwrap().1,
                l.create_token("admin", Role::Operator).unwrap().1,
            )
        })
        .await;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let get = |path: &str, token: &str| {
        client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
    };

    let r = get("/api/v1/ledger/export?format=csv", &operator)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let body = r.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("受付-001") && text.contains("198.18.0.12"),
        "{text}"
    );

    let r = get(
        "/api/v1/ledger/export?format=csv&encoding=cp932&registered_only=true",
        &operator,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.bytes().await.unwrap();
    let rows = daicho_ledger_io::import_ledger(&body).unwrap().rows;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].asset_no, "受付-001");

    let r = get("/api/v1/ledger/export?format=xlsx", &operator)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().starts_with(b"PK\x03\x04"));

    let r = get("/api/v1/ledger/export?format=pdf", &operator)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let r = get("/api/v1/reports/checklist", &operator).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("2-①") && html.contains("いいえ"), "{html}");
    let r = get(
        "/api/v1/reports/checklist?format=xlsx&restriction_applied=true",
        &operator,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // The applied allowlist: recorded, listed, withdrawn.
    let post = |body: serde_json::Value, token: &str| {
        client
            .post(format!("{base}/api/v1/allowlist/records"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let r = post(
        serde_json::json!({"place": "無線LAN AP 2F", "applied_by": "山田", "applied_on": "2026-11-01"}),
        &operator,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let record: serde_json::Value = r.json().await.unwrap();
    assert_eq!(record["macs"], serde_json::json!(["00:1b:21:00:00:0a"]));
    assert_eq!(record["applied_on"], "2026-11-01");
    let html = get("/api/v1/reports/checklist", &operator)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("無線LAN AP 2F（2026/11/01 適用、山田、1 件）"),
        "{html}"
    );
    for (bad, needle) in [
        (
            serde_json::json!({"place": "", "applied_by": "山田"}),
            "place",
        ),
        (
            serde_json::json!({"place": "SW", "applied_by": "山田", "port": 1}),
            "port",
        ),
        (
            serde_json::json!({"place": "SW", "applied_by": "山田", "applied_on": "2026-02-30"}),
            "applied_on",
        ),
    ] {
        let r = post(bad, &operator).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let text = r.text().await.unwrap();
        assert!(text.contains(needle), "{text}");
    }
    assert_eq!(
        post(
            serde_json::json!({"place": "SW", "applied_by": "x"}),
            &agent
        )
        .await
        .unwrap()
        .status(),
        StatusCode::FORBIDDEN
    );
    let list: serde_json::Value = get("/api/v1/allowlist/records", &operator)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let id = list[0]["id"].as_i64().unwrap();
    let delete = |id: i64| {
        client
            .delete(format!("{base}/api/v1/allowlist/records/{id}"))
            .bearer_auth(&operator)
            .send()
    };
    assert_eq!(delete(id).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(delete(id).await.unwrap().status(), StatusCode::BAD_REQUEST);
    let list: serde_json::Value = get("/api/v1/allowlist/records?all=true", &operator)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list[0]["withdrawn_at"].is_string());

    // Agents may not read the ledger.
    let r = get("/api/v1/ledger/export", &agent).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = client
        .get(format!("{base}/api/v1/reports/checklist"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    drop(server);
}

#[tokio::test]
async fn the_remote_maintenance_register_over_the_api() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = start_console().await;
    let (agent, operator) = server
        .on_ledger(|l| {
            let vnc = daicho_model::Service {
                port: 5900,
                protocol: daicho_model::Protocol::Tcp,
                name: "vnc".into(),
                product: None,
                version: None,
                evidence: vec![],
            };
            l.ingest(&report(vec![host(15, vec![vnc])]), None).unwrap();
            (
                l.create_token("ward3", Role::Agent).unwrap().1,
                l.create_token("admin", Role::Operator).unwrap().1,
            )
        })
        .await;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let list = |token: String| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            client
                .get(format!("{base}/api/v1/remote-maintenance"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(list(agent.clone()).await.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = list(operator.clone()).await.json().await.unwrap();
    assert_eq!(
        body[0]["paths"][0],
        "リモートサポート（待ち受け）: vnc/tcp/5900"
    );
    assert_eq!(body[0]["confirmed"], false);

    let put = |json: serde_json::Value| {
        client
            .put(format!("{base}/api/v1/devices/1/remote-maintenance"))
            .bearer_auth(&operator)
            .json(&json)
            .send()
    };
    let bad = put(serde_json::json!({"vendor": "B社", "remote": "maybe"}))
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let future = put(
        serde_json::json!({"vendor": "B社", "remote": "yes", "method": "",
        "confirmed_with": "佐藤", "confirmed_on": "2099-01-01"}),
    )
    .await
    .unwrap();
    assert_eq!(future.status(), StatusCode::BAD_REQUEST);
    let ok = put(
        serde_json::json!({"vendor": "B社", "remote": "no", "method": "",
        "confirmed_with": "B社 保守課 佐藤", "confirmed_on": "2026-12-01"}),
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    let body: serde_json::Value = list(operator.clone()).await.json().await.unwrap();
    assert_eq!(body[0]["confirmed"], true);
    assert_eq!(body[0]["register"]["remote"], "no");
}
