//! Normalization of Linux authentication messages (sshd, sudo, su, PAM,
//! shadow-utils) into ECS fields. Matching is by prefix and by splitting on
//! fixed separators: no regexes, no allocation until the fields are set.

use vedette_model::Event;

/// What an authentication message says, borrowed from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Auth<'a> {
    /// `event.action`.
    pub(crate) action: &'static str,
    /// `event.category`.
    pub(crate) category: &'static str,
    /// `event.outcome`.
    pub(crate) outcome: Option<&'static str>,
    /// `user.name`: the acting or logging-in user.
    pub(crate) user: Option<&'a str>,
    /// `user.effective.name`: the user sudo or su runs as.
    pub(crate) effective_user: Option<&'a str>,
    /// `user.target.name`: the account an administrator changes.
    pub(crate) target_user: Option<&'a str>,
    /// `user.target.id`.
    pub(crate) target_user_id: Option<&'a str>,
    /// `group.id`.
    pub(crate) group_id: Option<&'a str>,
    /// `group.name`.
    pub(crate) group_name: Option<&'a str>,
    /// `source.ip` when an address, else `source.domain`.
    pub(crate) source: Option<&'a str>,
    /// `source.port`.
    pub(crate) port: Option<u16>,
    /// `system.auth.ssh.method`.
    pub(crate) method: Option<&'a str>,
    /// `system.auth.ssh.invalid_user`.
    pub(crate) invalid_user: Option<bool>,
    /// `system.auth.ssh.signature`: the key type and fingerprint.
    pub(crate) signature: Option<&'a str>,
    /// `process.command_line`.
    pub(crate) command_line: Option<&'a str>,
    /// `process.working_directory`.
    pub(crate) working_directory: Option<&'a str>,
    /// `process.tty.name`.
    pub(crate) tty: Option<&'a str>,
    /// `event.reason`.
    pub(crate) reason: Option<&'a str>,
}

impl<'a> Auth<'a> {
    fn new(action: &'static str, category: &'static str, outcome: Option<&'static str>) -> Self {
        Auth {
            action,
            category,
            outcome,
            ..Auth::default()
        }
    }

    /// Sets the fields on `ev`.
    pub(crate) fn apply(&self, ev: &mut Event) {
        ev.set(key!("event.kind"), "event");
        ev.set(key!("event.action"), self.action);
        ev.set(key!("event.category"), self.category);
        let strs = [
            ("event.outcome", self.outcome),
            ("user.name", self.user),
            ("user.effective.name", self.effective_user),
            ("user.target.name", self.target_user),
            ("user.target.id", self.target_user_id),
            ("group.id", self.group_id),
            ("group.name", self.group_name),
            ("system.auth.ssh.method", self.method),
            ("system.auth.ssh.signature", self.signature),
            ("process.command_line", self.command_line),
            ("process.working_directory", self.working_directory),
            ("process.tty.name", self.tty),
            ("event.reason", self.reason),
        ];
        for (key, value) in strs {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                ev.set(key, v);
            }
        }
        if let Some(src) = self.source.filter(|s| !s.is_empty()) {
            if crate::formats::is_ip(src) {
                ev.set(key!("source.ip"), src);
            } else {
                ev.set(key!("source.domain"), src);
            }
        }
        if let Some(port) = self.port {
            ev.set(key!("source.port"), i64::from(port));
        }
        if let Some(invalid) = self.invalid_user {
            ev.set(key!("system.auth.ssh.invalid_user"), invalid);
        }
    }
}

/// What `message` from `program` says about authentication, if anything.
pub(crate) fn normalize<'a>(program: &str, message: &'a str) -> Option<Auth<'a>> {
    let msg = solaris_id(unwrap_repeated(message).trim());
    if let Some(a) = pam_unix(msg) {
        return Some(a);
    }
    // `pam_faillock(sshd:auth): Consecutive login failures for user bob
    // account temporarily locked`.
    if let Some(r) = msg
        .strip_prefix("pam_faillock(")
        .and_then(|r| r.split_once("): Consecutive login failures for user "))
        .map(|(_, r)| r)
    {
        let mut a = Auth::new("account_locked", "iam", Some("failure"));
        a.user = nonempty(r.split(' ').next().unwrap_or(""));
        return Some(a);
    }
    // Old cron daemons name themselves by path (`/USR/SBIN/CRON`); old
    // Red Hat PAM modules add themselves (`sshd(pam_unix)`).
    let program = program.rsplit('/').next().unwrap_or(program);
    let base = crate::logsource::strip_module(program);
    if program.get(base.len()..) == Some("(pam_unix)") {
        return pam_body(base, msg);
    }
    let program = base;
    if program.eq_ignore_ascii_case("cron") || program.eq_ignore_ascii_case("crond") {
        return cron(msg);
    }
    match program {
        "sshd" | "sshd-session" | "sshd-auth" => sshd(msg),
        "systemd-logind" => logind(msg),
        "sudo" => sudo(msg),
        "su" => su(msg),
        "unix_chkpwd" => chkpwd(msg),
        // pam_faillock names itself in the message under any program.
        "useradd" | "adduser" | "groupadd" | "addgroup" | "groupdel" | "delgroup" | "userdel"
        | "deluser" | "usermod" | "groupmod" | "gpasswd" | "passwd" | "chpasswd" | "newusers" => {
            shadow(msg)
        }
        _ => None,
    }
}

/// `unix_chkpwd`, the helper through which a non-root program checks a
/// password (a screen locker, a web console): `password check failed for
/// user (alice)`.
fn chkpwd(msg: &str) -> Option<Auth<'_>> {
    let user = msg
        .strip_prefix("password check failed for user (")?
        .strip_suffix(')')?;
    Some(Auth {
        user: nonempty(user),
        ..Auth::new("password-check", "authentication", Some("failure"))
    })
}

/// The message after Solaris's `[ID 800047 auth.notice] ` tag.
fn solaris_id(m: &str) -> &str {
    let Some(r) = m.strip_prefix("[ID ") else {
        return m;
    };
    match r.split_once("] ") {
        Some((id, rest))
            if id.len() < 40 && id.bytes().next().is_some_and(|b| b.is_ascii_digit()) =>
        {
            rest
        }
        _ => m,
    }
}

/// The message inside rsyslog's `message repeated N times: [ ... ]`.
fn unwrap_repeated(m: &str) -> &str {
    m.strip_prefix("message repeated ")
        .and_then(|r| r.split_once(" times: [ "))
        .and_then(|(_, inner)| inner.strip_suffix(']'))
        .unwrap_or(m)
}

fn nonempty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// `HOST[ port P][ TAIL]`: the host, the port and what follows it.
fn address(s: &str) -> Option<(&str, Option<u16>, &str)> {
    let (host, rest) = s.split_once(' ').unwrap_or((s, ""));
    if host.is_empty() {
        return None;
    }
    match rest.strip_prefix("port ") {
        Some(p) => {
            let n = p.bytes().take_while(u8::is_ascii_digit).count();
            Some((host, port_number(p), p.get(n..).unwrap_or("").trim_start()))
        }
        None => Some((host, None, rest)),
    }
}

/// What `[invalid user ]USER from HOST port P[ TAIL]` holds.
struct UserFrom<'a> {
    invalid: bool,
    user: Option<&'a str>,
    host: &'a str,
    port: Option<u16>,
    tail: &'a str,
}

/// `[invalid user ]USER from HOST port P[ TAIL]`. The user name is taken up
/// to the last ` from `, so names with spaces survive.
fn user_from(r: &str) -> Option<UserFrom<'_>> {
    let (invalid, r) = match r.strip_prefix("invalid user ") {
        Some(r) => (true, r),
        None => (false, r),
    };
    let (user, addr) = r
        .rsplit_once(" from ")
        .or_else(|| r.strip_prefix("from ").map(|a| ("", a)))?;
    let (host, port, tail) = address(addr)?;
    Some(UserFrom {
        invalid,
        user: nonempty(user),
        host,
        port,
        tail,
    })
}

fn sshd(msg: &str) -> Option<Auth<'_>> {
    let m = msg.strip_suffix(" [preauth]").unwrap_or(msg);
    if let Some(r) = m.strip_prefix("Accepted ") {
        return ssh_login(r, true);
    }
    if let Some(r) = m.strip_prefix("Failed ") {
        return ssh_login(r, false);
    }
    if let Some(r) = m.strip_prefix("Invalid user ") {
        let u = user_from(r)?;
        let mut a = Auth::new("ssh_invalid_user", "authentication", Some("failure"));
        a.user = u.user;
        a.source = Some(u.host);
        a.port = u.port;
        a.invalid_user = Some(true);
        return Some(a);
    }
    if let Some(r) = m.strip_prefix("error: maximum authentication attempts exceeded for ") {
        let u = user_from(r)?;
        let mut a = Auth::new("ssh_max_auth_attempts", "authentication", Some("failure"));
        a.user = u.user;
        a.source = Some(u.host);
        a.port = u.port;
        a.invalid_user = Some(u.invalid);
        return Some(a);
    }
    for prefix in [
        "Connection closed by ",
        "Connection reset by ",
        "Disconnected from ",
    ] {
        if let Some(r) = m.strip_prefix(prefix) {
            return ssh_disconnect(r);
        }
    }
    // `Disconnecting: Too many authentication failures for root`, and the
    // `authenticating user` / `invalid user` forms of newer OpenSSH.
    if let Some(r) = m.strip_prefix("Disconnecting: Too many authentication failures") {
        let mut a = Auth::new("ssh_max_auth_attempts", "authentication", Some("failure"));
        let r = r.trim_start();
        let r = r.strip_prefix("for ").unwrap_or(r);
        let (invalid, r) = match r.strip_prefix("invalid user ") {
            Some(r) => (true, r),
            None => (false, r.strip_prefix("authenticating user ").unwrap_or(r)),
        };
        a.user = nonempty(r.split(' ').next().unwrap_or(""));
        a.invalid_user = Some(invalid);
        return Some(a);
    }
    // `User root from 10.0.0.9 not allowed because not listed in AllowUsers`
    // (or `listed in DenyUsers`, `none of user's groups are listed ...`).
    if let Some(r) = m.strip_prefix("User ") {
        let (user, r) = r.split_once(" from ")?;
        let (host, reason) = r.split_once(" not allowed because ")?;
        let mut a = Auth::new("ssh_user_not_allowed", "authentication", Some("failure"));
        a.user = nonempty(user);
        a.source = nonempty(host);
        a.reason = nonempty(reason);
        return Some(a);
    }
    // `input_userauth_request: invalid user webmaster`, `error: PAM: User
    // not known to the underlying authentication module for illegal user
    // test from 10.0.0.9`, `error: PAM: unknown user for illegal user x
    // from ...`.
    if let Some(r) = m.strip_prefix("input_userauth_request: invalid user ") {
        let mut a = Auth::new("ssh_invalid_user", "authentication", Some("failure"));
        a.user = nonempty(r.split(' ').next().unwrap_or(""));
        a.invalid_user = Some(true);
        return Some(a);
    }
    if let Some((_, r)) = m
        .strip_prefix("error: PAM: ")
        .and_then(|r| r.split_once(" for illegal user "))
    {
        let (user, host) = r.split_once(" from ").unwrap_or((r, ""));
        let mut a = Auth::new("ssh_invalid_user", "authentication", Some("failure"));
        a.user = nonempty(user);
        a.source = nonempty(host.split(' ').next().unwrap_or(""));
        a.invalid_user = Some(true);
        return Some(a);
    }
    // `PAM 4 more authentication failures; logname= uid=0 ... rhost=H user=U`.
    if let Some(r) = m.strip_prefix("PAM ") {
        let (_, kv) = r.split_once(" more authentication failure")?;
        let kv = kv.split_once(';').map_or("", |(_, kv)| kv);
        let mut a = Auth::new("authentication_failure", "authentication", Some("failure"));
        for tok in kv.split_ascii_whitespace() {
            match tok.split_once('=') {
                Some(("rhost", v)) => a.source = nonempty(v),
                Some(("user", v)) => a.user = nonempty(v),
                _ => {}
            }
        }
        return Some(a);
    }
    if let Some(r) = m.strip_prefix("Received disconnect from ") {
        let (host, port, _) = address(r)?;
        let mut a = Auth::new("ssh_disconnect", "session", None);
        a.source = Some(host);
        a.port = port;
        return Some(a);
    }
    None
}

/// `METHOD for [invalid user ]USER from HOST port P ssh2[: SIGNATURE]`.
fn ssh_login(r: &str, success: bool) -> Option<Auth<'_>> {
    let (method, r) = r.split_once(" for ")?;
    if method.is_empty() || method.contains(' ') {
        return None;
    }
    let u = user_from(r)?;
    let mut a = Auth::new(
        "ssh_login",
        "authentication",
        Some(if success { "success" } else { "failure" }),
    );
    a.user = u.user;
    a.source = Some(u.host);
    a.port = u.port;
    a.method = Some(method);
    a.invalid_user = Some(u.invalid);
    a.signature = u
        .tail
        .split_once(": ")
        .map(|(_, sig)| sig.trim())
        .and_then(nonempty);
    Some(a)
}

/// `[invalid |authenticating ]user USER HOST port P` or `HOST port P`.
fn ssh_disconnect(r: &str) -> Option<Auth<'_>> {
    let mut a = Auth::new("ssh_disconnect", "session", None);
    let with_user = [
        ("invalid user ", true),
        ("authenticating user ", false),
        ("user ", false),
    ]
    .into_iter()
    .find_map(|(p, invalid)| r.strip_prefix(p).map(|rest| (rest, invalid)));
    let addr = match with_user {
        Some((rest, invalid)) => {
            let (left, port) = match rest.rsplit_once(" port ") {
                Some((left, port)) => (left, Some(port)),
                None => (rest, None),
            };
            let (user, host) = left.rsplit_once(' ')?;
            a.user = nonempty(user);
            a.invalid_user = Some(invalid);
            a.source = nonempty(host);
            a.port = port.and_then(port_number);
            return Some(a);
        }
        None => r,
    };
    let (host, port, _) = address(addr)?;
    a.source = Some(host);
    a.port = port;
    Some(a)
}

/// The leading digits of `p` as a port.
fn port_number(p: &str) -> Option<u16> {
    let n = p.bytes().take_while(u8::is_ascii_digit).count();
    p.get(..n)?.parse().ok()
}

/// `USER : [REASON ; ]TTY=t ; PWD=d ; USER=u ; [KEY=V ; ]COMMAND=c`.
fn sudo(msg: &str) -> Option<Auth<'_>> {
    let (user, mut rest) = msg.split_once(" : ")?;
    if user.is_empty() || user.contains(' ') {
        return None;
    }
    let mut a = Auth::new("sudo", "process", Some("success"));
    a.user = Some(user);
    let mut known = false;
    loop {
        // COMMAND comes last and may itself contain " ; ".
        if let Some(cmd) = rest.strip_prefix("COMMAND=") {
            a.command_line = Some(cmd);
            known = true;
            break;
        }
        let (item, next) = rest.split_once(" ; ").unwrap_or((rest, ""));
        match item.split_once('=') {
            Some(("TTY", v)) => a.tty = Some(v),
            Some(("PWD", v)) => a.working_directory = Some(v),
            Some(("USER", v)) => a.effective_user = Some(v),
            Some(_) => {}
            None => {
                if a.reason.is_none() && !item.is_empty() {
                    a.reason = Some(item);
                    a.outcome = Some("failure");
                }
                rest = next;
                if rest.is_empty() {
                    break;
                }
                continue;
            }
        }
        known = true;
        rest = next;
        if rest.is_empty() {
            break;
        }
    }
    known.then_some(a)
}

/// `[FAILED SU ](to TARGET) USER on TTY`, `Successful su for TARGET by USER`,
/// `FAILED su for TARGET by USER`, `+ TTY USER:TARGET`, `- TTY USER:TARGET`.
/// cron running a job: `(root) CMD (   cd / && run-parts --report
/// /etc/cron.hourly)` (Vixie cron, cronie). Its PAM session lines are
/// [`pam_unix`]'s.
fn cron(msg: &str) -> Option<Auth<'_>> {
    let (user, rest) = msg.strip_prefix('(')?.split_once(") ")?;
    let command = rest.strip_prefix("CMD (")?;
    let command = command.strip_suffix(')').unwrap_or(command).trim();
    let mut a = Auth::new("cron_command", "process", None);
    a.user = nonempty(user);
    a.command_line = nonempty(command);
    Some(a)
}

fn su(msg: &str) -> Option<Auth<'_>> {
    let (failed, r) = match msg.strip_prefix("FAILED SU ") {
        Some(r) => (true, r),
        None => (false, msg),
    };
    let mut a = Auth::new(
        "su",
        "authentication",
        Some(if failed { "failure" } else { "success" }),
    );
    if let Some(r) = r.strip_prefix("(to ") {
        let (target, r) = r.split_once(") ")?;
        let (user, tty) = match r.rsplit_once(" on ") {
            Some((u, t)) => (u, Some(t)),
            None => (r, None),
        };
        a.effective_user = nonempty(target);
        a.user = nonempty(user);
        a.tty = tty;
        return Some(a);
    }
    let by = |r: &'static str, outcome| {
        let rest = msg.strip_prefix(r)?;
        let (target, user) = rest.split_once(" by ")?;
        let mut a = Auth::new("su", "authentication", Some(outcome));
        a.effective_user = nonempty(target);
        a.user = nonempty(user);
        Some(a)
    };
    if let Some(a) = by("Successful su for ", "success").or_else(|| by("FAILED su for ", "failure"))
    {
        return Some(a);
    }
    let (outcome, r) = match (msg.strip_prefix("+ "), msg.strip_prefix("- ")) {
        (Some(r), _) => ("success", r),
        (_, Some(r)) => ("failure", r),
        _ => return None,
    };
    let (tty, users) = r.split_once(' ')?;
    let (user, target) = users.split_once(':')?;
    let mut a = Auth::new("su", "authentication", Some(outcome));
    a.tty = nonempty(tty);
    a.user = nonempty(user);
    a.effective_user = nonempty(target);
    Some(a)
}

/// `pam_unix(SERVICE:TYPE): ...` from any program.
fn pam_unix(msg: &str) -> Option<Auth<'_>> {
    let r = msg.strip_prefix("pam_unix(")?;
    let (service_type, r) = r.split_once("): ")?;
    let (service, _) = service_type.split_once(':')?;
    pam_body(service, r)
}

/// A pam_unix message after its `pam_unix(service:type): ` prefix (or,
/// from old Red Hat systems, with the module in the program name:
/// `sshd(pam_unix)[123]: authentication failure; ...`).
fn pam_body<'a>(service: &str, r: &'a str) -> Option<Auth<'a>> {
    if let Some(kv) = r.strip_prefix("authentication failure;") {
        let mut a = Auth::new("authentication_failure", "authentication", Some("failure"));
        let (mut logname, mut ruser, mut user) = (None, None, None);
        for tok in kv.split_ascii_whitespace() {
            match tok.split_once('=') {
                Some(("logname", v)) => logname = nonempty(v),
                Some(("ruser", v)) => ruser = nonempty(v),
                Some(("user", v)) => user = nonempty(v),
                Some(("rhost", v)) => a.source = nonempty(v),
                Some(("tty", v)) => a.tty = nonempty(v),
                _ => {}
            }
        }
        // su and sudo name the requesting user in ruser and the account in
        // user; sshd and login leave ruser empty.
        match (ruser, user) {
            (Some(r), Some(u)) if r != u => {
                a.user = Some(r);
                a.effective_user = Some(u);
            }
            (_, Some(u)) => a.user = Some(u),
            (r, None) => a.user = r.or(logname),
        }
        return Some(a);
    }
    if let Some(r) = r.strip_prefix("session opened for user ") {
        return pam_session(service, r, "session_opened");
    }
    if let Some(r) = r.strip_prefix("session closed for user ") {
        return pam_session(service, r, "session_closed");
    }
    if let Some(r) = r.strip_prefix("password changed for ") {
        let mut a = Auth::new("password_changed", "iam", Some("success"));
        a.target_user = nonempty(r.trim());
        return Some(a);
    }
    None
}

/// `USER[(uid=N)][ by [NAME](uid=N)]`. For su and sudo the name after `by`
/// is the acting user and USER the one switched to.
fn pam_session<'a>(service: &str, r: &'a str, action: &'static str) -> Option<Auth<'a>> {
    let end = r.find(['(', ' ']).unwrap_or(r.len());
    let user = nonempty(r.get(..end)?)?;
    let by = r
        .split_once(" by ")
        .and_then(|(_, b)| b.split('(').next())
        .map(str::trim)
        .and_then(nonempty);
    let mut a = Auth::new(action, "session", Some("success"));
    match by {
        Some(by) if service.starts_with("su") && by != user => {
            a.user = Some(by);
            a.effective_user = Some(user);
        }
        _ => a.user = Some(user),
    }
    Some(a)
}

/// shadow-utils: useradd, groupadd, userdel, usermod, gpasswd, passwd.
fn shadow(msg: &str) -> Option<Auth<'_>> {
    if let Some(r) = msg.strip_prefix("new user: ") {
        let mut a = Auth::new("user_created", "iam", Some("success"));
        for item in r.split(", ") {
            match item.split_once('=') {
                Some(("name", v)) => a.target_user = nonempty(v),
                Some(("UID", v)) => a.target_user_id = nonempty(v),
                Some(("GID", v)) => a.group_id = nonempty(v),
                Some(("from", v)) => a.tty = nonempty(v),
                _ => {}
            }
        }
        return a.target_user.is_some().then_some(a);
    }
    if let Some(r) = msg.strip_prefix("new group: ") {
        let mut a = Auth::new("group_created", "iam", Some("success"));
        for item in r.split(", ") {
            match item.split_once('=') {
                Some(("name", v)) => a.group_name = nonempty(v),
                Some(("GID", v)) => a.group_id = nonempty(v),
                _ => {}
            }
        }
        return a.group_name.is_some().then_some(a);
    }
    if let Some(r) = msg.strip_prefix("delete user '") {
        let (user, _) = r.split_once('\'')?;
        let mut a = Auth::new("user_deleted", "iam", Some("success"));
        a.target_user = nonempty(user);
        return Some(a);
    }
    if let Some(r) = msg.strip_prefix("add '") {
        let (user, r) = r.split_once("' to ")?;
        let r = r.strip_prefix("shadow ").unwrap_or(r);
        let (group, _) = r.strip_prefix("group '")?.split_once('\'')?;
        let mut a = Auth::new("user_added_to_group", "iam", Some("success"));
        a.target_user = nonempty(user);
        a.group_name = nonempty(group);
        return Some(a);
    }
    if let Some(r) = msg.strip_prefix("user ") {
        // gpasswd: `user bob added by root to group sudo`
        let (user, r) = r.split_once(" added by ")?;
        let (by, group) = r.split_once(" to group ")?;
        let mut a = Auth::new("user_added_to_group", "iam", Some("success"));
        a.target_user = nonempty(user);
        a.user = nonempty(by);
        a.group_name = nonempty(group);
        return Some(a);
    }
    if let Some(r) = msg.strip_prefix("password for '") {
        // passwd: `password for 'bob' changed by 'root'`
        let (user, r) = r.split_once("' changed by '")?;
        let by = r.strip_suffix('\'').unwrap_or(r);
        let mut a = Auth::new("password_changed", "iam", Some("success"));
        a.target_user = nonempty(user);
        a.user = nonempty(by);
        return Some(a);
    }
    // groupdel: `group 'devs' removed`; userdel: `removed group 'bob' owned
    // by 'bob'`.
    if let Some(r) = msg.strip_prefix("group '") {
        let (group, r) = r.split_once('\'')?;
        if r.trim() == "removed" {
            let mut a = Auth::new("group_deleted", "iam", Some("success"));
            a.group_name = nonempty(group);
            return Some(a);
        }
    }
    if let Some(r) = msg.strip_prefix("removed group '") {
        let (group, _) = r.split_once('\'')?;
        let mut a = Auth::new("group_deleted", "iam", Some("success"));
        a.group_name = nonempty(group);
        return Some(a);
    }
    // useradd: `failed adding user 'aol', exit code: 4`
    if let Some(r) = msg.strip_prefix("failed adding user '") {
        let (user, r) = r.split_once('\'')?;
        let mut a = Auth::new("user_created", "iam", Some("failure"));
        a.target_user = nonempty(user);
        a.reason = nonempty(r.trim_start_matches([',', ' ']));
        return Some(a);
    }
    // usermod: `change user 'bob' expiration from 'x' to 'y'`, `... shell
    // from ...`, `lock user 'bob' password`, `unlock user 'bob' password`.
    for (prefix, action) in [
        ("change user '", "user_modified"),
        ("lock user '", "user_locked"),
        ("unlock user '", "user_unlocked"),
    ] {
        if let Some(r) = msg.strip_prefix(prefix) {
            let (user, what) = r.split_once('\'')?;
            let mut a = Auth::new(action, "iam", Some("success"));
            a.target_user = nonempty(user);
            a.reason = nonempty(what.trim());
            return Some(a);
        }
    }
    None
}

/// systemd-logind: `New session 271 of user jhall.`, `Removed session 111.`
fn logind(msg: &str) -> Option<Auth<'_>> {
    if let Some(r) = msg.strip_prefix("New session ") {
        let (_, user) = r.split_once(" of user ")?;
        let mut a = Auth::new("session_opened", "session", Some("success"));
        a.user = nonempty(user.trim_end_matches('.'));
        return Some(a);
    }
    msg.strip_prefix("Removed session ")
        .map(|_| Auth::new("session_closed", "session", Some("success")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm<'a>(program: &str, msg: &'a str) -> Auth<'a> {
        normalize(program, msg).unwrap_or_else(|| panic!("not normalized: {msg}"))
    }

    #[test]
    fn sshd_failed_password() {
        let a = norm(
            "sshd",
            "Failed password for invalid user admin from 198.51.100.7 port 40022 ssh2",
        );
        assert_eq!(
            (a.action, a.outcome, a.category),
            ("ssh_login", Some("failure"), "authentication")
        );
        assert_eq!(a.user, Some("admin"));
        assert_eq!(a.invalid_user, Some(true));
        assert_eq!(
            (a.source, a.port, a.method),
            (Some("198.51.100.7"), Some(40022), Some("password"))
        );
        let a = norm(
            "sshd",
            "Failed password for root from 2001:db8::1 port 22 ssh2",
        );
        assert_eq!(
            (a.user, a.invalid_user, a.source),
            (Some("root"), Some(false), Some("2001:db8::1"))
        );
        // A user name with spaces, and one that looks like the keyword.
        let a = norm(
            "sshd",
            "Failed password for invalid user john from x from 10.0.0.1 port 1 ssh2",
        );
        assert_eq!(a.user, Some("john from x"));
    }

    #[test]
    fn sshd_accepted() {
        let a = norm(
            "sshd-session",
            "Accepted publickey for alice from 203.0.113.9 port 50022 ssh2: RSA SHA256:abcDEF123",
        );
        assert_eq!((a.action, a.outcome), ("ssh_login", Some("success")));
        assert_eq!(
            (a.method, a.signature),
            (Some("publickey"), Some("RSA SHA256:abcDEF123"))
        );
        let a = norm(
            "sshd",
            "Accepted keyboard-interactive/pam for bob from host.example port 2 ssh2",
        );
        assert_eq!(
            (a.method, a.source, a.signature),
            (Some("keyboard-interactive/pam"), Some("host.example"), None)
        );
    }

    #[test]
    fn sshd_other_shapes() {
        let a = norm("sshd", "Invalid user oracle from 192.0.2.5 port 51234");
        assert_eq!(
            (a.action, a.user, a.port),
            ("ssh_invalid_user", Some("oracle"), Some(51234))
        );
        let a = norm("sshd", "Invalid user  from 192.0.2.5");
        assert_eq!((a.user, a.source, a.port), (None, Some("192.0.2.5"), None));
        let a = norm(
            "sshd",
            "Connection closed by authenticating user root 192.0.2.5 port 4000 [preauth]",
        );
        assert_eq!(
            (a.action, a.outcome, a.category),
            ("ssh_disconnect", None, "session")
        );
        assert_eq!(
            (a.user, a.source, a.port, a.invalid_user),
            (Some("root"), Some("192.0.2.5"), Some(4000), Some(false))
        );
        let a = norm(
            "sshd",
            "Connection closed by invalid user test 192.0.2.5 port 4000 [preauth]",
        );
        assert_eq!((a.user, a.invalid_user), (Some("test"), Some(true)));
        let a = norm("sshd", "Connection closed by 192.0.2.5 port 4000 [preauth]");
        assert_eq!(
            (a.user, a.source, a.port),
            (None, Some("192.0.2.5"), Some(4000))
        );
        let a = norm("sshd", "Disconnected from user alice 192.0.2.5 port 4000");
        assert_eq!((a.user, a.port), (Some("alice"), Some(4000)));
        let a = norm(
            "sshd",
            "Received disconnect from 192.0.2.5 port 4000:11: disconnected by user",
        );
        assert_eq!((a.action, a.port), ("ssh_disconnect", Some(4000)));
        let a = norm(
            "sshd",
            "error: maximum authentication attempts exceeded for invalid user pi from 192.0.2.5 port 4000 ssh2 [preauth]",
        );
        assert_eq!(
            (a.action, a.user, a.invalid_user),
            ("ssh_max_auth_attempts", Some("pi"), Some(true))
        );
        let a = norm(
            "sshd",
            "message repeated 2 times: [ Failed password for root from 192.0.2.5 port 4000 ssh2]",
        );
        assert_eq!((a.action, a.user), ("ssh_login", Some("root")));
        assert!(normalize("sshd", "Server listening on 0.0.0.0 port 22.").is_none());
        assert!(normalize("sshd", "Failed").is_none());
        assert!(normalize("sshd", "Accepted x y for").is_none());
    }

    #[test]
    fn pam() {
        let a = norm(
            "sshd",
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.5  user=root",
        );
        assert_eq!(
            (a.action, a.outcome),
            ("authentication_failure", Some("failure"))
        );
        assert_eq!(
            (a.user, a.source, a.tty),
            (Some("root"), Some("192.0.2.5"), Some("ssh"))
        );
        let a = norm(
            "su",
            "pam_unix(su-l:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=root",
        );
        assert_eq!(
            (a.user, a.effective_user, a.source),
            (Some("alice"), Some("root"), None)
        );
        let a = norm(
            "sshd",
            "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
        );
        assert_eq!(
            (a.action, a.category, a.user),
            ("session_opened", "session", Some("alice"))
        );
        let a = norm(
            "sudo",
            "pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)",
        );
        assert_eq!((a.user, a.effective_user), (Some("alice"), Some("root")));
        let a = norm(
            "sshd",
            "pam_unix(sshd:session): session closed for user alice",
        );
        assert_eq!((a.action, a.user), ("session_closed", Some("alice")));
        let a = norm(
            "CRON",
            "pam_unix(cron:session): session opened for user root(uid=0) by root(uid=0)",
        );
        assert_eq!((a.user, a.effective_user), (Some("root"), None));
        let a = norm(
            "passwd",
            "pam_unix(passwd:chauthtok): password changed for bob",
        );
        assert_eq!(
            (a.action, a.category, a.target_user),
            ("password_changed", "iam", Some("bob"))
        );
        assert!(normalize("sshd", "pam_unix(sshd:auth): check pass; user unknown").is_none());
    }

    #[test]
    fn sudo_lines() {
        let a = norm(
            "sudo",
            "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash -i",
        );
        assert_eq!(
            (a.action, a.outcome, a.category),
            ("sudo", Some("success"), "process")
        );
        assert_eq!(
            (a.user, a.effective_user, a.tty),
            (Some("alice"), Some("root"), Some("pts/0"))
        );
        assert_eq!(
            (a.working_directory, a.command_line),
            (Some("/home/alice"), Some("/bin/bash -i"))
        );
        let a = norm(
            "sudo",
            "alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/sh -c 'a ; b'",
        );
        assert_eq!(
            (a.outcome, a.reason),
            (Some("failure"), Some("3 incorrect password attempts"))
        );
        assert_eq!(a.command_line, Some("/usr/bin/sh -c 'a ; b'"));
        let a = norm(
            "sudo",
            "mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/id",
        );
        assert_eq!(
            (a.user, a.reason),
            (Some("mallory"), Some("user NOT in sudoers"))
        );
        assert!(normalize("sudo", "a b : c").is_none());
        assert!(normalize("sudo", "alice : nothing known").is_none());
    }

    #[test]
    fn logind_and_more_shadow_lines() {
        let a = norm("systemd-logind", "New session 271 of user jhall.");
        assert_eq!((a.action, a.user), ("session_opened", Some("jhall")));
        let a = norm("systemd-logind", "Removed session 111.");
        assert_eq!((a.action, a.user), ("session_closed", None));
        assert!(normalize(
            "systemd-logind",
            "Watching system buttons on /dev/input/event0"
        )
        .is_none());
        let a = norm("useradd", "failed adding user 'aol', exit code: 4");
        assert_eq!(
            (a.action, a.outcome, a.target_user, a.reason),
            (
                "user_created",
                Some("failure"),
                Some("aol"),
                Some("exit code: 4")
            )
        );
        let a = norm(
            "usermod",
            "change user 'acris' expiration from '2001-01-01' to '2243-10-16'",
        );
        assert_eq!((a.action, a.target_user), ("user_modified", Some("acris")));
        assert_eq!(
            a.reason,
            Some("expiration from '2001-01-01' to '2243-10-16'")
        );
        let a = norm("usermod", "lock user 'bob' password");
        assert_eq!((a.action, a.target_user), ("user_locked", Some("bob")));
    }

    #[test]
    fn cron_jobs() {
        let a = norm(
            "CRON",
            "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)",
        );
        assert_eq!(
            (a.action, a.category, a.user, a.command_line),
            (
                "cron_command",
                "process",
                Some("root"),
                Some("cd / && run-parts --report /etc/cron.hourly")
            )
        );
        let a = norm("/USR/SBIN/CRON", "(www-data) CMD (php /srv/app/cron.php)");
        assert_eq!(a.command_line, Some("php /srv/app/cron.php"));
        assert_eq!(a.user, Some("www-data"));
        assert_eq!(norm("crond", "(bob) CMD (x)").user, Some("bob"));
        assert!(normalize("CRON", "(CRON) INFO (pidfile fd = 3)").is_none());
        assert!(normalize("CRON", "(root) RELOAD (crontabs/root)").is_none());
    }

    #[test]
    fn su_lines() {
        let a = norm("su", "(to root) alice on pts/0");
        assert_eq!((a.action, a.outcome), ("su", Some("success")));
        assert_eq!(
            (a.user, a.effective_user, a.tty),
            (Some("alice"), Some("root"), Some("pts/0"))
        );
        let a = norm("su", "FAILED SU (to root) alice on pts/0");
        assert_eq!((a.outcome, a.user), (Some("failure"), Some("alice")));
        let a = norm("su", "Successful su for root by alice");
        assert_eq!((a.user, a.effective_user), (Some("alice"), Some("root")));
        let a = norm("su", "FAILED su for root by alice");
        assert_eq!(a.outcome, Some("failure"));
        let a = norm("su", "- pts/0 alice:root");
        assert_eq!(
            (a.outcome, a.tty, a.user, a.effective_user),
            (Some("failure"), Some("pts/0"), Some("alice"), Some("root"))
        );
        assert!(normalize("su", "hello").is_none());
    }

    #[test]
    fn shadow_lines() {
        let a = norm(
            "useradd",
            "new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash, from=/dev/pts/0",
        );
        assert_eq!((a.action, a.category), ("user_created", "iam"));
        assert_eq!(
            (a.target_user, a.target_user_id, a.group_id),
            (Some("bob"), Some("1001"), Some("1001"))
        );
        let a = norm("groupadd", "new group: name=bob, GID=1001");
        assert_eq!(
            (a.action, a.group_name, a.group_id),
            ("group_created", Some("bob"), Some("1001"))
        );
        let a = norm("userdel", "delete user 'bob'");
        assert_eq!((a.action, a.target_user), ("user_deleted", Some("bob")));
        let a = norm("usermod", "add 'bob' to shadow group 'sudo'");
        assert_eq!(
            (a.action, a.target_user, a.group_name),
            ("user_added_to_group", Some("bob"), Some("sudo"))
        );
        let a = norm("gpasswd", "user bob added by root to group sudo");
        assert_eq!(
            (a.user, a.target_user, a.group_name),
            (Some("root"), Some("bob"), Some("sudo"))
        );
        let a = norm("passwd", "password for 'bob' changed by 'root'");
        assert_eq!(
            (a.action, a.user, a.target_user),
            ("password_changed", Some("root"), Some("bob"))
        );
        assert!(normalize("useradd", "new user: shell=/bin/sh").is_none());
        assert!(normalize("nginx", "new user: name=bob").is_none());
    }

    #[test]
    fn apply_sets_ecs_fields() {
        use time::OffsetDateTime;
        use vedette_model::{FieldValue, Origin};
        let mut ev = Event::raw(1, OffsetDateTime::UNIX_EPOCH, Origin::new("t", None), b"");
        norm(
            "sshd",
            "Failed password for root from gateway.example port 22 ssh2",
        )
        .apply(&mut ev);
        assert_eq!(ev.get_str("source.domain"), Some("gateway.example"));
        assert_eq!(ev.get("source.ip"), None);
        assert_eq!(ev.get("source.port"), Some(&FieldValue::Int(22)));
        assert_eq!(
            ev.get("system.auth.ssh.invalid_user"),
            Some(&FieldValue::Bool(false))
        );
        assert_eq!(ev.get_str("event.kind"), Some("event"));
    }
}
