#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tenfour_fuzz::harness::cursor(data));
