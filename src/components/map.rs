//! A map: the agency's pack drawn by the map code (`public/map/map.js`, Leaflet and
//! protomaps-leaflet), which is loaded the first time a map opens, never with the app's first
//! screen. It draws from the pack stored on the device, or from the hub while that download
//! is still on its way; with neither it says what to do instead of showing a blank square.
//! Markers follow a signal.

use crate::state::use_app;
use crate::sync::map_pack::{PackState, size_text, use_map_packs};
use leptos::prelude::*;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// One point on the map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Marker {
    pub id: String,
    /// "incident", "me" or "unit".
    pub kind: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub label: String,
    /// Fill colour (CSS), when the kind's own is not enough (a unit's status).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub colour: Option<&'static str>,
    /// An old position: drawn faded.
    pub stale: bool,
    /// Chosen in a list beside the map: drawn larger, ringed.
    pub selected: bool,
}

/// The colour a unit's marker has for its status (as the board's status pills).
pub fn status_colour(status: tenfour_protocol::StatusCode) -> &'static str {
    use tenfour_protocol::StatusCode;
    match status {
        StatusCode::Available => "#2e7d32",
        StatusCode::Dispatched | StatusCode::Acknowledged => "#f9a825",
        StatusCode::EnRoute => "#ef6c00",
        StatusCode::OnScene => "#c62828",
        StatusCode::Transporting | StatusCode::AtHospital => "#6a1b9a",
        StatusCode::OutOfService => "#616161",
    }
}

/// The colour of a position too old to trust.
pub const STALE_COLOUR: &str = "#9e9e9e";

/// A label that fits beside a marker on a phone.
pub fn short(text: &str) -> String {
    const MAX: usize = 22;
    if text.chars().count() <= MAX {
        return text.to_owned();
    }
    let cut: String = text.chars().take(MAX - 1).collect();
    format!("{}…", cut.trim_end())
}

fn window() -> Result<web_sys::Window, JsValue> {
    web_sys::window().ok_or_else(|| JsValue::from_str("no window"))
}

/// Calls `target.name(args…)`.
fn call(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let function: js_sys::Function = js_sys::Reflect::get(target, &name.into())?.dyn_into()?;
    function.apply(target, &args.iter().collect::<js_sys::Array>())
}

/// `window.tenfourMap`, loading the map code first if this page has not yet.
async fn map_code() -> Result<JsValue, JsValue> {
    let window = window()?;
    let mut code = js_sys::Reflect::get(&window, &"tenfourMap".into())?;
    if code.is_undefined() {
        let document = window.document().ok_or("no document")?;
        let script: web_sys::HtmlScriptElement = document.create_element("script")?.dyn_into()?;
        script.set_src("/map/map.js");
        let loaded = js_sys::Promise::new(&mut |resolve, reject| {
            script.set_onload(Some(&resolve));
            script.set_onerror(Some(&reject));
        });
        document.head().ok_or("no head")?.append_child(&script)?;
        JsFuture::from(loaded)
            .await
            .map_err(|_| JsValue::from_str("the map code is not on this device yet"))?;
        code = js_sys::Reflect::get(&window, &"tenfourMap".into())?;
    }
    let ready: js_sys::Promise = js_sys::Reflect::get(&code, &"ready".into())?.dyn_into()?;
    JsFuture::from(ready).await?;
    Ok(code)
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| JsValue::from_str(&e.to_string()))?;
    js_sys::JSON::parse(&text)
}

/// Whether the night palette is in force (chosen, or the device's dark mode).
fn night() -> bool {
    match crate::theme::current().as_str() {
        "night" => true,
        "day" => false,
        _ => web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|q| q.matches()),
    }
}

#[derive(Serialize)]
struct Stored<'a> {
    folder: &'a str,
    chunk: u64,
    size: u64,
}

#[derive(Serialize)]
struct Hub<'a> {
    url: &'a str,
    token: &'a str,
}

#[derive(Serialize)]
struct Options<'a> {
    stored: Option<Stored<'a>>,
    hub: Option<Hub<'a>>,
    pack: &'a tenfour_protocol::wire::MapPack,
    night: bool,
    /// Where the map first looks (the markers), so that it draws that place first.
    points: Vec<[f64; 2]>,
    max_zoom: u8,
}

/// The map. `markers` are drawn and kept current; whenever one appears that was not there,
/// the view shows them all (no closer than `max_zoom`). A tap on a marker calls `on_select`
/// with its id; when `focus` names a place out of view, the map moves to it.
#[component]
pub fn MapView(
    #[prop(into)] markers: Signal<Vec<Marker>>,
    max_zoom: u8,
    #[prop(optional)] on_select: Option<Callback<String>>,
    #[prop(optional, into)] focus: Option<Signal<Option<(f64, f64)>>>,
) -> impl IntoView {
    let state = use_app();
    let packs = use_map_packs();
    let element = NodeRef::<leptos::html::Div>::new();
    let handle = StoredValue::new_local(None::<JsValue>);
    let problem = RwSignal::new(None::<String>);
    let opened = RwSignal::new(false);
    // The markers the view was last fitted to: a new one (the crew's position arriving, a
    // unit joining) fits the view again; one moving does not.
    let fitted = StoredValue::new(Vec::<String>::new());
    // The marker tap handler, alive as long as the map.
    let tapped = StoredValue::new_local(None::<wasm_bindgen::closure::Closure<dyn Fn(String)>>);

    // Which pack to draw from: stored, else the hub's while online. Opened once.
    let source = move || {
        let stored = packs.stored.get_untracked();
        let online = matches!(
            state.link.get_untracked(),
            crate::state::Link::Online | crate::state::Link::Syncing
        );
        (stored, online)
    };
    Effect::new(move |_| {
        let Some(div) = element.get() else { return };
        if handle.with_value(Option::is_some) || opened.get_untracked() {
            return;
        }
        opened.set(true);
        let (stored, online) = source();
        let token = state.token();
        leptos::task::spawn_local(async move {
            let pack = match (&stored, online) {
                (Some(s), _) => s.pack.clone(),
                (None, true) => match crate::api::map::pack(&token).await {
                    Ok(Some(pack)) => pack,
                    Ok(None) => {
                        problem.set(Some("Your agency has no map yet.".into()));
                        return;
                    }
                    Err(err) => {
                        problem.set(Some(format!(
                            "The map could not be opened: {}",
                            err.message()
                        )));
                        return;
                    }
                },
                (None, false) => {
                    problem.set(Some(
                        "The map is not stored on this device yet. It downloads by itself \
                         once you are online; use Navigate meanwhile."
                            .into(),
                    ));
                    return;
                }
            };
            let options = Options {
                stored: stored.as_ref().map(|s| Stored {
                    folder: &s.folder,
                    chunk: crate::sync::map_pack::CHUNK,
                    size: s.pack.size,
                }),
                hub: stored.is_none().then_some(Hub {
                    url: "/api/map/pack",
                    token: &token,
                }),
                pack: &pack,
                night: night(),
                points: markers
                    .with_untracked(|list| list.iter().map(|m| [m.lat, m.lon]).collect()),
                max_zoom,
            };
            let opening = async {
                let code = map_code().await?;
                let promise: js_sys::Promise =
                    call(&code, "open", &[div.clone().into(), to_js(&options)?])?.dyn_into()?;
                JsFuture::from(promise).await
            };
            match opening.await {
                Ok(map) => {
                    if let Some(on_select) = on_select {
                        let closure = wasm_bindgen::closure::Closure::<dyn Fn(String)>::new(
                            move |id: String| on_select.run(id),
                        );
                        let _ = js_sys::Reflect::set(&map, &"onSelect".into(), closure.as_ref());
                        tapped.set_value(Some(closure));
                    }
                    handle.set_value(Some(map));
                    // Draw what is there now; the effect below keeps it current.
                    show(handle, markers.get_untracked(), fitted, max_zoom);
                }
                Err(err) => {
                    leptos::logging::warn!("map: {err:?}");
                    problem.set(Some(
                        "The map could not be drawn on this device; use Navigate.".into(),
                    ));
                }
            }
        });
    });
    Effect::new(move |_| {
        let list = markers.get();
        show(handle, list, fitted, max_zoom);
    });
    Effect::new(move |_| {
        let Some((lat, lon)) = focus.and_then(|f| f.get()) else {
            return;
        };
        if let Some(map) = handle.get_value() {
            let _ = call(&map, "focus", &[lat.into(), lon.into()]);
        }
    });
    on_cleanup(move || {
        if let Some(map) = handle.try_update_value(Option::take).flatten() {
            let _ = call(&map, "remove", &[]);
        }
        tapped.try_update_value(Option::take);
    });
    view! {
        <div class="map-frame">
            <div class="map" node_ref=element data-testid="map" aria-label="Map"
                class:hidden=move || problem.with(Option::is_some)></div>
            {move || problem.get().map(|why| view! {
                <p class="map-problem" role="status" data-testid="map-problem">{why}</p>
            })}
        </div>
    }
}

fn show(
    handle: StoredValue<Option<JsValue>, LocalStorage>,
    list: Vec<Marker>,
    fitted: StoredValue<Vec<String>>,
    max_zoom: u8,
) {
    let Some(map) = handle.get_value() else {
        return;
    };
    if let Ok(js) = to_js(&list) {
        let _ = call(&map, "setMarkers", &[js]);
    }
    let new_one = fitted.with_value(|ids| list.iter().any(|m| !ids.contains(&m.id)));
    if new_one {
        let points: Vec<[f64; 2]> = list.iter().map(|m| [m.lat, m.lon]).collect();
        if let Ok(js) = to_js(&points) {
            let _ = call(&map, "fit", &[js, JsValue::from(max_zoom)]);
            fitted.set_value(list.iter().map(|m| m.id.clone()).collect());
        }
    }
}

/// Where the pack download stands, in a line: stored, how far along, or why it waits.
#[component]
pub fn MapPackStatus() -> impl IntoView {
    let packs = use_map_packs();
    let text = move || match packs.state.get() {
        PackState::Unknown => "The map is stored on this device once you are online.".to_owned(),
        PackState::NoPack => "Your agency has no map yet.".to_owned(),
        PackState::Downloading { have, total } => format!(
            "Storing the map for offline use: {}% of {}",
            percent(have, total),
            size_text(total)
        ),
        PackState::Paused { have, total, why } => format!(
            "Map download paused at {}% of {} ({why}); it goes on by itself",
            percent(have, total),
            size_text(total)
        ),
        PackState::Stored => match packs.stored.get() {
            Some(s) => format!(
                "Map stored on this device ({}): works offline",
                size_text(s.pack.size)
            ),
            None => "Map stored on this device: works offline".to_owned(),
        },
    };
    let stored = move || packs.state.with(|s| *s == PackState::Stored);
    view! {
        <p class="map-pack" data-testid="map-pack" class:stored=stored role="status">{text}</p>
    }
}

fn percent(have: u64, total: u64) -> u64 {
    (have * 100).checked_div(total).unwrap_or(0)
}
