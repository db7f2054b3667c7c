//! The EVTX reader on real files: SigmaHQ's regression samples (read in
//! place from `$VEDETTE_CORPORA/sigmahq/regression_data`, else
//! `../shared/corpora` beside the workspace, else `/work/shared/corpora`;
//! without them these tests say SKIP and pass), whole, cut short and
//! damaged.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use vedette_model::{FieldValue, Origin};
use vedette_parsers::evtx::{read_evtx, EvtxError, EvtxFile};
use vedette_parsers::Parser;

fn regression_data() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    [
        std::env::var_os("VEDETTE_CORPORA").map(PathBuf::from),
        Some(workspace.join("../shared/corpora")),
        Some(PathBuf::from("/work/shared/corpora")),
    ]
    .into_iter()
    .flatten()
    .map(|p| p.join("sigmahq/regression_data"))
    .find(|p| p.is_dir())
}

fn evtx_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            evtx_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "evtx") {
            out.push(p);
        }
    }
}

fn samples() -> Vec<PathBuf> {
    let Some(dir) = regression_data() else {
        eprintln!("*** SKIP: no SigmaHQ regression data (set VEDETTE_CORPORA) ***");
        return Vec::new();
    };
    let mut files = Vec::new();
    evtx_files(&dir, &mut files);
    assert!(files.len() >= 200, "{} EVTX files", files.len());
    files
}

#[test]
fn every_sample_reads_and_parses_as_a_windows_event() {
    let parser = Parser::default();
    let at = OffsetDateTime::now_utc();
    let mut records = 0;
    for f in samples() {
        let mut n = 0;
        for r in read_evtx(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display())) {
            let r = r.unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert!(!r.json.contains('\n'), "one line");
            let ev = r.to_event(&parser, 1, at, Origin::new("test", None));
            assert_eq!(ev.error, None, "{}: {}", f.display(), r.json);
            assert_eq!(ev.get_str("event.module"), Some("windows"));
            assert!(
                matches!(ev.get("EventID"), Some(FieldValue::Int(_))),
                "{}",
                r.json
            );
            assert!(ev.get_str("Channel").is_some(), "{}", r.json);
            assert_eq!(ev.logsource.product.as_deref(), Some("windows"));
            assert_ne!(ev.timestamp, at, "the record's own time");
            n += 1;
        }
        assert!(n > 0, "{}: no record", f.display());
        records += n;
    }
    eprintln!("{records} records");
}

/// `v` with the rendering differences between `evtx` versions smoothed:
/// GUIDs as bare upper-case text (0.15 writes them as Windows does,
/// `{...}`, in lower case), `SystemTime` to the microsecond (0.15 keeps
/// the 100 ns digit), and text without the spaces at its ends (older
/// versions trimmed them; 0.15 keeps a command line's trailing space).
fn smooth(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            *s = s.trim().to_string();
            let bare = s.trim_start_matches('{').trim_end_matches('}');
            let is_guid = bare.len() == 36
                && bare.char_indices().all(|(i, c)| match i {
                    8 | 13 | 18 | 23 => c == '-',
                    _ => c.is_ascii_hexdigit(),
                });
            if is_guid {
                *s = bare.to_ascii_uppercase();
            } else if s.len() >= 28 && s.ends_with('Z') && s.as_bytes().get(19) == Some(&b'.') {
                // 2026-07-17T14:18:34.0722135Z -> 2026-07-17T14:18:34.072213Z
                *s = format!("{}Z", &s[..26]);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(smooth),
        serde_json::Value::Object(o) => o.values_mut().for_each(smooth),
        _ => {}
    }
}

/// The JSON beside a sample (SigmaHQ's `evtx_dump` output, from an older
/// `evtx`) is the same document as the reader's, for the samples that hold
/// one record.
#[test]
fn json_matches_evtx_dump() {
    let (mut compared, mut differ) = (0, Vec::new());
    for f in samples() {
        let Ok(text) = std::fs::read_to_string(f.with_extension("json")) else {
            continue;
        };
        let Ok(want) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let got: Vec<_> = read_evtx(&f).unwrap().map(Result::unwrap).collect();
        if got.len() != 1 {
            continue;
        }
        let mut got: serde_json::Value = serde_json::from_str(&got[0].json).unwrap();
        let mut want = want;
        smooth(&mut got);
        smooth(&mut want);
        if got != want {
            differ.push(f.display().to_string());
        }
        compared += 1;
    }
    eprintln!("{compared} samples compared with their JSON");
    // One SigmaHQ pair (proc_creation_win_susp_right_to_left_override) has
    // a JSON from another capture: its ParentCommandLine reads
    // `Explorer.EXE` there and `Explorer.exe` in the EVTX.
    assert!(
        differ.len() * 50 <= compared,
        "{} of {compared} differ: {differ:#?}",
        differ.len()
    );
}

/// A tiny deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Reads every record of `bytes`: no panic, and none caught either.
fn read_all(bytes: Vec<u8>) -> (usize, usize) {
    let Ok(file) = EvtxFile::from_bytes(bytes) else {
        return (0, 0);
    };
    let (mut ok, mut bad) = (0, 0);
    let parser = Parser::default();
    for r in file.records() {
        match r {
            Ok(r) => {
                let _ = r.to_event(
                    &parser,
                    1,
                    OffsetDateTime::UNIX_EPOCH,
                    Origin::new("t", None),
                );
                ok += 1;
            }
            Err(EvtxError::Panicked { reason, .. }) => panic!("the decoder panicked: {reason}"),
            Err(_) => bad += 1,
        }
    }
    (ok, bad)
}

#[test]
fn cut_and_damaged_files_never_panic() {
    let files = samples();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for f in files.iter().step_by(7) {
        let bytes = std::fs::read(f).unwrap();
        let (whole, errors) = read_all(bytes.clone());
        assert_eq!(errors, 0, "{}", f.display());
        // Cut anywhere: what is before the cut is still read, and the cut
        // is reported.
        for _ in 0..8 {
            let at = rng.below(bytes.len());
            let (ok, _) = read_all(bytes[..at].to_vec());
            assert!(ok <= whole);
        }
        let cut = bytes.len() - 100;
        let items: Vec<_> = EvtxFile::from_bytes(bytes[..cut].to_vec())
            .unwrap()
            .records()
            .collect();
        assert!(matches!(items[0], Err(EvtxError::Truncated { .. })));
        // Damaged: random bytes, runs of bytes, and the chunk header.
        for round in 0..100 {
            let mut b = bytes.clone();
            let flips = 1 + rng.below(64);
            for _ in 0..flips {
                let i = if round % 4 == 0 {
                    4096 + rng.below(512.min(b.len() - 4096))
                } else {
                    rng.below(b.len())
                };
                b[i] = rng.next() as u8;
            }
            if round % 5 == 0 {
                let start = 4096 + rng.below(b.len() - 4096);
                let end = (start + rng.below(4096)).min(b.len());
                let fill = rng.next() as u8;
                b[start..end].fill(fill);
            }
            read_all(b);
        }
    }
}
