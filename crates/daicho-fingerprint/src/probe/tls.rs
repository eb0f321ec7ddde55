//! TLS: a handshake whose only purpose is to read the server's certificate (subject, issuer,
//! names, validity). The verifier accepts any certificate because nothing secret is sent and
//! nothing received is trusted; it is used only to see what the appliance calls itself.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use x509_parser::extensions::GeneralName;

use crate::wire::{WireError, clean_text};

/// What a server certificate says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertInfo {
    /// Subject distinguished name, e.g. `C=US, O=Fortinet, OU=FortiGate, CN=FGT60E…`.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Subject common names.
    pub common_names: Vec<String>,
    /// Subject organisations (O=).
    pub organizations: Vec<String>,
    /// Subject organisational units (OU=).
    pub units: Vec<String>,
    /// DNS names from the subject alternative name extension.
    pub dns_names: Vec<String>,
    /// End of validity, Unix seconds.
    pub not_after: i64,
    /// True when subject and issuer are the same name.
    pub self_signed: bool,
}

/// The TLS version and cipher suite the server chose, with its certificate when it sent one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSession {
    /// Negotiated protocol version, e.g. `TLSv1_3`.
    pub version: String,
    /// The server's leaf certificate, parsed.
    pub cert: Option<CertInfo>,
}

/// Parses a DER certificate; `None` when it is not one.
pub fn parse_certificate(der: &[u8]) -> Option<CertInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let strings = |it: &mut dyn Iterator<Item = &x509_parser::x509::AttributeTypeAndValue<'_>>| {
        it.filter_map(|a| a.as_str().ok())
            .map(|s| clean_text(s, 128))
            .take(8)
            .collect::<Vec<_>>()
    };
    let subject = cert.subject();
    let dns_names = match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|g| match g {
                GeneralName::DNSName(n) => Some(clean_text(n, 128)),
                _ => None,
            })
            .take(16)
            .collect(),
        _ => Vec::new(),
    };
    Some(CertInfo {
        subject: clean_text(&subject.to_string(), 400),
        issuer: clean_text(&cert.issuer().to_string(), 400),
        common_names: strings(&mut subject.iter_common_name()),
        organizations: strings(&mut subject.iter_organization()),
        units: strings(&mut subject.iter_organizational_unit()),
        dns_names,
        not_after: cert.validity().not_after.timestamp(),
        self_signed: cert.subject() == cert.issuer(),
    })
}

#[derive(Debug)]
struct ReadOnlyVerifier {
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for ReadOnlyVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // Accepted only so that the certificate can be read; the session carries nothing.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

fn connector() -> TlsConnector {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let schemes = provider
            .signature_verification_algorithms
            .supported_schemes();
        let config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .expect("ring supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ReadOnlyVerifier { schemes }))
            .with_no_client_auth();
        Arc::new(config)
    });
    TlsConnector::from(Arc::clone(config))
}

/// Runs a handshake over `stream` (no SNI for an address) and returns the session with the
/// parsed certificate, plus the encrypted stream for a follow-up request.
pub async fn handshake<S>(
    stream: S,
    ip: IpAddr,
    wait: Duration,
) -> Result<(TlsSession, TlsStream<S>), WireError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let server_name = ServerName::IpAddress(ip.into());
    let tls = match tokio::time::timeout(wait, connector().connect(server_name, stream)).await {
        Err(_) => return Err(WireError::Silent(wait)),
        Ok(Err(e)) => return Err(WireError::Malformed(format!("TLS handshake: {e}"))),
        Ok(Ok(s)) => s,
    };
    let (_, conn) = tls.get_ref();
    let version = conn
        .protocol_version()
        .map_or_else(|| "unknown".to_owned(), |v| format!("{v:?}"));
    let cert = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .and_then(|der| parse_certificate(der));
    Ok((TlsSession { version, cert }, tls))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, KeyPair};
    use tokio_rustls::TlsAcceptor;

    /// A server config with a self-signed certificate carrying the given subject parts.
    pub(crate) fn server_config(
        o: &str,
        ou: &str,
        cn: &str,
    ) -> (Arc<rustls::ServerConfig>, Vec<u8>) {
        let mut params = CertificateParams::new(vec!["fw.example.invalid".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CountryName, "JP");
        params.distinguished_name.push(DnType::OrganizationName, o);
        params
            .distinguished_name
            .push(DnType::OrganizationalUnitName, ou);
        params.distinguished_name.push(DnType::CommonName, cn);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let der = cert.der().to_vec();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(der.clone())],
                rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
            )
            .unwrap();
        (Arc::new(config), der)
    }

    #[test]
    fn parses_a_fortigate_style_certificate() {
        let (_, der) = server_config("Fortinet", "FortiGate", "FGT60E0000000001");
        let info = parse_certificate(&der).unwrap();
        assert_eq!(info.organizations, vec!["Fortinet"]);
        assert_eq!(info.units, vec!["FortiGate"]);
        assert_eq!(info.common_names, vec!["FGT60E0000000001"]);
        assert_eq!(info.dns_names, vec!["fw.example.invalid"]);
        assert!(info.self_signed);
        assert!(info.subject.contains("O=Fortinet"), "{}", info.subject);
    }

    #[tokio::test]
    async fn handshake_reads_the_certificate_in_process() {
        let (config, _) = server_config("Example Hospital", "IT", "pacs.example.invalid");
        let (client, server) = tokio::io::duplex(64 * 1024);
        tokio::spawn(async move {
            let _ = TlsAcceptor::from(config).accept(server).await;
        });
        let (session, _) = handshake(
            client,
            "198.18.0.10".parse().unwrap(),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        let cert = session.cert.unwrap();
        assert_eq!(cert.common_names, vec!["pacs.example.invalid"]);
        assert_eq!(session.version, "TLSv1_3");
    }

    #[tokio::test]
    async fn garbage_instead_of_a_handshake_is_an_error() {
        use tokio::io::AsyncWriteExt;
        let (client, mut server) = tokio::io::duplex(4096);
        tokio::spawn(async move {
            let _ = server
                .write_all(b"SSH-2.0-OpenSSH_9.2\r\n\x16\x03\x01\xff\xff")
                .await;
        });
        let r = handshake(
            client,
            "198.18.0.10".parse().unwrap(),
            Duration::from_secs(2),
        )
        .await;
        assert!(matches!(
            r,
            Err(WireError::Malformed(_) | WireError::Silent(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn certificate_parser_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..1500)) {
            let _ = parse_certificate(&data);
        }
    }
}
