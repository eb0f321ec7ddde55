//! The reads the Windows inventory makes through the Windows API, behind a trait so that the
//! collection runs on fixture data on any OS; `windows_live` is the real one.

use std::io;

use crate::ip_tables::TableKind;
use crate::registry::RegValues;
use crate::scm::ServiceRecord;

/// A registry root key the inventory reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hive {
    /// `HKEY_LOCAL_MACHINE`.
    LocalMachine,
    /// `HKEY_CURRENT_USER`.
    CurrentUser,
}

impl Hive {
    /// The name `reg query` uses, e.g. `HKLM`.
    pub fn short_name(self) -> &'static str {
        match self {
            Self::LocalMachine => "HKLM",
            Self::CurrentUser => "HKCU",
        }
    }
}

/// Which registry view: a 64-bit Windows keeps 32-bit programs' `SOFTWARE` apart
/// (`WOW6432Node`); the view flags (`KEY_WOW64_64KEY`, `KEY_WOW64_32KEY`) pick one whatever
/// the reading process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegView {
    /// The 64-bit view.
    Bits64,
    /// The 32-bit view.
    Bits32,
}

/// One registry key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegKey<'a> {
    /// The root.
    pub hive: Hive,
    /// The path below it, e.g. `SOFTWARE\Microsoft\Windows NT\CurrentVersion`.
    pub path: &'a str,
    /// The view.
    pub view: RegView,
}

/// Every read the Windows inventory makes, apart from what [`crate::HostSource`] already
/// gives (processes, interfaces, host name, running a program).
pub trait WindowsSource {
    /// The values of a key. A missing key is `NotFound`.
    fn registry_values(&self, key: RegKey<'_>) -> io::Result<RegValues>;
    /// The names of a key's subkeys. A missing key is `NotFound`.
    fn registry_subkeys(&self, key: RegKey<'_>) -> io::Result<Vec<String>>;
    /// Every Win32 service the Service Control Manager knows, with its configuration where
    /// readable.
    fn services(&self) -> io::Result<Vec<ServiceRecord>>;
    /// A socket table as `GetExtendedTcpTable`/`GetExtendedUdpTable` fill it (see
    /// [`crate::ip_tables`]).
    fn socket_table(&self, kind: TableKind) -> io::Result<Vec<u8>>;
    /// `NetGetJoinInformation` of this machine: the `NETSETUP_JOIN_STATUS` and the domain or
    /// workgroup name (see [`crate::join`]).
    fn join_information(&self) -> io::Result<(i32, String)>;
}
