//! Bearer tokens. A token is `dct_` followed by 64 hex digits (32 random bytes); only its
//! SHA-256 is stored, so the database never holds a usable token. `agent` tokens may push
//! reports; `operator` tokens may read the ledger and change it.

use std::fmt::Write as _;

use crate::db::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::sites::{SiteId, SiteScope, bind_sites, bound_sites};
use crate::time::to_db;
use crate::{Ledger, LedgerError};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Push scan reports.
    Agent,
    /// Read and manage the ledger.
    Operator,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Operator => "operator",
        }
    }

    fn from_db(s: &str) -> Self {
        if s == "operator" {
            Self::Operator
        } else {
            Self::Agent
        }
    }
}

/// A stored token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Token id.
    pub id: i64,
    /// The agent's or operator's name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// When it was created.
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// When it last pushed a report.
    pub last_used_at: Option<String>,
    /// The sites it is bound to: an agent token's one site (its reports' site, whatever they
    /// say), an operator token's sites (none: every site).
    pub sites: Vec<SiteId>,
}

impl TokenInfo {
    /// The site an agent token's reports belong to (the implicit site for a token without one).
    pub fn agent_site(&self) -> SiteId {
        self.sites.first().copied().unwrap_or(SiteId::DEFAULT)
    }

    /// The sites an operator token may see and change.
    pub fn scope(&self) -> SiteScope {
        SiteScope::from_bindings(&self.sites)
    }
}

/// The prefix of every token, so that leaked tokens are easy to recognise.
pub const TOKEN_PREFIX: &str = "dct_";

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The stored form of a token.
pub(crate) fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

impl Ledger {
    /// Creates a token for `name` at the implicit site (an agent's) or for every site (an
    /// operator's): [`Ledger::create_site_token`] with no sites.
    pub fn create_token(&self, name: &str, role: Role) -> Result<(TokenInfo, String), LedgerError> {
        self.create_site_token(name, role, &[])
    }

    /// Creates a token for `name` bound to `sites`; returns its info and the token text, which
    /// is shown once and never stored. An agent token is bound to exactly one site (the implicit
    /// site when `sites` is empty); an operator token to the sites given (none: every site).
    pub fn create_site_token(
        &self,
        name: &str,
        role: Role,
        sites: &[SiteId],
    ) -> Result<(TokenInfo, String), LedgerError> {
        let sites: Vec<SiteId> = match (role, sites) {
            (Role::Agent, []) => vec![SiteId::DEFAULT],
            (Role::Agent, [one]) => vec![*one],
            (Role::Agent, _) => {
                return Err(LedgerError::Invalid(
                    "エージェントのトークンは一つのサイトに属します / an agent token belongs to exactly one site".to_owned(),
                ));
            }
            (Role::Operator, sites) => {
                let mut sites = sites.to_vec();
                sites.sort_unstable();
                sites.dedup();
                sites
            }
        };
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(LedgerError::Invalid(
                "a token name must be 1–100 printable characters".to_owned(),
            ));
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| LedgerError::Random(e.to_string()))?;
        let token = format!("{TOKEN_PREFIX}{}", hex(&secret));
        let now = to_db(self.now());
        let id = self.write(|conn| {
            let id: i64 = conn.query_row(
                "INSERT INTO tokens (name, role, token_sha256, created_at) VALUES (?1, ?2, ?3, ?4)
 RETURNING id",
                params![name, role.as_str(), token_hash(&token), now],
                |r| r.get(0),
            )?;
            bind_sites(conn, "token_sites", "token_id", id, &sites)?;
            Ok(id)
        })?;
        Ok((
            TokenInfo {
                id,
                name: name.to_owned(),
                role,
                created_at: now,
                revoked_at: None,
                last_used_at: None,
                sites,
            },
            token,
        ))
    }

    /// The live (not revoked) token matching `token`, if any.
    pub fn verify_token(&self, token: &str) -> Result<Option<TokenInfo>, LedgerError> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let hash = token_hash(token);
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT id, name, role, created_at, revoked_at, last_used_at FROM tokens
                     WHERE token_sha256 = ?1 AND revoked_at IS NULL",
            )?
            .query_row(params![hash], token_from_row)
            .optional()?
            .map(|t| with_sites(conn, t))
            .transpose()
        })
    }

    /// Revokes the token with this id, or every live token of this name. Returns how many.
    pub fn revoke_tokens(&self, id_or_name: &str) -> Result<usize, LedgerError> {
        let now = to_db(self.now());
        let n = self.write(|conn| {
            let by_id = id_or_name.parse::<i64>().ok();
            Ok(conn.execute(
                "UPDATE tokens SET revoked_at = ?1
                 WHERE revoked_at IS NULL AND (id = ?2 OR name = ?3)",
                params![now, by_id, id_or_name],
            )?)
        })?;
        if n == 0 {
            return Err(LedgerError::NoSuchToken(id_or_name.to_owned()));
        }
        Ok(n)
    }

    /// Revokes the one live token with this id (a name is never matched); returns it as it
    /// now stands. [`LedgerError::NoSuchToken`] when no live token has that id.
    pub fn revoke_token_id(&self, id: i64) -> Result<TokenInfo, LedgerError> {
        let now = to_db(self.now());
        let revoked = self.write(|conn| {
            let n = conn.execute(
                "UPDATE tokens SET revoked_at = ?1 WHERE revoked_at IS NULL AND id = ?2",
                params![now, id],
            )?;
            if n == 0 {
                return Ok(None);
            }
            conn.prepare_cached(
                "SELECT id, name, role, created_at, revoked_at, last_used_at FROM tokens
                     WHERE id = ?1",
            )?
            .query_row(params![id], token_from_row)
            .optional()?
            .map(|t| with_sites(conn, t))
            .transpose()
        })?;
        revoked.ok_or_else(|| LedgerError::NoSuchToken(id.to_string()))
    }

    /// Every token, revoked ones included.
    pub fn list_tokens(&self) -> Result<Vec<TokenInfo>, LedgerError> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, name, role, created_at, revoked_at, last_used_at FROM tokens ORDER BY id",
            )?;
            let rows = stmt.query_map([], token_from_row)?;
            let tokens = rows.collect::<Result<Vec<_>, _>>()?;
            tokens.into_iter().map(|t| with_sites(conn, t)).collect()
        })
    }
}

fn token_from_row(r: &crate::db::Row<'_>) -> crate::db::Result<TokenInfo> {
    Ok(TokenInfo {
        id: r.get(0)?,
        name: r.get(1)?,
        role: Role::from_db(&r.get::<_, String>(2)?),
        created_at: r.get(3)?,
        revoked_at: r.get(4)?,
        last_used_at: r.get(5)?,
        sites: Vec::new(),
    })
}

/// `token` with its stored site bindings.
fn with_sites(conn: &crate::db::Conn, mut token: TokenInfo) -> Result<TokenInfo, LedgerError> {
    token.sites = bound_sites(conn, "token_sites", "token_id", token.id)?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
