//! `GET /audit?actor=&target=&before=`: the 操作履歴 — every decision made through the console,
//! the API or the command line, newest first: who, when (JST), what, and the values before →
//! after. Narrowed to one actor or one target (`device:12`, linked from a device), paged with
//! `before` (the last id of the previous page).

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use daicho_ledger::{AuditEntry, AuditFilter};
use serde_json::Value;

use super::form::FormFields;
use super::labels::display_time;
use super::render::{ConsoleError, Layout, Page, html};
use super::session::{Signed, url_encode};
use crate::server::AppState;
use crate::server::extract::on_ledger;

/// Entries on one page.
const PAGE_SIZE: usize = 50;

/// This page group's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(page))
}

/// The Japanese name of a recorded action (the machine id when unknown).
pub(super) fn action_label(action: &str) -> &str {
    match action {
        "device.register" => "台帳に登録",
        "device.update" => "台帳項目の変更",
        "device.role" => "役割の設定",
        "device.merge" => "機器の統合",
        "device.split" => "機器の分離",
        "exception.add" => "例外の記録",
        "exception.revoke" => "例外の取り消し",
        "alert.ack" => "アラートの確認",
        "allowlist.applied" => "接続元制限の適用記録",
        "allowlist.withdraw" => "接続元制限の記録の取り下げ",
        "ledger.import" => "台帳の取り込み",
        "settings.facility" => "医療機関名の設定",
        "account.add" => "アカウントの追加",
        "account.role" => "アカウントの役割変更",
        "account.password" => "パスワードの変更",
        "account.disable" => "アカウントの無効化",
        "account.enable" => "アカウントの有効化",
        "token.create" => "トークンの発行",
        "token.revoke" => "トークンの失効",
        other => other,
    }
}

/// A value in one short line: strings as they are, `—` for nothing, JSON otherwise.
fn short(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Before → after as `key: old → new` lines, one per key that changed (every key when only one
/// side is recorded).
pub(super) fn change_lines(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    match (before, after) {
        (None, None) => Vec::new(),
        (Some(Value::Object(_)) | None, Some(Value::Object(_)) | None) => {
            let empty = serde_json::Map::new();
            let old = before.and_then(Value::as_object).unwrap_or(&empty);
            let new = after.and_then(Value::as_object).unwrap_or(&empty);
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .filter(|k| old.get(*k) != new.get(*k))
                .map(|k| match (before.is_some(), after.is_some()) {
                    (true, true) => {
                        format!("{k}: {} → {}", short(old.get(k)), short(new.get(k)))
                    }
                    (true, false) => format!("{k}: {}", short(old.get(k))),
                    _ => format!("{k}: {}", short(new.get(k))),
                })
                .collect()
        }
        (b, a) => vec![format!("{} → {}", short(b), short(a))],
    }
}

/// One entry as shown.
pub(super) struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    /// This page narrowed to the actor.
    pub actor_link: String,
    pub action: String,
    pub action_id: String,
    pub target: String,
    /// This page narrowed to the target.
    pub target_link: String,
    /// The device page of a `device:N` target.
    pub device_id: Option<i64>,
    pub summary: String,
    /// What the `before` side is called: 変更内容, 記録した内容 or 取り消した内容.
    pub change_heading: &'static str,
    pub changes: Vec<String>,
}

fn audit_row(e: AuditEntry) -> AuditRow {
    let change_heading = match (&e.before, &e.after) {
        (Some(_), None) => "以前の内容",
        (None, Some(_)) => "記録した内容",
        _ => "変更内容",
    };
    AuditRow {
        id: e.id,
        at: display_time(&e.at),
        actor_link: audit_link(
            &AuditFilter {
                actor: Some(e.actor.clone()),
                ..AuditFilter::default()
            },
            None,
        ),
        target_link: audit_link(
            &AuditFilter {
                target: Some(e.target.clone()),
                ..AuditFilter::default()
            },
            None,
        ),
        actor: e.actor,
        action: action_label(&e.action).to_owned(),
        device_id: e
            .target
            .strip_prefix("device:")
            .and_then(|n| n.parse().ok()),
        target: e.target,
        summary: e.summary,
        change_heading,
        changes: change_lines(e.before.as_ref(), e.after.as_ref()),
        action_id: e.action,
    }
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    layout: Layout,
    actor: String,
    target: String,
    paged: bool,
    rows: Vec<AuditRow>,
    /// The link to the next (older) page, when there may be one.
    older: Option<String>,
    /// The link to the first page with the same filters.
    newest: String,
}

/// The filter a query asks for.
fn audit_filter(query: &FormFields) -> AuditFilter {
    let text = |name: &str| query.get(name).filter(|v| !v.is_empty()).map(str::to_owned);
    AuditFilter {
        actor: text("actor"),
        target: text("target"),
        before_id: query.get("before").and_then(|v| v.parse().ok()),
        limit: PAGE_SIZE,
    }
}

/// `/audit` with these filters (and `before`).
fn audit_link(filter: &AuditFilter, before: Option<i64>) -> String {
    let mut parts = Vec::new();
    if let Some(actor) = &filter.actor {
        parts.push(format!("actor={}", url_encode(actor)));
    }
    if let Some(target) = &filter.target {
        parts.push(format!("target={}", url_encode(target)));
    }
    if let Some(before) = before {
        parts.push(format!("before={before}"));
    }
    if parts.is_empty() {
        "/audit".to_owned()
    } else {
        format!("/audit?{}", parts.join("&"))
    }
}

/// `GET /audit?actor=&target=&before=`.
pub(super) async fn page(
    State(st): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let query = FormFields::parse(raw.unwrap_or_default().as_bytes());
    let filter = audit_filter(&query);
    let layout = Layout::new(&st, &signed, Page::Audit, query.get("site")).await?;
    let asked = filter.clone();
    let entries = on_ledger(&st, move |l| l.audit_log(&asked)).await?;
    let older = (entries.len() == PAGE_SIZE)
        .then(|| entries.last().map(|e| audit_link(&filter, Some(e.id))))
        .flatten();
    html(&AuditPage {
        layout,
        actor: filter.actor.clone().unwrap_or_default(),
        target: filter.target.clone().unwrap_or_default(),
        paged: filter.before_id.is_some(),
        rows: entries.into_iter().map(audit_row).collect(),
        older,
        newest: audit_link(&filter, None),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn changes_read_as_key_old_new_lines() {
        let before = json!({"location": "3F", "user": null, "status": "稼働"});
        let after = json!({"location": "4F", "user": "看護部", "status": "稼働"});
        assert_eq!(
            change_lines(Some(&before), Some(&after)),
            ["location: 3F → 4F", "user: — → 看護部"]
        );
        assert_eq!(
            change_lines(None, Some(&json!({"role": "viewer"}))),
            ["role: viewer"]
        );
        assert_eq!(change_lines(None, None), Vec::<String>::new());
        assert_eq!(
            change_lines(Some(&json!([1])), Some(&json!(2))),
            ["[1] → 2"]
        );
    }

    #[test]
    fn links_keep_the_filters() {
        let q = FormFields::parse(b"actor=yamada&target=device%3A12&before=40");
        let f = audit_filter(&q);
        assert_eq!(f.before_id, Some(40));
        assert_eq!(
            audit_link(&f, Some(20)),
            "/audit?actor=yamada&target=device%3A12&before=20"
        );
        assert_eq!(audit_link(&AuditFilter::default(), None), "/audit");
        assert_eq!(action_label("alert.ack"), "アラートの確認");
    }
}
