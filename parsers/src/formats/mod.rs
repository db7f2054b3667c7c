//! Device and application formats carried in a syslog MSG, or sent as bare
//! lines: CEF, LEEF, firewall key=value logs, Cisco ASA, netfilter,
//! pfSense filterlog, web server access logs.
//!
//! Each format is a cheap `detect` (a prefix or a few bytes, no parsing) and
//! a `parse` that fills ECS fields and the Sigma log source on the event.
//! [`FORMATS`] is tried in order; the first whose `detect` accepts the text
//! parses it. A `parse` that fails half-way keeps every field it already set
//! and returns the error, which becomes `error.message`.

use vedette_model::Event;

use crate::ParseError;

mod asa;
mod auditd;
mod cef;
mod cisco_ios;
mod filterlog;
mod fortigate;
mod json;
mod juniper;
pub(crate) mod kaspersky;
mod leef;
mod mikrotik;
mod modsec;
mod netfilter;
mod panos;
mod sonicwall;
mod sophos;
pub(crate) mod w3c;
mod web;
mod windows;

/// One format: how to recognize it and how to parse it.
pub(crate) struct Format {
    /// Short name, used in errors and as `event.module`.
    pub(crate) name: &'static str,
    /// About how many fields a record sets (the median of the golden
    /// records), reserved before parsing so that the map does not grow
    /// and rehash several times per record.
    pub(crate) fields: usize,
    /// Whether `text` looks like this format (must be cheap).
    pub(crate) detect: fn(&str) -> bool,
    /// Parses `text` into `ev`.
    pub(crate) parse: fn(&str, &mut Event) -> Result<(), ParseError>,
}

/// Every format, most specific first.
pub(crate) const FORMATS: &[Format] = &[
    windows::FORMAT,
    cef::FORMAT,
    leef::FORMAT,
    asa::FORMAT,
    cisco_ios::FORMAT,
    mikrotik::FORMAT,
    juniper::FORMAT,
    panos::FORMAT,
    fortigate::FORMAT,
    sophos::FORMAT,
    sonicwall::FORMAT,
    filterlog::FORMAT,
    kaspersky::FORMAT,
    auditd::FORMAT,
    modsec::FORMAT,
    netfilter::FORMAT,
    web::FORMAT,
    // Last: any JSON object no specific format claimed.
    json::FORMAT,
];

/// Parses `text` with the first format that recognizes it; `None` when no
/// format does. `base` is where `text` starts in `event.original`, so that
/// error offsets count from there.
pub(crate) fn apply(text: &str, base: usize, ev: &mut Event) -> Option<Result<(), ParseError>> {
    let f = FORMATS.iter().find(|f| (f.detect)(text))?;
    ev.fields.reserve(f.fields);
    ev.set("event.module", f.name);
    Some((f.parse)(text, ev).map_err(|e| e.shifted(base)))
}

/// The names a source may force: every format's name.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    FORMATS.iter().map(|f| f.name)
}

/// Parses `text` with the named format, without detection (a source whose
/// format the operator fixed). `None` when no format has that name.
pub(crate) fn apply_named(
    name: &str,
    text: &str,
    base: usize,
    ev: &mut Event,
) -> Option<Result<(), ParseError>> {
    let f = FORMATS.iter().find(|f| f.name == name)?;
    ev.fields.reserve(f.fields);
    ev.set("event.module", f.name);
    Some((f.parse)(text, ev).map_err(|e| e.shifted(base)))
}
