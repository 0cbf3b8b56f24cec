//! Group commit for devices' pushes.
//!
//! SQLite has one writer, so pushes queue for it anyway. Rather than one transaction per
//! push, the ingest task takes every push that is waiting (up to `MAX_GROUP_ENTRIES`
//! entries) and applies them in one transaction: each entry's effect, its outcome and the
//! device's `last_seq` still commit together, and no push is answered before its group has
//! committed. Should a group fail, its pushes are applied again one transaction each, so one
//! push that cannot apply never fails the others.

use crate::clock::now_ms;
use crate::db;
use crate::field::{self, Push};
use crate::live::Live;
use std::sync::Arc;
use tenfour_protocol::wire::EntryResult;
use tokio::sync::{mpsc, oneshot};

/// Entries applied in one transaction at most.
const MAX_GROUP_ENTRIES: usize = 500;
/// Pushes waiting for the writer at most; further ones wait to be queued.
const QUEUE: usize = 1024;

type Answer = Result<Vec<EntryResult>, sqlx::Error>;

/// The handle the push endpoint sends to.
#[derive(Clone)]
pub struct Ingest {
    queue: mpsc::Sender<(Push, oneshot::Sender<Answer>)>,
}

impl Ingest {
    /// Starts the ingest task; it ends when the last handle is dropped.
    ///
    /// On SQLite the writer runs statements in the calling thread, so the task gets a
    /// thread of its own: the runtime's workers stay free to take in the next pushes while a
    /// group is written, and the next group is larger for it. (PostgreSQL's connections wait
    /// on the network and belong with the runtime.)
    pub fn start(writer: db::Pool, reader: db::Pool, live: Arc<Live>) -> Ingest {
        let (queue, waiting) = mpsc::channel(QUEUE);
        let runtime = tokio::runtime::Handle::current();
        if !matches!(writer, db::Pool::SqliteWriter(_)) {
            tokio::spawn(run(waiting, writer, reader, live, runtime));
            return Ingest { queue };
        }
        let own = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build();
        match own {
            Ok(own) => {
                let thread = std::thread::Builder::new().name("ingest".into());
                let started = thread.spawn(move || {
                    own.block_on(run(waiting, writer, reader, live, runtime));
                });
                if let Err(err) = started {
                    // Pushes are answered 503 (the queue has no reader) rather than lost.
                    tracing::error!(error = %err, "cannot start the ingest thread");
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "no runtime for the ingest thread; ingest runs on the hub's");
                tokio::spawn(run(waiting, writer, reader, live, runtime));
            }
        }
        Ingest { queue }
    }

    /// Applies the push and answers once it is committed.
    pub async fn push(&self, push: Push) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((push, reply))
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        answer.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

async fn run(
    mut waiting: mpsc::Receiver<(Push, oneshot::Sender<Answer>)>,
    writer: db::Pool,
    reader: db::Pool,
    live: Arc<Live>,
    runtime: tokio::runtime::Handle,
) {
    while let Some(first) = waiting.recv().await {
        let mut entries = first.0.entries.len();
        let mut group = vec![first];
        while entries < MAX_GROUP_ENTRIES
            && let Ok(next) = waiting.try_recv()
        {
            entries += next.0.entries.len();
            group.push(next);
        }
        let (pushes, replies): (Vec<Push>, Vec<_>) = group.into_iter().unzip();
        let mut changed: Vec<i64> = Vec::new();
        match apply(&writer, &pushes).await {
            Ok(results) => {
                for ((push, reply), (answer, did_change)) in pushes.iter().zip(replies).zip(results)
                {
                    if did_change {
                        changed.push(push.actor.agency_id);
                    }
                    let _ = reply.send(Ok(answer));
                }
            }
            Err(err) => {
                if pushes.len() > 1 {
                    tracing::warn!(error = %err, pushes = pushes.len(), "a group of pushes failed; applying them one by one");
                }
                for (push, reply) in pushes.iter().zip(replies) {
                    let answer = apply_alone(&writer, push).await;
                    if let Ok((_, true)) = &answer {
                        changed.push(push.actor.agency_id);
                    }
                    let _ = reply.send(answer.map(|(results, _)| results));
                }
            }
        }
        changed.sort_unstable();
        changed.dedup();
        for agency_id in changed {
            let (live, reader) = (live.clone(), reader.clone());
            runtime.spawn(async move { live.publish(&reader, agency_id).await });
        }
    }
}

/// Applies the pushes in one transaction: each push's results and whether it changed
/// anything.
async fn apply(
    writer: &db::Pool,
    pushes: &[Push],
) -> Result<Vec<(Vec<EntryResult>, bool)>, sqlx::Error> {
    let received_at = now_ms();
    let mut tx = writer.begin().await?;
    // On PostgreSQL each push holds its agency's row until the group commits. Every group on
    // every hub takes them in one order, ascending agency, so no two groups can each wait for
    // a row the other holds. (The sort is stable and a device belongs to one agency: its
    // pushes keep the order they came in.)
    let mut order: Vec<usize> = (0..pushes.len()).collect();
    order.sort_by_key(|&i| pushes[i].actor.agency_id);
    let mut results: Vec<Option<(Vec<EntryResult>, bool)>> = pushes.iter().map(|_| None).collect();
    for i in order {
        let push = &pushes[i];
        results[i] =
            Some(field::apply_push(&mut tx, push, received_at, field::Mode::Together).await?);
    }
    tx.commit().await?;
    Ok(results.into_iter().flatten().collect())
}

/// Applies one push in its own transaction, each entry guarded so that an entry the stored
/// records refuse is recorded as rejected rather than failing the push (see
/// `field::Mode::Guarded`).
async fn apply_alone(
    writer: &db::Pool,
    push: &Push,
) -> Result<(Vec<EntryResult>, bool), sqlx::Error> {
    let mut tx = writer.begin().await?;
    let results = field::apply_push(&mut tx, push, now_ms(), field::Mode::Guarded).await?;
    tx.commit().await?;
    Ok(results)
}
