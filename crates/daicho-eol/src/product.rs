//! Which product key of the shipped data (end-of-life dates, known-exploited list) an OS name
//! as daicho's fingerprinting writes it stands for.

/// Words in an OS name (lower-cased) and the product key they name, first match wins: the more
/// specific words come first (`ios xe` before anything Cisco, `cisco asa` apart from IOS).
const BY_NAME: &[(&str, &str)] = &[
    ("fortios", "fortios"),
    ("fortigate", "fortios"),
    ("pan-os", "pan-os"),
    ("ios xe", "cisco-ios-xe"),
    ("ios-xe", "cisco-ios-xe"),
    ("cisco asa", "cisco-asa"),
    ("ivanti connect secure", "ivanti-connect-secure"),
    ("pulse connect secure", "ivanti-connect-secure"),
    ("netscaler", "citrix-netscaler"),
    ("citrix adc", "citrix-netscaler"),
    ("sonicos", "sonicos"),
    ("debian", "debian"),
    ("ubuntu", "ubuntu"),
    ("centos", "centos"),
    ("red hat", "rhel"),
    ("rhel", "rhel"),
    ("rocky", "rocky-linux"),
    ("alma", "almalinux"),
    ("oracle linux", "oracle-linux"),
    ("suse", "sles"),
    ("sles", "sles"),
    ("amazon linux", "amazon-linux"),
    ("freebsd", "freebsd"),
    ("macos", "macos"),
    ("mac os x", "macos"),
    ("android", "android"),
];

/// The product key for an OS name (`FortiOS` → `fortios`, `Citrix NetScaler` →
/// `citrix-netscaler`); `None` for names the shipped data does not know.
pub fn product_for_os(os_name: &str) -> Option<&'static str> {
    let name = os_name.to_lowercase();
    BY_NAME
        .iter()
        .find(|(needle, _)| name.contains(needle))
        .map(|(_, product)| *product)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_product_keys() {
        assert_eq!(product_for_os("FortiOS"), Some("fortios"));
        assert_eq!(product_for_os("PAN-OS"), Some("pan-os"));
        assert_eq!(product_for_os("Cisco IOS XE"), Some("cisco-ios-xe"));
        assert_eq!(product_for_os("Cisco ASA"), Some("cisco-asa"));
        assert_eq!(product_for_os("Cisco IOS"), None);
        assert_eq!(product_for_os("Citrix NetScaler"), Some("citrix-netscaler"));
        assert_eq!(
            product_for_os("Ivanti Connect Secure"),
            Some("ivanti-connect-secure")
        );
        assert_eq!(product_for_os("SonicOS"), Some("sonicos"));
        assert_eq!(product_for_os("Ubuntu"), Some("ubuntu"));
        assert_eq!(product_for_os("YAMAHA RTX1210"), None);
    }
}
