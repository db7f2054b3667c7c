//! Arbitrary bytes into the `kaspersky` mapping (forced, no detection): the
//! structured data of the syslog header and the description in MSG.
//!
//! `cd parsers && cargo fuzz run format_kaspersky` (nightly, or RUSTC_BOOTSTRAP=1)
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::run("kaspersky", data));
