//! Alerts on what an operator must act on: a device nobody registered, a newly raised checklist
//! flag, a registered device gone missing.
//!
//! [`plan`] decides, purely, which alerts to raise, remind or close given the flags now active
//! and the alerts already on record: each alert is sent once, then only as a reminder at the
//! configured interval until acknowledged or resolved; [`digested`] is the batching rule (more
//! than `digest_after` notices in one pass go out as one digest per channel). [`Channel`] delivers a message by
//! webhook (JSON over HTTP(S)), email (SMTP) or the log; [`retry_at`] spaces failed deliveries.
//! The collector stores alerts and delivery attempts; this crate holds no state.

mod channel;
mod config;
mod message;
mod plan;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;

pub use channel::{Channel, DeliveryError};
pub use config::{AlertConfig, ConfigError, EmailConfig, SmtpTls, WebhookConfig};
pub use message::{AlertKind, AlertMessage, Digest, DigestItem};
pub use plan::{ActiveFlag, AlertRecord, Planned, digested, plan, retry_at};
