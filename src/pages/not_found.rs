//! Shown for a path the app does not know.

use crate::side::{Side, use_side};
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    let side = use_side();
    let back = match side {
        Side::Field => "Back to assignments",
        Side::Board => "Back to the board",
    };
    view! {
        <section class="screen">
            <h1>"Not here"</h1>
            <p><a href=side.path("/")>{back}</a></p>
        </section>
    }
}
