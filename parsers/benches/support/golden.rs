//! The golden records of a format, as the parser benches and the
//! `parse_cost` example read them (included by both with `#[path]`).

/// The records of `parsers/testdata/<dir>/*.log`, in file order, without
/// the deliberately broken ones (whose golden JSON holds an
/// `error.message`) and without W3C directives, which set per-source
/// state (measured apart, as streams).
pub fn golden_records(dir: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(dir);
    let mut paths: Vec<_> = std::fs::read_dir(path)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        if p.extension().is_none_or(|e| e != "log") {
            continue;
        }
        let json = std::fs::read_to_string(p.with_extension("json")).unwrap_or_default();
        if json.contains("\"error.message\"") {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(&p) {
            if !text.starts_with('#') {
                out.push(text.trim_end_matches(['\n', '\r']).to_string());
            }
        }
    }
    out
}

/// The format of a `testdata` directory's records, as a source rule names
/// it: ModSecurity's are in `modsec`, plain syslog in the syslog ones.
pub fn format_of(dir: &str) -> &str {
    match dir {
        "modsec" => "modsecurity",
        "rfc3164" | "rfc5424" | "auth" => "syslog",
        d => d,
    }
}
