//! Arbitrary bytes as an EVTX file: reading it must never panic (a panic
//! the reader caught and reported as `EvtxError::Panicked` is a crash here
//! too), and every record it yields must parse.
//!
//! Seeds: EVTX files (`run.sh` takes SigmaHQ's regression samples from
//! `$VEDETTE_CORPORA` when present). Inputs shorter than a chunk are read
//! as a file cut short.
//!
//! `cd parsers && cargo +nightly fuzz run evtx`
#![no_main]

use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;
use vedette_model::Origin;
use vedette_parsers::evtx::{EvtxError, EvtxFile};
use vedette_parsers::{Parser, ParserConfig};

fuzz_target!(|data: &[u8]| {
    let Ok(file) = EvtxFile::from_bytes(data.to_vec()) else {
        return;
    };
    let parser = Parser::new(ParserConfig::default());
    for record in file.records() {
        match record {
            Ok(r) => {
                let ev = r.to_event(&parser, 1, OffsetDateTime::UNIX_EPOCH, Origin::new("fuzz", None));
                let _ = ev.to_json();
            }
            Err(EvtxError::Panicked { reason, .. }) => panic!("the EVTX decoder panicked: {reason}"),
            Err(_) => {}
        }
    }
});
