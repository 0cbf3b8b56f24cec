//! `/api/sync/stream`: the live feed as Server-Sent Events.
//!
//! Each event's id is its change cursor, so a browser that reconnects with `Last-Event-ID`
//! resumes exactly where it stopped. The stream reads the change log itself and is only
//! woken by commits, so nothing is lost however slow the reader; a reader that falls more
//! than `RESYNC_BACKLOG` behind gets a `resync` event (pull instead) and continues from the
//! newest change.

use super::Caller;
use super::sync::{future_cursor, view_of};
use super::{ApiQuery, AppState, Error};
use crate::clock::now_ms;
use crate::sessions::{Slot, Watched};
use crate::{live, records};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use tenfour_protocol::sync::parse_cursor;
use tenfour_protocol::wire::Resync;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

const RESYNC_BACKLOG: u64 = 2000;
/// How often an idle stream says it is alive: the page shows "not reaching dispatch" after
/// two missed beats, well inside 10 s.
const HEARTBEAT: Duration = Duration::from_secs(4);
const PAGE: u32 = 200;

pub fn router() -> Router<AppState> {
    Router::new().route("/sync/stream", get(stream))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamQuery {
    #[serde(default)]
    since: Option<u64>,
}

async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<StreamQuery>,
) -> Result<impl IntoResponse, Error> {
    // An empty Last-Event-ID is no id at all (as in the EventSource standard).
    let last_event_id = match headers
        .get("last-event-id")
        .filter(|v| !v.as_bytes().trim_ascii().is_empty())
    {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| "it holds bytes that are not text".to_owned())
                .and_then(parse_cursor)
                .map_err(|e| Error::BadRequest(format!("Last-Event-ID: {e}")))?,
        ),
        None => None,
    };
    let head = records::head(&mut state.db.reader.acquire().await?, caller.agency_id).await? as u64;
    // Last-Event-ID (a reconnect) wins over `since` (the first connection); with neither,
    // the stream starts at the newest change.
    let since = last_event_id.or(query.since).unwrap_or(head);
    if since > head {
        return Err(future_cursor(since, head));
    }
    let Some(slot) = state.streams.take(&caller.token_hash, caller.agency_id) else {
        return Err(Error::TooManyRequests {
            detail: "the hub is serving as many live streams for your agency as it is set \
                     to; this device keeps working and syncs by pulling — try again shortly"
                .into(),
            retry_after: 30,
        });
    };
    let (tx, rx) = mpsc::channel(64);
    let session = state.sessions.watch(&caller.token_hash);
    tokio::spawn(follow(state, caller, session, slot, since, tx));
    // No comment keep-alives: the heartbeat events below keep proxies from timing out and,
    // unlike comments, reach the page, which takes silence as a dead link. The events are
    // written as bytes: each change is encoded once (`live::change_frame`) and shared by
    // every stream that sends it, rather than formatted again for each of 2,000 streams.
    let headers = [
        (CONTENT_TYPE, "text/event-stream"),
        (CACHE_CONTROL, "no-cache"),
    ];
    Ok((headers, Body::from_stream(ReceiverStream::new(rx))))
}

/// A Server-Sent Event with no id (heartbeat, resync, session-ended, superseded).
fn event(name: &str, data: &str) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// Sends the changes after `cursor` as they commit, until the client leaves, its session
/// ends (sign-out, expiry, a change of unit, an administrator), a newer stream of the session
/// takes its place (`sessions::STREAMS_PER_SESSION`) or the hub stops.
async fn follow(
    state: AppState,
    caller: Caller,
    mut session: Watched,
    slot: Slot,
    mut cursor: u64,
    tx: mpsc::Sender<Result<Bytes, Infallible>>,
) {
    let view = view_of(&caller);
    let Ok(mut wake) = state
        .live
        .subscribe(&state.db.reader, caller.agency_id, view)
        .await
    else {
        return;
    };
    let mut shutdown = state.shutdown.clone();
    let expires_in =
        Duration::from_millis(caller.expires_at.saturating_sub(now_ms()).max(0) as u64);
    let expiry = tokio::time::sleep(expires_in);
    tokio::pin!(expiry);
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A cursor older than the history the hub keeps cannot be followed change by change: the
    // device pulls (a snapshot) and the stream goes on from the newest change.
    let floor = async {
        let mut conn = state.db.reader.acquire().await?;
        let floor = records::compacted_to(&mut conn, caller.agency_id).await?;
        let head = records::head(&mut conn, caller.agency_id).await?;
        Ok::<_, sqlx::Error>((floor, head as u64))
    };
    match floor.await {
        Ok((floor, head)) if cursor < floor => {
            let data = serde_json::to_string(&Resync { head }).unwrap_or_default();
            if tx.send(Ok(event("resync", &data))).await.is_err() {
                return;
            }
            cursor = head;
        }
        Ok(_) => {}
        Err(err) => {
            tracing::warn!(error = %err, "live stream: cannot read the agency; closing it");
            return;
        }
    }
    loop {
        // Mark the current value seen before reading, so a commit after the read wakes us.
        wake.borrow_and_update();
        // The shared in-memory tail when it reaches back far enough, else the database.
        let page = match state
            .live
            .read(caller.agency_id, view, cursor, PAGE as usize)
        {
            Some(page) => Ok((page.frames, page.cursor, page.head)),
            None => match state.db.reader.acquire().await {
                Ok(mut conn) => {
                    records::changes_after(&mut conn, caller.agency_id, view, cursor, PAGE)
                        .await
                        .map(|p| {
                            let frames = p
                                .bodies
                                .into_iter()
                                .map(|(c, b)| (c, live::change_frame(c, &b)))
                                .collect();
                            (frames, p.cursor, p.head)
                        })
                }
                Err(err) => Err(err),
            },
        };
        let (frames, next, head) = match page {
            Ok(page) => page,
            Err(err) => {
                tracing::warn!(error = %err, "live stream: cannot read changes; closing it");
                return;
            }
        };
        if head.saturating_sub(cursor) > RESYNC_BACKLOG {
            let data = serde_json::to_string(&Resync { head }).unwrap_or_default();
            if tx.send(Ok(event("resync", &data))).await.is_err() {
                return;
            }
            cursor = head;
            continue;
        }
        for (_, frame) in frames {
            if tx.send(Ok(frame)).await.is_err() {
                return;
            }
        }
        let more = next < head;
        cursor = next;
        if more {
            continue;
        }
        tokio::select! {
            changed = wake.changed() => if changed.is_err() { return },
            _ = shutdown.changed() => return,
            () = tx.closed() => return,
            // Say so before closing: the page checks its session at once instead of waiting
            // for the browser's reconnect delay to learn it was signed out.
            () = session.ended() => {
                let _ = tx.send(Ok(event("session-ended", "{}"))).await;
                return;
            }
            () = &mut expiry => {
                let _ = tx.send(Ok(event("session-ended", "{}"))).await;
                return;
            }
            // A newer stream of the same session took this one's place.
            () = slot.superseded() => {
                let _ = tx.send(Ok(event("superseded", "{}"))).await;
                return;
            }
            _ = heartbeat.tick() => {
                if tx.send(Ok(event("heartbeat", &cursor.to_string()))).await.is_err() {
                    return;
                }
            }
        }
    }
}
