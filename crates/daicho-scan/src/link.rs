//! Raw Ethernet I/O behind a small trait, so the sweep logic runs against a simulated LAN in
//! tests and against a pnet datalink channel for real (Unix only).

use std::io;
use std::net::Ipv4Addr;
#[cfg(unix)]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(unix)]
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use daicho_model::MacAddr;
#[cfg(unix)]
use pnet::datalink::{self, Channel, NetworkInterface};
#[cfg(unix)]
use pnet::packet::ethernet::{EtherTypes, EthernetPacket};

/// A frame as received, with the time it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Arrival time.
    pub at: Instant,
    /// The whole Ethernet frame.
    pub frame: Vec<u8>,
}

/// Sends and receives whole Ethernet frames on one interface.
pub trait LinkIo: Send {
    /// Puts one frame on the wire. Only [`crate::gate::PacketGate::send_frame`] calls this.
    fn send(&mut self, frame: &[u8]) -> io::Result<()>;
    /// The next frame addressed to us, waiting at most `timeout`.
    fn recv(&mut self, timeout: Duration) -> io::Result<Option<Received>>;
}

/// Addresses of the interface a sweep runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalInterface {
    /// Interface name, e.g. `eth0`.
    pub name: String,
    /// Its MAC address.
    pub mac: MacAddr,
    /// Its IPv4 address on the swept subnet.
    pub ip: Ipv4Addr,
    /// The subnet's prefix length.
    pub prefix: u8,
}

impl LocalInterface {
    /// True when `ip` is on this interface's subnet (so reachable by ARP).
    pub fn on_link(&self, ip: Ipv4Addr) -> bool {
        ipnet::Ipv4Net::new(self.ip, self.prefix).is_ok_and(|net| net.contains(&ip))
    }
}

/// A pnet datalink channel (not promiscuous) whose receive side runs on its own thread, so
/// frames are timestamped when they arrive even while the sender is pacing.
#[cfg(unix)]
pub struct PnetLink {
    tx: Box<dyn datalink::DataLinkSender>,
    rx: mpsc::Receiver<Received>,
    stop: Arc<AtomicBool>,
}

#[cfg(unix)]
impl PnetLink {
    /// Opens `iface`. Fails with `PermissionDenied` without raw-socket privilege.
    pub fn open(iface: &NetworkInterface, mac: MacAddr) -> io::Result<Self> {
        let config = datalink::Config {
            promiscuous: false,
            read_timeout: Some(Duration::from_millis(50)),
            ..datalink::Config::default()
        };
        let Channel::Ethernet(tx, mut rx) = datalink::channel(iface, config)? else {
            return Err(io::Error::other("unsupported datalink channel type"));
        };
        let (queue, frames) = mpsc::channel();
        let ours = mac.octets();
        let stop_flag = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&stop_flag);
        std::thread::Builder::new()
            .name(format!("daicho-rx-{}", iface.name))
            .spawn(move || {
                loop {
                    match rx.next() {
                        Ok(frame) => {
                            let at = Instant::now();
                            let Some(eth) = EthernetPacket::new(frame) else {
                                continue;
                            };
                            // Only ARP and IPv4 sent to us (unicast) matter to discovery.
                            let kind = eth.get_ethertype();
                            if eth.get_destination().octets() != ours
                                || (kind != EtherTypes::Arp && kind != EtherTypes::Ipv4)
                            {
                                continue;
                            }
                            if queue
                                .send(Received {
                                    at,
                                    frame: frame.to_vec(),
                                })
                                .is_err()
                            {
                                return; // the sweep is over
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                            // Wake up now and then to notice that the sweep has ended.
                            if stop.load(Ordering::Relaxed) {
                                return;
                            }
                        }
                        Err(e) => {
                            tracing::warn!("receiving frames failed: {e}");
                            return;
                        }
                    }
                }
            })?;
        Ok(Self {
            tx,
            rx: frames,
            stop: stop_flag,
        })
    }
}

#[cfg(unix)]
impl Drop for PnetLink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(unix)]
impl LinkIo for PnetLink {
    fn send(&mut self, frame: &[u8]) -> io::Result<()> {
        match self.tx.send_to(frame, None) {
            Some(result) => result,
            None => Err(io::Error::other("datalink send buffer unavailable")),
        }
    }

    fn recv(&mut self, timeout: Duration) -> io::Result<Option<Received>> {
        match self.rx.recv_timeout(timeout) {
            Ok(r) => Ok(Some(r)),
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(io::Error::other("the frame receiver thread stopped"))
            }
        }
    }
}
