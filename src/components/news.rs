//! Changes to the calls the crew is on, which must not arrive silently: a banner that stays
//! until the crew says it has seen it, with one vibration and sound per arrival.

use crate::components::alert::ring;
use crate::state::use_app;
use leptos::prelude::*;
use leptos_router::components::A;

/// How many changes the banner lists at once; the rest are counted.
const SHOWN: usize = 3;

#[component]
pub fn NewsBanner() -> impl IntoView {
    let state = use_app();
    let heard = StoredValue::new(0usize);
    Effect::new(move |_| {
        let count = state.news.with(Vec::len);
        if count > heard.get_value() {
            ring();
        }
        heard.set_value(count);
    });
    let more = move || state.news.with(Vec::len).saturating_sub(SHOWN);
    view! {
        <Show when=move || state.news.with(|n| !n.is_empty())>
            <section class="news" role="alert" aria-label="Changes to your calls" data-testid="news">
                <ul>
                    {move || state.news.get().into_iter().rev().take(SHOWN).map(|item| {
                        let (ending, href, headline) =
                            (item.is_ending(), format!("/incident/{}", item.incident_id), item.headline());
                        view! {
                            <li class="news-item" class:ending=ending>
                                <A href=href><bdi>{headline}</bdi></A>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <Show when=move || { more() > 0 }>
                    <p class="news-more">{move || format!("and {} more", more())}</p>
                </Show>
                <button class="primary" on:click=move |_| state.news.set(Vec::new())>"Seen"</button>
            </section>
        </Show>
    }
}
