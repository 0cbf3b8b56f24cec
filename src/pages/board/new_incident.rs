//! The new-incident form, with a draft kept on the device.

use super::*;

#[component]
pub(super) fn NewIncidentForm(
    on_created: impl Fn(i64) + Copy + Send + Sync + 'static,
    on_discard: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let state = use_app();
    // The common list at once (the form works offline), then the agency's own.
    let natures = RwSignal::new(
        NATURES
            .iter()
            .map(|(code, label)| Nature {
                code: (*code).to_owned(),
                label: (*label).to_owned(),
                default_priority: 3,
            })
            .collect::<Vec<_>>(),
    );
    {
        let token = state.token();
        leptos::task::spawn_local(async move {
            if let Ok(own) = api::natures(&token).await {
                natures.set(own);
            }
        });
    }
    // Every field is a draft kept on the device until the incident is created or the draft
    // discarded: a reload in the middle of a call loses nothing.
    let nature = draft_or("new-incident.nature", NATURES[0].0);
    let nature_text = draft("new-incident.nature_text");
    let priority = draft_or("new-incident.priority", "3");
    let address = draft("new-incident.address");
    let latitude = draft("new-incident.latitude");
    let longitude = draft("new-incident.longitude");
    let caller = draft("new-incident.caller_name");
    let callback = draft("new-incident.callback");
    let cautions = draft("new-incident.cautions");
    let notes = draft("new-incident.caller_notes");
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let coordinate = |text: String, what: &str| -> Result<Option<f64>, String> {
        let text = text.trim().to_owned();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| format!("{what} must be a number, like 45.52"))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (lat, lon) = match (
            coordinate(latitude.get(), "Latitude"),
            coordinate(longitude.get(), "Longitude"),
        ) {
            (Ok(lat), Ok(lon)) => (lat, lon),
            (Err(e), _) | (_, Err(e)) => {
                error.set(Some(e));
                return;
            }
        };
        let new = NewIncident {
            nature_code: nature.get(),
            nature_text: Some(nature_text.get()).filter(|t| !t.trim().is_empty()),
            priority: priority.get().parse().unwrap_or(3),
            address: address.get(),
            latitude: lat,
            longitude: lon,
            caller_name: caller.get(),
            callback: callback.get(),
            cautions: cautions
                .get()
                .lines()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            caller_notes: Some(notes.get()).filter(|n| !n.trim().is_empty()),
        };
        busy.set(true);
        error.set(None);
        let token = state.token();
        leptos::task::spawn_local(async move {
            match api::dispatch::create(&token, &new).await {
                Ok(incident) => {
                    forget("new-incident.");
                    engine::kick();
                    // Last: this closes the form, and with it these signals.
                    on_created(incident.id);
                }
                Err(err) => {
                    error.set(Some(explain(err)));
                    busy.set(false);
                }
            }
        });
    };
    let text_input = |label: &'static str, name: &'static str, value: RwSignal<String>| {
        view! {
            <label>{label}
                <input name=name prop:value=value on:input=move |ev| value.set(event_target_value(&ev))/>
            </label>
        }
    };
    view! {
        <form class="form new-incident" on:submit=submit data-testid="new-incident">
            <label>"Nature"
                <select name="nature" prop:value=nature on:change=move |ev| {
                    let code = event_target_value(&ev);
                    // The nature's usual priority, which the dispatcher may still change.
                    if let Some(p) = natures.with(|all| all.iter().find(|n| n.code == code).map(|n| n.default_priority)) {
                        priority.set(p.to_string());
                    }
                    nature.set(code);
                }>
                    {move || natures.get().into_iter().map(|n| view! { <option value=n.code.clone()>{n.label.clone()}</option> }).collect_view()}
                </select>
            </label>
            {text_input("Nature details", "nature_text", nature_text)}
            <label>"Priority"
                <select name="priority" prop:value=priority on:change=move |ev| priority.set(event_target_value(&ev))>
                    {(1..=5).map(|p| view! { <option value=p.to_string()>{format!("P{p}")}</option> }).collect_view()}
                </select>
            </label>
            {text_input("Address", "address", address)}
            <div class="row">
                {text_input("Latitude", "latitude", latitude)}
                {text_input("Longitude", "longitude", longitude)}
            </div>
            {text_input("Caller", "caller_name", caller)}
            {text_input("Callback number", "callback", callback)}
            <label>"Cautions (one per line)"
                <textarea name="cautions" rows="2" prop:value=cautions on:input=move |ev| cautions.set(event_target_value(&ev))></textarea>
            </label>
            <label>"Caller notes"
                <textarea name="caller_notes" rows="3" prop:value=notes on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
            </label>
            <div class="row">
                <button type="submit" class="primary" disabled=move || busy.get()>"Create incident"</button>
                <button type="button" class="secondary" on:click=move |_| {
                    for field in [nature_text, address, latitude, longitude, caller, callback, cautions, notes] {
                        field.set(String::new());
                    }
                    forget("new-incident.");
                    on_discard();
                }>"Discard draft"</button>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </form>
    }
}
