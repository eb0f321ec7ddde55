//! Installed packages from dpkg's own database, `/var/lib/dpkg/status`, read directly rather
//! than by spawning `dpkg-query`.

use daicho_model::inventory::Package;

/// Parses dpkg's status file into the packages that are actually installed.
///
/// A stanza counts only when its `Status` says `installed` (removed packages whose config files
/// remain say `config-files`, half-installed ones say so too). The result is sorted by name.
pub fn parse_status(text: &str) -> Vec<Package> {
    let mut packages = Vec::new();
    for stanza in text.split("\n\n") {
        let mut name = None;
        let mut version = None;
        let mut arch = None;
        let mut installed = false;
        for line in stanza.lines() {
            // Continuation lines (descriptions, conffiles) start with a space.
            if line.starts_with([' ', '\t']) {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key {
                "Package" => name = Some(value.to_owned()),
                "Version" => version = Some(value.to_owned()),
                "Architecture" => arch = Some(value.to_owned()),
                "Status" => installed = value.split_whitespace().nth(2) == Some("installed"),
                _ => {}
            }
        }
        if let (true, Some(name), Some(version)) = (installed, name, version) {
            packages.push(Package {
                name,
                version,
                arch,
            });
        }
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name).then(a.arch.cmp(&b.arch)));
    packages
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Package: openssh-server
Status: install ok installed
Priority: optional
Architecture: amd64
Version: 1:9.2p1-2+deb12u3
Description: secure shell (SSH) server
 This is the portable version of OpenSSH.
 .
 Status: not a real field

Package: oldpkg
Status: deinstall ok config-files
Architecture: all
Version: 1.0

Package: libc6
Status: install ok installed
Architecture: i386
Multi-Arch: same
Version: 2.36-9+deb12u8

Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: 2.36-9+deb12u8
";

    #[test]
    fn lists_only_installed_packages_with_arch() {
        let packages = parse_status(STATUS);
        let names: Vec<_> = packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.arch.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("libc6", "2.36-9+deb12u8", Some("amd64")),
                ("libc6", "2.36-9+deb12u8", Some("i386")),
                ("openssh-server", "1:9.2p1-2+deb12u3", Some("amd64")),
            ]
        );
    }

    #[test]
    fn empty_status_gives_no_packages() {
        assert!(parse_status("").is_empty());
    }
}
