//! Administration for the agency's admins: users, units, incident natures, roster import and
//! the audit log. It works against the hub directly (nothing here is needed offline) and says
//! so plainly when there is no connection.

use crate::api::{self, ApiError, admin};
use crate::state::use_app;
use leptos::prelude::*;
use tenfour_protocol::StatusCode;
use tenfour_protocol::admin::{
    AdminUnit, AdminUser, AuditEntry, CheckInRule, Nature, NewUnit, NewUser, ROSTER_HEADER,
    RosterReport, SafetySettings, TemporaryPassword, UnitChange, UserChange,
};
use tenfour_protocol::wire::{Role, UnitKind};
use wasm_bindgen::JsCast;

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    Users,
    Units,
    Natures,
    Safety,
    Roster,
    Map,
    Audit,
}

impl Tab {
    const ALL: [Tab; 7] = [
        Tab::Users,
        Tab::Units,
        Tab::Natures,
        Tab::Safety,
        Tab::Roster,
        Tab::Map,
        Tab::Audit,
    ];

    fn label(self) -> &'static str {
        match self {
            Tab::Users => "Users",
            Tab::Units => "Units",
            Tab::Natures => "Natures",
            Tab::Safety => "Safety",
            Tab::Roster => "Roster import",
            Tab::Map => "Map",
            Tab::Audit => "Audit log",
        }
    }
}

fn explain(err: ApiError) -> String {
    match err {
        ApiError::Unreachable(_) => {
            "No connection to the hub: nothing was changed. Administration needs a connection."
                .into()
        }
        other => other.message(),
    }
}

const ROLES: [Role; 3] = [Role::Responder, Role::Dispatcher, Role::Admin];
const KINDS: [UnitKind; 3] = [UnitKind::Ems, UnitKind::Fire, UnitKind::Police];

#[component]
pub fn AdminPage() -> impl IntoView {
    let tab = RwSignal::new(Tab::Users);
    view! {
        <section class="screen admin">
            <h1>"Administration"</h1>
            <div class="tabs" role="tablist">
                {Tab::ALL.into_iter().map(|t| view! {
                    <button role="tab" aria-selected=move || (tab.get() == t).to_string()
                        on:click=move |_| tab.set(t)>{t.label()}</button>
                }).collect_view()}
            </div>
            {move || match tab.get() {
                Tab::Users => view! { <Users/> }.into_any(),
                Tab::Units => view! { <Units/> }.into_any(),
                Tab::Natures => view! { <Natures/> }.into_any(),
                Tab::Safety => view! { <Safety/> }.into_any(),
                Tab::Roster => view! { <Roster/> }.into_any(),
                Tab::Map => view! { <MapPackAdmin/> }.into_any(),
                Tab::Audit => view! { <Audit/> }.into_any(),
            }}
        </section>
    }
}

/// The outcome of the last administrative action, shown above the list.
fn message_view(message: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    move || {
        message.get().map(|m| match m {
            Ok(text) => view! { <p class="notice" role="status">{text}</p> }.into_any(),
            Err(text) => view! { <p class="error" role="alert">{text}</p> }.into_any(),
        })
    }
}

/// A temporary password, shown once.
fn temporary_view(shown: RwSignal<Option<TemporaryPassword>>) -> impl IntoView {
    move || {
        shown.get().map(|t| view! {
            <div class="notice temporary" data-testid="temporary-password">
                <p>{format!("Temporary password for {}:", t.user.username)}</p>
                <p><code class="secret">{t.temporary_password.clone()}</code></p>
                <p>"Hand it over now: it is not shown again. They choose their own at their first sign-in."</p>
                <button on:click=move |_| shown.set(None)>"Done"</button>
            </div>
        })
    }
}

#[component]
fn Users() -> impl IntoView {
    let state = use_app();
    let users = RwSignal::new(Vec::<AdminUser>::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let shown = RwSignal::new(None::<TemporaryPassword>);
    let load = move || {
        let token = state.token();
        leptos::task::spawn_local(async move {
            match admin::users(&token).await {
                Ok(list) => users.set(list),
                Err(e) => message.set(Some(Err(explain(e)))),
            }
        });
    };
    load();

    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Responder);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new = NewUser {
            username: username.get().trim().to_owned(),
            display_name: display_name.get().trim().to_owned(),
            role: role.get(),
        };
        if let Err(reason) = new.check() {
            message.set(Some(Err(reason)));
            return;
        }
        let token = state.token();
        leptos::task::spawn_local(async move {
            match admin::create_user(&token, &new).await {
                Ok(created) => {
                    message.set(Some(Ok(format!("{} created.", created.user.username))));
                    shown.set(Some(created));
                    username.set(String::new());
                    display_name.set(String::new());
                    load();
                }
                Err(e) => message.set(Some(Err(explain(e)))),
            }
        });
    };
    let change = move |id: i64, change: UserChange, done: String| {
        let token = state.token();
        leptos::task::spawn_local(async move {
            match admin::change_user(&token, id, &change).await {
                Ok(user) => {
                    message.set(Some(Ok(format!("{}: {done}.", user.username))));
                    load();
                }
                Err(e) => message.set(Some(Err(explain(e)))),
            }
        });
    };
    let reset = move |user: AdminUser| {
        let question = format!(
            "Give {} a new temporary password? Their open sessions end now.",
            user.username
        );
        let confirmed = web_sys::window()
            .and_then(|w| w.confirm_with_message(&question).ok())
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        let token = state.token();
        leptos::task::spawn_local(async move {
            match admin::reset_password(&token, user.id).await {
                Ok(reset) => {
                    message.set(None);
                    shown.set(Some(reset));
                    load();
                }
                Err(e) => message.set(Some(Err(explain(e)))),
            }
        });
    };

    view! {
        <div class="admin-section">
            {message_view(message)}
            {temporary_view(shown)}
            <form class="admin-form" on:submit=create>
                <h2>"New user"</h2>
                <label>"Username"
                    <input name="new-username" autocapitalize="none" prop:value=username
                        on:input=move |ev| username.set(event_target_value(&ev)) required/>
                </label>
                <label>"Display name"
                    <input name="new-display-name" prop:value=display_name
                        on:input=move |ev| display_name.set(event_target_value(&ev)) required/>
                </label>
                <label>"Role"
                    <select name="new-role" on:change=move |ev| {
                        if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r) }
                    }>
                        {ROLES.into_iter().map(|r| view! {
                            <option value=r.as_str() selected=move || role.get() == r>{r.as_str()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="primary">"Create user"</button>
            </form>
            <table class="admin-table" data-testid="users">
                <thead><tr><th>"Username"</th><th>"Name"</th><th>"Role"</th><th>"State"</th><th>"Actions"</th></tr></thead>
                <tbody>
                    <For each=move || users.get() key=|u| (u.id, u.display_name.clone(), u.role.as_str(), u.disabled, u.must_change_password) let:user>
                        {
                            let id = user.id;
                            let name = RwSignal::new(user.display_name.clone());
                            let current_role = user.role;
                            let disabled = user.disabled;
                            let for_reset = user.clone();
                            let state_text = if user.disabled {
                                "disabled"
                            } else if user.must_change_password {
                                "temporary password"
                            } else {
                                "active"
                            };
                            view! {
                                <tr data-username=user.username.clone()>
                                    <td>{user.username.clone()}</td>
                                    <td><div class="cell-edit">
                                        <input aria-label=format!("Display name of {}", user.username) prop:value=name
                                            on:input=move |ev| name.set(event_target_value(&ev))/>
                                        <button on:click=move |_| change(id, UserChange { display_name: Some(name.get()), ..UserChange::default() }, "renamed".into())>"Rename"</button>
                                    </div></td>
                                    <td>
                                        <select aria-label=format!("Role of {}", user.username) on:change=move |ev| {
                                            if let Some(r) = Role::parse(&event_target_value(&ev)) {
                                                change(id, UserChange { role: Some(r), ..UserChange::default() }, format!("now {}", r.as_str()));
                                            }
                                        }>
                                            {ROLES.into_iter().map(|r| view! {
                                                <option value=r.as_str() selected=r == current_role>{r.as_str()}</option>
                                            }).collect_view()}
                                        </select>
                                    </td>
                                    <td>{state_text}</td>
                                    <td><div class="cell-actions">
                                        <button on:click=move |_| change(id, UserChange { disabled: Some(!disabled), ..UserChange::default() },
                                            if disabled { "enabled".into() } else { "disabled; their sessions ended".into() })>
                                            {if disabled { "Enable" } else { "Disable" }}
                                        </button>
                                        <button on:click=move |_| reset(for_reset.clone())>"Reset password"</button>
                                    </div></td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn Units() -> impl IntoView {
    let state = use_app();
    let units = RwSignal::new(Vec::<AdminUnit>::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let load = move || {
        let token = state.token();
        leptos::task::spawn_local(async move {
            match admin::units(&token).await {
                Ok(list) => units.set(list),
                Err(e) => message.set(Some(Err(explain(e)))),
            }
        });
    };
    load();
    let callsign = RwSignal::new(String::new());
    let kind = RwSignal::new(UnitKind::Ems);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new = NewUnit {
            callsign: callsign.get().trim().to_owned(),
            kind: kind.get(),
        };
        let token = state.token();
        leptos::task::spawn_local(async move {
            match admin::create_unit(&token, &new).await {
                Ok(unit) => {
                    message.set(Some(Ok(format!("Unit {} created.", unit.callsign))));
                    callsign.set(String::new());
                    load();
                }
                Err(e) => message.set(Some(Err(explain(e)))),
            }
        });
    };
    let change = move |id: i64, change: UnitChange, done: &'static str| {
        let token = state.token();
        leptos::task::spawn_local(async move {
            match admin::change_unit(&token, id, &change).await {
                Ok(unit) => {
                    message.set(Some(Ok(format!("{}: {done}.", unit.callsign))));
                    load();
                }
                Err(e) => message.set(Some(Err(explain(e)))),
            }
        });
    };
    view! {
        <div class="admin-section">
            {message_view(message)}
            <form class="admin-form" on:submit=create>
                <h2>"New unit"</h2>
                <label>"Callsign"
                    <input name="new-callsign" autocapitalize="characters" prop:value=callsign
                        on:input=move |ev| callsign.set(event_target_value(&ev)) required/>
                </label>
                <label>"Kind"
                    <select name="new-kind" on:change=move |ev| {
                        if let Some(k) = UnitKind::parse(&event_target_value(&ev)) { kind.set(k) }
                    }>
                        {KINDS.into_iter().map(|k| view! { <option value=k.as_str()>{k.as_str()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="primary">"Create unit"</button>
            </form>
            <table class="admin-table" data-testid="units">
                <thead><tr><th>"Callsign"</th><th>"Kind"</th><th>"State"</th><th>"Actions"</th></tr></thead>
                <tbody>
                    <For each=move || units.get() key=|u| (u.id, u.callsign.clone(), u.retired) let:unit>
                        {
                            let id = unit.id;
                            let new_callsign = RwSignal::new(unit.callsign.clone());
                            let retired = unit.retired;
                            view! {
                                <tr data-callsign=unit.callsign.clone()>
                                    <td><div class="cell-edit">
                                        <input aria-label=format!("Callsign of {}", unit.callsign) prop:value=new_callsign
                                            on:input=move |ev| new_callsign.set(event_target_value(&ev))/>
                                        <button on:click=move |_| change(id, UnitChange { callsign: Some(new_callsign.get()), ..UnitChange::default() }, "renamed")>"Rename"</button>
                                    </div></td>
                                    <td>{unit.kind.as_str()}</td>
                                    <td>{if retired { "retired" } else { "in service" }}</td>
                                    <td>
                                        <button on:click=move |_| change(id, UnitChange { retired: Some(!retired), ..UnitChange::default() },
                                            if retired { "back in service" } else { "retired" })>
                                            {if retired { "Return to service" } else { "Retire" }}
                                        </button>
                                    </td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn Natures() -> impl IntoView {
    let state = use_app();
    let natures = RwSignal::new(Vec::<Nature>::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let load = move || {
        let token = state.token();
        leptos::task::spawn_local(async move {
            match api::natures(&token).await {
                Ok(list) => natures.set(list),
                Err(e) => message.set(Some(Err(explain(e)))),
            }
        });
    };
    load();
    let code = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let priority = RwSignal::new(3u8);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let nature = Nature {
            code: code.get().trim().to_uppercase(),
            label: label.get().trim().to_owned(),
            default_priority: priority.get(),
        };
        if let Err(reason) = nature.check() {
            message.set(Some(Err(reason)));
            return;
        }
        let token = state.token();
        leptos::task::spawn_local(async move {
            match admin::put_nature(&token, &nature).await {
                Ok(saved) => {
                    message.set(Some(Ok(format!("{} saved.", saved.code))));
                    load();
                }
                Err(e) => message.set(Some(Err(explain(e)))),
            }
        });
    };
    view! {
        <div class="admin-section">
            {message_view(message)}
            <form class="admin-form" on:submit=save>
                <h2>"Add or change a nature"</h2>
                <label>"Code"
                    <input name="nature-code" autocapitalize="characters" prop:value=code
                        on:input=move |ev| code.set(event_target_value(&ev)) required/>
                </label>
                <label>"Label"
                    <input name="nature-label" prop:value=label on:input=move |ev| label.set(event_target_value(&ev)) required/>
                </label>
                <label>"Default priority"
                    <select name="nature-priority" prop:value=move || priority.get().to_string() on:change=move |ev| {
                        if let Ok(p) = event_target_value(&ev).parse() { priority.set(p) }
                    }>
                        {(1u8..=5).map(|p| view! { <option value=p.to_string()>{format!("P{p}")}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="primary">"Save nature"</button>
            </form>
            <table class="admin-table" data-testid="natures">
                <thead><tr><th>"Code"</th><th>"Label"</th><th>"Default priority"</th><th></th></tr></thead>
                <tbody>
                    {move || natures.get().into_iter().map(|n| {
                        let edit = n.clone();
                        view! {
                            <tr>
                                <td>{n.code.clone()}</td>
                                <td>{n.label.clone()}</td>
                                <td>{format!("P{}", n.default_priority)}</td>
                                <td><button on:click=move |_| {
                                    code.set(edit.code.clone());
                                    label.set(edit.label.clone());
                                    priority.set(edit.default_priority);
                                }>"Edit"</button></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// "20 min", "1 min 30 s", "45 s".
fn span(seconds: u32) -> String {
    match (seconds / 60, seconds % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// The agency's emergency number and check-in timers, edited here and saved in one piece.
#[component]
fn Safety() -> impl IntoView {
    let state = use_app();
    let phone = RwSignal::new(String::new());
    let details = RwSignal::new(false);
    let interval = RwSignal::new(tenfour_protocol::position::DEFAULT_INTERVAL_S);
    let rules = RwSignal::new(Vec::<CheckInRule>::new());
    let loaded = RwSignal::new(false);
    let message = RwSignal::new(None::<Result<String, String>>);
    let show = move |settings: SafetySettings| {
        phone.set(settings.emergency_phone);
        details.set(settings.push_details);
        interval.set(settings.position_interval_s);
        rules.set(settings.check_in);
        loaded.set(true);
    };
    let token = state.token();
    leptos::task::spawn_local(async move {
        match admin::safety(&token).await {
            Ok(settings) => show(settings),
            Err(e) => message.set(Some(Err(explain(e)))),
        }
    });
    let timed: Vec<StatusCode> = StatusCode::ALL
        .into_iter()
        .filter(|s| s.is_committed())
        .collect();
    let status = RwSignal::new(StatusCode::OnScene);
    let priority = RwSignal::new(None::<u8>);
    let every = RwSignal::new(20u32);
    let warn = RwSignal::new(2u32);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let rule = CheckInRule {
            status: status.get(),
            priority: priority.get(),
            every_seconds: every.get().saturating_mul(60),
            warn_seconds: warn.get().saturating_mul(60),
        };
        let mut next = rules.get();
        // The same status and priority again: the new timer replaces the old.
        next.retain(|r| (r.status, r.priority) != (rule.status, rule.priority));
        next.push(rule);
        match tenfour_protocol::admin::check_rules(&next) {
            Ok(()) => {
                rules.set(next);
                message.set(Some(Ok(
                    "Timer added: press Save to put it in force.".into()
                )));
            }
            Err(reason) => message.set(Some(Err(reason))),
        }
    };
    let save = move |_| {
        let settings = SafetySettings {
            emergency_phone: phone.get().trim().to_owned(),
            check_in: rules.get(),
            push_details: details.get(),
            position_interval_s: interval.get(),
        };
        if let Err(reason) = settings.check() {
            message.set(Some(Err(reason)));
            return;
        }
        let token = state.token();
        leptos::task::spawn_local(async move {
            match admin::put_safety(&token, &settings).await {
                Ok(saved) => {
                    show(saved);
                    message.set(Some(Ok(
                        "Saved: running timers follow the new rules now.".into()
                    )));
                }
                Err(e) => message.set(Some(Err(explain(e)))),
            }
        });
    };
    let number = |v: &str| v.parse::<u32>().ok();
    view! {
        <div class="admin-section" data-testid="safety">
            {message_view(message)}
            <div class="admin-form">
                <h2>"Emergency number"</h2>
                <p class="hint">"Offered to a crew as a call and a text while their emergency has not reached the hub. Leave empty for none."</p>
                <label>"Phone"
                    <input name="emergency-phone" type="tel" prop:value=phone
                        on:input=move |ev| phone.set(event_target_value(&ev))/>
                </label>
            </div>
            <div class="admin-form">
                <h2>"Pocket alerts"</h2>
                <p class="hint">"Phones show pocket alerts on the lock screen. By default they say only that a call has a new note; the caller's name never appears."</p>
                <label class="inline">
                    <input type="checkbox" name="push-details" prop:checked=details
                        on:change=move |ev| details.set(event_target_checked(&ev))/>
                    "Show the text of dispatchers' notes in pocket alerts"
                </label>
            </div>
            <div class="admin-form">
                <h2>"Position reports"</h2>
                <p class="hint">"While a crew with location on is on a call, its device sends where it is at once after moving 50 m, and at this interval when standing still. Shorter follows a crew in trouble more closely; longer spends less of the crews' data."</p>
                <label>{format!("Standing still, every (seconds, {}–{})", tenfour_protocol::position::INTERVAL_RANGE_S.start(), tenfour_protocol::position::INTERVAL_RANGE_S.end())}
                    <input name="position-interval" type="number" inputmode="numeric"
                        min=tenfour_protocol::position::INTERVAL_RANGE_S.start().to_string()
                        max=tenfour_protocol::position::INTERVAL_RANGE_S.end().to_string()
                        prop:value=move || interval.get().to_string()
                        on:input=move |ev| if let Some(n) = number(&event_target_value(&ev)) { interval.set(n) }/>
                </label>
            </div>
            <h2>"Check-in timers"</h2>
            <p class="hint">"While a unit is in a timed status on a call it must check in at this interval; its device asks before. A timer for one priority wins over the one for any."</p>
            <table class="admin-table" data-testid="check-in-rules">
                <thead><tr><th>"Status"</th><th>"Calls"</th><th>"Check in every"</th><th>"Ask before"</th><th></th></tr></thead>
                <tbody>
                    {move || rules.get().into_iter().map(|r| {
                        let key = (r.status, r.priority);
                        let name = format!("Remove {} {}", r.status.label(), r.priority.map_or("any".into(), |p| format!("P{p}")));
                        view! {
                            <tr>
                                <td>{r.status.label()}</td>
                                <td>{r.priority.map_or("Any priority".into(), |p| format!("P{p}"))}</td>
                                <td>{span(r.every_seconds)}</td>
                                <td>{span(r.warn_seconds)}</td>
                                <td><button aria-label=name on:click=move |_| {
                                    rules.update(|list| list.retain(|r| (r.status, r.priority) != key));
                                    message.set(Some(Ok("Timer removed: press Save to put it in force.".into())));
                                }>"Remove"</button></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {move || (loaded.get() && rules.with(Vec::is_empty)).then(|| view! {
                <p class="empty">"No timers: units are never asked to check in."</p>
            })}
            <form class="admin-form" on:submit=add>
                <h2>"Add or change a timer"</h2>
                <label>"Status"
                    <select name="timer-status" on:change=move |ev| {
                        if let Some(s) = StatusCode::parse(&event_target_value(&ev)) { status.set(s) }
                    }>
                        {timed.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=move || status.get() == s>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Calls"
                    <select name="timer-priority" on:change=move |ev| priority.set(event_target_value(&ev).parse().ok())>
                        <option value="">"Any priority"</option>
                        {(1u8..=5).map(|p| view! { <option value=p.to_string()>{format!("P{p}")}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Check in every (minutes)"
                    <input name="timer-every" type="number" inputmode="numeric" min="1" max="1440"
                        prop:value=move || every.get().to_string()
                        on:input=move |ev| if let Some(n) = number(&event_target_value(&ev)) { every.set(n) }/>
                </label>
                <label>"Ask before (minutes)"
                    <input name="timer-warn" type="number" inputmode="numeric" min="0" max="1439"
                        prop:value=move || warn.get().to_string()
                        on:input=move |ev| if let Some(n) = number(&event_target_value(&ev)) { warn.set(n) }/>
                </label>
                <button type="submit">"Add timer"</button>
            </form>
            <button class="primary" data-testid="save-safety" on:click=save>"Save safety settings"</button>
        </div>
    }
}

#[component]
fn Roster() -> impl IntoView {
    let state = use_app();
    let text = RwSignal::new(format!("{ROSTER_HEADER}\n"));
    let message = RwSignal::new(None::<Result<String, String>>);
    let report = RwSignal::new(None::<RosterReport>);
    let busy = RwSignal::new(false);
    let pick = move |ev: leptos::ev::Event| {
        let Some(file) = picked_file(&ev) else {
            return;
        };
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(content) => text.set(content.as_string().unwrap_or_default()),
                Err(_) => message.set(Some(Err("That file could not be read.".into()))),
            }
        });
    };
    let import = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get() {
            return;
        }
        busy.set(true);
        report.set(None);
        let (token, csv) = (state.token(), text.get());
        leptos::task::spawn_local(async move {
            match admin::import_roster(&token, csv).await {
                Ok(done) => {
                    message.set(Some(Ok(format!(
                        "Imported {} users and {} units.",
                        done.users.len(),
                        done.units.len()
                    ))));
                    report.set(Some(done));
                }
                Err(e) => message.set(Some(Err(explain(e)))),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="admin-section">
            <form class="admin-form roster" on:submit=import>
                <h2>"Import a roster (CSV)"</h2>
                <p class="hint">
                    "First line: " <code>{ROSTER_HEADER}</code>
                    ". Then one line per user (" <code>"user,medic3,Pat Doe,responder,,"</code>
                    ") or unit (" <code>"unit,,,,M16,ems"</code>
                    "). The whole file is checked first: if any line is wrong, nothing is imported and each wrong line is named."
                </p>
                <label>"CSV file"
                    <input type="file" name="roster-file" accept=".csv,text/csv" on:change=pick/>
                </label>
                <label>"Or paste it here"
                    <textarea name="roster-text" rows="8" prop:value=text
                        on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                </label>
                <button type="submit" class="primary" disabled=move || busy.get()>"Check and import"</button>
            </form>
            {message_view(message)}
            {move || report.get().filter(|r| !r.users.is_empty()).map(|r| view! {
                <div class="notice" data-testid="roster-passwords">
                    <p>"Temporary passwords, shown once: hand them over now."</p>
                    <table class="admin-table">
                        <thead><tr><th>"Username"</th><th>"Temporary password"</th></tr></thead>
                        <tbody>
                            {r.users.into_iter().map(|t| view! {
                                <tr><td>{t.user.username}</td><td><code class="secret">{t.temporary_password}</code></td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </div>
    }
}

/// The file chosen in a file input.
fn picked_file(ev: &leptos::ev::Event) -> Option<web_sys::File> {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .and_then(|input| input.files())
        .and_then(|files| files.get(0))
}

/// The agency's map pack: what devices store, and replacing it with the agency's own.
#[component]
fn MapPackAdmin() -> impl IntoView {
    let state = use_app();
    let message = RwSignal::new(None::<Result<String, String>>);
    let pack = RwSignal::new(None::<Option<tenfour_protocol::wire::MapPack>>);
    let busy = RwSignal::new(false);
    let load = move || {
        let token = state.token();
        leptos::task::spawn_local(async move {
            match api::map::pack(&token).await {
                Ok(found) => pack.set(Some(found)),
                Err(e) => message.set(Some(Err(explain(e)))),
            }
        });
    };
    load();
    let upload = move |ev: leptos::ev::Event| {
        let Some(file) = picked_file(&ev) else {
            return;
        };
        busy.set(true);
        message.set(Some(Ok(format!(
            "Uploading {} ({})…",
            file.name(),
            crate::sync::map_pack::size_text(file.size() as u64)
        ))));
        let token = state.token();
        leptos::task::spawn_local(async move {
            match admin::upload_map(&token, &file).await {
                Ok(done) => {
                    message.set(Some(Ok(format!(
                        "Uploaded: devices download the new map ({}) the next time they are online.",
                        crate::sync::map_pack::size_text(done.size)
                    ))));
                    pack.set(Some(Some(done)));
                }
                Err(e) => message.set(Some(Err(explain(e)))),
            }
            busy.set(false);
        });
    };
    let remove = move |_| {
        let token = state.token();
        leptos::task::spawn_local(async move {
            match admin::remove_map(&token).await {
                Ok(()) => {
                    message.set(Some(Ok("Removed: the hub's own map applies again.".into())));
                    load();
                }
                Err(e) => message.set(Some(Err(explain(e)))),
            }
        });
    };
    view! {
        <div class="admin-section" data-testid="map-admin">
            <h2>"Map pack"</h2>
            {move || match pack.get() {
                None => view! { <p class="muted">"Looking…"</p> }.into_any(),
                Some(None) => view! { <p>"Your agency has no map yet: devices show the address and Navigate only."</p> }.into_any(),
                Some(Some(p)) => view! {
                    <p data-testid="map-admin-pack">{format!(
                        "{} · zoom {}–{} · from {:.3}, {:.3} to {:.3}, {:.3}",
                        crate::sync::map_pack::size_text(p.size), p.min_zoom, p.max_zoom,
                        p.south, p.west, p.north, p.east
                    )}</p>
                }.into_any(),
            }}
            <form class="admin-form" on:submit=|ev| ev.prevent_default()>
                <p class="hint">"One PMTiles file (version 3, vector tiles) covering the agency's area, for example cut from a Protomaps build with "<code>"pmtiles extract --bbox"</code>". Every device stores it after sign-in and draws from it with no network."</p>
                <label>"Upload the agency's map"
                    <input type="file" name="map-file" accept=".pmtiles" on:change=upload disabled=move || busy.get()/>
                </label>
                <button type="button" on:click=remove disabled=move || busy.get()>"Remove the agency's own map"</button>
            </form>
            {message_view(message)}
        </div>
    }
}

/// Date and time in the device's zone, for a log that spans days: "2026-11-28 14:02".
fn when(at: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

const AUDIT_ACTIONS: [&str; 18] = [
    "sign_in",
    "sign_in_failed",
    "password_changed",
    "password_reset",
    "user_created",
    "user_renamed",
    "user_role_changed",
    "user_disabled",
    "user_enabled",
    "unit_created",
    "unit_renamed",
    "unit_retired",
    "unit_returned",
    "nature_saved",
    "roster_imported",
    "safety_saved",
    "map_uploaded",
    "map_removed",
];

#[component]
fn Audit() -> impl IntoView {
    let state = use_app();
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let action = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let load = move || {
        let (token, a, t) = (state.token(), action.get_untracked(), text.get_untracked());
        leptos::task::spawn_local(async move {
            match admin::audit(&token, &a, t.trim()).await {
                Ok(list) => {
                    message.set(None);
                    entries.set(list);
                }
                Err(e) => message.set(Some(Err(explain(e)))),
            }
        });
    };
    load();
    let filter = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        load();
    };
    view! {
        <div class="admin-section">
            <form class="admin-filter" on:submit=filter>
                <label>"Action"
                    <select name="audit-action" on:change=move |ev| { action.set(event_target_value(&ev)); load(); }>
                        <option value="">"All"</option>
                        {AUDIT_ACTIONS.into_iter().map(|a| view! { <option value=a>{a.replace('_', " ")}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Who or what"
                    <input name="audit-text" prop:value=text on:input=move |ev| text.set(event_target_value(&ev))/>
                </label>
                <button type="submit">"Filter"</button>
            </form>
            {message_view(message)}
            <table class="admin-table" data-testid="audit">
                <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Target"</th><th>"Detail"</th><th>"From"</th></tr></thead>
                <tbody>
                    {move || entries.get().into_iter().map(|e| view! {
                        <tr>
                            <td>{when(e.at)}</td>
                            <td><bdi>{e.actor}</bdi></td>
                            <td>{e.action.replace('_', " ")}</td>
                            <td><bdi>{e.target}</bdi></td>
                            <td><bdi>{e.detail}</bdi></td>
                            <td>{e.address.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Choosing one's own password: after a temporary one (`required`), or whenever one likes.
#[component]
pub fn ChangePassword(
    /// The current password, when the sign-in just typed it (the temporary one).
    #[prop(optional)]
    current: Option<String>,
    token: String,
    /// Called with the session once the new password is in force.
    on_done: Callback<tenfour_protocol::wire::SessionInfo>,
) -> impl IntoView {
    let knows_current = current.is_some();
    let current = RwSignal::new(current.unwrap_or_default());
    let new = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let username = use_app()
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.info.user.username.clone()))
        .unwrap_or_default();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get() {
            return;
        }
        let (old, new_password) = (current.get(), new.get());
        if new_password != repeat.get() {
            error.set(Some(
                "The two new passwords differ; type the same one twice.".into(),
            ));
            return;
        }
        if let Err(reason) = tenfour_protocol::admin::check_password(&new_password, &username) {
            error.set(Some(format!("New password: {reason}.")));
            return;
        }
        busy.set(true);
        error.set(None);
        let token = token.clone();
        leptos::task::spawn_local(async move {
            match api::change_password(&token, &old, &new_password).await {
                Ok(info) => on_done.run(info),
                Err(e) => error.set(Some(explain(e))),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="form" on:submit=submit data-testid="change-password">
            <h1>"Choose your password"</h1>
            <p class="hint">"At least 12 characters. A few words with spaces make a good one; the most common passwords are refused."</p>
            {(!knows_current).then(|| view! {
                <label>"Current password"
                    <input name="current-password" type="password" autocomplete="current-password"
                        prop:value=current on:input=move |ev| current.set(event_target_value(&ev)) required/>
                </label>
            })}
            <label>"New password"
                <input name="new-password" type="password" autocomplete="new-password"
                    prop:value=new on:input=move |ev| new.set(event_target_value(&ev)) required/>
            </label>
            <label>"New password again"
                <input name="repeat-password" type="password" autocomplete="new-password"
                    prop:value=repeat on:input=move |ev| repeat.set(event_target_value(&ev)) required/>
            </label>
            <button type="submit" class="primary" disabled=move || busy.get()>
                {move || if busy.get() { "Saving…" } else { "Save password" }}
            </button>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </form>
    }
}
