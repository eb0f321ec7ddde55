//! Targets over what a service on a scanned device answers (banners, TLS, SMB/NTLM, DICOM,
//! SNMP).

use std::hint::black_box;

use daicho_fingerprint::probe::{
    self, database, dicom as dicom_pdu, dns, http, ntlm, rdp, smb, smb1, snmp as snmp_pdu, ssh,
    telnet, tls as tls_cert,
};
use daicho_fingerprint::rules::ServiceTable;
use daicho_fingerprint::wire;

/// The request id the SNMP target's replies answer (the one the stored corpus samples carry).
const SNMP_REQUEST_ID: i32 = 0x4441_0000;
/// The transaction id the DNS version target answers.
const DNS_ID: u16 = 0x4441;

/// A TCP service's first reply: greetings (FTP, SMTP, VNC…), SSH, telnet, HTTP, MySQL,
/// PostgreSQL, MS SQL, RDP and a DNS `version.bind` answer, every parser on the same bytes.
pub fn banners(data: &[u8]) {
    black_box(probe::identify_greeting(data, ServiceTable::in_use()));
    black_box(ssh::parse_banner(data));
    let chunk = telnet::process(data);
    // Telnet commands are removed, never added: the text and refusals come from the input.
    assert!(chunk.text.len() <= data.len());
    black_box(chunk);
    black_box(http::reply_complete(data));
    black_box(http::parse_reply(data));
    black_box(database::mysql_packet_complete(data));
    black_box(database::parse_mysql_greeting(data));
    black_box(database::parse_postgres_ssl_answer(data));
    black_box(database::tds_length(data));
    if let Some((major, minor, _)) = database::parse_mssql_prelogin(data) {
        black_box(database::mssql_release(major, minor));
    }
    black_box(rdp::tpkt_length(data));
    black_box(rdp::parse_confirm(data));
    if let Some(text) = dns::parse_version(data, DNS_ID) {
        black_box(dns::product_of(&text));
    }
    let quoted = wire::quote(data, 200);
    black_box(quoted);
    black_box(wire::clean_text(&String::from_utf8_lossy(data), 200));
}

/// A certificate a TLS service presented (DER).
pub fn tls(data: &[u8]) {
    black_box(tls_cert::parse_certificate(data));
}

/// SMB2 negotiate and session-setup replies, SMB1 replies and the NTLM challenge in them.
pub fn smb_ntlm(data: &[u8]) {
    black_box(smb::frame_length(data));
    black_box(smb::parse_negotiate(data));
    if let Some(n) = smb::parse_session_setup(data) {
        black_box(n.version_string());
    }
    black_box(smb1::parse_negotiate(data));
    black_box(smb1::parse_session_setup(data));
    if let Some(n) = ntlm::find_challenge(data) {
        black_box(n.version_string());
    }
    black_box(ntlm::parse_challenge(data));
}

/// A DICOM association reply: the PDU header, then the reply of whatever kind it names.
pub fn dicom(data: &[u8]) {
    if let Some((kind, len)) = dicom_pdu::pdu_header(data) {
        black_box(dicom_pdu::parse_reply(
            kind,
            data.get(6..6 + len).unwrap_or(&data[6..]),
        ));
    }
    if let Some((&kind, body)) = data.split_first() {
        black_box(dicom_pdu::parse_reply(kind, body));
    }
}

/// An SNMP GetResponse (sysDescr, sysObjectID, sysName…), and its bindings read as a switch's
/// tables (ports, forwarding entries, LLDP neighbours).
pub fn snmp(data: &[u8]) {
    use daicho_fingerprint::switches::tables;
    black_box(snmp_pdu::parse_response(data, SNMP_REQUEST_ID).ok());
    if let Ok(binds) = snmp_pdu::parse_varbinds(data, SNMP_REQUEST_ID) {
        let base = tables::base_ports(&tables::column(&binds, tables::BASE_PORT_IFINDEX));
        let col = |c| tables::column(&binds, c);
        black_box(tables::ports(
            &col(tables::IF_NAME),
            &col(tables::IF_DESCR),
            &col(tables::IF_ALIAS),
        ));
        black_box(tables::forwarding_q(
            &col(tables::Q_TP_FDB_PORT),
            &col(tables::Q_TP_FDB_STATUS),
            &base,
        ));
        black_box(tables::forwarding_dot1d(
            &col(tables::TP_FDB_PORT),
            &col(tables::TP_FDB_STATUS),
            &base,
        ));
        black_box(tables::neighbours(&binds, &base));
        black_box(tables::local_chassis(&binds));
    }
}
