//! tenfour PWA: the responder and dispatcher app, rendered client-side with Leptos.

pub mod api;
pub mod app;
pub mod clock;
pub mod components;
pub mod pages;
pub mod settings;
pub mod state;
pub mod store;
pub mod sync;
pub mod theme;

/// Mounts the app on `<body>` and registers the service worker.
pub fn mount() {
    console_error_panic_hook::set_once();
    sync::service_worker::register();
    theme::apply(&theme::current());
    leptos::mount::mount_to_body(app::App);
}
