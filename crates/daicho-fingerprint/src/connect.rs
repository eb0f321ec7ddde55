//! The network boundary: opening TCP connections and making one UDP exchange. Everything above
//! it is tested in-process with fake services; only [`TcpConnector`] touches real sockets.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UdpSocket};

/// Opens connections to a host's ports.
pub trait Connector: Send + Sync + 'static {
    /// The stream a connection yields.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Connects to `addr` within `timeout`. A refused or timed-out connect means the port is
    /// not open.
    fn connect(
        &self,
        addr: SocketAddr,
        timeout: Duration,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send;

    /// Sends one datagram to `addr` and returns the first reply (at most `max` bytes), or
    /// `None` when nothing came back within `timeout`.
    fn exchange_udp(
        &self,
        addr: SocketAddr,
        request: &[u8],
        timeout: Duration,
        max: usize,
    ) -> impl Future<Output = io::Result<Option<Vec<u8>>>> + Send;
}

/// The real connector: tokio TCP and UDP sockets.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpConnector;

impl Connector for TcpConnector {
    type Stream = TcpStream;

    async fn connect(&self, addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
        stream.set_nodelay(true)?;
        // Closed with one RST when dropped, not a FIN exchange the kernel would carry on
        // (and retransmit) after the socket is gone, out of the scan's packet accounting.
        stream.set_zero_linger()?;
        Ok(stream)
    }

    async fn exchange_udp(
        &self,
        addr: SocketAddr,
        request: &[u8],
        timeout: Duration,
        max: usize,
    ) -> io::Result<Option<Vec<u8>>> {
        let bind: SocketAddr = if addr.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(bind).await?;
        // connect() makes the kernel drop datagrams from any other source.
        socket.connect(addr).await?;
        socket.send(request).await?;
        let mut buf = vec![0u8; max];
        match tokio::time::timeout(timeout, socket.recv(&mut buf)).await {
            Err(_) => Ok(None),
            Ok(Ok(n)) => {
                buf.truncate(n);
                Ok(Some(buf))
            }
            // ICMP port unreachable surfaces as ConnectionRefused: closed, not an error.
            Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => Ok(None),
            Ok(Err(e)) => Err(e),
        }
    }
}
