//! Reusable pieces of the screens.

pub mod alert;
pub mod banner;
pub mod check_in;
pub mod connection;
pub mod draft;
pub mod emergency;
pub mod map;
pub mod news;
pub mod pocket;
pub mod status;
pub mod time;
