//! Building the frames a sweep sends (ARP request, ICMP echo) and reading the answers.

use std::net::Ipv4Addr;

use daicho_model::MacAddr;
use pnet::packet::Packet;
use pnet::packet::arp::{ArpHardwareTypes, ArpOperations, ArpPacket, MutableArpPacket};
use pnet::packet::ethernet::{EtherTypes, EthernetPacket, MutableEthernetPacket};
use pnet::packet::icmp::echo_request::MutableEchoRequestPacket;
use pnet::packet::icmp::{IcmpPacket, IcmpTypes, echo_reply::EchoReplyPacket};
use pnet::packet::ip::IpNextHeaderProtocols;
use pnet::packet::ipv4::{self, Ipv4Flags, Ipv4Packet, MutableIpv4Packet};
use pnet::packet::udp::{self, MutableUdpPacket};
use pnet::util::MacAddr as PnetMac;

const ETH_HEADER: usize = 14;
const ARP_LEN: usize = 28;
const IPV4_HEADER: usize = 20;
const ICMP_ECHO_HEADER: usize = 8;
/// Echo payload: a fixed, recognisable pattern; devices must not be able to act on it.
const ECHO_PAYLOAD: &[u8; 16] = b"daicho-discovery";

fn pnet_mac(mac: MacAddr) -> PnetMac {
    let o = mac.octets();
    PnetMac::new(o[0], o[1], o[2], o[3], o[4], o[5])
}

fn model_mac(mac: PnetMac) -> MacAddr {
    MacAddr(mac.octets())
}

/// A broadcast ARP request "who has `target`? tell `our_ip`".
pub fn arp_request(our_mac: MacAddr, our_ip: Ipv4Addr, target: Ipv4Addr) -> Vec<u8> {
    // The minimum Ethernet payload is 46 bytes; pad so every NIC accepts the frame.
    let mut buf = vec![0u8; ETH_HEADER + 46];
    {
        let mut eth = MutableEthernetPacket::new(&mut buf).expect("buffer fits Ethernet");
        eth.set_destination(PnetMac::broadcast());
        eth.set_source(pnet_mac(our_mac));
        eth.set_ethertype(EtherTypes::Arp);
    }
    let mut arp =
        MutableArpPacket::new(&mut buf[ETH_HEADER..ETH_HEADER + ARP_LEN]).expect("buffer fits ARP");
    arp.set_hardware_type(ArpHardwareTypes::Ethernet);
    arp.set_protocol_type(EtherTypes::Ipv4);
    arp.set_hw_addr_len(6);
    arp.set_proto_addr_len(4);
    arp.set_operation(ArpOperations::Request);
    arp.set_sender_hw_addr(pnet_mac(our_mac));
    arp.set_sender_proto_addr(our_ip);
    arp.set_target_hw_addr(PnetMac::zero());
    arp.set_target_proto_addr(target);
    buf
}

/// A unicast ICMP echo request to a host whose MAC is known (sent to learn its TTL and RTT).
pub fn icmp_echo(
    our_mac: MacAddr,
    our_ip: Ipv4Addr,
    dst_mac: MacAddr,
    dst_ip: Ipv4Addr,
    ident: u16,
    seq: u16,
) -> Vec<u8> {
    let icmp_len = ICMP_ECHO_HEADER + ECHO_PAYLOAD.len();
    let mut buf = vec![0u8; ETH_HEADER + IPV4_HEADER + icmp_len];
    {
        let mut eth = MutableEthernetPacket::new(&mut buf).expect("buffer fits Ethernet");
        eth.set_destination(pnet_mac(dst_mac));
        eth.set_source(pnet_mac(our_mac));
        eth.set_ethertype(EtherTypes::Ipv4);
    }
    {
        let icmp_buf = &mut buf[ETH_HEADER + IPV4_HEADER..];
        let mut echo = MutableEchoRequestPacket::new(icmp_buf).expect("buffer fits ICMP");
        echo.set_icmp_type(IcmpTypes::EchoRequest);
        echo.set_identifier(ident);
        echo.set_sequence_number(seq);
        echo.set_payload(ECHO_PAYLOAD);
        let checksum = pnet::packet::icmp::checksum(
            &IcmpPacket::new(echo.packet()).expect("ICMP view of echo"),
        );
        echo.set_checksum(checksum);
    }
    let mut ip = MutableIpv4Packet::new(&mut buf[ETH_HEADER..]).expect("buffer fits IPv4");
    ip.set_version(4);
    ip.set_header_length(5);
    ip.set_total_length((IPV4_HEADER + icmp_len) as u16);
    ip.set_identification(seq);
    ip.set_flags(Ipv4Flags::DontFragment);
    ip.set_ttl(64);
    ip.set_next_level_protocol(IpNextHeaderProtocols::Icmp);
    ip.set_source(our_ip);
    ip.set_destination(dst_ip);
    let checksum = ipv4::checksum(&ip.to_immutable());
    ip.set_checksum(checksum);
    buf
}

/// A unicast UDP datagram to a host whose MAC is known. Sent as a frame, not through the
/// kernel, so that the kernel does not first broadcast an ARP request of its own (a packet the
/// gate would not see); replies arrive at the kernel socket bound to `src_port`.
pub fn udp_frame(
    our_mac: MacAddr,
    our_ip: Ipv4Addr,
    dst_mac: MacAddr,
    dst_ip: Ipv4Addr,
    src_port: u16,
    dst_port: u16,
    payload: &[u8],
) -> Vec<u8> {
    let udp_len = 8 + payload.len();
    let mut buf = vec![0u8; (ETH_HEADER + IPV4_HEADER + udp_len).max(ETH_HEADER + 46)];
    {
        let mut eth = MutableEthernetPacket::new(&mut buf).expect("buffer fits Ethernet");
        eth.set_destination(pnet_mac(dst_mac));
        eth.set_source(pnet_mac(our_mac));
        eth.set_ethertype(EtherTypes::Ipv4);
    }
    {
        let start = ETH_HEADER + IPV4_HEADER;
        let mut udp = MutableUdpPacket::new(&mut buf[start..start + udp_len]).expect("UDP");
        udp.set_source(src_port);
        udp.set_destination(dst_port);
        udp.set_length(udp_len as u16);
        udp.set_payload(payload);
        let sum = udp::ipv4_checksum(&udp.to_immutable(), &our_ip, &dst_ip);
        udp.set_checksum(sum);
    }
    let mut ip = MutableIpv4Packet::new(&mut buf[ETH_HEADER..ETH_HEADER + IPV4_HEADER + udp_len])
        .expect("buffer fits IPv4");
    ip.set_version(4);
    ip.set_header_length(5);
    ip.set_total_length((IPV4_HEADER + udp_len) as u16);
    ip.set_identification(src_port ^ dst_port);
    ip.set_flags(Ipv4Flags::DontFragment);
    ip.set_ttl(64);
    ip.set_next_level_protocol(IpNextHeaderProtocols::Udp);
    ip.set_source(our_ip);
    ip.set_destination(dst_ip);
    let checksum = ipv4::checksum(&ip.to_immutable());
    ip.set_checksum(checksum);
    buf
}

/// What an incoming frame tells the sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// An ARP reply: `ip` is at `mac`.
    ArpReply {
        /// The answering address.
        ip: Ipv4Addr,
        /// Its hardware address.
        mac: MacAddr,
    },
    /// An ICMP echo reply to one of our requests.
    EchoReply {
        /// The answering address.
        ip: Ipv4Addr,
        /// Its MAC (the frame's source).
        mac: MacAddr,
        /// The IP TTL as received.
        ttl: u8,
        /// Echo identifier.
        ident: u16,
        /// Echo sequence number.
        seq: u16,
    },
    /// Any other IPv4 packet from a host: it is alive and this is its TTL.
    Ipv4 {
        /// The source address.
        ip: Ipv4Addr,
        /// Its MAC (the frame's source).
        mac: MacAddr,
        /// The IP TTL as received.
        ttl: u8,
    },
}

/// Reads a received frame; `None` for anything the sweep does not use.
pub fn parse(frame: &[u8]) -> Option<Heard> {
    let eth = EthernetPacket::new(frame)?;
    match eth.get_ethertype() {
        EtherTypes::Arp => {
            let arp = ArpPacket::new(eth.payload())?;
            if arp.get_operation() != ArpOperations::Reply
                || arp.get_protocol_type() != EtherTypes::Ipv4
            {
                return None;
            }
            let mac = model_mac(arp.get_sender_hw_addr());
            if mac.is_multicast() || mac == MacAddr::ZERO {
                return None;
            }
            Some(Heard::ArpReply {
                ip: arp.get_sender_proto_addr(),
                mac,
            })
        }
        EtherTypes::Ipv4 => {
            let ip = Ipv4Packet::new(eth.payload())?;
            let (src, ttl, mac) = (ip.get_source(), ip.get_ttl(), model_mac(eth.get_source()));
            if ip.get_next_level_protocol() == IpNextHeaderProtocols::Icmp
                && let Some(reply) = EchoReplyPacket::new(ip.payload())
                && reply.get_icmp_type() == IcmpTypes::EchoReply
            {
                return Some(Heard::EchoReply {
                    ip: src,
                    mac,
                    ttl,
                    ident: reply.get_identifier(),
                    seq: reply.get_sequence_number(),
                });
            }
            Some(Heard::Ipv4 { ip: src, mac, ttl })
        }
        _ => None,
    }
}

/// An ARP reply frame, as a host on the LAN would send it (used by the simulated LAN in tests).
pub fn arp_reply(
    from_mac: MacAddr,
    from_ip: Ipv4Addr,
    to_mac: MacAddr,
    to_ip: Ipv4Addr,
) -> Vec<u8> {
    let mut buf = arp_request(from_mac, from_ip, to_ip);
    {
        let mut eth = MutableEthernetPacket::new(&mut buf).expect("buffer fits Ethernet");
        eth.set_destination(pnet_mac(to_mac));
    }
    let mut arp = MutableArpPacket::new(&mut buf[ETH_HEADER..ETH_HEADER + ARP_LEN]).expect("ARP");
    arp.set_operation(ArpOperations::Reply);
    arp.set_target_hw_addr(pnet_mac(to_mac));
    buf
}

/// Turns an echo request frame into the reply a host with `ttl` would send (for tests).
pub fn echo_reply_for(request: &[u8], ttl: u8) -> Option<Vec<u8>> {
    let eth = EthernetPacket::new(request)?;
    let ip = Ipv4Packet::new(eth.payload())?;
    let mut out = request.to_vec();
    {
        let mut e = MutableEthernetPacket::new(&mut out)?;
        e.set_destination(eth.get_source());
        e.set_source(eth.get_destination());
    }
    {
        let icmp = &mut out[ETH_HEADER + IPV4_HEADER..];
        icmp[0] = IcmpTypes::EchoReply.0;
        icmp[2] = 0;
        icmp[3] = 0;
        let sum = pnet::packet::icmp::checksum(&IcmpPacket::new(icmp)?);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    let mut r = MutableIpv4Packet::new(&mut out[ETH_HEADER..])?;
    r.set_source(ip.get_destination());
    r.set_destination(ip.get_source());
    r.set_ttl(ttl);
    let sum = ipv4::checksum(&r.to_immutable());
    r.set_checksum(sum);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pnet::packet::udp::UdpPacket;

    const OURS: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 1]);
    const THEIRS: MacAddr = MacAddr([0x00, 0x1b, 0x21, 1, 2, 3]);

    #[test]
    fn arp_request_round_trip() {
        let req = arp_request(
            OURS,
            "10.0.0.2".parse().unwrap(),
            "10.0.0.9".parse().unwrap(),
        );
        assert_eq!(req.len(), 60);
        assert_eq!(&req[..6], &[0xff; 6]);
        assert_eq!(
            crate::gate::frame_destination(&req),
            Some("10.0.0.9".parse().unwrap())
        );
        // A request is not a reply.
        assert_eq!(parse(&req), None);
        let reply = arp_reply(
            THEIRS,
            "10.0.0.9".parse().unwrap(),
            OURS,
            "10.0.0.2".parse().unwrap(),
        );
        assert_eq!(
            parse(&reply),
            Some(Heard::ArpReply {
                ip: "10.0.0.9".parse().unwrap(),
                mac: THEIRS
            })
        );
    }

    #[test]
    fn echo_round_trip_with_valid_checksums() {
        let (a, b) = ("10.0.0.2".parse().unwrap(), "10.0.0.9".parse().unwrap());
        let req = icmp_echo(OURS, a, THEIRS, b, 0x1234, 7);
        let ip = Ipv4Packet::new(&req[ETH_HEADER..]).unwrap();
        assert_eq!(ipv4::checksum(&ip), ip.get_checksum());
        let icmp = IcmpPacket::new(ip.payload()).unwrap();
        assert_eq!(pnet::packet::icmp::checksum(&icmp), icmp.get_checksum());
        let reply = echo_reply_for(&req, 128).unwrap();
        assert_eq!(
            parse(&reply),
            Some(Heard::EchoReply {
                ip: b,
                mac: THEIRS,
                ttl: 128,
                ident: 0x1234,
                seq: 7
            })
        );
    }

    #[test]
    fn udp_frame_is_well_formed() {
        let (a, b) = ("10.0.0.2".parse().unwrap(), "10.0.0.9".parse().unwrap());
        let f = udp_frame(OURS, a, THEIRS, b, 40000, 137, b"query");
        assert_eq!(crate::gate::frame_destination(&f), Some(b));
        let ip = Ipv4Packet::new(&f[ETH_HEADER..]).unwrap();
        assert_eq!(ipv4::checksum(&ip), ip.get_checksum());
        let u = UdpPacket::new(ip.payload()).unwrap();
        assert_eq!((u.get_source(), u.get_destination()), (40000, 137));
        assert_eq!(udp::ipv4_checksum(&u, &a, &b), u.get_checksum());
        assert_eq!(u.payload(), b"query");
    }

    #[test]
    fn garbage_is_ignored() {
        assert_eq!(parse(&[]), None);
        assert_eq!(parse(&[0u8; 13]), None);
        let mut weird = arp_request(
            OURS,
            "10.0.0.2".parse().unwrap(),
            "10.0.0.9".parse().unwrap(),
        );
        weird[12] = 0x86;
        weird[13] = 0xdd;
        assert_eq!(parse(&weird), None);
        assert_eq!(crate::gate::frame_destination(&weird), None);
    }
}
