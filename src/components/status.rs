//! The big status buttons: the next statuses the shared state machine allows, one tap each.

use crate::state::use_app;
use leptos::prelude::*;
use tenfour_protocol::StatusCode;
use tenfour_protocol::view::unit_status;
use tenfour_protocol::wire::{Action, StatusPayload};

#[component]
pub fn StatusButtons(incident_id: i64) -> impl IntoView {
    let state = use_app();
    let current = move || {
        let unit = state.my_unit()?;
        Some((unit_status(&unit, &state.overlay_entries()), unit.kind))
    };
    view! {
        <div class="status-current" data-testid="my-status">
            {move || current().map(|(s, _)| format!("Status: {}", s.label()))}
        </div>
        <div class="status-buttons">
            {move || {
                current()
                    .map(|(now, kind)| now.next_for(kind))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|next| {
                        let press = move |_| {
                            if !state.take_press() {
                                return;
                            }
                            let action = Action::Status(StatusPayload {
                                status: next,
                                incident_id: next.is_committed().then_some(incident_id),
                                location: crate::sync::location::last_known(),
                            });
                            state.act(action, next.label().to_owned());
                        };
                        let class = if next == StatusCode::Available { "status-button secondary" } else { "status-button" };
                        view! {
                            <button class=class data-status=next.as_str() on:click=press
                                aria-disabled=move || state.settling.get().to_string()>
                                {next.label()}
                            </button>
                        }
                    })
                    .collect_view()
            }}
        </div>
    }
}
