//! Several hubs on one PostgreSQL database. A transaction that records changes also notifies
//! the other hubs (`records::record_changes_after` calls `pg_notify`, which PostgreSQL sends
//! when the transaction commits, only the agency and its new cursor). Each hub holds one
//! listening connection; a notification makes it read the agency's new changes from the
//! table into its live tail (`Live::publish`), exactly as it does after its own commits, so
//! every hub's streams carry every hub's changes.
//!
//! Sessions that end on one hub (sign-out, a disabled account) are told the same way, on a
//! channel of their own, so their live streams stop on every hub.
//!
//! Notifications are not replayed. After losing the listening connection a hub listens again
//! first and then reads whatever each agency's tail is missing, and checks the sessions of
//! its open streams, so nothing committed in between is lost.

use crate::db;
use crate::live::Live;
use crate::records::CHANGES_CHANNEL;
use crate::sessions::{self, SESSIONS_CHANNEL, SessionWatch};
use sqlx::postgres::{PgListener, PgPool};
use std::sync::Arc;
use std::time::Duration;

/// Follows the other hubs' commits for as long as the hub runs.
pub fn follow(pool: PgPool, reader: db::Pool, live: Arc<Live>, watch: Arc<SessionWatch>) {
    tokio::spawn(async move {
        loop {
            match listen(&pool).await {
                Ok(mut listener) => {
                    // Listening from here on: catch up on what came before.
                    live.publish_all(&reader).await;
                    let checked = match reader.acquire().await {
                        Ok(mut conn) => {
                            watch.end_the_ended(&mut conn, crate::clock::now_ms()).await
                        }
                        Err(err) => Err(err),
                    };
                    if let Err(err) = checked {
                        tracing::warn!(error = %err, "cannot check the sessions of open streams");
                    }
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(notice)) if notice.channel() == SESSIONS_CHANNEL => {
                                watch.end(&sessions::ended_in_notice(notice.payload()));
                            }
                            Ok(Some(notice)) => {
                                if let Some(agency_id) = agency_of(notice.payload()) {
                                    live.publish(&reader, agency_id).await;
                                }
                            }
                            Ok(None) => {
                                tracing::warn!(
                                    "lost the connection that listens for other hubs' changes; \
                                     listening again"
                                );
                                break;
                            }
                            Err(err) => {
                                tracing::warn!(error = %err, "listening for other hubs' changes failed; listening again");
                                break;
                            }
                        }
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen for other hubs' changes; trying again in 1 s");
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener
        .listen_all([CHANGES_CHANNEL, SESSIONS_CHANNEL])
        .await?;
    Ok(listener)
}

/// `AGENCY:CURSOR`, as `records::change_notice` writes it.
fn agency_of(payload: &str) -> Option<i64> {
    payload.split_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::change_notice;

    #[test]
    fn a_notice_of_ended_sessions_names_them_all() {
        let hashes: Vec<Vec<u8>> = (0..250u8).map(|i| vec![i; 32]).collect();
        let notices = sessions::ended_notices(&hashes);
        assert_eq!(notices.len(), 3);
        assert!(notices.iter().all(|n| n.len() < 8000));
        let read: Vec<Vec<u8>> = notices
            .iter()
            .flat_map(|n| sessions::ended_in_notice(n))
            .collect();
        assert_eq!(read, hashes);
    }

    #[test]
    fn a_notice_names_the_agency() {
        assert_eq!(agency_of(&change_notice(7, 1_234)), Some(7));
        assert_eq!(agency_of("garbage"), None);
        assert!(
            change_notice(i64::MAX, u64::MAX).len() < 8000,
            "under NOTIFY's payload limit"
        );
    }
}
