//! Reusable pieces of the screens.

pub mod connection;
