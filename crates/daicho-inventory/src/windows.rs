//! Windows build, patch level, programs and hotfixes, parsed from `reg query` and PowerShell
//! output. The parsers are plain functions tested on captured text everywhere; only the
//! collection in [`crate::collect`] is `cfg(windows)`.

use std::collections::HashMap;

use daicho_model::inventory::{Hotfix, Package, SystemService};

/// `reg query` arguments for the OS version key.
pub const CURRENT_VERSION_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
/// `reg query` arguments for the machine GUID.
pub const CRYPTOGRAPHY_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Cryptography";
/// The uninstall keys that list installed programs (64-bit and 32-bit views).
pub const UNINSTALL_KEYS: [&str; 2] = [
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall",
    r"HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall",
];
/// PowerShell that prints one `KBnnnnnn<TAB>yyyy-MM-dd` line per installed hotfix; the date is
/// formatted in PowerShell so the output does not depend on the locale.
pub const HOTFIX_SCRIPT: &str = "Get-HotFix | ForEach-Object { \"$($_.HotFixID)`t$(if ($_.InstalledOn) { $_.InstalledOn.ToString('yyyy-MM-dd') })\" }";

/// PowerShell that prints one `Name<TAB>DisplayName` line per running service.
pub const SERVICES_SCRIPT: &str = "Get-Service | Where-Object { $_.Status -eq 'Running' } | ForEach-Object { \"$($_.Name)`t$($_.DisplayName)\" }";

/// A registry value as `reg query` prints it: its type and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegValue {
    /// `REG_SZ`, `REG_DWORD`, …
    pub kind: String,
    /// The data as printed (`0x1256` for DWORDs).
    pub data: String,
}

/// Parses `reg query KEY [/s]` output into `key path -> value name -> value`.
pub fn parse_reg_query(text: &str) -> HashMap<String, HashMap<String, RegValue>> {
    let mut keys: HashMap<String, HashMap<String, RegValue>> = HashMap::new();
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
        let name = trimmed[..type_at].trim().to_owned();
        let rest = trimmed[type_at..].trim_start();
        let (kind, data) = rest.split_once("    ").unwrap_or((rest, ""));
        keys.entry(key.clone()).or_default().insert(
            name,
            RegValue {
                kind: kind.trim().to_owned(),
                data: data.trim().to_owned(),
            },
        );
    }
    keys
}

/// Product name, display version and `build.UBR` of Windows from the CurrentVersion key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WindowsVersion {
    /// e.g. `Windows 10 Pro`.
    pub product: Option<String>,
    /// e.g. `10.0.19045`.
    pub version: Option<String>,
    /// e.g. `19045.4894`: the build plus the update build revision, the patch level.
    pub build: Option<String>,
    /// e.g. `22H2`.
    pub display_version: Option<String>,
}

/// Reads the version from `reg query` of [`CURRENT_VERSION_KEY`].
pub fn parse_current_version(text: &str) -> WindowsVersion {
    let keys = parse_reg_query(text);
    let Some(values) = keys.values().find(|v| v.contains_key("CurrentBuild")) else {
        return WindowsVersion::default();
    };
    let text_of = |name: &str| values.get(name).map(|v| v.data.clone());
    let number_of = |name: &str| values.get(name).and_then(|v| parse_dword(&v.data));
    let build = text_of("CurrentBuild");
    let version = match (
        number_of("CurrentMajorVersionNumber"),
        number_of("CurrentMinorVersionNumber"),
        &build,
    ) {
        (Some(major), Some(minor), Some(b)) => Some(format!("{major}.{minor}.{b}")),
        _ => text_of("CurrentVersion"),
    };
    WindowsVersion {
        product: text_of("ProductName"),
        version,
        build: match (&build, number_of("UBR")) {
            (Some(b), Some(ubr)) => Some(format!("{b}.{ubr}")),
            (b, _) => b.clone(),
        },
        display_version: text_of("DisplayVersion"),
    }
}

fn parse_dword(data: &str) -> Option<u64> {
    match data.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => data.parse().ok(),
    }
}

/// Reads `MachineGuid` from `reg query` of [`CRYPTOGRAPHY_KEY`].
pub fn parse_machine_guid(text: &str) -> Option<String> {
    parse_reg_query(text)
        .values()
        .find_map(|v| v.get("MachineGuid").map(|g| g.data.clone()))
}

/// Installed programs from `reg query UNINSTALL_KEY /s`: every subkey with a `DisplayName`,
/// minus system components and updates (which Windows lists separately as hotfixes).
pub fn parse_uninstall(text: &str) -> Vec<Package> {
    let mut programs: Vec<Package> = parse_reg_query(text)
        .into_values()
        .filter(|v| v.get("SystemComponent").is_none_or(|s| s.data != "0x1"))
        .filter(|v| !v.contains_key("ParentKeyName"))
        .filter_map(|v| {
            Some(Package {
                name: v.get("DisplayName")?.data.clone(),
                version: v
                    .get("DisplayVersion")
                    .map(|d| d.data.clone())
                    .unwrap_or_default(),
                arch: None,
            })
        })
        .collect();
    programs.sort_by(|a, b| a.name.cmp(&b.name).then(a.version.cmp(&b.version)));
    programs.dedup();
    programs
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

/// Parses the output of [`SERVICES_SCRIPT`].
pub fn parse_services(text: &str) -> Vec<SystemService> {
    let mut services: Vec<SystemService> = text
        .lines()
        .filter_map(|line| {
            let line = line.trim_end_matches('\r');
            let (name, display) = line.split_once('\t')?;
            let name = name.trim();
            (!name.is_empty()).then(|| SystemService {
                name: name.to_owned(),
                state: "running".to_owned(),
                description: (!display.trim().is_empty()).then(|| display.trim().to_owned()),
            })
        })
        .collect();
    services.sort_by(|a, b| a.name.cmp(&b.name));
    services
}

#[cfg(test)]
mod tests {
    use super::*;

    const CURRENT_VERSION: &str = "\r
HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r
    SystemRoot    REG_SZ    C:\\WINDOWS\r
    BuildBranch    REG_SZ    vb_release\r
    CurrentBuild    REG_SZ    19045\r
    CurrentMajorVersionNumber    REG_DWORD    0xa\r
    CurrentMinorVersionNumber    REG_DWORD    0x0\r
    CurrentVersion    REG_SZ    6.3\r
    DisplayVersion    REG_SZ    22H2\r
    ProductName    REG_SZ    Windows 10 Pro\r
    UBR    REG_DWORD    0x131e\r
\r
";

    #[test]
    fn build_and_ubr_give_the_patch_level() {
        let v = parse_current_version(CURRENT_VERSION);
        assert_eq!(v.product.as_deref(), Some("Windows 10 Pro"));
        assert_eq!(v.version.as_deref(), Some("10.0.19045"));
        assert_eq!(v.build.as_deref(), Some("19045.4894"));
        assert_eq!(v.display_version.as_deref(), Some("22H2"));
    }

    #[test]
    fn old_windows_without_major_number_uses_current_version() {
        let text = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\n    CurrentVersion    REG_SZ    6.1\n    CurrentBuild    REG_SZ    7601\n    ProductName    REG_SZ    Windows 7 Professional\n";
        let v = parse_current_version(text);
        assert_eq!(v.version.as_deref(), Some("6.1"));
        assert_eq!(v.build.as_deref(), Some("7601"));
    }

    #[test]
    fn machine_guid() {
        let text = "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\n    MachineGuid    REG_SZ    3f2504e0-4f89-11d3-9a0c-0305e82c3301\n";
        assert_eq!(
            parse_machine_guid(text).as_deref(),
            Some("3f2504e0-4f89-11d3-9a0c-0305e82c3301")
        );
    }

    #[test]
    fn uninstall_lists_programs_but_not_components_or_updates() {
        let text = "
HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\7-Zip
    DisplayName    REG_SZ    7-Zip 23.01 (x64)
    DisplayVersion    REG_SZ    23.01
    Publisher    REG_SZ    Igor Pavlov

HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{ABC}
    DisplayName    REG_SZ    Hidden Runtime
    SystemComponent    REG_DWORD    0x1

HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\KB123
    DisplayName    REG_SZ    Security Update for X
    ParentKeyName    REG_SZ    X

HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\NoName
    InstallLocation    REG_SZ    C:\\x
";
        let programs = parse_uninstall(text);
        assert_eq!(programs.len(), 1);
        assert_eq!(programs[0].name, "7-Zip 23.01 (x64)");
        assert_eq!(programs[0].version, "23.01");
    }

    #[test]
    fn running_services() {
        let text = "WinDefend\tMicrosoft Defender Antivirus Service\r\nTermService\tRemote Desktop Services\r\n\r\n";
        let services = parse_services(text);
        assert_eq!(services.len(), 2);
        assert_eq!(services[0].name, "TermService");
        assert_eq!(
            services[1].description.as_deref(),
            Some("Microsoft Defender Antivirus Service")
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
