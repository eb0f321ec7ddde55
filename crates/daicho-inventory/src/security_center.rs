//! Antivirus products as Windows Security Center lists them (WMI namespace
//! `root/SecurityCenter2`, class `AntiVirusProduct`, on client Windows only: Windows Server has
//! no Security Center), read through PowerShell's `Get-CimInstance` by [`ANTIVIRUS_SCRIPT`],
//! whose lines [`parse_antivirus`] decodes.

use daicho_model::inventory::AntivirusProduct;

/// PowerShell that prints `SecurityCenter2<TAB>N`, then one `displayName<TAB>productState`
/// line per product; or `NoSecurityCenter2<TAB>MESSAGE` when the namespace cannot be read
/// (Windows Server). Output in UTF-8, so that Japanese product names survive the console's
/// code page.
pub const ANTIVIRUS_SCRIPT: &str = "[Console]::OutputEncoding = [Text.Encoding]::UTF8; try { $p = @(Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct -ErrorAction Stop); \"SecurityCenter2`t$($p.Count)\"; $p | ForEach-Object { \"$($_.displayName)`t$($_.productState)\" } } catch { \"NoSecurityCenter2`t$($_.Exception.Message)\" }";

/// What [`ANTIVIRUS_SCRIPT`] printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AntivirusListing {
    /// Security Center answered with these products (possibly none).
    Products(Vec<AntivirusProduct>),
    /// No Security Center (Windows Server), with Windows' message.
    NoSecurityCenter(String),
    /// Neither answer: PowerShell printed something else (or nothing).
    Unrecognised,
}

/// Parses the output of [`ANTIVIRUS_SCRIPT`]. A product line without a readable state keeps
/// its name, its state unknown.
pub fn parse_antivirus(text: &str) -> AntivirusListing {
    let mut lines = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .skip_while(|l| l.trim().is_empty());
    let Some(head) = lines.next() else {
        return AntivirusListing::Unrecognised;
    };
    let (tag, rest) = head.split_once('\t').unwrap_or((head, ""));
    match tag.trim_start_matches('\u{feff}') {
        "NoSecurityCenter2" => AntivirusListing::NoSecurityCenter(rest.trim().to_owned()),
        "SecurityCenter2" => AntivirusListing::Products(
            lines
                .filter_map(|line| {
                    let (name, state) = line.rsplit_once('\t').unwrap_or((line, ""));
                    let name = name.trim();
                    if name.is_empty() {
                        return None;
                    }
                    let product_state = state.trim().parse::<u32>().ok();
                    let (enabled, up_to_date) = product_state.map_or((None, None), decode_state);
                    Some(AntivirusProduct {
                        name: name.to_owned(),
                        enabled,
                        up_to_date,
                        product_state,
                    })
                })
                .collect(),
        ),
        _ => AntivirusListing::Unrecognised,
    }
}

/// `productState`'s two flags: real-time protection on (bits 12–15: 1 on, 0 off) and
/// signatures up to date (bits 4–7: 0 up to date, 1 out of date). Microsoft does not document
/// this field; the layout is the one Security Center has used since Windows Vista, as security
/// vendors read it. A nibble outside those values is left unknown.
pub fn decode_state(state: u32) -> (Option<bool>, Option<bool>) {
    let enabled = match (state >> 12) & 0xf {
        1 => Some(true),
        0 => Some(false),
        _ => None,
    };
    let up_to_date = match (state >> 4) & 0xf {
        0 => Some(true),
        1 => Some(false),
        _ => None,
    };
    (enabled, up_to_date)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the script prints on a Windows 10 22H2 PC with Defender and a third-party product
    /// (CRLF, as PowerShell writes it). Built by hand from the class's documented property
    /// types (`displayName` string, `productState` uint32), not copied from a PC: the states
    /// are values of the undocumented bit layout `decode_state` reads.
    const CLIENT: &str =
        "SecurityCenter2\t2\r\nWindows Defender\t397568\r\nウイルスバスター クラウド\t266256\r\n";

    #[test]
    fn products_with_their_states() {
        let AntivirusListing::Products(products) = parse_antivirus(CLIENT) else {
            panic!("not a product list");
        };
        assert_eq!(products.len(), 2);
        assert_eq!(products[0].name, "Windows Defender");
        assert_eq!(products[0].product_state, Some(397_568)); // 0x061100
        assert_eq!(
            (products[0].enabled, products[0].up_to_date),
            (Some(true), Some(true))
        );
        assert_eq!(products[1].name, "ウイルスバスター クラウド");
        // 0x041010: on, signatures out of date.
        assert_eq!(
            (products[1].enabled, products[1].up_to_date),
            (Some(true), Some(false))
        );
    }

    #[test]
    fn states_off_out_of_date_and_unknown() {
        assert_eq!(decode_state(0x06_0100), (Some(false), Some(true)));
        assert_eq!(decode_state(0x06_1110), (Some(true), Some(false)));
        assert_eq!(decode_state(0x06_2100), (None, Some(true)));
        let AntivirusListing::Products(p) = parse_antivirus("SecurityCenter2\t1\nSome AV\t\n")
        else {
            panic!()
        };
        assert_eq!(
            (p[0].name.as_str(), p[0].product_state, p[0].enabled),
            ("Some AV", None, None)
        );
    }

    #[test]
    fn no_security_center_on_windows_server() {
        // The CimException message of a Windows Server 2019 (English).
        assert_eq!(
            parse_antivirus("NoSecurityCenter2\tInvalid namespace \r\n"),
            AntivirusListing::NoSecurityCenter("Invalid namespace".into())
        );
    }

    #[test]
    fn nothing_or_something_else_is_unrecognised() {
        assert_eq!(parse_antivirus(""), AntivirusListing::Unrecognised);
        assert_eq!(parse_antivirus("\r\n"), AntivirusListing::Unrecognised);
        assert_eq!(
            parse_antivirus("Get-CimInstance : not recognized"),
            AntivirusListing::Unrecognised
        );
        assert_eq!(
            parse_antivirus("SecurityCenter2\t0\r\n"),
            AntivirusListing::Products(Vec::new())
        );
    }
}
