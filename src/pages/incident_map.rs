//! The map of one call: where it is, where this device is (how far, which way), and the
//! other units on it. Drawn from the map pack stored on the device, so it works with no
//! network; "Navigate" stays for turn-by-turn in another app.

use crate::components::map::{MapPackStatus, MapView, Marker, STALE_COLOUR, short, status_colour};
use crate::state::use_app;
use crate::sync::location::use_location;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use tenfour_protocol::position::distance_and_direction;
use tenfour_protocol::wire::{Incident, Location};

/// A unit position older than this is drawn faded.
const STALE_MS: i64 = 5 * 60 * 1000;

fn place(incident: &Incident) -> Option<Location> {
    Some(Location {
        latitude: incident.latitude?,
        longitude: incident.longitude?,
        accuracy_m: None,
    })
}

#[component]
pub fn IncidentMapPage() -> impl IntoView {
    let state = use_app();
    let geo = use_location();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok())));
    let incident = Memo::new(move |_| {
        let id = id.get()?;
        state.incidents.with(|list| {
            list.iter()
                .find(|s| s.record.id == id)
                .map(|s| s.record.clone())
        })
    });
    let markers = Memo::new(move |_| {
        let mut list = Vec::new();
        let Some(incident) = incident.get() else {
            return list;
        };
        if let Some(place) = place(&incident) {
            list.push(Marker {
                id: format!("incident-{}", incident.id),
                kind: "incident",
                lat: place.latitude,
                lon: place.longitude,
                label: short(&incident.nature_text),
                colour: None,
                stale: false,
                selected: false,
            });
        }
        let me = state.unit_id();
        let now = state.now.get();
        let on_call: Vec<i64> = incident
            .assignments
            .iter()
            .filter(|a| a.is_active() && Some(a.unit_id) != me)
            .map(|a| a.unit_id)
            .collect();
        state.units.with(|units| {
            for unit in units.iter().map(|u| &u.record) {
                let (true, Some(fix)) = (on_call.contains(&unit.id), &unit.position) else {
                    continue;
                };
                list.push(Marker {
                    id: format!("unit-{}", unit.id),
                    kind: "unit",
                    lat: fix.latitude,
                    lon: fix.longitude,
                    label: format!("{} · {}", unit.callsign, unit.status.label()),
                    colour: Some(if now - fix.at > STALE_MS {
                        STALE_COLOUR
                    } else {
                        status_colour(unit.status)
                    }),
                    stale: now - fix.at > STALE_MS,
                    selected: false,
                });
            }
        });
        if let Some(here) = geo.position.get() {
            list.push(Marker {
                id: "me".into(),
                kind: "me",
                lat: here.latitude,
                lon: here.longitude,
                label: "You".into(),
                colour: None,
                stale: false,
                selected: false,
            });
        }
        list
    });
    let how_far = move || {
        let target = incident.with(|i| i.as_ref().and_then(place))?;
        let here = geo.position.get()?;
        Some(distance_and_direction(&here, &target))
    };
    view! {
        <section class="screen map-screen">
            {move || match incident.get() {
                None => view! {
                    <h1>"Incident not on this device"</h1>
                    <p class="empty">"It may not have synced yet, or it is not assigned to your unit."</p>
                }.into_any(),
                Some(incident) => {
                    let back = format!("/incident/{}", incident.id);
                    let located = place(&incident).is_some();
                    view! {
                        <div class="map-head">
                            <A href=back attr:class="button back" attr:data-testid="back-to-call">"‹ Call"</A>
                            <div class="map-title">
                                <h1 dir="auto">{incident.nature_text.clone()}</h1>
                                <p class="address-line" dir="auto">{incident.address.clone()}</p>
                            </div>
                        </div>
                        {(!located).then(|| view! {
                            <p class="map-problem" data-testid="no-location">"Dispatch has not placed this call on the map; use the address."</p>
                        })}
                    }.into_any()
                }
            }}
            <p class="how-far" data-testid="how-far" role="status">
                {move || match (how_far(), geo.sharing.get()) {
                    (Some(text), _) if text == "here" => "You are at the call".to_owned(),
                    (Some(text), _) => format!("The call is {text} of you"),
                    (None, true) => "Finding where you are…".to_owned(),
                    (None, false) => "Location is off: turn it on to see how far you are".to_owned(),
                }}
                <Show when=move || !geo.sharing.get()>
                    <button type="button" class="inline" on:click=move |_| geo.sharing.set(true)>"Turn on location"</button>
                </Show>
            </p>
            <MapView markers=markers max_zoom=16/>
            <MapPackStatus/>
        </section>
    }
}
