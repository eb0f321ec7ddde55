//! The text Windows' own tools print: `reg query`, `sc query`, and the `Get-HotFix` lines of
//! [`HOTFIX_SCRIPT`]. The inventory reads the registry and the SCM through their API
//! (`windows_live`); it runs PowerShell only for hotfixes, and the live tests compare the API
//! reads with what `reg` and `sc` print.

use std::collections::BTreeMap;

use daicho_model::inventory::Hotfix;

use crate::registry::{RegData, RegValues};

/// PowerShell that prints one `KBnnnnnn<TAB>yyyy-MM-dd` line per installed hotfix; the date is
/// formatted in PowerShell so the output does not depend on the locale.
pub const HOTFIX_SCRIPT: &str = "Get-HotFix | ForEach-Object { \"$($_.HotFixID)`t$(if ($_.InstalledOn) { $_.InstalledOn.ToString('yyyy-MM-dd') })\" }";

/// Parses `reg query KEY [/s]` output into `key path -> values`. `REG_SZ`/`REG_EXPAND_SZ` are
/// text, `REG_DWORD`/`REG_QWORD` (printed `0x…`) numbers, anything else its printed text as
/// bytes.
pub fn parse_reg_query(text: &str) -> BTreeMap<String, RegValues> {
    let mut keys: BTreeMap<String, RegValues> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("HKEY_") {
            current = Some(line.trim().to_owned());
            keys.entry(line.trim().to_owned()).or_default();
            continue;
        }
        let Some(key) = &current else { continue };
        // Values are indented and separated by runs of 4 spaces: NAME    TYPE    DATA.
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.len() == line.len() {
            continue;
        }
        let Some(type_at) = trimmed.find("    REG_") else {
            continue;
        };
        let name = trimmed[..type_at].trim();
        let rest = trimmed[type_at..].trim_start();
        let (kind, data) = rest.split_once("    ").unwrap_or((rest, ""));
        let data = match kind.trim() {
            "REG_SZ" | "REG_EXPAND_SZ" => RegData::Text(data.to_owned()),
            "REG_DWORD" | "REG_QWORD" => match data.trim().strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).map_or_else(
                    |_| RegData::Bytes(data.as_bytes().to_vec()),
                    RegData::Number,
                ),
                None => RegData::Bytes(data.as_bytes().to_vec()),
            },
            _ => RegData::Bytes(data.trim().as_bytes().to_vec()),
        };
        keys.entry(key.clone()).or_default().insert(name, data);
    }
    keys
}

/// One service as `sc query NAME` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScQuery {
    /// `SERVICE_NAME`.
    pub name: String,
    /// The number of `STATE` (`dwCurrentState`).
    pub state: u32,
}

/// Parses `sc query NAME` output: `SERVICE_NAME: x` then `STATE : 4  RUNNING`.
pub fn parse_sc_query(text: &str) -> Option<ScQuery> {
    let mut name = None;
    let mut state = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(n) = line.strip_prefix("SERVICE_NAME:") {
            name = Some(n.trim().to_owned());
        } else if let Some((field, value)) = line.split_once(':')
            && field.trim() == "STATE"
        {
            state = value.split_whitespace().next().and_then(|n| n.parse().ok());
        }
    }
    Some(ScQuery {
        name: name?,
        state: state?,
    })
}

/// Parses the output of [`HOTFIX_SCRIPT`]: `KB5044273<TAB>2024-10-09` lines.
pub fn parse_hotfixes(text: &str) -> Vec<Hotfix> {
    let mut hotfixes: Vec<Hotfix> = text
        .lines()
        .filter_map(|line| {
            let line = line.trim_end_matches('\r');
            let (id, date) = line.split_once('\t').unwrap_or((line, ""));
            let id = id.trim();
            id.starts_with("KB").then(|| Hotfix {
                id: id.to_owned(),
                installed_on: (!date.trim().is_empty()).then(|| date.trim().to_owned()),
            })
        })
        .collect();
    hotfixes.sort_by(|a, b| a.id.cmp(&b.id));
    hotfixes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{WindowsVersion, program_from_values};

    /// `reg query` of `CurrentVersion` in the layout Microsoft's `reg` prints (name, type and
    /// data separated by four spaces, CRLF line ends); values of a Windows 10 22H2 PC, not
    /// captured from a real machine.
    const CURRENT_VERSION: &str = "\r
HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r
    SystemRoot    REG_SZ    C:\\WINDOWS\r
    CurrentBuild    REG_SZ    19045\r
    CurrentMajorVersionNumber    REG_DWORD    0xa\r
    CurrentMinorVersionNumber    REG_DWORD    0x0\r
    CurrentVersion    REG_SZ    6.3\r
    DisplayVersion    REG_SZ    22H2\r
    ProductName    REG_SZ    Windows 10 Pro\r
    RegisteredOwner    REG_SZ    \r
    UBR    REG_DWORD    0x131e\r
\r
HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\AeDebug\r
";

    #[test]
    fn reg_query_values_become_registry_data() {
        let keys = parse_reg_query(CURRENT_VERSION);
        assert_eq!(keys.len(), 2);
        let values = &keys[r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion"];
        assert_eq!(values.number("UBR"), Some(4894));
        assert_eq!(values.text("SystemRoot").as_deref(), Some(r"C:\WINDOWS"));
        // An empty string is printed as nothing after the type.
        assert_eq!(
            values.get("RegisteredOwner"),
            Some(&RegData::Text(String::new()))
        );
        let v = WindowsVersion::from_values(values);
        assert_eq!(v.build.as_deref(), Some("19045.4894"));
        assert_eq!(v.display_version.as_deref(), Some("22H2"));
    }

    #[test]
    fn reg_query_of_uninstall_subkeys() {
        let text = "
HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\7-Zip
    DisplayName    REG_SZ    7-Zip 23.01 (x64)
    DisplayVersion    REG_SZ    23.01

HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{ABC}
    DisplayName    REG_SZ    Hidden Runtime
    SystemComponent    REG_DWORD    0x1
";
        let programs: Vec<_> = parse_reg_query(text)
            .values()
            .filter_map(program_from_values)
            .collect();
        assert_eq!(programs.len(), 1);
        assert_eq!(programs[0].name, "7-Zip 23.01 (x64)");
    }

    #[test]
    fn sc_query_gives_name_and_state() {
        // The layout of `sc query` as Microsoft documents it.
        let text = "\r
SERVICE_NAME: wuauserv\r
DISPLAY_NAME: Windows Update\r
        TYPE               : 20  WIN32_SHARE_PROCESS\r
        STATE              : 4  RUNNING\r
                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r
        WIN32_EXIT_CODE    : 0  (0x0)\r
";
        assert_eq!(
            parse_sc_query(text),
            Some(ScQuery {
                name: "wuauserv".into(),
                state: 4
            })
        );
        assert_eq!(
            parse_sc_query(
                "[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n"
            ),
            None
        );
    }

    #[test]
    fn hotfixes_with_and_without_dates() {
        let text = "KB5044273\t2024-10-09\r\nKB5011048\t\r\nWARNING: noise\r\n";
        let fixes = parse_hotfixes(text);
        assert_eq!(fixes.len(), 2);
        assert_eq!(fixes[0].id, "KB5011048");
        assert_eq!(fixes[0].installed_on, None);
        assert_eq!(fixes[1].installed_on.as_deref(), Some("2024-10-09"));
    }
}
