//! Windows registry values as the registry API returns them (`RegEnumValueW`: a value type and
//! its raw bytes), decoded by the documented `REG_*` formats, and what the inventory reads from
//! them: the OS version and patch level (`CurrentVersion`) and the installed programs (the
//! Uninstall keys). Pure functions, tested everywhere; the calls are in `windows_live`.

use std::collections::BTreeMap;

use daicho_model::inventory::Package;

/// Where the OS identity lives, under `HKEY_LOCAL_MACHINE`.
pub const CURRENT_VERSION_PATH: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";
/// Where the machine GUID lives, under `HKEY_LOCAL_MACHINE`.
pub const CRYPTOGRAPHY_PATH: &str = r"SOFTWARE\Microsoft\Cryptography";
/// The Uninstall key: one subkey per installed program, under `HKEY_LOCAL_MACHINE` (64- and
/// 32-bit views) and `HKEY_CURRENT_USER`.
pub const UNINSTALL_PATH: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall";

/// `REG_SZ`: a NUL-terminated UTF-16LE string.
pub const REG_SZ: u32 = 1;
/// `REG_EXPAND_SZ`: a UTF-16LE string with `%VARIABLE%` references, not expanded here.
pub const REG_EXPAND_SZ: u32 = 2;
/// `REG_BINARY`: bytes.
pub const REG_BINARY: u32 = 3;
/// `REG_DWORD`: a 32-bit little-endian number.
pub const REG_DWORD: u32 = 4;
/// `REG_MULTI_SZ`: UTF-16LE strings, each NUL-terminated, the list ended by an empty one.
pub const REG_MULTI_SZ: u32 = 7;
/// `REG_QWORD`: a 64-bit little-endian number.
pub const REG_QWORD: u32 = 11;

/// A registry value decoded from its type and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegData {
    /// `REG_SZ` or `REG_EXPAND_SZ`.
    Text(String),
    /// `REG_DWORD` or `REG_QWORD`.
    Number(u64),
    /// `REG_MULTI_SZ`.
    List(Vec<String>),
    /// Any other type (`REG_BINARY`, …), or a number whose size does not match its type.
    Bytes(Vec<u8>),
}

impl RegData {
    /// Decodes raw value bytes of type `kind` by the documented formats. Strings may or may not
    /// carry their terminating NUL (the API does not guarantee it); an odd trailing byte is
    /// dropped.
    pub fn decode(kind: u32, bytes: &[u8]) -> Self {
        match kind {
            REG_SZ | REG_EXPAND_SZ => {
                Self::Text(utf16_strings(bytes).into_iter().next().unwrap_or_default())
            }
            REG_MULTI_SZ => Self::List(utf16_strings(bytes)),
            REG_DWORD if bytes.len() == 4 => Self::Number(u64::from(u32::from_le_bytes([
                bytes[0], bytes[1], bytes[2], bytes[3],
            ]))),
            REG_QWORD if bytes.len() == 8 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(bytes);
                Self::Number(u64::from_le_bytes(b))
            }
            _ => Self::Bytes(bytes.to_vec()),
        }
    }

    /// The text of a string value, trimmed; `None` for other types or an empty string.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t.trim()).filter(|t| !t.is_empty()),
            _ => None,
        }
    }

    /// The number of a `REG_DWORD`/`REG_QWORD` value; a string holding a decimal number counts
    /// too (some installers write `DisplayVersion`-like numbers as text).
    pub fn number(&self) -> Option<u64> {
        match self {
            Self::Number(n) => Some(*n),
            Self::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Splits UTF-16LE bytes at NULs into strings, stopping at the first empty one (the end of a
/// `REG_MULTI_SZ`, or the terminator of a `REG_SZ`).
fn utf16_strings(bytes: &[u8]) -> Vec<String> {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let mut strings = Vec::new();
    for part in units.split(|u| *u == 0) {
        if part.is_empty() {
            break;
        }
        strings.push(String::from_utf16_lossy(part));
    }
    strings
}

/// The values of one registry key by name. Value names are case-insensitive in the registry,
/// so lookups here are too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegValues(BTreeMap<String, RegData>);

impl RegValues {
    /// Adds a value.
    pub fn insert(&mut self, name: &str, data: RegData) {
        self.0.insert(name.to_ascii_lowercase(), data);
    }

    /// A value by name, any case.
    pub fn get(&self, name: &str) -> Option<&RegData> {
        self.0.get(&name.to_ascii_lowercase())
    }

    /// A string value's trimmed text.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name).and_then(RegData::text).map(str::to_owned)
    }

    /// A number value.
    pub fn number(&self, name: &str) -> Option<u64> {
        self.get(name).and_then(RegData::number)
    }
}

impl FromIterator<(String, RegData)> for RegValues {
    fn from_iter<I: IntoIterator<Item = (String, RegData)>>(iter: I) -> Self {
        let mut values = Self::default();
        for (name, data) in iter {
            values.insert(&name, data);
        }
        values
    }
}

/// Windows' identity and patch level from the `CurrentVersion` key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WindowsVersion {
    /// e.g. `Windows 10 Pro`; `Windows 11 …` from build 22000 on, whatever `ProductName` says
    /// (Windows 11 kept Windows 10's `ProductName`).
    pub product: Option<String>,
    /// e.g. `10.0.19045`.
    pub version: Option<String>,
    /// e.g. `19045.4894`: the build plus the update build revision (UBR), the patch level.
    pub build: Option<String>,
    /// e.g. `22H2` (`DisplayVersion`, or `ReleaseId` before 20H2).
    pub display_version: Option<String>,
}

/// The first build of Windows 11.
const WINDOWS_11_FIRST_BUILD: u64 = 22000;

impl WindowsVersion {
    /// Reads the version from the values of [`CURRENT_VERSION_PATH`]: `ProductName`,
    /// `CurrentMajorVersionNumber`/`CurrentMinorVersionNumber` (or `CurrentVersion` before
    /// Windows 10), `CurrentBuild` (or `CurrentBuildNumber`), `UBR`, `DisplayVersion` (or
    /// `ReleaseId`).
    pub fn from_values(values: &RegValues) -> Self {
        let build = values
            .text("CurrentBuild")
            .or_else(|| values.text("CurrentBuildNumber"));
        let build_number = build.as_deref().and_then(|b| b.parse::<u64>().ok());
        let version = match (
            values.number("CurrentMajorVersionNumber"),
            values.number("CurrentMinorVersionNumber"),
            &build,
        ) {
            (Some(major), Some(minor), Some(b)) => Some(format!("{major}.{minor}.{b}")),
            _ => values.text("CurrentVersion"),
        };
        let product = values.text("ProductName").map(|name| {
            match (build_number, name.strip_prefix("Windows 10")) {
                (Some(n), Some(rest)) if n >= WINDOWS_11_FIRST_BUILD => format!("Windows 11{rest}"),
                _ => name,
            }
        });
        Self {
            product,
            version,
            build: match (&build, values.number("UBR")) {
                (Some(b), Some(ubr)) => Some(format!("{b}.{ubr}")),
                (b, _) => b.clone(),
            },
            display_version: values
                .text("DisplayVersion")
                .or_else(|| values.text("ReleaseId")),
        }
    }
}

/// One installed program from an Uninstall subkey's values, or `None` for what Windows' own
/// program list hides: no `DisplayName`, `SystemComponent` = 1, an update of another program
/// (`ParentKeyName`), or a `ReleaseType` of an update or hotfix.
pub fn program_from_values(values: &RegValues) -> Option<Package> {
    let name = values.text("DisplayName")?;
    if values.number("SystemComponent") == Some(1) || values.text("ParentKeyName").is_some() {
        return None;
    }
    if values.text("ReleaseType").is_some_and(|t| {
        matches!(
            t.as_str(),
            "Security Update" | "Update Rollup" | "Hotfix" | "Update"
        )
    }) {
        return None;
    }
    Some(Package {
        name,
        version: values.text("DisplayVersion").unwrap_or_default(),
        arch: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `REG_SZ` as the registry stores it: UTF-16LE with a terminating NUL.
    fn sz(text: &str) -> Vec<u8> {
        text.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    }

    fn values(entries: &[(&str, u32, Vec<u8>)]) -> RegValues {
        entries
            .iter()
            .map(|(n, k, b)| ((*n).to_owned(), RegData::decode(*k, b)))
            .collect()
    }

    #[test]
    fn strings_decode_with_or_without_their_nul() {
        assert_eq!(
            RegData::decode(REG_SZ, &sz("Windows 10 Pro")),
            RegData::Text("Windows 10 Pro".into())
        );
        let no_nul: Vec<u8> = "22H2".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(
            RegData::decode(REG_SZ, &no_nul),
            RegData::Text("22H2".into())
        );
        assert_eq!(
            RegData::decode(REG_EXPAND_SZ, &sz("%SystemRoot%\\x")),
            RegData::Text("%SystemRoot%\\x".into())
        );
        assert_eq!(
            RegData::decode(REG_SZ, &sz("電子カルテ")),
            RegData::Text("電子カルテ".into())
        );
    }

    #[test]
    fn numbers_are_little_endian_and_sized() {
        assert_eq!(
            RegData::decode(REG_DWORD, &[0x1e, 0x13, 0, 0]),
            RegData::Number(0x131e)
        );
        assert_eq!(
            RegData::decode(REG_QWORD, &[1, 0, 0, 0, 1, 0, 0, 0]),
            RegData::Number(0x1_0000_0001)
        );
        // A DWORD of the wrong size is not a number.
        assert_eq!(
            RegData::decode(REG_DWORD, &[1, 2]),
            RegData::Bytes(vec![1, 2])
        );
        assert_eq!(
            RegData::decode(REG_BINARY, &[1, 2, 3]),
            RegData::Bytes(vec![1, 2, 3])
        );
    }

    #[test]
    fn multi_strings_end_at_the_empty_string() {
        let mut bytes = sz("a");
        bytes.extend(sz("bc"));
        bytes.extend([0, 0]);
        assert_eq!(
            RegData::decode(REG_MULTI_SZ, &bytes),
            RegData::List(vec!["a".into(), "bc".into()])
        );
    }

    /// The values of `CurrentVersion` on a Windows 10 22H2 PC, built from Microsoft's
    /// documented value names and types (not captured from a real machine).
    fn windows_10_22h2() -> RegValues {
        values(&[
            ("ProductName", REG_SZ, sz("Windows 10 Pro")),
            ("EditionID", REG_SZ, sz("Professional")),
            ("CurrentBuild", REG_SZ, sz("19045")),
            ("CurrentBuildNumber", REG_SZ, sz("19045")),
            ("CurrentMajorVersionNumber", REG_DWORD, vec![10, 0, 0, 0]),
            ("CurrentMinorVersionNumber", REG_DWORD, vec![0, 0, 0, 0]),
            ("CurrentVersion", REG_SZ, sz("6.3")),
            ("DisplayVersion", REG_SZ, sz("22H2")),
            ("UBR", REG_DWORD, 4894u32.to_le_bytes().to_vec()),
        ])
    }

    #[test]
    fn build_and_ubr_give_the_patch_level() {
        let v = WindowsVersion::from_values(&windows_10_22h2());
        assert_eq!(v.product.as_deref(), Some("Windows 10 Pro"));
        assert_eq!(v.version.as_deref(), Some("10.0.19045"));
        assert_eq!(v.build.as_deref(), Some("19045.4894"));
        assert_eq!(v.display_version.as_deref(), Some("22H2"));
    }

    #[test]
    fn windows_11_is_named_by_its_build() {
        let mut v = windows_10_22h2();
        v.insert("CurrentBuild", RegData::Text("22631".into()));
        v.insert("DisplayVersion", RegData::Text("23H2".into()));
        let v = WindowsVersion::from_values(&v);
        assert_eq!(v.product.as_deref(), Some("Windows 11 Pro"));
        assert_eq!(v.version.as_deref(), Some("10.0.22631"));
    }

    #[test]
    fn windows_7_has_no_major_number_nor_ubr() {
        let v = WindowsVersion::from_values(&values(&[
            ("ProductName", REG_SZ, sz("Windows 7 Professional")),
            ("CurrentVersion", REG_SZ, sz("6.1")),
            ("CurrentBuildNumber", REG_SZ, sz("7601")),
        ]));
        assert_eq!(v.version.as_deref(), Some("6.1"));
        assert_eq!(v.build.as_deref(), Some("7601"));
        assert_eq!(v.display_version, None);
    }

    #[test]
    fn value_names_are_case_insensitive() {
        let v = values(&[("displayname", REG_SZ, sz("7-Zip"))]);
        assert_eq!(v.text("DisplayName").as_deref(), Some("7-Zip"));
    }

    #[test]
    fn uninstall_entries_keep_programs_but_not_components_or_updates() {
        let program = values(&[
            ("DisplayName", REG_SZ, sz("7-Zip 23.01 (x64)")),
            ("DisplayVersion", REG_SZ, sz("23.01")),
            ("Publisher", REG_SZ, sz("Igor Pavlov")),
        ]);
        let package = program_from_values(&program).unwrap();
        assert_eq!(package.name, "7-Zip 23.01 (x64)");
        assert_eq!(package.version, "23.01");

        let component = values(&[
            ("DisplayName", REG_SZ, sz("Hidden Runtime")),
            ("SystemComponent", REG_DWORD, vec![1, 0, 0, 0]),
        ]);
        assert_eq!(program_from_values(&component), None);
        let update = values(&[
            ("DisplayName", REG_SZ, sz("Security Update for X")),
            ("ParentKeyName", REG_SZ, sz("X")),
        ]);
        assert_eq!(program_from_values(&update), None);
        let hotfix = values(&[
            ("DisplayName", REG_SZ, sz("Hotfix for Y")),
            ("ReleaseType", REG_SZ, sz("Hotfix")),
        ]);
        assert_eq!(program_from_values(&hotfix), None);
        let nameless = values(&[("InstallLocation", REG_SZ, sz("C:\\x"))]);
        assert_eq!(program_from_values(&nameless), None);
        let no_version = values(&[("DisplayName", REG_SZ, sz("Wine Mono"))]);
        assert_eq!(program_from_values(&no_version).unwrap().version, "");
    }
}
