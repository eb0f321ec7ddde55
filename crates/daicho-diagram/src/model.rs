//! What a diagram shows: the network as the collector knows it, with no drawing in it.
//!
//! The caller fills it (from the ledger, from switch placement, from the remote-maintenance
//! register); the layout ([`crate::layout`]) decides where everything goes.

use std::net::IpAddr;

use ipnet::IpNet;

/// The whole network of one facility on one day.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Network {
    /// 医療機関名, printed in the title block.
    pub facility: String,
    /// The date the diagram states (`2026/12/07`), printed in the title block.
    pub date: String,
    /// The network's segments.
    pub subnets: Vec<Subnet>,
    /// Devices that route between subnets (known or inferred).
    pub routers: Vec<Router>,
    /// Which router joins which subnet, and why it is believed.
    pub links: Vec<Link>,
    /// Switches, with their ports.
    pub switches: Vec<Switch>,
    /// Every device drawn.
    pub devices: Vec<Device>,
    /// The ways vendors reach devices from outside (checklist 2-②).
    pub remote_paths: Vec<RemotePath>,
}

/// Identifies a device within one [`Network`] (the ledger's device id for ledger devices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceRef(pub i64);

/// One segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    /// Its prefix.
    pub net: IpNet,
    /// How it is known (`スキャン範囲`, `エージェントのインタフェース`, `推定 /24`).
    pub source: String,
}

/// A device that routes between subnets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Router {
    /// The ledger device it is, when known; `None` for a router only inferred (hosts reached
    /// through some router nobody has seen).
    pub device: Option<DeviceRef>,
    /// How a person recognises it (`rtx1210`, `未確認のルータ`).
    pub name: String,
}

/// A router's leg into a subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Index into [`Network::routers`].
    pub router: usize,
    /// The subnet reached.
    pub subnet: IpNet,
    /// Why the link is believed.
    pub evidence: LinkEvidence,
}

/// Why a link is believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LinkEvidence {
    /// The router has an address in the subnet.
    Address,
    /// Hosts of the subnet answered an agent from behind a router (no MAC, lower TTL).
    Routed,
    /// A route or traceroute hop names it.
    Route,
    /// An LLDP neighbour says so.
    Lldp,
}

impl LinkEvidence {
    /// The Japanese legend text.
    pub fn label(self) -> &'static str {
        match self {
            Self::Address => "アドレスあり",
            Self::Routed => "ルータ越しに応答（推定）",
            Self::Route => "経路情報",
            Self::Lldp => "LLDP",
        }
    }
}

/// A switch and what hangs off its ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switch {
    /// The switch itself as a device (drawn in its subnet).
    pub device: DeviceRef,
    /// How a person recognises it (`sw-2f`).
    pub name: String,
    /// Its ports that something was seen on, in port order.
    pub ports: Vec<SwitchPort>,
}

/// One port of a switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchPort {
    /// Its name (`14`, `ge1/0/14`).
    pub name: String,
    /// Another switch reached through it (an uplink or trunk): no device is placed here.
    pub uplink_to: Option<DeviceRef>,
    /// The devices placed on it.
    pub devices: Vec<DeviceRef>,
}

/// One device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its identity in this network.
    pub id: DeviceRef,
    /// How a person recognises it (host name, コンピュータ名 or 管理番号).
    pub name: String,
    /// Its address.
    pub ip: Option<IpAddr>,
    /// What kind of device it is.
    pub role: Role,
    /// 設置場所 (blank when unknown).
    pub location: String,
    /// Not in the ledger (no 管理番号 or 登録日).
    pub unregistered: bool,
    /// The checklist flags it carries, as short Japanese labels (`EOL OS`).
    pub flags: Vec<String>,
    /// A vendor maintains it remotely (or may: a candidate not yet confirmed).
    pub remote_maintenance: bool,
}

impl Device {
    /// True when it must be drawn on its own, never folded into a count: unregistered, flagged
    /// or remotely maintained.
    pub fn is_marked(&self) -> bool {
        self.unregistered || !self.flags.is_empty() || self.remote_maintenance
    }
}

/// What kind of device it is, as the diagram draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// サーバ.
    Server,
    /// 端末PC.
    Pc,
    /// ネットワーク機器.
    Network,
    /// 医療機器.
    Medical,
    /// プリンタ.
    Printer,
    /// 不明.
    Unknown,
}

impl Role {
    /// Every role, in legend order.
    pub const ALL: [Self; 6] = [
        Self::Server,
        Self::Pc,
        Self::Network,
        Self::Medical,
        Self::Printer,
        Self::Unknown,
    ];

    /// The Japanese name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Server => "サーバ",
            Self::Pc => "端末PC",
            Self::Network => "ネットワーク機器",
            Self::Medical => "医療機器",
            Self::Printer => "プリンタ",
            Self::Unknown => "不明",
        }
    }
}

/// A way a vendor reaches a device from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePath {
    /// 保守事業者 (blank when not known yet).
    pub vendor: String,
    /// How (`SSL-VPN`, `TeamViewer`, `RDP`).
    pub method: String,
    /// The device reached.
    pub device: DeviceRef,
    /// Confirmed with the vendor, or only a candidate seen on the network.
    pub confirmed: bool,
}
