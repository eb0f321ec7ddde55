//! `daicho-agent service install|uninstall|start|stop`: the Service Control Manager calls.
//! Installing, removing, starting and stopping a service need administrator rights; an
//! `ERROR_ACCESS_DENIED` becomes [`ManageError::NotAdministrator`].
#![allow(unsafe_code)] // FFI: each block is one documented Service Control Manager call.

use std::io;
use std::path::Path;
use std::ptr::{null, null_mut};
use std::time::{Duration, Instant};

use daicho_inventory::windows_live::wide;
use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_SERVICE_ALREADY_RUNNING, ERROR_SERVICE_DOES_NOT_EXIST,
    ERROR_SERVICE_EXISTS, ERROR_SERVICE_NOT_ACTIVE, ERROR_SERVICE_SPECIFIC_ERROR, GetLastError,
};
use windows_sys::Win32::System::Services::{
    ChangeServiceConfig2W, CloseServiceHandle, ControlService, CreateServiceW, DeleteService,
    OpenSCManagerW, OpenServiceW, QueryServiceStatus, SC_HANDLE, SC_MANAGER_CONNECT,
    SC_MANAGER_CREATE_SERVICE, SERVICE_AUTO_START, SERVICE_CHANGE_CONFIG,
    SERVICE_CONFIG_DESCRIPTION, SERVICE_CONTROL_STOP, SERVICE_DESCRIPTIONW, SERVICE_ERROR_NORMAL,
    SERVICE_QUERY_STATUS, SERVICE_RUNNING, SERVICE_START, SERVICE_STATUS, SERVICE_STOP,
    SERVICE_STOPPED, SERVICE_WIN32_OWN_PROCESS, StartServiceW,
};

use super::{DESCRIPTION, DISPLAY_NAME, SERVICE_NAME};
use crate::logging::eventlog;

/// The standard `DELETE` access right (winnt.h), needed to remove a service.
const DELETE: u32 = 0x0001_0000;
/// How long `start` waits for the service to report running.
const START_TIMEOUT: Duration = Duration::from_mins(1);
/// How long `stop` waits at least (the service's own wait hint may ask for more).
const STOP_TIMEOUT: Duration = Duration::from_mins(1);

/// Why a service command failed.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// The caller is not an administrator (or not elevated).
    #[error(
        "{0} needs administrator rights: run it from a command prompt opened with \"Run as administrator\""
    )]
    NotAdministrator(&'static str),
    /// `install` found the service already there.
    #[error(
        "the service {SERVICE_NAME} is already installed (`daicho-agent service uninstall` first to change it)"
    )]
    AlreadyInstalled,
    /// The service is not installed.
    #[error("the service {SERVICE_NAME} is not installed")]
    NotInstalled,
    /// The service stopped while starting.
    #[error(
        "the service {SERVICE_NAME} stopped while starting (exit code {0}; 2 = configuration error): see the Application event log, source {SERVICE_NAME}"
    )]
    StoppedAtStart(u32),
    /// The service did not reach the state in time.
    #[error("the service {SERVICE_NAME} is not {0} after {1:?}")]
    Timeout(&'static str, Duration),
    /// Another Windows error.
    #[error("{0}: {1}")]
    Os(&'static str, io::Error),
}

/// An open Service Control Manager or service handle, closed on drop.
struct Handle(SC_HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: a handle from OpenSCManagerW/OpenServiceW/CreateServiceW, closed once.
        unsafe { CloseServiceHandle(self.0) };
    }
}

/// The last Windows error of a call made for `what`, access denied named as such.
fn last_error(what: &'static str) -> ManageError {
    // SAFETY: reads the calling thread's last-error value.
    let code = unsafe { GetLastError() };
    match code {
        ERROR_ACCESS_DENIED => ManageError::NotAdministrator(what),
        ERROR_SERVICE_DOES_NOT_EXIST => ManageError::NotInstalled,
        _ => ManageError::Os(what, io::Error::from_raw_os_error(code.cast_signed())),
    }
}

fn open_manager(access: u32, what: &'static str) -> Result<Handle, ManageError> {
    // SAFETY: null machine and database = this machine's active database.
    let handle = unsafe { OpenSCManagerW(null(), null(), access) };
    if handle.is_null() {
        return Err(last_error(what));
    }
    Ok(Handle(handle))
}

fn open_service(access: u32, what: &'static str) -> Result<Handle, ManageError> {
    let manager = open_manager(SC_MANAGER_CONNECT, what)?;
    let name = wide(SERVICE_NAME);
    // SAFETY: an open manager handle and a NUL-terminated name.
    let handle = unsafe { OpenServiceW(manager.0, name.as_ptr(), access) };
    if handle.is_null() {
        return Err(last_error(what));
    }
    Ok(Handle(handle))
}

fn query(service: &Handle) -> Result<SERVICE_STATUS, ManageError> {
    let mut status = SERVICE_STATUS::default();
    // SAFETY: an open service handle with SERVICE_QUERY_STATUS; `status` is writable.
    if unsafe { QueryServiceStatus(service.0, &raw mut status) } == 0 {
        return Err(last_error("querying the service"));
    }
    Ok(status)
}

/// Registers the service (automatic start, LocalSystem) with `exe service run --config
/// CONFIG` as its command line, and the event log source. Refuses when it is installed.
pub fn install(exe: &Path, config: &Path) -> Result<(), ManageError> {
    let command = super::command_line(exe, config)
        .map_err(|e| ManageError::Os("installing", io::Error::other(e)))?;
    let manager = open_manager(
        SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE,
        "installing the service",
    )?;
    let (name, display, command) = (wide(SERVICE_NAME), wide(DISPLAY_NAME), wide(&command));
    // SAFETY: an open manager handle and NUL-terminated strings; null account = LocalSystem,
    // no group, tag, dependencies or password.
    let handle = unsafe {
        CreateServiceW(
            manager.0,
            name.as_ptr(),
            display.as_ptr(),
            SERVICE_CHANGE_CONFIG | SERVICE_QUERY_STATUS | DELETE,
            SERVICE_WIN32_OWN_PROCESS,
            SERVICE_AUTO_START,
            SERVICE_ERROR_NORMAL,
            command.as_ptr(),
            null(),
            null_mut(),
            null(),
            null(),
            null(),
        )
    };
    if handle.is_null() {
        // SAFETY: reads the calling thread's last-error value.
        if unsafe { GetLastError() } == ERROR_SERVICE_EXISTS {
            return Err(ManageError::AlreadyInstalled);
        }
        return Err(last_error("installing the service"));
    }
    let service = Handle(handle);
    let mut description = wide(DESCRIPTION);
    let info = SERVICE_DESCRIPTIONW {
        lpDescription: description.as_mut_ptr(),
    };
    // SAFETY: an open service handle with SERVICE_CHANGE_CONFIG and a description struct
    // pointing to a NUL-terminated string. A refused description leaves a working service.
    unsafe {
        ChangeServiceConfig2W(
            service.0,
            SERVICE_CONFIG_DESCRIPTION,
            (&raw const info).cast(),
        )
    };
    if let Err(e) = eventlog::register_source() {
        // No half-installed service: without its event source it could not report.
        // SAFETY: the service just created, opened with DELETE.
        unsafe { DeleteService(service.0) };
        return Err(match e.raw_os_error() {
            Some(code) if code == ERROR_ACCESS_DENIED.cast_signed() => {
                ManageError::NotAdministrator("registering the event log source")
            }
            _ => ManageError::Os("registering the event log source", e),
        });
    }
    Ok(())
}

/// Stops the service when it runs, removes it and its event log source.
pub fn uninstall() -> Result<(), ManageError> {
    let service = open_service(
        SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE,
        "removing the service",
    )?;
    if query(&service)?.dwCurrentState != SERVICE_STOPPED {
        stop_and_wait(&service)?;
    }
    // SAFETY: an open service handle with DELETE; Windows removes it once every handle closes.
    if unsafe { DeleteService(service.0) } == 0 {
        return Err(last_error("removing the service"));
    }
    drop(service);
    eventlog::remove_source().map_err(|e| ManageError::Os("removing the event log source", e))
}

/// Starts the service and waits until it runs. Already running is success.
pub fn start() -> Result<(), ManageError> {
    let service = open_service(SERVICE_START | SERVICE_QUERY_STATUS, "starting the service")?;
    // SAFETY: an open service handle with SERVICE_START; no arguments.
    if unsafe { StartServiceW(service.0, 0, null()) } == 0 {
        // SAFETY: reads the calling thread's last-error value.
        if unsafe { GetLastError() } != ERROR_SERVICE_ALREADY_RUNNING {
            return Err(last_error("starting the service"));
        }
    }
    let started = Instant::now();
    loop {
        let status = query(&service)?;
        match status.dwCurrentState {
            SERVICE_RUNNING => return Ok(()),
            SERVICE_STOPPED => {
                return Err(ManageError::StoppedAtStart(
                    if status.dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR {
                        status.dwServiceSpecificExitCode
                    } else {
                        status.dwWin32ExitCode
                    },
                ));
            }
            _ if started.elapsed() < START_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(200));
            }
            _ => return Err(ManageError::Timeout("running", START_TIMEOUT)),
        }
    }
}

/// Stops the service and waits until it has stopped. Not running is success.
pub fn stop() -> Result<(), ManageError> {
    let service = open_service(SERVICE_STOP | SERVICE_QUERY_STATUS, "stopping the service")?;
    stop_and_wait(&service)
}

fn stop_and_wait(service: &Handle) -> Result<(), ManageError> {
    let mut status = SERVICE_STATUS::default();
    // SAFETY: an open service handle with SERVICE_STOP; `status` is writable.
    if unsafe { ControlService(service.0, SERVICE_CONTROL_STOP, &raw mut status) } == 0 {
        // SAFETY: reads the calling thread's last-error value.
        if unsafe { GetLastError() } == ERROR_SERVICE_NOT_ACTIVE {
            return Ok(());
        }
        return Err(last_error("stopping the service"));
    }
    // The service says how long its stop may take (the spool's delivery grace).
    let timeout = STOP_TIMEOUT.max(Duration::from_millis(status.dwWaitHint.into()));
    let started = Instant::now();
    while query(service)?.dwCurrentState != SERVICE_STOPPED {
        if started.elapsed() > timeout {
            return Err(ManageError::Timeout("stopped", timeout));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}
