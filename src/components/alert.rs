//! A new assignment takes over the screen, with sound and vibration repeating until the
//! responder acknowledges it with one tap — except while the crew's own emergency is
//! active: then their emergency panel stays in sight and the device stays quiet (police in
//! silent mode), and the assignment waits in the list.

use crate::state::use_app;
use leptos::prelude::*;
use std::time::Duration;
use tenfour_protocol::press::SETTLE_MS;
use tenfour_protocol::view::unacknowledged;
use tenfour_protocol::wire::{AcknowledgePayload, Action, Incident};

#[component]
pub fn AssignmentAlert() -> impl IntoView {
    let state = use_app();
    let alert = Memo::new(move |_| {
        if state.my_emergency_notice().is_some() {
            return None;
        }
        let unit_id = state.unit_id()?;
        let incidents = state.incident_records();
        unacknowledged(&incidents, unit_id, &state.overlay_entries())
            .map(|(i, a)| (i.clone(), a.id))
    });
    // Ring while an alert is showing; stop as soon as it is answered.
    Effect::new(move |_| {
        if alert.with(Option::is_some) {
            ring();
            if let Ok(handle) = set_interval_with_handle(ring, Duration::from_secs(3)) {
                on_cleanup(move || handle.clear());
            }
        }
    });
    // After the tap, the alert stays for the settling time, saying "Acknowledged": the
    // second tap of a double tap lands on it, not on whatever lies underneath.
    let answered = RwSignal::new(None::<(Incident, i64)>);
    let shown = move || {
        alert
            .get()
            .map(|a| (a, false))
            .or_else(|| answered.get().map(|a| (a, true)))
    };
    view! {
        {move || shown().map(|((incident, assignment_id), done)| {
            let answering = incident.clone();
            let acknowledge = move |_| {
                if done || !state.take_press() {
                    return;
                }
                answered.set(Some((answering.clone(), assignment_id)));
                leptos::task::spawn_local(async move {
                    gloo_timers::future::TimeoutFuture::new(SETTLE_MS as u32).await;
                    answered.set(None);
                });
                state.act(Action::Acknowledge(AcknowledgePayload { assignment_id }), "Acknowledged".into());
            };
            let cautions = incident.cautions.clone();
            view! {
                <div class="takeover" role="alertdialog" aria-labelledby="takeover-title" data-testid="new-assignment">
                    <p class="takeover-kicker">"New assignment"</p>
                    <h1 id="takeover-title">{format!("P{} · ", incident.priority)}<bdi>{incident.nature_text.clone()}</bdi></h1>
                    <p class="takeover-address"><bdi>{incident.address.clone()}</bdi></p>
                    {(!cautions.is_empty()).then(|| view! {
                        <ul class="cautions">
                            {cautions.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
                        </ul>
                    })}
                    <button class="acknowledge" on:click=acknowledge
                        aria-disabled=move || (done || state.settling.get()).to_string()>
                        {if done { "Acknowledged ✓" } else { "Acknowledge" }}
                    </button>
                </div>
            }
        })}
    }
}

/// A short two-tone beep and a vibration. Browsers may mute sound until the first tap; the
/// vibration and the screen still get through. One audio context serves the whole page:
/// browsers limit how many may be open.
pub fn ring() {
    thread_local! {
        static AUDIO: Option<web_sys::AudioContext> = web_sys::AudioContext::new().ok();
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let _ = window.navigator().vibrate_with_duration(400);
    AUDIO.with(|audio| {
        let Some(audio) = audio else {
            return;
        };
        // A context made before the first tap starts suspended; each ring asks again.
        let _ = audio.resume();
        for (i, frequency) in [880.0f32, 660.0].into_iter().enumerate() {
            let (Ok(oscillator), Ok(gain)) = (audio.create_oscillator(), audio.create_gain())
            else {
                return;
            };
            oscillator.frequency().set_value(frequency);
            gain.gain().set_value(0.2);
            let start = audio.current_time() + i as f64 * 0.25;
            let _ = oscillator.connect_with_audio_node(&gain);
            let _ = gain.connect_with_audio_node(&audio.destination());
            let _ = oscillator.start_with_when(start);
            let _ = oscillator.stop_with_when(start + 0.2);
        }
    });
}
