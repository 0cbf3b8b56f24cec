//! The units table: status, time in status, attention flags; paged, sortable by what needs
//! the dispatcher first.

use super::*;

#[component]
pub(super) fn UnitTable(
    stale_minutes: RwSignal<f64>,
    selected: RwSignal<Option<i64>>,
    selected_unit: RwSignal<Option<i64>>,
) -> impl IntoView {
    let state = use_app();
    let status_filter = RwSignal::new(String::new());
    let kind_filter = RwSignal::new(String::new());
    let sort = RwSignal::new("callsign".to_owned());
    let page = RwSignal::new(0usize);
    let rows = move || {
        let status = status_filter.get();
        let kind = kind_filter.get();
        // Each unit with the cursor of its copy: a new copy is a new cursor.
        let mut units: Vec<(Unit, u64)> = state.units.with(|u| {
            u.iter()
                .filter(|s| status.is_empty() || s.record.status.as_str() == status)
                .filter(|s| kind.is_empty() || s.record.kind.as_str() == kind)
                .map(|s| (s.record.clone(), s.cursor))
                .collect()
        });
        match sort.get().as_str() {
            "status" => units.sort_by(|(a, _), (b, _)| {
                a.status.cmp(&b.status).then(a.callsign.cmp(&b.callsign))
            }),
            "time" => units.sort_by_key(|(u, _)| u.status_at),
            _ => units.sort_by(|(a, _), (b, _)| a.callsign.cmp(&b.callsign)),
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
    // The page's rows, each keyed by what it shows: a change to one unit rebuilds its row
    // alone, so an update on a busy board stays within a frame; the clock's tick (every 20 s)
    // and the stale setting rebuild them all.
    let page_rows = move || {
        // The hub's clock: these times were stamped there.
        let now = state.now.get() + crate::api::hub_ahead_ms();
        let stale_after = (stale_minutes.get() * 60_000.0) as Millis;
        rows()
            .into_iter()
            .skip(page.get() * PAGE)
            .take(PAGE)
            .map(|(unit, cursor)| UnitRow {
                emergency: in_emergency(unit.id),
                unit,
                cursor,
                now,
                stale_after,
            })
            .collect::<Vec<_>>()
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
                <For each=page_rows key=|row| row.key() let:row>
                    {
                        let UnitRow { unit: u, now, stale_after, emergency, .. } = row;
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
                        let unit_id = u.id;
                        // A row is chosen with a click (its unit stands out on the map).
                        view! {
                            <tr data-unit=u.callsign.clone() data-status=u.status.as_str()
                                data-flags=flag_names class:emergency=emergency
                                class:chosen=move || selected_unit.get() == Some(unit_id)
                                on:click=move |_| selected_unit.set(Some(unit_id))>
                                <td><strong>{u.callsign.clone()}</strong>" "<span class="kind">{u.kind.as_str()}</span></td>
                                <td><span class=status_class(u.status)>{u.status.label()}</span>
                                    {flags.iter().map(|f| view! {
                                        <span class="flag">{match f { UnitFlag::StatusStale => "no change", UnitFlag::NotHeard => "not heard", UnitFlag::CheckInOverdue => "check-in overdue" }}</span>
                                    }).collect_view()}
                                </td>
                                <td>
                                    {move || number_of(incident_id).map(|n| view! {
                                        <button class="link" on:click=move |_| selected.set(incident_id)>{n}</button>
                                    })}
                                </td>
                                <td>{format!("{} · {}", clock(u.status_at), age(now, u.status_at))}</td>
                                <td>{u.last_heard_at.map(|t| age(now, t)).unwrap_or_else(|| "—".into())}</td>
                            </tr>
                        }
                    }
                </For>
            </tbody>
        </table>
        <Pager page=page total=Signal::derive(move || rows().len())/>
    }
}

/// One row of the units table and what it was built from.
struct UnitRow {
    unit: Unit,
    cursor: u64,
    now: Millis,
    stale_after: Millis,
    emergency: bool,
}

impl UnitRow {
    fn key(&self) -> (i64, u64, Millis, Millis, bool) {
        (
            self.unit.id,
            self.cursor,
            self.now,
            self.stale_after,
            self.emergency,
        )
    }
}
