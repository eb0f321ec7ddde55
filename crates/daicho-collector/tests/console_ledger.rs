//! The console's login, ダッシュボード, 機器台帳, 機器の詳細 and 未登録機器 pages through the real
//! server: logins (slowed, locked, no open redirect, cookie flags), each page with its data,
//! each decision for an operator and 403 for a viewer, 403 for a cross-origin post, the
//! security headers, and device-supplied markup shown escaped on every page.

#[path = "support/console.rs"]
mod console;

use std::time::Instant;

use console::{
    Browser, ConsoleServer, ESCAPED_SCRIPT_TAG, SCRIPT_TAG, password_of, scanned_host,
    start_console, start_server, ward_report,
};
use daicho_ledger::{AccountRole, AuditFilter, DeviceFilter};
use reqwest::StatusCode;

/// A server with 運用担当 `unyo`, 閲覧 `etsuran`, and three unregistered devices: one named with
/// a script tag, a reception PC, and a phone with a randomized MAC. Returns the device ids in
/// address order.
async fn clinic() -> (ConsoleServer, Vec<i64>) {
    let server = start_console().await;
    server.add_account("unyo", AccountRole::Operator).await;
    server.add_account("etsuran", AccountRole::Viewer).await;
    let ids = server
        .on_ledger(|l| {
            let mut phone = scanned_host(12, "iphone");
            phone.mac = Some("ee:11:22:33:44:55".parse().unwrap());
            phone.mac_randomized = true;
            phone.vendor = None;
            let mut hostile = scanned_host(10, SCRIPT_TAG);
            hostile.vendor = Some(SCRIPT_TAG.to_owned());
            l.ingest(
                &ward_report(
                    "test",
                    vec![hostile, scanned_host(11, "reception-pc"), phone],
                ),
                Some("ward3"),
            )
            .unwrap();
            l.list_devices(&DeviceFilter {
                sort: Some("ip".into()),
                ..DeviceFilter::default()
            })
            .unwrap()
            .devices
            .iter()
            .map(|d| d.id)
            .collect()
        })
        .await;
    (server, ids)
}

fn assert_escaped(page: &str, body: &str) {
    assert!(
        body.contains(ESCAPED_SCRIPT_TAG),
        "{page}: the hostile host name is shown"
    );
    assert!(!body.contains(SCRIPT_TAG), "{page}: a raw script tag");
}

#[tokio::test]
async fn a_login_sets_a_guarded_cookie_and_returns_to_the_page_asked_for() {
    let (server, _) = clinic().await;
    let browser = server.browser();
    let first = browser.get("/devices?view=eol").await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(first.location, "/login?next=/devices%3Fview%3Deol");
    let page = browser.get("/login?next=/devices%3Fview%3Deol").await;
    assert!(
        page.body
            .contains("name=\"next\" value=\"/devices?view=eol\"")
    );

    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/login", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("username", "unyo"),
                    ("password", password_of("unyo").as_str()),
                    ("next", "/devices?view=eol"),
                ])
                .finish(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/devices?view=eol");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("daicho_session="));
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "no TLS here: {cookie}");

    // Somewhere else is never a place to return to.
    let evil = server
        .browser()
        .post(
            "/login",
            &[
                ("username", "unyo"),
                ("password", &password_of("unyo")),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(evil.location, "/");

    let signed = server.login("unyo").await;
    assert_eq!(signed.post("/logout", &[]).await.location, "/login");
    assert_eq!(signed.get("/").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_login_outlives_a_restart_of_the_collector_and_ends_at_logout() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kept.db");
    let first = {
        let db = db.clone();
        start_server(move |c| c.storage.database = db).await
    };
    first.add_account("unyo", AccountRole::Operator).await;
    let cookie = first.login("unyo").await.cookie();
    drop(first);
    let second = {
        let db = db.clone();
        start_server(move |c| c.storage.database = db).await
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(format!("{}/", second.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "the session survived the restart"
    );
    let out = client
        .post(format!("{}/logout", second.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = client
        .get(format!("{}/", second.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "logged out for good");
}

#[tokio::test]
async fn failed_logins_are_slowed_then_the_account_locks() {
    let (server, _) = clinic().await;
    let browser = server.browser();
    let started = Instant::now();
    let wrong = browser
        .post("/login", &[("username", "unyo"), ("password", "wrong")])
        .await;
    assert!(started.elapsed().as_millis() >= 900, "a failure waits");
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("ユーザー名またはパスワードが違います"));
    assert!(wrong.body.contains("value=\"unyo\""), "the name is kept");
    for _ in 0..4 {
        browser
            .post("/login", &[("username", "unyo"), ("password", "wrong")])
            .await;
    }
    let locked = browser
        .post(
            "/login",
            &[("username", "unyo"), ("password", &password_of("unyo"))],
        )
        .await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED);
    assert!(
        locked.body.contains("ロックされています"),
        "{}",
        locked.body
    );
}

#[tokio::test]
async fn every_page_answers_with_the_console_headers_and_shows_device_text_inert() {
    let (server, ids) = clinic().await;
    let viewer = server.login("etsuran").await;
    for path in [
        "/".to_owned(),
        "/devices".to_owned(),
        format!("/devices/{}", ids[0]),
        "/triage".to_owned(),
    ] {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let response = reqwest::Client::new()
            .get(format!("{}{path}", server.base))
            .header("cookie", viewer.cookie())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let h = response.headers();
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("script-src 'self'")
        );
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["cache-control"], "no-store");
        let body = response.text().await.unwrap();
        assert_escaped(&path, &body);
        assert!(
            !body.contains("<form method=\"post\" action=\"/devices/"),
            "{path}: a viewer sees no decision form"
        );
    }
}

#[tokio::test]
async fn the_device_list_filters_sorts_pages_and_downloads_exactly_its_rows() {
    let (server, ids) = clinic().await;
    let b = server.login("unyo").await;
    let all = b.get("/devices").await;
    assert!(all.body.contains("3 台中 1–3 台目"), "{}", all.body);
    let by_name = b.get("/devices?computer_name=reception").await;
    assert!(by_name.body.contains("1 台中 1–1 台目"));
    assert!(by_name.body.contains("reception-pc") && !by_name.body.contains("iphone"));
    let sorted = b.get("/devices?sort=ip&desc=1").await.body;
    assert!(sorted.find("198.18.0.12").unwrap() < sorted.find("198.18.0.11").unwrap());
    assert!(sorted.contains("IPアドレス▼"));
    let paged = b.get("/devices?per=10&page=2").await.body;
    assert!(paged.contains("条件に合う機器はありません"));
    let chosen = b.get("/devices?col=mac&col=flags").await.body;
    assert!(
        chosen.contains("MACアドレス")
            && !chosen.contains("<th><a href=\"/devices?sort=location\">設置場所")
    );

    // The download holds the filtered rows only.
    let csv = b
        .get("/devices/export?computer_name=reception&format=csv&encoding=utf8")
        .await
        .body;
    assert!(csv.contains("reception-pc"));
    assert!(!csv.contains("iphone") && !csv.contains("198.18.0.10"));
    // A view saved by one operator is there for everyone; viewers may not save one.
    let saved = b
        .post(
            "/devices/views",
            &[
                ("name", "受付の端末"),
                ("query", "computer_name=reception&page=3&bogus=1"),
            ],
        )
        .await;
    assert_eq!(saved.location, "/devices?computer_name=reception");
    let viewer = server.login("etsuran").await;
    let listed = viewer.get("/devices").await.body;
    assert!(
        listed.contains("href=\"/devices?computer_name=reception\">受付の端末</a>"),
        "{listed}"
    );
    let refused = viewer
        .post("/devices/views", &[("name", "x"), ("query", "")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    b.post("/devices/views/delete", &[("name", "受付の端末")])
        .await;
    assert!(!b.get("/devices").await.body.contains("受付の端末</a>"));
    let bad = b.get("/devices/export?format=pdf").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        b.get(&format!("/devices/{}", ids[1]))
            .await
            .body
            .contains("reception-pc")
    );
}

#[tokio::test]
async fn triage_registers_several_at_once_and_records_what_the_others_are() {
    let (server, ids) = clinic().await;
    let b = server.login("unyo").await;
    let page = b.get("/triage").await.body;
    assert!(page.contains("id=\"unregistered-total\">3<"));
    assert!(page.contains("ランダムMAC"));
    // The vendor and host name seen are suggested for メーカー and コンピュータ名, as text.
    assert!(page.contains(&format!(
        "name=\"maker_{}\" value=\"{ESCAPED_SCRIPT_TAG}\"",
        ids[0]
    )));
    let (hostile, pc, phone) = (ids[0].to_string(), ids[1].to_string(), ids[2].to_string());
    let asset = |id: &str| format!("asset_no_{id}");
    let location = |id: &str| format!("location_{id}");
    let registered = b
        .post(
            "/triage/register",
            &[
                ("id", &hostile),
                (&asset(&hostile), "PC-0001"),
                (&location(&hostile), "1F 受付"),
                ("id", &pc),
                (&asset(&pc), "PC-0002"),
                ("id", &phone),
                (&asset(&phone), ""),
            ],
        )
        .await;
    assert_eq!(registered.location, "/triage");
    assert!(
        b.get("/triage")
            .await
            .body
            .contains("2 台を台帳に登録しました")
    );
    let b2 = b
        .post(&format!("/triage/{phone}/dismiss"), &[("as", "personal")])
        .await;
    assert_eq!(b2.status, StatusCode::SEE_OTHER);
    let after = b.get("/triage").await.body;
    assert!(after.contains("id=\"unregistered-total\">0<"), "{after}");
    assert!(after.contains("台帳の機器ではないと記録した機器") && after.contains("私物"));

    let (fields, audit) = server
        .on_ledger(move |l| {
            let d = l.device(ids[0]).unwrap().summary.ledger;
            (d, l.audit_log(&AuditFilter::default()).unwrap())
        })
        .await;
    assert_eq!(fields.asset_no.as_deref(), Some("PC-0001"));
    assert_eq!(fields.location.as_deref(), Some("1F 受付"));
    assert!(fields.registered_on.is_some(), "登録日 is today");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"device.register") && actions.contains(&"device.disposition"));
    assert!(audit.iter().all(|e| e.actor == "unyo"));

    // Undo, and a duplicate 管理番号 is refused with the reason.
    b.post(&format!("/triage/{phone}/dismiss"), &[("as", "")])
        .await;
    b.post(
        "/triage/register",
        &[("id", &phone), (&asset(&phone), "PC-0001")],
    )
    .await;
    let refused = b.get("/triage").await.body;
    assert!(
        refused.contains("登録できなかった機器があります"),
        "{refused}"
    );
}

#[tokio::test]
async fn the_device_page_saves_the_ledger_fields_with_validation() {
    let (server, ids) = clinic().await;
    let b = server.login("unyo").await;
    let path = format!("/devices/{}/ledger", ids[1]);
    let saved = b
        .post(
            &path,
            &[
                ("asset_no", "PC-0100"),
                ("maker", "NEC"),
                ("os", "Windows 11 Pro"),
                ("location", "2F 医事課"),
                ("user", "医事課"),
                ("status", "稼働"),
                ("registered_on", "2026-04-01"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(saved.location, format!("/devices/{}", ids[1]));
    let page = b.get(&format!("/devices/{}", ids[1])).await.body;
    assert!(page.contains("台帳項目を保存しました"));
    assert!(page.contains("value=\"2F 医事課\"") && page.contains("value=\"NEC\""));
    b.post(&path, &[("registered_on", "2026/13/45")]).await;
    let refused = b.get(&format!("/devices/{}", ids[1])).await.body;
    assert!(
        refused.contains("registered_on"),
        "the reason is shown: {refused}"
    );
    assert!(refused.contains("value=\"2026-04-01\""), "nothing changed");
}

async fn assert_refused(viewer: &Browser, operator: &Browser, path: &str) {
    let as_viewer = viewer.post(path, &[("as", "personal"), ("role", "")]).await;
    assert_eq!(as_viewer.status, StatusCode::FORBIDDEN, "viewer: {path}");
    assert!(as_viewer.body.contains("権限がありません"));
    let cross = operator
        .post_cross_origin(path, &[("as", "personal"), ("role", "")])
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN, "cross-origin: {path}");
}

#[tokio::test]
async fn viewers_and_other_sites_cannot_decide() {
    let (server, ids) = clinic().await;
    let viewer = server.login("etsuran").await;
    let operator = server.login("unyo").await;
    let id = ids[1];
    for path in [
        format!("/devices/{id}/ledger"),
        format!("/devices/{id}/role"),
        format!("/devices/{id}/merge"),
        format!("/devices/{id}/split"),
        "/triage/register".to_owned(),
        "/devices/views".to_owned(),
        format!("/triage/{id}/dismiss"),
    ] {
        assert_refused(&viewer, &operator, &path).await;
    }
    assert_eq!(
        operator.post_cross_origin("/logout", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let untouched = server.on_ledger(move |l| l.device(id).unwrap()).await;
    assert!(untouched.summary.disposition.is_none());
    assert!(untouched.summary.ledger.asset_no.is_none());
}

#[tokio::test]
async fn a_placed_device_shows_its_switch_port_on_its_page_and_in_triage() {
    let server = start_console().await;
    server.add_account("unyo", AccountRole::Operator).await;
    let (pc, switch) = server
        .on_ledger(|l| {
            let pc = scanned_host(15, "reception-pc");
            // The switch names itself with markup: shown as text.
            let mut reading = daicho_model::SwitchReading::unread("198.18.0.14".parse().unwrap());
            reading.name = Some(format!("sw-2f{SCRIPT_TAG}"));
            reading.ports.push(daicho_model::SwitchPort {
                index: 5,
                name: "port1.5".into(),
                alias: Some("受付".into()),
            });
            reading.forwarding.push(daicho_model::ForwardingEntry {
                mac: pc.mac.unwrap(),
                port: 5,
                vlan: Some(1),
            });
            let mut report = ward_report("test", vec![scanned_host(14, "sw-2f"), pc]);
            report.switches.push(reading);
            l.ingest(&report, Some("ward3")).unwrap();
            let id = |ip: &str| {
                l.list_devices(&DeviceFilter::default())
                    .unwrap()
                    .devices
                    .iter()
                    .find(|d| d.ip.as_deref() == Some(ip))
                    .unwrap()
                    .id
            };
            (id("198.18.0.15"), id("198.18.0.14"))
        })
        .await;
    let browser = server.login("unyo").await;
    let page = browser.get(&format!("/devices/{pc}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("接続先"), "{}", page.body);
    assert!(
        page.body.contains(&format!(
            "<a href=\"/devices/{switch}\">sw-2f{ESCAPED_SCRIPT_TAG} ポート port1.5</a>"
        )),
        "the place links to the switch's own page: {}",
        page.body
    );
    assert!(page.body.contains("「受付」　VLAN 1"), "{}", page.body);
    assert_escaped("device", &page.body);
    let triage = browser.get("/triage").await;
    assert!(
        triage.body.contains(&format!(
            "<dd class=\"port-of\">sw-2f{ESCAPED_SCRIPT_TAG} ポート port1.5</dd>"
        )),
        "{}",
        triage.body
    );
    assert_escaped("triage", &triage.body);
    // A device no switch placed says so.
    let switch_page = browser.get(&format!("/devices/{switch}")).await;
    assert!(switch_page.body.contains("スイッチの情報なし"));
}
