//! Types and rules shared by the tenfour hub and the PWA: the wire format, the unit status
//! state machine and the pure sync core. No I/O lives here, so native tests reach it.

/// An enum whose values travel and are stored by name: `as_str`, `parse` and `ALL` come from
/// one list of `Variant = "name"` (the names serde uses, which a test checks).
macro_rules! named {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use named;

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
