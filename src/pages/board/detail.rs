//! One incident: its notes and timeline, NERIS unit times, assigning and ending it.

use super::*;

#[component]
pub(super) fn IncidentDetail(id: i64) -> impl IntoView {
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
    // Available units first — nearest first by straight line when the call and the units
    // have places — then the rest with their status.
    let candidates = move || {
        let units: Vec<Unit> = state
            .units
            .with(|u| u.iter().map(|s| s.record.clone()).collect());
        let place = incident().and_then(|i| {
            Some(tenfour_protocol::wire::Location {
                latitude: i.latitude?,
                longitude: i.longitude?,
                accuracy_m: None,
            })
        });
        let mut choices: Vec<(Unit, String)> = match &place {
            Some(place) => tenfour_protocol::position::nearest_available(&units, place)
                .into_iter()
                .map(|(u, away)| {
                    let label = match away {
                        Some(m) => format!(
                            "{} — Available · {}",
                            u.callsign,
                            tenfour_protocol::position::distance_text(m)
                        ),
                        None => format!("{} — Available", u.callsign),
                    };
                    (u.clone(), label)
                })
                .collect(),
            None => Vec::new(),
        };
        let mut rest: Vec<Unit> = units
            .into_iter()
            .filter(|u| !choices.iter().any(|(c, _)| c.id == u.id) && !u.retired)
            .collect();
        rest.sort_by_key(|u| (u.status != StatusCode::Available, u.callsign.clone()));
        choices.extend(rest.into_iter().map(|u| {
            let label = format!("{} — {}", u.callsign, u.status.label());
            (u, label)
        }));
        choices
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
                                {candidates().into_iter().map(|(u, label)| view! {
                                    <option value=u.id.to_string()>{label}</option>
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
