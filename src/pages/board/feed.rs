//! The live field feed: what the crews sent, newest first, paged.

use super::*;

fn describe(event: &FieldEvent) -> String {
    match event.kind {
        ActionKind::Acknowledge => "Acknowledged".into(),
        ActionKind::Status => event.status.map_or("Status", StatusCode::label).into(),
        ActionKind::FieldNote => format!("Note: {}", event.text.clone().unwrap_or_default()),
        ActionKind::Emergency => "EMERGENCY".into(),
        ActionKind::EmergencyCancel => "Emergency cancelled by the responder".into(),
        ActionKind::CheckIn => "Checked in".into(),
        ActionKind::Position => "Position".into(),
    }
}

#[component]
pub(super) fn FieldFeed() -> impl IntoView {
    let state = use_app();
    let page = RwSignal::new(0usize);
    let number_of = move |incident_id| incident_number(&state, incident_id);
    view! {
        <ol class="feed" data-testid="feed">
            {move || state.feed.with(|feed| {
                feed.iter().rev().skip(page.get() * PAGE).take(PAGE).map(|(cursor, e)| {
                    let delayed = is_delayed(e);
                    let rejected = e.outcome == Outcome::Rejected;
                    view! {
                        <li data-cursor=cursor.to_string() data-unit=e.callsign.clone() data-kind=e.kind.as_str()
                            data-status=e.status.map(|s| s.as_str()).unwrap_or_default()
                            data-at=e.at.to_string() data-received-at=e.received_at.to_string()
                            class:delayed=delayed class:rejected=rejected>
                            <span class="feed-time">{clock(e.at)}</span>
                            <strong>{e.callsign.clone()}</strong>
                            <span class="feed-what">{describe(e)}</span>
                            <span class="feed-incident">{number_of(e.incident_id).unwrap_or_default()}</span>
                            {delayed.then(|| view! {
                                <span class="delayed-note">{format!("sent offline: pressed {}, received {}", clock(e.at), clock(e.received_at))}</span>
                            })}
                            {e.reason.clone().map(|r| view! { <span class="reason">{format!("refused: {r}")}</span> })}
                        </li>
                    }
                }).collect_view()
            })}
        </ol>
        <Pager page=page total=Signal::derive(move || state.feed.with(Vec::len))/>
    }
}
