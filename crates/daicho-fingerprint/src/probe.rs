//! The probes: each one talks to a single open port over any `AsyncRead + AsyncWrite` stream,
//! within the byte and time bounds of [`Limits`], and reports what the service said.

pub mod database;
pub mod dicom;
pub mod dns;
pub mod http;
pub mod netbios;
pub mod ntlm;
pub mod rdp;
pub mod smb;
pub mod smb1;
pub mod snmp;
pub mod ssh;
pub mod telnet;
pub mod tls;

use std::fmt;
use std::net::IpAddr;

use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use crate::rules::{ReplyKind, RuleMatch, ServiceTable};
use crate::wire::{
    Limits, WireError, before, clean_text, quote, read_exact_bounded, read_until, send,
};

/// Longest quotation of a service's words in an evidence line.
pub const QUOTE_MAX: usize = 120;

/// The kinds of probe a port plan can name (see `data/service-rules.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKind {
    /// Send nothing; read what the service says first.
    Greeting,
    /// `GET /`.
    Http,
    /// TLS handshake, certificate, then `GET /` inside.
    Tls,
    /// Refuse every telnet option and read the prompt.
    Telnet,
    /// SMB2 negotiate and NTLMSSP challenge.
    Smb,
    /// SMB1 negotiate and NTLMSSP challenge, for servers without SMB2.
    Smb1,
    /// RDP X.224 connection request.
    Rdp,
    /// DICOM association for Verification, then release.
    Dicom,
    /// HL7 MLLP: listen only.
    Hl7,
    /// PostgreSQL SSLRequest.
    Postgresql,
    /// MSSQL PRELOGIN.
    Mssql,
    /// DNS `version.bind` CHAOS TXT query (read-only).
    Dns,
    /// Connect and send nothing.
    ConnectOnly,
}

impl fmt::Display for ProbeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Self::Greeting => "greeting",
            Self::Http => "http",
            Self::Tls => "tls",
            Self::Telnet => "telnet",
            Self::Smb => "smb",
            Self::Smb1 => "smb1",
            Self::Rdp => "rdp",
            Self::Dicom => "dicom",
            Self::Hl7 => "hl7",
            Self::Postgresql => "postgresql",
            Self::Mssql => "mssql",
            Self::Dns => "dns",
            Self::ConnectOnly => "connect-only",
        };
        f.write_str(s)
    }
}

/// Something a probe learned that OS inference can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// An SSH identification string.
    Ssh(ssh::SshBanner),
    /// An HTTP `Server` header.
    HttpServer(String),
    /// An NTLM challenge's version and names.
    Ntlm(ntlm::NtlmInfo),
    /// SNMP system group.
    Snmp(snmp::SnmpInfo),
    /// The NativeOS / NativeLanMan strings of an SMB1 session setup.
    SmbNativeOs {
        /// NativeOS.
        os: String,
        /// NativeLanMan.
        lanman: Option<String>,
    },
    /// A NetBIOS node status answer.
    NetBios(netbios::NodeStatus),
    /// A TLS server certificate.
    Cert(tls::CertInfo),
    /// A DICOM association answer.
    Dicom {
        /// Implementation class UID.
        implementation_uid: Option<String>,
        /// Implementation version name.
        version_name: Option<String>,
    },
    /// A match rule that implies an OS family (e.g. IIS implies windows).
    OsHint {
        /// Family, as in the contract.
        family: String,
        /// OS name, when the rule gives one.
        name: Option<String>,
        /// The words that led to it.
        evidence: String,
    },
}

/// What one probe concluded about a port.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Finding {
    /// The service name, when the probe identified the service.
    pub name: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// What the service said, quoted.
    pub evidence: Vec<String>,
    /// Facts for OS inference.
    pub facts: Vec<Fact>,
    /// True when the service said nothing and the stream may be reused by the next probe.
    pub silent: bool,
}

impl Finding {
    fn named(name: &str) -> Self {
        Self {
            name: Some(name.to_owned()),
            ..Self::default()
        }
    }

    fn from_rule(m: RuleMatch, evidence: String) -> Self {
        let mut f = Self {
            name: Some(m.service),
            product: m.product,
            version: m.version,
            ..Self::default()
        };
        if let Some(family) = m.os_family {
            f.facts.push(Fact::OsHint {
                family,
                name: m.os_name,
                evidence: evidence.clone(),
            });
        }
        f.evidence.push(evidence);
        f
    }
}

/// Everything a probe needs besides the stream.
#[derive(Debug, Clone)]
pub struct ProbeContext<'a> {
    /// The host's address (Host header, TLS server name).
    pub ip: IpAddr,
    /// The port.
    pub port: u16,
    /// Bounds.
    pub limits: Limits,
    /// The rule table.
    pub table: &'a ServiceTable,
    /// Our DICOM AE title.
    pub dicom_calling_ae: &'a str,
    /// The AE title we address.
    pub dicom_called_ae: &'a str,
}

/// Runs probe `kind` over `stream`, bounded by the probe timeout.
pub async fn run<S>(
    kind: ProbeKind,
    stream: &mut S,
    ctx: &ProbeContext<'_>,
) -> Result<Finding, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let deadline = Instant::now() + ctx.limits.probe_timeout;
    before(deadline, async {
        match kind {
            ProbeKind::Greeting => greeting(stream, ctx).await,
            ProbeKind::Http => http_probe(stream, ctx).await,
            ProbeKind::Tls => tls_probe(stream, ctx).await,
            ProbeKind::Telnet => {
                let first = read_until(
                    stream,
                    ctx.limits.max_bytes,
                    ctx.limits.greeting_wait,
                    |b| !b.is_empty(),
                )
                .await?;
                telnet_probe(stream, first, ctx).await
            }
            ProbeKind::Smb => smb_probe(stream, ctx).await,
            ProbeKind::Smb1 => smb1_probe(stream, ctx).await,
            ProbeKind::Rdp => rdp_probe(stream, ctx).await,
            ProbeKind::Dicom => dicom_probe(stream, ctx).await,
            ProbeKind::Hl7 => hl7_listen(stream, ctx).await,
            ProbeKind::Postgresql => postgres_probe(stream, ctx).await,
            ProbeKind::Mssql => mssql_probe(stream, ctx).await,
            ProbeKind::Dns => dns_tcp_probe(stream, ctx).await,
            ProbeKind::ConnectOnly => Ok(Finding {
                evidence: vec!["connect only: port accepted a connection, nothing sent".to_owned()],
                ..Finding::default()
            }),
        }
    })
    .await
}

/// True once a greeting looks complete: a whole MySQL packet, or text ending in a line break.
fn greeting_complete(b: &[u8]) -> bool {
    if b.is_empty() {
        return false;
    }
    if b.len() >= 5 && b[3] == 0 && (b[4] == 0x0a || b[4] == 0xff) && !b.starts_with(b"SSH-") {
        return database::mysql_packet_complete(b);
    }
    if b[0] == 0xff {
        return true; // telnet negotiation: handled interactively
    }
    b.ends_with(b"\n") && !ends_with_continuation(b)
}

/// FTP/SMTP multi-line greetings (`220-…`) continue until a `220 ` line.
fn ends_with_continuation(b: &[u8]) -> bool {
    let text = String::from_utf8_lossy(b);
    text.lines().last().is_some_and(|l| {
        l.len() > 3 && l.as_bytes()[3] == b'-' && l[..3].bytes().all(|c| c.is_ascii_digit())
    })
}

async fn greeting<S>(stream: &mut S, ctx: &ProbeContext<'_>) -> Result<Finding, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let data = match read_until(
        stream,
        ctx.limits.max_bytes,
        ctx.limits.greeting_wait,
        greeting_complete,
    )
    .await
    {
        Err(WireError::Silent(_)) => {
            return Ok(Finding {
                silent: true,
                ..Finding::default()
            });
        }
        other => other?,
    };
    if data.first() == Some(&0xff) {
        return telnet_probe(stream, data, ctx).await;
    }
    Ok(identify_greeting(&data, ctx.table))
}

/// Identifies a service from what it said first.
pub fn identify_greeting(data: &[u8], table: &ServiceTable) -> Finding {
    if let Some(banner) = ssh::parse_banner(data) {
        let mut f = Finding::named("ssh");
        f.product = Some(banner.product.clone());
        f.version.clone_from(&banner.version);
        f.evidence.push(format!(
            "ssh banner: {}",
            quote(banner.line.as_bytes(), QUOTE_MAX)
        ));
        f.facts.push(Fact::Ssh(banner));
        return f;
    }
    if let Some(g) = database::parse_mysql_greeting(data) {
        let mut f = Finding::named("mysql");
        match g {
            database::MysqlGreeting::Handshake {
                product,
                version,
                raw_version,
            } => {
                f.product = Some(product);
                f.version = Some(version).filter(|v| !v.is_empty());
                f.evidence.push(format!(
                    "mysql handshake: server version {}",
                    quote(raw_version.as_bytes(), 64)
                ));
            }
            database::MysqlGreeting::Error { code, message } => {
                f.evidence.push(format!(
                    "mysql error {code}: {}",
                    quote(message.as_bytes(), QUOTE_MAX)
                ));
            }
        }
        return f;
    }
    let evidence = format!("greeting: {}", quote(data, QUOTE_MAX));
    if let Some(m) = table.match_reply(ReplyKind::Greeting, data) {
        return Finding::from_rule(m, evidence);
    }
    Finding {
        evidence: vec![evidence],
        ..Finding::default()
    }
}

async fn http_probe<S>(stream: &mut S, ctx: &ProbeContext<'_>) -> Result<Finding, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    send(
        stream,
        &http::request(&ctx.ip.to_string()),
        ctx.limits.read_timeout,
    )
    .await?;
    let data = read_until(
        stream,
        ctx.limits.max_bytes,
        ctx.limits.read_timeout,
        http::reply_complete,
    )
    .await?;
    Ok(identify_http(&data, ctx.table))
}

/// Identifies a service from its reply to `GET /`.
pub fn identify_http(data: &[u8], table: &ServiceTable) -> Finding {
    let Some(reply) = http::parse_reply(data) else {
        // Not HTTP: perhaps a banner printed regardless of what we sent.
        return identify_greeting(data, table);
    };
    let mut evidence = vec![format!(
        "http: {}",
        quote(reply.status_line.as_bytes(), QUOTE_MAX)
    )];
    if let Some(s) = &reply.server {
        evidence.push(format!(
            "http server header: {}",
            quote(s.as_bytes(), QUOTE_MAX)
        ));
    }
    if let Some(t) = &reply.title {
        evidence.push(format!("http title: {}", quote(t.as_bytes(), QUOTE_MAX)));
    }
    if let Some(l) = &reply.location {
        evidence.push(format!("http redirect: {}", quote(l.as_bytes(), QUOTE_MAX)));
    }
    if let Some(a) = &reply.authenticate {
        evidence.push(format!(
            "http authenticate: {}",
            quote(a.as_bytes(), QUOTE_MAX)
        ));
    }
    let mut f = match table.match_reply(ReplyKind::Http, data) {
        Some(m) => {
            let mut f = Finding::from_rule(m, evidence.remove(0));
            f.evidence.extend(evidence);
            f
        }
        None => Finding {
            name: Some("http".to_owned()),
            evidence,
            ..Finding::default()
        },
    };
    if f.product.is_none()
        && let Some(server) = &reply.server
    {
        // An unknown server: take its own name/version words.
        let first = server.split_whitespace().next().unwrap_or(server);
        let (p, v) = first
            .split_once('/')
            .map_or((first, None), |(p, v)| (p, Some(v)));
        f.product = Some(clean_text(p, 64)).filter(|p| !p.is_empty());
        f.version = v.map(|v| clean_text(v, 32)).filter(|v| !v.is_empty());
    }
    if let Some(server) = reply.server {
        f.facts.push(Fact::HttpServer(server));
    }
    f
}

async fn tls_probe<S>(stream: &mut S, ctx: &ProbeContext<'_>) -> Result<Finding, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let (session, mut tls) = tls::handshake(&mut *stream, ctx.ip, ctx.limits.read_timeout).await?;
    let mut tls_evidence = vec![format!("tls: {}", session.version)];
    let cert = session.cert;
    if let Some(c) = &cert {
        tls_evidence.push(format!(
            "tls certificate subject: {}",
            quote(c.subject.as_bytes(), 200)
        ));
        tls_evidence.push(format!(
            "tls certificate issuer: {}",
            quote(c.issuer.as_bytes(), 200)
        ));
    }
    // Follow with GET / inside the tunnel: most TLS ports on these networks are web consoles.
    let inner = async {
        send(
            &mut tls,
            &http::request(&ctx.ip.to_string()),
            ctx.limits.read_timeout,
        )
        .await?;
        read_until(
            &mut tls,
            ctx.limits.max_bytes,
            ctx.limits.read_timeout,
            http::reply_complete,
        )
        .await
    };
    let mut f = match inner.await {
        Ok(data) if http::parse_reply(&data).is_some() => {
            let mut f = identify_http(&data, ctx.table);
            f.name = Some("https".to_owned());
            f
        }
        Ok(data) => {
            let mut f = identify_greeting(&data, ctx.table);
            f.name = f.name.map(|n| format!("{n}-tls"));
            f
        }
        Err(_) => Finding::default(),
    };
    if let Some(c) = cert {
        if f.product.is_none() && c.organizations.iter().any(|o| o == "Fortinet") {
            f.product = Some("Fortinet FortiGate".to_owned());
        }
        f.facts.push(Fact::Cert(c));
    }
    tls_evidence.extend(f.evidence);
    f.evidence = tls_evidence;
    Ok(f)
}

async fn telnet_probe<S>(
    stream: &mut S,
    first: Vec<u8>,
    ctx: &ProbeContext<'_>,
) -> Result<Finding, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut text = Vec::new();
    let mut commands = 0;
    let mut pending = first;
    for _ in 0..16 {
        let chunk = telnet::process(&pending);
        commands += chunk.commands;
        let room = ctx.limits.max_bytes.saturating_sub(text.len());
        text.extend_from_slice(&chunk.text[..chunk.text.len().min(room)]);
        if !chunk.replies.is_empty() {
            send(stream, &chunk.replies, ctx.limits.read_timeout).await?;
        }
        if looks_like_prompt(&text) || text.len() >= ctx.limits.max_bytes {
            break;
        }
        match read_until(stream, 4096, ctx.limits.greeting_wait, |b| !b.is_empty()).await {
            Ok(more) => pending = more,
            Err(_) => break,
        }
    }
    if commands == 0 && text.is_empty() {
        return Err(WireError::Malformed(
            "telnet: nothing but a cut command".to_owned(),
        ));
    }
    let evidence = format!(
        "telnet ({commands} options refused): {}",
        quote(&text, QUOTE_MAX)
    );
    let mut f = match ctx.table.match_reply(ReplyKind::Telnet, &text) {
        Some(m) => Finding::from_rule(m, evidence),
        None => Finding {
            evidence: vec![evidence],
            ..Finding::default()
        },
    };
    if commands > 0 || f.name.is_some() {
        f.name = Some("telnet".to_owned());
    }
    Ok(f)
}

fn looks_like_prompt(text: &[u8]) -> bool {
    let t = String::from_utf8_lossy(text);
    let t = t.trim_end();
    t.ends_with(':') || t.ends_with('>') || t.ends_with('#') || t.ends_with('$')
}

/// Reads one NetBIOS-framed SMB message.
async fn read_smb<S>(stream: &mut S, ctx: &ProbeContext<'_>) -> Result<Vec<u8>, WireError>
where
    S: AsyncRead + Unpin,
{
    let head = read_exact_bounded(stream, 4, ctx.limits.read_timeout).await?;
    let len = smb::frame_length(&head)
        .ok_or_else(|| WireError::Malformed(format!("smb frame header {}", quote(&head, 8))))?;
    read_exact_bounded(
        stream,
        len.min(ctx.limits.max_bytes),
        ctx.limits.read_timeout,
    )
    .await
}

async fn smb_probe<S>(stream: &mut S, ctx: &ProbeContext<'_>) -> Result<Finding, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    send(stream, &smb::negotiate_request(), ctx.limits.read_timeout).await?;
    let body = read_smb(stream, ctx).await?;
    let neg = smb::parse_negotiate(&body)
        .ok_or_else(|| WireError::Malformed(format!("smb negotiate reply {}", quote(&body, 32))))?;
    let mut f = Finding::named("smb");
    f.evidence.push(format!(
        "smb negotiate: dialect {}, signing {}",
        neg.dialect,
        if neg.signing_required {
            "required"
        } else {
            "not required"
        }
    ));
    if neg.dialect == "1" {
        f.product = Some("SMBv1 server".to_owned());
        return Ok(f);
    }
    send(
        stream,
        &smb::session_setup_request(),
        ctx.limits.read_timeout,
    )
    .await?;
    let reply = match read_smb(stream, ctx).await {
        Ok(r) => r,
        Err(e) => {
            f.evidence.push(format!("smb session setup: {e}"));
            return Ok(f);
        }
    };
    if let Some(info) = smb::parse_session_setup(&reply) {
        let mut words = Vec::new();
        if let Some(v) = info.version_string() {
            words.push(format!("version {v}"));
        }
        for (label, v) in [
            ("computer", &info.netbios_computer),
            ("domain", &info.netbios_domain),
            ("dns name", &info.dns_computer),
        ] {
            if let Some(v) = v {
                words.push(format!("{label} {v}"));
            }
        }
        f.evidence
            .push(format!("ntlm challenge: {}", words.join(", ")));
        // Samba answers with a fixed 6.1 and build 0; Windows fills in its real build.
        f.product = Some(
            if info.build == Some(0) {
                "Samba smbd"
            } else {
                "Microsoft Windows SMB"
            }
            .to_owned(),
        );
        f.version = info.version_string().filter(|_| info.build != Some(0));
        f.facts.push(Fact::Ntlm(info));
    } else {
        f.evidence.push(format!(
            "smb session setup: no NTLM challenge in {}",
            quote(reply.get(..32).unwrap_or(&reply), 32)
        ));
    }
    Ok(f)
}

async fn smb1_probe<S>(stream: &mut S, ctx: &ProbeContext<'_>) -> Result<Finding, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    send(stream, &smb1::negotiate_request(), ctx.limits.read_timeout).await?;
    let body = read_smb(stream, ctx).await?;
    let neg = smb1::parse_negotiate(&body).ok_or_else(|| {
        WireError::Malformed(format!("smb1 negotiate reply {}", quote(&body, 32)))
    })?;
    let mut f = Finding::named("smb");
    f.product = Some("SMBv1 server".to_owned());
    f.evidence.push(format!(
        "smb1 negotiate: NT LM 0.12 {}, extended security {}",
        if neg.nt_lm { "chosen" } else { "refused" },
        if neg.extended_security { "yes" } else { "no" }
    ));
    if let (Some(d), Some(s)) = (&neg.domain, &neg.server) {
        f.evidence
            .push(format!("smb1 negotiate names: domain {d}, server {s}"));
    }
    if !neg.extended_security {
        return Ok(f);
    }
    send(
        stream,
        &smb1::session_setup_request(),
        ctx.limits.read_timeout,
    )
    .await?;
    let Ok(reply) = read_smb(stream, ctx).await else {
        return Ok(f);
    };
    let Some(setup) = smb1::parse_session_setup(&reply) else {
        return Ok(f);
    };
    if let Some(os) = &setup.native_os {
        f.evidence.push(format!(
            "smb1 session setup: native os {}, lan manager {}",
            quote(os.as_bytes(), 96),
            setup
                .native_lanman
                .as_deref()
                .map_or_else(|| "-".to_owned(), |l| quote(l.as_bytes(), 96))
        ));
        let samba = setup
            .native_lanman
            .as_deref()
            .is_some_and(|l| l.contains("Samba"));
        f.product = Some(
            if samba {
                "Samba smbd"
            } else {
                "Microsoft Windows SMB"
            }
            .to_owned(),
        );
        f.facts.push(Fact::SmbNativeOs {
            os: os.clone(),
            lanman: setup.native_lanman.clone(),
        });
    }
    if let Some(info) = setup.ntlm {
        f.evidence.push(format!(
            "ntlm challenge: version {}, computer {}",
            info.version_string().unwrap_or_else(|| "-".to_owned()),
            info.netbios_computer.as_deref().unwrap_or("-")
        ));
        f.facts.push(Fact::Ntlm(info));
    }
    Ok(f)
}

async fn rdp_probe<S>(stream: &mut S, ctx: &ProbeContext<'_>) -> Result<Finding, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    send(stream, &rdp::connection_request(), ctx.limits.read_timeout).await?;
    let head = read_exact_bounded(stream, 4, ctx.limits.read_timeout).await?;
    let len = rdp::tpkt_length(&head)
        .ok_or_else(|| WireError::Malformed(format!("not TPKT: {}", quote(&head, 8))))?;
    let rest = read_exact_bounded(stream, len - 4, ctx.limits.read_timeout).await?;
    let packet = [head, rest].concat();
    let confirm = rdp::parse_confirm(&packet).ok_or_else(|| {
        WireError::Malformed(format!("not an X.224 confirm: {}", quote(&packet, 32)))
    })?;
    let mut f = Finding::named("rdp");
    f.product = Some("Microsoft Terminal Services".to_owned());
    match (&confirm.selected, confirm.failure) {
        (_, Some(code)) => f.evidence.push(format!(
            "rdp x.224 connection confirm with negotiation failure code {code}"
        )),
        (Some(sel), None) => f.evidence.push(format!(
            "rdp x.224 connection confirm, security protocol {sel}"
        )),
        (None, None) => {}
    }
    f.facts.push(Fact::OsHint {
        family: "windows".to_owned(),
        name: None,
        evidence: "rdp answered an X.224 connection request".to_owned(),
    });
    // With TLS or CredSSP chosen, the handshake shows the machine's certificate (its name).
    if matches!(
        confirm.selected.as_deref(),
        Some("tls" | "credssp" | "credssp-early")
    ) && let Ok((session, _)) =
        tls::handshake(&mut *stream, ctx.ip, ctx.limits.read_timeout).await
        && let Some(cert) = session.cert
    {
        f.evidence.push(format!(
            "rdp tls certificate subject: {}",
            quote(cert.subject.as_bytes(), 200)
        ));
        f.facts.push(Fact::Cert(cert));
    }
    Ok(f)
}

async fn dicom_probe<S>(stream: &mut S, ctx: &ProbeContext<'_>) -> Result<Finding, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    send(
        stream,
        &dicom::associate_request(ctx.dicom_calling_ae, ctx.dicom_called_ae),
        ctx.limits.read_timeout,
    )
    .await?;
    let head = read_exact_bounded(stream, 6, ctx.limits.read_timeout).await?;
    let (kind, len) = dicom::pdu_header(&head)
        .ok_or_else(|| WireError::Malformed(format!("not a DICOM PDU: {}", quote(&head, 8))))?;
    let body = read_exact_bounded(stream, len, ctx.limits.read_timeout).await?;
    let reply = dicom::parse_reply(kind, &body).ok_or_else(|| {
        WireError::Malformed(format!("DICOM PDU type {kind} not an associate answer"))
    })?;
    let mut f = Finding::named("dicom");
    match reply {
        dicom::AssociateReply::Accepted {
            implementation_uid,
            version_name,
            verification_accepted,
        } => {
            f.evidence.push(format!(
                "dicom A-ASSOCIATE-AC: implementation class {}, version name {}, verification {}",
                implementation_uid
                    .as_deref()
                    .map_or_else(|| "-".to_owned(), |u| quote(u.as_bytes(), 64)),
                version_name
                    .as_deref()
                    .map_or_else(|| "-".to_owned(), |v| quote(v.as_bytes(), 64)),
                if verification_accepted {
                    "accepted"
                } else {
                    "refused"
                }
            ));
            f.product = implementation_uid
                .as_deref()
                .and_then(|u| ctx.table.dicom_product(u))
                .map(str::to_owned);
            f.version = version_name
                .as_deref()
                .and_then(dcmtk_version)
                .or_else(|| version_name.clone());
            if f.product.is_none() {
                f.product.clone_from(&version_name);
                f.version = None;
            }
            f.facts.push(Fact::Dicom {
                implementation_uid,
                version_name,
            });
            // Release politely; the answer does not matter.
            if send(stream, &dicom::release_request(), ctx.limits.read_timeout)
                .await
                .is_ok()
            {
                let _ = read_until(stream, 64, ctx.limits.read_timeout, |b| b.len() >= 10).await;
            }
        }
        dicom::AssociateReply::Rejected {
            result,
            source,
            reason,
        } => {
            f.evidence.push(format!(
                "dicom A-ASSOCIATE-RJ: result {result}, source {source}, reason {reason}"
            ));
            f.facts.push(Fact::Dicom {
                implementation_uid: None,
                version_name: None,
            });
        }
        dicom::AssociateReply::Aborted => f
            .evidence
            .push("dicom A-ABORT in answer to association".to_owned()),
    }
    Ok(f)
}

/// `OFFIS_DCMTK_367` → `3.6.7`.
fn dcmtk_version(name: &str) -> Option<String> {
    let digits = name.strip_prefix("OFFIS_DCMTK_")?;
    if digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let d: Vec<char> = digits.chars().collect();
        return Some(format!("{}.{}.{}", d[0], d[1], d[2]));
    }
    None
}

async fn hl7_listen<S>(stream: &mut S, ctx: &ProbeContext<'_>) -> Result<Finding, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    match read_until(
        stream,
        ctx.limits.max_bytes.min(4096),
        ctx.limits.greeting_wait,
        |b| b.len() >= 3,
    )
    .await
    {
        Ok(data) => {
            let mut f = identify_greeting(&data, ctx.table);
            if f.name.is_none() {
                f.evidence
                    .push("hl7 port spoke first, not in MLLP framing".to_owned());
            }
            Ok(f)
        }
        Err(WireError::Silent(wait)) => Ok(Finding {
            name: Some("hl7-mllp".to_owned()),
            evidence: vec![format!(
                "hl7 port: listened {} ms, nothing sent (an MLLP listener waits for messages)",
                wait.as_millis()
            )],
            ..Finding::default()
        }),
        Err(e) => Err(e),
    }
}

/// A DNS finding from a `version.bind` answer text (`None` = the server declined).
pub fn dns_finding(text: Option<String>, transport: &str) -> Finding {
    let mut f = Finding::named("dns");
    match text {
        Some(t) => {
            f.evidence.push(format!(
                "dns version.bind ({transport}): {}",
                quote(t.as_bytes(), 80)
            ));
            let (product, version) = dns::product_of(&t);
            f.product = product;
            f.version = version;
        }
        None => f.evidence.push(format!(
            "dns ({transport}): answered, version.bind withheld"
        )),
    }
    f
}

async fn dns_tcp_probe<S>(stream: &mut S, ctx: &ProbeContext<'_>) -> Result<Finding, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    const ID: u16 = 0x4443;
    let query = dns::version_query(ID);
    let mut framed = u16::try_from(query.len())
        .unwrap_or(0)
        .to_be_bytes()
        .to_vec();
    framed.extend_from_slice(&query);
    send(stream, &framed, ctx.limits.read_timeout).await?;
    let head = read_exact_bounded(stream, 2, ctx.limits.read_timeout).await?;
    let len = usize::from(u16::from_be_bytes([head[0], head[1]])).min(ctx.limits.max_bytes);
    if len < 12 {
        return Err(WireError::Malformed(format!("dns length {len}")));
    }
    let body = read_exact_bounded(stream, len, ctx.limits.read_timeout).await?;
    if crate::wire::be16(&body, 0) != Some(ID) {
        return Err(WireError::Malformed(format!(
            "not a DNS answer: {}",
            quote(&body, 16)
        )));
    }
    Ok(dns_finding(dns::parse_version(&body, ID), "tcp"))
}

async fn postgres_probe<S>(stream: &mut S, ctx: &ProbeContext<'_>) -> Result<Finding, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    send(
        stream,
        &database::POSTGRES_SSL_REQUEST,
        ctx.limits.read_timeout,
    )
    .await?;
    let answer = read_until(stream, 1, ctx.limits.read_timeout, |b| !b.is_empty()).await?;
    match database::parse_postgres_ssl_answer(&answer) {
        Some(tls) => {
            let mut f = Finding::named("postgresql");
            f.product = Some("PostgreSQL".to_owned());
            f.evidence.push(format!(
                "postgresql SSLRequest answered {} ({})",
                quote(&answer, 4),
                if tls { "TLS offered" } else { "no TLS" }
            ));
            Ok(f)
        }
        None => Err(WireError::Malformed(format!(
            "SSLRequest answered {}",
            quote(&answer, 4)
        ))),
    }
}

async fn mssql_probe<S>(stream: &mut S, ctx: &ProbeContext<'_>) -> Result<Finding, WireError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    send(stream, &database::mssql_prelogin(), ctx.limits.read_timeout).await?;
    let head = read_exact_bounded(stream, 8, ctx.limits.read_timeout).await?;
    let len = database::tds_length(&head)
        .ok_or_else(|| WireError::Malformed(format!("not a TDS reply: {}", quote(&head, 8))))?;
    let rest = read_exact_bounded(stream, len - 8, ctx.limits.read_timeout).await?;
    let (major, minor, build) = database::parse_mssql_prelogin(&[head, rest].concat())
        .ok_or_else(|| WireError::Malformed("PRELOGIN reply without a version".to_owned()))?;
    let mut f = Finding::named("mssql");
    f.product = Some(match database::mssql_release(major, minor) {
        Some(r) => format!("Microsoft SQL Server {r}"),
        None => "Microsoft SQL Server".to_owned(),
    });
    f.version = Some(format!("{major}.{minor}.{build}"));
    f.evidence
        .push(format!("mssql prelogin: version {major}.{minor}.{build}"));
    Ok(f)
}

#[cfg(test)]
mod tests;
