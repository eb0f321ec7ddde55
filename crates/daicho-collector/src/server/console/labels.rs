//! How the console names things for people: flags, history events, roles of devices and times,
//! in Japanese. Stored names (`eol_os`, `ip_changed`) stay the machine names everywhere else.

use daicho_ledger::events::EventKind;
use daicho_policy::FlagKind;

/// The Japanese label of a stored flag name (the name itself when unknown).
pub(crate) fn flag_label(flag: &str) -> String {
    FlagKind::ALL
        .iter()
        .find(|k| k.as_str() == flag)
        .map_or_else(
            || flag.to_owned(),
            |k| daicho_ledger_io::flag_label(*k).to_owned(),
        )
}

/// The Japanese label of a history event kind (every kind has one: the match is exhaustive).
pub(crate) fn event_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::FirstSeen => "初めて検出",
        EventKind::Returned => "再び検出",
        EventKind::IpChanged => "IPアドレス変更",
        EventKind::MacChanged => "MACアドレス変更",
        EventKind::HostnameChanged => "コンピュータ名変更",
        EventKind::OsChanged => "OS変更",
        EventKind::PortOpened => "ポートが開いた",
        EventKind::PortClosed => "ポートが閉じた",
        EventKind::ServiceChanged => "サービス変更",
        EventKind::IdentityKeyMoved => "識別子の移動",
        EventKind::Gone => "見えなくなった",
        EventKind::FlagRaised => "指摘が発生",
        EventKind::FlagCleared => "指摘が解消",
        EventKind::RoleChanged => "役割の変更",
        EventKind::ExceptionAdded => "例外の登録",
        EventKind::RemoteMaintenanceRecorded => "リモートメンテナンスの記録",
        EventKind::ExceptionRevoked => "例外の取消",
        EventKind::LedgerCreated => "台帳から作成",
        EventKind::LedgerUpdated => "台帳項目の変更",
        EventKind::Merged => "統合",
        EventKind::Split => "分離",
        EventKind::PortMoved => "接続ポートの移動",
    }
}

/// A stored time (RFC 3339) as people in Japan read it: `2026/12/02 14:05` in JST.
pub(crate) fn display_time(stored: &str) -> String {
    display_time_as(stored, "%Y/%m/%d %H:%M")
}

/// A stored time in JST in `format` (the stored text itself when it is not a time).
pub(crate) fn display_time_as(stored: &str, format: &str) -> String {
    daicho_ledger::time::from_db(stored).map_or_else(
        || stored.to_owned(),
        |t| {
            t.with_timezone(&daicho_ledger_io::export::now_jst().timezone())
                .format(format)
                .to_string()
        },
    )
}

/// The longest event description shown in a list.
const DETAIL_CHARS: usize = 120;

/// A short one-line description of an event's details for people: the flag raised, where a
/// device was first seen, `old → new` for a change.
pub(crate) fn event_detail(kind: EventKind, detail: &serde_json::Value) -> String {
    let Some(map) = detail.as_object() else {
        return String::new();
    };
    let text = |v: &serde_json::Value| -> String {
        match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => "—".to_owned(),
            serde_json::Value::Object(o) => o
                .values()
                .filter(|v| !v.is_null())
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(" "),
            other => other.to_string(),
        }
    };
    let field = |k: &str| map.get(k).map(text).filter(|t| !t.is_empty() && t != "—");
    let line = match kind {
        EventKind::FlagRaised | EventKind::FlagCleared => {
            let flag = map
                .get("flag")
                .and_then(serde_json::Value::as_str)
                .map(flag_label)
                .unwrap_or_default();
            match field("service") {
                Some(service) => format!("{flag}（{service}）"),
                None => flag,
            }
        }
        // The ledger words the move (`sw-2f ポート 14 → sw-core ポート 3`).
        EventKind::PortMoved => field("text").unwrap_or_default(),
        EventKind::FirstSeen | EventKind::Returned => {
            [field("ip"), field("mac"), field("hostname")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("　")
        }
        _ => match (map.get("from"), map.get("to")) {
            (Some(from), Some(to)) => format!("{} → {}", text(from), text(to)),
            _ => map
                .iter()
                .take(3)
                .map(|(k, v)| match v.as_object() {
                    Some(o) if o.contains_key("from") => format!(
                        "{k}: {} → {}",
                        o.get("from").map(text).unwrap_or_default(),
                        o.get("to").map(text).unwrap_or_default()
                    ),
                    _ => format!("{k}: {}", text(v)),
                })
                .collect::<Vec<_>>()
                .join("、"),
        },
    };
    if line.chars().count() > DETAIL_CHARS {
        let cut: String = line.chars().take(DETAIL_CHARS).collect();
        format!("{cut}…")
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_events_have_japanese_labels() {
        assert_eq!(flag_label("unregistered"), "台帳未登録");
        assert_eq!(flag_label("something_new"), "something_new");
        assert_eq!(event_label(EventKind::IpChanged), "IPアドレス変更");
    }

    #[test]
    fn times_are_shown_in_jst() {
        assert_eq!(display_time("2026-12-02T05:05:00Z"), "2026/12/02 14:05");
        assert_eq!(display_time("not a time"), "not a time");
    }

    #[test]
    fn event_details_read_as_one_line() {
        let d = serde_json::json!({"from": "10.0.0.1", "to": "10.0.0.2"});
        assert_eq!(
            event_detail(EventKind::IpChanged, &d),
            "10.0.0.1 → 10.0.0.2"
        );
        let d = serde_json::json!({"flag": "unneeded_service", "code": "ftp",
            "service": "ftp/tcp/21", "reason": "…", "evidence": []});
        assert_eq!(
            event_detail(EventKind::FlagRaised, &d),
            "不要なサービス（ftp/tcp/21）"
        );
        let d = serde_json::json!({"ip": "198.18.0.5", "mac": null, "hostname": "pc-1", "services": []});
        assert_eq!(event_detail(EventKind::FirstSeen, &d), "198.18.0.5　pc-1");
        let d = serde_json::json!({"location": {"from": null, "to": "2F"}});
        assert_eq!(
            event_detail(EventKind::LedgerUpdated, &d),
            "location: — → 2F"
        );
        let long = serde_json::json!({"from": "x".repeat(300), "to": "y"});
        assert!(event_detail(EventKind::HostnameChanged, &long).ends_with('…'));
    }
}
