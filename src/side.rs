//! Which of the two apps is running: the field app (responders, at `/`) or the board
//! (dispatchers and administrators, at `/board`), each its own bundle. Screens shared by both
//! (sign-in, sync and sign-out, "not here") link within the app they are in.

use leptos::prelude::*;

/// Which of the two apps is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Responders, at `/`.
    Field,
    /// Dispatchers and administrators, at `/board/`.
    Board,
}

impl Side {
    /// The path the app's routes live under.
    pub fn base(self) -> &'static str {
        match self {
            Side::Field => "",
            Side::Board => "/board",
        }
    }

    /// `path` (starting with `/`) inside this app; `/` is the app's home (`/board` for the
    /// board, without a trailing slash, as its routes are written).
    pub fn path(self, path: &str) -> String {
        match (self, path) {
            (Side::Board, "/") => self.base().to_owned(),
            _ => format!("{}{path}", self.base()),
        }
    }
}

/// The app this code runs in (the field app when none was provided, as in tests).
pub fn use_side() -> Side {
    use_context::<Side>().unwrap_or(Side::Field)
}
