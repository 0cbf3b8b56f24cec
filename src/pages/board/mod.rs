//! The dispatcher's board: units with status, time in status and attention flags; the live
//! field feed; incidents to create, annotate, assign, cancel and close, each with a timeline
//! and NERIS unit times. Kept live by the sync engine; long lists are paged.

use crate::api::{self, ApiError};
use crate::clock::now_ms;
use crate::components::draft::{draft, draft_or, forget};
use crate::components::time::clock;
use crate::state::{AppState, use_app};
use crate::sync::engine;
use leptos::prelude::*;
use std::time::Duration;
use tenfour_protocol::StatusCode;
use tenfour_protocol::admin::Nature;
use tenfour_protocol::board::{
    IncidentFlag, TimelineKind, UnitFlag, incident_flags, is_delayed, neris_times, priority_word,
    timeline, unit_flags,
};
use tenfour_protocol::natures::NATURES;
use tenfour_protocol::view::age;
use tenfour_protocol::wire::{
    ActionKind, FieldEvent, Incident, IncidentState, Millis, NewIncident, Outcome, Unit, UnitKind,
};

mod detail;
mod feed;
mod incidents;
mod map;
mod new_incident;
mod units;

use feed::FieldFeed;
use incidents::IncidentsPanel;
use map::BoardMap;
use units::UnitTable;

const PAGE: usize = 100;
const STALE_SETTING: &str = "tenfour.stale-minutes";
const DEFAULT_STALE_MINUTES: f64 = 20.0;
const ACK_SETTING: &str = "tenfour.ack-seconds";
/// Whether the third panel shows the map (on) or the field feed.
const MAP_SETTING: &str = "tenfour.board-map";
/// How long a P1/P2 assignment may wait for its acknowledgement before it is flagged.
const DEFAULT_ACK_SECONDS: f64 = 60.0;
/// Up to this many units the table rows are tall enough for 24 px targets.
const DENSE_AFTER: usize = 20;

fn stored_number(key: &str, default: f64) -> f64 {
    crate::settings::storage()
        .and_then(|s| s.get_item(key).ok().flatten())
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| *v > 0.0)
        .unwrap_or(default)
}

fn store_number(key: &str, value: f64) {
    if let Some(storage) = crate::settings::storage() {
        let _ = storage.set_item(key, &value.to_string());
    }
}

/// Asks the dispatcher to confirm what cannot be taken back.
fn confirm(question: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(question).ok())
        .unwrap_or(false)
}

/// Keys pressed in a text field belong to the field.
fn typing_in_a_field(ev: &web_sys::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
}

fn explain(err: ApiError) -> String {
    match err {
        ApiError::Unreachable(_) => {
            "No connection to the hub: nothing was changed. Try again.".into()
        }
        other => other.message(),
    }
}

#[component]
pub fn Board() -> impl IntoView {
    let state = use_app();
    let selected = RwSignal::new(None::<i64>);
    let selected_unit = RwSignal::new(None::<i64>);
    let show_map = RwSignal::new(crate::settings::flag(MAP_SETTING));
    let creating = RwSignal::new(false);
    let stale_minutes = RwSignal::new(stored_number(STALE_SETTING, DEFAULT_STALE_MINUTES));
    let ack_seconds = RwSignal::new(stored_number(ACK_SETTING, DEFAULT_ACK_SECONDS));
    // The board's clock runs faster than the app's: flags must appear on time.
    let tick = set_interval_with_handle(move || state.now.set(now_ms()), Duration::from_secs(2));
    // Keyboard: N opens the new-incident form, Escape closes the form, then the incident.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        match ev.key().as_str() {
            "n" | "N" if !typing_in_a_field(&ev) => {
                ev.prevent_default();
                creating.set(true);
            }
            "Escape" if creating.get_untracked() => creating.set(false),
            "Escape" => {
                selected.set(None);
                selected_unit.set(None);
            }
            _ => {}
        }
    });
    on_cleanup(move || {
        if let Ok(handle) = tick {
            handle.clear();
        }
        keys.remove();
    });
    let setting = move |signal: RwSignal<f64>, key: &'static str| {
        move |ev: leptos::ev::Event| {
            if let Ok(value) = event_target_value(&ev).parse::<f64>()
                && value > 0.0
            {
                signal.set(value);
                store_number(key, value);
            }
        }
    };
    view! {
        <section class="board">
            <crate::components::emergency::EmergencyAlarm/>
            <crate::components::check_in::OverdueAlarm/>
            <div class="board-grid" class:with-map=move || show_map.get()>
                <div class="panel">
                    <div class="panel-head">
                        <h1>"Units"</h1>
                        <label class="inline">"Flag after (min)"
                            <input type="number" min="0" step="any" name="stale-minutes"
                                prop:value=move || stale_minutes.get().to_string()
                                on:change=setting(stale_minutes, STALE_SETTING)/>
                        </label>
                    </div>
                    <UnitTable stale_minutes=stale_minutes selected=selected selected_unit=selected_unit/>
                </div>
                <div class="panel">
                    <IncidentsPanel selected=selected creating=creating ack_seconds=ack_seconds/>
                    <label class="inline setting">"Flag P1/P2 not acknowledged after (s)"
                        <input type="number" min="0" step="any" name="ack-seconds"
                            prop:value=move || ack_seconds.get().to_string()
                            on:change=setting(ack_seconds, ACK_SETTING)/>
                    </label>
                    <p class="muted keys">"Keys: N new incident · Esc close"</p>
                </div>
                <div class="panel">
                    <div class="panel-head">
                        <h1>{move || if show_map.get() { "Map" } else { "Field feed" }}</h1>
                        <div class="tabs" role="group" aria-label="Show in this panel">
                            <button type="button" aria-pressed=move || (!show_map.get()).to_string()
                                on:click=move |_| { show_map.set(false); crate::settings::set_flag(MAP_SETTING, false); }>"Feed"</button>
                            <button type="button" aria-pressed=move || show_map.get().to_string() data-testid="show-map"
                                on:click=move |_| { show_map.set(true); crate::settings::set_flag(MAP_SETTING, true); }>"Map"</button>
                        </div>
                    </div>
                    {move || if show_map.get() {
                        view! { <BoardMap selected=selected selected_unit=selected_unit/> }.into_any()
                    } else {
                        view! { <FieldFeed/> }.into_any()
                    }}
                </div>
            </div>
        </section>
    }
}

/// The incident's number ("2026-00042") as the board shows it.
fn incident_number(state: &AppState, incident_id: Option<i64>) -> Option<String> {
    let id = incident_id?;
    state.incidents.with(|l| {
        l.iter()
            .find(|s| s.record.id == id)
            .map(|s| s.record.number.clone())
    })
}

fn status_class(status: StatusCode) -> String {
    format!("status-pill status-{}", status.as_str())
}

#[component]
fn Pager(page: RwSignal<usize>, total: Signal<usize>) -> impl IntoView {
    let pages = move || total.get().div_ceil(PAGE).max(1);
    view! {
        <Show when=move || { pages() > 1 }>
            <div class="pager">
                <button disabled=move || page.get() == 0 on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>"Newer"</button>
                <span>{move || format!("{} of {}", page.get() + 1, pages())}</span>
                <button disabled=move || page.get() + 1 >= pages() on:click=move |_| page.update(|p| *p += 1)>"Older"</button>
            </div>
        </Show>
    }
}
