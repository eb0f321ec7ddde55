//! Bearer tokens for agents and operator scripts.

use chrono::{DateTime, Utc};
use daicho_ledger::{Ledger, LedgerError, Role, SiteId, TokenInfo};
use serde_json::json;

use super::{Actor, audit};
use crate::site_access::check_site;

/// Creates a bearer token (`token.create`); returns it with the token text, shown once (the
/// audit log keeps its id, name and role only).
///
/// The token is bound to `sites` (see [`Ledger::create_site_token`]). An actor limited to some
/// sites may only create tokens within them, and no group-wide operator token.
pub fn create_token(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    role: Role,
    sites: &[SiteId],
    now: DateTime<Utc>,
) -> Result<(TokenInfo, String), LedgerError> {
    ledger.atomically(|| {
        if !actor.scope().is_all() {
            if sites.is_empty() && role == Role::Operator {
                return Err(LedgerError::Forbidden(
                    "全サイトのトークンは発行できません / you may not create a group-wide token"
                        .to_owned(),
                ));
            }
            let agent_site = [SiteId::DEFAULT];
            let bound = if sites.is_empty() {
                &agent_site[..]
            } else {
                sites
            };
            for site in bound {
                check_site(ledger, actor.scope(), *site)?;
            }
        }
        let (info, token) = ledger.create_site_token(name, role, sites)?;
        audit(
            ledger,
            actor,
            "token.create",
            &format!("token:{}", info.id),
            &format!(
                "{}用トークン #{}（{}）を発行",
                token_role_label(info.role),
                info.id,
                info.name
            ),
            None,
            Some(
                json!({ "id": info.id, "name": info.name, "role": info.role.as_str(),
                "sites": info.sites }),
            ),
            now,
        )?;
        Ok((info, token))
    })
}

/// Revokes the live token with this id, or else every live token of this name (the CLI's
/// `token revoke ID|NAME`: an id never also revokes a token named like it). Returns how many.
pub fn revoke_tokens_by_id_or_name(
    ledger: &Ledger,
    actor: &Actor,
    id_or_name: &str,
    now: DateTime<Utc>,
) -> Result<usize, LedgerError> {
    ledger.atomically(|| {
        let live: Vec<TokenInfo> = ledger
            .list_tokens()?
            .into_iter()
            .filter(|t| t.revoked_at.is_none())
            .collect();
        let by_id: Vec<i64> = id_or_name
            .parse::<i64>()
            .ok()
            .filter(|id| live.iter().any(|t| t.id == *id))
            .into_iter()
            .collect();
        let ids = if by_id.is_empty() {
            live.iter()
                .filter(|t| t.name == id_or_name)
                .map(|t| t.id)
                .collect()
        } else {
            by_id
        };
        if ids.is_empty() {
            return Err(LedgerError::NoSuchToken(id_or_name.to_owned()));
        }
        for id in &ids {
            revoke_token(ledger, actor, *id, now)?;
        }
        Ok(ids.len())
    })
}

/// Revokes the one token with this id (`token.revoke`).
pub fn revoke_token(
    ledger: &Ledger,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<TokenInfo, LedgerError> {
    ledger.atomically(|| {
        let info = ledger.revoke_token_id(id)?;
        audit(
            ledger,
            actor,
            "token.revoke",
            &format!("token:{id}"),
            &format!("トークン #{id}（{}）を失効", info.name),
            Some(
                json!({ "id": id, "name": info.name, "role": info.role.as_str(), "revoked_at": null }),
            ),
            Some(json!({ "revoked_at": info.revoked_at })),
            now,
        )?;
        Ok(info)
    })
}

/// The Japanese name of what a token is for.
pub fn token_role_label(role: Role) -> &'static str {
    match role {
        Role::Agent => "エージェント",
        Role::Operator => "運用（API）",
    }
}
