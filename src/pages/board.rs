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

const PAGE: usize = 100;
const STALE_SETTING: &str = "tenfour.stale-minutes";
const DEFAULT_STALE_MINUTES: f64 = 20.0;
const ACK_SETTING: &str = "tenfour.ack-seconds";
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
            "Escape" => selected.set(None),
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
            <div class="board-grid">
                <div class="panel">
                    <div class="panel-head">
                        <h1>"Units"</h1>
                        <label class="inline">"Flag after (min)"
                            <input type="number" min="0" step="any" name="stale-minutes"
                                prop:value=move || stale_minutes.get().to_string()
                                on:change=setting(stale_minutes, STALE_SETTING)/>
                        </label>
                    </div>
                    <UnitTable stale_minutes=stale_minutes selected=selected/>
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
                    <h1>"Field feed"</h1>
                    <FieldFeed/>
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
fn UnitTable(stale_minutes: RwSignal<f64>, selected: RwSignal<Option<i64>>) -> impl IntoView {
    let state = use_app();
    let status_filter = RwSignal::new(String::new());
    let kind_filter = RwSignal::new(String::new());
    let sort = RwSignal::new("callsign".to_owned());
    let page = RwSignal::new(0usize);
    let rows = move || {
        let status = status_filter.get();
        let kind = kind_filter.get();
        let mut units: Vec<Unit> = state.units.with(|u| {
            u.iter()
                .map(|s| s.record.clone())
                .filter(|u| status.is_empty() || u.status.as_str() == status)
                .filter(|u| kind.is_empty() || u.kind.as_str() == kind)
                .collect()
        });
        match sort.get().as_str() {
            "status" => {
                units.sort_by(|a, b| a.status.cmp(&b.status).then(a.callsign.cmp(&b.callsign)))
            }
            "time" => units.sort_by_key(|u| u.status_at),
            _ => units.sort_by(|a, b| a.callsign.cmp(&b.callsign)),
        }
        units
    };
    let number_of = move |incident_id| incident_number(&state, incident_id);
    let in_emergency = move |unit_id: i64| {
        state.emergencies.with(|l| {
            l.iter()
                .any(|e| e.record.unit_id == unit_id && e.record.is_active())
        })
    };
    view! {
        <div class="filters">
            <select aria-label="Filter by status" on:change=move |ev| { status_filter.set(event_target_value(&ev)); page.set(0); }>
                <option value="">"All statuses"</option>
                {StatusCode::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
            </select>
            <select aria-label="Filter by kind" on:change=move |ev| { kind_filter.set(event_target_value(&ev)); page.set(0); }>
                <option value="">"All kinds"</option>
                {[UnitKind::Police, UnitKind::Ems, UnitKind::Fire].into_iter()
                    .map(|k| view! { <option value=k.as_str()>{k.as_str()}</option> }).collect_view()}
            </select>
            <select aria-label="Sort" on:change=move |ev| sort.set(event_target_value(&ev))>
                <option value="callsign">"By unit"</option>
                <option value="status">"By status"</option>
                <option value="time">"Longest in status"</option>
            </select>
        </div>
        // Comfortable rows (24 px targets) while the fleet fits; dense rows past that, so a
        // busy shift still sees 20 units at 1280×800 and 40 at 1920×1080.
        <table class="units" class:dense=move || state.units.with(|u| u.len() > DENSE_AFTER) data-testid="board-units">
            <thead><tr><th>"Unit"</th><th>"Status"</th><th>"Incident"</th><th>"In status"</th><th>"Heard"</th></tr></thead>
            <tbody>
                {move || {
                    // The hub's clock: these times were stamped there.
                    let now = state.now.get() + crate::api::hub_ahead_ms();
                    let stale_after = (stale_minutes.get() * 60_000.0) as Millis;
                    rows().into_iter().skip(page.get() * PAGE).take(PAGE).map(|u| {
                        let flags = unit_flags(&u, now, stale_after);
                        let flag_names = flags
                            .iter()
                            .map(|f| match f {
                                UnitFlag::StatusStale => "stale",
                                UnitFlag::NotHeard => "not-heard",
                                UnitFlag::CheckInOverdue => "check-in-overdue",
                            })
                            .collect::<Vec<_>>()
                            .join(" ");
                        let incident_id = u.incident_id;
                        view! {
                            <tr data-unit=u.callsign.clone() data-status=u.status.as_str()
                                data-flags=flag_names class:emergency=in_emergency(u.id)>
                                <td><strong>{u.callsign.clone()}</strong>" "<span class="kind">{u.kind.as_str()}</span></td>
                                <td><span class=status_class(u.status)>{u.status.label()}</span>
                                    {flags.iter().map(|f| view! {
                                        <span class="flag">{match f { UnitFlag::StatusStale => "no change", UnitFlag::NotHeard => "not heard", UnitFlag::CheckInOverdue => "check-in overdue" }}</span>
                                    }).collect_view()}
                                </td>
                                <td>
                                    {number_of(incident_id).map(|n| view! {
                                        <button class="link" on:click=move |_| selected.set(incident_id)>{n}</button>
                                    })}
                                </td>
                                <td>{format!("{} · {}", clock(u.status_at), age(now, u.status_at))}</td>
                                <td>{u.last_heard_at.map(|t| age(now, t)).unwrap_or_else(|| "—".into())}</td>
                            </tr>
                        }
                    }).collect_view()
                }}
            </tbody>
        </table>
        <Pager page=page total=Signal::derive(move || rows().len())/>
    }
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

fn describe(event: &FieldEvent) -> String {
    match event.kind {
        ActionKind::Acknowledge => "Acknowledged".into(),
        ActionKind::Status => event.status.map_or("Status", StatusCode::label).into(),
        ActionKind::FieldNote => format!("Note: {}", event.text.clone().unwrap_or_default()),
        ActionKind::Emergency => "EMERGENCY".into(),
        ActionKind::EmergencyCancel => "Emergency cancelled by the responder".into(),
        ActionKind::CheckIn => "Checked in".into(),
        ActionKind::Position => "Position".into(),
    }
}

#[component]
fn FieldFeed() -> impl IntoView {
    let state = use_app();
    let page = RwSignal::new(0usize);
    let number_of = move |incident_id| incident_number(&state, incident_id);
    view! {
        <ol class="feed" data-testid="feed">
            {move || state.feed.with(|feed| {
                feed.iter().rev().skip(page.get() * PAGE).take(PAGE).map(|(cursor, e)| {
                    let delayed = is_delayed(e);
                    let rejected = e.outcome == Outcome::Rejected;
                    view! {
                        <li data-cursor=cursor.to_string() data-unit=e.callsign.clone() data-kind=e.kind.as_str()
                            data-status=e.status.map(|s| s.as_str()).unwrap_or_default()
                            data-at=e.at.to_string() data-received-at=e.received_at.to_string()
                            class:delayed=delayed class:rejected=rejected>
                            <span class="feed-time">{clock(e.at)}</span>
                            <strong>{e.callsign.clone()}</strong>
                            <span class="feed-what">{describe(e)}</span>
                            <span class="feed-incident">{number_of(e.incident_id).unwrap_or_default()}</span>
                            {delayed.then(|| view! {
                                <span class="delayed-note">{format!("sent offline: pressed {}, received {}", clock(e.at), clock(e.received_at))}</span>
                            })}
                            {e.reason.clone().map(|r| view! { <span class="reason">{format!("refused: {r}")}</span> })}
                        </li>
                    }
                }).collect_view()
            })}
        </ol>
        <Pager page=page total=Signal::derive(move || state.feed.with(Vec::len))/>
    }
}

#[component]
fn IncidentsPanel(
    selected: RwSignal<Option<i64>>,
    creating: RwSignal<bool>,
    ack_seconds: RwSignal<f64>,
) -> impl IntoView {
    let state = use_app();
    let active = move || {
        let mut list: Vec<Incident> = state.incidents.with(|l| {
            l.iter()
                .map(|s| s.record.clone())
                .filter(|i| i.state == IncidentState::Active)
                .collect()
        });
        list.sort_by_key(|i| (i.priority, i.created_at));
        list
    };
    view! {
        <div class="panel-head">
            <h1>"Incidents"</h1>
            <button class="primary" aria-keyshortcuts="N" on:click=move |_| creating.update(|c| *c = !*c)>
                {move || if creating.get() { "Close form" } else { "New incident" }}
            </button>
        </div>
        <Show when=move || creating.get()>
            <NewIncidentForm on_created=move |id| { selected.set(Some(id)); creating.set(false); }
                on_discard=move || creating.set(false)/>
        </Show>
        <ul class="incident-list" data-testid="incident-list">
            {move || {
                let now = state.now.get() + crate::api::hub_ahead_ms();
                let ack_within = (ack_seconds.get() * 1000.0) as Millis;
                active().into_iter().map(|i| {
                    let id = i.id;
                    let units: Vec<String> = i.assignments.iter().filter(|a| a.is_active()).map(|a| a.callsign.clone()).collect();
                    let flags = incident_flags(&i, now, ack_within);
                    let flag_names = flags
                        .iter()
                        .map(|f| match f {
                            IncidentFlag::NoUnit => "no-unit",
                            IncidentFlag::NotAcknowledged(_) => "not-acknowledged",
                        })
                        .collect::<Vec<_>>()
                        .join(" ");
                    view! {
                        <li>
                            <button class="incident-row" class:selected=move || selected.get() == Some(id)
                                data-incident=i.number.clone() data-flags=flag_names
                                on:click=move |_| selected.set(Some(id))>
                                <span class=format!("priority p{}", i.priority)>
                                    {format!("P{} {}", i.priority, priority_word(i.priority))}
                                </span>
                                <span class="incident-what">
                                    <bdi>{format!("{} · {} · {}", i.number, i.nature_text, i.address)}</bdi>
                                    <span class="muted">{if units.is_empty() { String::new() } else { units.join(", ") }}</span>
                                    {flags.into_iter().map(|f| match f {
                                        IncidentFlag::NoUnit => view! { <span class="flag">"No unit"</span> }.into_any(),
                                        IncidentFlag::NotAcknowledged(late) => view! {
                                            <span class="flag urgent">{format!("Not acknowledged: {}", late.join(", "))}</span>
                                        }.into_any(),
                                    }).collect_view()}
                                </span>
                            </button>
                        </li>
                    }
                }).collect_view()
            }}
        </ul>
        {move || selected.get().map(|id| view! { <IncidentDetail id=id/> })}
    }
}

#[component]
fn IncidentDetail(id: i64) -> impl IntoView {
    let state = use_app();
    let incident = move || {
        state.incidents.with(|l| {
            l.iter()
                .find(|s| s.record.id == id)
                .map(|s| s.record.clone())
        })
    };
    let error = RwSignal::new(None::<String>);
    let note = draft(&format!("caller-note.{id}"));
    let unit_choice = RwSignal::new(String::new());
    let run = move |call: std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Incident, ApiError>>>,
    >| {
        error.set(None);
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(_) => engine::kick(),
                Err(err) => error.set(Some(explain(err))),
            }
        });
    };
    let assign = move |_| {
        let Ok(unit_id) = unit_choice.get().parse::<i64>() else {
            error.set(Some("Choose a unit to assign".into()));
            return;
        };
        let token = state.token();
        run(Box::pin(async move {
            api::dispatch::assign(&token, id, unit_id).await
        }));
    };
    let add_note = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = note.get();
        if text.trim().is_empty() {
            return;
        }
        note.set(String::new());
        let token = state.token();
        run(Box::pin(async move {
            api::dispatch::add_note(&token, id, &text).await
        }));
    };
    let finish = move |verb: &'static str| {
        let question = format!(
            "{} this incident? Every unit on it is released.",
            if verb == "close" { "Close" } else { "Cancel" }
        );
        if confirm(&question) {
            let token = state.token();
            run(Box::pin(async move {
                api::dispatch::finish(&token, id, verb).await
            }));
        }
    };
    let unassign = move |unit_id: i64, callsign: String| {
        if confirm(&format!(
            "Take {callsign} off this incident? The unit becomes available."
        )) {
            let token = state.token();
            run(Box::pin(async move {
                api::dispatch::unassign(&token, id, unit_id).await
            }));
        }
    };
    // Available units first, then the rest with their status.
    let candidates = move || {
        let mut units: Vec<Unit> = state
            .units
            .with(|u| u.iter().map(|s| s.record.clone()).collect());
        units.sort_by_key(|u| (u.status != StatusCode::Available, u.callsign.clone()));
        units
    };
    view! {
        {move || incident().map(|i| {
            let events: Vec<FieldEvent> = state.feed.with(|f| f.iter().filter(|(_, e)| e.incident_id == Some(id)).map(|(_, e)| e.clone()).collect());
            let lines = timeline(&i, &events);
            let times = neris_times(&i, &events);
            let active = i.state == IncidentState::Active;
            view! {
                <article class="incident-detail" data-testid="incident-detail">
                    <h2>
                        <span class=format!("priority p{}", i.priority)>{format!("P{} {}", i.priority, priority_word(i.priority))}</span>
                        " "<bdi>{format!("{} · {}", i.number, i.nature_text)}</bdi>
                    </h2>
                    {(!i.cautions.is_empty()).then(|| view! { <p class="cautions-box">{format!("Caution: {}", i.cautions.join(" · "))}</p> })}
                    <p>{i.address.clone()}</p>
                    <p class="muted">{format!("Caller {} · {} · {}", i.caller_name, i.callback, i.state.as_str())}</p>
                    {active.then(|| view! {
                        <div class="row">
                            <select aria-label="Unit to assign" on:change=move |ev| unit_choice.set(event_target_value(&ev))>
                                <option value="">"Assign a unit…"</option>
                                {candidates().into_iter().map(|u| view! {
                                    <option value=u.id.to_string()>{format!("{} — {}", u.callsign, u.status.label())}</option>
                                }).collect_view()}
                            </select>
                            <button class="primary" on:click=assign>"Assign"</button>
                            <button on:click=move |_| finish("close")>"Close"</button>
                            <button on:click=move |_| finish("cancel")>"Cancel"</button>
                        </div>
                    })}
                    {active.then(|| {
                        let on_call: Vec<(i64, String, bool)> = i.assignments.iter()
                            .filter(|a| a.is_active())
                            .map(|a| (a.unit_id, a.callsign.clone(), a.acknowledged_at.is_some()))
                            .collect();
                        view! {
                            <ul class="on-call" data-testid="on-call">
                                {on_call.into_iter().map(|(unit_id, callsign, acknowledged)| {
                                    let label = format!("Unassign {callsign}");
                                    let name = callsign.clone();
                                    view! {
                                        <li data-unit=callsign.clone()>
                                            <strong>{callsign.clone()}</strong>
                                            <span class="muted">{if acknowledged { "acknowledged" } else { "not acknowledged yet" }}</span>
                                            <button class="secondary" aria-label=label on:click=move |_| unassign(unit_id, name.clone())>"Unassign"</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }
                    })}
                    {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    <h3>"Timeline"</h3>
                    <ol class="timeline" data-testid="incident-timeline">
                        {lines.into_iter().map(|line| {
                            let late = line.received_at.filter(|r| r - line.at > tenfour_protocol::board::DELAYED_AFTER_MS);
                            let kind = match line.kind {
                                TimelineKind::CallerNote => "caller",
                                TimelineKind::DispatchNote => "dispatch",
                                TimelineKind::FieldNote => "field",
                                TimelineKind::Status => "status",
                                TimelineKind::Dispatch => "dispatch",
                            };
                            view! {
                                <li class=format!("note {kind}") data-at=line.at.to_string()>
                                    <span class="note-meta">{format!("{} · {}", clock(line.at), line.who)}
                                        {late.map(|r| format!(" · received {}", clock(r)))}</span>
                                    <p class="note-text">{line.what}</p>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                    <form class="composer" on:submit=add_note>
                        <label>"Caller note"
                            <textarea rows="2" prop:value=note on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                        </label>
                        <button type="submit">"Add caller note"</button>
                    </form>
                    <h3>"Unit times (NERIS)"</h3>
                    <table class="neris" data-testid="neris">
                        <thead><tr><th>"Unit"</th><th>"Dispatch"</th><th>"En route"</th><th>"On scene"</th><th>"Transport"</th><th>"Hospital"</th><th>"Clear"</th><th>"Turnout"</th><th>"Travel"</th></tr></thead>
                        <tbody>
                            {times.into_iter().map(|t| {
                                let show = |at: Option<Millis>| at.map(clock).unwrap_or_else(|| "—".into());
                                let span = |ms: Option<Millis>| ms.map(|ms| format!("{}:{:02}", ms / 60_000, (ms / 1000) % 60)).unwrap_or_else(|| "—".into());
                                view! {
                                    <tr data-unit=t.callsign.clone()>
                                        <td>{t.callsign.clone()}</td>
                                        <td>{show(t.dispatched)}</td><td>{show(t.en_route)}</td><td>{show(t.on_scene)}</td>
                                        <td>{show(t.transporting)}</td><td>{show(t.at_hospital)}</td><td>{show(t.cleared)}</td>
                                        <td>{span(t.turnout())}</td><td>{span(t.travel())}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </article>
            }
        })}
    }
}

#[component]
fn NewIncidentForm(
    on_created: impl Fn(i64) + Copy + Send + Sync + 'static,
    on_discard: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let state = use_app();
    // The common list at once (the form works offline), then the agency's own.
    let natures = RwSignal::new(
        NATURES
            .iter()
            .map(|(code, label)| Nature {
                code: (*code).to_owned(),
                label: (*label).to_owned(),
                default_priority: 3,
            })
            .collect::<Vec<_>>(),
    );
    {
        let token = state.token();
        leptos::task::spawn_local(async move {
            if let Ok(own) = api::natures(&token).await {
                natures.set(own);
            }
        });
    }
    // Every field is a draft kept on the device until the incident is created or the draft
    // discarded: a reload in the middle of a call loses nothing.
    let nature = draft_or("new-incident.nature", NATURES[0].0);
    let nature_text = draft("new-incident.nature_text");
    let priority = draft_or("new-incident.priority", "3");
    let address = draft("new-incident.address");
    let latitude = draft("new-incident.latitude");
    let longitude = draft("new-incident.longitude");
    let caller = draft("new-incident.caller_name");
    let callback = draft("new-incident.callback");
    let cautions = draft("new-incident.cautions");
    let notes = draft("new-incident.caller_notes");
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let coordinate = |text: String, what: &str| -> Result<Option<f64>, String> {
        let text = text.trim().to_owned();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| format!("{what} must be a number, like 45.52"))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (lat, lon) = match (
            coordinate(latitude.get(), "Latitude"),
            coordinate(longitude.get(), "Longitude"),
        ) {
            (Ok(lat), Ok(lon)) => (lat, lon),
            (Err(e), _) | (_, Err(e)) => {
                error.set(Some(e));
                return;
            }
        };
        let new = NewIncident {
            nature_code: nature.get(),
            nature_text: Some(nature_text.get()).filter(|t| !t.trim().is_empty()),
            priority: priority.get().parse().unwrap_or(3),
            address: address.get(),
            latitude: lat,
            longitude: lon,
            caller_name: caller.get(),
            callback: callback.get(),
            cautions: cautions
                .get()
                .lines()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            caller_notes: Some(notes.get()).filter(|n| !n.trim().is_empty()),
        };
        busy.set(true);
        error.set(None);
        let token = state.token();
        leptos::task::spawn_local(async move {
            match api::dispatch::create(&token, &new).await {
                Ok(incident) => {
                    forget("new-incident.");
                    engine::kick();
                    // Last: this closes the form, and with it these signals.
                    on_created(incident.id);
                }
                Err(err) => {
                    error.set(Some(explain(err)));
                    busy.set(false);
                }
            }
        });
    };
    let text_input = |label: &'static str, name: &'static str, value: RwSignal<String>| {
        view! {
            <label>{label}
                <input name=name prop:value=value on:input=move |ev| value.set(event_target_value(&ev))/>
            </label>
        }
    };
    view! {
        <form class="form new-incident" on:submit=submit data-testid="new-incident">
            <label>"Nature"
                <select name="nature" prop:value=nature on:change=move |ev| {
                    let code = event_target_value(&ev);
                    // The nature's usual priority, which the dispatcher may still change.
                    if let Some(p) = natures.with(|all| all.iter().find(|n| n.code == code).map(|n| n.default_priority)) {
                        priority.set(p.to_string());
                    }
                    nature.set(code);
                }>
                    {move || natures.get().into_iter().map(|n| view! { <option value=n.code.clone()>{n.label.clone()}</option> }).collect_view()}
                </select>
            </label>
            {text_input("Nature details", "nature_text", nature_text)}
            <label>"Priority"
                <select name="priority" prop:value=priority on:change=move |ev| priority.set(event_target_value(&ev))>
                    {(1..=5).map(|p| view! { <option value=p.to_string()>{format!("P{p}")}</option> }).collect_view()}
                </select>
            </label>
            {text_input("Address", "address", address)}
            <div class="row">
                {text_input("Latitude", "latitude", latitude)}
                {text_input("Longitude", "longitude", longitude)}
            </div>
            {text_input("Caller", "caller_name", caller)}
            {text_input("Callback number", "callback", callback)}
            <label>"Cautions (one per line)"
                <textarea name="cautions" rows="2" prop:value=cautions on:input=move |ev| cautions.set(event_target_value(&ev))></textarea>
            </label>
            <label>"Caller notes"
                <textarea name="caller_notes" rows="3" prop:value=notes on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
            </label>
            <div class="row">
                <button type="submit" class="primary" disabled=move || busy.get()>"Create incident"</button>
                <button type="button" class="secondary" on:click=move |_| {
                    for field in [nature_text, address, latitude, longitude, caller, callback, cautions, notes] {
                        field.set(String::new());
                    }
                    forget("new-incident.");
                    on_discard();
                }>"Discard draft"</button>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </form>
    }
}
