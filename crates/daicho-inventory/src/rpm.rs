//! Installed packages on the RHEL family, from `rpm -qa` with a tab-separated query format.

use chrono::{DateTime, Utc};
use daicho_model::inventory::Package;

/// The arguments that make `rpm` print what [`parse_query`] reads.
pub const QUERY_ARGS: [&str; 3] = [
    "-qa",
    "--queryformat",
    "%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{INSTALLTIME}\\n",
];

/// Parses `rpm -qa` output in the [`QUERY_ARGS`] format: the packages (sorted by name) and the
/// latest install time, which is when the system was last updated.
pub fn parse_query(text: &str) -> (Vec<Package>, Option<DateTime<Utc>>) {
    let mut packages = Vec::new();
    let mut latest = None;
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, version, arch, installed] = fields[..] else {
            continue;
        };
        packages.push(Package {
            name: name.to_owned(),
            version: version.to_owned(),
            // gpg-pubkey pseudo-packages have no arch.
            arch: (arch != "(none)").then(|| arch.to_owned()),
        });
        let when = installed
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0));
        latest = latest.max(when);
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name).then(a.arch.cmp(&b.arch)));
    (packages, latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_packages_and_latest_install_time() {
        let out = "openssl\t3.0.7-27.el9\tx86_64\t1717000000\n\
                   gpg-pubkey\tfd431d51-4ae0493b\t(none)\t1716000000\n\
                   bash\t5.1.8-9.el9\tx86_64\t1718000000\n\
                   truncated line\n";
        let (packages, latest) = parse_query(out);
        assert_eq!(packages.len(), 3);
        assert_eq!(packages[0].name, "bash");
        assert_eq!(packages[0].version, "5.1.8-9.el9");
        assert_eq!(packages[1].arch, None);
        assert_eq!(latest, DateTime::from_timestamp(1_718_000_000, 0));
    }
}
