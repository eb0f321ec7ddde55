//! Bearer tokens for agents and operator scripts.

use chrono::{DateTime, Utc};
use daicho_ledger::{Ledger, LedgerError, Role, SiteId, TokenInfo};
use serde_json::json;

use super::{Actor, audit};
use crate::site_access::check_binding;

/// Creates a bearer token bound to `sites` (`token.create`): an agent token to exactly one site
/// (the implicit site when none is given), an operator token to the sites given (none: every
/// site). The actor may bind only sites it may see itself, and only a group-wide actor may
/// create a group-wide operator token. Returns it with the token text, shown once (the audit
/// log keeps its id, name, role and sites only).
pub fn create_token(
    ledger: &Ledger,
    actor: &Actor,
    name: &str,
    role: Role,
    sites: &[SiteId],
    now: DateTime<Utc>,
) -> Result<(TokenInfo, String), LedgerError> {
    ledger.atomically(|| {
        let bound: &[SiteId] = match (role, sites) {
            (Role::Agent, []) => &[SiteId::DEFAULT],
            _ => sites,
        };
        check_binding(ledger, actor.scope(), bound)?;
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
                json!({ "id": info.id, "name": info.name, "role": info.role.as_str(), "sites": info.sites }),
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
