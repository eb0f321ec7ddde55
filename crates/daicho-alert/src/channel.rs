//! Delivery channels: webhook, email, log.

use daicho_model::display_text::log_text;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{ConfigError, EmailConfig, SmtpTls, WebhookConfig, invalid};
use crate::message::AlertMessage;

/// Why one delivery failed. Recorded with the attempt; the delivery is retried later.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The webhook could not be reached or answered with an error status.
    #[error("webhook: {0}")]
    Webhook(String),
    /// The SMTP relay refused or could not be reached.
    #[error("email: {0}")]
    Email(String),
}

/// One place alerts go.
#[derive(Debug, Clone)]
pub enum Channel {
    /// The collector's log (always succeeds).
    Log,
    /// An HTTP(S) endpoint receiving JSON.
    Webhook(Webhook),
    /// An SMTP relay.
    Email(Email),
}

impl Channel {
    /// The channel's name as deliveries are recorded: `log`, `webhook`, `email`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Log => "log",
            Self::Webhook(_) => "webhook",
            Self::Email(_) => "email",
        }
    }

    /// Delivers one message.
    pub async fn deliver(&self, message: &AlertMessage) -> Result<(), DeliveryError> {
        match self {
            Self::Log => {
                // Device text through the one log neutraliser (escaped and bounded).
                tracing::warn!(
                    alert_id = message.alert_id,
                    device = %log_text(&message.device),
                    flag = %message.flag.key(),
                    subject = %log_text(&message.subject),
                    "alert"
                );
                Ok(())
            }
            Self::Webhook(w) => w.deliver(message).await,
            Self::Email(e) => e.deliver(message).await,
        }
    }
}

/// A webhook receiver.
#[derive(Debug, Clone)]
pub struct Webhook {
    url: reqwest::Url,
    token: Option<String>,
    client: reqwest::Client,
}

impl Webhook {
    pub(crate) fn new(config: &WebhookConfig) -> Result<Self, ConfigError> {
        let url = reqwest::Url::parse(&config.url)
            .map_err(|e| invalid("webhook.url", format!("`{}`: {e}", config.url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("webhook.url", "must be an http or https URL"));
        }
        let token = match &config.token_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| invalid("webhook.token_file", format!("{}: {e}", path.display())))?
                    .trim()
                    .to_owned(),
            ),
            None => None,
        };
        // reqwest is built without a bundled crypto provider; ring is the project's one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs.max(1)))
            .build()
            .map_err(|e| invalid("webhook", e))?;
        Ok(Self { url, token, client })
    }

    async fn deliver(&self, message: &AlertMessage) -> Result<(), DeliveryError> {
        let mut request = self.client.post(self.url.clone()).json(message);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| DeliveryError::Webhook(e.to_string()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(DeliveryError::Webhook(format!(
                "{} answered {}",
                self.url,
                response.status()
            )))
        }
    }
}

/// An SMTP relay with its sender and recipients.
#[derive(Clone)]
pub struct Email {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("from", &self.from)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

impl Email {
    pub(crate) fn new(config: &EmailConfig) -> Result<Self, ConfigError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| invalid("email.from", format!("`{}`: {e}", config.from)))?;
        if config.to.is_empty() {
            return Err(invalid("email.to", "needs at least one recipient"));
        }
        let to = config
            .to
            .iter()
            .map(|a| {
                a.parse::<Mailbox>()
                    .map_err(|e| invalid("email.to", format!("`{a}`: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let host = config.smtp_host.as_str();
        let builder = match config.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| invalid("email.smtp_host", e))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| invalid("email.smtp_host", e))?,
        };
        let mut builder = builder
            .port(config.smtp_port)
            .timeout(Some(Duration::from_secs(20)));
        match (&config.username, &config.password_file) {
            (Some(user), Some(path)) => {
                let password = std::fs::read_to_string(path).map_err(|e| {
                    invalid("email.password_file", format!("{}: {e}", path.display()))
                })?;
                builder =
                    builder.credentials(Credentials::new(user.clone(), password.trim().to_owned()));
            }
            (None, None) => {}
            _ => {
                return Err(invalid(
                    "email.username",
                    "username and password_file go together",
                ));
            }
        }
        Ok(Self {
            transport: builder.build(),
            from,
            to,
        })
    }

    async fn deliver(&self, message: &AlertMessage) -> Result<(), DeliveryError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(message.subject.clone())
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        let email = builder
            .body(message.text.clone())
            .map_err(|e| DeliveryError::Email(e.to_string()))?;
        self.transport
            .send(email)
            .await
            .map(drop)
            .map_err(|e| DeliveryError::Email(e.to_string()))
    }
}
