//! When the system was last updated, from the package manager's logs: `/var/log/dpkg.log*` and
//! `/var/log/apt/history.log*`, rotated and gzip-compressed ones included.

use std::io::Read;

use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};

/// The latest install or upgrade in dpkg.log text (`2024-05-01 12:00:01 upgrade pkg:amd64 …`).
///
/// dpkg writes local time without a zone; it is read in this host's zone.
pub fn last_dpkg_change(text: &str) -> Option<DateTime<Utc>> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.splitn(4, ' ');
            let date = fields.next()?;
            let time = fields.next()?;
            let action = fields.next()?;
            matches!(action, "install" | "upgrade").then_some(())?;
            local_time(&format!("{date} {time}"))
        })
        .max()
}

/// The end of the latest apt transaction that installed or upgraded something, from apt's
/// history.log (blocks of `Start-Date:`, `Install:`/`Upgrade:`, `End-Date:`).
pub fn last_apt_change(text: &str) -> Option<DateTime<Utc>> {
    let mut latest = None;
    let mut changed = false;
    for line in text.lines() {
        if line.starts_with("Start-Date:") {
            changed = false;
        } else if line.starts_with("Install:") || line.starts_with("Upgrade:") {
            changed = true;
        } else if let Some(end) = line.strip_prefix("End-Date:")
            && changed
        {
            // apt separates date and time with two spaces.
            let normalised = end.split_whitespace().collect::<Vec<_>>().join(" ");
            latest = latest.max(local_time(&normalised));
        }
    }
    latest
}

fn local_time(text: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Decodes a log file's bytes, gunzipping it when its name ends in `.gz`.
pub fn decode_log(name: &str, bytes: &[u8]) -> std::io::Result<String> {
    if std::path::Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
    {
        let mut text = String::new();
        let mut decoder = flate2::read::GzDecoder::new(bytes);
        let mut raw = Vec::new();
        decoder.read_to_end(&mut raw)?;
        text.push_str(&String::from_utf8_lossy(&raw));
        Ok(text)
    } else {
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn local(text: &str) -> DateTime<Utc> {
        local_time(text).unwrap()
    }

    #[test]
    fn dpkg_log_latest_install_or_upgrade_wins() {
        let log = "2024-05-01 10:00:00 startup archives unpack
2024-05-01 10:00:01 upgrade libc6:amd64 2.36-9+deb12u4 2.36-9+deb12u7
2024-05-01 10:00:05 status installed libc6:amd64 2.36-9+deb12u7
2024-06-02 08:30:00 install nginx:amd64 <none> 1.22.1-9
2024-07-01 09:00:00 remove nginx:amd64 1.22.1-9 <none>
garbage line
";
        assert_eq!(last_dpkg_change(log), Some(local("2024-06-02 08:30:00")));
    }

    #[test]
    fn apt_history_ignores_remove_only_transactions() {
        let log = "
Start-Date: 2024-05-01  10:00:00
Commandline: apt-get upgrade
Upgrade: libc6:amd64 (2.36-9+deb12u4, 2.36-9+deb12u7)
End-Date: 2024-05-01  10:01:00

Start-Date: 2024-08-01  10:00:00
Commandline: apt-get remove nginx
Remove: nginx:amd64 (1.22.1-9)
End-Date: 2024-08-01  10:00:30
";
        assert_eq!(last_apt_change(log), Some(local("2024-05-01 10:01:00")));
    }

    #[test]
    fn gzip_rotated_logs_are_decoded() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder
            .write_all(b"2023-01-01 00:00:00 install a:amd64 <none> 1\n")
            .unwrap();
        let gz = encoder.finish().unwrap();
        let text = decode_log("dpkg.log.2.gz", &gz).unwrap();
        assert_eq!(last_dpkg_change(&text), Some(local("2023-01-01 00:00:00")));
        assert!(decode_log("dpkg.log.3.gz", b"not gzip").is_err());
    }
}
