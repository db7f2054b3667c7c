//! Which Sigma log source a syslog record belongs to, by program name.

use vedette_model::LogSource;

/// Linux programs this crate recognizes, with the Sigma services their
/// records belong to, most specific first. Names match case-insensitively
/// (Debian's cron logs as `CRON`). Extend here: nothing else needs to change.
pub const LINUX_PROGRAMS: &[(&str, &[&str])] = &[
    // Authentication and privilege.
    ("sshd", &["sshd", "auth", "syslog"]),
    ("sshd-session", &["sshd", "auth", "syslog"]),
    ("sshd-auth", &["sshd", "auth", "syslog"]),
    ("sudo", &["sudo", "auth", "syslog"]),
    ("su", &["su", "auth", "syslog"]),
    ("login", &["login", "auth", "syslog"]),
    ("useradd", &["useradd", "auth", "syslog"]),
    ("adduser", &["adduser", "auth", "syslog"]),
    ("userdel", &["userdel", "auth", "syslog"]),
    ("deluser", &["deluser", "auth", "syslog"]),
    ("usermod", &["usermod", "auth", "syslog"]),
    ("groupadd", &["groupadd", "auth", "syslog"]),
    ("addgroup", &["addgroup", "auth", "syslog"]),
    ("groupdel", &["groupdel", "auth", "syslog"]),
    ("groupmod", &["groupmod", "auth", "syslog"]),
    ("gpasswd", &["gpasswd", "auth", "syslog"]),
    ("passwd", &["passwd", "auth", "syslog"]),
    ("chpasswd", &["chpasswd", "auth", "syslog"]),
    ("chage", &["chage", "auth", "syslog"]),
    ("newusers", &["newusers", "auth", "syslog"]),
    ("pkexec", &["pkexec", "auth", "syslog"]),
    ("polkitd", &["syslog"]),
    // Scheduling.
    ("cron", &["cron", "syslog"]),
    ("crond", &["cron", "syslog"]),
    ("anacron", &["cron", "syslog"]),
    // The rest of a Linux system.
    ("systemd", &["syslog"]),
    ("systemd-logind", &["syslog"]),
    ("systemd-journald", &["syslog"]),
    ("systemd-networkd", &["syslog"]),
    ("systemd-resolved", &["syslog"]),
    ("systemd-timesyncd", &["syslog"]),
    ("systemd-udevd", &["syslog"]),
    ("kernel", &["syslog"]),
    ("auditd", &["syslog"]),
    ("audispd", &["syslog"]),
    ("dbus-daemon", &["syslog"]),
    ("dbus-broker", &["syslog"]),
    ("rsyslogd", &["syslog"]),
    ("syslog-ng", &["syslog"]),
    ("agetty", &["syslog"]),
    ("NetworkManager", &["syslog"]),
    ("dhclient", &["syslog"]),
    ("chronyd", &["syslog"]),
    ("ntpd", &["syslog"]),
    ("snapd", &["syslog"]),
    ("apt", &["syslog"]),
];

/// The log source of a syslog record from `program` (APP-NAME or TAG):
/// product `linux` and the table's services for a known Linux program,
/// else no product and the `syslog` service.
pub fn syslog_logsource(program: Option<&str>) -> LogSource {
    let known = program.and_then(|p| {
        LINUX_PROGRAMS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(p))
            .map(|(_, services)| *services)
    });
    match known {
        Some(services) => LogSource::new(Some("linux"), None, services),
        None => LogSource::new(None, None, &["syslog"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown() {
        let ls = syslog_logsource(Some("sshd"));
        assert_eq!(ls.product.as_deref(), Some("linux"));
        assert_eq!(ls.services, ["sshd", "auth", "syslog"]);
        assert_eq!(syslog_logsource(Some("CRON")).services, ["cron", "syslog"]);
        assert_eq!(
            syslog_logsource(Some("useradd")).services,
            ["useradd", "auth", "syslog"]
        );
        assert_eq!(
            syslog_logsource(Some("systemd-logind")).services,
            ["syslog"]
        );
        assert_eq!(
            syslog_logsource(Some("kernel")).product.as_deref(),
            Some("linux")
        );
        let ls = syslog_logsource(Some("myapp"));
        assert_eq!(ls.product, None);
        assert_eq!(ls.services, ["syslog"]);
        assert_eq!(
            syslog_logsource(None),
            LogSource::new(None, None, &["syslog"])
        );
    }

    #[test]
    fn table_is_sane() {
        for (i, (name, services)) in LINUX_PROGRAMS.iter().enumerate() {
            assert_eq!(services.last(), Some(&"syslog"), "{name}");
            assert!(
                !LINUX_PROGRAMS[..i]
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case(name)),
                "duplicate {name}"
            );
        }
    }
}
