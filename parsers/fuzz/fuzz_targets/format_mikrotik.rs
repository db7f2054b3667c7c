//! Arbitrary bytes into the `mikrotik` parser (forced, no detection).
//!
//! `cd parsers && cargo fuzz run format_mikrotik` (nightly, or RUSTC_BOOTSTRAP=1)
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::run("mikrotik", data));
