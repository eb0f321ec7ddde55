//! Windows' own link-layer calls for discovery without a packet driver: the attached IPv4
//! subnets (`GetAdaptersAddresses`) and ARP resolution of one address (`SendARP`, IP Helper),
//! the [`ArpResolver`] that [`crate::resolve::resolve_sweep`] paces through the gate.
#![allow(unsafe_code)] // FFI: every block below is one documented Windows API call.

use std::io;
use std::net::Ipv4Addr;

use daicho_inventory::windows_live::{adapter_addresses, from_wide_ptr};
use daicho_model::MacAddr;
use windows_sys::Win32::Foundation::{ERROR_BAD_NET_NAME, ERROR_GEN_FAILURE, ERROR_SUCCESS};
use windows_sys::Win32::NetworkManagement::IpHelper::{IP_ADAPTER_ADDRESSES_LH, SendARP};
use windows_sys::Win32::Networking::WinSock::{AF_INET, SOCKADDR_IN};

use crate::link::LocalInterface;
use crate::resolve::ArpResolver;

/// `IF_TYPE_SOFTWARE_LOOPBACK`.
const IF_TYPE_SOFTWARE_LOOPBACK: u32 = 24;
/// `IfOperStatusUp`.
const IF_OPER_STATUS_UP: i32 = 1;

/// ARP resolution by `SendARP`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SendArp;

impl ArpResolver for SendArp {
    fn resolve(&self, target: Ipv4Addr, source: Ipv4Addr) -> io::Result<Option<MacAddr>> {
        let mut mac = [0u8; 8];
        let mut len = mac.len() as u32;
        // SAFETY: `mac` is live and its length is passed with it; addresses are in network
        // order as IPAddr wants them.
        let rc = unsafe {
            SendARP(
                u32::from_ne_bytes(target.octets()),
                u32::from_ne_bytes(source.octets()),
                mac.as_mut_ptr().cast(),
                &raw mut len,
            )
        };
        match rc {
            ERROR_SUCCESS if len == 6 => Ok(Some(MacAddr([
                mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
            ]))),
            // No answer: "not operating" in Microsoft's words.
            ERROR_BAD_NET_NAME | ERROR_GEN_FAILURE => Ok(None),
            ERROR_SUCCESS => Err(io::Error::other(format!(
                "SendARP returned a {len}-byte hardware address for {target}"
            ))),
            other => Err(io::Error::from_raw_os_error(other.cast_signed())),
        }
    }
}

/// The IPv4 subnets of the adapters that are up, not loopback and have an Ethernet MAC, named
/// by the adapter's friendly name (`Ethernet`, `Wi-Fi`).
pub fn attached_interfaces() -> io::Result<Vec<LocalInterface>> {
    Ok(walk(&adapter_addresses(AF_INET)?))
}

fn walk(buf: &[u64]) -> Vec<LocalInterface> {
    let mut out = Vec::new();
    let mut adapter = buf.as_ptr().cast::<IP_ADAPTER_ADDRESSES_LH>();
    while !adapter.is_null() {
        // SAFETY: GetAdaptersAddresses filled `buf` with a linked list whose pointers all point
        // into `buf`.
        let a = unsafe { &*adapter };
        adapter = a.Next;
        if a.IfType == IF_TYPE_SOFTWARE_LOOPBACK
            || a.OperStatus != IF_OPER_STATUS_UP
            || a.PhysicalAddressLength != 6
        {
            continue;
        }
        let p = a.PhysicalAddress;
        let mac = MacAddr([p[0], p[1], p[2], p[3], p[4], p[5]]);
        if mac == MacAddr::ZERO {
            continue;
        }
        // SAFETY: FriendlyName is a NUL-terminated string in `buf`.
        let name = unsafe { from_wide_ptr(a.FriendlyName) };
        let mut unicast = a.FirstUnicastAddress;
        while !unicast.is_null() {
            // SAFETY: as above.
            let u = unsafe { &*unicast };
            unicast = u.Next;
            let sa = u.Address.lpSockaddr;
            // SAFETY: lpSockaddr points to a socket address of the family it names; the list
            // was asked for AF_INET only.
            if sa.is_null() || unsafe { (*sa).sa_family } != AF_INET {
                continue;
            }
            // SAFETY: an AF_INET address is a SOCKADDR_IN; every view of IN_ADDR is the same
            // four bytes.
            let v4 = unsafe { sa.cast::<SOCKADDR_IN>().read_unaligned() };
            // SAFETY: every view of the IN_ADDR union is the same four bytes.
            let b = unsafe { v4.sin_addr.S_un.S_un_b };
            let prefix = u.OnLinkPrefixLength;
            if prefix < 32 {
                out.push(LocalInterface {
                    name: name.clone(),
                    mac,
                    ip: Ipv4Addr::new(b.s_b1, b.s_b2, b.s_b3, b.s_b4),
                    prefix,
                });
            }
        }
    }
    out
}
