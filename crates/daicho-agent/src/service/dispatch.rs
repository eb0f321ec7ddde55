//! The service process: `daicho-agent service run --config FILE`, started by the Service
//! Control Manager. It hands the main thread to the dispatcher, which calls [`service_main`];
//! that reports START_PENDING, loads the configuration, logs (to the event log unless `[log]`
//! says otherwise), reports RUNNING and runs the same scheduler as `daicho-agent run` until a
//! stop or shutdown control: that control reports STOP_PENDING with the delivery grace as wait
//! hint and ends the run the way SIGTERM does (a run in progress abandoned, nothing half-written
//! spooled, the spool delivered within the grace), then STOPPED with the exit code.
#![allow(unsafe_code)] // FFI: the dispatcher, the control handler and SetServiceStatus.

use std::ffi::c_void;
use std::path::PathBuf;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::sync::{LazyLock, OnceLock};

use daicho_inventory::windows_live::wide;
use tokio::sync::Notify;
use tracing::{error, info, warn};
use windows_sys::Win32::Foundation::{
    ERROR_CALL_NOT_IMPLEMENTED, ERROR_FAILED_SERVICE_CONTROLLER_CONNECT,
    ERROR_SERVICE_SPECIFIC_ERROR, NO_ERROR,
};
use windows_sys::Win32::System::Services::{
    RegisterServiceCtrlHandlerExW, SERVICE_ACCEPT_SHUTDOWN, SERVICE_ACCEPT_STOP,
    SERVICE_CONTROL_INTERROGATE, SERVICE_CONTROL_SHUTDOWN, SERVICE_CONTROL_STOP, SERVICE_RUNNING,
    SERVICE_START_PENDING, SERVICE_STATUS, SERVICE_STATUS_CURRENT_STATE, SERVICE_STOP_PENDING,
    SERVICE_STOPPED, SERVICE_TABLE_ENTRYW, SERVICE_WIN32_OWN_PROCESS, SetServiceStatus,
    StartServiceCtrlDispatcherW,
};

use super::{SERVICE_NAME, stop_wait_hint};
use crate::cli::run::{EXIT_CONFIG, run_to_end};
use crate::config::{AgentConfig, LogDestination, LogFormat};
use crate::runner::RunMode;

/// The configuration file, from the command line to `service_main`.
static CONFIG: OnceLock<PathBuf> = OnceLock::new();
/// Woken by a stop or shutdown control; the scheduler's shutdown future waits on it.
static STOP: LazyLock<Notify> = LazyLock::new(Notify::new);
/// The handle `SetServiceStatus` reports through.
static STATUS_HANDLE: AtomicPtr<c_void> = AtomicPtr::new(std::ptr::null_mut());
/// The stop wait hint in milliseconds, from the configuration's delivery grace.
static STOP_HINT_MS: AtomicU32 = AtomicU32::new(20_000);
/// The pending state's progress counter, as the Service Control Manager expects it.
static CHECKPOINT: AtomicU32 = AtomicU32::new(0);
/// What the service ended with: 0, or the exit status `run` would have returned.
static EXIT: AtomicU32 = AtomicU32::new(0);

/// Why the process could not serve.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// Started from a console rather than by the Service Control Manager.
    #[error(
        "`service run` is started by the Service Control Manager: use `daicho-agent service start`, or `daicho-agent run` in a console"
    )]
    NotAService,
    /// Another dispatcher failure.
    #[error("the service dispatcher failed: {0}")]
    Os(std::io::Error),
}

/// Serves until the Service Control Manager stops the service; returns the exit status the
/// service reported (0, or `run`'s: 2 configuration, 1 failure).
pub fn serve(config: PathBuf) -> Result<u32, DispatchError> {
    let _ = CONFIG.set(config);
    let mut name = wide(SERVICE_NAME);
    let table = [
        SERVICE_TABLE_ENTRYW {
            lpServiceName: name.as_mut_ptr(),
            lpServiceProc: Some(service_main),
        },
        SERVICE_TABLE_ENTRYW {
            lpServiceName: std::ptr::null_mut(),
            lpServiceProc: None,
        },
    ];
    // SAFETY: a table of one entry and the terminating null entry; it returns once the
    // service has stopped.
    if unsafe { StartServiceCtrlDispatcherW(table.as_ptr()) } == 0 {
        let e = std::io::Error::last_os_error();
        return Err(
            if e.raw_os_error() == Some(ERROR_FAILED_SERVICE_CONTROLLER_CONNECT.cast_signed()) {
                DispatchError::NotAService
            } else {
                DispatchError::Os(e)
            },
        );
    }
    Ok(EXIT.load(Ordering::SeqCst))
}

/// Tells the Service Control Manager the service's state.
fn report(state: SERVICE_STATUS_CURRENT_STATE, exit: u32, wait_hint_ms: u32) {
    let handle = STATUS_HANDLE.load(Ordering::SeqCst);
    if handle.is_null() {
        return;
    }
    let pending = matches!(state, SERVICE_START_PENDING | SERVICE_STOP_PENDING);
    let status = SERVICE_STATUS {
        dwServiceType: SERVICE_WIN32_OWN_PROCESS,
        dwCurrentState: state,
        dwControlsAccepted: if state == SERVICE_RUNNING {
            SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN
        } else {
            0
        },
        dwWin32ExitCode: if exit == 0 {
            NO_ERROR
        } else {
            ERROR_SERVICE_SPECIFIC_ERROR
        },
        dwServiceSpecificExitCode: exit,
        dwCheckPoint: if pending {
            CHECKPOINT.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            0
        },
        dwWaitHint: wait_hint_ms,
    };
    // SAFETY: the handle RegisterServiceCtrlHandlerExW returned; `status` is a valid struct.
    unsafe { SetServiceStatus(handle, &raw const status) };
}

/// The service's entry point, called by the dispatcher on a thread of its own.
unsafe extern "system" fn service_main(_argc: u32, _argv: *mut windows_sys::core::PWSTR) {
    let name = wide(SERVICE_NAME);
    // SAFETY: a NUL-terminated name and a handler that lives as long as the process.
    let handle = unsafe {
        RegisterServiceCtrlHandlerExW(name.as_ptr(), Some(control_handler), std::ptr::null())
    };
    if handle.is_null() {
        EXIT.store(1, Ordering::SeqCst);
        return;
    }
    STATUS_HANDLE.store(handle, Ordering::SeqCst);
    report(SERVICE_START_PENDING, 0, 30_000);
    let exit = run_service();
    EXIT.store(exit, Ordering::SeqCst);
    report(SERVICE_STOPPED, exit, 0);
}

/// Loads the configuration, sets up logging and runs the scheduler until a stop control.
fn run_service() -> u32 {
    let Some(path) = CONFIG.get() else {
        return u32::from(EXIT_CONFIG);
    };
    let config = match AgentConfig::load(path) {
        Ok(config) => config,
        Err(e) => return start_failure(&format!("configuration error: {e}")),
    };
    // A service has no console: standard error would reach no one.
    let destination = match &config.log_to {
        None | Some(LogDestination::Stderr) => &LogDestination::EventLog,
        Some(other) => other,
    };
    if let Err(e) = crate::logging::init(config.log_format, &config.log_level, destination) {
        return start_failure(&format!("configuration error: {}: {e}", path.display()));
    }
    if config.log_to == Some(LogDestination::Stderr) {
        warn!("[log] to = \"stderr\" has no reader in a service: logging to the event log");
    }
    let hint = stop_wait_hint(config.shutdown_grace).as_millis();
    STOP_HINT_MS.store(u32::try_from(hint).unwrap_or(u32::MAX), Ordering::SeqCst);
    info!(config = %path.display(), "service started");
    report(SERVICE_RUNNING, 0, 0);
    match run_to_end(config, RunMode::Scheduled, STOP.notified()) {
        Ok(_) => {
            info!("service stopped");
            0
        }
        Err(_) => 1,
    }
}

/// Says in the event log, the only place a service that did not start can, why it did not;
/// returns the configuration exit status.
fn start_failure(message: &str) -> u32 {
    if crate::logging::init(LogFormat::Human, "error", &LogDestination::EventLog).is_ok() {
        error!("{message}");
    }
    u32::from(EXIT_CONFIG)
}

/// The control handler: stop and shutdown end the run; interrogate is answered by the last
/// reported status.
unsafe extern "system" fn control_handler(
    control: u32,
    _event_type: u32,
    _event_data: *mut c_void,
    _context: *mut c_void,
) -> u32 {
    match control {
        SERVICE_CONTROL_STOP | SERVICE_CONTROL_SHUTDOWN => {
            report(SERVICE_STOP_PENDING, 0, STOP_HINT_MS.load(Ordering::SeqCst));
            // A permit is kept if the scheduler is not waiting yet: the stop is never lost.
            STOP.notify_one();
            NO_ERROR
        }
        SERVICE_CONTROL_INTERROGATE => NO_ERROR,
        _ => ERROR_CALL_NOT_IMPLEMENTED,
    }
}
