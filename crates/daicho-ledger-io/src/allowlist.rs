//! The MAC allowlist for checklist 2-⑬ (接続元制限), from the registered devices, per subnet.
//!
//! [`build_allowlist`] picks every ledger row with a MAC address that is not 廃棄, groups the
//! rows by the most specific configured subnet holding their IP address (rows without an IP or
//! outside every subnet form a last group with no subnet), and lists what it left out and why.
//! The renderers turn that into:
//!
//! - [`render_plain`]: one MAC per line, a `#` heading per subnet.
//! - [`render_csv`]: UTF-8 CSV with a BOM (subnet, MAC, 管理番号, コンピュータ名, IP, 設置場所).
//! - [`render_yamaha_rtx`]: YAMAHA RTX `ethernet filter` commands. Syntax as in the YAMAHA RTX
//!   command reference, chapter 「イーサネットフィルタの設定」: `ethernet filter NUM KIND SRC_MAC
//!   [DST_MAC]` with KIND one of `pass-log`/`pass-nolog`/`reject-log`/`reject-nolog`, MACs as
//!   `xx:xx:xx:xx:xx:xx` or `*`, and `ethernet INTERFACE filter in LIST` to apply them. Filter
//!   numbers run 1..512 on RTX1210 Rev.14.01.16+ and Rev.15.02+, 1..100 on older firmware
//!   ([`RtxOptions::last_filter`]). One `pass-nolog` filter per registered MAC, then one
//!   `reject-log * *`, applied inbound on the LAN interface. Note that the router filters only
//!   frames it receives: this restricts what unregistered devices reach through the router
//!   (other segments, the Internet, the router itself), not traffic between two hosts on the
//!   same switch.
//! - [`render_cisco_port_security`]: Cisco IOS/IOS-XE interface port security, as in the
//!   Catalyst configuration guides' 「ポート セキュリティの設定」: `switchport mode access`,
//!   `switchport port-security`, `switchport port-security maximum N`,
//!   `switchport port-security violation restrict`, and one
//!   `switchport port-security mac-address HHHH.HHHH.HHHH` per device. Secure addresses belong
//!   to one port, and daicho does not know which port a device is cabled to, so the operator
//!   maps each subnet to the one access port its devices arrive on (typically the port towards
//!   a Wi-Fi access point or an unmanaged switch, [`CiscoOptions::interfaces`]); subnets with no
//!   port are written as `!` comment lines only.
//! - [`render_yamaha_swx`]: YAMAHA SWX (SWX2310/SWX3220 series, the technical data's 「ポート
//!   セキュリティ機能」): `interface PORT` / `port-security enable` on the access port, and one
//!   global `port-security mac-address HHHH.HHHH.HHHH forward PORT vlan VID` per device. As with
//!   Cisco, secure addresses belong to one port, so the operator maps each subnet to its port
//!   ([`SwxOptions::ports`]); unmapped subnets are written as `!` comment lines only. A frame
//!   from an address not registered on the port is discarded (the default violation action).
//! - [`render_aruba_lma`]: ArubaOS-Switch (16.07/16.08 Access Security Guide, Local MAC
//!   Authentication): `aaa port-access local-mac mac-group NAME`, `… mac-group NAME mac-addr
//!   XXXXXX-XXXXXX` per device, `aaa port-access local-mac profile PROFILE vlan untagged VID`,
//!   `aaa port-access local-mac apply profile PROFILE mac-group NAME` and
//!   `aaa port-access local-mac PORTS` to enable it on the access ports. The switch then admits
//!   only MACs in a group; no RADIUS server is needed. ArubaOS-Switch has no comment syntax, so
//!   this output has none.
//!
//! - [`render_freeradius_users`]: entries for a FreeRADIUS `users` file (rlm_files, as in the
//!   users(5) manual page: user name and check items on one line, `#` comments), one per device
//!   with the MAC as both user name and `Cleartext-Password`, which is what MAC authentication
//!   (Cisco MAB, ArubaOS-Switch `aaa port-access mac-based`, FortiSwitch MAB) sends. The MAC text
//!   must match the switch's request format ([`RadiusMacFormat`]); the default, `aabbccddeeff`,
//!   is ArubaOS-Switch's documented default (`aaa port-access mac-based addr-format`,
//!   `no-delimiter`).
//!
//! MAC filtering is a weak control on its own (addresses can be copied); the manual says so
//! too (2-⑬ 補足). It is evidence of 接続元制限, not a replacement for 802.1X.

use std::fmt::Write as _;
use std::net::IpAddr;

use daicho_model::MacAddr;
use ipnet::IpNet;

use crate::row::{DeviceStatus, LedgerRow};

/// One allowed device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowlistEntry {
    /// Its MAC address.
    pub mac: MacAddr,
    /// 管理番号.
    pub asset_no: String,
    /// コンピュータ名.
    pub computer_name: String,
    /// IPアドレス.
    pub ip: Option<IpAddr>,
    /// 設置場所.
    pub location: String,
    /// The switch port a switch reading placed it on ([`Allowlist::place`]), which the
    /// port-bound formats (Cisco, YAMAHA SWX) use instead of the subnet's operator-given port.
    pub place: Option<SwitchPlace>,
}

/// Where a device is plugged in, as the ledger last placed it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SwitchPlace {
    /// The switch (its name, else its management address).
    pub switch: String,
    /// The port's name on that switch (`GigabitEthernet1/0/14`, `port1.14`).
    pub port: String,
}

/// The allowed devices of one subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowlistGroup {
    /// The subnet, or `None` for devices without an IP address or outside every subnet.
    pub subnet: Option<IpNet>,
    /// The devices, ordered by IP address then MAC.
    pub entries: Vec<AllowlistEntry>,
}

/// A ledger row the allowlist leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// 管理番号.
    pub asset_no: String,
    /// Why, in Japanese.
    pub reason: String,
}

/// The allowlist.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Allowlist {
    /// Groups in the order of the configured subnets, the no-subnet group last; empty groups
    /// are left out.
    pub groups: Vec<AllowlistGroup>,
    /// Rows left out.
    pub skipped: Vec<Skipped>,
}

impl Allowlist {
    /// Every allowed MAC address.
    pub fn macs(&self) -> impl Iterator<Item = MacAddr> + '_ {
        self.groups
            .iter()
            .flat_map(|g| g.entries.iter().map(|e| e.mac))
    }

    /// The number of allowed devices.
    pub fn len(&self) -> usize {
        self.groups.iter().map(|g| g.entries.len()).sum()
    }

    /// True when no device is allowed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Gives each device the switch port `places` has for its MAC.
    pub fn place(&mut self, places: &std::collections::HashMap<MacAddr, SwitchPlace>) {
        for entry in self.groups.iter_mut().flat_map(|g| g.entries.iter_mut()) {
            entry.place = places.get(&entry.mac).cloned();
        }
    }
}

/// Builds the allowlist from ledger rows. Rows without a MAC, with a group (multicast) MAC,
/// with 状態 廃棄, or repeating an earlier row's MAC are skipped and listed.
pub fn build_allowlist(rows: &[LedgerRow], subnets: &[IpNet]) -> Allowlist {
    let mut groups: Vec<AllowlistGroup> = subnets
        .iter()
        .map(|s| AllowlistGroup {
            subnet: Some(*s),
            entries: Vec::new(),
        })
        .collect();
    let mut outside = AllowlistGroup {
        subnet: None,
        entries: Vec::new(),
    };
    let mut skipped = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        let skip = |reason: &str| Skipped {
            asset_no: row.asset_no.clone(),
            reason: reason.to_owned(),
        };
        if row.status == Some(DeviceStatus::Disposed) {
            skipped.push(skip("状態が廃棄のため"));
            continue;
        }
        let Some(mac) = row.mac else {
            skipped.push(skip("MAC アドレスが台帳にありません"));
            continue;
        };
        if mac.is_multicast() {
            skipped.push(skip(
                "グループ（マルチキャスト）MAC アドレスは機器を表しません",
            ));
            continue;
        }
        if !seen.insert(mac) {
            skipped.push(skip("同じ MAC アドレスが前の行にあります"));
            continue;
        }
        let entry = AllowlistEntry {
            mac,
            asset_no: row.asset_no.clone(),
            computer_name: row.computer_name.clone(),
            ip: row.ip,
            location: row.location.clone(),
            place: None,
        };
        let best = row.ip.and_then(|ip| {
            groups
                .iter_mut()
                .filter(|g| g.subnet.is_some_and(|s| s.contains(&ip)))
                .max_by_key(|g| g.subnet.map_or(0, |s| s.prefix_len()))
        });
        match best {
            Some(group) => group.entries.push(entry),
            None => outside.entries.push(entry),
        }
    }
    groups.push(outside);
    groups.retain(|g| !g.entries.is_empty());
    for group in &mut groups {
        group.entries.sort_by_key(|e| (e.ip, e.mac));
    }
    Allowlist { groups, skipped }
}

fn group_title(group: &AllowlistGroup) -> String {
    group
        .subnet
        .map_or_else(|| "サブネット外・IP なし".to_owned(), |s| s.to_string())
}

/// ASCII-only text for device consoles that may not display Japanese; empty when the text
/// has anything else.
fn ascii_note(entry: &AllowlistEntry) -> String {
    [entry.asset_no.as_str(), entry.computer_name.as_str()]
        .iter()
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic() || c == ' '))
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// One MAC per line under a `#` heading per subnet.
pub fn render_plain(list: &Allowlist) -> String {
    let mut out = String::new();
    for group in &list.groups {
        let _ = writeln!(out, "# {} ({} 台)", group_title(group), group.entries.len());
        for entry in &group.entries {
            let _ = writeln!(out, "{}", entry.mac);
        }
    }
    out
}

/// CSV (UTF-8 with BOM, CRLF): サブネット, MACアドレス, 管理番号, コンピュータ名, IPアドレス, 設置場所.
/// Every cell goes through [`spreadsheet_cell`](crate::text::spreadsheet_cell): names and
/// places come from imported ledgers and devices and must not run as formulas.
pub fn render_csv(list: &Allowlist) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let header = [
        "サブネット",
        "MACアドレス",
        "管理番号",
        "コンピュータ名",
        "IPアドレス",
        "設置場所",
    ];
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(header);
    for group in &list.groups {
        let subnet = group.subnet.map(|s| s.to_string()).unwrap_or_default();
        for e in &group.entries {
            let _ = writer.write_record(
                [
                    subnet.as_str(),
                    &e.mac.to_string(),
                    &e.asset_no,
                    &e.computer_name,
                    &e.ip.map(|ip| ip.to_string()).unwrap_or_default(),
                    &e.location,
                ]
                .map(|cell| crate::text::spreadsheet_cell(cell).into_owned()),
            );
        }
    }
    writer.into_inner().unwrap_or_default()
}

/// Why an appliance configuration could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowlistError {
    /// More filters are needed than the device's filter numbers allow.
    #[error(
        "フィルタ番号が足りません: {needed} 個必要ですが {first}〜{last} の {capacity} 個しか使えません"
    )]
    TooManyFilters {
        /// Filters needed (devices + the final reject).
        needed: usize,
        /// The first filter number.
        first: u32,
        /// The last usable filter number.
        last: u32,
        /// How many fit.
        capacity: usize,
    },
    /// The allowlist is empty: applying it would lock every device out.
    #[error("許可する機器が 1 台もありません。適用するとすべての機器が通信できなくなります")]
    Empty,
    /// An option is not usable.
    #[error("設定値が不正です: {0}")]
    BadOption(String),
}

/// Options for the YAMAHA RTX output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtxOptions {
    /// The LAN interface the devices are on (`lan1`).
    pub interface: String,
    /// The first filter number to use.
    pub first_filter: u32,
    /// The last filter number the firmware accepts: 512 on RTX1210 Rev.14.01.16+ / Rev.15.02+,
    /// 100 on older firmware.
    pub last_filter: u32,
}

impl Default for RtxOptions {
    fn default() -> Self {
        Self {
            interface: "lan1".into(),
            first_filter: 1,
            last_filter: 512,
        }
    }
}

/// YAMAHA RTX `ethernet filter` configuration (see the module docs for the syntax source).
pub fn render_yamaha_rtx(list: &Allowlist, options: &RtxOptions) -> Result<String, AllowlistError> {
    if list.is_empty() {
        return Err(AllowlistError::Empty);
    }
    if !is_plain_word(&options.interface) || options.first_filter == 0 {
        return Err(AllowlistError::BadOption(format!(
            "interface「{}」, first_filter {}",
            options.interface, options.first_filter
        )));
    }
    let needed = list.len() + 1;
    let capacity = (options.last_filter + 1).saturating_sub(options.first_filter) as usize;
    if needed > capacity {
        return Err(AllowlistError::TooManyFilters {
            needed,
            first: options.first_filter,
            last: options.last_filter,
            capacity,
        });
    }
    let mut out = String::new();
    out.push_str("# daicho MAC allowlist (checklist 2-13) for YAMAHA RTX: ethernet filter\n");
    out.push_str(
        "# Register the PC you configure the router from first, or you lock yourself out.\n",
    );
    let mut number = options.first_filter;
    let mut numbers = Vec::with_capacity(needed);
    for group in &list.groups {
        let _ = writeln!(
            out,
            "# {}: {} devices",
            console_title(group),
            group.entries.len()
        );
        for entry in &group.entries {
            let note = ascii_note(entry);
            if !note.is_empty() {
                let _ = writeln!(out, "# {note}");
            }
            let _ = writeln!(out, "ethernet filter {number} pass-nolog {} *", entry.mac);
            numbers.push(number);
            number += 1;
        }
    }
    let _ = writeln!(out, "ethernet filter {number} reject-log * *");
    numbers.push(number);
    let list_text: Vec<String> = numbers.iter().map(u32::to_string).collect();
    let _ = writeln!(
        out,
        "ethernet {} filter in {}",
        options.interface,
        list_text.join(" ")
    );
    Ok(out)
}

/// What a Cisco port does with a frame from an address that is not secure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiscoViolation {
    /// Drop silently.
    Protect,
    /// Drop, count and log (the default here: the operator sees intruders).
    Restrict,
    /// Err-disable the port.
    Shutdown,
}

/// Options for the Cisco output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiscoOptions {
    /// The access port each subnet's devices arrive on (`GigabitEthernet1/0/1`).
    pub interfaces: Vec<(IpNet, String)>,
    /// The violation mode.
    pub violation: CiscoViolation,
}

fn cisco_mac(mac: MacAddr) -> String {
    let o = mac.octets();
    format!(
        "{:02x}{:02x}.{:02x}{:02x}.{:02x}{:02x}",
        o[0], o[1], o[2], o[3], o[4], o[5]
    )
}

fn is_plain_word(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/.-_: ".contains(c))
}

/// The port the operator mapped `group`'s subnet to, if any.
fn mapped_port<'a>(group: &AllowlistGroup, ports: &'a [(IpNet, String)]) -> Option<&'a str> {
    let subnet = group.subnet?;
    ports
        .iter()
        .find(|(net, _)| *net == subnet)
        .map(|(_, port)| port.as_str())
}

/// The group's heading in a device configuration, in ASCII (consoles may not show Japanese).
fn console_title(group: &AllowlistGroup) -> String {
    group
        .subnet
        .map_or_else(|| "no subnet / no IP".to_owned(), |s| s.to_string())
}

/// For the port-bound formats: a group with no port is listed as `!` comments, not applied.
fn write_unmapped(
    out: &mut String,
    group: &AllowlistGroup,
    what: &str,
    mac: fn(MacAddr) -> String,
) {
    let _ = writeln!(
        out,
        "! {}: {} devices not written, no {what} given for this subnet",
        console_title(group),
        group.entries.len()
    );
    for entry in &group.entries {
        let _ = writeln!(out, "!   {}", mac(entry.mac));
    }
}

/// `text` for a comment line of a device configuration: printable ASCII, anything else `?`.
fn ascii_word(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// Refuses an empty list and port names that could inject other commands.
fn check_port_bound(
    list: &Allowlist,
    ports: &[(IpNet, String)],
    what: &str,
) -> Result<(), AllowlistError> {
    if list.is_empty() {
        return Err(AllowlistError::Empty);
    }
    if let Some((_, bad)) = ports.iter().find(|(_, p)| !is_plain_word(p)) {
        return Err(AllowlistError::BadOption(format!("{what}「{bad}」")));
    }
    Ok(())
}

/// Options for the YAMAHA SWX output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwxOptions {
    /// The access port each subnet's devices arrive on (`port1.1`).
    pub ports: Vec<(IpNet, String)>,
    /// The VLAN the devices are in.
    pub vlan: u16,
}

/// YAMAHA SWX writes MACs as `HHHH.HHHH.HHHH` in upper case in its port-security examples.
fn swx_mac(mac: MacAddr) -> String {
    cisco_mac(mac).to_ascii_uppercase()
}

/// The frame of the port-bound formats (SWX, Cisco): after [`check_port_bound`], a `!` title
/// line, then per group either `block` for the port the subnet is mapped to, or the group as
/// comments when it has none.
fn render_port_bound(
    title: &str,
    list: &Allowlist,
    ports: &[(IpNet, String)],
    what: &str,
    mac: fn(MacAddr) -> String,
    block: impl Fn(&mut String, &str, &AllowlistGroup),
) -> Result<String, AllowlistError> {
    check_port_bound(list, ports, what)?;
    let mut out = format!("! daicho MAC allowlist (checklist 2-13): {title}\n");
    // Devices a switch reading placed: on their own port, switch by switch (a port name that
    // could carry another command is not used: the device falls back to its subnet's port).
    let mut placed: std::collections::BTreeMap<&SwitchPlace, Vec<AllowlistEntry>> =
        std::collections::BTreeMap::new();
    for entry in list.groups.iter().flat_map(|g| &g.entries) {
        if let Some(place) = entry.place.as_ref().filter(|p| is_plain_word(&p.port)) {
            placed.entry(place).or_default().push(entry.clone());
        }
    }
    let mut switch = None;
    for (place, entries) in &placed {
        if switch != Some(&place.switch) {
            let _ = writeln!(
                out,
                "! switch {}: devices on the port their MAC was learnt on",
                ascii_word(&place.switch)
            );
            switch = Some(&place.switch);
        }
        let group = AllowlistGroup {
            subnet: None,
            entries: entries.clone(),
        };
        let _ = writeln!(
            out,
            "! {} {}: {} devices",
            ascii_word(&place.switch),
            place.port,
            entries.len()
        );
        block(&mut out, &place.port, &group);
        out.push_str("!\n");
    }
    let is_placed = |e: &AllowlistEntry| e.place.as_ref().is_some_and(|p| is_plain_word(&p.port));
    for group in &list.groups {
        let rest = AllowlistGroup {
            subnet: group.subnet,
            entries: group
                .entries
                .iter()
                .filter(|e| !is_placed(e))
                .cloned()
                .collect(),
        };
        if rest.entries.is_empty() {
            continue;
        }
        let group = &rest;
        let Some(port) = mapped_port(group, ports) else {
            write_unmapped(&mut out, group, what, mac);
            continue;
        };
        let _ = writeln!(
            out,
            "! {}: {} devices",
            console_title(group),
            group.entries.len()
        );
        block(&mut out, port, group);
        out.push_str("!\n");
    }
    Ok(out)
}

/// YAMAHA SWX port-security configuration (see the module docs for the syntax source).
pub fn render_yamaha_swx(list: &Allowlist, options: &SwxOptions) -> Result<String, AllowlistError> {
    if !(1..=4094).contains(&options.vlan) {
        return Err(AllowlistError::BadOption(format!("VLAN {}", options.vlan)));
    }
    render_port_bound(
        "YAMAHA SWX port security",
        list,
        &options.ports,
        "port",
        swx_mac,
        |out, port, group| {
            let _ = writeln!(out, "interface {port}\n port-security enable\nexit");
            for entry in &group.entries {
                let _ = writeln!(
                    out,
                    "port-security mac-address {} forward {port} vlan {}",
                    swx_mac(entry.mac),
                    options.vlan
                );
            }
        },
    )
}

/// Cisco IOS port-security configuration (see the module docs for the syntax source).
pub fn render_cisco_port_security(
    list: &Allowlist,
    options: &CiscoOptions,
) -> Result<String, AllowlistError> {
    let violation = match options.violation {
        CiscoViolation::Protect => "protect",
        CiscoViolation::Restrict => "restrict",
        CiscoViolation::Shutdown => "shutdown",
    };
    render_port_bound(
        "Cisco IOS port security",
        list,
        &options.interfaces,
        "interface",
        cisco_mac,
        |out, interface, group| {
            let _ = writeln!(out, "interface {interface}");
            out.push_str(" switchport mode access\n switchport port-security\n");
            let _ = writeln!(
                out,
                " switchport port-security maximum {}",
                group.entries.len()
            );
            let _ = writeln!(out, " switchport port-security violation {violation}");
            for entry in &group.entries {
                let _ = writeln!(
                    out,
                    " switchport port-security mac-address {}",
                    cisco_mac(entry.mac)
                );
            }
        },
    )
}

/// Options for the ArubaOS-Switch output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArubaOptions {
    /// The untagged VLAN admitted devices are placed in.
    pub vlan: u16,
    /// The access ports to enable local MAC authentication on (`1-24`).
    pub ports: String,
}

/// ArubaOS-Switch writes MACs as `XXXXXX-XXXXXX` in its local MAC authentication examples.
fn aruba_mac(mac: MacAddr) -> String {
    RadiusMacFormat::SingleDash.format(mac, true)
}

fn aruba_group_name(group: &AllowlistGroup) -> String {
    group.subnet.map_or_else(
        || "daicho-other".to_owned(),
        |s| format!("daicho-{}", s.to_string().replace(['.', '/', ':'], "-")),
    )
}

/// ArubaOS-Switch local MAC authentication configuration (see the module docs).
pub fn render_aruba_lma(
    list: &Allowlist,
    options: &ArubaOptions,
) -> Result<String, AllowlistError> {
    if list.is_empty() {
        return Err(AllowlistError::Empty);
    }
    if !(1..=4094).contains(&options.vlan) || !is_plain_word(&options.ports) {
        return Err(AllowlistError::BadOption(format!(
            "vlan {}, ports「{}」",
            options.vlan, options.ports
        )));
    }
    let profile = format!("daicho-vlan{}", options.vlan);
    let mut out = String::new();
    for group in &list.groups {
        let name = aruba_group_name(group);
        let _ = writeln!(out, "aaa port-access local-mac mac-group {name}");
        for entry in &group.entries {
            let _ = writeln!(
                out,
                "aaa port-access local-mac mac-group {name} mac-addr {}",
                aruba_mac(entry.mac)
            );
        }
    }
    let _ = writeln!(
        out,
        "aaa port-access local-mac profile {profile} vlan untagged {}",
        options.vlan
    );
    for group in &list.groups {
        let _ = writeln!(
            out,
            "aaa port-access local-mac apply profile {profile} mac-group {}",
            aruba_group_name(group)
        );
    }
    let _ = writeln!(out, "aaa port-access local-mac {}", options.ports);
    Ok(out)
}

/// How a switch writes the MAC in a RADIUS MAC-authentication request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RadiusMacFormat {
    /// `aabbccddeeff`.
    #[default]
    NoDelimiter,
    /// `aabbcc-ddeeff`.
    SingleDash,
    /// `aa-bb-cc-dd-ee-ff`.
    MultiDash,
    /// `aa:bb:cc:dd:ee:ff`.
    MultiColon,
}

impl RadiusMacFormat {
    /// `mac` in this format, lower- or upper-case.
    pub fn format(self, mac: MacAddr, uppercase: bool) -> String {
        let hex: Vec<String> = mac.octets().iter().map(|o| format!("{o:02x}")).collect();
        let text = match self {
            Self::NoDelimiter => hex.concat(),
            Self::SingleDash => format!("{}-{}", hex[..3].concat(), hex[3..].concat()),
            Self::MultiDash => hex.join("-"),
            Self::MultiColon => hex.join(":"),
        };
        if uppercase { text.to_uppercase() } else { text }
    }
}

/// FreeRADIUS `users` file entries for MAC authentication (see the module docs).
pub fn render_freeradius_users(
    list: &Allowlist,
    format: RadiusMacFormat,
    uppercase: bool,
) -> Result<String, AllowlistError> {
    if list.is_empty() {
        return Err(AllowlistError::Empty);
    }
    let mut out = String::from(
        "# daicho MAC allowlist (checklist 2-13): FreeRADIUS users entries for MAC authentication\n",
    );
    for group in &list.groups {
        let _ = writeln!(
            out,
            "# {}: {} devices",
            console_title(group),
            group.entries.len()
        );
        for entry in &group.entries {
            let note = ascii_note(entry);
            if !note.is_empty() {
                let _ = writeln!(out, "# {note}");
            }
            let name = format.format(entry.mac, uppercase);
            let _ = writeln!(out, "{name} Cleartext-Password := \"{name}\"");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
