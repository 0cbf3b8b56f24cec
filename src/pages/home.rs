//! The first screen a responder sees.

use leptos::prelude::*;

#[component]
pub fn Home() -> impl IntoView {
    view! {
        <section class="screen">
            <h1>"Assignments"</h1>
            <p class="empty">"No assignments on this device yet."</p>
        </section>
    }
}
