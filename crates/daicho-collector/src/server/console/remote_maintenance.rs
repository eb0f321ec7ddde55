//! `GET /remote-maintenance`: リモート保守 (checklist 2-②) — the devices to confirm with a vendor
//! (a 保守事業者 recorded, or a remote-maintenance path seen) with the register's entry; a form
//! to record one (`POST /remote-maintenance`); each vendor's confirmation request
//! (`GET /remote-maintenance/sheet?vendor=…`); and the vendor's returned sheet read back
//! (`POST /remote-maintenance/import`, multipart `site`, `file`). One site's, as the allowlist.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::NaiveDate;
use daicho_ledger_io::vendor_sheet::read_vendor_sheet;
use daicho_model::remote_maintenance::{RemoteMaintenance, RemoteUse};

use super::decide::{Flags, decide, refuse};
use super::form::FormFields;
use super::import::{UPLOAD_BODY_LIMIT, upload_failed, upload_fields};
use super::render::{ConsoleError, Layout, Page, flash, html, see_other};
use super::session::{Decider, Signed};
use super::sites::{choose_site, must_choose, site_of, with_site};
use crate::decisions;
use crate::remote_register::{remote_register, vendor_confirmation_sheet};
use crate::server::AppState;
use crate::server::download::attachment;
use crate::server::extract::on_ledger;
use crate::site_access::report_site;

/// This page group's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/remote-maintenance", get(page).post(record))
        .route("/remote-maintenance/sheet", get(sheet))
        .route(
            "/remote-maintenance/import",
            post(import).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
}

/// One device of the register as the page shows it.
struct RegisterRow {
    device_id: i64,
    ip: String,
    name: String,
    paths: Vec<String>,
    vendor: String,
    remote: &'static str,
    method: String,
    confirmed_with: String,
    confirmed_on: String,
    confirmed: bool,
}

#[derive(Template)]
#[template(path = "console/remote_maintenance.html")]
struct RemoteMaintenancePage {
    layout: Layout,
    rows: Vec<RegisterRow>,
    /// Each vendor with the address of its confirmation request.
    vendors: Vec<(String, String)>,
    unconfirmed: usize,
    today: String,
}

/// `GET /remote-maintenance`.
async fn page(
    State(st): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let site = site_of(raw.as_deref());
    let layout = Layout::new(&st, &signed, Page::RemoteMaintenance, site.as_deref()).await?;
    if must_choose(&layout) {
        return choose_site(layout, "リモート保守");
    }
    let caller = signed.scope.clone();
    let devices = on_ledger(&st, move |l| {
        let site = report_site(l, &caller, site.as_deref())?;
        remote_register(l, &site)
    })
    .await?;
    let rows: Vec<RegisterRow> = devices
        .into_iter()
        .map(|d| {
            let record = d.remote.unwrap_or_default();
            RegisterRow {
                device_id: d.device_id,
                ip: d.ip.map(|ip| ip.to_string()).unwrap_or_default(),
                name: d
                    .ledger
                    .map(|l| l.computer_name)
                    .filter(|n| !n.is_empty())
                    .unwrap_or(d.hostname),
                paths: d.remote_paths,
                confirmed: record.is_confirmed(),
                remote: record.remote.label(),
                confirmed_on: record
                    .confirmed_on
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                vendor: record.vendor,
                method: record.method,
                confirmed_with: record.confirmed_with,
            }
        })
        .collect();
    let mut vendors: Vec<String> = rows
        .iter()
        .map(|r| r.vendor.clone())
        .filter(|v| !v.is_empty())
        .collect();
    vendors.sort();
    vendors.dedup();
    let vendors = vendors
        .into_iter()
        .map(|v| {
            let encoded: String = form_urlencoded::byte_serialize(v.as_bytes()).collect();
            let href = with_site(
                &format!("/remote-maintenance/sheet?vendor={encoded}"),
                Some(&layout.site),
            );
            (v, href)
        })
        .collect();
    html(&RemoteMaintenancePage {
        layout,
        unconfirmed: rows.iter().filter(|r| !r.confirmed).count(),
        rows,
        vendors,
        today: daicho_ledger_io::export::now_jst()
            .format("%Y-%m-%d")
            .to_string(),
    })
}

/// The register entry the form describes, for which device, or what to fix.
fn entry_of(form: &FormFields) -> Result<(i64, RemoteMaintenance), String> {
    let device_id = form
        .get("device_id")
        .and_then(|v| v.trim_start_matches('#').parse::<i64>().ok())
        .ok_or("機器番号（#の後の数字）を入れてください。")?;
    let text = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let remote = RemoteUse::parse(&text("remote"))
        .ok_or("リモート保守は「あり」「なし」「未確認」から選んでください。")?;
    let confirmed_on = match form.get("confirmed_on").map(str::trim) {
        None | Some("") => None,
        Some(d) => Some(
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| format!("確認日「{d}」は 2026-12-01 の形で入れてください。"))?,
        ),
    };
    let vendor = text("vendor");
    if vendor.is_empty() {
        return Err("保守事業者を入れてください。".into());
    }
    Ok((
        device_id,
        RemoteMaintenance {
            vendor,
            remote,
            method: text("method"),
            confirmed_with: text("confirmed_with"),
            confirmed_on,
        },
    ))
}

/// `POST /remote-maintenance` (`device_id`, `vendor`, `remote`, `method`, `confirmed_with`,
/// `confirmed_on`, `site`).
async fn record(
    State(st): State<AppState>,
    Decider(signed): Decider,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form = FormFields::parse(&body);
    let back = with_site("/remote-maintenance", form.get("site"));
    let (device_id, entry) = match entry_of(&form) {
        Ok(entry) => entry,
        Err(problem) => return Ok(refuse(&signed, &back, problem).await),
    };
    Ok(decide(
        &st,
        &signed,
        &back,
        Flags::Stay,
        move |l, actor| decisions::set_remote_maintenance(l, actor, device_id, entry, l.now()),
        |()| format!("機器 #{device_id} のリモート保守を記録しました。"),
    )
    .await)
}

/// `GET /remote-maintenance/sheet?vendor=…&site=…`: the vendor's confirmation request.
async fn sheet(
    State(st): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let form = FormFields::parse(raw.unwrap_or_default().as_bytes());
    let back = with_site("/remote-maintenance", form.get("site"));
    let vendor = form.get("vendor").unwrap_or_default().to_owned();
    let (caller, site) = (signed.scope.clone(), form.get("site").map(str::to_owned));
    let made = on_ledger(&st, move |l| {
        let site = report_site(l, &caller, site.as_deref())?;
        vendor_confirmation_sheet(l, &site, &vendor).map_err(|e| match e {
            crate::evidence::EvidenceError::Ledger(e) => e,
            crate::evidence::EvidenceError::Export(e) => {
                daicho_ledger::LedgerError::Invalid(e.to_string())
            }
        })
    })
    .await;
    match made {
        Ok((bytes, _)) => Ok(attachment(
            bytes,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "remote-maintenance-confirmation.xlsx",
        )),
        Err(e) => {
            flash(
                &signed.session,
                false,
                format!("確認依頼書を作れませんでした: {}", e.message),
            )
            .await;
            Ok(see_other(&back))
        }
    }
}

/// `POST /remote-maintenance/import` (multipart `site`, `file`): the vendor's returned sheet
/// into the register, every answered row or none.
async fn import(
    State(st): State<AppState>,
    Decider(signed): Decider,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ConsoleError> {
    let multipart = multipart.map_err(|r| upload_failed(r.status()))?;
    let upload = upload_fields(multipart).await?;
    let back = with_site("/remote-maintenance", upload.site.as_deref());
    let Some((_, bytes)) = upload.file else {
        return Ok(refuse(&signed, &back, "返送された確認依頼書を選んでください。").await);
    };
    let reply = match read_vendor_sheet(&bytes) {
        Ok(reply) => reply,
        Err(e) => return Ok(refuse(&signed, &back, e.to_string()).await),
    };
    let vendor = reply.vendor.clone();
    Ok(decide(
        &st,
        &signed,
        &back,
        Flags::Stay,
        move |l, actor| decisions::import_vendor_reply(l, actor, &reply, l.now()),
        move |n| format!("{vendor} の回答 {n} 件を記録しました。"),
    )
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_needs_a_device_a_vendor_and_known_words() {
        let f = FormFields::parse(
            "device_id=%237&vendor=B%E7%A4%BE&remote=yes&confirmed_with=x&confirmed_on=2026-12-01"
                .as_bytes(),
        );
        let (id, entry) = entry_of(&f).unwrap();
        assert_eq!((id, entry.vendor.as_str()), (7, "B社"));
        assert!(entry.is_confirmed());
        assert!(entry_of(&FormFields::parse(b"device_id=7&vendor=&remote=yes")).is_err());
        assert!(entry_of(&FormFields::parse(b"device_id=7&vendor=a&remote=maybe")).is_err());
        assert!(
            entry_of(&FormFields::parse(
                b"device_id=7&vendor=a&remote=no&confirmed_on=1.12.2026"
            ))
            .is_err()
        );
    }
}
