//! Every probe against an in-process fake service over `tokio::io::duplex`: no network.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::Mutex;
use tokio_rustls::TlsAcceptor;

use super::*;
use crate::probe::{database, dicom, ntlm, rdp, smb};

fn limits() -> Limits {
    Limits {
        max_bytes: 64 * 1024,
        read_timeout: Duration::from_millis(400),
        probe_timeout: Duration::from_secs(3),
        greeting_wait: Duration::from_millis(250),
    }
}

fn ctx() -> ProbeContext<'static> {
    ProbeContext {
        ip: "198.18.0.10".parse().unwrap(),
        port: 0,
        limits: limits(),
        table: ServiceTable::in_use(),
        dicom_calling_ae: "DAICHO",
        dicom_called_ae: "ANY-SCP",
    }
}

/// Everything the fake server received, for assertions about what we sent.
type Received = Arc<Mutex<Vec<u8>>>;

/// Starts `server` on one end of a duplex pipe and returns the other end.
fn fake<F, Fut>(server: F) -> (DuplexStream, Received)
where
    F: FnOnce(DuplexStream, Received) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (client, server_end) = tokio::io::duplex(256 * 1024);
    let received = Received::default();
    tokio::spawn(server(server_end, Arc::clone(&received)));
    (client, received)
}

/// Reads one chunk from the client into `received` and returns it.
async fn recv(s: &mut DuplexStream, received: &Received) -> Vec<u8> {
    let mut buf = vec![0u8; 8192];
    let n = s.read(&mut buf).await.unwrap_or(0);
    buf.truncate(n);
    received.lock().await.extend_from_slice(&buf);
    buf
}

/// A fake that writes `reply` at once and then keeps the connection open.
fn speaks(reply: &'static [u8]) -> (DuplexStream, Received) {
    fake(move |mut s, received| async move {
        let _ = s.write_all(reply).await;
        recv(&mut s, &received).await;
    })
}

#[tokio::test]
async fn ssh_banner_with_distro_revision() {
    let (mut c, _) = speaks(b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n");
    let f = run(ProbeKind::Greeting, &mut c, &ctx()).await.unwrap();
    assert_eq!(f.name.as_deref(), Some("ssh"));
    assert_eq!(f.product.as_deref(), Some("OpenSSH"));
    assert_eq!(f.version.as_deref(), Some("8.9p1"));
    assert!(
        f.evidence[0].contains("Ubuntu-3ubuntu0.6"),
        "{:?}",
        f.evidence
    );
    assert!(matches!(f.facts[0], Fact::Ssh(_)));
}

#[tokio::test]
async fn multi_line_ftp_greeting_is_read_whole() {
    let (mut c, _) = fake(|mut s, received| async move {
        s.write_all(b"220-Welcome to the ward file server\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        s.write_all(b"220 (vsFTPd 3.0.3)\r\n").await.unwrap();
        recv(&mut s, &received).await;
    });
    let f = run(ProbeKind::Greeting, &mut c, &ctx()).await.unwrap();
    assert_eq!(
        (
            f.name.as_deref(),
            f.product.as_deref(),
            f.version.as_deref()
        ),
        (Some("ftp"), Some("vsftpd"), Some("3.0.3"))
    );
}

#[tokio::test]
async fn mysql_and_vnc_greetings() {
    let greeting: &'static [u8] =
        Box::leak(database::tests::mysql_handshake("8.0.36-0ubuntu0.22.04.1").into_boxed_slice());
    let (mut c, _) = speaks(greeting);
    let f = run(ProbeKind::Greeting, &mut c, &ctx()).await.unwrap();
    assert_eq!(
        (
            f.name.as_deref(),
            f.product.as_deref(),
            f.version.as_deref()
        ),
        (Some("mysql"), Some("MySQL"), Some("8.0.36"))
    );
    let (mut c, _) = speaks(b"RFB 003.008\n");
    let f = run(ProbeKind::Greeting, &mut c, &ctx()).await.unwrap();
    assert_eq!(
        (f.name.as_deref(), f.version.as_deref()),
        (Some("vnc"), Some("3.8"))
    );
}

#[tokio::test]
async fn silent_greeting_leaves_the_stream_usable() {
    let (mut c, received) = fake(|mut s, received| async move {
        let req = recv(&mut s, &received).await;
        if req.starts_with(b"GET / HTTP/1.0\r\n") {
            s.write_all(
                b"HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 (Debian)\r\n\r\n<title>Ward</title>",
            )
            .await
            .unwrap();
        }
    });
    let f = run(ProbeKind::Greeting, &mut c, &ctx()).await.unwrap();
    assert!(f.silent && f.name.is_none());
    assert!(
        received.lock().await.is_empty(),
        "greeting probe sends nothing"
    );
    let f = run(ProbeKind::Http, &mut c, &ctx()).await.unwrap();
    assert_eq!(
        (f.product.as_deref(), f.version.as_deref()),
        (Some("Apache httpd"), Some("2.4.57"))
    );
    assert!(
        f.evidence.iter().any(|e| e.contains("Ward")),
        "{:?}",
        f.evidence
    );
}

#[tokio::test]
async fn telnet_options_are_refused_and_prompt_read() {
    let (mut c, received) = fake(|mut s, received| async move {
        s.write_all(&[255, 253, 24, 255, 253, 31, 255, 251, 1])
            .await
            .unwrap();
        let answer = recv(&mut s, &received).await;
        if answer == [255, 252, 24, 255, 252, 31, 255, 254, 1] {
            s.write_all(b"\r\nUser Access Verification\r\n\r\nUsername: ")
                .await
                .unwrap();
        }
        recv(&mut s, &received).await;
    });
    let f = run(ProbeKind::Telnet, &mut c, &ctx()).await.unwrap();
    assert_eq!(f.name.as_deref(), Some("telnet"));
    assert_eq!(f.product.as_deref(), Some("Cisco telnetd"));
    assert!(matches!(&f.facts[0], Fact::OsHint { family, .. } if family == "network"));
    let sent = received.lock().await.clone();
    assert!(
        !sent.windows(2).any(|w| w == [255, 251] || w == [255, 253]),
        "we never agree to an option"
    );
}

#[tokio::test]
async fn telnet_found_by_greeting_probe() {
    let (mut c, _) = fake(|mut s, received| async move {
        s.write_all(&[255, 251, 3]).await.unwrap();
        recv(&mut s, &received).await;
        s.write_all(b"Ubuntu 22.04.4 LTS\r\nward login: ")
            .await
            .unwrap();
        recv(&mut s, &received).await;
    });
    let f = run(ProbeKind::Greeting, &mut c, &ctx()).await.unwrap();
    assert_eq!(f.name.as_deref(), Some("telnet"));
    assert!(
        matches!(&f.facts[0], Fact::OsHint { name: Some(n), .. } if n.starts_with("Ubuntu 22.04"))
    );
}

#[tokio::test]
async fn http_iis_redirect() {
    let (mut c, _) = fake(|mut s, received| async move {
        recv(&mut s, &received).await;
        s.write_all(b"HTTP/1.1 302 Found\r\nServer: Microsoft-IIS/8.5\r\nLocation: /owa/\r\n\r\n")
            .await
            .unwrap();
    });
    let f = run(ProbeKind::Http, &mut c, &ctx()).await.unwrap();
    assert_eq!(
        (
            f.name.as_deref(),
            f.product.as_deref(),
            f.version.as_deref()
        ),
        (Some("http"), Some("Microsoft IIS httpd"), Some("8.5"))
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("redirect") && e.contains("/owa/"))
    );
    assert!(
        f.facts
            .contains(&Fact::HttpServer("Microsoft-IIS/8.5".into()))
    );
}

#[tokio::test]
async fn unknown_http_server_uses_its_own_words() {
    let (mut c, _) = fake(|mut s, received| async move {
        recv(&mut s, &received).await;
        s.write_all(b"HTTP/1.0 200 OK\r\nServer: ORCA-API/5.2.0 (x)\r\n\r\n")
            .await
            .unwrap();
    });
    let f = run(ProbeKind::Http, &mut c, &ctx()).await.unwrap();
    assert_eq!(
        (f.product.as_deref(), f.version.as_deref()),
        (Some("ORCA-API"), Some("5.2.0"))
    );
}

#[tokio::test]
async fn tls_fortigate_certificate_then_https() {
    let (config, _) = tls::tests::server_config("Fortinet", "FortiGate", "FGT60E0000000001");
    let (mut c, _) = fake(move |s, _| async move {
        let Ok(mut t) = TlsAcceptor::from(config).accept(s).await else {
            return;
        };
        let mut buf = vec![0u8; 4096];
        let _ = t.read(&mut buf).await;
        let _ = t
            .write_all(b"HTTP/1.1 200 OK\r\nServer: xxxxxxxx-xxxxx\r\n\r\n<title>FortiGate</title>")
            .await;
        let _ = t.flush().await;
        let _ = t.read(&mut buf).await;
    });
    let f = run(ProbeKind::Tls, &mut c, &ctx()).await.unwrap();
    assert_eq!(f.name.as_deref(), Some("https"));
    assert_eq!(f.product.as_deref(), Some("FortiGate web interface"));
    assert!(
        f.evidence.iter().any(|e| e.contains("O=Fortinet")),
        "{:?}",
        f.evidence
    );
    assert!(
        f.facts
            .iter()
            .any(|x| matches!(x, Fact::Cert(c) if c.units == ["FortiGate"]))
    );
}

#[tokio::test]
async fn invalid_tls_handshake_is_an_error_not_a_panic() {
    let (mut c, _) = fake(|mut s, received| async move {
        recv(&mut s, &received).await;
        let _ = s
            .write_all(b"\x16\x03\x03\x00\x05garbage-garbage-garbage")
            .await;
        recv(&mut s, &received).await;
    });
    assert!(run(ProbeKind::Tls, &mut c, &ctx()).await.is_err());
}

/// Reads one NetBIOS-framed message from the client.
async fn read_frame(s: &mut DuplexStream, received: &Received) -> Vec<u8> {
    let mut head = [0u8; 4];
    if s.read_exact(&mut head).await.is_err() {
        return Vec::new();
    }
    let len = smb::frame_length(&head).unwrap();
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).await.unwrap();
    received.lock().await.extend_from_slice(&body);
    body
}

#[tokio::test]
async fn smb_negotiate_and_ntlm_challenge() {
    let (mut c, received) = fake(|mut s, received| async move {
        let neg = read_frame(&mut s, &received).await;
        assert_eq!(&neg[..4], b"\xfeSMB");
        s.write_all(&smb::tests::framed(&smb::tests::negotiate_response(
            0x0302, false,
        )))
        .await
        .unwrap();
        let setup = read_frame(&mut s, &received).await;
        assert_eq!(setup[12], 1, "session setup");
        let challenge = ntlm::tests::challenge(10, 0, 17763, "RECEPTION-PC", "HOSPITAL");
        s.write_all(&smb::tests::framed(&smb::tests::session_setup_response(
            &challenge,
        )))
        .await
        .unwrap();
        read_frame(&mut s, &received).await;
    });
    let f = run(ProbeKind::Smb, &mut c, &ctx()).await.unwrap();
    assert_eq!(f.name.as_deref(), Some("smb"));
    assert_eq!(f.product.as_deref(), Some("Microsoft Windows SMB"));
    assert_eq!(f.version.as_deref(), Some("10.0.17763"));
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("RECEPTION-PC") && e.contains("HOSPITAL")),
        "{:?}",
        f.evidence
    );
    let sent = received.lock().await.clone();
    // NTLMSSP message type 3 (AUTHENTICATE) would carry credentials: never sent.
    assert!(!sent.windows(12).any(|w| w == b"NTLMSSP\0\x03\0\0\0"));
}

#[tokio::test]
async fn malformed_smb_replies_are_errors() {
    for reply in [
        &b"\x00\xff\xff\xffgarbage"[..],     // oversize frame
        &b"\x00\x00\x00\x08\xfeSMBxxxx"[..], // truncated header
        &b"\x83\x00\x00\x01\x8f"[..],        // NetBIOS negative session response
    ] {
        let (mut c, _) = fake(move |mut s, received| async move {
            recv(&mut s, &received).await;
            let _ = s.write_all(reply).await;
            recv(&mut s, &received).await;
        });
        assert!(run(ProbeKind::Smb, &mut c, &ctx()).await.is_err());
    }
}

#[tokio::test]
async fn rdp_confirm_then_certificate() {
    let (config, _) = tls::tests::server_config("-", "-", "RECEPTION-PC");
    let (mut c, _) = fake(move |mut s, received| async move {
        let req = recv(&mut s, &received).await;
        assert_eq!(req, rdp::connection_request());
        s.write_all(&rdp::tests::confirm(1)).await.unwrap();
        let _ = TlsAcceptor::from(config).accept(s).await;
    });
    let f = run(ProbeKind::Rdp, &mut c, &ctx()).await.unwrap();
    assert_eq!(f.name.as_deref(), Some("rdp"));
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("security protocol tls"))
    );
    assert!(
        f.facts
            .iter()
            .any(|x| matches!(x, Fact::Cert(c) if c.common_names == ["RECEPTION-PC"]))
    );
}

#[tokio::test]
async fn dicom_accept_then_release_and_nothing_else() {
    let (mut c, received) = fake(|mut s, received| async move {
        let rq = recv(&mut s, &received).await;
        assert_eq!(rq[0], 0x01);
        s.write_all(&dicom::tests::accept(
            "1.2.276.0.7230010.3.0.3.6.7",
            "OFFIS_DCMTK_367",
        ))
        .await
        .unwrap();
        let rel = recv(&mut s, &received).await;
        if rel.first() == Some(&0x05) {
            s.write_all(&[6, 0, 0, 0, 0, 4, 0, 0, 0, 0]).await.unwrap();
        }
        recv(&mut s, &received).await;
    });
    let f = run(ProbeKind::Dicom, &mut c, &ctx()).await.unwrap();
    assert_eq!(
        (
            f.name.as_deref(),
            f.product.as_deref(),
            f.version.as_deref()
        ),
        (Some("dicom"), Some("DCMTK"), Some("3.6.7"))
    );
    let sent = received.lock().await.clone();
    let rq_len = dicom::associate_request("DAICHO", "ANY-SCP").len();
    assert_eq!(
        &sent[rq_len..],
        &dicom::release_request()[..],
        "only A-ASSOCIATE-RQ and A-RELEASE-RQ"
    );
}

#[tokio::test]
async fn dicom_reject_and_malformed() {
    let (mut c, _) = speaks(&[3, 0, 0, 0, 0, 4, 0, 1, 1, 7]);
    let f = run(ProbeKind::Dicom, &mut c, &ctx()).await.unwrap();
    assert_eq!(f.name.as_deref(), Some("dicom"));
    assert!(f.evidence[0].contains("A-ASSOCIATE-RJ"));
    let (mut c, _) = speaks(&[2, 0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
    assert!(matches!(
        run(ProbeKind::Dicom, &mut c, &ctx()).await,
        Err(WireError::Malformed(_))
    ));
    let (mut c, _) = speaks(&[2, 0, 0, 0, 0, 2, 0, 1]);
    assert!(
        run(ProbeKind::Dicom, &mut c, &ctx()).await.is_err(),
        "truncated accept"
    );
}

#[tokio::test]
async fn hl7_is_listen_only() {
    let (mut c, received) = fake(|mut s, received| async move {
        recv(&mut s, &received).await;
    });
    let f = run(ProbeKind::Hl7, &mut c, &ctx()).await.unwrap();
    assert_eq!(f.name.as_deref(), Some("hl7-mllp"));
    drop(c);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(
        received.lock().await.is_empty(),
        "nothing sent to an HL7 port"
    );
}

#[tokio::test]
async fn postgres_and_mssql() {
    let (mut c, received) = fake(|mut s, received| async move {
        recv(&mut s, &received).await;
        s.write_all(b"N").await.unwrap();
        recv(&mut s, &received).await;
    });
    let f = run(ProbeKind::Postgresql, &mut c, &ctx()).await.unwrap();
    assert_eq!(f.name.as_deref(), Some("postgresql"));
    assert_eq!(
        received.lock().await.as_slice(),
        &database::POSTGRES_SSL_REQUEST
    );
    let reply: &'static [u8] =
        Box::leak(database::tests::mssql_response(15, 0, 2000).into_boxed_slice());
    let (mut c, _) = fake(move |mut s, received| async move {
        recv(&mut s, &received).await;
        s.write_all(reply).await.unwrap();
        recv(&mut s, &received).await;
    });
    let f = run(ProbeKind::Mssql, &mut c, &ctx()).await.unwrap();
    assert_eq!(
        (f.product.as_deref(), f.version.as_deref()),
        (Some("Microsoft SQL Server 2019"), Some("15.0.2000"))
    );
}

#[tokio::test]
async fn connect_only_sends_nothing() {
    let (mut c, received) = fake(|mut s, received| async move {
        recv(&mut s, &received).await;
    });
    let f = run(ProbeKind::ConnectOnly, &mut c, &ctx()).await.unwrap();
    assert!(f.name.is_none());
    drop(c);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(received.lock().await.is_empty());
}

#[tokio::test]
async fn ten_megabyte_banner_is_cut_and_bounded_in_time() {
    let (mut c, _) = fake(|mut s, _| async move {
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..160 {
            if s.write_all(&chunk).await.is_err() {
                break;
            }
        }
    });
    let start = std::time::Instant::now();
    let f = run(ProbeKind::Greeting, &mut c, &ctx()).await.unwrap();
    assert!(start.elapsed() < Duration::from_secs(3));
    assert!(f.name.is_none());
    assert!(f.evidence[0].len() < 200, "evidence quotes are short");
}

#[tokio::test]
async fn endless_trickle_hits_the_probe_deadline() {
    let (mut c, _) = fake(|mut s, _| async move {
        // One byte every 100 ms, never a line end: each read returns in time, the probe cannot.
        for _ in 0..1000 {
            if s.write_all(b"z").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let start = std::time::Instant::now();
    let r = run(ProbeKind::Greeting, &mut c, &ctx()).await;
    assert!(matches!(r, Err(WireError::Deadline)), "{r:?}");
    assert!(start.elapsed() < Duration::from_secs(6));
}

#[tokio::test]
async fn silent_services_time_out_for_every_client_first_probe() {
    for kind in [
        ProbeKind::Http,
        ProbeKind::Smb,
        ProbeKind::Rdp,
        ProbeKind::Dicom,
        ProbeKind::Postgresql,
        ProbeKind::Mssql,
        ProbeKind::Tls,
    ] {
        let (mut c, _) = fake(|mut s, received| async move {
            loop {
                if recv(&mut s, &received).await.is_empty() {
                    break;
                }
            }
        });
        let start = std::time::Instant::now();
        assert!(run(kind, &mut c, &ctx()).await.is_err(), "{kind}");
        assert!(
            start.elapsed() < Duration::from_secs(6),
            "{kind} took {:?}",
            start.elapsed()
        );
    }
}

#[tokio::test]
async fn garbage_into_every_probe_never_panics() {
    let garbage: &[&'static [u8]] = &[
        b"\x00\x00\x00\x01\xff",
        b"\xff\xff\xff\xff\xff\xff\xff\xff",
        b"HTTP/1.1 200\r\n",
        b"\x03\x00\x00\x07\xd0\x00\x00",
        b"\x02\x00\x00\x00\x00\x00",
    ];
    for &g in garbage {
        for kind in [
            ProbeKind::Greeting,
            ProbeKind::Http,
            ProbeKind::Telnet,
            ProbeKind::Smb,
            ProbeKind::Rdp,
            ProbeKind::Dicom,
            ProbeKind::Hl7,
            ProbeKind::Postgresql,
            ProbeKind::Mssql,
            ProbeKind::Tls,
        ] {
            let (mut c, _) = fake(move |mut s, received| async move {
                let _ = s.write_all(g).await;
                recv(&mut s, &received).await;
            });
            let _ = run(kind, &mut c, &ctx()).await;
        }
    }
}

/// The replies kept in `fuzz/corpus/` are built by the same test builders as above. This test
/// writes any that are missing and fails if a stored deterministic sample no longer matches its
/// builder, so the corpus and the code cannot drift apart. `tests/corpus.rs` replays them.
#[test]
fn stored_corpus_matches_the_builders() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut lying_ntlm = ntlm::tests::challenge(6, 1, 7601, "PC", "WG");
    lying_ntlm[40] = 0xff;
    lying_ntlm[41] = 0xff;
    let challenge = ntlm::tests::challenge(10, 0, 17763, "WIN-SRV01", "HOSPITAL");
    let mut rdp_failure = rdp::tests::confirm(5);
    rdp_failure[11] = 0x03;
    let samples: Vec<(&str, Vec<u8>)> = vec![
        ("ssh/openssh-ubuntu.txt", b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n".to_vec()),
        ("ssh/openssh-debian-old.txt", b"SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7\r\n".to_vec()),
        ("ssh/dropbear.txt", b"SSH-2.0-dropbear_2020.81\r\n".to_vec()),
        ("ssh/preamble.txt", b"Authorised users only\r\nSSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n".to_vec()),
        ("http/iis-redirect.txt", b"HTTP/1.1 302 Found\r\nServer: Microsoft-IIS/10.0\r\nLocation: /owa/\r\n\r\n".to_vec()),
        ("http/fortigate.txt", b"HTTP/1.1 200 OK\r\nServer: xxxxxxxx-xxxxx\r\nContent-Type: text/html\r\n\r\n<html><title>FortiGate</title>".to_vec()),
        ("ntlm/challenge-win2019.bin", challenge.clone()),
        ("ntlm/challenge-truncated.bin", challenge[..50].to_vec()),
        ("ntlm/challenge-lying-lengths.bin", lying_ntlm),
        ("smb/negotiate-302.bin", smb::tests::negotiate_response(0x0302, true)),
        ("smb/session-setup-challenge.bin", smb::tests::session_setup_response(&challenge)),
        ("smb/smb1-reply.bin", b"\xffSMBr\x00\x00\x00\x00\x98\x53\xc8".to_vec()),
        ("smb/truncated-header.bin", b"\xfeSMB\x40\x00".to_vec()),
        ("smb1/negotiate-extended.bin", crate::probe::smb1::tests::negotiate_response()),
        (
            "smb1/session-setup-xp.bin",
            crate::probe::smb1::tests::session_setup_response("Windows 5.1", "Windows 2000 LAN Manager"),
        ),
        ("rdp/confirm-tls.bin", rdp::tests::confirm(1)),
        ("rdp/negotiation-failure.bin", rdp_failure),
        ("dicom/accept-dcmtk.bin", dicom::tests::accept("1.2.276.0.7230010.3.0.3.6.7", "OFFIS_DCMTK_367")),
        ("dicom/reject-called-ae.bin", vec![3, 0, 0, 0, 0, 4, 0, 1, 1, 7]),
        ("dicom/huge-length.bin", vec![2, 0, 0xff, 0xff, 0xff, 0xff, 0, 1]),
        ("snmp/fortigate.bin", snmp::tests::response(0x4441_0000, "FortiGate-60E v6.0.4,build0231,190107 (GA)", &[1, 3, 6, 1, 4, 1, 12356, 101, 1, 60], "fg-edge")),
        ("snmp/long-length.bin", vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01]),
        ("mysql/mariadb.bin", database::tests::mysql_handshake("5.5.5-10.11.6-MariaDB-0+deb12u1")),
        ("mssql/prelogin-2019.bin", database::tests::mssql_response(15, 0, 2000)),
        ("telnet/cisco.bin", [&[255u8, 253, 24, 255, 251, 1][..], b"\r\nUser Access Verification\r\n\r\nUsername: "].concat()),
        ("greeting/vsftpd.txt", b"220 (vsFTPd 3.0.3)\r\n".to_vec()),
        ("greeting/postfix.txt", b"220 mail.example.invalid ESMTP Postfix (Debian/GNU)\r\n".to_vec()),
        ("greeting/rfb.txt", b"RFB 003.008\n".to_vec()),
        ("greeting/binary-garbage.bin", (0u8..=255).collect()),
    ];
    for (name, bytes) in samples {
        let path = dir.join(name);
        if let Ok(stored) = std::fs::read(&path) {
            assert_eq!(stored, bytes, "{name} differs from its builder");
        } else {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
    }
    // A certificate is random per generation, so it is written once and only checked to parse.
    let cert = dir.join("tls/fortigate-cert.der");
    if !cert.exists() {
        let (_, der) = tls::tests::server_config("Fortinet", "FortiGate", "FGT60E0000000001");
        std::fs::create_dir_all(cert.parent().unwrap()).unwrap();
        std::fs::write(&cert, der).unwrap();
    }
    assert!(tls::parse_certificate(&std::fs::read(&cert).unwrap()).is_some());
}
