//! Arbitrary bytes into the `cisco_ios` parser (forced, no detection).
//!
//! `cd parsers && cargo fuzz run format_cisco_ios` (nightly, or RUSTC_BOOTSTRAP=1)
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::run("cisco_ios", data));
