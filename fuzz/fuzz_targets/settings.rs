#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rampart_fuzz::backend_targets::settings(data));
