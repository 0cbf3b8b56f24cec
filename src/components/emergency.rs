//! Responder safety: the emergency button (held, never a stray tap), the responder's panel
//! that says plainly whether dispatch has the emergency (with a phone call and a text
//! message while it has not), and the board's alarm that nobody can miss until a dispatcher
//! takes it.

use crate::api;
use crate::clock::now_ms;
use crate::components::alert::ring;
use crate::components::time::clock;
use crate::state::{AppState, use_app};
use crate::sync::location::{Geo, use_location};
use leptos::prelude::*;
use std::time::Duration;
use tenfour_protocol::position;
use tenfour_protocol::safety::{Notice, notice, sms_body};
use tenfour_protocol::wire::{
    Action, Emergency, EmergencyCancelPayload, EmergencyPayload, Location, PositionPayload,
};

/// How long the emergency button must be held.
pub const HOLD_MS: u64 = 1_500;
const SILENT_SETTING: &str = "tenfour.silent-emergency";

/// Silent mode (police): the device makes no sound, vibration or bright light for the
/// emergency; dispatch is alarmed all the same.
pub fn silent() -> bool {
    crate::settings::flag(SILENT_SETTING)
}

pub fn set_silent(on: bool) {
    crate::settings::set_flag(SILENT_SETTING, on);
}

fn vibrate(pattern: &[u32]) {
    if silent() {
        return;
    }
    if let Some(window) = web_sys::window() {
        let pattern: js_sys::Array = pattern
            .iter()
            .map(|&ms| wasm_bindgen::JsValue::from(ms))
            .collect();
        let _ = window.navigator().vibrate_with_pattern(&pattern);
    }
}

fn raise(state: AppState, geo: Geo) {
    let location = geo.here();
    if let Some(here) = &location {
        geo.sent.set(Some((here.clone(), now_ms())));
    }
    let action = Action::Emergency(EmergencyPayload { location });
    vibrate(&[300, 100, 300]);
    state.act(action, "EMERGENCY".into());
}

/// The button in the header of every responder screen: held for 1.5 s, with a fill that
/// shows how long is left; from a keyboard, Enter or Space then a confirmation.
#[component]
pub fn EmergencyButton() -> impl IntoView {
    let state = use_app();
    let geo = use_location();
    let holding = RwSignal::new(None::<u64>);
    let start = move |ev: leptos::ev::PointerEvent| {
        ev.prevent_default();
        let press = holding.get_untracked().unwrap_or(0).wrapping_add(1);
        holding.set(Some(press));
        leptos::task::spawn_local(async move {
            gloo_timers::future::sleep(Duration::from_millis(HOLD_MS)).await;
            if holding.get_untracked() == Some(press) {
                holding.set(None);
                raise(state, geo);
            }
        });
    };
    let stop = move |_| {
        if holding.get_untracked().is_some() {
            holding.set(None);
        }
    };
    // Enter or Space on the focused button makes a click with no pointer behind it.
    let keyboard = move |ev: leptos::ev::MouseEvent| {
        if ev.detail() != 0 {
            return;
        }
        let confirmed = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message("Send an EMERGENCY to dispatch?")
                    .ok()
            })
            .unwrap_or(false);
        if confirmed {
            raise(state, geo);
        }
    };
    view! {
        <button class="sos" data-testid="emergency-button"
            class:holding=move || holding.get().is_some()
            aria-label="SOS: emergency, hold for 1.5 seconds to alert dispatch"
            on:pointerdown=start on:pointerup=stop on:pointerleave=stop on:pointercancel=stop
            on:click=keyboard on:contextmenu=|ev| ev.prevent_default()>
            <span class="sos-fill" aria-hidden="true"></span>
            <span class="sos-label" aria-hidden="true">"SOS"</span>
        </button>
    }
}

/// `sms:` with the agency's number and a message that says who, when and where.
fn sms_link(phone: &str, body: &str) -> String {
    let body: String = js_sys::encode_uri_component(body).into();
    format!("sms:{phone}?body={body}")
}

/// Sends where the device is now, when one is due (moved far enough or long enough since
/// the last): while the emergency is active or the unit is on a call, dispatch follows it.
fn send_position(state: AppState, geo: Geo) {
    let Some(here) = geo.here() else {
        return;
    };
    let now = now_ms();
    let every = interval_s(state);
    let due = geo
        .sent
        .with_untracked(|sent| position::due(sent.as_ref(), &here, now, every));
    if due {
        geo.sent.set(Some((here.clone(), now)));
        state.send_quietly(Action::Position(PositionPayload { location: here }));
    }
}

/// How often the agency wants a position from a crew standing still on a call.
fn interval_s(state: AppState) -> u32 {
    state.session.with_untracked(|session| {
        session.as_ref().map_or(position::DEFAULT_INTERVAL_S, |s| {
            s.info.agency.position_interval_s
        })
    })
}

/// What the responder sees once the button has been held: whether dispatch has it, who
/// does, and how to cancel. Also the emergencies of other units on the same call.
#[component]
pub fn EmergencyPanel() -> impl IntoView {
    let state = use_app();
    let geo = use_location();
    let shown = Memo::new(move |_| {
        let pending = state.outbox.get();
        let unpulled = state.applied_after_my_emergency();
        notice(&pending, &unpulled, state.my_emergency().as_ref())
    });
    // While the emergency is active (on the device or on the hub), positions follow it: on
    // each new fix and, standing still, when the agency's interval is up (a timer: the
    // app's clock ticks only every 20 s). So they do while the unit is on a call, for the
    // board's map; never out of service.
    let following = Memo::new(move |_| {
        let on_call = state.my_unit().is_some_and(|unit| {
            unit.incident_id.is_some() && unit.status != tenfour_protocol::StatusCode::OutOfService
        });
        on_call || state.my_emergency_notice().is_some()
    });
    let owed = RwSignal::new(0u32);
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        state.now.track();
        geo.position.track();
        owed.track();
        if let Some(waiting) = timer.get_value() {
            waiting.clear();
            timer.set_value(None);
        }
        if following.get() {
            send_position(state, geo);
            let every = interval_s(state);
            let next = geo
                .sent
                .with_untracked(|sent| position::next_due(sent.as_ref(), every));
            // Owed already but not sent (no fix yet): the next fix wakes this instead.
            if let Some(next) = next.filter(|next| *next > now_ms()) {
                let wait = (next - now_ms()).max(1_000) as u64;
                let wake = move || owed.update(|n| *n = n.wrapping_add(1));
                if let Ok(handle) = set_timeout_with_handle(wake, Duration::from_millis(wait)) {
                    timer.set_value(Some(handle));
                }
            }
        }
    });
    on_cleanup(move || {
        if let Some(waiting) = timer.try_get_value().flatten() {
            waiting.clear();
        }
    });
    let sharing = geo.sharing;
    let others = Memo::new(move |_| {
        let unit = state.unit_id();
        state.emergencies.with(|list| {
            list.iter()
                .map(|e| e.record.clone())
                .filter(|e| e.is_active() && Some(e.unit_id) != unit)
                .collect::<Vec<Emergency>>()
        })
    });
    let cancel = move |_| {
        let confirmed = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message(
                    "Cancel your emergency? Dispatch will see that you cancelled it.",
                )
                .ok()
            })
            .unwrap_or(false);
        if confirmed {
            state.act(
                Action::EmergencyCancel(EmergencyCancelPayload {}),
                "Emergency cancelled".into(),
            );
        }
    };
    let contact = move || {
        let session = state.session.get()?;
        let phone = session.info.agency.emergency_phone.clone();
        if phone.is_empty() {
            return None;
        }
        let callsign = session
            .info
            .unit
            .as_ref()
            .map_or_else(String::new, |u| u.callsign.clone());
        let pressed = match shown.get() {
            Some(Notice::NotDelivered { pressed_at }) => clock(pressed_at),
            _ => String::new(),
        };
        let location: Option<Location> = geo.position.get();
        let body = sms_body(
            &callsign,
            &session.info.user.display_name,
            &pressed,
            location.as_ref(),
        );
        Some(view! {
            <div class="emergency-contact">
                <a class="button danger" href=format!("tel:{phone}") data-testid="emergency-call">
                    <span>"Call dispatch"</span><span class="number">{phone.clone()}</span>
                </a>
                <a class="button danger" href=sms_link(&phone, &body) data-testid="emergency-sms">
                    <span>"Text dispatch"</span><span class="number">{phone.clone()}</span>
                </a>
            </div>
        })
    };
    view! {
        {move || shown.get().map(|n| {
            let quiet = silent();
            let (kind, headline, detail) = match &n {
                Notice::NotDelivered { pressed_at } => ("not-delivered",
                    "EMERGENCY NOT RECEIVED BY DISPATCH".to_owned(),
                    format!("Saved on this device at {}. It is sent the moment there is a network. Call or text now.", clock(*pressed_at))),
                Notice::Delivered { pressed_at } => ("delivered",
                    "Emergency received by dispatch".to_owned(),
                    format!("Pressed {}. On every dispatcher's board; waiting for a dispatcher to take it.", clock(*pressed_at))),
                Notice::Acknowledged { by, at } => ("acknowledged",
                    format!("Dispatch has your emergency — {}, {by}", clock(*at)),
                    "Stay on the radio if you can.".to_owned()),
                Notice::Cancelling => ("cancelling",
                    "Cancelling your emergency".to_owned(),
                    "The cancel has not reached dispatch yet; the alarm stays up until it does.".to_owned()),
            };
            let cancellable = !matches!(n, Notice::Cancelling);
            view! {
                <section class="emergency-panel" class:quiet=quiet data-state=kind role="alert"
                    data-testid="emergency-panel">
                    <h2>{headline}</h2>
                    <p>{detail}</p>
                    {matches!(n, Notice::NotDelivered { .. }).then(contact)}
                    {move || (!sharing.get()).then(|| view! {
                        <p class="emergency-location">"Location is off: dispatch cannot see where you are. "
                            <button class="secondary" data-testid="emergency-share-location"
                                on:click=move |_| sharing.set(true)>"Share my location"</button>
                        </p>
                    })}
                    {cancellable.then(|| view! {
                        <button class="secondary" on:click=cancel>"Cancel emergency"</button>
                    })}
                </section>
            }
        })}
        {move || others.get().into_iter().map(|e| view! {
            <section class="emergency-panel other" role="alert" data-testid="emergency-other">
                <h2>{format!("EMERGENCY: {} ", e.callsign)}<bdi>{format!("({})", e.raised_by)}</bdi></h2>
                <p>{format!("Pressed {} on your call.", clock(e.pressed_at))}
                    {e.acknowledged_by.clone().map(|by| format!(" Dispatch ({by}) has it."))}</p>
            </section>
        }).collect_view()}
    }
}

/// The board's alarm: a red banner on every dispatcher's board with a repeating sound until
/// a dispatcher acknowledges; then who has it, and ending it with a reason.
#[component]
pub fn EmergencyAlarm() -> impl IntoView {
    let state = use_app();
    let active = Memo::new(move |_| {
        state.emergencies.with(|list| {
            list.iter()
                .map(|e| e.record.clone())
                .filter(Emergency::is_active)
                .collect::<Vec<Emergency>>()
        })
    });
    let unanswered = Memo::new(move |_| active.with(|l| l.iter().any(Emergency::is_unanswered)));
    Effect::new(move |_| {
        if unanswered.get() {
            ring();
            if let Ok(handle) = set_interval_with_handle(ring, Duration::from_secs(2)) {
                on_cleanup(move || handle.clear());
            }
        }
    });
    let error = RwSignal::new(None::<String>);
    let run = move |call: std::pin::Pin<
        Box<dyn std::future::Future<Output = api::ApiResult<Emergency>>>,
    >| {
        error.set(None);
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(_) => crate::sync::engine::kick(),
                Err(err) => error.set(Some(err.message())),
            }
        });
    };
    let incident_label = move |id: Option<i64>| {
        let id = id?;
        state.incidents.with(|l| {
            l.iter()
                .find(|i| i.record.id == id)
                .map(|i| format!("{} · {}", i.record.number, i.record.address))
        })
    };
    view! {
        <Show when=move || active.with(|l| !l.is_empty())>
            <section class="emergency-alarm" data-testid="emergency-alarm" role="alert"
                class:sounding=move || unanswered.get()>
                {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
                <ul>
                    {move || active.get().into_iter().map(|e| {
                        let id = e.id;
                        let place = e.last_position().map(|(l, at)| {
                            let when = if e.trail.is_empty() { String::new() } else { format!(" ({})", clock(at)) };
                            format!(" · at {:.5}, {:.5}{when}", l.latitude, l.longitude)
                        }).unwrap_or_default();
                        let call = incident_label(e.incident_id).map(|c| format!(" · on {c}")).unwrap_or_default();
                        let late = (e.received_at - e.pressed_at > 30_000).then(|| format!(" (reached the hub {})", clock(e.received_at)));
                        let acknowledge = move |_| {
                            let token = state.token();
                            run(Box::pin(async move { api::emergencies::acknowledge(&token, id).await }));
                        };
                        let end = move |_| {
                            let reason = web_sys::window()
                                .and_then(|w| w.prompt_with_message("Why does this emergency end? (for the record)").ok().flatten())
                                .unwrap_or_default();
                            if reason.trim().is_empty() {
                                return;
                            }
                            let token = state.token();
                            run(Box::pin(async move { api::emergencies::end(&token, id, &reason).await }));
                        };
                        view! {
                            <li class="emergency-item" class:unanswered=e.is_unanswered() data-unit=e.callsign.clone()>
                                <p class="emergency-what">
                                    <strong>{format!("EMERGENCY {} ", e.callsign)}</strong>
                                    <bdi>{e.raised_by.clone()}</bdi>
                                    {format!(" · pressed {}{}{call}{place}", clock(e.pressed_at), late.unwrap_or_default())}
                                </p>
                                {match e.acknowledged_by.clone() {
                                    None => view! {
                                        <button class="danger" on:click=acknowledge>{format!("Acknowledge {}", e.callsign)}</button>
                                    }.into_any(),
                                    Some(by) => view! {
                                        <p class="emergency-taken">{format!("Acknowledged {} by {by}", e.acknowledged_at.map(clock).unwrap_or_default())}</p>
                                        <button class="secondary" on:click=end>{format!("End emergency {}", e.callsign)}</button>
                                    }.into_any(),
                                }}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        </Show>
    }
}
