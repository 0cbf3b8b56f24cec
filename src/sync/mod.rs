//! Everything that talks to the network: connectivity, the service worker, and (soon) the
//! sync engine.

pub mod connectivity;
pub mod service_worker;
