//! Replays the stored service replies in `fuzz/corpus/` through their parsers: each must parse
//! to what `fuzz/corpus/expect.toml` says, and every sample, cut short at every length and with
//! bytes flipped, must go through every parser without a panic. The `snmp-os`, `tls-os` and `http-id`
//! parsers go on to the recognition itself (OS inference, service rules), so a rule for a
//! device is tested on the reply that device gives.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use daicho_fingerprint::probe::{
    self, Fact, database, dicom, http, ntlm, rdp, smb, smb1, snmp, ssh, telnet, tls,
};
use daicho_fingerprint::rules::ServiceTable;
use daicho_fingerprint::{Observations, infer_os};
use serde::Deserialize;

#[derive(Deserialize)]
struct Expectations {
    sample: Vec<Sample>,
}

#[derive(Deserialize)]
struct Sample {
    file: String,
    parser: String,
    expect: String,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus")
}

fn dash(s: Option<&str>) -> &str {
    s.unwrap_or("-")
}

/// A one-line summary of what `parser` made of `b`, or `None` when it refused the bytes.
fn summarise(parser: &str, b: &[u8]) -> Option<String> {
    match parser {
        "ssh" => ssh::parse_banner(b).map(|s| {
            format!(
                "{} {} {}",
                s.product,
                dash(s.version.as_deref()),
                dash(s.comment.as_deref())
            )
        }),
        "http" => http::parse_reply(b).map(|r| {
            format!(
                "{} {} {} {}",
                r.status,
                dash(r.server.as_deref()),
                dash(r.location.as_deref()),
                dash(r.title.as_deref())
            )
        }),
        "ntlm" => ntlm::parse_challenge(b).map(|n| ntlm_summary(&n)),
        "smb-negotiate" => smb::parse_negotiate(b).map(|n| {
            format!(
                "{} {}",
                n.dialect,
                if n.signing_required {
                    "signing-required"
                } else {
                    "signing-optional"
                }
            )
        }),
        "smb-session" => smb::parse_session_setup(b).map(|n| ntlm_summary(&n)),
        "smb1-negotiate" => smb1::parse_negotiate(b)
            .map(|n| format!("nt-lm {} extended {}", n.nt_lm, n.extended_security)),
        "smb1-session" => smb1::parse_session_setup(b).map(|s| {
            format!(
                "{} | {} | {}",
                dash(s.native_os.as_deref()),
                dash(s.native_lanman.as_deref()),
                s.ntlm.map_or_else(|| "-".to_owned(), |n| ntlm_summary(&n))
            )
        }),
        "rdp" => rdp::parse_confirm(b).map(|c| {
            format!(
                "{} {}",
                dash(c.selected.as_deref()),
                c.failure.map_or("-".to_owned(), |f| f.to_string())
            )
        }),
        "dicom" => {
            let (kind, len) = dicom::pdu_header(b)?;
            match dicom::parse_reply(kind, b.get(6..6 + len)?)? {
                dicom::AssociateReply::Accepted {
                    implementation_uid,
                    version_name,
                    ..
                } => Some(format!(
                    "accepted {} {}",
                    dash(implementation_uid.as_deref()),
                    dash(version_name.as_deref())
                )),
                dicom::AssociateReply::Rejected {
                    result,
                    source,
                    reason,
                } => Some(format!("rejected {result} {source} {reason}")),
                dicom::AssociateReply::Aborted => Some("aborted".to_owned()),
            }
        }
        "snmp" => snmp::parse_response(b, 0x4441_0000).ok().map(|s| {
            format!(
                "{} | {} | {}",
                dash(s.sys_descr.as_deref()),
                dash(s.sys_object_id.as_deref()),
                dash(s.sys_name.as_deref())
            )
        }),
        "snmp-os" => snmp::parse_response(b, 0x4441_0000).ok().map(|s| {
            // As a router answers: TTL 64 (which alone would say Linux) and its SNMP system group.
            let os = infer_os(&Observations {
                ttl: Some(64),
                facts: vec![Fact::Snmp(s)],
                ..Observations::default()
            });
            summarise_os(&os)
        }),
        "tls-os" => tls::parse_certificate(b).map(|c| {
            let os = infer_os(&Observations {
                facts: vec![Fact::Cert(c)],
                ..Observations::default()
            });
            summarise_os(&os)
        }),
        "http-id" => {
            let f = probe::identify_http(b, ServiceTable::in_use());
            let hint = f.facts.iter().find_map(|fact| match fact {
                Fact::OsHint { family, name, .. } => {
                    Some(format!("{family} {}", dash(name.as_deref())))
                }
                _ => None,
            });
            f.name.map(|n| {
                format!(
                    "{n} {} | {}",
                    dash(f.product.as_deref()),
                    hint.as_deref().unwrap_or("-")
                )
            })
        }
        "mysql" => match database::parse_mysql_greeting(b)? {
            database::MysqlGreeting::Handshake {
                product, version, ..
            } => Some(format!("{product} {version}")),
            database::MysqlGreeting::Error { code, .. } => Some(format!("error {code}")),
        },
        "mssql" => database::parse_mssql_prelogin(b).map(|(a, b, c)| format!("{a}.{b}.{c}")),
        "telnet" => {
            let c = telnet::process(b);
            let refusals: Vec<String> = c.replies.iter().map(u8::to_string).collect();
            Some(format!(
                "{} commands, refusals {}",
                c.commands,
                refusals.join(" ")
            ))
        }
        "greeting" => {
            let f = probe::identify_greeting(b, ServiceTable::in_use());
            f.name.map(|n| {
                format!(
                    "{n} {} {}",
                    dash(f.product.as_deref()),
                    dash(f.version.as_deref())
                )
            })
        }
        "tls-cert" => tls::parse_certificate(b).map(|c| {
            format!(
                "{} {} {}",
                c.organizations.join(","),
                c.units.join(","),
                c.common_names.join(",")
            )
        }),
        other => panic!("unknown parser `{other}` in expect.toml"),
    }
}

/// `family name version | device` of an OS guess.
fn summarise_os(os: &daicho_model::OsGuess) -> String {
    let device = os
        .evidence
        .iter()
        .find_map(|e| e.strip_prefix("device: "))
        .unwrap_or("-");
    format!(
        "{} {} {} | {device}",
        os.family.as_str(),
        dash(os.name.as_deref()),
        dash(os.version.as_deref())
    )
}

fn ntlm_summary(n: &ntlm::NtlmInfo) -> String {
    format!(
        "{} {} {}",
        n.version_string().unwrap_or_else(|| "-".to_owned()),
        dash(n.netbios_computer.as_deref()),
        dash(n.netbios_domain.as_deref())
    )
}

const PARSERS: &[&str] = &[
    "ssh",
    "http",
    "ntlm",
    "smb-negotiate",
    "smb-session",
    "smb1-negotiate",
    "smb1-session",
    "rdp",
    "dicom",
    "snmp",
    "mysql",
    "mssql",
    "telnet",
    "greeting",
    "tls-cert",
    "snmp-os",
    "tls-os",
    "http-id",
];

fn files_under(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else if path.file_name().is_some_and(|n| n != "expect.toml") {
            out.insert(
                path.strip_prefix(corpus_dir())
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
    }
}

fn load() -> Vec<Sample> {
    let text = std::fs::read_to_string(corpus_dir().join("expect.toml")).unwrap();
    toml::from_str::<Expectations>(&text).unwrap().sample
}

#[test]
fn every_sample_parses_as_expected() {
    let samples = load();
    let mut on_disk = BTreeSet::new();
    files_under(&corpus_dir(), &mut on_disk);
    let listed: BTreeSet<String> = samples.iter().map(|s| s.file.clone()).collect();
    assert_eq!(
        on_disk, listed,
        "corpus files and expect.toml entries must match one to one"
    );
    for s in &samples {
        let bytes = std::fs::read(corpus_dir().join(&s.file)).unwrap();
        let got = summarise(&s.parser, &bytes).unwrap_or_else(|| "reject".to_owned());
        assert_eq!(got, s.expect, "{}", s.file);
    }
}

#[test]
fn truncated_and_flipped_samples_never_panic() {
    let samples = load();
    let mut runs = 0usize;
    for s in &samples {
        let bytes = std::fs::read(corpus_dir().join(&s.file)).unwrap();
        for cut in 0..=bytes.len() {
            for p in PARSERS {
                let _ = summarise(p, &bytes[..cut]);
                runs += 1;
            }
        }
        // Flip each byte in turn (0x00 <-> 0xff style) to hit length and type fields.
        for i in 0..bytes.len().min(200) {
            let mut m = bytes.clone();
            m[i] = !m[i];
            let _ = summarise(&s.parser, &m);
            runs += 1;
        }
    }
    assert!(runs > 10_000, "replayed {runs} variants");
}
