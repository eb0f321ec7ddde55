//! A Windows PC's update revision (UBR), from its own inventory, against the monthly security
//! updates Microsoft released for its build (`daicho-eol`'s Windows update list).

use chrono::{Duration, NaiveDate};
use daicho_eol::windows_updates::{self, WindowsUpdate};
use daicho_model::{OsFamily, OsGuess};

use crate::evaluate::{Flag, FlagKind};
use crate::facts::DeviceFacts;
use crate::policy::Policy;

/// The build and update revision of a Windows NT version with four numbers (`10.0.19045.4894`),
/// as a PC's own inventory gives it; remote guesses have three and say nothing of the revision.
fn build_and_revision(os: &OsGuess) -> Option<(u32, u32)> {
    if os.family != OsFamily::Windows {
        return None;
    }
    let parts: Vec<u32> = os
        .version
        .as_deref()?
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match parts[..] {
        [_, _, build, revision] => Some((build, revision)),
        _ => None,
    }
}

/// The `os_unpatched` flag (`missing_update`) of a Windows PC with an agent whose update
/// revision is older than the security update released `unpatched_after_days` before `today`
/// (the grace the policy gives every update): the update it lacks, and the one it last
/// installed where the list reaches back that far.
pub(crate) fn missing_update_flag(
    device: &DeviceFacts,
    policy: &Policy,
    today: NaiveDate,
) -> Option<Flag> {
    if !device.self_inventoried {
        return None;
    }
    let os = device.os.as_ref()?;
    let (build, revision) = build_and_revision(os)?;
    let grace = i64::from(policy.settings.unpatched_after_days);
    let required = windows_updates::required_by(build, today - Duration::days(grace))?;
    if revision >= required.revision {
        return None;
    }
    let last = windows_updates::installed(build, revision);
    let installed_text = last.map_or_else(String::new, |u| {
        format!("（最後に適用された月例更新は {} の {}）", u.released, u.kb)
    });
    let mut evidence = vec![format!(
        "update revision reported by the host's own inventory: {build}.{revision}"
    )];
    evidence.push(describe("required", required));
    if let Some(u) = last {
        evidence.push(describe("last installed", u));
    }
    evidence.push(format!(
        "Windows update data: {} (date {})",
        windows_updates::list_source(),
        windows_updates::list_date().map_or_else(|| "unknown".to_owned(), |d| d.to_string())
    ));
    Some(Flag {
        kind: FlagKind::OsUnpatched,
        code: "missing_update".into(),
        service: None,
        reason: format!(
            "{} のこの PC は更新リビジョン {build}.{revision} のままです{installed_text}。{} 公開の月例セキュリティ更新 {}（{build}.{}）以降が適用されていません。Windows Update で最新の累積更新プログラムを適用してください。",
            required.release, required.released, required.kb, required.revision,
        ),
        evidence,
    })
}

fn describe(what: &str, update: &WindowsUpdate) -> String {
    format!(
        "{what}: {} ({}.{}) released {}",
        update.kb, update.build, update.revision, update.released
    )
}
