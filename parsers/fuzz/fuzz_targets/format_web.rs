//! Arbitrary bytes into the `web` parser (forced, no detection).
//!
//! `cd parsers && cargo fuzz run format_web` (nightly, or RUSTC_BOOTSTRAP=1)
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::run("web", data));
