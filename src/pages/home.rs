//! The responder's assignments, most urgent first.

use crate::components::map::MapPackStatus;
use crate::components::pocket::PocketAlerts;
use crate::components::time::as_of;
use crate::state::use_app;
use leptos::prelude::*;
use leptos_router::components::A;
use tenfour_protocol::view::{my_assignments, unit_status};

#[component]
pub fn Home() -> impl IntoView {
    let state = use_app();
    let list = move || {
        let unit_id = state.unit_id()?;
        let synced = state.incidents.get();
        let records: Vec<_> = synced.iter().map(|s| s.record.clone()).collect();
        let now = state.now.get();
        Some(
            my_assignments(&records, unit_id)
                .into_iter()
                .map(|incident| {
                    let synced_at = synced
                        .iter()
                        .find(|s| s.record.id == incident.id)
                        .map_or(0, |s| s.synced_at);
                    (incident.clone(), as_of(now, synced_at))
                })
                .collect::<Vec<_>>(),
        )
    };
    let status = move || {
        let unit = state.my_unit()?;
        Some(unit_status(&unit, &state.overlay_entries()).label())
    };
    view! {
        <section class="screen">
            <h1>"Assignments"</h1>
            <p class="status-line">{move || status().map(|s| format!("Unit status: {s}"))}</p>
            {move || {
                let items = list().unwrap_or_default();
                if items.is_empty() {
                    view! { <p class="empty">"No active assignments. New ones appear here, even after a reload offline."</p> }.into_any()
                } else {
                    view! {
                        <ul class="assignments">
                            {items.into_iter().map(|(incident, age)| view! {
                                <li>
                                    <A href=format!("/incident/{}", incident.id) attr:class="assignment" attr:data-priority=incident.priority.to_string()>
                                        <span class="priority">{format!("P{}", incident.priority)}</span>
                                        <span class="assignment-main">
                                            <strong><bdi>{incident.nature_text.clone()}</bdi></strong>
                                            <span><bdi>{incident.address.clone()}</bdi></span>
                                            {(!incident.cautions.is_empty()).then(|| view! {
                                                <span class="caution-inline">{format!("⚠ {}", incident.cautions.join(" · "))}</span>
                                            })}
                                        </span>
                                        <span class="age">{age}</span>
                                    </A>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
            <PocketAlerts offer=true/>
            <MapPackStatus/>
        </section>
    }
}
