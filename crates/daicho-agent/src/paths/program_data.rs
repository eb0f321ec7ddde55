//! Where Windows keeps machine-wide application data: the known folder `FOLDERID_ProgramData`
//! (`C:\ProgramData`). Asked of the shell rather than read from the `ProgramData` variable,
//! which a service's environment need not carry as the user's does (Wine gives services
//! `C:\users\Public`).
#![allow(unsafe_code)] // FFI: one documented shell call and the free it requires.

use std::path::PathBuf;

use daicho_inventory::windows_live::from_wide_ptr;
use windows_sys::Win32::System::Com::CoTaskMemFree;
use windows_sys::Win32::UI::Shell::{FOLDERID_ProgramData, SHGetKnownFolderPath};

/// The ProgramData folder, `None` when Windows names none.
pub fn program_data() -> Option<PathBuf> {
    let mut path: windows_sys::core::PWSTR = std::ptr::null_mut();
    // SAFETY: a known-folder id, no flags, no token (this user), and a live out-pointer.
    let hr = unsafe {
        SHGetKnownFolderPath(
            &FOLDERID_ProgramData,
            0,
            std::ptr::null_mut(),
            &raw mut path,
        )
    };
    // SAFETY: on success `path` is a NUL-terminated string (null otherwise).
    let text = (hr >= 0).then(|| unsafe { from_wide_ptr(path) });
    // SAFETY: the buffer SHGetKnownFolderPath allocated (it must be freed even on failure).
    unsafe { CoTaskMemFree(path.cast()) };
    text.filter(|t| !t.is_empty()).map(PathBuf::from)
}
