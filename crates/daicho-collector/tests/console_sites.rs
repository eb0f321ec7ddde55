//! The console with sites (hospitals of a group) through the real server: the same IP and MAC
//! at two sites are two devices; an account limited to one site sees only that site's devices
//! and gets 403 for the other's device, lists and decisions; a group-wide account sees both,
//! with the site selector, the サイト column and the checklist's group summary; tokens and
//! account sites are granted on the 管理 page, never beyond the 管理者's own sites.

#[path = "support/console.rs"]
mod console;

use console::{ConsoleServer, scanned_host, start_console, ward_report};
use daicho_ledger::{AccountRole, AuditFilter, DeviceFilter, Role, SiteId};
use reqwest::StatusCode;

/// Two sites, `east` (東病院) and `west` (西病院), each with the same reception PC
/// (198.18.0.10, the same MAC); group-wide 管理者 `kanri`, 運用担当 `higashi` limited to east
/// and 管理者 `higashi-kanri` limited to east. Returns the east and west devices' ids.
async fn group() -> (ConsoleServer, SiteId, SiteId, i64, i64) {
    let server = start_console().await;
    for (name, role) in [
        ("kanri", AccountRole::Admin),
        ("higashi", AccountRole::Operator),
        ("higashi-kanri", AccountRole::Admin),
    ] {
        server.add_account(name, role).await;
    }
    let (east, west, east_pc, west_pc) = server
        .on_ledger(|l| {
            let east = l.add_site("east", Some("東病院")).unwrap().id;
            let west = l.add_site("west", Some("西病院")).unwrap().id;
            // Each site's agent reports the same host (two reports: report ids are unique).
            for site in [east, west] {
                let report = ward_report("test", vec![scanned_host(10, "reception-pc")]);
                l.ingest_at(site, &report, None).unwrap();
            }
            for name in ["higashi", "higashi-kanri"] {
                l.set_account_sites(name, &[east]).unwrap();
            }
            let id_at = |site: SiteId| {
                let page = l
                    .list_devices(&DeviceFilter {
                        scope: daicho_ledger::SiteScope::one(site),
                        ..DeviceFilter::default()
                    })
                    .unwrap();
                assert_eq!(page.devices.len(), 1, "one device at site {site}");
                page.devices[0].id
            };
            (east, west, id_at(east), id_at(west))
        })
        .await;
    assert_ne!(
        east_pc, west_pc,
        "the same IP and MAC at two sites are two devices"
    );
    (server, east, west, east_pc, west_pc)
}

/// A password long enough for any account.
const PASSWORD: &str = "a long enough new password 2026";

fn links_to(body: &str, id: i64) -> bool {
    body.contains(&format!("href=\"/devices/{id}\""))
}

#[tokio::test]
async fn an_account_of_one_site_sees_only_that_site() {
    let (server, _, _, east_pc, west_pc) = group().await;
    let higashi = server.login("higashi").await;

    let list = higashi.get("/devices").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(links_to(&list.body, east_pc), "east's device is listed");
    assert!(!links_to(&list.body, west_pc), "west's device is not");
    // One site visible: no selector and no サイト column, but the site is named in the header.
    assert!(!list.body.contains("class=\"sites\""));
    assert!(!list.body.contains("<th>サイト</th>"));
    assert!(list.body.contains("東病院"));

    assert_eq!(
        higashi.get(&format!("/devices/{east_pc}")).await.status,
        StatusCode::OK
    );
    for path in [
        format!("/devices/{west_pc}"),
        "/devices?site=west".to_owned(),
        "/?site=west".to_owned(),
        "/triage?site=west".to_owned(),
        "/alerts?site=west".to_owned(),
        "/exceptions?site=west".to_owned(),
        "/checklist?site=west".to_owned(),
        "/allowlist?site=west".to_owned(),
        "/devices/export?format=csv&site=west".to_owned(),
        "/network-diagram?site=west".to_owned(),
        "/network-diagram/download?format=svg&site=west".to_owned(),
    ] {
        let answer = higashi.get(&path).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
        assert!(answer.body.contains("権限がありません"), "{path}");
    }

    // Decisions on the other site's device are refused with 403 and change nothing.
    let ledger_form = [("asset_no", "W-001"), ("location", "西 1F")];
    let answer = higashi
        .post(&format!("/devices/{west_pc}/ledger"), &ledger_form)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = higashi
        .post(
            "/triage/register",
            &[
                ("id", &west_pc.to_string()),
                (&format!("asset_no_{west_pc}"), "W-1"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let west_after = server.on_ledger(move |l| l.device(west_pc).unwrap()).await;
    assert_eq!(west_after.summary.ledger.asset_no, None);

    // Its own site's decisions work, and come back to its list.
    let answer = higashi
        .post(
            &format!("/devices/{east_pc}/ledger"),
            &[("asset_no", "E-001")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{answer:?}");
    // Its own site's checklist, with no site named: the only site it sees.
    let checklist = higashi.get("/checklist").await;
    assert_eq!(checklist.status, StatusCode::OK);
    assert!(checklist.body.contains("東病院"));
    assert!(!checklist.body.contains("西病院"));
    assert!(!checklist.body.contains("group-summary"));
    // Its own site's network diagram: the drawing inline, named for the site, and as files.
    let diagram = higashi.get("/network-diagram").await;
    assert_eq!(diagram.status, StatusCode::OK);
    assert!(diagram.body.contains("<svg"));
    assert!(diagram.body.contains("医療機関名：東病院"));
    assert!(diagram.body.contains("reception-pc"));
    assert!(!diagram.body.contains("西病院"));
    let svg = higashi
        .get("/network-diagram/download?format=svg&paper=a4")
        .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(svg.body.starts_with("<?xml") && svg.body.contains("width=\"297mm\""));
    assert_eq!(
        higashi
            .get("/network-diagram/download?format=png")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        higashi.get("/network-diagram?paper=b5").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_group_wide_account_sees_every_site_and_the_group_summary() {
    let (server, _, _, east_pc, west_pc) = group().await;
    let kanri = server.login("kanri").await;

    let list = kanri.get("/devices").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(links_to(&list.body, east_pc) && links_to(&list.body, west_pc));
    assert!(list.body.contains("class=\"sites\""), "the site selector");
    assert!(list.body.contains("<th>サイト</th>"), "the サイト column");
    assert!(list.body.contains("href=\"/devices?site=west\""));

    let west = kanri.get("/devices?site=west").await;
    assert_eq!(west.status, StatusCode::OK);
    assert!(links_to(&west.body, west_pc) && !links_to(&west.body, east_pc));
    // The menu keeps the chosen site.
    assert!(west.body.contains("href=\"/checklist?site=west\""));
    assert!(west.body.contains("href=\"/network-diagram?site=west\""));
    // The network diagram is one site's: with none chosen, the page asks for one.
    let diagram = kanri.get("/network-diagram").await;
    assert_eq!(diagram.status, StatusCode::OK);
    assert!(diagram.body.contains("サイトを選んでください") && !diagram.body.contains("<svg"));
    let west_diagram = kanri.get("/network-diagram?site=west").await;
    assert!(west_diagram.body.contains("医療機関名：西病院"));
    assert!(
        west_diagram
            .body
            .contains("/network-diagram/download?format=pdf&#38;paper=a3&#38;site=west")
    );

    // 未登録機器 names each card's site; one site's has that site's card only.
    let triage = kanri.get("/triage").await;
    for label in ["東病院", "西病院"] {
        assert!(
            triage.body.contains(&format!("site-of\">{label}<")),
            "{label}"
        );
    }
    let west_triage = kanri.get("/triage?site=west").await;
    assert!(
        west_triage
            .body
            .contains(&format!("id=\"device-{west_pc}\""))
    );
    assert!(
        !west_triage
            .body
            .contains(&format!("id=\"device-{east_pc}\""))
    );
    assert!(
        west_triage
            .body
            .contains("name=\"back\" value=\"/triage?site=west\"")
    );

    let unknown = kanri.get("/devices?site=north").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);

    // The dashboard of one site counts that site's device only.
    let dashboard = kanri.get("/?site=east").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.body.contains("ダッシュボード（東病院）"));
    assert!(dashboard.body.contains("data-item=\"2-①\""));

    // The checklist with no site chosen: one row per site, each linking to its checklist.
    let summary = kanri.get("/checklist").await;
    assert_eq!(summary.status, StatusCode::OK);
    assert!(summary.body.contains("id=\"group-summary\""));
    for (name, label) in [("east", "東病院"), ("west", "西病院")] {
        assert!(
            summary
                .body
                .contains(&format!("<a href=\"/checklist?site={name}\">{label}</a>")),
            "{name} in the summary"
        );
    }
    for item in ["2-①", "2-⑥", "2-⑫", "2-⑬"] {
        assert!(summary.body.contains(item), "{item}");
    }
    let west_checklist = kanri.get("/checklist?site=west").await;
    assert_eq!(west_checklist.status, StatusCode::OK);
    assert!(west_checklist.body.contains("西病院"));
    assert!(!west_checklist.body.contains("group-summary"));

    // Per-site pages ask for the site first.
    let allowlist = kanri.get("/allowlist").await;
    assert_eq!(allowlist.status, StatusCode::OK);
    assert!(allowlist.body.contains("サイトを選んでください"));
    assert_eq!(
        kanri.get("/allowlist?site=west").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn tokens_and_account_sites_are_granted_within_the_admins_sites() {
    let (server, east, west, _, _) = group().await;
    let kanri = server.login("kanri").await;

    let admin = kanri.get("/admin").await;
    assert!(
        admin.body.contains("id=\"tok-sites\""),
        "the token form offers sites"
    );

    let created = kanri
        .post(
            "/admin/tokens",
            &[("name", "west-agent"), ("role", "agent"), ("sites", "west")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{created:?}");
    let moved = kanri
        .post("/admin/accounts/higashi/sites", &[("sites", "west")])
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);

    // Nobody limits their own account (nor the last group-wide 管理者).
    let own = kanri
        .post("/admin/accounts/kanri/sites", &[("sites", "east")])
        .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
    assert!(
        kanri
            .get("/admin")
            .await
            .body
            .contains("自分のアカウントのサイトは変更できません")
    );
    let kanri_sites = server
        .on_ledger(|l| l.account("kanri").unwrap().unwrap().sites)
        .await;
    assert!(kanri_sites.is_empty(), "kanri stays group-wide");

    // An admin limited to east: no group-wide token, no other site's, no new (group-wide)
    // account, no change to a group-wide account; its own site's token is fine.
    let limited = server.login("higashi-kanri").await;
    for (path, form) in [
        ("/admin/tokens", vec![("name", "ops"), ("role", "operator")]),
        (
            "/admin/tokens",
            vec![("name", "w"), ("role", "agent"), ("sites", "west")],
        ),
        ("/admin/tokens", vec![("name", "d"), ("role", "agent")]),
        ("/admin/accounts/kanri/sites", vec![("sites", "east")]),
        (
            "/admin/accounts/kanri/password",
            vec![("password", PASSWORD), ("password_confirm", PASSWORD)],
        ),
    ] {
        let answer = limited.post(path, &form).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path} {form:?}");
    }
    let own = limited
        .post(
            "/admin/tokens",
            &[
                ("name", "east-ops"),
                ("role", "operator"),
                ("sites", "east"),
            ],
        )
        .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
    let page = limited.get("/admin").await;
    assert!(
        !page.body.contains("west-agent"),
        "another site's token is not listed"
    );

    let (tokens, audit) = server
        .on_ledger(|l| {
            let audit: Vec<_> = l
                .audit_log(&AuditFilter::default())
                .unwrap()
                .into_iter()
                .filter(|e| e.action == "account.sites")
                .collect();
            (l.list_tokens().unwrap(), audit)
        })
        .await;
    let sites_of = |name: &str| {
        let t = tokens.iter().find(|t| t.name == name).unwrap();
        (t.role, t.sites.clone())
    };
    assert_eq!(sites_of("west-agent"), (Role::Agent, vec![west]));
    assert_eq!(sites_of("east-ops"), (Role::Operator, vec![east]));
    assert_eq!(tokens.len(), 2, "nothing else was created");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor, "kanri");
    assert_eq!(audit[0].target, "account:higashi");
}

#[tokio::test]
async fn a_collector_without_sites_shows_no_site_controls() {
    let server = start_console().await;
    server.add_account("kanri", AccountRole::Admin).await;
    server
        .on_ledger(|l| {
            let report = ward_report("test", vec![scanned_host(10, "reception-pc")]);
            l.ingest(&report, None).unwrap();
        })
        .await;
    let kanri = server.login("kanri").await;
    for path in [
        "/",
        "/devices",
        "/triage",
        "/checklist",
        "/allowlist",
        "/import",
        "/admin",
    ] {
        let page = kanri.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        for marker in [
            "class=\"sites\"",
            "<th>サイト</th>",
            "site=",
            "name=\"site\"",
            "name=\"sites\"",
            "group-summary",
            "site-label",
        ] {
            assert!(!page.body.contains(marker), "{path} shows {marker}");
        }
    }
}
