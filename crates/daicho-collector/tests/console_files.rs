//! The console's file pages over real loopback connections: 接続元制限 (allowlist downloads,
//! the applied record, the registered devices not yet applied), チェックリスト (on screen and
//! as files) and 台帳の取り込み (upload, dry run, column mapping remembered, apply).

#[path = "support/console.rs"]
mod console;

use chrono::Utc;
use console::{
    Browser, ConsoleServer, ESCAPED_SCRIPT_TAG, SCRIPT_TAG, scanned_host, start_console,
    ward_report,
};
use daicho_ledger::{AccountRole, DeviceFilter, LedgerFieldsPatch};
use daicho_model::{Host, ScanReport};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};

const HOSTILE: &str = SCRIPT_TAG;
const ESCAPED: &str = ESCAPED_SCRIPT_TAG;
const MAC: &str = "00:1b:21:00:00:05";
const FACILITY: &str = "テスト記念病院";

fn report(hosts: Vec<Host>) -> ScanReport {
    ward_report("test", hosts)
}

fn host(i: u8, hostname: &str) -> Host {
    scanned_host(i, hostname)
}

/// A collector with one registered device (管理番号 NW-0001, MAC [`MAC`], a hostile host
/// name and コンピュータ名) and one unregistered device with a hostile host name, the
/// facility name set, and accounts `operator`, `viewer` and `admin`. Returns the
/// device's id.
async fn setup() -> (ConsoleServer, i64) {
    let server = start_console().await;
    server.add_account("operator", AccountRole::Operator).await;
    server.add_account("viewer", AccountRole::Viewer).await;
    server.add_account("admin", AccountRole::Admin).await;
    let id = server
        .on_ledger(|l| {
            l.ingest(&report(vec![host(5, HOSTILE), host(6, HOSTILE)]), None)
                .unwrap();
            let id = l.device_ids(&DeviceFilter::default()).unwrap()[0];
            l.update_ledger(
                id,
                &LedgerFieldsPatch {
                    asset_no: Some(Some("NW-0001".into())),
                    location: Some(Some("2階 医局".into())),
                    computer_name: Some(Some(HOSTILE.into())),
                    ..LedgerFieldsPatch::default()
                },
            )
            .unwrap();
            l.set_facility_name(FACILITY, "test", Utc::now()).unwrap();
            id
        })
        .await;
    (server, id)
}

/// A signed-in client for what the page helper does not carry: answers' headers and bytes,
/// and multipart uploads.
struct Files {
    base: String,
    client: reqwest::Client,
    cookie: String,
}

impl Files {
    async fn login(server: &ConsoleServer, name: &str) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let password = console::password_of(name);
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("username", name), ("password", password.as_str())])
            .finish();
        let response = client
            .post(format!("{}/login", server.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let cookie = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|p| p.starts_with("daicho_session="))
            .unwrap()
            .to_owned();
        Self {
            base: server.base.clone(),
            client,
            cookie,
        }
    }

    /// `GET path`: status, content type, body.
    async fn get(&self, path: &str) -> (StatusCode, String, Vec<u8>) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (
            status,
            content_type,
            response.bytes().await.unwrap().to_vec(),
        )
    }

    /// `POST /import` with `file` as multipart: status and `Location` (or the body when there
    /// is none).
    async fn upload(&self, file_name: &str, bytes: &[u8]) -> (StatusCode, String) {
        let boundary = "daicho-test-boundary-7f3a";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let response = self
            .client
            .post(format!("{}/import", self.base))
            .header("cookie", &self.cookie)
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let status = response.status();
        if location.is_empty() {
            return (status, response.text().await.unwrap_or_default());
        }
        (status, location)
    }
}

/// A hand-kept ledger with a header the built-in names do not know (納品日; 導入日 is a built-in synonym of 登録日).
fn ledger_xlsx(introduced: &str) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("機器一覧").unwrap();
    for (col, header) in ["管理番号", "MACアドレス", "設置場所", "納品日"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    for (col, value) in ["NW-0001", MAC, "2階 医局", introduced].iter().enumerate() {
        sheet.write_string(1, col as u16, *value).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

async fn registered_on(server: &ConsoleServer, id: i64) -> Option<String> {
    server
        .on_ledger(move |l| l.device(id).unwrap().summary.ledger.registered_on)
        .await
}

fn assert_see_other(answer: &console::Answer, to: &str) {
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{answer:?}");
    assert_eq!(answer.location, to, "{answer:?}");
}

#[tokio::test]
async fn applying_the_allowlist_takes_the_device_off_the_not_applied_list() {
    let (server, _) = setup().await;
    let operator = server.login("operator").await;
    let page = operator.get("/allowlist").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("まだ適用されていない登録機器"));
    assert!(page.body.contains("id=\"not-applied\""), "{}", page.body);
    assert!(page.body.contains(MAC));
    assert!(page.body.contains(ESCAPED));
    assert!(!page.body.contains(HOSTILE));
    assert!(page.body.contains("id=\"records-none\""));

    let answer = operator
        .post(
            "/allowlist/applied",
            &[
                ("place", "コアスイッチ SW-01"),
                ("applied_by", "山田"),
                ("applied_on", "2026-05-02"),
                ("note", "port-security"),
                ("subnets", ""),
            ],
        )
        .await;
    assert_see_other(&answer, "/allowlist");
    let page = operator.get("/allowlist").await;
    assert!(
        page.body.contains("を適用したと記録しました"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("id=\"not-applied-none\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("id=\"not-applied\""));
    assert!(page.body.contains("コアスイッチ SW-01"));
    assert!(page.body.contains("2026/05/02"));

    // Withdrawn: the device is not admitted anywhere again; the record shows with ?all=1.
    let id = server
        .on_ledger(|l| {
            l.restrictions(daicho_ledger::SiteId::DEFAULT, true)
                .unwrap()[0]
                .id
        })
        .await;
    let answer = operator
        .post(&format!("/allowlist/records/{id}/withdraw"), &[])
        .await;
    assert_see_other(&answer, "/allowlist");
    let page = operator.get("/allowlist").await;
    assert!(page.body.contains("id=\"not-applied\""));
    assert!(page.body.contains("id=\"records-none\""));
    let page = operator.get("/allowlist?all=1").await;
    assert!(page.body.contains("取り下げ（"), "{}", page.body);
}

#[tokio::test]
async fn every_allowlist_format_downloads() {
    let (server, _) = setup().await;
    let files = Files::login(&server, "viewer").await;
    for (format, extra, content_type) in [
        ("plain", "", "text/plain; charset=utf-8"),
        ("csv", "", "text/csv; charset=utf-8"),
        (
            "yamaha-rtx",
            "&rtx_interface=lan2&rtx_first_filter=100&rtx_last_filter=200",
            "text/plain; charset=utf-8",
        ),
        (
            "yamaha-swx",
            "&swx_ports=198.18.0.0%2F24%3Dport1.1&swx_vlan=10",
            "text/plain; charset=utf-8",
        ),
        (
            "cisco",
            "&cisco_interfaces=198.18.0.0%2F24%3DGigabitEthernet1%2F0%2F1",
            "text/plain; charset=utf-8",
        ),
        (
            "aruba",
            "&aruba_vlan=20&aruba_ports=1-8",
            "text/plain; charset=utf-8",
        ),
        (
            "freeradius",
            "&radius_mac_format=multi-colon&radius_uppercase=1",
            "text/plain; charset=utf-8",
        ),
    ] {
        let (status, got, body) = files
            .get(&format!("/allowlist/download?format={format}{extra}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{format}");
        assert_eq!(got, content_type, "{format}");
        let text = String::from_utf8_lossy(&body).to_lowercase();
        let mac_seen = text.contains(MAC)
            || text.contains("001b.2100.0005")
            || text.contains("001b21000005")
            || text.contains("001b21-000005");
        assert!(mac_seen, "{format}: {text}");
    }
    let (_, _, body) = files
        .get("/allowlist/download?format=cisco&cisco_interfaces=198.18.0.0%2F24%3DGi1%2F0%2F1")
        .await;
    assert!(String::from_utf8_lossy(&body).contains("interface Gi1/0/1"));
    // A bad option goes back to the page with the reason.
    let (status, _, _) = files
        .get("/allowlist/download?format=yamaha-rtx&rtx_first_filter=x")
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = server.login("viewer").await.get("/allowlist").await;
    assert!(
        !page.body.contains("id=\"applied-form\""),
        "viewer sees no form"
    );
}

#[tokio::test]
async fn the_checklist_shows_the_four_items_and_the_facility() {
    let (server, _) = setup().await;
    let viewer = server.login("viewer").await;
    let page = viewer.get("/checklist").await;
    assert_eq!(page.status, StatusCode::OK);
    for item in ["2-①", "2-⑥", "2-⑫", "2-⑬"] {
        assert!(page.body.contains(item), "{item}");
    }
    assert!(page.body.contains(FACILITY));
    assert!(page.body.contains("判定基準"));
    assert!(
        page.body.contains(ESCAPED),
        "the unregistered device is evidence"
    );
    assert!(page.body.contains("いいえ") || page.body.contains("はい"));
    assert!(!page.body.contains(HOSTILE));
    assert!(!page.body.contains("医療機関名が設定されていません"));

    let files = Files::login(&server, "viewer").await;
    let (status, content_type, body) = files.get("/checklist/download?format=html").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert!(String::from_utf8_lossy(&body).contains(FACILITY));
    let (status, content_type, body) = files.get("/checklist/download?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(body.starts_with(b"PK"));
}

#[tokio::test]
async fn without_a_facility_name_the_checklist_asks_an_admin_to_set_it() {
    let server = start_console().await;
    server.add_account("admin", AccountRole::Admin).await;
    let page = server.login("admin").await.get("/checklist").await;
    assert!(page.body.contains("医療機関名が設定されていません"));
    assert!(page.body.contains("href=\"/admin\""));
}

#[tokio::test]
async fn an_import_mapped_once_is_read_the_same_way_next_time() {
    let (server, id) = setup().await;
    let operator = server.login("operator").await;
    let files = Files::login(&server, "operator").await;

    let (status, draft) = files.upload("台帳.xlsx", &ledger_xlsx("2019/4/1")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(draft.starts_with("/import/"), "{draft}");
    let page = operator.get(&draft).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Excel ブック"));
    assert!(page.body.contains("機器一覧"));
    assert!(page.body.contains("納品日"), "{}", page.body);
    assert!(page.body.contains("2019/4/1"), "samples are shown");
    assert!(page.body.contains("id=\"mapping-form\""));
    assert!(
        page.body.contains("id=\"count-matched\">1<"),
        "{}",
        page.body
    );
    assert!(page.body.contains(ESCAPED), "the device no row covers");
    assert!(!page.body.contains(HOSTILE));
    // Another account does not see the draft.
    let other = server.login("admin").await.get(&draft).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    let answer = operator
        .post(
            &format!("{draft}/map"),
            &[("h0", "納品日"), ("t0", "登録日")],
        )
        .await;
    assert_see_other(&answer, &draft);
    let page = operator.get(&draft).await;
    assert!(page.body.contains("列の対応付けを反映しました"));
    assert!(
        page.body.contains("<strong>登録日</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("2019-04-01"));
    assert_eq!(
        registered_on(&server, id).await,
        None,
        "a dry run changes nothing"
    );

    let answer = operator.post(&format!("{draft}/apply"), &[]).await;
    assert_see_other(&answer, "/import");
    let page = operator.get("/import").await;
    assert!(page.body.contains("を取り込みました"), "{}", page.body);
    assert!(page.body.contains("id=\"remembered\""));
    assert_eq!(
        registered_on(&server, id).await.as_deref(),
        Some("2019-04-01")
    );
    assert_eq!(operator.get(&draft).await.status, StatusCode::NOT_FOUND);
    let audited = server
        .on_ledger(|l| {
            l.setting("import.column_mapping")
                .unwrap()
                .unwrap_or_default()
        })
        .await;
    assert!(audited.contains("納品日"), "{audited}");

    // The next file is read with the remembered mapping, without a mapping step.
    let (_, draft) = files.upload("台帳2.xlsx", &ledger_xlsx("2020/10/1")).await;
    let page = operator.get(&draft).await;
    assert!(page.body.contains("2020-10-01"), "{}", page.body);
    assert!(page.body.contains("（覚えている対応付け）"));
    let answer = operator.post(&format!("{draft}/apply"), &[]).await;
    assert_see_other(&answer, "/import");
    assert_eq!(
        registered_on(&server, id).await.as_deref(),
        Some("2020-10-01")
    );

    // A file that cannot be read says where.
    let csv = "管理番号,MACアドレス,登録日\nNW-0001,zz:zz,2020/13/40\n";
    let (_, draft) = files.upload("bad.csv", csv.as_bytes()).await;
    let page = operator.get(&draft).await;
    assert!(page.body.contains("このファイルは取り込めません"));
    assert!(page.body.contains("2 行目"), "{}", page.body);
    assert!(!page.body.contains("id=\"apply-form\""));
}

#[tokio::test]
async fn an_oversized_upload_is_refused_in_japanese() {
    let (server, _) = setup().await;
    let files = Files::login(&server, "operator").await;
    let big = vec![b'a'; 11 * 1024 * 1024];
    let (status, body) = files.upload("big.csv", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("ファイルが大きすぎます"), "{body}");
}

async fn assert_forbidden(browser: &Browser, path: &str, cross_origin: bool) {
    let form = [
        ("place", "x"),
        ("applied_by", "y"),
        ("h0", "納品日"),
        ("t0", "登録日"),
    ];
    let answer = if cross_origin {
        browser.post_cross_origin(path, &form).await
    } else {
        browser.post(path, &form).await
    };
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}: {answer:?}");
}

#[tokio::test]
async fn viewers_and_other_sites_cannot_post() {
    let (server, _) = setup().await;
    let posts = [
        "/allowlist/applied",
        "/allowlist/records/1/withdraw",
        "/import",
        "/import/0123/map",
        "/import/0123/apply",
    ];
    let viewer = server.login("viewer").await;
    for path in posts {
        assert_forbidden(&viewer, path, false).await;
    }
    let operator = server.login("operator").await;
    for path in posts {
        assert_forbidden(&operator, path, true).await;
    }
    let viewer_files = Files::login(&server, "viewer").await;
    let (status, _) = viewer_files
        .upload("a.xlsx", &ledger_xlsx("2019/4/1"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let page = viewer.get("/import").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("id=\"upload-form\""));
    assert!(
        server
            .on_ledger(|l| l
                .restrictions(daicho_ledger::SiteId::DEFAULT, false)
                .unwrap())
            .await
            .is_empty()
    );
}
