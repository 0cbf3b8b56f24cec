//! tenfour PWA: the responder and dispatcher app, rendered client-side with Leptos.

pub mod app;
pub mod components;
pub mod pages;
pub mod store;
pub mod sync;

/// Mounts the app on `<body>` and registers the service worker.
pub fn mount() {
    console_error_panic_hook::set_once();
    sync::service_worker::register();
    leptos::mount::mount_to_body(app::App);
}
