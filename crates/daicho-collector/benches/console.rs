//! Console benchmark (run: `cargo bench -p daicho-collector --bench console`).
//!
//! Fills a ledger with 50,000 devices (`DAICHO_BENCH_DEVICES`) from synthetic reports of 1,000
//! hosts each — PCs, servers, printers, network and medical devices, phones and unknown gadgets
//! in eight segments of 198.18.0.0/15 (data in the ledger only: no packet is sent), most of them
//! registered by one ledger import, some with exceptions — then signs a console account in and
//! times each console page beside the JSON API's answer to the same query: p50, p99 and bytes
//! of `DAICHO_BENCH_REQUESTS` sequential requests (default 200) after `DAICHO_BENCH_WARMUP`
//! (default 10), a case stopping early once it has run `DAICHO_BENCH_CASE_SECONDS` (default 15)
//! with at least 20 samples. Times are loopback round trips with the whole body read
//! (uncompressed): the server's time plus a fraction of a millisecond.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use daicho_collector::evidence::{RestrictionStatement, checklist_report};
use daicho_ledger::exceptions::NewException;
use daicho_ledger::{AccountRole, DeviceFilter, EventFilter, Ledger, Role, SiteId};
use daicho_ledger_io::{DeviceStatus, LedgerRow};
use daicho_model::{Host, MacAddr, OsFamily, OsGuess, Protocol, Service};
use reqwest::header::SET_COOKIE;

#[path = "support/fleet.rs"]
mod fleet;

#[path = "../tests/support/console.rs"]
mod console_server;

use console_server::{ConsoleServer, password_of, start_console};
use fleet::{ms, percentile, scan_report, service};

/// Devices per report (an agent's sweep of its segments).
const HOSTS_PER_REPORT: u32 = 1000;
/// Segments of 198.18.0.0/15 the devices are spread over, each a /18.
const SEGMENTS: u32 = 8;
/// Addresses per segment.
const SEGMENT_SIZE: u32 = 16_384;
/// The most devices the segments hold (the first 16 addresses of each are left out).
const MAX_DEVICES: u32 = SEGMENTS * (SEGMENT_SIZE - 32);
/// Devices given an exception for a risky service.
const EXCEPTIONS: usize = 40;
/// Rows per console list page (the console's default).
const PER_PAGE: u32 = 50;
/// The fewest timed requests a case stops at, even past its time budget.
const MIN_SAMPLES: usize = 20;

/// How long and how often each case is measured.
struct Plan {
    devices: u32,
    requests: usize,
    warmup: usize,
    budget: Duration,
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

impl Plan {
    fn from_env() -> Self {
        let devices = u32::try_from(env_number("DAICHO_BENCH_DEVICES", 50_000))
            .unwrap_or(MAX_DEVICES)
            .clamp(1000, MAX_DEVICES);
        Self {
            devices,
            requests: usize::try_from(env_number("DAICHO_BENCH_REQUESTS", 200))
                .unwrap_or(200)
                .max(1),
            warmup: usize::try_from(env_number("DAICHO_BENCH_WARMUP", 10)).unwrap_or(10),
            budget: Duration::from_secs(env_number("DAICHO_BENCH_CASE_SECONDS", 15)),
        }
    }
}

/// What a device is; device `i` is of kind `i % 20` (half PCs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pc,
    Server,
    Printer,
    Network,
    Medical,
    Phone,
    Gadget,
}

fn kind_of(i: u32) -> Kind {
    match i % 20 {
        0..=9 => Kind::Pc,
        10 | 11 => Kind::Server,
        12 | 13 => Kind::Printer,
        14 => Kind::Network,
        15 => Kind::Medical,
        16 | 17 => Kind::Phone,
        _ => Kind::Gadget,
    }
}

/// A number that varies among devices of one kind.
fn variant(i: u32) -> u32 {
    i / 20
}

fn pick<T: Copy>(choices: &[T], n: u32) -> T {
    choices[n as usize % choices.len()]
}

fn device_ip(i: u32) -> Ipv4Addr {
    let base = u32::from(Ipv4Addr::new(198, 18, 0, 0));
    Ipv4Addr::from(base + (i % SEGMENTS) * SEGMENT_SIZE + 16 + i / SEGMENTS)
}

fn device_mac(i: u32) -> MacAddr {
    let b = i.to_be_bytes();
    let oui = match kind_of(i) {
        Kind::Phone => [0xda, 0xa1, 0x19],
        Kind::Pc | Kind::Server => [0x00, 0x1b, 0x21],
        Kind::Printer => [0x00, 0x00, 0x85],
        Kind::Network => [0x00, 0xa0, 0xde],
        Kind::Medical => [0x00, 0x08, 0x15],
        Kind::Gadget => [0x24, 0x0a, 0xc4],
    };
    MacAddr([oui[0], oui[1], oui[2], b[1], b[2], b[3]])
}

fn vendor_of(i: u32) -> Option<&'static str> {
    let n = variant(i);
    Some(match kind_of(i) {
        Kind::Pc => pick(
            &[
                "Dell Inc.",
                "HP Inc.",
                "FUJITSU LIMITED",
                "NEC Platforms, Ltd.",
                "LENOVO",
            ],
            n,
        ),
        Kind::Server => pick(
            &["Dell Inc.", "Hewlett Packard Enterprise", "FUJITSU LIMITED"],
            n,
        ),
        Kind::Printer => pick(
            &[
                "Canon Inc.",
                "Brother Industries, Ltd.",
                "RICOH COMPANY,LTD.",
                "KYOCERA Document Solutions Inc.",
            ],
            n,
        ),
        Kind::Network => pick(
            &[
                "Cisco Systems, Inc",
                "YAMAHA CORPORATION",
                "Fortinet, Inc.",
                "Allied Telesis K.K.",
            ],
            n,
        ),
        Kind::Medical => pick(
            &[
                "Siemens Healthineers",
                "FUJIFILM Corporation",
                "Canon Medical Systems Corporation",
                "NIHON KOHDEN CORPORATION",
            ],
            n,
        ),
        Kind::Phone => return None,
        Kind::Gadget => pick(
            &[
                "Espressif Inc.",
                "Panasonic Corporation",
                "Raspberry Pi Trading Ltd",
            ],
            n,
        ),
    })
}

/// The OS family, name and version a scan concludes for device `i` (some past support).
fn os_of(i: u32) -> (OsFamily, Option<&'static str>, Option<&'static str>) {
    let n = variant(i);
    match kind_of(i) {
        Kind::Pc => match n % 10 {
            0..=3 => (OsFamily::Windows, Some("Windows 11"), Some("10.0.26100")),
            4..=6 => (OsFamily::Windows, Some("Windows 11"), Some("10.0.22631")),
            7 | 8 => (OsFamily::Windows, Some("Windows 10"), Some("10.0.19045")),
            _ => (
                OsFamily::Windows,
                Some("Windows 7 Professional"),
                Some("6.1.7601"),
            ),
        },
        Kind::Server => pick(
            &[
                (
                    OsFamily::Windows,
                    Some("Windows Server 2019"),
                    Some("10.0.17763"),
                ),
                (
                    OsFamily::Windows,
                    Some("Windows Server 2012 R2"),
                    Some("6.3.9600"),
                ),
                (OsFamily::Linux, Some("Ubuntu"), Some("22.04")),
                (OsFamily::Linux, Some("CentOS"), Some("7")),
            ],
            n,
        ),
        Kind::Printer => (OsFamily::Printer, None, None),
        Kind::Network => pick(
            &[
                (OsFamily::Network, Some("Cisco IOS XE"), Some("16.9.4")),
                (OsFamily::Network, Some("YAMAHA RTX"), Some("Rev.15.02.30")),
                (OsFamily::Network, Some("FortiOS"), Some("6.0.4")),
            ],
            n,
        ),
        Kind::Medical => pick(
            &[
                (
                    OsFamily::Medical,
                    Some("Windows 7 Embedded"),
                    Some("6.1.7601"),
                ),
                (OsFamily::Medical, None, None),
            ],
            n,
        ),
        Kind::Phone => pick(
            &[
                (OsFamily::Android, Some("Android"), Some("14")),
                (OsFamily::Ios, Some("iOS"), Some("17.5")),
            ],
            n,
        ),
        Kind::Gadget => pick(
            &[
                (OsFamily::Embedded, None, None),
                (OsFamily::Unknown, None, None),
            ],
            n,
        ),
    }
}

/// What answers on device `i`: the usual services of its kind, some risky.
fn services_of(i: u32) -> Vec<Service> {
    let n = variant(i);
    let tcp = |port, name, product| service(Protocol::Tcp, port, name, product, "port open");
    let mut out = Vec::new();
    match kind_of(i) {
        Kind::Pc => {
            out.push(tcp(135, "msrpc", Some("Microsoft Windows RPC")));
            out.push(tcp(445, "smb", Some("Microsoft Windows")));
            if n.is_multiple_of(3) {
                out.push(tcp(139, "netbios-ssn", None));
            }
            if n % 10 == 1 {
                out.push(tcp(3389, "rdp", Some("Microsoft Terminal Services")));
            }
        }
        Kind::Server => {
            if n % 4 < 2 {
                out.push(tcp(135, "msrpc", None));
                out.push(tcp(445, "smb", None));
                out.push(tcp(1433, "mssql", Some("Microsoft SQL Server")));
                if n.is_multiple_of(8) {
                    out.push(tcp(3389, "rdp", None));
                }
            } else {
                out.push(tcp(22, "ssh", Some("OpenSSH")));
                out.push(tcp(5432, "postgresql", None));
            }
            out.push(tcp(443, "https", None));
        }
        Kind::Printer => {
            out.push(tcp(80, "http", None));
            out.push(tcp(631, "ipp", None));
            out.push(tcp(9100, "jetdirect", None));
            match n % 4 {
                0 => out.push(tcp(23, "telnet", None)),
                1 => out.push(tcp(21, "ftp", None)),
                _ => {}
            }
        }
        Kind::Network => {
            out.push(tcp(22, "ssh", None));
            out.push(tcp(443, "https", None));
            match n % 3 {
                0 => out.push(tcp(23, "telnet", None)),
                1 => out.push(service(
                    Protocol::Udp,
                    161,
                    "snmp",
                    None,
                    "snmp v2c answered the default community `public`",
                )),
                _ => {}
            }
        }
        Kind::Medical => {
            out.push(tcp(104, "dicom", None));
            if n.is_multiple_of(2) {
                out.push(tcp(5900, "vnc", Some("RealVNC")));
            }
        }
        Kind::Phone => {}
        Kind::Gadget => {
            out.push(tcp(80, "http", None));
            if n.is_multiple_of(2) {
                out.push(service(Protocol::Udp, 1900, "upnp", None, "ssdp answer"));
            }
        }
    }
    out
}

fn hostname_of(i: u32) -> Option<String> {
    let prefix = match kind_of(i) {
        Kind::Pc => "pc",
        Kind::Server => "srv",
        Kind::Printer => "prn",
        Kind::Network => "sw",
        Kind::Medical => "mod",
        Kind::Phone => return None,
        Kind::Gadget if variant(i).is_multiple_of(2) => return None,
        Kind::Gadget => "iot",
    };
    Some(format!("{prefix}-{i:05}"))
}

fn host(i: u32) -> Host {
    let (family, name, version) = os_of(i);
    let mac = device_mac(i);
    Host {
        ip: IpAddr::V4(device_ip(i)),
        mac: Some(mac),
        vendor: vendor_of(i).map(str::to_owned),
        mac_randomized: mac.is_locally_administered(),
        hostname: hostname_of(i),
        os: OsGuess {
            family,
            name: name.map(str::to_owned),
            version: version.map(str::to_owned),
            confidence: if name.is_some() { 0.8 } else { 0.3 },
            evidence: vec!["ttl and open ports".into()],
        },
        services: services_of(i),
        rtt_ms: Some(0.5),
        ttl: Some(64),
        discovered_by: vec!["arp".into()],
        local: None,
    }
}

/// Phones are nobody's; about one device in eight of the others, and two gadgets in three,
/// are missing from the hand-kept ledger.
fn registered(i: u32) -> bool {
    match kind_of(i) {
        Kind::Phone => false,
        Kind::Gadget => variant(i).is_multiple_of(3),
        _ => variant(i) % 8 != 7,
    }
}

/// The hand-kept ledger's row for device `i`.
fn ledger_row(i: u32) -> LedgerRow {
    const LOCATIONS: [&str; 8] = [
        "本館1F 受付",
        "本館2F 外来",
        "本館3F 病棟",
        "本館4F 手術部",
        "別館1F 検査室",
        "別館2F 医事課",
        "別館B1F 放射線科",
        "サーバ室",
    ];
    const USERS: [&str; 6] = [
        "外来看護",
        "病棟看護",
        "医事課",
        "放射線科",
        "検査科",
        "情報システム室",
    ];
    let prefix = match kind_of(i) {
        Kind::Pc => "PC",
        Kind::Server => "SRV",
        Kind::Printer => "PRN",
        Kind::Network => "NW",
        Kind::Medical => "MED",
        Kind::Phone | Kind::Gadget => "ETC",
    };
    let n = variant(i);
    let (_, os, version) = os_of(i);
    LedgerRow {
        asset_no: format!("{prefix}-{i:06}"),
        maker: vendor_of(i).unwrap_or_default().to_owned(),
        os: [os, version]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
        software: if kind_of(i) == Kind::Pc {
            "電子カルテ端末".into()
        } else {
            String::new()
        },
        software_version: String::new(),
        ip: Some(IpAddr::V4(device_ip(i))),
        computer_name: hostname_of(i).unwrap_or_default(),
        location: pick(&LOCATIONS, i / 7).to_owned(),
        user: pick(&USERS, i / 11).to_owned(),
        registered_on: NaiveDate::from_ymd_opt(2024, 4, 1)
            .and_then(|d| d.checked_add_days(Days::new(u64::from(i % 700)))),
        status: Some(if n % 25 == 3 {
            DeviceStatus::Stopped
        } else {
            DeviceStatus::Active
        }),
        description: String::new(),
        mac: Some(device_mac(i)),
    }
}

/// Ingests the synthetic reports, imports the ledger and records a few exceptions; prints how
/// long each part took.
fn build_ledger(ledger: &Ledger, devices: u32) {
    let agents = ["agent-honkan", "agent-bekkan", "agent-server", "agent-wifi"];
    let started = Instant::now();
    let now = Utc::now();
    let mut first = 0;
    let mut chunk = 0;
    while first < devices {
        let count = HOSTS_PER_REPORT.min(devices - first);
        let at = now - chrono::Duration::hours(2) + chrono::Duration::seconds(i64::from(chunk));
        let report = scan_report(
            pick(&agents, chunk),
            "198.18.0.0/15",
            at,
            (first..first + count).map(host).collect(),
        );
        ledger.ingest(&report, None).unwrap();
        first += count;
        chunk += 1;
    }
    let ingested = started.elapsed();
    let t = Instant::now();
    let rows: Vec<LedgerRow> = (0..devices)
        .filter(|i| registered(*i))
        .map(ledger_row)
        .collect();
    let numbers: Vec<usize> = (2..rows.len() + 2).collect();
    let (_, applied) = ledger
        .apply_import(daicho_ledger::SiteId::DEFAULT, &rows, &numbers)
        .unwrap();
    let imported = t.elapsed();
    let t = Instant::now();
    let risky = ledger
        .list_devices(&DeviceFilter {
            flag: Some("unneeded_service".into()),
            limit: Some(u32::try_from(EXCEPTIONS).unwrap()),
            ..DeviceFilter::default()
        })
        .unwrap();
    let expires = (now.date_naive() + Days::new(180))
        .format("%Y-%m-%d")
        .to_string();
    for d in &risky.devices {
        let detail = ledger.device(d.id).unwrap();
        if let Some(flag) = detail
            .flag_details
            .iter()
            .find(|f| f.flag == "unneeded_service")
        {
            let new = NewException {
                device_id: d.id,
                service: flag.code.clone(),
                reason: "ベンダー保守で必要 (保守契約書 第5条)".into(),
                approver: "情報システム室長".into(),
                expires: expires.clone(),
            };
            ledger.add_exception(&new, now).unwrap();
        }
    }
    let counts = ledger
        .device_counts(&daicho_ledger::SiteScope::All)
        .unwrap();
    println!(
        "built a {}-device ledger in {}: {chunk} reports of {HOSTS_PER_REPORT} hosts {}, import of {} ledger rows {} ({} updated), {} exceptions {}; {} unregistered, {} flagged",
        counts.total,
        secs(started.elapsed()),
        secs(ingested),
        rows.len(),
        secs(imported),
        applied.updated,
        risky.devices.len(),
        ms(t.elapsed()),
        counts.unregistered,
        counts.flagged,
    );
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// How a request proves who sends it.
enum Auth {
    /// A console session.
    Cookie(String),
    /// An operator token.
    Bearer(String),
}

/// One URL's figures.
struct Timing {
    p50: Duration,
    p99: Duration,
    bytes: usize,
    samples: usize,
}

/// `GET url`, checked to answer 200; the body's length.
async fn fetch(client: &reqwest::Client, url: &str, auth: &Auth) -> usize {
    let request = match auth {
        Auth::Cookie(cookie) => client.get(url).header("cookie", cookie),
        Auth::Bearer(token) => client.get(url).bearer_auth(token),
    };
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK, "GET {url}");
    response.bytes().await.unwrap().len()
}

/// Times sequential `GET url` after the warm-up, within the plan's budget; with `touch`, a
/// small ledger write comes before each request, so nothing derived earlier may be reused.
async fn time_get(
    client: &reqwest::Client,
    url: &str,
    auth: &Auth,
    plan: &Plan,
    touch: Option<&Ledger>,
) -> Timing {
    let write = || {
        if let Some(ledger) = touch {
            ledger
                .set_setting("bench.touch", "x", "bench", chrono::Utc::now())
                .unwrap();
        }
    };
    let warming = Instant::now();
    for _ in 0..plan.warmup {
        fetch(client, url, auth).await;
        if warming.elapsed() > plan.budget / 4 {
            break;
        }
    }
    let started = Instant::now();
    let mut times = Vec::with_capacity(plan.requests);
    let mut bytes = 0;
    while times.len() < plan.requests
        && (times.len() < MIN_SAMPLES || started.elapsed() < plan.budget)
    {
        write();
        let t = Instant::now();
        bytes = fetch(client, url, auth).await;
        times.push(t.elapsed());
    }
    times.sort();
    Timing {
        p50: percentile(&times, 0.50),
        p99: percentile(&times, 0.99),
        bytes,
        samples: times.len(),
    }
}

/// A console page and, when there is one, the JSON API's answer to the same query.
struct Case {
    name: &'static str,
    console: String,
    api: Option<String>,
    /// Write to the ledger before each request (the dashboard after a change).
    after_change: bool,
}

fn cases(devices: u32, detail_id: i64) -> Vec<Case> {
    let deep_page = (devices * 9 / 10 / PER_PAGE).max(1);
    let deep_offset = (deep_page - 1) * PER_PAGE;
    let case = |name, console: &str, api: Option<&str>| Case {
        name,
        console: console.to_owned(),
        api: api.map(str::to_owned),
        after_change: false,
    };
    vec![
        case("device list", "/devices", Some("/api/v1/devices?limit=50")),
        case(
            "unregistered view",
            "/devices?view=unregistered",
            Some("/api/v1/devices?flag=unregistered&limit=50"),
        ),
        case(
            "search q=pc-12",
            "/devices?q=pc-12",
            Some("/api/v1/devices?q=pc-12&limit=50"),
        ),
        Case {
            name: "deep page by IP",
            console: format!("/devices?sort=ip&page={deep_page}"),
            api: Some(format!(
                "/api/v1/devices?sort=ip&limit=50&offset={deep_offset}"
            )),
            after_change: false,
        },
        case("column filter 2F", "/devices?location=2F", None),
        case("dashboard", "/", None),
        Case {
            after_change: true,
            ..case("dashboard, changed", "/", None)
        },
        Case {
            name: "device detail",
            console: format!("/devices/{detail_id}"),
            api: Some(format!("/api/v1/devices/{detail_id}")),
            after_change: false,
        },
        case(
            "CSV of unregistered",
            "/devices/export?format=csv&view=unregistered",
            None,
        ),
    ]
}

/// Signs `name` in; its `daicho_session` cookie.
async fn sign_in(client: &reqwest::Client, base: &str, name: &str) -> String {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("username", name)
        .append_pair("password", &password_of(name))
        .finish();
    let response = client
        .post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER, "login");
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|text| text.split(';').next())
        .find(|pair| pair.starts_with("daicho_session="))
        .expect("a session cookie")
        .to_owned()
}

/// A registered PC past support with flags: a detail page with something on it.
fn detail_device(ledger: &Ledger) -> i64 {
    let page = ledger
        .list_devices(&DeviceFilter {
            flag: Some("eol_os".into()),
            asset_no: Some("PC-".into()),
            limit: Some(1),
            ..DeviceFilter::default()
        })
        .unwrap();
    page.devices.first().map_or(1, |d| d.id)
}

/// The dashboard's parts timed on the ledger itself (median of 5).
fn dashboard_parts(ledger: &Ledger) -> String {
    fn median(mut work: impl FnMut()) -> Duration {
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let t = Instant::now();
                work();
                t.elapsed()
            })
            .collect();
        times.sort();
        times[2]
    }
    let none = RestrictionStatement::default();
    let parts = [
        (
            "checklist_devices",
            median(|| {
                daicho_collector::paper_rows::checklist_devices(ledger, SiteId::DEFAULT).unwrap();
            }),
        ),
        (
            "checklist_report (devices + evaluation)",
            median(|| {
                checklist_report(ledger, SiteId::DEFAULT, "bench", &none).unwrap();
            }),
        ),
        (
            "device_counts",
            median(|| {
                ledger
                    .device_counts(&daicho_ledger::SiteScope::All)
                    .unwrap();
            }),
        ),
        (
            "events(12)",
            median(|| {
                ledger
                    .events(&EventFilter {
                        limit: Some(12),
                        ..EventFilter::default()
                    })
                    .unwrap();
            }),
        ),
        (
            "agents",
            median(|| {
                ledger
                    .agents(&daicho_ledger::SiteScope::All, Utc::now())
                    .unwrap();
            }),
        ),
    ];
    parts
        .iter()
        .map(|(name, d)| format!("{name} {}", ms(*d)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn cell(t: Option<&Timing>) -> String {
    t.map_or_else(
        || format!("{:>8} {:>8} {:>9}", "—", "—", "—"),
        |t| {
            format!(
                "{:>8.1} {:>8.1} {:>9}",
                t.p50.as_secs_f64() * 1e3,
                t.p99.as_secs_f64() * 1e3,
                t.bytes
            )
        },
    )
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_default();
    format!("{cores} cores ({cpu})")
}

async fn run(plan: Plan) {
    let server: ConsoleServer = start_console().await;
    let devices = plan.devices;
    server.on_ledger(move |l| build_ledger(l, devices)).await;
    server.add_account("bench", AccountRole::Operator).await;
    let ledger: Arc<Ledger> = Arc::clone(&server.ledger);
    let token = ledger.create_token("bench", Role::Operator).unwrap().1;
    let detail_id = server.on_ledger(detail_device).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = Auth::Cookie(sign_in(&client, &server.base, "bench").await);
    let bearer = Auth::Bearer(token);
    let mut lines = Vec::new();
    for case in cases(devices, detail_id) {
        let console = time_get(
            &client,
            &format!("{}{}", server.base, case.console),
            &cookie,
            &plan,
            case.after_change.then_some(ledger.as_ref()),
        )
        .await;
        let api = match &case.api {
            Some(path) => Some(
                time_get(
                    &client,
                    &format!("{}{path}", server.base),
                    &bearer,
                    &plan,
                    None,
                )
                .await,
            ),
            None => None,
        };
        let samples = match &api {
            Some(a) => format!("{}/{}", console.samples, a.samples),
            None => console.samples.to_string(),
        };
        lines.push(format!(
            "{:<20} {:<46} {} │ {} {:>7}",
            case.name,
            case.console,
            cell(Some(&console)),
            cell(api.as_ref()),
            samples
        ));
        println!(
            "  measured {} ({})",
            case.console,
            case.api.as_deref().unwrap_or("no API twin")
        );
    }
    println!();
    println!(
        "{:<20} {:<46} {:>8} {:>8} {:>9} │ {:>8} {:>8} {:>9} {:>7}",
        "case", "console page", "p50 ms", "p99 ms", "bytes", "API p50", "p99 ms", "bytes", "n"
    );
    for line in &lines {
        println!("{line}");
    }
    println!();
    println!(
        "dashboard parts (library, median of 5): {}",
        server.on_ledger(dashboard_parts).await
    );
    println!(
        "{} devices, {} requests a case after {} warm-up (budget {} s a URL); machine: {}; date {}",
        devices,
        plan.requests,
        plan.warmup,
        plan.budget.as_secs(),
        machine(),
        Utc::now().format("%Y-%m-%d")
    );
}

fn main() {
    // `cargo test --benches` runs this binary with `--bench` absent; stay quick then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("console bench: run with `cargo bench -p daicho-collector --bench console`");
        return;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(Plan::from_env()));
}
