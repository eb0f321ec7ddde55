//! `GET /`: the dashboard — the four checklist answers with the next step for each (kept while
//! the ledger does not change, see `ChecklistCache`), the devices that need the operator, the
//! newest changes, and the agents (quiet ones marked). With `?site=` (or an account of one
//! site) all of it is that site's; with several sites and none chosen, the counts, changes and
//! agents cover every site the account sees and the answers are asked for per site (each
//! site's are on the checklist's group summary).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use daicho_ledger::EventFilter;
use daicho_ledger::overview::{AgentSummary, DeviceCounts};

use super::labels::{display_time, event_detail, event_label};
use super::render::{ConsoleError, Layout, Page, html};
use super::session::Signed;
use super::sites::SiteParam;
use crate::evidence::facility_for;
use crate::server::AppState;
use crate::server::extract::on_ledger;

/// How many changes the dashboard lists.
const NEWEST_CHANGES: u32 = 12;

/// One checklist answer on the dashboard.
pub(crate) struct AnswerCard {
    pub number: &'static str,
    pub title: &'static str,
    pub yes: bool,
    pub label: &'static str,
    /// The one thing to do next (empty for はい).
    pub next_step: String,
    /// The first finding that decided the answer.
    pub finding: String,
}

/// One recent change.
pub(crate) struct ChangeRow {
    pub at: String,
    pub device_id: i64,
    pub what: &'static str,
    pub detail: String,
}

/// One agent line.
pub(crate) struct AgentRow {
    pub name: String,
    pub version: String,
    pub last_report_at: String,
    pub hosts: u64,
    pub quiet: bool,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    answers: Vec<AnswerCard>,
    counts: DeviceCounts,
    changes: Vec<ChangeRow>,
    agents: Vec<AgentRow>,
}

pub(super) async fn page(
    State(st): State<AppState>,
    signed: Signed,
    SiteParam(site): SiteParam,
) -> Result<Response, ConsoleError> {
    let layout = Layout::new(&st, &signed, Page::Dashboard, site.as_deref()).await?;
    let scope = layout.scope.clone();
    let current = layout.current.as_ref().map(|s| s.id);
    let cache = Arc::clone(&st.checklist);
    let (report, counts, events, agents) = on_ledger(&st, move |l| {
        let report = current
            .map(|site| cache.report(l, site, &facility_for(l, site, "")?))
            .transpose()?;
        let events = l.events(&EventFilter {
            limit: Some(NEWEST_CHANGES),
            scope: scope.clone(),
            ..EventFilter::default()
        })?;
        Ok((
            report,
            l.device_counts(&scope)?,
            events,
            l.agents(&scope, l.now())?,
        ))
    })
    .await?;
    let answers = report
        .iter()
        .flat_map(|r| r.items.iter())
        .map(|item| AnswerCard {
            number: item.item.number(),
            title: item.item.title(),
            yes: item.answer.is_done(),
            label: item.answer.label(),
            next_step: item.actions.first().cloned().unwrap_or_default(),
            finding: item.findings.first().cloned().unwrap_or_default(),
        })
        .collect();
    let changes = events
        .iter()
        .map(|e| ChangeRow {
            at: display_time(&e.at),
            device_id: e.device_id,
            what: event_label(e.kind),
            detail: event_detail(e.kind, &e.detail),
        })
        .collect();
    let agents = agents
        .into_iter()
        .map(|a: AgentSummary| AgentRow {
            last_report_at: display_time(&a.last_report_at),
            name: a.name,
            version: a.version,
            hosts: a.last_host_count,
            quiet: a.quiet,
        })
        .collect();
    html(&DashboardPage {
        layout,
        answers,
        counts,
        changes,
        agents,
    })
}
