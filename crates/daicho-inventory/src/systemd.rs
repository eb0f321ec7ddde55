//! Running systemd services, from `systemctl list-units --type=service --state=running`.

use daicho_model::inventory::SystemService;

/// The arguments that make `systemctl` print what [`parse_running_units`] reads.
pub const LIST_ARGS: [&str; 6] = [
    "list-units",
    "--type=service",
    "--state=running",
    "--no-legend",
    "--plain",
    "--no-pager",
];

/// Where systemd says it is the running init (`sd_booted()` checks the same path).
pub const BOOTED_MARKER: &str = "/run/systemd/system";

/// Parses `UNIT LOAD ACTIVE SUB DESCRIPTION…` lines.
pub fn parse_running_units(text: &str) -> Vec<SystemService> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let name = fields.next()?;
            let _load = fields.next()?;
            let _active = fields.next()?;
            let sub = fields.next()?;
            let description = fields.collect::<Vec<_>>().join(" ");
            Some(SystemService {
                name: name.to_owned(),
                state: sub.to_owned(),
                start_type: None,
                description: (!description.is_empty()).then_some(description),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_units() {
        let out =
            "cron.service    loaded active running Regular background program processing daemon
ssh.service loaded active running OpenBSD Secure Shell server
bare.service loaded active running
";
        let units = parse_running_units(out);
        assert_eq!(units.len(), 3);
        assert_eq!(units[1].name, "ssh.service");
        assert_eq!(units[1].state, "running");
        assert_eq!(
            units[0].description.as_deref(),
            Some("Regular background program processing daemon")
        );
        assert_eq!(units[2].description, None);
    }
}
