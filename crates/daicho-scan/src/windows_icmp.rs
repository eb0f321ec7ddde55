//! ICMP echo through Windows' IP Helper (`IcmpSendEcho`): no raw socket, no administrator
//! rights, no packet driver. An echo blocks until its reply or its timeout, so each runs on a
//! short-lived thread and its reply is queued for [`crate::probe::KernelProbes`] to poll, as
//! the raw socket's replies are on Unix. Only sent through the gate, like every probe.
#![allow(unsafe_code)] // FFI: every block below is one documented Windows API call.

use std::io;
use std::net::Ipv4Addr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::INVALID_HANDLE_VALUE;
use windows_sys::Win32::NetworkManagement::IpHelper::{
    ICMP_ECHO_REPLY, IP_SUCCESS, IcmpCloseHandle, IcmpCreateFile, IcmpSendEcho,
};

/// How long one echo waits for its reply (probing listens `echo_wait` per round; a later reply
/// is still counted when it comes).
const ECHO_TIMEOUT: Duration = Duration::from_secs(1);

/// The echo's payload, the same as the raw path's.
const PAYLOAD: &[u8; 16] = b"daicho-discovery";

/// An echo reply: who answered, the TTL of the reply, and the echo it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoReply {
    /// Who answered.
    pub ip: Ipv4Addr,
    /// The reply's TTL.
    pub ttl: u8,
    /// The identifier the prober gave the echo.
    pub ident: u16,
    /// The sequence number the prober gave the echo.
    pub seq: u16,
    /// When the reply arrived.
    pub at: Instant,
}

/// Echoes in flight and the replies they brought.
#[derive(Debug)]
pub struct IcmpEchoes {
    tx: mpsc::Sender<EchoReply>,
    rx: mpsc::Receiver<EchoReply>,
}

impl IcmpEchoes {
    /// Checks that the IP Helper's ICMP service opens.
    pub fn new() -> io::Result<Self> {
        drop(Icmp::open()?);
        let (tx, rx) = mpsc::channel();
        Ok(Self { tx, rx })
    }

    /// Sends one echo to `ip` on a thread of its own. IcmpSendEcho chooses the identifier and
    /// sequence number on the wire; a reply is matched to this call, so it carries `ident` and
    /// `seq` back to the prober.
    pub fn send(&self, ip: Ipv4Addr, ident: u16, seq: u16) -> io::Result<()> {
        let icmp = Icmp::open()?;
        let tx = self.tx.clone();
        std::thread::Builder::new()
            .name("daicho-icmp".into())
            .spawn(move || {
                if let Some((from, ttl)) = icmp.echo(ip) {
                    // The prober may be gone: a reply nobody waits for is dropped.
                    let _ = tx.send(EchoReply {
                        ip: from,
                        ttl,
                        ident,
                        seq,
                        at: Instant::now(),
                    });
                }
            })?;
        Ok(())
    }

    /// A reply that has arrived, if any.
    pub fn next(&self) -> Option<EchoReply> {
        self.rx.try_recv().ok()
    }
}

/// An ICMP handle, closed on drop.
struct Icmp(windows_sys::Win32::Foundation::HANDLE);

// SAFETY: an ICMP handle is a plain kernel handle, usable from any thread.
unsafe impl Send for Icmp {}

impl Icmp {
    fn open() -> io::Result<Self> {
        // SAFETY: no arguments; the handle is checked and closed on drop.
        let handle = unsafe { IcmpCreateFile() };
        if handle == INVALID_HANDLE_VALUE {
            return Err(io::Error::last_os_error());
        }
        Ok(Self(handle))
    }

    /// One echo to `ip`: the replier and the reply's TTL, or `None` when nothing (or only an
    /// ICMP error) came back within [`ECHO_TIMEOUT`].
    fn echo(&self, ip: Ipv4Addr) -> Option<(Ipv4Addr, u8)> {
        // Room for one reply, its echoed data and an ICMP error's 8 bytes, as documented.
        let mut buf = vec![0u64; (size_of::<ICMP_ECHO_REPLY>() + PAYLOAD.len() + 8).div_ceil(8)];
        // SAFETY: the payload and `buf` are live and their sizes are passed with them;
        // `buf` is aligned for ICMP_ECHO_REPLY.
        let replies = unsafe {
            IcmpSendEcho(
                self.0,
                u32::from_ne_bytes(ip.octets()),
                PAYLOAD.as_ptr().cast(),
                PAYLOAD.len() as u16,
                std::ptr::null(),
                buf.as_mut_ptr().cast(),
                (buf.len() * 8) as u32,
                ECHO_TIMEOUT.as_millis() as u32,
            )
        };
        if replies == 0 {
            return None;
        }
        // SAFETY: one reply or more were written at the start of `buf`.
        let reply = unsafe { buf.as_ptr().cast::<ICMP_ECHO_REPLY>().read() };
        (reply.Status == IP_SUCCESS).then(|| {
            (
                Ipv4Addr::from(reply.Address.to_ne_bytes()),
                reply.Options.Ttl,
            )
        })
    }
}

impl Drop for Icmp {
    fn drop(&mut self) {
        // SAFETY: the handle was opened by IcmpCreateFile and is closed once.
        unsafe { IcmpCloseHandle(self.0) };
    }
}
