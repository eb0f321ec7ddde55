//! What the dry-run page shows of an uploaded ledger: how the file was read (kind, encoding,
//! sheets, skipped heading rows), the headers no column matched with their samples (the
//! mapping step), the rows that could not be read (sheet and row), and what applying it would
//! do — matched rows with each changed field before → after, new devices, conflicts and the
//! devices no row covers.

use daicho_ledger::{ImportPlan, Ledger, LedgerError, LedgerFields, RowAction, RowMatch, SiteId};
use daicho_ledger_io::{
    Column, ColumnMapping, Import, ImportError, LedgerRow, RowRef, SourceKind, UnmappedColumn,
};

/// At most this many changed, new and conflicting rows are listed each (all are counted).
pub(crate) const LISTED_ROWS: usize = 200;

/// One header of the mapping step: an unmapped one, or one the mapping already names.
pub(crate) struct MappingRow {
    /// The header as written.
    pub header: String,
    /// Where it is (`F 列`, with the sheet in a workbook); empty for a mapped header not in
    /// this file.
    pub place: String,
    /// Sample values.
    pub samples: String,
    /// What it is mapped to now: a column header, `ignore`, or empty.
    pub selected: String,
}

/// A sheet read.
pub(crate) struct SheetRow {
    pub name: String,
    pub header_row: usize,
    pub rows: usize,
}

/// A skipped heading row or a row that could not be read.
pub(crate) struct RowNote {
    pub at: String,
    pub column: String,
    pub value: String,
    pub message: String,
}

/// One changed field.
pub(crate) struct FieldChange {
    pub label: &'static str,
    pub before: String,
    pub after: String,
}

/// A matched row that changes its device.
pub(crate) struct ChangeRow {
    pub at: String,
    pub asset_no: String,
    pub device_id: i64,
    pub matched_by: &'static str,
    pub fields: Vec<FieldChange>,
}

/// A row that becomes a new registered device.
pub(crate) struct NewRow {
    pub at: String,
    pub asset_no: String,
    pub computer_name: String,
    pub ip: String,
    pub mac: String,
}

/// A device no row covers.
pub(crate) struct UncoveredRow {
    pub device_id: i64,
    pub asset_no: String,
    pub ip: String,
    pub mac: String,
    pub hostname: String,
}

/// The dry run of one file.
#[derive(Default)]
pub(crate) struct DryRun {
    /// The file was read (rows and plan below); false: `error` and `problems` say why.
    pub read: bool,
    /// Why the file could not be read (empty when read, or when `problems` lists rows).
    pub error: String,
    /// Rows that could not be read.
    pub problems: Vec<RowNote>,
    /// `Excel ブック` or `CSV（UTF-8、区切り「,」）`.
    pub source: String,
    pub sheets: Vec<SheetRow>,
    pub skipped_sheets: Vec<String>,
    pub rows: usize,
    pub headings: Vec<RowNote>,
    /// The mapping step.
    pub mapping: Vec<MappingRow>,
    pub matched: usize,
    pub changing: usize,
    pub unchanged: usize,
    pub created: usize,
    pub conflicts: usize,
    pub changes: Vec<ChangeRow>,
    pub new_rows: Vec<NewRow>,
    pub conflict_rows: Vec<RowNote>,
    pub uncovered: Vec<UncoveredRow>,
}

impl DryRun {
    /// Reads `bytes` with `mapping` and plans the import against `site`'s devices as they are
    /// now.
    pub(crate) fn build(
        ledger: &Ledger,
        site: SiteId,
        bytes: &[u8],
        mapping: &ColumnMapping,
    ) -> Result<Self, LedgerError> {
        match daicho_ledger_io::import_ledger_with(bytes, mapping) {
            Ok(import) => {
                let plan = ledger.plan_import(site, &import.rows, &import.row_numbers)?;
                let mut run = Self::of_import(&import, mapping);
                run.add_plan(ledger, &import, &plan)?;
                Ok(run)
            }
            Err(e) => Ok(Self::of_error(e, mapping)),
        }
    }

    fn of_error(error: ImportError, mapping: &ColumnMapping) -> Self {
        let mut run = Self::default();
        match error {
            ImportError::InvalidRows(problems) => {
                run.problems = problems
                    .into_iter()
                    .map(|p| RowNote {
                        at: p.at().to_string(),
                        column: p.column.header().to_owned(),
                        value: p.value,
                        message: p.message,
                    })
                    .collect();
            }
            ImportError::MissingColumns { ref unmapped, .. } => {
                run.mapping = mapping_rows(unmapped, mapping);
                run.error = error.to_string();
            }
            other => run.error = other.to_string(),
        }
        if run.mapping.is_empty() {
            run.mapping = mapping_rows(&[], mapping);
        }
        run
    }

    fn of_import(import: &Import, mapping: &ColumnMapping) -> Self {
        let (source, sheets, skipped_sheets) = match &import.source {
            SourceKind::Csv {
                encoding,
                delimiter,
            } => (
                format!(
                    "CSV（{}、区切り文字 {}、見出しは {} 行目）",
                    encoding.name(),
                    if *delimiter == '\t' {
                        "タブ".to_owned()
                    } else {
                        format!("「{delimiter}」")
                    },
                    import.header_row
                ),
                Vec::new(),
                Vec::new(),
            ),
            SourceKind::Workbook {
                sheets,
                skipped_sheets,
            } => (
                "Excel ブック".to_owned(),
                sheets
                    .iter()
                    .map(|s| SheetRow {
                        name: s.name.clone(),
                        header_row: s.header_row,
                        rows: s.rows,
                    })
                    .collect(),
                skipped_sheets.clone(),
            ),
        };
        Self {
            read: true,
            source,
            sheets,
            skipped_sheets,
            rows: import.rows.len(),
            headings: import
                .skipped_headings
                .iter()
                .map(|h| RowNote {
                    at: h.at.to_string(),
                    column: String::new(),
                    value: h.text.clone(),
                    message: String::new(),
                })
                .collect(),
            mapping: mapping_rows(&import.unmapped, mapping),
            ..Self::default()
        }
    }

    fn add_plan(
        &mut self,
        ledger: &Ledger,
        import: &Import,
        plan: &ImportPlan,
    ) -> Result<(), LedgerError> {
        self.matched = plan.matched();
        self.changing = plan.changing();
        self.unchanged = self.matched - self.changing;
        self.created = plan.created();
        self.conflicts = plan.conflicts().len();
        for (i, decision) in plan.rows.iter().enumerate() {
            let at = row_place(import.row_refs.get(i), decision.row);
            let Some(row) = import.rows.get(i) else {
                continue;
            };
            match &decision.action {
                RowAction::Update {
                    device_id,
                    matched_by,
                    changed,
                } if !changed.is_empty() && self.changes.len() < LISTED_ROWS => {
                    let before = ledger.device(*device_id)?.summary.ledger;
                    self.changes.push(ChangeRow {
                        at,
                        asset_no: decision.asset_no.clone(),
                        device_id: *device_id,
                        matched_by: match_label(*matched_by),
                        fields: changed
                            .iter()
                            .map(|name| field_change(name, &before, row))
                            .collect(),
                    });
                }
                RowAction::Create if self.new_rows.len() < LISTED_ROWS => {
                    self.new_rows.push(NewRow {
                        at,
                        asset_no: decision.asset_no.clone(),
                        computer_name: row.computer_name.clone(),
                        ip: row.ip.map(|ip| ip.to_string()).unwrap_or_default(),
                        mac: row.mac.map(|m| m.to_string()).unwrap_or_default(),
                    });
                }
                RowAction::Conflict { reason } if self.conflict_rows.len() < LISTED_ROWS => {
                    self.conflict_rows.push(RowNote {
                        at,
                        column: decision.asset_no.clone(),
                        value: String::new(),
                        message: reason.clone(),
                    });
                }
                _ => {}
            }
        }
        self.uncovered = plan
            .uncovered
            .iter()
            .take(LISTED_ROWS)
            .map(|u| UncoveredRow {
                device_id: u.device_id,
                asset_no: u.asset_no.clone().unwrap_or_default(),
                ip: u.ip.clone().unwrap_or_default(),
                mac: u.mac.clone().unwrap_or_default(),
                hostname: u.hostname.clone().unwrap_or_default(),
            })
            .collect();
        Ok(())
    }

    /// Applying would change something and nothing stops it.
    pub(crate) fn can_apply(&self) -> bool {
        self.read && self.conflicts == 0 && self.rows > 0
    }
}

/// The mapping step: each unmapped header once (samples of every sheet it is in), then the
/// headers the mapping names, each with what it says now.
fn mapping_rows(unmapped: &[UnmappedColumn], mapping: &ColumnMapping) -> Vec<MappingRow> {
    let mut rows: Vec<MappingRow> = Vec::new();
    for column in unmapped {
        let place = match &column.sheet {
            Some(sheet) => format!("シート「{sheet}」{} 列", column.letter()),
            None => format!("{} 列", column.letter()),
        };
        if let Some(row) = rows.iter_mut().find(|r| r.header == column.header) {
            row.place = format!("{}、{place}", row.place);
            continue;
        }
        rows.push(MappingRow {
            header: column.header.clone(),
            place,
            samples: column.samples.join("、"),
            selected: String::new(),
        });
    }
    for (header, to) in mapping.iter() {
        rows.push(MappingRow {
            header: header.to_owned(),
            place: String::new(),
            samples: String::new(),
            selected: to.as_str().to_owned(),
        });
    }
    rows
}

/// `12 行目`, or `シート「外来棟」12 行目`.
fn row_place(at: Option<&RowRef>, row: usize) -> String {
    at.map_or_else(|| format!("{row} 行目"), ToString::to_string)
}

fn match_label(by: RowMatch) -> &'static str {
    match by {
        RowMatch::Mac => "MACアドレス",
        RowMatch::AssetNo => "管理番号",
        RowMatch::IpName => "IPアドレスとコンピュータ名",
    }
}

fn or_blank(value: Option<&String>) -> String {
    value.cloned().unwrap_or_default()
}

/// A changed field (by the plan's field name) with the device's value and the row's.
fn field_change(name: &str, before: &LedgerFields, row: &LedgerRow) -> FieldChange {
    let text = |s: &str| s.trim().to_owned();
    let (column, before, after) = match name {
        "asset_no" => (
            Column::AssetNo,
            or_blank(before.asset_no.as_ref()),
            text(&row.asset_no),
        ),
        "location" => (
            Column::Location,
            or_blank(before.location.as_ref()),
            text(&row.location),
        ),
        "user" => (
            Column::User,
            or_blank(before.user.as_ref()),
            text(&row.user),
        ),
        "status" => (
            Column::Status,
            or_blank(before.status.as_ref()),
            row.status
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        ),
        "description" => (
            Column::Description,
            or_blank(before.description.as_ref()),
            text(&row.description),
        ),
        "registered_on" => (
            Column::RegisteredOn,
            or_blank(before.registered_on.as_ref()),
            row.registered_on
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        ),
        "maker" => (
            Column::Maker,
            or_blank(before.maker.as_ref()),
            text(&row.maker),
        ),
        "os" => (Column::Os, or_blank(before.os.as_ref()), text(&row.os)),
        "software" => (
            Column::Software,
            or_blank(before.software.as_ref()),
            text(&row.software),
        ),
        "software_version" => (
            Column::SoftwareVersion,
            or_blank(before.software_version.as_ref()),
            text(&row.software_version),
        ),
        "computer_name" => (
            Column::ComputerName,
            or_blank(before.computer_name.as_ref()),
            text(&row.computer_name),
        ),
        "ip" => (
            Column::Ip,
            or_blank(before.ip.as_ref()),
            row.ip.map(|ip| ip.to_string()).unwrap_or_default(),
        ),
        _ => {
            return FieldChange {
                label: "その他",
                before: String::new(),
                after: name.to_owned(),
            };
        }
    };
    FieldChange {
        label: column.header(),
        before,
        after,
    }
}
