//! The console's アラート, 例外台帳, 操作履歴 and 管理 pages through the real server: each page
//! renders with its data, each decision works for the role allowed and is audited, a 閲覧
//! account (or a 運用担当 on 管理) gets 403, a cross-origin form post gets 403, and
//! device-supplied and user-typed text comes out escaped.

#[path = "support/console.rs"]
mod console;

use chrono::Utc;
use console::{
    ConsoleServer, ESCAPED_SCRIPT_TAG, SCRIPT_TAG, openssh_service, password_of, scanned_host,
    start_console, ward_report,
};
use daicho_collector::decisions::{self, Actor};
use daicho_ledger::{AccountRole, AuditEntry, AuditFilter, LedgerError, Role};
use daicho_model::{Host, ScanReport};
use reqwest::StatusCode;

const SCRIPT_HOST: &str = SCRIPT_TAG;
const ESCAPED_HOST: &str = ESCAPED_SCRIPT_TAG;

/// A scanned host with SSH open.
fn host(i: u8, hostname: &str) -> Host {
    let mut h = scanned_host(i, hostname);
    h.services.push(openssh_service());
    h
}

fn report(hosts: Vec<Host>) -> ScanReport {
    ward_report("test-1.0", hosts)
}

/// The audit log's entries by `actor`, newest first.
/// The token a 管理 page shows just after creating it.
fn token_on_page(body: &str) -> String {
    assert!(
        body.contains("今だけ表示されます"),
        "no new token on the page"
    );
    body.split("value=\"")
        .find(|s| s.starts_with("dct_"))
        .and_then(|s| s.split('"').next())
        .expect("the token on the page")
        .to_owned()
}

async fn audit_by(server: &ConsoleServer, actor: &str) -> Vec<AuditEntry> {
    let actor = actor.to_owned();
    server
        .on_ledger(move |l| {
            l.audit_log(&AuditFilter {
                actor: Some(actor),
                ..AuditFilter::default()
            })
            .unwrap()
        })
        .await
}

/// A server with 管理者 `kanri`, 運用担当 `unyo`, 閲覧 `etsuran`, and two unregistered devices
/// (the first named with a script tag), their alerts raised. Returns the two device ids.
async fn hospital() -> (ConsoleServer, i64, i64) {
    let server = start_console().await;
    server.add_account("kanri", AccountRole::Admin).await;
    server.add_account("unyo", AccountRole::Operator).await;
    server.add_account("etsuran", AccountRole::Viewer).await;
    let ids = server
        .on_ledger(|l| {
            l.ingest(
                &report(vec![host(10, SCRIPT_HOST), host(11, "reception-pc")]),
                Some("ward3"),
            )
            .unwrap();
            daicho_collector::alerts::plan_alerts(l, Utc::now(), &["log"], None, &[]).unwrap();
            let mut ids: Vec<i64> = l
                .list_devices(&daicho_ledger::DeviceFilter::default())
                .unwrap()
                .devices
                .iter()
                .map(|d| d.id)
                .collect();
            ids.sort_unstable();
            ids
        })
        .await;
    (server, ids[0], ids[1])
}

fn assert_escaped(body: &str) {
    assert!(body.contains(ESCAPED_HOST), "escaped host name missing");
    assert!(!body.contains(SCRIPT_HOST), "raw script tag in the page");
}

#[tokio::test]
async fn alerts_are_listed_and_acknowledged_one_or_several() {
    let (server, first, _) = hospital().await;
    let ids: Vec<i64> = server
        .on_ledger(|l| {
            l.alerts(&daicho_ledger::SiteScope::All, true, 100)
                .unwrap()
                .iter()
                .map(|a| a.id)
                .collect()
        })
        .await;
    assert!(ids.len() >= 2, "{ids:?}");
    let operator = server.login("unyo").await;

    let page = operator.get("/alerts").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>アラート</h1>"));
    assert!(page.body.contains("台帳未登録"));
    assert!(page.body.contains(&format!("href=\"/devices/{first}\"")));
    assert!(page.body.contains("198.18.0.10"));
    assert!(page.body.contains("log："), "the delivery channel");
    assert!(page.body.contains("未確認"));
    assert!(page.body.contains("action=\"/alerts/ack\""));
    assert_escaped(&page.body);

    // 閲覧 sees the inbox without its forms, and may not acknowledge.
    let viewer = server.login("etsuran").await;
    let seen = viewer.get("/alerts").await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.body.contains("action=\"/alerts/ack\""));
    let one = format!("/alerts/{}/ack", ids[0]);
    assert_eq!(viewer.post(&one, &[]).await.status, StatusCode::FORBIDDEN);
    let id0 = ids[0].to_string();
    assert_eq!(
        viewer.post("/alerts/ack", &[("id", &id0)]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        operator.post_cross_origin(&one, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        server
            .on_ledger(|l| l.alerts(&daicho_ledger::SiteScope::All, true, 100).unwrap())
            .await
            .iter()
            .all(|a| a.acknowledged_at.is_none())
    );

    // One…
    let done = operator.post(&one, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location, "/alerts");
    let page = operator.get("/alerts").await;
    assert!(page.body.contains("1 件のアラートを確認済みにしました"));
    assert!(page.body.contains(">unyo<"), "acknowledged by");

    // …then the rest at once (the one already acknowledged is refused and said so).
    let form: Vec<(&str, String)> = ids.iter().map(|id| ("id", id.to_string())).collect();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = operator.post("/alerts/ack", &form).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = operator.get("/alerts").await;
    assert!(
        page.body.contains(&format!(
            "{} 件のアラートを確認済みにしました",
            ids.len() - 1
        )),
        "{}",
        page.body
    );
    let alerts = server
        .on_ledger(|l| l.alerts(&daicho_ledger::SiteScope::All, true, 100).unwrap())
        .await;
    assert!(
        alerts
            .iter()
            .all(|a| a.acknowledged_by.as_deref() == Some("unyo"))
    );
    assert_eq!(operator.get("/alerts?all=1").await.status, StatusCode::OK);

    let log = audit_by(&server, "unyo").await;
    assert_eq!(log.len(), ids.len());
    assert!(log.iter().all(|e| e.action == "alert.ack"));
}

#[tokio::test]
async fn exceptions_are_recorded_revoked_and_listed_with_their_state() {
    let (server, first, second) = hospital().await;
    let operator = server.login("unyo").await;
    let device = first.to_string();
    let form = [
        ("device_id", device.as_str()),
        ("service", "ssh"),
        ("reason", "保守業者の遠隔保守"),
        ("approver", "<b>山田</b>"),
        ("expires", "2099-12-31"),
    ];

    let viewer = server.login("etsuran").await;
    assert_eq!(
        viewer.post("/exceptions", &form).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        operator
            .post_cross_origin("/exceptions", &form)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let added = operator.post("/exceptions", &form).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    assert_eq!(added.location, "/exceptions");
    // The device page's form comes back to the device.
    let back = format!("/devices/{second}");
    let other = second.to_string();
    let from_device = operator
        .post(
            "/exceptions",
            &[
                ("device_id", other.as_str()),
                ("service", "ssh"),
                ("reason", "検査装置"),
                ("approver", "鈴木"),
                ("expires", "2099-01-31"),
                ("back", back.as_str()),
            ],
        )
        .await;
    assert_eq!(from_device.location, back);
    let _ = operator.get(&back).await; // takes the message

    let page = operator.get("/exceptions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>例外台帳</h1>"));
    assert!(page.body.contains("保守業者の遠隔保守"));
    assert!(page.body.contains("&#60;b&#62;山田&#60;/b&#62;"));
    assert!(!page.body.contains("<b>山田</b>"));
    assert!(page.body.contains("2099-12-31"));
    assert!(page.body.contains(">有効<"));
    assert!(page.body.contains(&format!("href=\"/devices/{first}\"")));
    assert!(page.body.contains("198.18.0.10"));
    assert_escaped(&page.body);

    let records = server
        .on_ledger(|l| l.exceptions(&daicho_ledger::SiteScope::All, None).unwrap())
        .await;
    assert_eq!(records.len(), 2);
    let revoke = format!("/exceptions/{}/revoke", records[1].id);
    assert_eq!(
        viewer.post(&revoke, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let revoked = operator.post(&revoke, &[]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let page = operator.get("/exceptions").await;
    assert!(page.body.contains("を取り消しました"));
    assert!(page.body.contains(">取消済み<"));

    // A bad device number is said, nothing is recorded.
    let bad = operator
        .post("/exceptions", &[("device_id", "abc"), ("service", "ssh")])
        .await;
    assert_eq!(bad.status, StatusCode::SEE_OTHER);
    let page = operator.get("/exceptions").await;
    assert!(page.body.contains("機器番号"));
    assert_eq!(
        server
            .on_ledger(|l| l.exceptions(&daicho_ledger::SiteScope::All, None).unwrap())
            .await
            .len(),
        2
    );

    let actions: Vec<String> = server
        .on_ledger(|l| l.audit_log(&AuditFilter::default()).unwrap())
        .await
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        ["exception.revoke", "exception.add", "exception.add"]
    );
}

#[tokio::test]
async fn the_audit_log_is_filtered_and_paged() {
    let (server, first, _) = hospital().await;
    server
        .on_ledger(move |l| {
            let me = Actor::account("unyo");
            for i in 0..55 {
                let patch = daicho_ledger::LedgerFieldsPatch {
                    location: Some(Some(format!("{i}F <i>東</i>"))),
                    ..Default::default()
                };
                decisions::update_ledger(l, &me, first, &patch, Utc::now()).unwrap();
            }
            decisions::set_facility_name(l, &Actor::cli(), "テスト病院", Utc::now()).unwrap();
        })
        .await;
    let viewer = server.login("etsuran").await;

    let page = viewer.get("/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>操作履歴</h1>"));
    assert!(page.body.contains("医療機関名の設定"));
    assert!(page.body.contains("台帳項目の変更"));
    assert!(
        page.body
            .contains("location: 53F &#60;i&#62;東&#60;/i&#62; → 54F &#60;i&#62;東&#60;/i&#62;")
    );
    assert!(!page.body.contains("<i>東</i>"));
    assert!(page.body.contains(&format!("href=\"/devices/{first}\"")));
    // 50 a page, the next page's link carries the last id shown.
    assert_eq!(page.body.matches("<tr id=\"audit-").count(), 50);
    let older = page
        .body
        .split("href=\"")
        .find_map(|s| s.strip_prefix("/audit?before="))
        .and_then(|s| s.split('"').next())
        .expect("a link to older entries")
        .to_owned();
    let next = viewer.get(&format!("/audit?before={older}")).await;
    assert_eq!(next.body.matches("<tr id=\"audit-").count(), 6);
    assert!(!next.body.contains("さらに古い記録"));
    assert!(next.body.contains("最新に戻る"));

    let target = format!("/audit?target=device%3A{first}");
    let by_device = viewer.get(&target).await;
    assert_eq!(by_device.body.matches("<tr id=\"audit-").count(), 50);
    assert!(!by_device.body.contains("医療機関名の設定"));
    let by_cli = viewer.get("/audit?actor=cli%3A").await;
    assert_eq!(by_cli.body.matches("<tr id=\"audit-").count(), 0);
    let cli_actor = Actor::cli().as_str().to_owned();
    let by_cli = viewer
        .get(&format!(
            "/audit?actor={}",
            form_urlencoded::byte_serialize(cli_actor.as_bytes()).collect::<String>()
        ))
        .await;
    assert_eq!(by_cli.body.matches("<tr id=\"audit-").count(), 1);
}

#[tokio::test]
async fn admin_manages_the_facility_accounts_and_tokens_and_sees_the_agents() {
    let (server, _, _) = hospital().await;
    let admin = server.login("kanri").await;
    let operator = server.login("unyo").await;
    let viewer = server.login("etsuran").await;

    let page = admin.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    for heading in [
        "<h1>管理</h1>",
        "医療機関名",
        "アカウント",
        "トークン",
        "エージェント",
    ] {
        assert!(page.body.contains(heading), "{heading}");
    }
    assert!(page.body.contains("ward3") && page.body.contains("test-1.0"));
    assert!(page.body.contains("運用担当") && page.body.contains("etsuran"));
    assert_eq!(operator.get("/admin").await.status, StatusCode::FORBIDDEN);
    assert_eq!(viewer.get("/admin").await.status, StatusCode::FORBIDDEN);

    // 医療機関名.
    let facility = [("facility_name", "さくら<病院>")];
    assert_eq!(
        operator.post("/admin/facility", &facility).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin
            .post_cross_origin("/admin/facility", &facility)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin.post("/admin/facility", &facility).await.status,
        StatusCode::SEE_OTHER
    );
    let page = admin.get("/admin").await;
    assert!(page.body.contains("さくら&#60;病院&#62;"));

    // Accounts: add (confirmation checked), role, password, disable, enable.
    let pw = password_of("<b>new</b>");
    let add = [
        ("name", "<b>new</b>"),
        ("role", "operator"),
        ("password", pw.as_str()),
        ("password_confirm", pw.as_str()),
    ];
    assert_eq!(
        operator.post("/admin/accounts", &add).await.status,
        StatusCode::FORBIDDEN
    );
    let mismatch = [
        ("name", "other"),
        ("role", "viewer"),
        ("password", "a long password 1"),
        ("password_confirm", "a long password 2"),
    ];
    admin.post("/admin/accounts", &mismatch).await;
    assert!(admin.get("/admin").await.body.contains("一致しません"));
    assert_eq!(admin.post("/admin/accounts", &add).await.location, "/admin");
    let page = admin.get("/admin").await;
    assert!(page.body.contains("&#60;b&#62;new&#60;/b&#62;"));
    assert!(!page.body.contains("<b>new</b>"));
    let account = |name: &'static str| {
        let ledger = server.ledger.clone();
        async move {
            tokio::task::spawn_blocking(move || ledger.account(name).unwrap())
                .await
                .unwrap()
        }
    };
    assert!(account("other").await.is_none());
    assert_eq!(
        account("<b>new</b>").await.unwrap().role,
        AccountRole::Operator
    );
    let path = "/admin/accounts/%3Cb%3Enew%3C%2Fb%3E";
    assert!(
        page.body.contains(path),
        "forms address the account by its encoded name"
    );
    admin
        .post(&format!("{path}/role"), &[("role", "viewer")])
        .await;
    assert_eq!(
        account("<b>new</b>").await.unwrap().role,
        AccountRole::Viewer
    );
    let fresh = " a fresh password with spaces ";
    admin
        .post(
            &format!("{path}/password"),
            &[("password", fresh), ("password_confirm", fresh)],
        )
        .await;
    let login = server.browser();
    let signed = login
        .post("/login", &[("username", "<b>new</b>"), ("password", fresh)])
        .await;
    assert_eq!(
        signed.status,
        StatusCode::SEE_OTHER,
        "the new password, spaces kept"
    );
    admin.post(&format!("{path}/disable"), &[]).await;
    assert!(account("<b>new</b>").await.unwrap().disabled_at.is_some());
    assert!(admin.get("/admin").await.body.contains(">無効<"));
    admin.post(&format!("{path}/enable"), &[]).await;
    assert!(account("<b>new</b>").await.unwrap().disabled_at.is_none());
    assert_eq!(
        operator.post(&format!("{path}/disable"), &[]).await.status,
        StatusCode::FORBIDDEN
    );

    // Nobody disables or demotes themselves; the last enabled admin stays.
    admin.post("/admin/accounts/kanri/disable", &[]).await;
    assert!(admin.get("/admin").await.body.contains("自分のアカウント"));
    admin
        .post("/admin/accounts/kanri/role", &[("role", "viewer")])
        .await;
    let me = account("kanri").await.unwrap();
    assert!(me.disabled_at.is_none() && me.role == AccountRole::Admin);
    let refused = server
        .on_ledger(|l| decisions::disable_account(l, &Actor::cli(), "kanri", Utc::now()))
        .await;
    assert!(matches!(refused, Err(LedgerError::Conflict(m)) if m.contains("最後の有効な管理者")));
    let refused = server
        .on_ledger(|l| {
            decisions::set_account_role(
                l,
                &Actor::cli(),
                "kanri",
                AccountRole::Operator,
                Utc::now(),
            )
        })
        .await;
    assert!(refused.is_err());

    // Tokens: the new one is shown once, revoking by id leaves a token named like the id.
    let made = admin
        .post("/admin/tokens", &[("name", "ward5"), ("role", "agent")])
        .await;
    assert_eq!(made.location, "/admin");
    let token = token_on_page(&admin.get("/admin").await.body);
    let check = token.clone();
    let info = server
        .on_ledger(move |l| l.verify_token(&check).unwrap())
        .await
        .expect("a live token");
    assert_eq!((info.name.as_str(), info.role), ("ward5", Role::Agent));
    assert!(
        !admin.get("/admin").await.body.contains(&token),
        "shown once only"
    );
    let twin = info.id.to_string();
    admin
        .post(
            "/admin/tokens",
            &[("name", twin.as_str()), ("role", "operator")],
        )
        .await;
    assert_eq!(
        viewer
            .post(&format!("/admin/tokens/{}/revoke", info.id), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let revoked = admin
        .post(&format!("/admin/tokens/{}/revoke", info.id), &[])
        .await;
    assert_eq!(revoked.location, "/admin");
    let tokens = server.on_ledger(|l| l.list_tokens().unwrap()).await;
    let by_name = |n: &str| tokens.iter().find(|t| t.name == n).unwrap().clone();
    assert!(by_name("ward5").revoked_at.is_some());
    assert!(by_name(&twin).revoked_at.is_none(), "a name is not an id");
    assert!(admin.get("/admin").await.body.contains("を失効させました"));

    // Every decision is audited as the admin, never with a secret.
    let log = audit_by(&server, "kanri").await;
    let mut actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    actions.reverse();
    assert_eq!(
        actions,
        [
            "settings.facility",
            "account.add",
            "account.role",
            "account.password",
            "account.disable",
            "account.enable",
            "token.create",
            "token.create",
            "token.revoke",
        ]
    );
    let dump = serde_json::to_string(&log).unwrap();
    for secret in [token.as_str(), fresh.trim(), pw.as_str(), "argon2", "dct_"] {
        assert!(!dump.contains(secret), "{secret} in the audit log");
    }
}

/// Post/Redirect/Get: creating a token redirects (303) to the 管理 page, which shows the token
/// once; reloading that page (a GET) creates no second token and shows the secret no more.
#[tokio::test]
async fn a_new_token_is_shown_once_and_a_reload_creates_nothing() {
    let server = start_console().await;
    server.add_account("kanri", AccountRole::Admin).await;
    let admin = server.login("kanri").await;
    let made = admin
        .post("/admin/tokens", &[("name", "ward5"), ("role", "agent")])
        .await;
    assert_eq!(
        (made.status, made.location.as_str()),
        (StatusCode::SEE_OTHER, "/admin")
    );
    let token = token_on_page(&admin.get("/admin").await.body);
    let check = token.clone();
    assert!(
        server
            .on_ledger(move |l| l.verify_token(&check).unwrap())
            .await
            .is_some(),
        "the token shown is live"
    );

    let reloaded = admin.get("/admin").await;
    assert_eq!(reloaded.status, StatusCode::OK);
    assert!(!reloaded.body.contains(&token), "the secret is shown once");
    assert!(!reloaded.body.contains("今だけ表示されます"));
    let tokens = server.on_ledger(|l| l.list_tokens().unwrap()).await;
    assert_eq!(tokens.len(), 1, "a reload creates no token");
    let created = audit_by(&server, "kanri")
        .await
        .into_iter()
        .filter(|e| e.action == "token.create")
        .count();
    assert_eq!(created, 1);
}
