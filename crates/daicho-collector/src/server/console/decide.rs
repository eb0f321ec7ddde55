//! How a console form's decision ends: the audited decision runs on the ledger as the signed-in
//! account, the next page shows what happened (the ledger's reason when it refused), the alert
//! worker is woken when the decision can change flags, and the browser goes back (303). A
//! decision on a site the account may not see is answered 403, not as a message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use daicho_ledger::{Ledger, LedgerError};

use super::render::{ConsoleError, flash, see_other};
use super::session::Signed;
use crate::decisions::Actor;
use crate::server::AppState;
use crate::server::extract::on_ledger;

/// Whether a decision can change flags (and so alerts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flags {
    /// It can: wake the alert worker after it.
    Change,
    /// It cannot.
    Stay,
}

/// Runs `work` (an audited decision from `crate::decisions`) as `signed`; `done` words its
/// success for the next page. Answers the redirect to `back`.
pub(crate) async fn decide<T: Send + 'static>(
    st: &AppState,
    signed: &Signed,
    back: &str,
    flags: Flags,
    work: impl FnOnce(&Ledger, &Actor) -> Result<T, LedgerError> + Send + 'static,
    done: impl FnOnce(T) -> String,
) -> Response {
    let actor = signed.actor();
    match on_ledger(st, move |l| work(l, &actor)).await {
        Ok(value) => {
            if flags == Flags::Change {
                st.alerts_wake.notify_one();
            }
            flash(&signed.session, true, done(value)).await;
        }
        Err(f) if f.status() == StatusCode::FORBIDDEN => {
            return ConsoleError::from(f).into_response();
        }
        Err(f) => flash(&signed.session, false, f.message().to_owned()).await,
    }
    see_other(back)
}

/// Refuses a form before any decision runs: `problem` on the next page, back to `back`.
pub(crate) async fn refuse(signed: &Signed, back: &str, problem: impl Into<String>) -> Response {
    flash(&signed.session, false, problem).await;
    see_other(back)
}
