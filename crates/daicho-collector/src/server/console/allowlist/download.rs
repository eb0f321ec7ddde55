//! The allowlist download form (`GET /allowlist/download?format=…`) read into what
//! [`crate::evidence::render_allowlist`] takes: the format with its options and the subnets to
//! group by. Field names follow `allowlist export`'s options (`rtx_interface`, `swx_port`, …).

use daicho_ledger_io::allowlist::{
    ArubaOptions, CiscoOptions, CiscoViolation, RadiusMacFormat, RtxOptions, SwxOptions,
};
use ipnet::IpNet;

use super::super::form::FormFields;
use crate::evidence::{AllowlistOutput, parse_port_mapping};

/// The formats offered: (form value, label).
pub(crate) const FORMATS: [(&str, &str); 7] = [
    ("plain", "MACアドレスの一覧（テキスト）"),
    ("csv", "CSV（管理番号・コンピュータ名・IP・設置場所つき）"),
    ("yamaha-rtx", "YAMAHA RTX（ethernet filter）"),
    ("yamaha-swx", "YAMAHA SWX（ポートセキュリティ）"),
    ("cisco", "Cisco IOS（port-security）"),
    ("aruba", "ArubaOS-Switch（local MAC 認証）"),
    ("freeradius", "FreeRADIUS（users ファイル）"),
];

/// The RADIUS MAC formats offered: (form value, label).
pub(crate) const RADIUS_FORMATS: [(&str, &str); 4] = [
    ("no-delimiter", "aabbccddeeff（区切りなし）"),
    ("single-dash", "aabbcc-ddeeff"),
    ("multi-dash", "aa-bb-cc-dd-ee-ff"),
    ("multi-colon", "aa:bb:cc:dd:ee:ff"),
];

/// What a download asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DownloadRequest {
    /// The subnets the devices are grouped by (with the subnets of every port mapping).
    pub subnets: Vec<IpNet>,
    /// The file.
    pub output: AllowlistOutput,
}

/// The lines (or comma-separated items) of a text field, trimmed, blanks left out.
fn items(text: Option<&str>) -> impl Iterator<Item = &str> {
    text.unwrap_or_default()
        .split(['\n', ',', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The subnets of a field, one CIDR per line.
pub(crate) fn subnets(text: Option<&str>) -> Result<Vec<IpNet>, String> {
    items(text)
        .map(|s| {
            s.parse::<IpNet>()
                .map_err(|_| format!("サブネット「{s}」は 192.168.10.0/24 の形で書いてください。"))
        })
        .collect()
}

fn port_mappings(text: Option<&str>, what: &str) -> Result<Vec<(IpNet, String)>, String> {
    items(text)
        .map(|line| {
            parse_port_mapping(line).map_err(|_| {
                format!("{what}「{line}」は サブネット=ポート の形で書いてください（例: 192.168.10.0/24=port1.1）。")
            })
        })
        .collect()
}

fn number<T: std::str::FromStr>(
    form: &FormFields,
    name: &str,
    default: T,
    what: &str,
) -> Result<T, String> {
    match form.get(name) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| format!("{what}「{v}」は数字で書いてください。")),
    }
}

fn text_or(form: &FormFields, name: &str, default: &str) -> String {
    form.get(name)
        .filter(|v| !v.is_empty())
        .unwrap_or(default)
        .to_owned()
}

fn radius_format(value: Option<&str>) -> Result<RadiusMacFormat, String> {
    Ok(match value.unwrap_or("no-delimiter") {
        "" | "no-delimiter" => RadiusMacFormat::NoDelimiter,
        "single-dash" => RadiusMacFormat::SingleDash,
        "multi-dash" => RadiusMacFormat::MultiDash,
        "multi-colon" => RadiusMacFormat::MultiColon,
        other => return Err(format!("MACアドレスの書き方「{other}」は選べません。")),
    })
}

/// Reads the download form. The defaults are `allowlist export`'s.
pub(crate) fn read(form: &FormFields) -> Result<DownloadRequest, String> {
    let mut subnets = subnets(form.get("subnets"))?;
    let output = match form.get("format").unwrap_or_default() {
        "plain" => AllowlistOutput::Plain,
        "csv" => AllowlistOutput::Csv,
        "yamaha-rtx" => AllowlistOutput::YamahaRtx(RtxOptions {
            interface: text_or(form, "rtx_interface", "lan1"),
            first_filter: number(form, "rtx_first_filter", 1, "最初のフィルタ番号")?,
            last_filter: number(form, "rtx_last_filter", 512, "最後のフィルタ番号")?,
        }),
        "yamaha-swx" => AllowlistOutput::YamahaSwx(SwxOptions {
            ports: port_mappings(form.get("swx_ports"), "ポート")?,
            vlan: number(form, "swx_vlan", 1, "VLAN")?,
        }),
        "cisco" => AllowlistOutput::Cisco(CiscoOptions {
            interfaces: port_mappings(form.get("cisco_interfaces"), "インターフェース")?,
            violation: CiscoViolation::Restrict,
        }),
        "aruba" => AllowlistOutput::Aruba(ArubaOptions {
            vlan: number(form, "aruba_vlan", 1, "VLAN")?,
            ports: text_or(form, "aruba_ports", "1-24"),
        }),
        "freeradius" => AllowlistOutput::FreeRadius {
            mac_format: radius_format(form.get("radius_mac_format"))?,
            uppercase: form.get("radius_uppercase").is_some_and(|v| !v.is_empty()),
        },
        other => return Err(format!("形式「{other}」は選べません。")),
    };
    // A port mapped to a subnet only takes effect when the devices are grouped by it.
    let mapped = match &output {
        AllowlistOutput::YamahaSwx(o) => o.ports.as_slice(),
        AllowlistOutput::Cisco(o) => o.interfaces.as_slice(),
        _ => &[],
    };
    for (subnet, _) in mapped {
        if !subnets.contains(subnet) {
            subnets.push(*subnet);
        }
    }
    Ok(DownloadRequest { subnets, output })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_mappings_add_their_subnets() {
        let form = FormFields::parse(
            b"format=cisco&subnets=10.0.0.0%2F24&cisco_interfaces=192.168.10.0%2F24%3DGi1%2F0%2F1%0D%0A",
        );
        let request = read(&form).unwrap();
        assert_eq!(request.subnets.len(), 2);
        let AllowlistOutput::Cisco(options) = request.output else {
            panic!("not cisco")
        };
        assert_eq!(options.interfaces[0].1, "Gi1/0/1");
    }

    #[test]
    fn bad_fields_are_named() {
        let form = FormFields::parse(b"format=yamaha-rtx&rtx_first_filter=x");
        assert!(read(&form).unwrap_err().contains("最初のフィルタ番号"));
        let form = FormFields::parse(b"format=plain&subnets=10.0.0.0");
        assert!(read(&form).unwrap_err().contains("10.0.0.0"));
        assert!(read(&FormFields::parse(b"format=x")).is_err());
    }
}
