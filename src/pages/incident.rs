//! One incident: cautions first, then what and where, how to reach the caller, the status
//! buttons, the notes timeline with the field-note composer, and the other units.

use crate::components::status::StatusButtons;
use crate::components::time::{as_of, clock};
use crate::state::use_app;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use tenfour_protocol::view::{active_assignment, pending_notes};
use tenfour_protocol::wire::{
    Action, FieldNotePayload, Incident, IncidentState, MAX_NOTE_CHARS, NoteSource, check_text,
};

#[component]
pub fn IncidentPage() -> impl IntoView {
    let state = use_app();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok())));
    // Memos: this screen changes only when this incident does, not on every sync.
    let synced = Memo::new(move |_| {
        let id = id.get()?;
        state
            .incidents
            .with(|list| list.iter().find(|s| s.record.id == id).cloned())
    });
    let mine = Memo::new(move |_| {
        let unit = state.unit_id()?;
        synced.with(|s| {
            s.as_ref()
                .map(|s| active_assignment(&s.record, unit).is_some())
        })
    });
    view! {
        <Show when=move || synced.with(Option::is_some) fallback=|| view! {
            <section class="screen"><h1>"Incident not on this device"</h1>
            <p class="empty">"It may not have synced yet, or it is not assigned to your unit."</p></section>
        }>
            {move || synced.get().map(|s| view! { <IncidentDetail incident=s.record synced_at=s.synced_at/> })}
            // Outside the detail, so that a sync arriving while the responder types keeps the text.
            <Show when=move || mine.get() == Some(true)>
                {move || id.get().map(|id| view! { <NoteComposer incident_id=id/> })}
            </Show>
        </Show>
    }
}

fn maps_link(incident: &Incident) -> String {
    let query = js_sys::encode_uri_component(&incident.address);
    match (incident.latitude, incident.longitude) {
        (Some(lat), Some(lon)) => format!("geo:{lat},{lon}?q={lat},{lon}({query})"),
        _ => format!("geo:0,0?q={query}"),
    }
}

/// Why this call is over for the unit, if it is: said plainly at the top of a call that
/// stays readable after it ended.
fn ended(incident: &Incident, unit: Option<i64>) -> Option<&'static str> {
    match incident.state {
        IncidentState::Cancelled => Some("Dispatch cancelled this call."),
        IncidentState::Closed => Some("Dispatch closed this call."),
        IncidentState::Active => {
            let was_on = unit.is_some_and(|u| incident.assignments.iter().any(|a| a.unit_id == u));
            let is_on = unit.is_some_and(|u| active_assignment(incident, u).is_some());
            (was_on && !is_on).then_some("Your unit is no longer on this call.")
        }
    }
}

/// The newest caller or dispatch note: what the crew needs above the fold on a phone.
fn latest_from_dispatch(incident: &Incident) -> Option<(i64, String, String)> {
    incident
        .notes
        .iter()
        .filter(|n| n.source != NoteSource::Field)
        .max_by_key(|n| (n.at, n.id))
        .map(|n| (n.at, n.author.clone(), n.text.clone()))
}

fn tel_link(number: &str) -> String {
    let digits: String = number
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    format!("tel:{digits}")
}

#[component]
fn IncidentDetail(incident: Incident, synced_at: i64) -> impl IntoView {
    let state = use_app();
    let id = incident.id;
    let mine = state
        .unit_id()
        .is_some_and(|unit| active_assignment(&incident, unit).is_some());
    let notes = incident.notes.clone();
    let others: Vec<_> = incident
        .assignments
        .iter()
        .filter(|a| a.is_active() && Some(a.unit_id) != state.unit_id())
        .cloned()
        .collect();
    let unit_status = move |unit_id: i64| {
        state.units.with(|units| {
            units
                .iter()
                .find(|u| u.record.id == unit_id)
                .map(|u| u.record.status.label())
                .unwrap_or("unknown")
        })
    };
    let pending = move || state.outbox.with(|o| pending_notes(id, o));
    view! {
        <section class="screen incident">
            <div class="incident-main">
            {(!incident.cautions.is_empty()).then(|| view! {
                <div class="cautions-box" role="alert" data-testid="cautions">
                    <strong>"Caution"</strong>
                    <ul>{incident.cautions.iter().map(|c| view! { <li dir="auto">{c.clone()}</li> }).collect_view()}</ul>
                </div>
            })}
            <p class="meta">
                {format!("{} · P{} · ", incident.number, incident.priority)}
                <span data-testid="as-of">{move || as_of(state.now.get(), synced_at)}</span>
            </p>
            {ended(&incident, state.unit_id()).map(|why| view! {
                <p class="call-ended" role="status" data-testid="call-ended">{why}</p>
            })}
            <h1 dir="auto">{incident.nature_text.clone()}</h1>
            <div class="where">
                <a class="address button" href=maps_link(&incident)><span class="link-kind">"Navigate"</span><bdi>{incident.address.clone()}</bdi></a>
                {incident.latitude.is_some().then(|| view! {
                    <A href=format!("/incident/{id}/map") attr:class="button map-link" attr:data-testid="open-map">"Map"</A>
                })}
            </div>
            {(!incident.callback.is_empty()).then(|| view! {
                <a class="callback button" href=tel_link(&incident.callback)>
                    <span class="link-kind">"Call"</span><bdi data-testid="caller-name">{incident.caller_name.clone()}</bdi>" · "<bdi dir="ltr" data-testid="callback">{incident.callback.clone()}</bdi>
                </a>
            })}
            {latest_from_dispatch(&incident).map(|(at, who, text)| view! {
                <p class="latest-note" data-testid="latest-note">
                    <span class="note-meta">{format!("Latest · {} · {}", clock(at), who)}</span>
                    <span class="latest-text" dir="auto">{text}</span>
                </p>
            })}
            // On a phone the buttons sit in a dock at the bottom, within thumb reach.
            {mine.then(|| view! { <div class="status-dock" data-testid="status-dock"><StatusButtons incident_id=id/></div> })}
            </div>
            <div class="incident-side">
            <h2>"Notes"</h2>
            <ol class="timeline" data-testid="timeline">
                {notes.into_iter().map(|note| {
                    let class = match note.source { NoteSource::Field => "note field", _ => "note caller" };
                    view! {
                        <li class=class>
                            <span class="note-meta">{format!("{} · {}", clock(note.at), note.author)}</span>
                            <p class="note-text" dir="auto">{note.text}</p>
                        </li>
                    }
                }).collect_view()}
                {move || pending().into_iter().map(|note| view! {
                    <li class="note field pending">
                        <span class="note-meta">{format!("{} · you · waiting to send", clock(note.at))}</span>
                        <p class="note-text" dir="auto">{note.text}</p>
                    </li>
                }).collect_view()}
            </ol>
            {(!others.is_empty()).then(|| view! {
                <h2>"Other units"</h2>
                <ul class="other-units">
                    {others.into_iter().map(|a| view! {
                        <li>{format!("{} — {}", a.callsign, unit_status(a.unit_id))}</li>
                    }).collect_view()}
                </ul>
            })}
            </div>
        </section>
    }
}

#[component]
fn NoteComposer(incident_id: i64) -> impl IntoView {
    let state = use_app();
    // Kept on the device until sent: a reload or a crash does not lose half a note.
    let text = crate::components::draft::draft(&format!("note.{incident_id}"));
    let error = RwSignal::new(None::<String>);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let note = text.get();
        if let Err(e) = check_text("A note", &note, MAX_NOTE_CHARS) {
            error.set(Some(e));
            return;
        }
        error.set(None);
        state.act(
            Action::FieldNote(FieldNotePayload {
                incident_id,
                text: note.trim().to_owned(),
            }),
            "Note".into(),
        );
        text.set(String::new());
    };
    view! {
        <form class="composer" on:submit=send>
            <label for="field-note">"Field note"</label>
            // No maxlength: a pasted note is never cut silently; the count says how long it is.
            <textarea id="field-note" rows="3" dir="auto" aria-describedby="note-count"
                prop:value=text on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <p id="note-count" class="hint" data-testid="note-count"
                class:error=move || text.with(|t| t.chars().count() > MAX_NOTE_CHARS)>
                {move || {
                    let count = text.with(|t| t.chars().count());
                    if count > MAX_NOTE_CHARS {
                        format!("{count} characters: {} too many (the limit is {MAX_NOTE_CHARS})", count - MAX_NOTE_CHARS)
                    } else {
                        format!("{count} / {MAX_NOTE_CHARS} characters")
                    }
                }}
            </p>
            <button type="submit" class="primary">"Add note"</button>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
        </form>
    }
}
