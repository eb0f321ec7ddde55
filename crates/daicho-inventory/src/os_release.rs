//! Operating-system identity from `/etc/os-release` and the distribution's version files.

use std::collections::BTreeMap;

/// Parses os-release text (`KEY=value` lines, values optionally quoted) into a map.
pub fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_owned(), unquote(value.trim())))
        .collect()
}

/// Strips one level of shell quoting and the backslash escapes os-release allows.
fn unquote(value: &str) -> String {
    let inner = if value.len() >= 2
        && ((value.starts_with('"') && value.ends_with('"'))
            || (value.starts_with('\'') && value.ends_with('\'')))
    {
        &value[1..value.len() - 1]
    } else {
        value
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The most precise point release the distribution states.
///
/// Debian writes it to `/etc/debian_version` (`12.7`); Ubuntu leaves a codename there
/// (`bookworm/sid`) but puts the point release in os-release `VERSION` (`22.04.4 LTS`); the
/// RHEL family states it in `/etc/redhat-release` (`… release 9.4 (Plow)`).
pub fn point_release(
    os_release: &BTreeMap<String, String>,
    debian_version: Option<&str>,
    redhat_release: Option<&str>,
) -> Option<String> {
    if let Some(v) = debian_version.map(str::trim)
        && v.starts_with(|c: char| c.is_ascii_digit())
    {
        return Some(v.to_owned());
    }
    if let Some(text) = redhat_release
        && let Some(rest) = text.split(" release ").nth(1)
        && let Some(v) = rest.split_whitespace().next()
    {
        return Some(v.to_owned());
    }
    let version = os_release.get("VERSION")?;
    let first = version.split_whitespace().next()?;
    let numeric = first.starts_with(|c: char| c.is_ascii_digit())
        && first.chars().all(|c| c.is_ascii_digit() || c == '.');
    numeric.then(|| first.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const UBUNTU: &str = r#"PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
"#;

    const DEBIAN: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n# comment\n\n";

    #[test]
    fn parses_quoted_and_bare_values() {
        let map = parse_os_release(UBUNTU);
        assert_eq!(map["ID"], "ubuntu");
        assert_eq!(map["PRETTY_NAME"], "Ubuntu 22.04.4 LTS");
        assert_eq!(map["VERSION_CODENAME"], "jammy");
        assert_eq!(parse_os_release("A='x \\\"y\\\"'")["A"], "x \"y\"");
    }

    #[test]
    fn debian_point_release_comes_from_debian_version() {
        let map = parse_os_release(DEBIAN);
        assert_eq!(
            point_release(&map, Some("12.7\n"), None).as_deref(),
            Some("12.7")
        );
    }

    #[test]
    fn ubuntu_point_release_comes_from_version_not_codename() {
        let map = parse_os_release(UBUNTU);
        assert_eq!(
            point_release(&map, Some("bookworm/sid\n"), None).as_deref(),
            Some("22.04.4")
        );
    }

    #[test]
    fn rhel_point_release_comes_from_redhat_release() {
        let map = parse_os_release("ID=\"rhel\"\nVERSION_ID=\"9.4\"\nVERSION=\"9.4 (Plow)\"\n");
        let rel = "Red Hat Enterprise Linux release 9.4 (Plow)\n";
        assert_eq!(point_release(&map, None, Some(rel)).as_deref(), Some("9.4"));
    }

    #[test]
    fn no_point_release_when_version_is_a_name() {
        let map = parse_os_release("ID=arch\nVERSION=rolling\n");
        assert_eq!(point_release(&map, None, None), None);
    }
}
