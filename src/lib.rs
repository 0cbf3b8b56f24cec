//! tenfour PWA: the responder and dispatcher apps, rendered client-side with Leptos. Two
//! binaries share this library: `tenfour` (the field app at `/`) and `tenfour-board` (the
//! board and administration at `/board/`), so that each device loads only its own screens.

pub mod api;
pub mod app;
pub mod clock;
pub mod components;
pub mod pages;
pub mod settings;
pub mod side;
pub mod state;
pub mod store;
pub mod sync;
pub mod theme;

/// Mounts the responders' app on `<body>` and registers the service worker.
pub fn mount() {
    start();
    leptos::mount::mount_to_body(app::App);
}

/// Mounts the dispatchers' and administrators' app (its own bundle, served at `/board/`).
pub fn mount_board() {
    start();
    leptos::mount::mount_to_body(app::BoardApp);
}

fn start() {
    console_error_panic_hook::set_once();
    sync::service_worker::register();
    theme::apply(&theme::current());
}
