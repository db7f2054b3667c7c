//! Property tests for Kaspersky Security Center's syslog export: records
//! built from random parameters parse back to them, and any text in the
//! parameters or the description makes an event without a panic, the raw
//! record kept.

use proptest::prelude::*;
use time::macros::datetime;
use vedette_model::Origin;
use vedette_parsers::Parser;

/// RFC 5424 PARAM-VALUE escaping.
fn sd(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(']', "\\]")
}

fn parse(line: &str) -> vedette_model::Event {
    Parser::default().parse(
        1,
        datetime!(2026-11-25 03:00:00 UTC),
        Origin::new("prop", None),
        line.as_bytes(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn virus_found_parses_back(
        host in "[A-Z][A-Z0-9-]{0,14}",
        ip in any::<std::net::Ipv4Addr>(),
        path in "[ -~]{1,60}",
        threat in "[!-~]{1,40}",
        user in "[a-z]{1,8}",
        text in "\\PC{0,80}",
    ) {
        let line = format!(
            "<185>1 2026-11-25T03:00:00.000Z {host} KES|12.6.0.438 - GNRL_EV_VIRUS_FOUND [event@23668 p2=\"{}\" p5=\"{}\" p7=\"CONTOSO\\\\{user}\" et=\"GNRL_EV_VIRUS_FOUND\" hdn=\"{host}\" hip=\"{ip}\"] {text}",
            sd(&path),
            sd(&threat),
        );
        let ev = parse(&line);
        prop_assert_eq!(ev.error.as_deref(), None, "{}", line);
        prop_assert_eq!(ev.get_str("event.module"), Some("kaspersky"));
        prop_assert_eq!(ev.get_str("event.code"), Some("GNRL_EV_VIRUS_FOUND"));
        prop_assert_eq!(ev.get_str("host.name"), Some(host.as_str()));
        let ip = ip.to_string();
        prop_assert_eq!(ev.get_str("host.ip"), Some(ip.as_str()));
        prop_assert_eq!(ev.get_str("Signature"), Some(threat.as_str()));
        prop_assert_eq!(ev.get_str("user.name"), Some(user.as_str()));
        let object = if path.starts_with("http://") || path.starts_with("https://") {
            ev.get_str("url.original")
        } else {
            ev.get_str("file.path")
        };
        prop_assert_eq!(object, Some(path.as_str()));
        prop_assert!(ev.logsource.admits(None, Some("antivirus"), None));
    }

    #[test]
    fn any_parameters_make_an_event(
        params in proptest::collection::vec(("[a-z0-9]{1,6}", "\\PC{0,40}"), 0..20),
        et in "[A-Za-z_0-9]{0,30}",
        text in "\\PC{0,200}",
        cef in any::<bool>(),
    ) {
        let line = if cef {
            let ext: String = params.iter().map(|(k, v)| format!("{k}={} ", v.replace('\\', "\\\\").replace('=', "\\="))).collect();
            format!("CEF:0|KasperskyLab|SecurityCenter|14.2|{et}|n|5|msg={text} {ext}")
        } else {
            let sdp: String = params.iter().map(|(k, v)| format!(" {k}=\"{}\"", sd(v))).collect();
            format!("<185>1 2026-11-25T03:00:00.000Z h KES|1 - {et} [event@23668 et=\"{}\"{sdp}] {text}", sd(&et))
        };
        let ev = parse(&line);
        prop_assert_eq!(&ev.original, &line);
        let _ = ev.to_json();
    }
}

/// A description that looks like another format (JSON, CEF, netfilter)
/// does not take a record with KSC's structured data away from Kaspersky
/// (found by the property above: `{}`).
#[test]
fn a_description_in_another_format_stays_kaspersky() {
    for text in [
        "{}",
        "{\"a\":1}",
        "CEF:0|x|y|1|2|n|3|",
        "IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8",
    ] {
        let line = format!(
            "<185>1 2026-11-25T03:00:00.000Z PC-1 KES|12.6.0.438 - GNRL_EV_VIRUS_FOUND [event@23668 p2=\"C:\\\\x.exe\" p5=\"EICAR\" et=\"GNRL_EV_VIRUS_FOUND\" hdn=\"PC-1\" hip=\"10.0.0.5\"] {text}"
        );
        let ev = parse(&line);
        assert_eq!(ev.get_str("event.module"), Some("kaspersky"), "{line}");
        assert_eq!(ev.get_str("host.name"), Some("PC-1"), "{line}");
    }
}
