//! Everything that talks to the network: connectivity, the service worker, the other tabs
//! and the sync engine.

pub mod connectivity;
pub mod engine;
pub mod link;
pub mod location;
pub mod map_pack;
pub mod push;
pub mod service_worker;
pub mod tabs;
