//! The target over what hosts on the LAN send the discovery: frames (ARP, ICMP) and name
//! answers (reverse DNS, mDNS, NetBIOS).

use std::hint::black_box;

use daicho_fingerprint::probe::netbios;
use daicho_scan::{frames, names};

/// The transaction id the name answers carry (the fuzzer learns to match it).
const NAME_ID: u16 = 0x4441;

/// Every LAN-side parser on the same bytes: an Ethernet frame, a DNS/mDNS PTR answer (with and
/// without the id check), a NetBIOS node status answer.
pub fn lan_packets(data: &[u8]) {
    black_box(frames::parse(data));
    black_box(names::parse_ptr_answer(data, Some(NAME_ID)));
    black_box(names::parse_ptr_answer(data, None));
    black_box(netbios::parse_node_status(data, NAME_ID));
}
