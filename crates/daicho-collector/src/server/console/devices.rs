//! `GET /devices`: the 機器台帳 — every MHLW ledger column plus MAC, vendor, OS, open services,
//! flags and last seen; a filter on each column, free text, sort, a choice of columns, the
//! built-in views (未登録, サポート終了OS, …) and the facility's saved views
//! (`POST /devices/views`, `POST /devices/views/delete`), paging; and `GET /devices/export`,
//! the download of exactly the filtered rows as XLSX or CSV. The list covers the `?site=`, else
//! every site the account sees (with a サイト column when that is several); the download is one
//! site's ([`crate::site_access::report_site`]), under that site's name.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use daicho_ledger::{DeviceFilter, DeviceSummary};

use super::decide::{Flags, decide};
use super::form::FormFields;
use super::labels::{display_time, flag_label};
use super::render::{ConsoleError, Layout, Page, html};
use super::session::{Decider, Signed};
use super::sites::with_site;
use crate::evidence::{export_devices, facility_for};
use crate::saved_views::{SavedView, delete_view, save_view, saved_views};
use crate::server::AppState;
use crate::server::download::{ledger_file, ledger_format, with_notice};
use crate::server::error::Failure;
use crate::server::extract::{blocking, on_ledger};
use crate::site_access::report_site;

/// Rows per page unless the operator chooses.
const DEFAULT_PER_PAGE: u32 = 50;

/// The choosable columns: (key, header).
const COLUMNS: [(&str, &str); 17] = [
    ("asset_no", "管理番号"),
    ("maker", "メーカー"),
    ("os", "OS"),
    ("software", "ソフトウェア"),
    ("software_version", "ソフトウェアバージョン"),
    ("ip", "IPアドレス"),
    ("computer_name", "コンピュータ名"),
    ("location", "設置場所"),
    ("user", "利用者"),
    ("registered_on", "登録日"),
    ("status", "状態"),
    ("description", "説明"),
    ("mac", "MACアドレス"),
    ("vendor", "ベンダー（MAC）"),
    ("services", "開いているサービス"),
    ("flags", "指摘"),
    ("last_seen", "最終確認"),
];

/// The columns shown until the operator chooses others.
const DEFAULT_COLUMNS: [&str; 12] = [
    "asset_no",
    "ip",
    "computer_name",
    "mac",
    "vendor",
    "os",
    "location",
    "user",
    "status",
    "services",
    "flags",
    "last_seen",
];

/// Columns that sort, with the ledger's sort key.
fn sort_key(column: &str) -> Option<&'static str> {
    Some(match column {
        "asset_no" => "asset_no",
        "ip" => "ip",
        "computer_name" => "hostname",
        "vendor" | "maker" => "vendor",
        "os" => "os",
        "location" => "location",
        "user" => "user",
        "status" => "status",
        "registered_on" => "registered_on",
        "last_seen" => "last_seen",
        _ => return None,
    })
}

/// The built-in views: (key, label, what they set).
const VIEWS: [(&str, &str); 6] = [
    ("all", "すべて"),
    ("unregistered", "未登録"),
    ("eol", "サポート終了OS"),
    ("services", "不要なサービス"),
    ("flagged", "指摘のある機器"),
    ("gone", "見えなくなった機器"),
];

/// The list's query: filters, sort, page and columns, as the URL carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ListQuery {
    /// A built-in view.
    pub view: String,
    /// Free text.
    pub q: String,
    /// Per-column filters, by column key.
    pub filters: Vec<(String, String)>,
    /// Sort column and direction.
    pub sort: String,
    /// Descending.
    pub desc: bool,
    /// Page, from 1.
    pub page: u32,
    /// Rows per page.
    pub per: u32,
    /// Chosen columns (empty: the default).
    pub cols: Vec<String>,
    /// The site's name (empty: every site the account sees).
    pub site: String,
}

/// Keys with a per-column filter box.
const FILTERABLE: [&str; 8] = [
    "asset_no",
    "ip",
    "computer_name",
    "vendor",
    "os",
    "location",
    "user",
    "status",
];

impl ListQuery {
    /// Reads the query string; unknown keys are ignored, bad numbers fall back to defaults.
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let mut q = Self {
            page: 1,
            per: DEFAULT_PER_PAGE,
            ..Self::default()
        };
        for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let v = v.trim().to_owned();
            match k.as_ref() {
                "view" => q.view = v,
                "q" => q.q = v,
                "sort" => q.sort = v,
                "desc" => q.desc = v == "1" || v == "true",
                "page" => q.page = v.parse().unwrap_or(1).max(1),
                "per" => q.per = v.parse().unwrap_or(DEFAULT_PER_PAGE).clamp(10, 500),
                "col" if COLUMNS.iter().any(|(c, _)| *c == v) => q.cols.push(v),
                "site" => q.site = v,
                key if FILTERABLE.contains(&key) && !v.is_empty() => {
                    q.filters.push((key.to_owned(), v));
                }
                _ => {}
            }
        }
        q
    }

    /// The ledger filter this list shows (paging included when `paged`); its scope is the
    /// caller's to set, from who asks.
    pub(crate) fn filter(&self, paged: bool) -> DeviceFilter {
        let mut f = DeviceFilter::default();
        match self.view.as_str() {
            "unregistered" => f.flag = Some("unregistered".to_owned()),
            "eol" => f.flag = Some("eol_os".to_owned()),
            "services" => f.flag = Some("unneeded_service".to_owned()),
            "flagged" => f.flagged = Some(true),
            "gone" => f.presence = Some("gone".to_owned()),
            _ => {}
        }
        if !self.q.is_empty() {
            f.q = Some(self.q.clone());
        }
        for (k, v) in &self.filters {
            let v = Some(v.clone());
            match k.as_str() {
                "asset_no" => f.asset_no = v,
                "ip" => f.ip = v,
                "computer_name" => f.hostname = v,
                "vendor" => f.vendor = v,
                "os" => f.os = v,
                "location" => f.location = v,
                "user" => f.user = v,
                "status" => f.status = v,
                _ => {}
            }
        }
        f.sort = sort_key(&self.sort).map(str::to_owned);
        f.desc = Some(self.desc);
        if paged {
            f.limit = Some(self.per);
            f.offset = Some((self.page - 1).saturating_mul(self.per));
        }
        f
    }

    /// The columns shown.
    fn columns(&self) -> Vec<&'static str> {
        let chosen: Vec<&'static str> = COLUMNS
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| self.cols.iter().any(|c| c == k))
            .collect();
        if chosen.is_empty() {
            DEFAULT_COLUMNS.to_vec()
        } else {
            chosen
        }
    }

    /// The query string of this list with some parts changed (for links).
    fn link(&self, change: impl FnOnce(&mut Self)) -> String {
        let mut q = self.clone();
        change(&mut q);
        let mut out = form_urlencoded::Serializer::new(String::new());
        if !q.view.is_empty() && q.view != "all" {
            out.append_pair("view", &q.view);
        }
        if !q.q.is_empty() {
            out.append_pair("q", &q.q);
        }
        for (k, v) in &q.filters {
            out.append_pair(k, v);
        }
        if !q.sort.is_empty() {
            out.append_pair("sort", &q.sort);
        }
        if q.desc {
            out.append_pair("desc", "1");
        }
        if q.page > 1 {
            out.append_pair("page", &q.page.to_string());
        }
        if q.per != DEFAULT_PER_PAGE {
            out.append_pair("per", &q.per.to_string());
        }
        for c in &q.cols {
            out.append_pair("col", c);
        }
        if !q.site.is_empty() {
            out.append_pair("site", &q.site);
        }
        out.finish()
    }

    fn filter_value(&self, key: &str) -> String {
        self.filters
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// A column header: label, sort link, filter box.
pub(crate) struct HeaderCell {
    pub label: &'static str,
    /// Sort link (`?…`), empty when the column does not sort.
    pub sort_href: String,
    /// ▲/▼ when sorted by this column.
    pub arrow: &'static str,
    /// The filter box's name, empty when the column has none.
    pub filter_name: &'static str,
    pub filter_value: String,
}

/// One flag badge.
pub(crate) struct Badge {
    pub class: String,
    pub label: String,
}

/// One cell.
pub(crate) struct Cell {
    pub text: String,
    pub badges: Vec<Badge>,
    pub nowrap: bool,
}

/// One device row.
pub(crate) struct Row {
    pub id: i64,
    /// Its site's label (shown when the account sees several sites).
    pub site: String,
    pub cells: Vec<Cell>,
}

/// A view link.
pub(crate) struct ViewLink {
    pub label: &'static str,
    pub href: String,
    pub active: bool,
}

/// A saved view's link.
pub(crate) struct SavedLink {
    pub name: String,
    pub href: String,
    pub active: bool,
}

/// A column choice checkbox.
pub(crate) struct ColumnChoice {
    pub key: &'static str,
    pub label: &'static str,
    pub shown: bool,
}

#[derive(Template)]
#[template(path = "console/devices.html")]
struct DevicesPage {
    layout: Layout,
    views: Vec<ViewLink>,
    saved: Vec<SavedLink>,
    /// This list's query, for saving it as a view.
    this_query: String,
    view: String,
    q: String,
    sort: String,
    desc: bool,
    per: u32,
    headers: Vec<HeaderCell>,
    rows: Vec<Row>,
    choices: Vec<ColumnChoice>,
    /// The list's parameters other than the columns, for the column form.
    keep: Vec<(String, String)>,
    /// The chosen columns, for the filter form.
    cols: Vec<String>,
    total: u64,
    first: u64,
    last: u64,
    page: u32,
    pages: u64,
    prev_href: String,
    next_href: String,
    export_query: String,
    /// The download is one site's: offered once the list is one site's.
    can_export: bool,
}

fn text(value: Option<&str>) -> String {
    value.unwrap_or_default().to_owned()
}

fn cell(text: String) -> Cell {
    Cell {
        text,
        badges: Vec::new(),
        nowrap: false,
    }
}

fn nowrap(text: String) -> Cell {
    Cell {
        text,
        badges: Vec::new(),
        nowrap: true,
    }
}

/// How many open services a list cell names before it counts the rest.
const SERVICES_SHOWN: usize = 3;

/// A list cell's open services: the first few, then how many more (the device page has all).
fn services_text(services: &[String]) -> String {
    let shown = services
        .iter()
        .take(SERVICES_SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("、");
    match services.len().saturating_sub(SERVICES_SHOWN) {
        0 => shown,
        more => format!("{shown}（ほか {more}）"),
    }
}

/// The cell of `column` for a device: the ledger's value, falling back to what was observed.
fn device_cell(d: &DeviceSummary, column: &str) -> Cell {
    let l = &d.ledger;
    match column {
        "asset_no" => nowrap(text(l.asset_no.as_deref())),
        "maker" => cell(text(l.maker.as_deref())),
        "os" => {
            let seen = [d.os.name.as_deref(), d.os.version.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            cell(if seen.is_empty() {
                text(l.os.as_deref())
            } else {
                seen
            })
        }
        "software" => cell(text(l.software.as_deref())),
        "software_version" => cell(text(l.software_version.as_deref())),
        "ip" => nowrap(text(d.ip.as_deref().or(l.ip.as_deref()))),
        "computer_name" => cell(text(l.computer_name.as_deref().or(d.hostname.as_deref()))),
        "location" => cell(text(l.location.as_deref())),
        "user" => cell(text(l.user.as_deref())),
        "registered_on" => nowrap(text(l.registered_on.as_deref())),
        "status" => nowrap(text(l.status.as_deref())),
        "description" => cell(text(l.description.as_deref())),
        "mac" => nowrap(match (&d.mac, d.mac_randomized) {
            (Some(m), true) => format!("{m}（ランダム）"),
            (Some(m), false) => m.clone(),
            (None, _) => String::new(),
        }),
        "vendor" => cell(text(d.vendor.as_deref())),
        "services" => cell(services_text(&d.open_services)),
        "flags" => Cell {
            text: String::new(),
            badges: d
                .flags
                .iter()
                .map(|f| Badge {
                    class: f.clone(),
                    label: flag_label(f),
                })
                .collect(),
            nowrap: false,
        },
        "last_seen" => nowrap(if d.presence == "gone" {
            format!("{}（見えない）", display_time(&d.last_seen))
        } else {
            display_time(&d.last_seen)
        }),
        _ => cell(String::new()),
    }
}

pub(super) async fn page(
    State(st): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let query = ListQuery::parse(raw.as_deref());
    let layout = Layout::new(&st, &signed, Page::Devices, Some(&query.site)).await?;
    let mut filter = query.filter(true);
    filter.scope = layout.scope.clone();
    let (list, saved) = on_ledger(&st, move |l| {
        Ok((l.list_devices(&filter)?, saved_views(l)?))
    })
    .await?;
    let this_query = query.link(|q| q.page = 1);
    let saved = saved
        .into_iter()
        .map(|v: SavedView| SavedLink {
            active: v.query == this_query,
            href: v.query,
            name: v.name,
        })
        .collect();
    let columns = query.columns();
    let header_label = |key: &str| COLUMNS.iter().find(|(k, _)| *k == key).map_or("", |c| c.1);
    let headers = columns
        .iter()
        .map(|&key| {
            let sorted_here = query.sort == key;
            HeaderCell {
                label: header_label(key),
                sort_href: sort_key(key).map_or_else(String::new, |_| {
                    query.link(|q| {
                        q.desc = sorted_here && !q.desc;
                        key.clone_into(&mut q.sort);
                        q.page = 1;
                    })
                }),
                arrow: match (sorted_here, query.desc) {
                    (true, false) => "▲",
                    (true, true) => "▼",
                    _ => "",
                },
                filter_name: FILTERABLE
                    .iter()
                    .find(|f| **f == key)
                    .copied()
                    .unwrap_or(""),
                filter_value: query.filter_value(key),
            }
        })
        .collect();
    let rows = list
        .devices
        .iter()
        .map(|d| Row {
            id: d.id,
            site: layout.site_label_of(d.site_id),
            cells: columns.iter().map(|c| device_cell(d, c)).collect(),
        })
        .collect();
    let per = u64::from(query.per);
    let pages = list.total.div_ceil(per).max(1);
    let first = if list.total == 0 {
        0
    } else {
        u64::from(query.page - 1) * per + 1
    };
    let last = (first + list.devices.len() as u64)
        .saturating_sub(1)
        .max(first);
    let views = VIEWS
        .iter()
        .map(|&(key, label)| ViewLink {
            label,
            href: query.link(|q| {
                key.clone_into(&mut q.view);
                q.page = 1;
            }),
            active: query.view == key || (query.view.is_empty() && key == "all"),
        })
        .collect();
    let choices = COLUMNS
        .iter()
        .map(|&(key, label)| ColumnChoice {
            key,
            label,
            shown: columns.contains(&key),
        })
        .collect();
    html(&DevicesPage {
        views,
        saved,
        this_query,
        view: query.view.clone(),
        q: query.q.clone(),
        sort: query.sort.clone(),
        desc: query.desc,
        per: query.per,
        headers,
        rows,
        choices,
        keep: form_urlencoded::parse(query.link(|q| q.cols.clear()).as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        cols: query.cols.clone(),
        total: list.total,
        first,
        last,
        page: query.page,
        pages,
        prev_href: if query.page > 1 {
            query.link(|q| q.page -= 1)
        } else {
            String::new()
        },
        next_href: if u64::from(query.page) < pages {
            query.link(|q| q.page += 1)
        } else {
            String::new()
        },
        export_query: query.link(|q| q.page = 1),
        can_export: layout.current.is_some(),
        layout,
    })
}

/// `GET /devices/export?format=xlsx|csv&encoding=utf8|cp932&<the list's filters>`: the rows of
/// one site (`site`, else the account's only site), under its name.
pub(super) async fn export(
    State(st): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let query = ListQuery::parse(raw.as_deref());
    let mut format = None;
    let mut encoding = None;
    for (k, v) in form_urlencoded::parse(raw.as_deref().unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "format" => format = Some(v.into_owned()),
            "encoding" => encoding = Some(v.into_owned()),
            _ => {}
        }
    }
    let csv = ledger_format(format.as_deref(), encoding.as_deref())?;
    let mut filter = query.filter(false);
    let ledger = st.ledger.clone();
    let caller = signed.scope.clone();
    let (bytes, _, notice) = blocking(move || {
        let site = report_site(&ledger, &caller, Some(&query.site)).map_err(Failure::from)?;
        let facility = facility_for(&ledger, site.id, "").map_err(Failure::from)?;
        filter.scope = daicho_ledger::SiteScope::one(site.id);
        let ids = ledger.device_ids(&filter).map_err(Failure::from)?;
        export_devices(&ledger, csv, &ids, &facility).map_err(Failure::from)
    })
    .await?;
    // A download shows no page: the CP932 notice travels in a header, as from the API.
    Ok(with_notice(ledger_file(bytes, csv), notice.as_ref()))
}

/// `POST /devices/views` (`name`, `query`): saves the list's query as a named view.
pub(super) async fn save(
    State(st): State<AppState>,
    Decider(signed): Decider,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form = FormFields::parse(&body);
    // Normalised through the parser, so only known parts are kept.
    let query = ListQuery::parse(form.get("query")).link(|q| q.page = 1);
    let name = form.get("name").unwrap_or_default().to_owned();
    let back = format!("/devices?{query}");
    let shown = name.trim().to_owned();
    Ok(decide(
        &st,
        &signed,
        &back,
        Flags::Stay,
        move |l, actor| save_view(l, actor, &name, &query, l.now()),
        |()| format!("表示「{shown}」を保存しました。"),
    )
    .await)
}

/// `POST /devices/views/delete` (`name`).
pub(super) async fn delete(
    State(st): State<AppState>,
    Decider(signed): Decider,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form = FormFields::parse(&body);
    let name = form.get("name").unwrap_or_default().to_owned();
    let shown = name.clone();
    Ok(decide(
        &st,
        &signed,
        &with_site("/devices", form.get("site")),
        Flags::Stay,
        move |l, actor| delete_view(l, actor, &name, l.now()),
        |()| format!("表示「{shown}」を削除しました。"),
    )
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_round_trips_through_links() {
        let q = ListQuery::parse(Some(
            "view=eol&q=%E5%A4%96%E6%9D%A5&location=2F&sort=ip&desc=1&page=3&col=ip&col=flags&bogus=1",
        ));
        assert_eq!(q.view, "eol");
        assert_eq!(q.q, "外来");
        assert_eq!(q.filters, vec![("location".to_owned(), "2F".to_owned())]);
        assert_eq!(q.page, 3);
        assert_eq!(q.cols, vec!["ip", "flags"]);
        assert_eq!(ListQuery::parse(Some(&q.link(|_| {}))), q);
    }

    #[test]
    fn views_and_column_filters_become_ledger_filters() {
        let q = ListQuery::parse(Some(
            "view=unregistered&computer_name=pc-1&sort=computer_name&per=20&page=2",
        ));
        let f = q.filter(true);
        assert_eq!(f.flag.as_deref(), Some("unregistered"));
        assert_eq!(f.hostname.as_deref(), Some("pc-1"));
        assert_eq!(f.sort.as_deref(), Some("hostname"));
        assert_eq!((f.limit, f.offset), (Some(20), Some(20)));
        assert_eq!(q.filter(false).limit, None);
        assert_eq!(
            ListQuery::parse(Some("view=gone"))
                .filter(true)
                .presence
                .as_deref(),
            Some("gone")
        );
    }

    #[test]
    fn a_list_cell_names_three_services_and_counts_the_rest() {
        let s: Vec<String> = [
            "ssh 22/tcp",
            "http 80/tcp",
            "https 443/tcp",
            "smb 445/tcp",
            "rdp 3389/tcp",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(services_text(&s[..2]), "ssh 22/tcp、http 80/tcp");
        assert_eq!(
            services_text(&s),
            "ssh 22/tcp、http 80/tcp、https 443/tcp（ほか 2）"
        );
    }

    #[test]
    fn unknown_columns_are_ignored_and_the_default_is_kept() {
        let q = ListQuery::parse(Some("col=nonsense"));
        assert_eq!(q.columns(), DEFAULT_COLUMNS.to_vec());
    }
}
