//! Types and rules shared by the tenfour hub and the PWA: the wire format, the unit status
//! state machine and the pure sync core. No I/O lives here, so native tests reach it.

pub mod admin;
pub mod board;
pub mod natures;
pub mod news;
pub mod position;
pub mod press;
pub mod problem;
pub mod safety;
pub mod seed;
pub mod status;
pub mod sync;
pub mod view;
pub mod wire;

pub use problem::Problem;
pub use status::{StatusCode, TransitionError};

use serde::{Deserialize, Serialize};

/// What `GET /api/health` answers: enough for a person or a monitor to tell whether the hub
/// and its database are usable, and which build is running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Health {
    pub service: String,
    pub version: String,
    pub database: DatabaseHealth,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseHealth {
    Ok,
    Unavailable,
}
