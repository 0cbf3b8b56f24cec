//! The open incidents, most urgent first, with the selected one's detail or the new-incident
//! form.

use super::*;

use super::detail::IncidentDetail;
use super::new_incident::NewIncidentForm;

#[component]
pub(super) fn IncidentsPanel(
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
