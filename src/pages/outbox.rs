//! What is waiting to be sent, what dispatch refused (and why), settings, and sign-out.

use crate::components::pocket::PocketAlerts;
use crate::components::time::clock;
use crate::pages::admin::ChangePassword;
use crate::state::use_app;
use crate::sync::location::use_location;
use leptos::prelude::*;
use tenfour_protocol::wire::{Action, Queued};

fn describe(entry: &Queued) -> String {
    match &entry.action {
        Ok(Action::Status(s)) => format!("Status: {}", s.status.label()),
        Ok(Action::Acknowledge(_)) => "Acknowledged assignment".into(),
        Ok(Action::FieldNote(n)) => format!("Note: {}", n.text),
        Ok(Action::Emergency(_)) => "EMERGENCY".into(),
        Ok(Action::EmergencyCancel(_)) => "Emergency cancelled".into(),
        Ok(Action::CheckIn(_)) => "Checked in".into(),
        Ok(Action::Position(p)) => format!(
            "Position {:.5}, {:.5}",
            p.location.latitude, p.location.longitude
        ),
        Err(e) => format!("Unreadable action: {e}"),
    }
}

#[component]
pub fn OutboxPage() -> impl IntoView {
    let state = use_app();
    let share = use_location().sharing;
    let silent = RwSignal::new(crate::components::emergency::silent());
    let sign_out = move |_| {
        let waiting = state.outbox.with(Vec::len);
        if waiting > 0 {
            let message = format!(
                "{waiting} actions have not reached dispatch yet. They stay on this device and are sent after the next sign-in. Sign out?"
            );
            let confirmed = web_sys::window()
                .and_then(|w| w.confirm_with_message(&message).ok())
                .unwrap_or(false);
            if !confirmed {
                return;
            }
        }
        // Half-written notes and forms belong to the person signing out.
        crate::components::draft::forget("");
        leptos::task::spawn_local(state.end_session());
    };
    let dismiss =
        move |entry_id: String| leptos::task::spawn_local(state.dismiss_rejected(entry_id));
    view! {
        <section class="screen">
            <h1>"Sync"</h1>
            <h2>"Waiting to send"</h2>
            {move || {
                let waiting = state.outbox.get();
                if waiting.is_empty() {
                    view! { <p class="empty" data-testid="outbox-empty">"Nothing waiting: dispatch has everything."</p> }.into_any()
                } else {
                    view! {
                        <ol class="outbox" data-testid="outbox">
                            {waiting.iter().map(|e| view! {
                                <li>{format!("{} · {}", clock(e.at), describe(e))}</li>
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }
            }}
            <h2>"Refused by dispatch"</h2>
            {move || {
                let refused = state.rejected.get();
                if refused.is_empty() {
                    view! { <p class="empty">"None."</p> }.into_any()
                } else {
                    view! {
                        <ul class="rejected" data-testid="rejected">
                            {refused.into_iter().map(|r| {
                                let entry_id = r.entry.id.clone();
                                view! {
                                    <li>
                                        <strong>{format!("{} · {}", clock(r.entry.at), describe(&r.entry))}</strong>
                                        <p>{r.reason}</p>
                                        <button on:click=move |_| dismiss(entry_id.clone())>"Understood"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
            <h2>"This device"</h2>
            <div class="settings">
                <label class="toggle">
                    <input type="checkbox" prop:checked=share on:change=move |ev| {
                        share.set(event_target_checked(&ev));
                    }/>
                    "Attach my location to status updates"
                </label>
                <label class="inline">
                    <input type="checkbox" name="silent-emergency" prop:checked=silent on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        silent.set(on);
                        crate::components::emergency::set_silent(on);
                    }/>
                    "Silent emergency: no sound, vibration or bright screen on this device"
                </label>
                <PocketAlerts/>
                <ThemeSwitch/>
                <OwnPassword/>
                <button class="secondary" on:click=sign_out>"Sign out"</button>
            </div>
        </section>
    }
}

/// Day, night, or follow the system; remembered on the device.
#[component]
fn ThemeSwitch() -> impl IntoView {
    let current = RwSignal::new(crate::theme::current());
    let choose = move |theme: &'static str| {
        current.set(theme.to_owned());
        crate::theme::apply(theme);
    };
    view! {
        <div class="theme-switch" role="group" aria-label="Theme">
            {["system", "day", "night"].into_iter().map(|theme| view! {
                <button aria-pressed=move || (current.get() == theme).to_string() on:click=move |_| choose(theme)>
                    {match theme { "day" => "Day", "night" => "Night", _ => "Follow device" }}
                </button>
            }).collect_view()}
        </div>
    }
}

/// Changing one's own password, behind a button: rarely needed, never in the way.
#[component]
fn OwnPassword() -> impl IntoView {
    let state = use_app();
    let open = RwSignal::new(false);
    let done = RwSignal::new(false);
    let finished = Callback::new(move |_| {
        open.set(false);
        done.set(true);
    });
    view! {
        {move || if open.get() {
            view! { <ChangePassword token=state.token() on_done=finished/> }.into_any()
        } else {
            view! {
                <button on:click=move |_| { done.set(false); open.set(true); }>"Change my password"</button>
            }.into_any()
        }}
        <Show when=move || done.get()>
            <p class="notice" role="status">"Password changed. Your other devices are signed out."</p>
        </Show>
    }
}
