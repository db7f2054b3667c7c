//! Kaspersky Security Center (KSC) events exported to a SIEM over syslog,
//! in both of its forms:
//!
//! - **Syslog** (RFC 5424 with structured data): APP-NAME is the product
//!   and its version, MSGID the event type, and one `event@23668` element
//!   (Kaspersky's enterprise number) carries the event's parameters; MSG is
//!   the event's description, one `Label: value` per line:
//!
//!   ```text
//!   <185>1 2026-11-25T03:00:00.000Z WS-042 KES|12.6.0.438 - GNRL_EV_VIRUS_FOUND
//!   [event@23668 p1="<sha256>" p2="C:\Users\an\Downloads\eicar.com" p5="EICAR-Test-File"
//!   p7="CONTOSO\an" p8="4" et="GNRL_EV_VIRUS_FOUND" tdn="File Threat Protection"
//!   etdn="Malicious object detected" hdn="WS-042" hip="10.20.1.42" gn="Managed devices"
//!   kscfqdn="ksc.example.gov.vn"] Result\Description: Detected\r\nType: Virus ...
//!   ```
//!
//!   `et` is the event type, `etdn` its display name, `tdn` the component
//!   or task, `hdn`/`hip` the managed device, `gn` its administration
//!   group, `kscfqdn` the server; `p1`..`p9` are the event's parameters,
//!   whose meaning depends on the type (for the threat events of Kaspersky
//!   Endpoint Security: `p1` the SHA-256, `p2` the object, `p5` the threat
//!   name, `p7` the user, `p8` the threat type, `p9` JSON details with the
//!   MD5; for `GNRL_EV_ATTACK_DETECTED`: `p1` the attack, `p2` the
//!   protocol, `p3` the attacker's IPv4 address as a host-order integer,
//!   `p4` the port).
//! - **CEF** (`CEF:0|KasperskyLab|SecurityCenter|...|<event type>|<display
//!   name>|<severity>|... dhost= dst= msg=`), read by `cef.rs` and mapped
//!   here: the device is `dhost`/`dst`, the details come from `msg`.
//!
//! The description's lines (`Name:`, `Object:`, `User:`, `Type:`,
//! `SHA256:`, `MD5:`, and their Russian labels) fill what the parameters do
//! not give (the CEF form has no parameters). Events about a threat get the
//! Sigma log source `category: antivirus` and Sigma's antivirus field names
//! (`Signature`, `Filename`, `User`) beside ECS (`threat.software.name`,
//! `rule.name`, `file.path`, `file.hash.*`, `user.name`, `host.*`,
//! `event.action`, `event.outcome`).

use std::net::{IpAddr, Ipv4Addr};

use vedette_model::{Event, LogSource};

use crate::ParseError;

/// As a format: never detected from the text (the structured data says it,
/// see [`structured`]), but a source can be fixed to it.
pub(crate) const FORMAT: super::Format = super::Format {
    name: "kaspersky",
    fields: 56,
    first: |_| false,
    open: |_| false,
    needs: b"",
    gate: None,
    detect: |_| false,
    parse,
    claim: None,
};

/// `text` is the MSG of a record whose structured data was already read.
fn parse(text: &str, ev: &mut Event) -> Result<(), ParseError> {
    if structured(ev, Some(text)) {
        Ok(())
    } else {
        Err(ParseError::expected(
            "kaspersky",
            "Kaspersky Security Center's [event@23668 ...] structured data",
            0,
        ))
    }
}

/// The structured-data element of KSC's export: `event@<enterprise number>`.
const SD_PREFIX: &str = "log.syslog.structured_data.event@";

/// Whether `ev` (an RFC 5424 record already parsed) holds KSC's structured
/// data element; its key prefix (`log.syslog.structured_data.event@N.`).
pub(crate) fn sd_prefix(ev: &Event) -> Option<String> {
    let key = ev
        .fields
        .keys()
        .filter(|k| k.starts_with(SD_PREFIX))
        .min()?;
    let rest = key.strip_prefix(SD_PREFIX)?;
    let (number, _) = rest.split_once('.')?;
    if number.is_empty() || !number.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // One buffer: the prefix, then `<prefix>et` to look up, then the
    // prefix again.
    let mut prefix = format!("{SD_PREFIX}{number}.");
    let base = prefix.len();
    prefix.push_str("et");
    let has_type = ev.get(&prefix).is_some();
    prefix.truncate(base);
    has_type.then_some(prefix)
}

/// What one KSC event says, from whichever form it came in.
#[derive(Debug, Default)]
struct Ksc {
    event_type: Option<String>,
    type_name: Option<String>,
    task: Option<String>,
    host: Option<String>,
    ip: Option<String>,
    group: Option<String>,
    server: Option<String>,
    product: Option<String>,
    version: Option<String>,
    p: [Option<String>; 9],
}

/// Maps a syslog record with KSC's structured data; whether it was one.
/// `msg` is the record's MSG (the description).
pub(crate) fn structured(ev: &mut Event, msg: Option<&str>) -> bool {
    match sd_prefix(ev) {
        Some(prefix) => {
            map(ev, prefix, msg);
            true
        }
        None => false,
    }
}

/// Maps a record whose KSC structured data is under `prefix` (from
/// [`sd_prefix`]).
pub(crate) fn map(ev: &mut Event, prefix: String, msg: Option<&str>) {
    // One key buffer for the lookups: `<prefix><param>`.
    let mut key = prefix;
    let base = key.len();
    let mut get = |ev: &Event, k: &str| {
        key.truncate(base);
        key.push_str(k);
        ev.get_str(&key)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let mut k = Ksc {
        event_type: get(ev, "et"),
        type_name: get(ev, "etdn"),
        task: get(ev, "tdn"),
        host: get(ev, "hdn"),
        ip: get(ev, "hip"),
        group: get(ev, "gn"),
        server: get(ev, "kscfqdn"),
        ..Ksc::default()
    };
    const P: [&str; 9] = ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"];
    for (slot, name) in k.p.iter_mut().zip(P) {
        *slot = get(ev, name);
    }
    // APP-NAME `KES|12.6.0.438`: the product and its version.
    if let Some(app) = ev.get_str("process.name") {
        let (product, version) = app.split_once('|').unwrap_or((app, ""));
        k.product = Some(product.to_string()).filter(|p| !p.is_empty());
        k.version = Some(version.to_string()).filter(|v| !v.is_empty());
    }
    apply(ev, k, msg);
}

/// Maps a CEF record from `KasperskyLab|SecurityCenter` (already read by
/// `cef.rs`).
pub(crate) fn cef(ev: &mut Event) {
    let s = |ev: &Event, k: &str| ev.get_str(k).filter(|v| !v.is_empty()).map(str::to_string);
    let k = Ksc {
        event_type: s(ev, "cef.device_event_class_id"),
        type_name: s(ev, "cef.name"),
        task: s(ev, "cef.custom.TaskName"),
        host: s(ev, "cef.extensions.dhost"),
        ip: s(ev, "cef.extensions.dst"),
        group: s(ev, "cef.custom.SrcAdmGroupName").or_else(|| s(ev, "cef.custom.GroupName")),
        // The syslog header names the server that sent it.
        server: s(ev, "host.name"),
        product: s(ev, "cef.custom.ProductName"),
        version: s(ev, "cef.custom.ProductVersion"),
        ..Ksc::default()
    };
    // The device is where the event happened, not a destination.
    for key in ["destination.domain", "destination.ip"] {
        ev.fields.remove(key);
    }
    let msg = s(ev, "message");
    apply(ev, k, msg.as_deref());
}

/// Whether an event type is about a threat (a detection or what was done
/// to the object).
fn is_threat(et: &str) -> bool {
    matches!(
        et,
        "GNRL_EV_VIRUS_FOUND"
            | "GNRL_EV_SUSPICIOUS_OBJECT_FOUND"
            | "GNRL_EV_OBJECT_CURED"
            | "GNRL_EV_OBJECT_NOTCURED"
            | "GNRL_EV_OBJECT_DELETED"
            | "GNRL_EV_OBJECT_NOTDELETED"
            | "GNRL_EV_OBJECT_QUARANTINED"
            | "GNRL_EV_OBJECT_BLOCKED"
            | "GNRL_EV_OBJECT_REPORTED"
            | "GNRL_EV_VIRUS_FOUND_AND_REPORTED"
            | "GNRL_EV_VIRUS_FOUND_AND_PASSED"
            | "GNRL_EV_PASSWD_ARCHIVE_FOUND"
            | "GNRL_EV_VIRUS_OUTBREAK"
            | "GNRL_EV_WEB_URL_BLOCKED"
            | "GNRL_EV_WEB_URL_BLOCKED_BY_KSN"
            | "GNRL_EV_ATTACK_DETECTED"
    )
}

/// `event.action` and `event.outcome` of the event types an analyst meets
/// most; others get their type in lower case.
fn action(et: &str) -> (String, Option<&'static str>) {
    let (a, outcome) = match et {
        "GNRL_EV_VIRUS_FOUND" => ("malware-detected", None),
        "GNRL_EV_SUSPICIOUS_OBJECT_FOUND" => ("suspicious-object-detected", None),
        "GNRL_EV_OBJECT_CURED" => ("object-disinfected", Some("success")),
        "GNRL_EV_OBJECT_NOTCURED" => ("object-not-disinfected", Some("failure")),
        "GNRL_EV_OBJECT_DELETED" => ("object-deleted", Some("success")),
        "GNRL_EV_OBJECT_NOTDELETED" => ("object-not-deleted", Some("failure")),
        "GNRL_EV_OBJECT_QUARANTINED" => ("object-quarantined", Some("success")),
        "GNRL_EV_OBJECT_BLOCKED" => ("object-blocked", Some("success")),
        "GNRL_EV_WEB_URL_BLOCKED" | "GNRL_EV_WEB_URL_BLOCKED_BY_KSN" => {
            ("url-blocked", Some("success"))
        }
        "GNRL_EV_ATTACK_DETECTED" => ("network-attack-detected", None),
        "GNRL_EV_APPLICATION_LAUNCH_DENIED" => ("application-launch-denied", Some("success")),
        "GNRL_EV_DEVCTRL_DEV_PLUG_DENIED" => ("device-blocked", Some("success")),
        "KLPRCI_TaskState" => ("task-state-changed", None),
        "KLSRV_UPD_BASES_UPDATED" => ("databases-updated", Some("success")),
        _ => return (et.to_ascii_lowercase(), None),
    };
    (a.to_string(), outcome)
}

/// The labels of the description's lines (English and Russian consoles).
fn label(name: &str) -> Option<&'static str> {
    Some(match name.trim() {
        "Name" | "Название" | "Object name" => "name",
        "Object" | "Объект" => "object",
        "User" | "Пользователь" => "user",
        "Type" | "Тип" | "Object type" => "type",
        "SHA256" => "sha256",
        "MD5" => "md5",
        "Result\\Description" | "Описание результата" | "Result description" => {
            "result"
        }
        "Application\\Name" | "Приложение\\Название" => "application",
        _ => return None,
    })
}

/// The description's `Label: value` lines (separated by CR LF, or by the
/// literal `\r\n` some relays write), at most 64.
fn details(msg: &str) -> Vec<(&'static str, &str)> {
    let mut out = Vec::new();
    let normalized_split = msg.split("\\r\\n").flat_map(|p| p.split(['\r', '\n']));
    for line in normalized_split.take(64) {
        let Some((name, value)) = line.split_once(": ") else {
            continue;
        };
        if let Some(l) = label(name) {
            let value = value.trim();
            if !value.is_empty() {
                out.push((l, value));
            }
        }
    }
    out
}

/// `DOMAIN\user` (with an ` (Initiator)`-like note after it) into
/// `user.name` and `user.domain`.
fn set_user(ev: &mut Event, v: &str) {
    let v = v.split(" (").next().unwrap_or(v).trim();
    if v.is_empty() {
        return;
    }
    ev.set(key!("User"), v);
    match v.split_once('\\') {
        Some((domain, name)) if !name.is_empty() => {
            ev.set(key!("user.name"), name);
            if !domain.is_empty() {
                ev.set(key!("user.domain"), domain);
            }
        }
        _ => ev.set(key!("user.name"), v),
    }
}

/// An object: a URL, else a file path.
fn set_object(ev: &mut Event, v: &str) {
    if v.starts_with("http://") || v.starts_with("https://") {
        ev.set(key!("url.original"), v);
    } else {
        ev.set(key!("file.path"), v);
        ev.set(key!("Filename"), v);
        let name = v.rsplit(['\\', '/']).next().unwrap_or(v);
        if !name.is_empty() {
            ev.set(key!("file.name"), name);
        }
    }
}

fn set_threat(ev: &mut Event, v: &str) {
    ev.set(key!("threat.software.name"), v);
    ev.set(key!("rule.name"), v);
    ev.set(key!("Signature"), v);
}

/// A hash of `len` hex digits.
fn hex(v: &str, len: usize) -> bool {
    v.len() == len && v.bytes().all(|c| c.is_ascii_hexdigit())
}

/// `"md5":"..."` in `p9`'s JSON details, its quotes escaped or not.
fn md5_in(json: &str) -> Option<&str> {
    let at = json.find("md5\\\"").or_else(|| json.find("md5\""))?;
    let rest = json.get(at + 3..)?.trim_start_matches(['\\', '"', ' ']);
    let rest = rest
        .strip_prefix(':')?
        .trim_start_matches([' ', '\\'])
        .strip_prefix('"')?;
    let end = rest.find(['"', '\\'])?;
    rest.get(..end).filter(|h| hex(h, 32))
}

fn apply(ev: &mut Event, k: Ksc, msg: Option<&str>) {
    let et = k.event_type.clone().unwrap_or_default();
    let threat = is_threat(&et);
    ev.set(key!("event.module"), "kaspersky");
    ev.set(key!("observer.vendor"), "Kaspersky");
    ev.set(key!("observer.type"), "antivirus");
    ev.logsource = LogSource::new(Some("kaspersky"), threat.then_some("antivirus"), &[]);
    if let Some(p) = &k.product {
        ev.set(key!("observer.product"), p.as_str());
    }
    if let Some(v) = &k.version {
        ev.set(key!("observer.version"), v.as_str());
    }
    if !et.is_empty() {
        ev.set(key!("event.code"), et.as_str());
        ev.set(key!("kaspersky.event_type"), et.as_str());
        let (a, outcome) = action(&et);
        ev.set(key!("event.action"), a);
        if let Some(o) = outcome {
            ev.set(key!("event.outcome"), o);
        }
    }
    if threat {
        ev.set(key!("event.kind"), "alert");
        ev.set(
            "event.category",
            if et == "GNRL_EV_ATTACK_DETECTED" {
                "intrusion_detection"
            } else {
                "malware"
            },
        );
    } else {
        ev.set(key!("event.kind"), "event");
    }
    if let Some(n) = &k.type_name {
        ev.set(key!("event.reason"), n.as_str());
        ev.set(key!("kaspersky.event_type_name"), n.as_str());
    }
    for (key, v) in [
        ("kaspersky.task", &k.task),
        ("kaspersky.group", &k.group),
        ("kaspersky.server", &k.server),
    ] {
        if let Some(v) = v {
            ev.set(key, v.as_str());
        }
    }
    if let Some(h) = &k.host {
        ev.set(key!("host.name"), h.as_str());
    }
    if let Some(ip) = k.ip.as_deref().and_then(|i| i.parse::<IpAddr>().ok()) {
        ev.set(key!("host.ip"), ip.to_string());
    }

    let p = |i: usize| k.p.get(i - 1).and_then(Option::as_deref);
    if et == "GNRL_EV_ATTACK_DETECTED" {
        if let Some(name) = p(1) {
            ev.set(key!("rule.name"), name);
            ev.set(key!("threat.technique.name"), name);
        }
        if let Some(proto) = p(2) {
            ev.set(key!("network.protocol"), proto.to_ascii_lowercase());
        }
        // The attacker's IPv4 address as a host-order integer.
        if let Some(n) = p(3).and_then(|v| v.parse::<u32>().ok()) {
            ev.set(key!("source.ip"), Ipv4Addr::from(n).to_string());
        }
        if let Some(port) = p(4).and_then(|v| v.parse::<u16>().ok()) {
            ev.set(key!("source.port"), i64::from(port));
        }
    } else if threat || et == "GNRL_EV_APPLICATION_LAUNCH_DENIED" {
        if let Some(h) = p(1).filter(|h| hex(h, 64)) {
            ev.set(key!("file.hash.sha256"), h.to_ascii_lowercase());
        }
        if let Some(o) = p(2) {
            set_object(ev, o);
        }
        if let Some(t) = p(5) {
            set_threat(ev, t);
        }
        if let Some(u) = p(7) {
            set_user(ev, u);
        }
        if let Some(t) = p(8) {
            ev.set(key!("kaspersky.threat_type"), t);
        }
        if let Some(md5) = p(9).and_then(md5_in) {
            ev.set(key!("file.hash.md5"), md5.to_ascii_lowercase());
        }
    }

    // The description fills what the parameters did not give.
    let Some(msg) = msg else {
        return;
    };
    for (l, v) in details(msg) {
        match l {
            "name" if threat && ev.get("threat.software.name").is_none() => set_threat(ev, v),
            "object" if ev.get("file.path").is_none() && ev.get("url.original").is_none() => {
                set_object(ev, v)
            }
            "user" if ev.get("user.name").is_none() => set_user(ev, v),
            "type" => ev.set(key!("kaspersky.threat_type_name"), v),
            "result" => ev.set(key!("kaspersky.result"), v),
            "application" => ev.set(key!("process.name"), v),
            "sha256" if ev.get("file.hash.sha256").is_none() && hex(v, 64) => {
                ev.set(key!("file.hash.sha256"), v.to_ascii_lowercase())
            }
            "md5" if ev.get("file.hash.md5").is_none() && hex(v, 32) => {
                ev.set(key!("file.hash.md5"), v.to_ascii_lowercase())
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_in_both_languages_and_separators() {
        let d = details("Result\\Description: Detected\\r\\nName: EICAR-Test-File\\r\\nObject: C:\\x\\eicar.com\r\nПользователь: DOM\\ivan (Инициатор)\r\nnoise\r\nColor: red");
        assert_eq!(
            d,
            vec![
                ("result", "Detected"),
                ("name", "EICAR-Test-File"),
                ("object", "C:\\x\\eicar.com"),
                ("user", "DOM\\ivan (Инициатор)"),
            ]
        );
    }

    #[test]
    fn md5_from_details_json() {
        assert_eq!(
            md5_in(r#"{"engine":3,"method":0,"md5":"44d88612fea8a8f36de82e1278abb02f"}"#),
            Some("44d88612fea8a8f36de82e1278abb02f")
        );
        assert_eq!(
            md5_in(r#"{\"md5\":\"44d88612fea8a8f36de82e1278abb02f\"}"#),
            Some("44d88612fea8a8f36de82e1278abb02f")
        );
        assert_eq!(md5_in(r#"{"md5":"xyz"}"#), None);
        assert_eq!(md5_in("\"md5\""), None);
    }

    #[test]
    fn actions() {
        assert_eq!(
            action("GNRL_EV_OBJECT_DELETED"),
            ("object-deleted".into(), Some("success"))
        );
        assert_eq!(
            action("KLPRCI_TaskState"),
            ("task-state-changed".into(), None)
        );
        assert_eq!(action("000000cb"), ("000000cb".into(), None));
    }
}
