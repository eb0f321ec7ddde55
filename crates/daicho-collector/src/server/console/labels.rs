//! How the console names things for people: flags, history events, roles of devices and times,
//! in Japanese. Stored names (`eol_os`, `ip_changed`) stay the machine names everywhere else.

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

/// The Japanese label of a history event kind.
pub(crate) fn event_label(kind: &str) -> &'static str {
    match kind {
        "first_seen" => "初めて検出",
        "ip_changed" => "IPアドレス変更",
        "port_opened" => "ポートが開いた",
        "port_closed" => "ポートが閉じた",
        "service_changed" => "サービス変更",
        "os_changed" => "OS変更",
        "mac_changed" => "MACアドレス変更",
        "hostname_changed" => "コンピュータ名変更",
        "gone" => "見えなくなった",
        "returned" => "再び検出",
        "flag_raised" => "指摘が発生",
        "flag_cleared" => "指摘が解消",
        "identity_key_moved" => "識別子の移動",
        "merged" => "統合",
        "split" => "分離",
        "ledger_updated" => "台帳項目の変更",
        _ => "その他",
    }
}

/// A stored time (RFC 3339) as people in Japan read it: `2026/12/02 14:05` in JST.
pub(crate) fn display_time(stored: &str) -> String {
    daicho_ledger::time::from_db(stored).map_or_else(
        || stored.to_owned(),
        |t| {
            t.with_timezone(&daicho_ledger_io::export::now_jst().timezone())
                .format("%Y/%m/%d %H:%M")
                .to_string()
        },
    )
}

/// A short one-line description of an event's details (`192.168.1.5 → 192.168.1.9`).
pub(crate) fn event_detail(detail: &serde_json::Value) -> String {
    let Some(map) = detail.as_object() else {
        return String::new();
    };
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".to_owned(),
        other => other.to_string(),
    };
    if let (Some(from), Some(to)) = (map.get("from"), map.get("to")) {
        return format!("{} → {}", text(from), text(to));
    }
    map.iter()
        .take(4)
        .map(|(k, v)| format!("{k}: {}", text(v)))
        .collect::<Vec<_>>()
        .join("、")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_events_have_japanese_labels() {
        assert_eq!(flag_label("unregistered"), "台帳未登録");
        assert_eq!(flag_label("something_new"), "something_new");
        assert_eq!(event_label("ip_changed"), "IPアドレス変更");
    }

    #[test]
    fn times_are_shown_in_jst() {
        assert_eq!(display_time("2026-12-02T05:05:00Z"), "2026/12/02 14:05");
        assert_eq!(display_time("not a time"), "not a time");
    }

    #[test]
    fn event_details_read_as_one_line() {
        let d = serde_json::json!({"from": "10.0.0.1", "to": "10.0.0.2"});
        assert_eq!(event_detail(&d), "10.0.0.1 → 10.0.0.2");
    }
}
