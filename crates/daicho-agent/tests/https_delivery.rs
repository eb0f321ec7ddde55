//! Delivery over HTTPS (rustls + ring) to a collector with a private CA: trusted through
//! `collector.ca_file`, refused (and kept in the spool) without it.

#[path = "common/agent_process.rs"]
#[allow(dead_code)] // shared helpers; this file uses a subset
mod agent_process;

use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_process::{AgentProcess, pending_files, write_config};
use daicho_model::ScanReport;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use uuid::Uuid;

/// A private CA and a server certificate for 127.0.0.1 signed by it (`ca.pem`, `server.pem`,
/// `server.key` in `dir`).
fn make_certificates(dir: &Path) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "daicho test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("server.pem"), server.pem()).unwrap();
    std::fs::write(dir.join("server.key"), server_key.serialize_pem()).unwrap();
}

/// A minimal HTTPS endpoint that stores each report it can read and answers 201.
async fn start_tls_collector(dir: &Path) -> (u16, Arc<Mutex<Vec<Uuid>>>) {
    daicho_agent::delivery::install_crypto_provider();
    let certs = vec![CertificateDer::from_pem_file(dir.join("server.pem")).unwrap()];
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&received);
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            let sink = Arc::clone(&sink);
            tokio::spawn(async move {
                // A failed handshake (untrusted certificate) just ends the connection.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut data = Vec::new();
                let mut buf = [0u8; 16384];
                let (head_end, length) = loop {
                    let n = tls.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(&buf[..n]);
                    if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        assert!(head.starts_with("post /api/v1/reports "), "{head}");
                        assert!(
                            head.contains("authorization: bearer test-token-123"),
                            "{head}"
                        );
                        break (end + 4, length);
                    }
                };
                while data.len() < head_end + length {
                    let n = tls.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(&buf[..n]);
                }
                let mut json = Vec::new();
                flate2::read::GzDecoder::new(&data[head_end..head_end + length])
                    .read_to_end(&mut json)
                    .unwrap();
                let report = ScanReport::from_json(&json).unwrap();
                sink.lock().unwrap().push(report.report_id);
                let body = format!(
                    r#"{{"report_id":"{}","duplicate":false,"devices":1}}"#,
                    report.report_id
                );
                let response = format!(
                    "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_ca_is_trusted_through_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let (port, received) = start_tls_collector(dir.path()).await;
    let config = write_config(dir.path(), &format!("https://127.0.0.1:{port}/"), "1h", "");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "token_file = \"token\"",
        "token_file = \"token\"\nca_file = \"ca.pem\"",
    );
    std::fs::write(&config, text).unwrap();
    let mut agent = AgentProcess::start(&config, &["--once"]);
    let status = agent.wait(Duration::from_mins(1));
    assert!(status.success(), "{}", agent.dump());
    assert_eq!(*received.lock().unwrap(), agent.ids("report spooled"));
    assert!(pending_files(dir.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ca_is_refused_and_the_report_kept() {
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let (port, received) = start_tls_collector(dir.path()).await;
    let config = write_config(dir.path(), &format!("https://127.0.0.1:{port}/"), "1h", "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("shutdown_grace = \"10s\"", "shutdown_grace = \"1s\"");
    std::fs::write(&config, text).unwrap();
    let mut agent = AgentProcess::start(&config, &["--once"]);
    let status = agent.wait(Duration::from_mins(1));
    assert_eq!(status.code(), Some(75), "{}", agent.dump());
    assert!(received.lock().unwrap().is_empty());
    assert_eq!(pending_files(dir.path()).len(), 1);
    assert!(
        agent.dump().to_lowercase().contains("certificate"),
        "{}",
        agent.dump()
    );
}
