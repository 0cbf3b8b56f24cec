//! Shown for a path the app does not know.

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="screen">
            <h1>"Not here"</h1>
            <p><a href="/">"Back to assignments"</a></p>
        </section>
    }
}
