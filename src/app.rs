//! The shell: header with the connection indicator, and the router choosing a screen.

use crate::components::connection::ConnectionIndicator;
use crate::pages::home::Home;
use crate::pages::not_found::NotFound;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="shell-header">
                <a class="brand" href="/">"tenfour"</a>
                <ConnectionIndicator/>
            </header>
            <main class="shell-main">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home/>
                </Routes>
            </main>
        </Router>
    }
}
