//! Reading managed switches over SNMP v2c (`[snmp] switches`): their ports (IF-MIB), forwarding
//! tables (Q-BRIDGE-MIB, else BRIDGE-MIB) and LLDP neighbours (LLDP-MIB), into the report's
//! [`SwitchReading`]. The I/O is one request/answer exchange ([`SnmpExchange`]); the agent's is
//! [`ConnectorExchange`] over the scan's gated connector, so every request passes the gate
//! (scope, exclusions, pacing) like any other packet. Bounded by [`WalkLimits`]; a switch that
//! does not answer gets a note in its reading, never a failed scan.

pub mod tables;
pub mod walk;

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use daicho_model::SwitchReading;

use crate::Connector;
use crate::probe::snmp::{self, SYSTEM_OIDS};
use tables::{
    BASE_PORT_IFINDEX, IF_ALIAS, IF_DESCR, IF_NAME, LLDP_LOC_CHASSIS_ID, LLDP_LOC_CHASSIS_SUBTYPE,
    LLDP_REM_ENTRY, Q_TP_FDB_PORT, Q_TP_FDB_STATUS, TP_FDB_PORT, TP_FDB_STATUS, column,
};
pub use walk::{WalkError, WalkLimits, Walker};

/// One SNMP request to one switch and its answer.
pub trait SnmpExchange: Send + Sync {
    /// Sends `request`, returns the first answer, or `None` when none came in time.
    fn exchange(&self, request: &[u8]) -> impl Future<Output = io::Result<Option<Vec<u8>>>> + Send;
}

/// The agent's exchange: one UDP datagram to port 161 through a [`Connector`] (the scan's gated
/// one), waiting up to `timeout` for the answer.
#[derive(Debug)]
pub struct ConnectorExchange<'a, C> {
    connector: &'a C,
    addr: SocketAddr,
    timeout: Duration,
}

impl<'a, C: Connector> ConnectorExchange<'a, C> {
    /// Exchanges with `ip`'s SNMP port.
    pub fn new(connector: &'a C, ip: IpAddr, timeout: Duration) -> Self {
        Self {
            connector,
            addr: SocketAddr::new(ip, 161),
            timeout,
        }
    }
}

impl<C: Connector> SnmpExchange for ConnectorExchange<'_, C> {
    async fn exchange(&self, request: &[u8]) -> io::Result<Option<Vec<u8>>> {
        self.connector
            .exchange_udp(self.addr, request, self.timeout, snmp::MAX_DATAGRAM)
            .await
    }
}

/// Reads switch `address`: its name, ports, forwarding table and LLDP neighbours. Whatever
/// stops the reading (no answer, a limit) is said in the reading's `note`, with what was read
/// before it kept.
pub async fn read_switch<E: SnmpExchange>(
    exchange: &E,
    address: IpAddr,
    community: &str,
    limits: &WalkLimits,
) -> SwitchReading {
    let mut reading = SwitchReading::unread(address);
    let mut walker = Walker::new(exchange, community, limits);
    let mut cut = Vec::new();
    if let Err(e) = read_into(&mut walker, &mut reading, &mut cut).await {
        reading.note = Some(format!("スイッチ {address} の読み取りを中断: {e}"));
    } else if !cut.is_empty() {
        reading.note = Some(format!(
            "スイッチ {address}: 行数の上限 ({}) で打ち切った表: {}",
            limits.max_rows,
            cut.join(", ")
        ));
    }
    reading
}

async fn read_into<E: SnmpExchange>(
    walker: &mut Walker<'_, E>,
    reading: &mut SwitchReading,
    cut: &mut Vec<&'static str>,
) -> Result<(), WalkError> {
    let system = walker
        .get(&[
            SYSTEM_OIDS[0],
            SYSTEM_OIDS[2],
            LLDP_LOC_CHASSIS_SUBTYPE,
            LLDP_LOC_CHASSIS_ID,
        ])
        .await?;
    let value = |oid: &[u32]| system.iter().find(|b| b.oid == oid).map(|b| &b.value);
    reading.description = value(SYSTEM_OIDS[0]).and_then(|v| {
        // sysDescr is free text: the text bound, not the name bound.
        let snmp::SnmpValue::Octets(bytes) = v else {
            return None;
        };
        let s = crate::wire::clean_text(
            &String::from_utf8_lossy(bytes),
            daicho_model::bounds::MAX_TEXT_CHARS,
        );
        (!s.is_empty()).then_some(s)
    });
    reading.name = value(SYSTEM_OIDS[2]).and_then(tables::text);
    reading.chassis_id = tables::local_chassis(&system);

    let mut walk = async |root: &[u32], label: &'static str| -> Result<_, WalkError> {
        let walked = walker.walk(root).await?;
        if walked.cut {
            cut.push(label);
        }
        Ok(walked.rows)
    };
    let names = walk(IF_NAME, "ifName").await?;
    let descriptions = if names.is_empty() {
        walk(IF_DESCR, "ifDescr").await?
    } else {
        Vec::new()
    };
    let aliases = walk(IF_ALIAS, "ifAlias").await?;
    reading.ports = tables::ports(
        &column(&names, IF_NAME),
        &column(&descriptions, IF_DESCR),
        &column(&aliases, IF_ALIAS),
    );
    let base = tables::base_ports(&column(
        &walk(BASE_PORT_IFINDEX, "dot1dBasePortIfIndex").await?,
        BASE_PORT_IFINDEX,
    ));
    let q_ports = walk(Q_TP_FDB_PORT, "dot1qTpFdbPort").await?;
    reading.forwarding = if q_ports.is_empty() {
        let ports = walk(TP_FDB_PORT, "dot1dTpFdbPort").await?;
        let status = walk(TP_FDB_STATUS, "dot1dTpFdbStatus").await?;
        tables::forwarding_dot1d(
            &column(&ports, TP_FDB_PORT),
            &column(&status, TP_FDB_STATUS),
            &base,
        )
    } else {
        let status = walk(Q_TP_FDB_STATUS, "dot1qTpFdbStatus").await?;
        tables::forwarding_q(
            &column(&q_ports, Q_TP_FDB_PORT),
            &column(&status, Q_TP_FDB_STATUS),
            &base,
        )
    };
    let mut entry = Vec::new();
    for n in [4, 5, 6, 7, 9] {
        entry.extend(walk(&[LLDP_REM_ENTRY, &[n]].concat(), "lldpRemTable").await?);
    }
    reading.neighbours = tables::neighbours(&entry, &base);
    Ok(())
}

#[cfg(test)]
mod tests;
