//! The Windows API calls of the inventory (`windows-sys`): registry, Service Control Manager,
//! IP Helper socket tables and adapters, Tool Help processes, the domain or workgroup. Each call only fetches; the
//! decoding of documented formats is in `registry`, `scm` and `ip_tables`, tested everywhere.
//! Checked against Wine's own `reg`, `sc` and `netstat` by `tests/windows_live.rs`.
#![allow(unsafe_code)] // FFI: every block below is one documented Windows API call.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ptr::{null, null_mut};

use daicho_model::inventory::Process;
use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_BUFFER_OVERFLOW, ERROR_INSUFFICIENT_BUFFER, ERROR_MORE_DATA,
    ERROR_NO_MORE_ITEMS, ERROR_SUCCESS, GetLastError, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    GAA_FLAG_SKIP_ANYCAST, GAA_FLAG_SKIP_DNS_SERVER, GAA_FLAG_SKIP_MULTICAST, GetAdaptersAddresses,
    GetExtendedTcpTable, GetExtendedUdpTable, IP_ADAPTER_ADDRESSES_LH,
    TCP_TABLE_OWNER_PID_LISTENER, UDP_TABLE_OWNER_PID,
};
use windows_sys::Win32::NetworkManagement::NetManagement::{
    NetApiBufferFree, NetGetJoinInformation,
};
use windows_sys::Win32::Networking::WinSock::{
    AF_INET, AF_INET6, AF_UNSPEC, SOCKADDR, SOCKADDR_IN, SOCKADDR_IN6,
};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW, TH32CS_SNAPPROCESS,
};
use windows_sys::Win32::System::Registry::{
    HKEY, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, KEY_READ, KEY_WOW64_32KEY, KEY_WOW64_64KEY,
    RegCloseKey, RegEnumKeyExW, RegEnumValueW, RegOpenKeyExW, RegQueryInfoKeyW,
};
use windows_sys::Win32::System::Services::{
    CloseServiceHandle, ENUM_SERVICE_STATUS_PROCESSW, EnumServicesStatusExW, OpenSCManagerW,
    OpenServiceW, QUERY_SERVICE_CONFIGW, QueryServiceConfig2W, QueryServiceConfigW,
    SC_ENUM_PROCESS_INFO, SC_HANDLE, SC_MANAGER_CONNECT, SC_MANAGER_ENUMERATE_SERVICE,
    SERVICE_CONFIG_DELAYED_AUTO_START_INFO, SERVICE_DELAYED_AUTO_START_INFO, SERVICE_QUERY_CONFIG,
    SERVICE_STATE_ALL, SERVICE_WIN32,
};
use windows_sys::Win32::System::Threading::{
    OpenProcess, PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION, QueryFullProcessImageNameW,
};

use crate::ip_tables::TableKind;
use crate::registry::{RegData, RegValues};
use crate::scm::ServiceRecord;
use crate::source::InterfaceAddresses;
use crate::windows_source::{Hive, RegKey, RegView, WindowsSource};

/// The running Windows, read through its API.
#[derive(Debug, Default, Clone, Copy)]
pub struct LiveWindows;

/// `text` as a NUL-terminated UTF-16 string, as the Windows API takes strings.
pub fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain([0]).collect()
}

/// The string a `PWSTR` points to, up to its NUL.
///
/// # Safety
/// `p` is null or points to a NUL-terminated UTF-16 string.
pub unsafe fn from_wide_ptr(p: *const u16) -> String {
    if p.is_null() {
        return String::new();
    }
    let mut len = 0;
    // SAFETY: the string is NUL-terminated (the caller's promise).
    while unsafe { *p.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: `len` units were just read.
    String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A buffer's text up to its first NUL.
fn from_wide(units: &[u16]) -> String {
    let end = units.iter().position(|u| *u == 0).unwrap_or(units.len());
    String::from_utf16_lossy(&units[..end])
}

fn win32_error(code: u32) -> io::Error {
    io::Error::from_raw_os_error(code.cast_signed())
}

fn last_error() -> io::Error {
    // SAFETY: reads the calling thread's last-error value.
    win32_error(unsafe { GetLastError() })
}

/// An open registry key, closed on drop.
struct Key(HKEY);

impl Key {
    fn open(key: RegKey<'_>) -> io::Result<Self> {
        let root = match key.hive {
            Hive::LocalMachine => HKEY_LOCAL_MACHINE,
            Hive::CurrentUser => HKEY_CURRENT_USER,
        };
        let view = match key.view {
            RegView::Bits64 => KEY_WOW64_64KEY,
            RegView::Bits32 => KEY_WOW64_32KEY,
        };
        let path = wide(key.path);
        let mut handle: HKEY = null_mut();
        // SAFETY: `path` is NUL-terminated; `handle` receives the opened key.
        let rc = unsafe { RegOpenKeyExW(root, path.as_ptr(), 0, KEY_READ | view, &raw mut handle) };
        if rc != ERROR_SUCCESS {
            return Err(win32_error(rc));
        }
        Ok(Self(handle))
    }

    /// The longest value name (characters) and value data (bytes) of the key.
    fn value_sizes(&self) -> io::Result<(u32, u32)> {
        let (mut name, mut data) = (0u32, 0u32);
        // SAFETY: every out-pointer is either null (not wanted) or a live u32.
        let rc = unsafe {
            RegQueryInfoKeyW(
                self.0,
                null_mut(),
                null_mut(),
                null(),
                null_mut(),
                null_mut(),
                null_mut(),
                null_mut(),
                &raw mut name,
                &raw mut data,
                null_mut(),
                null_mut(),
            )
        };
        if rc != ERROR_SUCCESS {
            return Err(win32_error(rc));
        }
        Ok((name, data))
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: the handle was opened by `Key::open` and is closed once.
        unsafe { RegCloseKey(self.0) };
    }
}

/// An open SCM or service handle, closed on drop.
struct Sc(SC_HANDLE);

impl Drop for Sc {
    fn drop(&mut self) {
        // SAFETY: the handle was opened by OpenSCManagerW/OpenServiceW and is closed once.
        unsafe { CloseServiceHandle(self.0) };
    }
}

/// A kernel handle, closed on drop.
struct Handle(HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle was returned open by the API and is closed once.
        unsafe { CloseHandle(self.0) };
    }
}

/// A zeroed buffer of at least `bytes` bytes, aligned for the API's structures (8 bytes).
fn aligned(bytes: usize) -> Vec<u64> {
    vec![0u64; bytes.div_ceil(8).max(1)]
}

impl WindowsSource for LiveWindows {
    fn registry_values(&self, key: RegKey<'_>) -> io::Result<RegValues> {
        let key = Key::open(key)?;
        let (max_name, max_data) = key.value_sizes()?;
        let mut name = vec![0u16; max_name as usize + 1];
        let mut data = vec![0u8; max_data as usize + 2];
        let mut values = RegValues::default();
        let mut index = 0;
        loop {
            let mut name_len = name.len() as u32;
            let mut data_len = data.len() as u32;
            let mut kind = 0u32;
            // SAFETY: the buffers are live and their lengths are passed with them.
            let rc = unsafe {
                RegEnumValueW(
                    key.0,
                    index,
                    name.as_mut_ptr(),
                    &raw mut name_len,
                    null(),
                    &raw mut kind,
                    data.as_mut_ptr(),
                    &raw mut data_len,
                )
            };
            match rc {
                ERROR_SUCCESS => {
                    let value_name = String::from_utf16_lossy(&name[..name_len as usize]);
                    let bytes = &data[..(data_len as usize).min(data.len())];
                    values.insert(&value_name, RegData::decode(kind, bytes));
                    index += 1;
                }
                ERROR_NO_MORE_ITEMS => return Ok(values),
                // A value grew since the key was measured: grow and ask again.
                ERROR_MORE_DATA => {
                    name.resize(name.len().max(16_384), 0);
                    data.resize(data.len() * 2 + (data_len as usize), 0);
                }
                other => return Err(win32_error(other)),
            }
        }
    }

    fn registry_subkeys(&self, key: RegKey<'_>) -> io::Result<Vec<String>> {
        let key = Key::open(key)?;
        // A key name has at most 255 characters.
        let mut name = [0u16; 256];
        let mut names = Vec::new();
        let mut index = 0;
        loop {
            let mut len = name.len() as u32;
            // SAFETY: `name` is live and its length is passed with it.
            let rc = unsafe {
                RegEnumKeyExW(
                    key.0,
                    index,
                    name.as_mut_ptr(),
                    &raw mut len,
                    null(),
                    null_mut(),
                    null_mut(),
                    null_mut(),
                )
            };
            match rc {
                ERROR_SUCCESS => {
                    names.push(String::from_utf16_lossy(&name[..len as usize]));
                    index += 1;
                }
                ERROR_NO_MORE_ITEMS => return Ok(names),
                other => return Err(win32_error(other)),
            }
        }
    }

    fn services(&self) -> io::Result<Vec<ServiceRecord>> {
        // SAFETY: null machine and database mean the local, active database.
        let scm = unsafe {
            OpenSCManagerW(
                null(),
                null(),
                SC_MANAGER_CONNECT | SC_MANAGER_ENUMERATE_SERVICE,
            )
        };
        if scm.is_null() {
            return Err(last_error());
        }
        let scm = Sc(scm);
        let mut records = Vec::new();
        let mut resume = 0u32;
        let mut buf = aligned(64 * 1024);
        loop {
            let (mut needed, mut returned) = (0u32, 0u32);
            let size = (buf.len() * 8) as u32;
            // SAFETY: `buf` is live, 8-byte aligned and `size` bytes long.
            let ok = unsafe {
                EnumServicesStatusExW(
                    scm.0,
                    SC_ENUM_PROCESS_INFO,
                    SERVICE_WIN32,
                    SERVICE_STATE_ALL,
                    buf.as_mut_ptr().cast(),
                    size,
                    &raw mut needed,
                    &raw mut returned,
                    &raw mut resume,
                    null(),
                )
            };
            let more = if ok == 0 {
                // SAFETY: reads the calling thread's last-error value.
                let code = unsafe { GetLastError() };
                if code != ERROR_MORE_DATA {
                    return Err(win32_error(code));
                }
                true
            } else {
                false
            };
            let entries = buf.as_ptr().cast::<ENUM_SERVICE_STATUS_PROCESSW>();
            for i in 0..returned as usize {
                // SAFETY: the SCM wrote `returned` entries at the start of `buf`; their strings
                // point into `buf` too, which lives until the next call.
                let entry = unsafe { &*entries.add(i) };
                let name = unsafe { from_wide_ptr(entry.lpServiceName) };
                let display_name = unsafe { from_wide_ptr(entry.lpDisplayName) };
                let status = entry.ServiceStatusProcess;
                let (start_type, delayed_auto_start) = service_config(&scm, &name);
                records.push(ServiceRecord {
                    name,
                    display_name,
                    service_type: status.dwServiceType,
                    current_state: status.dwCurrentState,
                    process_id: status.dwProcessId,
                    start_type,
                    delayed_auto_start,
                });
            }
            if !more {
                return Ok(records);
            }
            if returned == 0 {
                buf = aligned(needed as usize);
            }
        }
    }

    fn socket_table(&self, kind: TableKind) -> io::Result<Vec<u8>> {
        let family = match kind {
            TableKind::Tcp4 | TableKind::Udp4 => u32::from(AF_INET),
            TableKind::Tcp6 | TableKind::Udp6 => u32::from(AF_INET6),
        };
        let mut size = 0u32;
        let mut buf = aligned(0);
        // The table may grow between the size query and the read: try a few times.
        for _ in 0..5 {
            // SAFETY: `buf` is live, 8-byte aligned and at least `size` bytes long.
            let rc = unsafe {
                match kind {
                    TableKind::Tcp4 | TableKind::Tcp6 => GetExtendedTcpTable(
                        buf.as_mut_ptr().cast(),
                        &raw mut size,
                        0,
                        family,
                        TCP_TABLE_OWNER_PID_LISTENER,
                        0,
                    ),
                    TableKind::Udp4 | TableKind::Udp6 => GetExtendedUdpTable(
                        buf.as_mut_ptr().cast(),
                        &raw mut size,
                        0,
                        family,
                        UDP_TABLE_OWNER_PID,
                        0,
                    ),
                }
            };
            match rc {
                ERROR_SUCCESS => {
                    let bytes: Vec<u8> = buf.iter().flat_map(|w| w.to_ne_bytes()).collect();
                    return Ok(bytes[..(size as usize).min(bytes.len())].to_vec());
                }
                ERROR_INSUFFICIENT_BUFFER => buf = aligned(size as usize + 1024),
                other => return Err(win32_error(other)),
            }
        }
        Err(io::Error::other("the socket table kept growing"))
    }

    fn join_information(&self) -> io::Result<(i32, String)> {
        let mut name: *mut u16 = null_mut();
        let mut status = 0;
        // SAFETY: null server = this machine; both out-pointers are live.
        let rc = unsafe { NetGetJoinInformation(null(), &raw mut name, &raw mut status) };
        if rc != 0 {
            return Err(win32_error(rc));
        }
        // SAFETY: on success `name` is a NUL-terminated string the API allocated.
        let text = unsafe { from_wide_ptr(name) };
        // SAFETY: the buffer NetGetJoinInformation allocated, freed once.
        unsafe { NetApiBufferFree(name.cast()) };
        Ok((status, text))
    }
}

/// The start type and delayed-start flag of one service, when its configuration is readable.
fn service_config(scm: &Sc, name: &str) -> (Option<u32>, bool) {
    let wide_name = wide(name);
    // SAFETY: `wide_name` is NUL-terminated.
    let service = unsafe { OpenServiceW(scm.0, wide_name.as_ptr(), SERVICE_QUERY_CONFIG) };
    if service.is_null() {
        return (None, false);
    }
    let service = Sc(service);
    let mut needed = 0u32;
    // SAFETY: a size query: no buffer, zero size.
    unsafe { QueryServiceConfigW(service.0, null_mut(), 0, &raw mut needed) };
    let mut buf = aligned(needed as usize);
    // SAFETY: `buf` is live, aligned and `needed` bytes long.
    let ok = unsafe {
        QueryServiceConfigW(
            service.0,
            buf.as_mut_ptr().cast::<QUERY_SERVICE_CONFIGW>(),
            needed,
            &raw mut needed,
        )
    };
    let start_type = (ok != 0).then(|| {
        // SAFETY: the call succeeded, so `buf` holds a QUERY_SERVICE_CONFIGW.
        unsafe { (*buf.as_ptr().cast::<QUERY_SERVICE_CONFIGW>()).dwStartType }
    });
    let mut delayed = SERVICE_DELAYED_AUTO_START_INFO {
        fDelayedAutostart: 0,
    };
    let mut needed = 0u32;
    // SAFETY: `delayed` is live and its size is passed with it.
    let ok = unsafe {
        QueryServiceConfig2W(
            service.0,
            SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
            (&raw mut delayed).cast(),
            size_of::<SERVICE_DELAYED_AUTO_START_INFO>() as u32,
            &raw mut needed,
        )
    };
    (start_type, ok != 0 && delayed.fDelayedAutostart != 0)
}

/// The running processes from a Tool Help snapshot, with their image path where this process
/// may query it.
pub fn processes() -> io::Result<Vec<Process>> {
    // SAFETY: a snapshot of all processes; the handle is checked and closed.
    let snapshot = unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0) };
    if snapshot == INVALID_HANDLE_VALUE {
        return Err(last_error());
    }
    let snapshot = Handle(snapshot);
    // SAFETY: PROCESSENTRY32W is plain data; all zeroes is a valid value.
    let mut entry: PROCESSENTRY32W = unsafe { std::mem::zeroed() };
    entry.dwSize = size_of::<PROCESSENTRY32W>() as u32;
    let mut processes = Vec::new();
    // SAFETY: `entry` is live with its size set.
    let mut ok = unsafe { Process32FirstW(snapshot.0, &raw mut entry) };
    while ok != 0 {
        let pid = entry.th32ProcessID;
        processes.push(Process {
            pid,
            name: from_wide(&entry.szExeFile),
            exe: image_path(pid),
            user: None,
        });
        // SAFETY: as above.
        ok = unsafe { Process32NextW(snapshot.0, &raw mut entry) };
    }
    processes.sort_by_key(|p| p.pid);
    Ok(processes)
}

/// The full path of a process's executable, when this process may query it.
fn image_path(pid: u32) -> Option<String> {
    // SAFETY: the handle is checked and closed.
    let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if process.is_null() {
        return None;
    }
    let process = Handle(process);
    let mut path = [0u16; 1024];
    let mut len = path.len() as u32;
    // SAFETY: `path` is live and its length is passed with it.
    let ok = unsafe {
        QueryFullProcessImageNameW(
            process.0,
            PROCESS_NAME_WIN32,
            path.as_mut_ptr(),
            &raw mut len,
        )
    };
    (ok != 0).then(|| String::from_utf16_lossy(&path[..len as usize]))
}

/// The network adapters with their MAC and unicast addresses (`GetAdaptersAddresses`).
pub fn interfaces() -> io::Result<Vec<InterfaceAddresses>> {
    Ok(walk_adapters(&adapter_addresses(AF_UNSPEC)?))
}

/// `GetAdaptersAddresses` for address `family` (`AF_UNSPEC`, `AF_INET`), anycast, multicast
/// and DNS server entries skipped: the buffer holding its linked list of
/// `IP_ADAPTER_ADDRESSES_LH`, whose pointers all point into it (u64 for the structures'
/// alignment). Shared by the inventory's interfaces and `daicho-scan`'s attached subnets.
pub fn adapter_addresses(family: u16) -> io::Result<Vec<u64>> {
    let flags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER;
    // Microsoft recommends starting with 15 KB.
    let mut size = 15 * 1024u32;
    let mut buf = aligned(size as usize);
    for _ in 0..5 {
        // SAFETY: `buf` is live, aligned and `size` bytes long.
        let rc = unsafe {
            GetAdaptersAddresses(
                u32::from(family),
                flags,
                null(),
                buf.as_mut_ptr().cast::<IP_ADAPTER_ADDRESSES_LH>(),
                &raw mut size,
            )
        };
        match rc {
            ERROR_SUCCESS => return Ok(buf),
            ERROR_BUFFER_OVERFLOW => buf = aligned(size as usize),
            other => return Err(win32_error(other)),
        }
    }
    Err(io::Error::other("the adapter list kept growing"))
}

fn walk_adapters(buf: &[u64]) -> Vec<InterfaceAddresses> {
    let mut out = Vec::new();
    let mut adapter = buf.as_ptr().cast::<IP_ADAPTER_ADDRESSES_LH>();
    while !adapter.is_null() {
        // SAFETY: GetAdaptersAddresses filled `buf` with a linked list of adapters whose
        // pointers all point into `buf`.
        let a = unsafe { &*adapter };
        let mac_len = (a.PhysicalAddressLength as usize).min(a.PhysicalAddress.len());
        let mac = (mac_len == 6).then(|| {
            a.PhysicalAddress[..6]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":")
        });
        let mut addresses = Vec::new();
        let mut unicast = a.FirstUnicastAddress;
        while !unicast.is_null() {
            // SAFETY: as above.
            let u = unsafe { &*unicast };
            // SAFETY: lpSockaddr points to a SOCKADDR of the family it names.
            if let Some(ip) = unsafe { socket_ip(u.Address.lpSockaddr) } {
                addresses.push(format!("{ip}/{}", u.OnLinkPrefixLength));
            }
            unicast = u.Next;
        }
        out.push(InterfaceAddresses {
            // SAFETY: FriendlyName is a NUL-terminated string in `buf`.
            name: unsafe { from_wide_ptr(a.FriendlyName) },
            mac,
            addresses,
        });
        adapter = a.Next;
    }
    out
}

/// The address in a `SOCKADDR` of family `AF_INET` or `AF_INET6`.
///
/// # Safety
/// `sa` is null or points to a socket address as long as its family says.
unsafe fn socket_ip(sa: *const SOCKADDR) -> Option<IpAddr> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: the caller's promise.
    let family = unsafe { (*sa).sa_family };
    if family == AF_INET {
        // SAFETY: an AF_INET address is a SOCKADDR_IN.
        let v4 = unsafe { sa.cast::<SOCKADDR_IN>().read_unaligned() };
        // SAFETY: every view of the IN_ADDR union is the same four bytes.
        let bytes = unsafe { v4.sin_addr.S_un.S_un_b };
        Some(IpAddr::V4(Ipv4Addr::new(
            bytes.s_b1, bytes.s_b2, bytes.s_b3, bytes.s_b4,
        )))
    } else if family == AF_INET6 {
        // SAFETY: an AF_INET6 address is a SOCKADDR_IN6.
        let v6 = unsafe { sa.cast::<SOCKADDR_IN6>().read_unaligned() };
        // SAFETY: every view of the IN6_ADDR union is the same sixteen bytes.
        Some(IpAddr::V6(Ipv6Addr::from(unsafe { v6.sin6_addr.u.Byte })))
    } else {
        None
    }
}
