//! The shell: header with the unit and the connection banner, the new-assignment alert, and
//! the router choosing a screen for the signed-in role.
//!
//! There are two apps, each its own bundle, so that a phone loads only what a crew uses: the
//! field app at `/` (responders' screens and sign-in) and the board at `/board/` (dispatchers'
//! board and administration). Each sends a session of the other side's role to the other app.

use crate::clock::now_ms;
use crate::components::alert::AssignmentAlert;
use crate::components::banner::{ConnectionBanner, SavedToast, StoreError};
use crate::components::check_in::CheckInPrompt;
use crate::components::emergency::{EmergencyButton, EmergencyPanel};
use crate::components::news::NewsBanner;
use crate::pages::home::Home;
use crate::pages::incident::IncidentPage;
use crate::pages::incident_map::IncidentMapPage;
use crate::pages::not_found::NotFound;
use crate::pages::outbox::OutboxPage;
use crate::pages::signin::SignIn;
use crate::side::Side;
use crate::state::AppState;
use crate::sync::engine;
use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;
use std::time::Duration;
use tenfour_protocol::wire::Role;

/// The responders' app.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Shell side=Side::Field routes=|role| match role {
            Role::Responder => view! {
                <EmergencyPanel/>
                <CheckInPrompt/>
                <AssignmentAlert/>
                <NewsBanner/>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/incident/:id") view=IncidentPage/>
                    <Route path=path!("/incident/:id/map") view=IncidentMapPage/>
                    <Route path=path!("/outbox") view=OutboxPage/>
                </Routes>
            }.into_any(),
            Role::Dispatcher | Role::Admin => view! { <Elsewhere side=Side::Board/> }.into_any(),
        }/>
    }
}

/// The dispatchers' and administrators' app.
#[component]
pub fn BoardApp() -> impl IntoView {
    use crate::pages::admin::AdminPage;
    use crate::pages::board::Board;
    view! {
        <Shell side=Side::Board routes=|role| match role {
            Role::Dispatcher => view! {
                <Routes fallback=NotFound>
                    <Route path=path!("/board") view=Board/>
                    <Route path=path!("/board/outbox") view=OutboxPage/>
                </Routes>
            }.into_any(),
            Role::Admin => view! {
                <Routes fallback=NotFound>
                    <Route path=path!("/board") view=Board/>
                    <Route path=path!("/board/admin") view=AdminPage/>
                    <Route path=path!("/board/outbox") view=OutboxPage/>
                </Routes>
            }.into_any(),
            Role::Responder => view! { <Elsewhere side=Side::Field/> }.into_any(),
        }/>
    }
}

/// Sends the browser to the other app, which holds this role's screens (a full page load:
/// each app is its own bundle).
#[component]
pub fn Elsewhere(side: Side) -> impl IntoView {
    if let Some(window) = web_sys::window() {
        let _ = window.location().replace(&side.path("/"));
    }
    let text = match side {
        Side::Field => "Opening your assignments…",
        Side::Board => "Opening the board…",
    };
    view! { <p class="empty">{text}</p> }
}

/// Header, banners and the screens `routes` gives for the signed-in role; sign-in when no
/// one is signed in.
#[component]
pub fn Shell(side: Side, routes: fn(Role) -> AnyView) -> impl IntoView {
    provide_context(side);
    crate::sync::location::provide_location();
    let state = AppState::new();
    provide_context(state);
    leptos::task::spawn_local(async move {
        state.reload().await;
        ask_for_persistent_storage();
        engine::start(state);
        engine::kick();
    });
    crate::sync::push::wake_on_push(engine::kick);
    // The map pack is stored on the device after sign-in, whenever the network allows.
    let online_token = Memo::new(move |_| {
        let token = state
            .session
            .with(|s| s.as_ref().filter(|s| !s.expired).map(|s| s.token.clone()))?;
        matches!(
            state.link.get(),
            crate::state::Link::Online | crate::state::Link::Syncing
        )
        .then_some(token)
    });
    crate::sync::map_pack::provide_map_packs(online_token);
    // Pocket alerts follow the session: on each sign-in, unit, change of service and return
    // of the network, the subscription is checked and saved on the hub — or, out of service,
    // dropped on the device too (it comes back with the unit).
    let pocket = Memo::new(move |_| {
        let token = state.session.with(|s| {
            s.as_ref()
                .filter(|s| !s.expired && s.info.user.role == Role::Responder)
                .map(|s| s.token.clone())
        })?;
        state.unit_id()?;
        let in_service = state
            .my_unit()
            .is_none_or(|u| u.status != tenfour_protocol::StatusCode::OutOfService);
        // Syncing counts as online: the memo must not flip with every round of sync.
        let online = matches!(
            state.link.get(),
            crate::state::Link::Online | crate::state::Link::Syncing
        );
        online.then_some((token, in_service))
    });
    Effect::new(move |_| {
        if let Some((token, in_service)) = pocket.get() {
            leptos::task::spawn_local(async move {
                if !in_service {
                    crate::sync::push::forget_here().await;
                } else if let Err(err) = crate::sync::push::keep(&token).await {
                    leptos::logging::warn!("pocket alerts: {err}");
                }
            });
        }
    });
    let tick = set_interval_with_handle(move || state.now.set(now_ms()), Duration::from_secs(20));
    on_cleanup(move || {
        if let Ok(handle) = tick {
            handle.clear();
        }
    });

    // A memo: the store reloads the session often, and the screens must only be rebuilt
    // when the role really changes (rebuilding would wipe what the responder is typing).
    let role = Memo::new(move |_| {
        state
            .session
            .with(|s| s.as_ref().filter(|s| !s.expired).map(|s| s.info.user.role))
    });
    view! {
        <Router>
            <header class="shell-header">
                <A href=side.path("/") attr:class="brand">"tenfour"</A>
                <UnitBadge/>
                <Show when=move || side == Side::Board && role.get() == Some(Role::Admin)>
                    <A href=side.path("/admin") attr:class="header-link">"Admin"</A>
                </Show>
                <ConnectionBanner/>
                <Show when=move || role.get() == Some(Role::Responder) && state.unit_id().is_some()>
                    <EmergencyButton/>
                </Show>
            </header>
            <StoreError/>
            <main class="shell-main">
                <Show when=move || state.loaded.get() fallback=|| view! { <p class="empty">"Opening…"</p> }>
                    {move || match role.get() {
                        None => view! { <SignIn/> }.into_any(),
                        Some(role) => routes(role),
                    }}
                </Show>
            </main>
            <SavedToast/>
        </Router>
    }
}

#[component]
fn UnitBadge() -> impl IntoView {
    let state = crate::state::use_app();
    let text = move || {
        state.session.with(|s| {
            s.as_ref().map(|s| match &s.info.unit {
                Some(unit) => unit.callsign.clone(),
                None => s.info.user.display_name.clone(),
            })
        })
    };
    view! { <span class="unit-badge" data-testid="unit-badge">{text}</span> }
}

/// Asks the browser not to evict this origin's storage under pressure: the outbox must
/// survive until it is delivered.
fn ask_for_persistent_storage() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let storage = window.navigator().storage();
    if let Ok(promise) = storage.persist() {
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        });
    }
}
