//! Network interfaces in the wire model's shape.

use daicho_model::MacAddr;
use daicho_model::inventory::Interface;

use crate::source::InterfaceAddresses;

/// Converts what the OS reported into model interfaces, sorted by name. An all-zero hardware
/// address (loopback, tunnels) is no MAC at all.
pub fn to_model(raw: Vec<InterfaceAddresses>) -> Vec<Interface> {
    let mut interfaces: Vec<Interface> = raw
        .into_iter()
        .map(|i| {
            let mut addresses = i.addresses;
            addresses.sort();
            Interface {
                name: i.name,
                mac: i
                    .mac
                    .and_then(|m| m.parse::<MacAddr>().ok())
                    .filter(|m| m.octets() != [0; 6]),
                addresses,
            }
        })
        .collect();
    interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    interfaces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_mac_is_none_and_order_is_by_name() {
        let out = to_model(vec![
            InterfaceAddresses {
                name: "lo".into(),
                mac: Some("00:00:00:00:00:00".into()),
                addresses: vec!["127.0.0.1/8".into()],
            },
            InterfaceAddresses {
                name: "eth0".into(),
                mac: Some("52:54:00:AB:CD:EF".into()),
                addresses: vec!["fe80::1/64".into(), "10.0.0.5/24".into()],
            },
        ]);
        assert_eq!(out[0].name, "eth0");
        assert_eq!(out[0].mac.unwrap().to_string(), "52:54:00:ab:cd:ef");
        assert_eq!(out[0].addresses, vec!["10.0.0.5/24", "fe80::1/64"]);
        assert_eq!(out[1].mac, None);
    }
}
