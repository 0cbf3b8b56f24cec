//! The fuzz targets' bodies, shared with the regression test in the protocol crate (which
//! includes `harness.rs` by path, so `cargo test` needs no fuzzer).
pub mod harness;
