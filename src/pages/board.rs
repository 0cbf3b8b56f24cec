//! The dispatcher's board: every unit with its status and time in status, and the active
//! incidents, kept live by the sync engine.

use crate::components::time::clock;
use crate::state::use_app;
use leptos::prelude::*;
use tenfour_protocol::view::age;
use tenfour_protocol::wire::IncidentState;

#[component]
pub fn Board() -> impl IntoView {
    let state = use_app();
    let units = move || {
        let mut units: Vec<_> = state
            .units
            .with(|u| u.iter().map(|s| s.record.clone()).collect());
        units.sort_by(|a, b| a.callsign.cmp(&b.callsign));
        units
    };
    let incidents = move || {
        let mut list: Vec<_> = state.incidents.with(|l| {
            l.iter()
                .map(|s| s.record.clone())
                .filter(|i| i.state == IncidentState::Active)
                .collect()
        });
        list.sort_by_key(|i| (i.priority, i.created_at));
        list
    };
    let number_of = move |incident_id: Option<i64>| {
        let id = incident_id?;
        state.incidents.with(|l| {
            l.iter()
                .find(|s| s.record.id == id)
                .map(|s| s.record.number.clone())
        })
    };
    view! {
        <section class="screen board">
            <h1>"Units"</h1>
            <table class="units" data-testid="board-units">
                <thead><tr><th>"Unit"</th><th>"Status"</th><th>"Incident"</th><th>"Since"</th></tr></thead>
                <tbody>
                    {move || units().into_iter().map(|u| view! {
                        <tr data-unit=u.callsign.clone() data-status=u.status.as_str()>
                            <td>{u.callsign.clone()}</td>
                            <td class="status-cell">{u.status.label()}</td>
                            <td>{number_of(u.incident_id).unwrap_or_default()}</td>
                            <td>{format!("{} ({})", clock(u.status_at), age(state.now.get(), u.status_at))}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h1>"Active incidents"</h1>
            <ul class="incidents">
                {move || incidents().into_iter().map(|i| view! {
                    <li>{format!("P{} · {} · {} · {}", i.priority, i.number, i.nature_text, i.address)}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}
