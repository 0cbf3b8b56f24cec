//! The big status buttons: the next statuses the shared state machine allows for this kind of
//! unit. One tap each, except the one that ends the unit's part in a call: it must be held,
//! with visible progress, and then can still be undone for a few seconds before it is sent.

use crate::state::use_app;
use crate::sync::location::use_location;
use leptos::prelude::*;
use std::time::Duration;
use tenfour_protocol::StatusCode;
use tenfour_protocol::view::unit_status;
use tenfour_protocol::wire::{Action, StatusPayload};

/// How long an ending status must be held.
const HOLD_MS: u64 = 1_200;

#[component]
pub fn StatusButtons(incident_id: i64) -> impl IntoView {
    let state = use_app();
    // A memo: the buttons are rebuilt only when the status or the kind changes, not on every
    // sync (a rebuild under a finger would drop a hold in progress).
    let current = Memo::new(move |_| {
        let unit = state.my_unit()?;
        Some((unit_status(&unit, &state.overlay_entries()), unit.kind))
    });
    view! {
        <div class="status-current" data-testid="my-status">
            {move || current.get().map(|(s, _)| format!("Status: {}", s.label()))}
        </div>
        {move || match state.ending.get() {
            Some(ending) => view! { <UndoEnding label=ending.status.label()/> }.into_any(),
            None => view! {
                <div class="status-buttons">
                    {move || {
                        let Some((now, kind)) = current.get() else {
                            return Vec::new();
                        };
                        now.next_for(kind)
                            .into_iter()
                            .map(|next| {
                                let ends_call = now.is_committed() && !next.is_committed();
                                if ends_call {
                                    view! { <HoldToEnd status=next incident_id=incident_id/> }.into_any()
                                } else {
                                    view! { <StatusButton status=next incident_id=incident_id/> }.into_any()
                                }
                            })
                            .collect::<Vec<_>>()
                    }}
                </div>
            }.into_any(),
        }}
    }
}

#[component]
fn StatusButton(status: StatusCode, incident_id: i64) -> impl IntoView {
    let state = use_app();
    let geo = use_location();
    let press = move |_| {
        if !state.take_press() {
            return;
        }
        let action = Action::Status(StatusPayload {
            status,
            incident_id: status.is_committed().then_some(incident_id),
            location: geo.here(),
        });
        state.act(action, status.label().to_owned());
    };
    let class = if status == StatusCode::Available {
        "status-button secondary"
    } else {
        "status-button"
    };
    view! {
        <button class=class data-status=status.as_str() on:click=press
            aria-disabled=move || state.settling.get().to_string()>
            {status.label()}
        </button>
    }
}

/// A status that ends the call: held for `HOLD_MS` (the fill shows how long is left), or,
/// from a keyboard, pressed; then the undo time runs.
#[component]
fn HoldToEnd(status: StatusCode, incident_id: i64) -> impl IntoView {
    let state = use_app();
    let geo = use_location();
    let holding = state.holding;
    // No settling check here: a hold takes 1.2 s, longer than any settling time, and the
    // press is taken (once) only when the hold completes.
    let start = move |_| {
        let press = holding
            .with_untracked(|h| h.map_or(0, |(_, n)| n))
            .wrapping_add(1);
        holding.set(Some((status, press)));
        leptos::task::spawn_local(async move {
            gloo_timers::future::sleep(Duration::from_millis(HOLD_MS)).await;
            if holding.get_untracked() == Some((status, press)) && state.take_press() {
                holding.set(None);
                state.end_after_undo(status, status.is_committed().then_some(incident_id), geo);
            }
        });
    };
    let stop = move |_| {
        if holding.with_untracked(Option::is_some) {
            holding.set(None);
        }
    };
    // Enter or Space on a focused button makes a click with no pointer behind it (detail 0).
    let keyboard = move |ev: leptos::ev::MouseEvent| {
        if ev.detail() == 0 && state.take_press() {
            state.end_after_undo(status, status.is_committed().then_some(incident_id), geo);
        }
    };
    view! {
        <button class="status-button secondary hold" data-status=status.as_str()
            class:holding=move || holding.with(|h| h.is_some_and(|(s, _)| s == status))
            aria-disabled=move || state.settling.get().to_string()
            aria-describedby="hold-hint"
            on:pointerdown=start on:pointerup=stop on:pointerleave=stop on:pointercancel=stop
            on:click=keyboard on:contextmenu=|ev| ev.prevent_default()>
            <span class="hold-fill" aria-hidden="true"></span>
            <span class="hold-label">{status.label()}</span>
            <span class="hold-hint" id="hold-hint">"Hold to end the call"</span>
        </button>
    }
}

/// The undo time of an ending status, in place of the buttons (it covers nothing else).
#[component]
fn UndoEnding(label: &'static str) -> impl IntoView {
    let state = use_app();
    let tick = RwSignal::new(0u32);
    let left = move || {
        tick.track();
        state.ending.with(|e| {
            e.as_ref().map_or(0.0, |e| {
                ((e.due - crate::clock::performance_now()) / 1000.0)
                    .ceil()
                    .max(0.0)
            })
        })
    };
    let ticking =
        set_interval_with_handle(move || tick.update(|t| *t += 1), Duration::from_millis(250));
    on_cleanup(move || {
        if let Ok(handle) = ticking {
            handle.clear();
        }
    });
    view! {
        <div class="undo-ending" role="status" data-testid="undo-ending">
            <p>{move || format!("{label} in {} s — not sent yet", left())}</p>
            <button class="primary undo" on:click=move |_| state.undo_ending()>"Undo"</button>
        </div>
    }
}
