//! One module per screen.

pub mod admin;
pub mod board;
pub mod home;
pub mod incident;
pub mod incident_map;
pub mod not_found;
pub mod outbox;
pub mod signin;
