//! The kernel's neighbour (ARP) table, `/proc/net/arp`: where MACs come from when the agent may
//! not open raw sockets and the kernel does the ARP on its behalf.

use std::net::Ipv4Addr;

use daicho_model::MacAddr;

/// A complete neighbour entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    /// The address.
    pub ip: Ipv4Addr,
    /// Its MAC.
    pub mac: MacAddr,
    /// The interface it was learnt on.
    pub device: String,
}

/// ATF_COM: the entry is complete (the host answered).
const ATF_COM: u32 = 0x2;

/// Parses the text of `/proc/net/arp`, keeping complete entries only.
pub fn parse_proc_net_arp(text: &str) -> Vec<Neighbour> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 6 {
                return None;
            }
            let flags = u32::from_str_radix(f[2].trim_start_matches("0x"), 16).ok()?;
            let mac: MacAddr = f[3].parse().ok()?;
            if flags & ATF_COM == 0 || mac == MacAddr::ZERO {
                return None;
            }
            Some(Neighbour {
                ip: f[0].parse().ok()?,
                mac,
                device: f[5].to_owned(),
            })
        })
        .collect()
}

/// The complete entries of this network namespace's neighbour table.
pub fn read_neighbours() -> std::io::Result<Vec<Neighbour>> {
    Ok(parse_proc_net_arp(&std::fs::read_to_string(
        "/proc/net/arp",
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_complete_entries() {
        let text = "IP address       HW type     Flags       HW address            Mask     Device\n\
198.18.0.10      0x1         0x2         98:e7:43:00:00:0a     *        eth0\n\
198.18.0.99      0x1         0x0         00:00:00:00:00:00     *        eth0\n\
198.18.0.11      0x1         0x6         88:b4:36:00:00:0b     *        eth1\n\
garbage\n";
        let n = parse_proc_net_arp(text);
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].ip, Ipv4Addr::new(198, 18, 0, 10));
        assert_eq!(n[0].mac.to_string(), "98:e7:43:00:00:0a");
        assert_eq!(n[1].device, "eth1");
    }
}
