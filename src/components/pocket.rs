//! Pocket alerts: one tap to have new calls reach the phone with the screen off, on the home
//! screen (until turned on or put off) and in this device's settings.

use crate::settings;
use crate::state::use_app;
use crate::sync::push::{self, Pocket};
use leptos::prelude::*;

/// The crew said "not now" to the home screen's offer.
const PUT_OFF: &str = "tenfour-pocket-alerts-put-off";

#[component]
pub fn PocketAlerts(
    /// The home screen's offer (shown only while alerts are off), rather than the settings row.
    #[prop(optional)]
    offer: bool,
) -> impl IntoView {
    let state = use_app();
    let pocket = RwSignal::new(push::state());
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let put_off = RwSignal::new(settings::flag(PUT_OFF));
    let turn_on = move |_| {
        busy.set(true);
        problem.set(None);
        let token = state.token();
        leptos::task::spawn_local(async move {
            let result = push::turn_on(&token).await;
            busy.set(false);
            pocket.set(push::state());
            problem.set(result.err());
        });
    };
    let turn_off = move |_| {
        let token = state.token();
        leptos::task::spawn_local(async move {
            push::turn_off(&token).await;
            pocket.set(push::state());
        });
    };
    let not_now = move |_| {
        settings::set_flag(PUT_OFF, true);
        put_off.set(true);
    };
    move || {
        let problem_line = problem
            .get()
            .map(|p| view! { <p class="notice" role="alert">{p}</p> });
        if offer {
            if pocket.get() != Pocket::Off || put_off.get() {
                return ().into_any();
            }
            return view! {
                <section class="pocket-offer" aria-labelledby="pocket-title" data-testid="pocket-offer">
                    <h2 id="pocket-title">"Alerts with the screen off"</h2>
                    <p>"New calls and changes to yours reach this phone in your pocket, even when tenfour is closed."</p>
                    <div class="actions">
                        <button class="primary" disabled=busy on:click=turn_on>"Turn on"</button>
                        <button class="secondary" on:click=not_now>"Not now"</button>
                    </div>
                    {problem_line}
                </section>
            }
            .into_any();
        }
        let row = match pocket.get() {
            Pocket::On => view! {
                <p>"Pocket alerts are on: new calls reach this phone with the screen off."</p>
                <button on:click=turn_off>"Turn pocket alerts off"</button>
            }
            .into_any(),
            Pocket::Off => view! {
                <p>"Pocket alerts are off: new calls show only while tenfour is open."</p>
                <button disabled=busy on:click=turn_on>"Turn pocket alerts on"</button>
            }
            .into_any(),
            Pocket::Blocked => view! {
                <p>"Notifications are blocked for tenfour in this browser: allow them in its site settings to get pocket alerts."</p>
            }
            .into_any(),
            Pocket::Unsupported => view! {
                <p>"This browser cannot alert with the screen off. On an iPhone, add tenfour to the Home Screen and open it from there."</p>
            }
            .into_any(),
        };
        view! { <div class="pocket-alerts" data-testid="pocket-alerts">{row}{problem_line}</div> }
            .into_any()
    }
}
