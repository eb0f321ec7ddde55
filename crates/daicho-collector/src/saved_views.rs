//! The device list's saved views: a name and the list's query string, kept for the whole
//! facility in the ledger's settings, so every operator finds 「2F 医事課の端末」 where a
//! colleague saved it. Saving and deleting one are audited decisions.

use chrono::{DateTime, Utc};
use daicho_ledger::{Ledger, LedgerError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::decisions::{Actor, audit};

/// The settings key holding the views (JSON).
pub const SAVED_VIEWS_KEY: &str = "console.saved_views";
/// How many views a facility keeps.
pub const MAX_SAVED_VIEWS: usize = 30;
/// The longest view name.
pub const MAX_VIEW_NAME_CHARS: usize = 40;

/// One saved view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedView {
    /// Its name, as the list shows it.
    pub name: String,
    /// The device list's query string (`view=eol&location=2F`), without `page`.
    pub query: String,
}

/// The saved views, in the order they were saved.
pub fn saved_views(ledger: &Ledger) -> Result<Vec<SavedView>, LedgerError> {
    Ok(ledger
        .setting(SAVED_VIEWS_KEY)?
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default())
}

fn store(
    ledger: &Ledger,
    actor: &Actor,
    views: &[SavedView],
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    let json = serde_json::to_string(views).map_err(|e| LedgerError::Invalid(e.to_string()))?;
    ledger.set_setting(SAVED_VIEWS_KEY, &json, actor.as_str(), now)
}

/// Saves the list's `query` as `name` (replacing a view of the same name).
pub fn save_view(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    query: &str,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    ledger.atomically(|| {
        let name = name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_VIEW_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(LedgerError::Invalid(format!(
                "表示の名前は 1〜{MAX_VIEW_NAME_CHARS} 文字で付けてください / a view name is 1–{MAX_VIEW_NAME_CHARS} characters"
            )));
        }
        let mut views = saved_views(ledger)?;
        views.retain(|v| v.name != name);
        if views.len() >= MAX_SAVED_VIEWS {
            return Err(LedgerError::Invalid(format!(
                "保存できる表示は {MAX_SAVED_VIEWS} 件までです。不要なものを削除してください"
            )));
        }
        views.push(SavedView {
            name: name.to_owned(),
            query: query.to_owned(),
        });
        store(ledger, actor, &views, now)?;
        audit(
            ledger,
            actor,
            "view.save",
            "settings",
            &format!("機器台帳の表示「{name}」を保存"),
            None,
            Some(json!({ "name": name, "query": query })),
            now,
        )
    })
}

/// Deletes the view named `name`.
pub fn delete_view(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    ledger.atomically(|| {
        let mut views = saved_views(ledger)?;
        let before = views.len();
        views.retain(|v| v.name != name);
        if views.len() == before {
            return Err(LedgerError::Invalid(format!("表示「{name}」はありません")));
        }
        store(ledger, actor, &views, now)?;
        audit(
            ledger,
            actor,
            "view.delete",
            "settings",
            &format!("機器台帳の表示「{name}」を削除"),
            Some(json!({ "name": name })),
            None,
            now,
        )
    })
}
