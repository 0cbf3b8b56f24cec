//! Sign-in: username and password (online the first time), then the unit for the shift.
//! After that the session lives on the device and the app opens offline.

use crate::api;
use crate::pages::admin::ChangePassword;
use crate::state::use_app;
use leptos::prelude::*;
use tenfour_protocol::wire::{Role, SessionInfo, Unit};

#[component]
pub fn SignIn() -> impl IntoView {
    let state = use_app();
    let remembered = state
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.info.user.username.clone()));
    let username = RwSignal::new(remembered.unwrap_or_default());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // After the password step, a responder picks a unit.
    let pending = RwSignal::new(None::<(String, SessionInfo, Vec<Unit>)>);
    let waiting = move || state.outbox.with(Vec::len);

    let finish = move |token: String, info: SessionInfo| {
        leptos::task::spawn_local(async move {
            if let Err(e) = state.begin_session(token, info).await {
                error.set(Some(e));
            }
        });
    };

    // After the password (and, for a temporary one, choosing one's own): a responder picks
    // a unit; anyone else is in.
    let proceed = move |token: String, info: SessionInfo| {
        if info.user.role != Role::Responder {
            finish(token, info);
            return;
        }
        leptos::task::spawn_local(async move {
            match api::units(&token).await {
                Ok(units) => {
                    let offered = units.into_iter().filter(|u| !u.retired).collect();
                    pending.set(Some((token, info, offered)));
                }
                Err(e) => error.set(Some(explain(e))),
            }
        });
    };
    // Signed in with a temporary password: the token and that password.
    let new_password = RwSignal::new(None::<(String, String)>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get() {
            return;
        }
        busy.set(true);
        error.set(None);
        let (user, pass) = (username.get().trim().to_owned(), password.get());
        leptos::task::spawn_local(async move {
            let result = api::sign_in(&user, &pass).await;
            busy.set(false);
            match result {
                Ok(info) => {
                    let token = info.token.clone().unwrap_or_default();
                    if info.must_change_password {
                        new_password.set(Some((token, pass)));
                    } else {
                        proceed(token, info);
                    }
                }
                Err(e) => error.set(Some(explain(e))),
            }
        });
    };

    // Actions waiting on the device were taken for the previous unit: the hub files an
    // action under the session's unit, so they may only go out from a session on that unit.
    let waiting_for = move || {
        if state.outbox.with(Vec::is_empty) {
            return None;
        }
        state.session.with(|s| {
            s.as_ref()
                .and_then(|s| s.info.unit.as_ref().map(|u| u.callsign.clone()))
        })
    };
    let choose = move |callsign: String| {
        let Some((token, _, _)) = pending.get() else {
            return;
        };
        if let Some(previous) = waiting_for().filter(|p| !p.eq_ignore_ascii_case(&callsign)) {
            error.set(Some(format!(
                "{} actions from unit {previous} are still waiting on this device. Sign in to {previous} to send them first.",
                state.outbox.with(Vec::len)
            )));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::choose_unit(&token, &callsign).await {
                Ok(info) => finish(token, info),
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="screen signin">
            <Show when=move || { waiting() > 0 }>
                <p class="notice" data-testid="waiting-notice">
                    {move || format!("{} actions are waiting on this device. Sign in to send them.", waiting())}
                </p>
            </Show>
            {move || new_password.get().map(|(token, current)| {
                let done = Callback::new({
                    let token = token.clone();
                    move |info: SessionInfo| {
                        new_password.set(None);
                        proceed(token.clone(), info);
                    }
                });
                view! { <ChangePassword current=current token=token on_done=done/> }
            })}
            {move || match pending.get() {
                _ if new_password.with(Option::is_some) => ().into_any(),
                None => view! {
                    <form on:submit=submit class="form">
                        <h1>"Sign in"</h1>
                        <label>"Username"
                            <input name="username" autocomplete="username" autocapitalize="none"
                                prop:value=username on:input=move |ev| username.set(event_target_value(&ev)) required/>
                        </label>
                        <label>"Password"
                            <input name="password" type="password" autocomplete="current-password"
                                prop:value=password on:input=move |ev| password.set(event_target_value(&ev)) required/>
                        </label>
                        <button type="submit" class="primary" disabled=move || busy.get()>
                            {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                        </button>
                    </form>
                }.into_any(),
                Some((_, info, units)) => view! {
                    <div class="form">
                        <h1>{format!("{}, choose your unit", info.user.display_name)}</h1>
                        <div class="unit-choices">
                            {units.into_iter().map(|unit| {
                                let callsign = unit.callsign.clone();
                                view! {
                                    <button class="unit-choice" data-unit=unit.callsign.clone()
                                        on:click=move |_| choose(callsign.clone())>
                                        <strong>{unit.callsign.clone()}</strong>
                                        <span>{format!("{} · {}", unit.kind.as_str(), unit.status.label())}</span>
                                    </button>
                                }
                            }).collect_view()}
                        </div>
                    </div>
                }.into_any(),
            }}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

fn explain(err: api::ApiError) -> String {
    match err {
        api::ApiError::Unreachable(_) => "No connection to dispatch. The first sign-in needs a network; after that the app works offline.".into(),
        other => other.message(),
    }
}
