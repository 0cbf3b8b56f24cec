//! Check-in (PAR / welfare) timers: the crew's device asks at the warning time and one tap
//! answers, offline too (an outbox action like any other); the board shows a unit whose due
//! time has passed, by the hub's clock, and a dispatcher can check it in heard by radio.

use crate::api;
use crate::components::alert::ring;
use crate::components::time::clock;
use crate::state::use_app;
use leptos::prelude::*;
use std::time::Duration;
use tenfour_protocol::safety::{CheckIn, answered, check_in};
use tenfour_protocol::wire::{Action, CheckInPayload, Millis, Unit};

/// The hub's clock as this device reads it, ticking every second while `on`.
fn hub_clock() -> RwSignal<Millis> {
    let now = RwSignal::new(crate::clock::now_ms() + api::hub_ahead_ms());
    let ticking = set_interval_with_handle(
        move || now.set(crate::clock::now_ms() + api::hub_ahead_ms()),
        Duration::from_secs(1),
    );
    on_cleanup(move || {
        if let Ok(handle) = ticking {
            handle.clear();
        }
    });
    now
}

/// The crew's prompt: from the warning time until a check-in is pressed.
#[component]
pub fn CheckInPrompt() -> impl IntoView {
    let state = use_app();
    let now = hub_clock();
    let asking = Memo::new(move |_| {
        let unit = state.my_unit()?;
        let waiting = state.overlay_entries();
        match check_in(&unit, now.get())? {
            CheckIn::Running { .. } => None,
            _ if answered(&unit, &waiting, api::hub_ahead_ms()) => None,
            asked => Some(asked),
        }
    });
    // One ring when the ask appears (and again when it becomes overdue), unless silent.
    Effect::new(move |_| {
        if asking.get().is_some() && !crate::components::emergency::silent() {
            ring();
        }
    });
    let press = move |_| {
        if state.take_press() {
            state.act(Action::CheckIn(CheckInPayload {}), "Checked in".into());
        }
    };
    view! {
        {move || asking.get().map(|asked| {
            let (kind, text) = match asked {
                CheckIn::Overdue { due_at } => ("overdue", format!("Check-in OVERDUE since {} — dispatch is alerted", clock(due_at))),
                CheckIn::Asking { due_at } | CheckIn::Running { due_at } => ("asking", format!("Check-in due by {}", clock(due_at))),
            };
            view! {
                <section class="check-in-prompt" data-state=kind role="alert" data-testid="check-in-prompt">
                    <p>{text}</p>
                    <button class="primary" on:click=press
                        aria-disabled=move || state.settling.get().to_string()>"We're OK — check in"</button>
                </section>
            }
        })}
    }
}

/// On the board: every unit whose check-in is overdue, with "checked in by radio".
#[component]
pub fn OverdueAlarm() -> impl IntoView {
    let state = use_app();
    let now = hub_clock();
    let overdue = Memo::new(move |_| {
        let now = now.get();
        state.units.with(|units| {
            units
                .iter()
                .map(|u| u.record.clone())
                .filter_map(|u| match check_in(&u, now) {
                    Some(CheckIn::Overdue { due_at }) => Some((u, due_at)),
                    _ => None,
                })
                .collect::<Vec<(Unit, Millis)>>()
        })
    });
    let error = RwSignal::new(None::<String>);
    view! {
        <Show when=move || overdue.with(|l| !l.is_empty())>
            <section class="overdue-alarm" role="alert" data-testid="overdue-alarm">
                {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
                <ul>
                    {move || overdue.get().into_iter().map(|(unit, due_at)| {
                        let id = unit.id;
                        let by_radio = move |_| {
                            let token = state.token();
                            error.set(None);
                            leptos::task::spawn_local(async move {
                                match api::check_in_by_radio(&token, id).await {
                                    Ok(_) => crate::sync::engine::kick(),
                                    Err(err) => error.set(Some(err.message())),
                                }
                            });
                        };
                        let callsign = unit.callsign.clone();
                        let escalate = move |_| {
                            let question = format!("Raise an EMERGENCY for {callsign}? Every board will alarm.");
                            let confirmed = web_sys::window()
                                .and_then(|w| w.confirm_with_message(&question).ok())
                                .unwrap_or(false);
                            if !confirmed {
                                return;
                            }
                            let token = state.token();
                            error.set(None);
                            leptos::task::spawn_local(async move {
                                match api::emergencies::escalate(&token, id).await {
                                    Ok(_) => crate::sync::engine::kick(),
                                    Err(err) => error.set(Some(err.message())),
                                }
                            });
                        };
                        view! {
                            <li data-unit=unit.callsign.clone()>
                                <p><strong>{format!("{} check-in overdue", unit.callsign)}</strong>
                                    {format!(" · due {} · {}", clock(due_at), unit.status.label())}</p>
                                <span class="overdue-actions">
                                    <button class="secondary" on:click=by_radio>
                                        {format!("{} checked in by radio", unit.callsign)}
                                    </button>
                                    <button class="danger" on:click=escalate>
                                        {format!("Escalate {} to emergency", unit.callsign)}
                                    </button>
                                </span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        </Show>
    }
}
