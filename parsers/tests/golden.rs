//! Golden files: every `testdata/<format>/NNN.log` (one record) is parsed
//! and compared with `NNN.json`, the event as pretty JSON. A `NNN.received`
//! beside them overrides the receive time (RFC 3339).
//!
//! Streams: every `testdata/<format>/NNN.stream` is a sequence of lines
//! from one source, read as `vedette parse` reads a file (one fresh parser,
//! lines in order through a `Framer`, so that per-source state such as a
//! W3C `#Fields:` applies and multi-line records are joined) and compared
//! with `NNN.json`, the array of events.
//!
//! `UPDATE_GOLDEN=1 cargo test -p vedette-parsers --test golden` rewrites
//! the JSON files; review the diff before committing it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use time::macros::datetime;
use vedette_model::Origin;
use vedette_parsers::{Framer, Parser, ParserConfig};

fn records(dir: &Path) -> Vec<PathBuf> {
    files(dir, "log")
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for format in fs::read_dir(dir).expect("testdata exists") {
        let format = format.expect("readable testdata").path();
        if !format.is_dir() {
            continue;
        }
        for f in fs::read_dir(&format).expect("readable format dir") {
            let f = f.expect("readable entry").path();
            if f.extension().is_some_and(|e| e == ext) {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

/// The event as pretty JSON with sorted keys, whatever serde_json's map
/// ordering features are.
fn render(v: &serde_json::Value) -> String {
    let sorted: BTreeMap<&String, &serde_json::Value> =
        v.as_object().expect("an object").iter().collect();
    let mut s = serde_json::to_string_pretty(&sorted).expect("serializable");
    s.push('\n');
    s
}

#[test]
fn golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0");
    let parser = Parser::new(ParserConfig::default());
    let files = records(&dir);
    assert!(files.len() >= 60, "golden files missing: {}", files.len());
    let mut failures = Vec::new();
    for log in &files {
        let bytes = fs::read(log).expect("readable record");
        let received = match fs::read_to_string(log.with_extension("received")) {
            Ok(s) => vedette_model::parse_time(s.trim()).expect("a valid .received time"),
            Err(_) => datetime!(2026-11-25 03:00:00 UTC),
        };
        // Each record on its own: no per-source state from another file.
        let ev = parser
            .fresh()
            .parse(1, received, Origin::new("test", None), &bytes);
        let got = ev.to_json();
        let json = log.with_extension("json");
        if update {
            fs::write(&json, render(&got)).expect("writable golden file");
            continue;
        }
        let want: serde_json::Value = match fs::read_to_string(&json) {
            Ok(s) => serde_json::from_str(&s).expect("golden file is JSON"),
            Err(_) => {
                failures.push(format!(
                    "{}: missing (run with UPDATE_GOLDEN=1)",
                    json.display()
                ));
                continue;
            }
        };
        if want != got {
            failures.push(format!(
                "{}:\n--- want\n{}--- got\n{}",
                json.display(),
                render(&want),
                render(&got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The events of a stream, as `vedette parse` makes them.
fn stream_events(bytes: &[u8]) -> Vec<serde_json::Value> {
    let parser = Parser::new(ParserConfig::default());
    let received = datetime!(2026-11-25 03:00:00 UTC);
    let mut framer = Framer::for_format("auto");
    let mut records = Vec::new();
    for (n, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) && !framer.in_record() {
            continue;
        }
        framer.push(n as u64 + 1, line, &mut records);
    }
    framer.flush(&mut records);
    records
        .iter()
        .map(|r| {
            parser
                .parse(r.first, received, Origin::new("test", None), &r.bytes)
                .to_json()
        })
        .collect()
}

#[test]
fn golden_streams() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0");
    let streams = files(&dir, "stream");
    assert!(!streams.is_empty(), "stream golden files missing");
    let mut failures = Vec::new();
    for stream in &streams {
        let got = stream_events(&fs::read(stream).expect("readable stream"));
        let rendered = format!(
            "[\n{}]\n",
            got.iter().map(render).collect::<Vec<_>>().join(",\n")
        );
        let json = stream.with_extension("json");
        if update {
            fs::write(&json, rendered).expect("writable golden file");
            continue;
        }
        let want: Vec<serde_json::Value> = match fs::read_to_string(&json) {
            Ok(s) => serde_json::from_str(&s).expect("golden file is a JSON array"),
            Err(_) => {
                failures.push(format!(
                    "{}: missing (run with UPDATE_GOLDEN=1)",
                    json.display()
                ));
                continue;
            }
        };
        if want != got {
            failures.push(format!("{}:\n--- got\n{rendered}", json.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden stream mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
