//! The bounded PDF reader (`src/pdf/reader/`) on any bytes: a value or an
//! error, never a panic, a hang or an allocation past its limits. Run with
//! `-malloc_limit_mb=64 -timeout=5` to hold it to that (docs/operators.md).

#![no_main]

#[path = "../../../src/pdf/reader/mod.rs"]
#[allow(dead_code)]
mod reader;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = reader::attachment(data, "certificate.json", 1 << 20, &reader::Limits::default());
});
