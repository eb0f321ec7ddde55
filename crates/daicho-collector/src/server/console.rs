//! The operator console at `/`: server-rendered Japanese pages (askama templates compiled into
//! the binary), plain forms and links that work without scripts, and a small vendored htmx for
//! partial updates. Every page needs a console login; decisions need 管理者 or 運用担当
//! ([`session::Decider`]); handlers call the same ledger operations as the API, through
//! [`crate::decisions`] so each decision is audited.
//!
//! Every page takes `?site=NAME` (forms carry it as a `site` field): its lists cover that
//! site, else every site the account sees (an account limited to sites sees only theirs, a
//! device of another site is 403; the rule is [`crate::site_access`]). With several sites the
//! header shows a site selector and the 機器台帳 a サイト column; a collector without sites
//! shows neither.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /login`, `POST /login`, `POST /logout` | anyone | sign in (`username`, `password`), out |
//! | `GET /` | signed in | dashboard |
//! | `GET /devices?view&q&<column>&sort&desc&page&per&col` | signed in | the 機器台帳 list |
//! | `GET /devices/export?format&encoding&<the list's filters>` | signed in | the filtered rows as XLSX/CSV |
//! | `POST /devices/views` (`name`, `query`), `POST /devices/views/delete` (`name`) | decider | the facility's saved views |
//! | `GET /devices/{id}` | signed in | one device with evidence, flags, exceptions, timeline |
//! | `POST /devices/{id}/ledger`, `…/role`, `…/merge` (`from`), `…/split` (`mac`…) | decider | its decisions |
//! | `GET /alerts?all=1` | signed in | the alert inbox with each delivery |
//! | `POST /alerts/{id}/ack`, `POST /alerts/ack` (`id`…) | decider | acknowledge one, several |
//! | `GET /exceptions` | signed in | the 例外台帳 |
//! | `POST /exceptions` (`device_id`, `service`, `reason`, `approver`, `expires`, `back`), `POST /exceptions/{id}/revoke` (`back`) | decider | record, revoke an exception |
//! | `GET /allowlist?all=1` | signed in | 接続元制限: registered devices not yet applied, downloads, the applied records |
//! | `GET /allowlist/download?format&subnets&<the format's options>` | signed in | the allowlist file (plain, csv, yamaha-rtx, yamaha-swx, cisco, aruba, freeradius) |
//! | `POST /allowlist/applied` (`place`, `applied_by`, `applied_on`, `note`, `subnets`), `POST /allowlist/records/{id}/withdraw` | decider | record, withdraw an applied list |
//! | `GET /import` | signed in | upload form and the remembered column mapping |
//! | `POST /import` (multipart `file`, 10 MiB) | decider | keep the file as a draft of its uploader, go to its dry run |
//! | `GET /import/{draft}` | its uploader | the dry run: sheets, headings, problems, changes before → after, the mapping step |
//! | `POST /import/{draft}/map` (`h0`/`t0`, …), `POST /import/{draft}/apply` | decider | re-read with a mapping (remembered), apply all or nothing |
//! | `GET /checklist`, `GET /checklist/download?format=html\|xlsx` | signed in | the checklist evidence on screen (A4 print), as a file; with several sites and none chosen, the group summary (each site's answers) |
//! | `GET /network-diagram?paper=a3\|a4`, `GET /network-diagram/download?format=svg\|pdf&paper=a3\|a4` | signed in | the ネットワーク構成図 (BCP 1-1) of one site, the SVG inline (printable on the paper chosen), as a file |
//! | `GET /audit?actor&target&before` | signed in | the 操作履歴 (audit log), newest first |
//! | `GET /admin` | admin | 医療機関名, accounts, tokens, agents |
//! | `POST /admin/facility` (`facility_name`) | admin | set the 医療機関名 |
//! | `POST /admin/accounts` (`name`, `role`, `password`, `password_confirm`), `…/{name}/role`, `…/{name}/password`, `…/{name}/disable`, `…/{name}/enable` | admin | add, change an account |
//! | `POST /admin/accounts/{name}/sites` (`sites`…) | admin | limit an account to sites (none: every site) |
//! | `POST /admin/tokens` (`name`, `role`, `sites`…), `POST /admin/tokens/{id}/revoke` | admin | create (303 to `GET /admin`, which shows it once), revoke a token |
//! | `GET /static/…` | anyone | style sheets (the console's, the diagram page's paper in print) and htmx |

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::AppState;

mod admin;
mod alerts;
mod allowlist;
mod audit;
mod checklist;
mod cross_origin;
mod dashboard;
mod decide;
mod device;
mod devices;
mod exceptions;
mod form;
mod import;
mod labels;
mod login;
mod network_diagram;
mod remote_maintenance;
mod render;
mod session;
mod session_store;
mod sites;
mod triage;

/// The console's routes, with its session, cross-origin and header layers.
pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::page))
        .route("/devices", get(devices::page))
        .route("/devices/export", get(devices::export))
        .route("/devices/views", post(devices::save))
        .route("/devices/views/delete", post(devices::delete))
        .route("/devices/{id}", get(device::page))
        .route("/devices/{id}/ledger", post(device::save_ledger))
        .route("/devices/{id}/role", post(device::save_role))
        .route("/devices/{id}/merge", post(device::merge))
        .route("/devices/{id}/split", post(device::split))
        .merge(triage::routes())
        .merge(alerts::routes())
        .merge(exceptions::routes())
        .merge(allowlist::routes())
        .merge(remote_maintenance::routes())
        .merge(import::routes())
        .merge(checklist::routes())
        .merge(network_diagram::routes())
        .merge(audit::routes())
        .merge(admin::routes())
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .layer(middleware::from_fn(cross_origin::refuse_cross_origin))
        .layer(session::layer(
            Arc::clone(&state.ledger),
            &state.console,
            state.tls,
        ))
        .layer(middleware::from_fn(render::security_headers))
        .route("/static/console.css", get(console_css))
        .route("/static/htmx.min.js", get(htmx_js))
        .route("/static/print-a3.css", get(print_a3_css))
        .route("/static/print-a4.css", get(print_a4_css))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn console_css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../assets/console.css"),
    )
}

/// The network diagram page's paper in print.
async fn print_a3_css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../assets/print-a3.css"),
    )
}

/// The same for A4.
async fn print_a4_css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../assets/print-a4.css"),
    )
}

async fn htmx_js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../assets/htmx.min.js"),
    )
}
