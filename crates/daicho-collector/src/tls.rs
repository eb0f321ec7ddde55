//! HTTPS: the rustls configuration and the bounded server handshake.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::config::TlsConfig;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{path}: {message}")]
    Pem {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// rustls refused the certificate/key pair.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Builds the rustls server configuration (ring provider, TLS 1.2 and 1.3, HTTP/1.1).
pub fn server_config(tls: &TlsConfig) -> Result<Arc<ServerConfig>, TlsError> {
    let pem_err = |path: &Path, message: String| TlsError::Pem {
        path: path.display().to_string(),
        message,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&tls.cert)
        .map_err(|e| pem_err(&tls.cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| pem_err(&tls.cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(pem_err(&tls.cert, "no certificate found".to_owned()));
    }
    let key =
        PrivateKeyDer::from_pem_file(&tls.key).map_err(|e| pem_err(&tls.key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The server side of TLS: each handshake bounded in time. The connection loop
/// (`server::connections`) runs it in the connection's own task, so one slow client cannot hold
/// up the others, and counts a connection in its handshake against the connection cap.
#[derive(Clone)]
pub struct Handshake {
    acceptor: TlsAcceptor,
    timeout: Duration,
}

impl Handshake {
    /// Handshakes with `config`, each given at most `timeout`.
    pub fn new(config: Arc<ServerConfig>, timeout: Duration) -> Self {
        Self {
            acceptor: TlsAcceptor::from(config),
            timeout,
        }
    }

    /// The TLS stream once the handshake is done; `None` (logged at debug) when it failed or
    /// did not finish in time.
    pub async fn accept(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
    ) -> Option<TlsStream<TcpStream>> {
        match tokio::time::timeout(self.timeout, self.acceptor.accept(stream)).await {
            Ok(Ok(tls)) => Some(tls),
            Ok(Err(e)) => {
                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake timed out");
                None
            }
        }
    }
}
