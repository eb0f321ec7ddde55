//! A collector started on 127.0.0.1 (port 0, a temporary database) and signed-in console
//! browsers for it: each carries its own `daicho_session` cookie by hand (this workspace's
//! reqwest has no cookie store) and follows no redirects, so a test sees the 303 and its
//! `Location`.

#![allow(dead_code)] // each test file uses part of it

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use chrono::{Duration, TimeZone, Utc};
use daicho_collector::{Config, Server};
use daicho_ledger::{AccountRole, Ledger};
use daicho_model::{AgentInfo, Host, MacAddr, OsGuess, Protocol, ScanReport, Scope, Service};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

/// The running server.
pub struct ConsoleServer {
    _dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The server's own ledger.
    pub ledger: Arc<Ledger>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A console page's answer.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// Where a redirect goes (empty when none).
    pub location: String,
    /// The body.
    pub body: String,
}

/// One browser, signed in or not.
pub struct Browser {
    base: String,
    client: reqwest::Client,
    cookie: Mutex<String>,
}

/// A device string that would run if a page did not escape it.
pub const SCRIPT_TAG: &str = "<script>alert(1)</script>";
/// [`SCRIPT_TAG`] as askama's HTML escaping writes it (`<` as `&#60;`, `>` as `&#62;`).
pub const ESCAPED_SCRIPT_TAG: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

/// A host as a ward's agent saw it: 198.18.0.`i`, MAC 00:1b:21:00:00:`i` (Intel), TTL 64,
/// named `hostname`, no services.
pub fn scanned_host(i: u8, hostname: &str) -> Host {
    Host {
        ip: format!("198.18.0.{i}").parse().unwrap(),
        mac: Some(MacAddr([0x00, 0x1b, 0x21, 0, 0, i])),
        vendor: Some("Intel Corporate".to_owned()),
        mac_randomized: false,
        hostname: Some(hostname.to_owned()),
        os: OsGuess::default(),
        services: vec![],
        rtt_ms: None,
        ttl: Some(64),
        discovered_by: vec!["arp".into()],
        local: None,
    }
}

/// SSH open on TCP 22: OpenSSH 9.2p1.
pub fn openssh_service() -> Service {
    Service {
        port: 22,
        protocol: Protocol::Tcp,
        name: "ssh".into(),
        product: Some("OpenSSH".into()),
        version: Some("9.2p1".into()),
        evidence: vec![],
    }
}

/// A report of `hosts` from agent `ward3` version `version`, scanned 2026-05-01 09:00 UTC.
pub fn ward_report(version: &str, hosts: Vec<Host>) -> ScanReport {
    agent_report("ward3", version, hosts)
}

/// A report of `hosts` from agent `agent` version `version`: ports 1-1024 of 198.18.0.0/24,
/// scanned 2026-05-01 09:00 UTC for 20 seconds.
pub fn agent_report(agent: &str, version: &str, hosts: Vec<Host>) -> ScanReport {
    let at = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
    let mut r = ScanReport::new(
        AgentInfo {
            name: agent.into(),
            version: version.into(),
            machine_id: None,
        },
        Scope {
            targets: vec!["198.18.0.0/24".into()],
            exclude: vec![],
            ports: Some("1-1024".into()),
        },
        at,
    );
    r.finished_at = at + Duration::seconds(20);
    r.hosts = hosts;
    r
}

/// The password every test account gets.
pub fn password_of(name: &str) -> String {
    format!("{name} のパスワード 2026")
}

/// Starts a collector with the default configuration on a free loopback port.
pub async fn start_console() -> ConsoleServer {
    start_server(|_| {}).await
}

/// Starts a collector on a free loopback port (`127.0.0.1:0`) with its database in a new
/// temporary directory, after `tweak` has changed the rest of the configuration.
pub async fn start_server(tweak: impl FnOnce(&mut Config)) -> ConsoleServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.storage.database = dir.path().join("collector.db");
    tweak(&mut config);
    let server = Server::bind(&config).await.unwrap();
    let addr: SocketAddr = server.local_addr().unwrap();
    let ledger = server.ledger();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    ConsoleServer {
        _dir: dir,
        base: format!("http://{addr}"),
        ledger,
        _stop: tx,
    }
}

impl ConsoleServer {
    /// Runs `work` on the ledger off the async threads.
    pub async fn on_ledger<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Ledger) -> T + Send + 'static,
    ) -> T {
        let ledger = Arc::clone(&self.ledger);
        tokio::task::spawn_blocking(move || work(&ledger))
            .await
            .unwrap()
    }

    /// Adds an account with [`password_of`] its name.
    pub async fn add_account(&self, name: &str, role: AccountRole) {
        let name = name.to_owned();
        self.on_ledger(move |l| l.add_account(&name, role, &password_of(&name)).unwrap())
            .await;
    }

    /// A browser with no session.
    pub fn browser(&self) -> Browser {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Browser {
            base: self.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: Mutex::new(String::new()),
        }
    }

    /// A browser signed in as `name` (an account made with [`Self::add_account`]).
    pub async fn login(&self, name: &str) -> Browser {
        let browser = self.browser();
        let answer = browser
            .post(
                "/login",
                &[("username", name), ("password", &password_of(name))],
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "login of {name}: {answer:?}"
        );
        browser
    }
}

impl Browser {
    /// The `Cookie` header this browser sends (`daicho_session=…`, empty before a login).
    pub fn cookie(&self) -> String {
        self.cookie.lock().unwrap().clone()
    }

    fn keep_cookie(&self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            if let Some(pair) = text.split(';').next()
                && pair.starts_with("daicho_session=")
            {
                pair.clone_into(&mut self.cookie.lock().unwrap());
            }
        }
    }

    fn with_form(
        request: reqwest::RequestBuilder,
        form: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let cookie = self.cookie.lock().unwrap().clone();
        let request = if cookie.is_empty() {
            request
        } else {
            request.header("cookie", cookie)
        };
        let response = request.send().await.unwrap();
        self.keep_cookie(response.headers());
        Answer {
            status: response.status(),
            location: response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            body: response.text().await.unwrap_or_default(),
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    /// `POST path` with a form (as a script or same-origin form would: no `Origin`).
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.send(Self::with_form(
            self.client.post(format!("{}{path}", self.base)),
            form,
        ))
        .await
    }

    /// `POST path` with a form sent from another site (`Origin: http://evil.example`).
    pub async fn post_cross_origin(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.send(Self::with_form(
            self.client
                .post(format!("{}{path}", self.base))
                .header("origin", "http://evil.example"),
            form,
        ))
        .await
    }
}
