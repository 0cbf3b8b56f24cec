//! `tenfour-bench soak HUB_URL HUB_PID MINUTES UNITS`: every unit connected with a live
//! stream, steady pushes from the fleet, streams dropped and reopened all the time, and the
//! hub's resident memory, open files and latencies sampled each minute. Prints a Markdown
//! section; whether memory stayed flat after warm-up is reported, not asserted.

use crate::{Device, Kind, Result, Server, percentile};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Field updates a second across the fleet.
const PUSHES_PER_SECOND: u64 = 20;
/// Streams dropped and reopened a second (each unit's about every 200 s at 2,000 units).
const RECONNECTS_PER_SECOND: u64 = 10;
/// Minutes before memory is expected to have settled.
const WARM_UP_MINUTES: usize = 2;

#[derive(Default)]
struct Minute {
    pushes_ok: u64,
    pushes_failed: u64,
    push_ms: Vec<f64>,
    board_ms: Vec<f64>,
    reconnects: u64,
    reconnect_failures: u64,
}

fn open_files(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

pub async fn soak(hub_url: &str, hub_pid: u32, minutes: usize, units: usize) -> Result<()> {
    let server = Server::new(Kind::Hub, hub_url, hub_pid)?;
    let mut all = server.devices(units).await?;
    let dispatcher = all.pop().ok_or("no dispatcher")?;
    let devices: Vec<Arc<tokio::sync::Mutex<Device>>> = all
        .into_iter()
        .map(|d| Arc::new(tokio::sync::Mutex::new(d)))
        .collect();
    let rss_signed_in = crate::rss_kb(hub_pid);

    // Every unit's stream, drained in its own task; aborting the task drops the connection.
    let mut streams = Vec::with_capacity(units);
    for group in devices.chunks(250) {
        let opening = group.iter().map(|device| {
            let (server, device) = (server.clone(), device.clone());
            async move {
                let sender = device.lock().await.sender.clone();
                server.listen(&sender).await
            }
        });
        for opened in crate::join_all(opening).await {
            let mut response = opened?;
            streams.push(tokio::spawn(async move {
                while let Ok(Some(_)) = response.chunk().await {}
            }));
        }
    }
    eprintln!("soak: {units} streams open");

    let minute = Arc::new(Mutex::new(Minute::default()));
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    // The board: when each update reaches the dispatcher.
    let board = server.listen(&dispatcher.sender).await?;
    let minute_r = minute.clone();
    let reader = crate::follow_board(server.clone(), board, sent.clone(), move |ms| {
        if let Ok(mut m) = minute_r.lock() {
            m.board_ms.push(ms);
        }
    });

    // Steady pushes, round robin: a unit's next push comes long after its last one ended.
    let next_unit = Arc::new(AtomicU64::new(0));
    let (push_server, push_devices, push_sent, push_minute) = (
        server.clone(),
        devices.clone(),
        sent.clone(),
        minute.clone(),
    );
    let pusher = tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_millis(1000 / PUSHES_PER_SECOND));
        loop {
            ticker.tick().await;
            let i = next_unit.fetch_add(1, Ordering::Relaxed) as usize % push_devices.len();
            let (server, device, sent, minute) = (
                push_server.clone(),
                push_devices[i].clone(),
                push_sent.clone(),
                push_minute.clone(),
            );
            tokio::spawn(async move {
                let mut device = device.lock().await;
                let update = device.next();
                if let Ok(mut s) = sent.lock() {
                    s.insert(update.id.clone(), Instant::now());
                }
                let started = Instant::now();
                let outcome = server.push(&device.sender, &[update]).await;
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                if let Ok(mut m) = minute.lock() {
                    match outcome {
                        Ok(()) => {
                            m.pushes_ok += 1;
                            m.push_ms.push(ms);
                        }
                        Err(_) => m.pushes_failed += 1,
                    }
                }
            });
        }
    });

    println!("\n## Soak\n");
    println!(
        "{units} units each holding a live stream, {PUSHES_PER_SECOND} field updates a second, \
         {RECONNECTS_PER_SECOND} streams dropped and reopened a second, for {minutes} minutes \
         (`cargo xtask soak {minutes}`; load generator on the same cores). Resident memory \
         after sign-in, before the streams: {} KB.\n",
        rss_signed_in.unwrap_or(0)
    );
    println!(
        "| minute | hub RSS (MB) | open files | pushes ok / failed | push p50 / p99 (ms) | field to board p50 / p99 (ms) | reconnects ok / failed |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut rss_by_minute = Vec::with_capacity(minutes);
    let mut ticker = tokio::time::interval(Duration::from_millis(1000 / RECONNECTS_PER_SECOND));
    let mut next_reconnect = 0usize;
    for m in 1..=minutes {
        let ends = Instant::now() + Duration::from_secs(60);
        while Instant::now() < ends {
            ticker.tick().await;
            let i = next_reconnect % streams.len();
            next_reconnect += 1;
            streams[i].abort();
            let sender = devices[i].lock().await.sender.clone();
            let (server, minute) = (server.clone(), minute.clone());
            match server.listen(&sender).await {
                Ok(mut response) => {
                    streams[i] =
                        tokio::spawn(
                            async move { while let Ok(Some(_)) = response.chunk().await {} },
                        );
                    if let Ok(mut m) = minute.lock() {
                        m.reconnects += 1;
                    }
                }
                Err(_) => {
                    if let Ok(mut m) = minute.lock() {
                        m.reconnect_failures += 1;
                    }
                }
            }
        }
        let taken = std::mem::take(&mut *minute.lock().map_err(|e| e.to_string())?);
        let (mut push, mut to_board) = (taken.push_ms, taken.board_ms);
        push.sort_by(|a, b| a.total_cmp(b));
        to_board.sort_by(|a, b| a.total_cmp(b));
        let rss = crate::rss_kb(hub_pid).unwrap_or(0);
        rss_by_minute.push(rss);
        println!(
            "| {m} | {:.1} | {} | {} / {} | {:.1} / {:.1} | {:.1} / {:.1} | {} / {} |",
            rss as f64 / 1024.0,
            open_files(hub_pid).map_or("?".into(), |n| n.to_string()),
            taken.pushes_ok,
            taken.pushes_failed,
            percentile(&push, 50.0),
            percentile(&push, 99.0),
            percentile(&to_board, 50.0),
            percentile(&to_board, 99.0),
            taken.reconnects,
            taken.reconnect_failures,
        );
    }
    pusher.abort();
    reader.abort();
    for stream in &streams {
        stream.abort();
    }
    let settled: Vec<f64> = rss_by_minute
        .iter()
        .skip(WARM_UP_MINUTES)
        .map(|&kb| kb as f64)
        .collect();
    if settled.len() >= 2 {
        let mean = settled.iter().sum::<f64>() / settled.len() as f64;
        let low = settled.iter().copied().fold(f64::INFINITY, f64::min);
        let high = settled.iter().copied().fold(0.0, f64::max);
        let spread = (high - mean).max(mean - low) / mean * 100.0;
        println!(
            "\nAfter {WARM_UP_MINUTES} minutes of warm-up, resident memory stayed between \
             {:.1} and {:.1} MB (mean {:.1} MB): within ±{spread:.1}% of its mean ({}).",
            low / 1024.0,
            high / 1024.0,
            mean / 1024.0,
            if spread <= 10.0 {
                "flat: inside the ±10% target"
            } else {
                "NOT flat: outside the ±10% target"
            }
        );
        // Caches that fill as the database grows stop at their size; a leak does not stop.
        let tail = (settled.len() / 3).max(2);
        let window = &settled[settled.len() - tail..];
        println!(
            "Over the last {tail} minutes it changed by {:+.1} MB. The hub's SQLite page caches \
             (32 MB for the writer, about 2 MB for each of its eight readers) fill as the database grows and \
             stop at their size.",
            (window[tail - 1] - window[0]) / 1024.0
        );
    }
    Ok(())
}
