//! A short label for the device's link to dispatch.

use crate::state::Link;

pub fn link_label(link: &Link) -> (&'static str, String) {
    match link {
        Link::Online => ("online", "Online".into()),
        Link::Offline => ("offline", "Offline — working on this device".into()),
        Link::Syncing => ("syncing", "Syncing…".into()),
        Link::Error(reason) => ("error", format!("Not reaching dispatch: {reason}")),
        Link::SignInAgain => ("signin", "Sign in again to send".into()),
    }
}
