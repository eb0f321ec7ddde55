//! Walking SNMP tables: GETBULK, falling back to GETNEXT for the rest of the switch when a
//! GETBULK goes unanswered or is refused, bounded in rows, bytes and time.

use std::io;
use std::time::{Duration, Instant};

use crate::probe::snmp::{self, SnmpReplyError, SnmpValue, VarBind};

use super::SnmpExchange;

/// The bounds of reading one switch.
#[derive(Debug, Clone)]
pub struct WalkLimits {
    /// Most rows read from one table column; the rest is left out, with a note.
    pub max_rows: usize,
    /// Most reply bytes read from one switch over all its tables.
    pub max_bytes: usize,
    /// Longest time spent on one switch.
    pub max_time: Duration,
    /// GETBULK's max-repetitions.
    pub max_repetitions: u32,
    /// Tries of one request (the first and the retries after no answer).
    pub tries: u32,
}

impl Default for WalkLimits {
    fn default() -> Self {
        Self {
            max_rows: 50_000,
            max_bytes: 16 * 1024 * 1024,
            max_time: Duration::from_mins(2),
            max_repetitions: 24,
            tries: 2,
        }
    }
}

/// Why a walk stopped early.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    /// Nothing came back, after every try.
    #[error("応答がありません (コミュニティ名か、SNMP の許可を確認してください)")]
    NoAnswer,
    /// The switch answered with an error status.
    #[error("エラー応答 (error-status {0})")]
    Refused(i64),
    /// The answers could not be decoded, or went backwards.
    #[error("解釈できない応答")]
    Malformed,
    /// The time allowed for the switch ran out.
    #[error("時間の上限 ({0} 秒) に達しました")]
    TimeUp(u64),
    /// The bytes allowed for the switch ran out.
    #[error("受信量の上限 ({0} バイト) に達しました")]
    TooManyBytes(usize),
    /// The exchange itself failed (e.g. refused by the scan's gate: out of scope or excluded).
    #[error("送信できません: {0}")]
    Io(#[from] io::Error),
}

/// One table column read: its rows, and whether the row limit cut it.
#[derive(Debug, Default)]
pub struct Walked {
    /// The bindings under the column, in OID order.
    pub rows: Vec<VarBind>,
    /// True when [`WalkLimits::max_rows`] stopped the walk.
    pub cut: bool,
}

/// Reads one switch's tables over an [`SnmpExchange`].
pub struct Walker<'a, E> {
    exchange: &'a E,
    community: &'a str,
    limits: &'a WalkLimits,
    started: Instant,
    bytes: usize,
    request_id: i32,
    bulk: bool,
}

impl<'a, E: SnmpExchange> Walker<'a, E> {
    /// A walker over `exchange`, asking with `community`.
    pub fn new(exchange: &'a E, community: &'a str, limits: &'a WalkLimits) -> Self {
        Self {
            exchange,
            community,
            limits,
            started: Instant::now(),
            bytes: 0,
            // Distinct from the fingerprint's ids (0x4441_xxxx), so a late answer to one is
            // never taken for the other.
            request_id: 0x5357_0000,
            bulk: true,
        }
    }

    /// True once a GETBULK failed and GETNEXT is used instead.
    pub fn fell_back(&self) -> bool {
        !self.bulk
    }

    /// One request, tried up to [`WalkLimits::tries`] times; its bindings.
    async fn ask(&mut self, build: impl Fn(i32) -> Vec<u8>) -> Result<Vec<VarBind>, WalkError> {
        for _ in 0..self.limits.tries.max(1) {
            if self.started.elapsed() > self.limits.max_time {
                return Err(WalkError::TimeUp(self.limits.max_time.as_secs()));
            }
            self.request_id = self.request_id.wrapping_add(1);
            let id = self.request_id;
            let Some(reply) = self.exchange.exchange(&build(id)).await? else {
                continue;
            };
            self.bytes += reply.len();
            if self.bytes > self.limits.max_bytes {
                return Err(WalkError::TooManyBytes(self.limits.max_bytes));
            }
            return match snmp::parse_varbinds(&reply, id) {
                Ok(binds) => Ok(binds),
                Err(SnmpReplyError::ErrorStatus(s)) => Err(WalkError::Refused(s)),
                Err(SnmpReplyError::Malformed | SnmpReplyError::WrongRequestId) => {
                    Err(WalkError::Malformed)
                }
            };
        }
        Err(WalkError::NoAnswer)
    }

    /// A GET of `oids`.
    pub async fn get(&mut self, oids: &[&[u32]]) -> Result<Vec<VarBind>, WalkError> {
        let community = self.community;
        self.ask(|id| snmp::get_request_for(community, id, oids))
            .await
    }

    /// Every binding under `root`, in order, up to [`WalkLimits::max_rows`].
    pub async fn walk(&mut self, root: &[u32]) -> Result<Walked, WalkError> {
        let mut walked = Walked::default();
        let mut cursor = root.to_vec();
        loop {
            let community = self.community;
            let at: &[u32] = &cursor;
            let binds = if self.bulk {
                let max = self.limits.max_repetitions;
                match self
                    .ask(|id| snmp::get_bulk_request(community, id, max, &[at]))
                    .await
                {
                    Ok(binds) => binds,
                    // An agent without GETBULK (or refusing it): GETNEXT from here on.
                    Err(WalkError::NoAnswer | WalkError::Refused(_) | WalkError::Malformed) => {
                        self.bulk = false;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            } else {
                self.ask(|id| snmp::get_next_request(community, id, &[at]))
                    .await?
            };
            let mut advanced = false;
            for bind in binds {
                if !bind.oid.starts_with(root) || bind.value == SnmpValue::EndOfMibView {
                    return Ok(walked);
                }
                // An agent that answers an OID not after the one asked would loop forever.
                if bind.oid <= cursor {
                    return Err(WalkError::Malformed);
                }
                cursor.clone_from(&bind.oid);
                if walked.rows.len() >= self.limits.max_rows {
                    walked.cut = true;
                    return Ok(walked);
                }
                walked.rows.push(bind);
                advanced = true;
            }
            if !advanced {
                return Ok(walked);
            }
        }
    }
}

#[cfg(test)]
mod tests;
