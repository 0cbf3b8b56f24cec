//! The board's live map: open calls, and every unit that has said where it is, coloured by
//! status (grey when its position is old). Choosing on the map chooses in the lists beside it,
//! and the other way round.

use super::*;
use crate::components::map::{MapPackStatus, MapView, Marker, STALE_COLOUR, short, status_colour};

/// A unit position older than this is drawn grey and faded: the unit may be elsewhere now.
pub(super) const STALE_POSITION_MS: Millis = 5 * 60 * 1000;

#[component]
pub(super) fn BoardMap(
    selected: RwSignal<Option<i64>>,
    selected_unit: RwSignal<Option<i64>>,
) -> impl IntoView {
    let state = use_app();
    let markers = Memo::new(move |_| {
        let now = state.now.get();
        let chosen = selected.get();
        let chosen_unit = selected_unit.get();
        let mut list: Vec<Marker> = state.incidents.with(|incidents| {
            incidents
                .iter()
                .map(|s| &s.record)
                .filter(|i| i.state == IncidentState::Active)
                .filter_map(|i| {
                    Some(Marker {
                        id: format!("incident-{}", i.id),
                        kind: "incident",
                        lat: i.latitude?,
                        lon: i.longitude?,
                        label: format!("P{} {}", i.priority, short(&i.nature_text)),
                        colour: None,
                        stale: false,
                        selected: chosen == Some(i.id),
                    })
                })
                .collect()
        });
        state.units.with(|units| {
            for unit in units.iter().map(|s| &s.record).filter(|u| !u.retired) {
                let Some(fix) = &unit.position else { continue };
                let stale = now - fix.at > STALE_POSITION_MS;
                list.push(Marker {
                    id: format!("unit-{}", unit.id),
                    kind: "unit",
                    lat: fix.latitude,
                    lon: fix.longitude,
                    label: unit.callsign.clone(),
                    colour: Some(if stale {
                        STALE_COLOUR
                    } else {
                        status_colour(unit.status)
                    }),
                    stale,
                    selected: chosen_unit == Some(unit.id),
                });
            }
        });
        list
    });
    let on_select = Callback::new(move |id: String| {
        if let Some(incident) = id.strip_prefix("incident-") {
            selected.set(incident.parse().ok());
        } else if let Some(unit) = id.strip_prefix("unit-").and_then(|u| u.parse::<i64>().ok()) {
            selected_unit.set(Some(unit));
            let on = state.units.with(|units| {
                units
                    .iter()
                    .find(|u| u.record.id == unit)
                    .and_then(|u| u.record.incident_id)
            });
            if on.is_some() {
                selected.set(on);
            }
        }
    });
    // What the lists chose comes into view.
    let focus = Signal::derive(move || {
        if let Some(unit) = selected_unit.get() {
            let fix = state.units.with(|units| {
                units
                    .iter()
                    .find(|u| u.record.id == unit)
                    .and_then(|u| u.record.position.clone())
            });
            if let Some(fix) = fix {
                return Some((fix.latitude, fix.longitude));
            }
        }
        let id = selected.get()?;
        state.incidents.with(|incidents| {
            let incident = &incidents.iter().find(|s| s.record.id == id)?.record;
            Some((incident.latitude?, incident.longitude?))
        })
    });
    view! {
        <div class="board-map" data-testid="board-map">
            <MapView markers=markers max_zoom=16 on_select=on_select focus=focus/>
            <p class="map-legend muted">
                <span class="dot available"></span>"available "
                <span class="dot busy"></span>"on a call "
                <span class="dot stale"></span>"position over 5 min old"
            </p>
            <MapPackStatus/>
        </div>
    }
}
