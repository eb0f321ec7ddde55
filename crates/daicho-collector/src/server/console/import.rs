//! `GET /import`: 台帳の取り込み — a hand-kept ledger (XLSX/XLS, or CSV in UTF-8 or CP932)
//! is uploaded (`POST /import`, multipart `file`) and kept as a draft for its uploader; its
//! dry run `GET /import/{draft}` shows how it was read and what applying it would change, with
//! a column-mapping step for the headers no column matched (`POST /import/{draft}/map`, the
//! mapping remembered for the next import); `POST /import/{draft}/apply` applies every row in
//! one transaction, or none. An import is one site's
//! ([`crate::site_access::report_site`]: the `site` of the page and of the upload, else the
//! account's only site): its draft keeps that site, and the dry run and the apply match the rows
//! against that site's devices only.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use daicho_ledger_io::{Column, ColumnMapping, MappedTo};

use super::form::FormFields;
use super::render::{ConsoleError, Layout, Page, flash, html, see_other};
use super::session::{Decider, Signed};
use super::sites::{SiteParam, choose_site, must_choose, with_site};
use crate::decisions;
use crate::server::AppState;
use crate::server::extract::on_ledger;
use crate::site_access::report_site;

mod drafts;
mod dry_run;

use drafts::{Draft, Drafts, MAX_FILE_BYTES};
use dry_run::DryRun;

/// The largest upload body: the file plus room for the multipart framing.
pub(super) const UPLOAD_BODY_LIMIT: usize = MAX_FILE_BYTES + 64 * 1024;

/// At most this many headers are read from one mapping form.
const MAX_MAPPING_ROWS: usize = 500;

/// This page group's routes, with this server's draft store.
pub(super) fn routes() -> Router<AppState> {
    let drafts = Arc::new(Drafts::default());
    Router::new()
        .route(
            "/import",
            get(page)
                .post(upload)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/import/{draft}", get(draft_page))
        .route("/import/{draft}/map", post(map))
        .route("/import/{draft}/apply", post(apply))
        .layer(Extension(drafts))
}

/// The ledger columns a header may be mapped to: (form value, label).
fn column_choices() -> Vec<(&'static str, &'static str)> {
    Column::LEDGER
        .iter()
        .map(|c| (c.header(), c.header()))
        .collect()
}

/// A remembered mapping entry, for the upload page.
struct RememberedRow {
    header: String,
    to: String,
}

#[derive(Template)]
#[template(path = "console/import.html")]
struct UploadPage {
    layout: Layout,
    remembered: Vec<RememberedRow>,
    max_mib: usize,
}

#[derive(Template)]
#[template(path = "console/import_draft.html")]
struct DraftPage {
    layout: Layout,
    id: String,
    /// The upload page it came from.
    back: String,
    file_name: String,
    run: DryRun,
    choices: Vec<(&'static str, &'static str)>,
    listed: usize,
}

/// `GET /import`: the upload form and the remembered column mapping.
async fn page(
    State(st): State<AppState>,
    signed: Signed,
    SiteParam(site): SiteParam,
) -> Result<Response, ConsoleError> {
    let layout = Layout::new(&st, &signed, Page::Import, site.as_deref()).await?;
    if must_choose(&layout) {
        return choose_site(layout, "台帳の取り込み");
    }
    let mapping = on_ledger(&st, decisions::remembered_import_mapping).await?;
    html(&UploadPage {
        layout,
        remembered: mapping
            .iter()
            .map(|(header, to)| RememberedRow {
                header: header.to_owned(),
                to: match to {
                    MappedTo::Ignore => "取り込まない".to_owned(),
                    MappedTo::Column(c) => c.header().to_owned(),
                },
            })
            .collect(),
        max_mib: MAX_FILE_BYTES / (1024 * 1024),
    })
}

/// The upload too large, or unreadable as a form: the error page.
pub(super) fn upload_failed(status: StatusCode) -> ConsoleError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ConsoleError::new(
            status,
            format!(
                "ファイルが大きすぎます（{} MiB まで）。不要なシートや列を削除するか、CSV で保存して取り込んでください。",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        )
    } else {
        ConsoleError::new(
            StatusCode::BAD_REQUEST,
            "ファイルを受け取れませんでした。もう一度選んでください。",
        )
    }
}

/// What an upload sends: the `site` field (blank: none) and the `file` field's name and bytes
/// (none when empty).
#[derive(Debug, Default)]
pub(super) struct Upload {
    /// The `site` field, when not blank.
    pub site: Option<String>,
    /// The `file` field's name and bytes, when a file was sent.
    pub file: Option<(String, Vec<u8>)>,
}

/// Reads the upload's `site` and `file` fields (others are skipped).
pub(super) async fn upload_fields(mut multipart: Multipart) -> Result<Upload, ConsoleError> {
    let mut upload = Upload::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| upload_failed(e.status()))?
    {
        match field.name() {
            Some("site") => {
                let site = field.text().await.map_err(|e| upload_failed(e.status()))?;
                upload.site = Some(site.trim().to_owned()).filter(|s| !s.is_empty());
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("ledger").to_owned();
                let bytes = field.bytes().await.map_err(|e| upload_failed(e.status()))?;
                upload.file = (!bytes.is_empty()).then(|| (name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// `POST /import` (multipart `site`, `file`): keeps the file as a draft for that site, read
/// with the remembered mapping, and goes to its dry run.
async fn upload(
    State(st): State<AppState>,
    Extension(drafts): Extension<Arc<Drafts>>,
    Decider(signed): Decider,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ConsoleError> {
    let multipart = multipart.map_err(|r| upload_failed(r.status()))?;
    let upload = upload_fields(multipart).await?;
    let back = with_site("/import", upload.site.as_deref());
    let Some((file_name, bytes)) = upload.file else {
        flash(&signed.session, false, "取り込むファイルを選んでください。").await;
        return Ok(see_other(&back));
    };
    let (caller, name) = (signed.scope.clone(), upload.site);
    let (site, mapping) = on_ledger(&st, move |l| {
        let site = report_site(l, &caller, name.as_deref())?;
        Ok((site, decisions::remembered_import_mapping(l)?))
    })
    .await?;
    match drafts.keep(
        &signed.name,
        (site, back.clone()),
        &file_name,
        bytes,
        mapping,
    ) {
        Ok(id) => Ok(see_other(&format!("/import/{id}"))),
        Err(e) => {
            flash(&signed.session, false, e.to_string()).await;
            Ok(see_other(&back))
        }
    }
}

/// The signed-in account's draft in the path, or 404.
fn draft_of(
    drafts: &Drafts,
    path: Result<Path<String>, PathRejection>,
    owner: &str,
) -> Result<Draft, ConsoleError> {
    path.ok()
        .and_then(|Path(id)| drafts.get(&id, owner))
        .ok_or_else(|| {
            ConsoleError::new(
                StatusCode::NOT_FOUND,
                "この取り込みは見つかりません（アップロードから 30 分で破棄されます）。もう一度ファイルをアップロードしてください。",
            )
        })
}

/// `GET /import/{draft}`: the dry run.
async fn draft_page(
    State(st): State<AppState>,
    Extension(drafts): Extension<Arc<Drafts>>,
    signed: Signed,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ConsoleError> {
    let draft = draft_of(&drafts, path, &signed.name)?;
    // The draft's site, which the account must (still) see.
    let layout = Layout::new(&st, &signed, Page::Import, Some(&draft.site.name)).await?;
    let (bytes, mapping, site) = (
        Arc::clone(&draft.bytes),
        draft.mapping.clone(),
        draft.site.id,
    );
    let run = on_ledger(&st, move |l| DryRun::build(l, site, &bytes, &mapping)).await?;
    html(&DraftPage {
        layout,
        id: draft.id,
        file_name: draft.file_name,
        back: draft.back,
        run,
        choices: column_choices(),
        listed: dry_run::LISTED_ROWS,
    })
}

/// The mapping form (`h0`/`t0`, `h1`/`t1`, …: header and what it is read as; a blank choice
/// drops the header from the mapping).
fn mapping_from(form: &FormFields) -> Result<ColumnMapping, String> {
    let mut mapping = ColumnMapping::new();
    for i in 0..MAX_MAPPING_ROWS {
        let Some(header) = form.get(&format!("h{i}")) else {
            break;
        };
        let to = form.get(&format!("t{i}")).unwrap_or_default();
        if header.is_empty() || to.is_empty() {
            continue;
        }
        let to: MappedTo = to
            .parse()
            .map_err(|e: daicho_ledger_io::MappingError| e.to_string())?;
        mapping.insert(header, to).map_err(|e| e.to_string())?;
    }
    Ok(mapping)
}

/// `POST /import/{draft}/map`: reads the draft with the mapping from now on and remembers it
/// for the next import.
async fn map(
    State(st): State<AppState>,
    Extension(drafts): Extension<Arc<Drafts>>,
    Decider(signed): Decider,
    path: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let draft = draft_of(&drafts, path, &signed.name)?;
    let back = format!("/import/{}", draft.id);
    let mapping = match mapping_from(&FormFields::parse(&body)) {
        Ok(mapping) => mapping,
        Err(message) => {
            flash(&signed.session, false, message).await;
            return Ok(see_other(&back));
        }
    };
    drafts.set_mapping(&draft.id, &signed.name, mapping.clone());
    let actor = signed.actor();
    let result = on_ledger(&st, move |l| {
        decisions::remember_import_mapping(l, &actor, &mapping, l.now())
    })
    .await;
    match result {
        Ok(()) => {
            flash(
                &signed.session,
                true,
                "列の対応付けを反映しました（次回の取り込みにも使います）。",
            )
            .await;
        }
        Err(f) if f.status() == StatusCode::FORBIDDEN => return Err(f.into()),
        Err(f) => flash(&signed.session, false, f.message().to_owned()).await,
    }
    Ok(see_other(&back))
}

/// `POST /import/{draft}/apply`: every row in one transaction, or none; then the draft is
/// discarded.
async fn apply(
    State(st): State<AppState>,
    Extension(drafts): Extension<Arc<Drafts>>,
    Decider(signed): Decider,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ConsoleError> {
    let draft = draft_of(&drafts, path, &signed.name)?;
    let back = format!("/import/{}", draft.id);
    let actor = signed.actor();
    let (bytes, mapping, file_name, site) = (
        Arc::clone(&draft.bytes),
        draft.mapping.clone(),
        draft.file_name.clone(),
        draft.site.id,
    );
    let result = on_ledger(&st, move |l| {
        let import = match daicho_ledger_io::import_ledger_with(&bytes, &mapping) {
            Ok(import) => import,
            Err(e) => return Ok(Err(e.to_string())),
        };
        decisions::apply_import(
            l,
            &actor,
            site,
            &file_name,
            &import.rows,
            &import.row_numbers,
            l.now(),
        )
        .map(Ok)
    })
    .await;
    match result {
        Ok(Ok((_, applied))) => {
            drafts.discard(&draft.id, &signed.name);
            st.alerts_wake.notify_one();
            flash(
                &signed.session,
                true,
                format!(
                    "「{}」を取り込みました：変更 {} 台、変更なし {} 台、新規登録 {} 台。",
                    draft.file_name, applied.updated, applied.unchanged, applied.created
                ),
            )
            .await;
            Ok(see_other(&draft.back))
        }
        Ok(Err(message)) => {
            flash(&signed.session, false, message).await;
            Ok(see_other(&back))
        }
        Err(f) if f.status() == StatusCode::FORBIDDEN => Err(f.into()),
        Err(f) => {
            flash(
                &signed.session,
                false,
                format!(
                    "取り込みませんでした（何も変更していません）：{}",
                    f.message()
                ),
            )
            .await;
            Ok(see_other(&back))
        }
    }
}
