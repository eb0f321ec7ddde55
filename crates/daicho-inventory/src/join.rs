//! Domain or workgroup: what `NetGetJoinInformation` returns (a `NETSETUP_JOIN_STATUS` and a
//! name), as the inventory's [`Membership`].

use daicho_model::inventory::{Membership, MembershipKind};

/// `NetSetupUnjoined` (lmjoin.h).
pub const NETSETUP_UNJOINED: i32 = 1;
/// `NetSetupWorkgroupName`.
pub const NETSETUP_WORKGROUP_NAME: i32 = 2;
/// `NetSetupDomainName`.
pub const NETSETUP_DOMAIN_NAME: i32 = 3;

/// The membership a join status and name describe; `None` for `NetSetupUnknownStatus` (0) or
/// a status the documentation does not list.
pub fn membership(status: i32, name: &str) -> Option<Membership> {
    let kind = match status {
        NETSETUP_DOMAIN_NAME => MembershipKind::Domain,
        NETSETUP_WORKGROUP_NAME => MembershipKind::Workgroup,
        NETSETUP_UNJOINED => MembershipKind::Unjoined,
        _ => return None,
    };
    let name = name.trim();
    Some(Membership {
        kind,
        name: (kind != MembershipKind::Unjoined && !name.is_empty()).then(|| name.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_as_documented() {
        assert_eq!(
            membership(NETSETUP_DOMAIN_NAME, "HOSPITAL"),
            Some(Membership {
                kind: MembershipKind::Domain,
                name: Some("HOSPITAL".into())
            })
        );
        assert_eq!(
            membership(NETSETUP_WORKGROUP_NAME, "WORKGROUP").map(|m| m.kind),
            Some(MembershipKind::Workgroup)
        );
        assert_eq!(
            membership(NETSETUP_UNJOINED, ""),
            Some(Membership {
                kind: MembershipKind::Unjoined,
                name: None
            })
        );
        assert_eq!(membership(0, "x"), None);
        assert_eq!(membership(7, "x"), None);
    }
}
