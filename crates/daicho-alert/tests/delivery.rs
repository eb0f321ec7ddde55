//! Delivery over real HTTP and SMTP conversations on loopback.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use daicho_alert::test_support::SmtpSink;
use daicho_alert::{AlertConfig, AlertKind, AlertMessage, Channel};
use daicho_policy::{Flag, FlagKind};

fn message() -> AlertMessage {
    let flag = Flag {
        kind: FlagKind::Unregistered,
        code: "unregistered".into(),
        service: None,
        reason: "ネットワーク上で検出されましたが、機器台帳に登録されていません。".into(),
        evidence: vec!["seen at 198.18.0.30".into()],
    };
    AlertMessage::new(
        42,
        "dev-9",
        "198.18.0.30 00:00:85:12:34:56 (CANON INC.)",
        &flag,
        Utc::now(),
        false,
    )
}

type Received = Arc<Mutex<Vec<(Option<String>, serde_json::Value)>>>;

async fn webhook_receiver(status: StatusCode) -> (String, Received) {
    let received: Received = Arc::default();
    let store = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: HeaderMap, Json(body): Json<serde_json::Value>| {
                let store = Arc::clone(&store);
                async move {
                    let auth = headers
                        .get("authorization")
                        .map(|v| v.to_str().unwrap().to_owned());
                    store.lock().unwrap().push((auth, body));
                    status
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

fn config(toml_text: &str) -> AlertConfig {
    toml::from_str(toml_text).unwrap()
}

#[tokio::test]
async fn webhook_and_email_receive_the_alert() {
    let (url, hooks) = webhook_receiver(StatusCode::NO_CONTENT).await;
    let sink = SmtpSink::start().await.unwrap();
    let token = std::env::temp_dir().join(format!("daicho-hook-token-{}", std::process::id()));
    std::fs::write(&token, "s3cret\n").unwrap();
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let cfg = config(&format!(
        "log = false\n[webhook]\nurl = \"{url}\"\ntoken_file = \"{}\"\n[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"daicho@clinic.example\"\nto = [\"it@clinic.example\", \"director@clinic.example\"]\n",
        token.display(),
        sink.port
    ));
    let channels = cfg.channels().unwrap();
    assert_eq!(
        channels
            .iter()
            .map(daicho_alert::Channel::name)
            .collect::<Vec<_>>(),
        ["webhook", "email"]
    );
    let msg = message();
    for channel in &channels {
        channel.deliver(&msg).await.unwrap();
    }

    let hooks = hooks.lock().unwrap().clone();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].0.as_deref(), Some("Bearer s3cret"));
    let body: AlertMessage = serde_json::from_value(hooks[0].1.clone()).unwrap();
    assert_eq!(body, msg);
    assert_eq!(body.kind, AlertKind::Unregistered);

    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].mail_from, "daicho@clinic.example");
    assert_eq!(
        mails[0].rcpt_to,
        ["it@clinic.example", "director@clinic.example"]
    );
    let text = mails[0].body_text();
    assert!(
        text.contains("未登録の機器を検出しました") && text.contains("198.18.0.30"),
        "{text}"
    );
    std::fs::remove_file(token).ok();
}

#[tokio::test]
async fn failures_are_reported_not_swallowed() {
    let (url, _) = webhook_receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    // A port nothing listens on: bind, note it, close.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = config(&format!(
        "log = false\n[webhook]\nurl = \"{url}\"\n[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {closed}\ntls = \"none\"\nfrom = \"a@b.example\"\nto = [\"c@d.example\"]\n"
    ));
    for channel in cfg.channels().unwrap() {
        let err = channel.deliver(&message()).await.unwrap_err().to_string();
        assert!(err.starts_with(channel.name()), "{err}");
    }
}

#[test]
fn bad_configuration_names_the_key() {
    let err = config("[webhook]\nurl = \"ftp://x\"\n")
        .channels()
        .unwrap_err()
        .to_string();
    assert!(err.contains("alerts.webhook.url"), "{err}");
    let err =
        config("[email]\nsmtp_host = \"h\"\nfrom = \"not an address\"\nto = [\"a@b.example\"]\n")
            .channels()
            .unwrap_err()
            .to_string();
    assert!(err.contains("alerts.email.from"), "{err}");
    let err = config("[email]\nsmtp_host = \"h\"\nfrom = \"a@b.example\"\nto = []\n")
        .channels()
        .unwrap_err()
        .to_string();
    assert!(err.contains("alerts.email.to"), "{err}");
    assert!(
        toml::from_str::<AlertConfig>("reminder = 3\n").is_err(),
        "unknown keys are refused"
    );
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_log_channel_writes_device_text_through_the_log_neutraliser() {
    // A host name with a line break (a forged log line), a right-to-left override, and a
    // length no log field should carry.
    let mut hostile = message();
    hostile.device = format!("pc\nFAKE alert_id=1\u{202e}txt.exe{}", "x".repeat(1000));
    hostile.subject = format!("[daicho] {}", hostile.device);
    let buffer = LogBuffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    Channel::Log.deliver(&hostile).await.unwrap();
    let logged = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert_eq!(logged.lines().count(), 1, "{logged}");
    assert!(
        logged.contains(r"pc\nFAKE alert_id=1\u{202e}txt.exe"),
        "{logged}"
    );
    assert!(!logged.contains('\u{202e}'), "{logged}");
    // Cut to the documented bound: "…(+N chars)" instead of the rest.
    assert!(logged.contains("…(+"), "{logged}");
    assert!(logged.len() < 1000, "{} bytes logged", logged.len());
}
