//! Map packs: a device learns what its agency's pack is, downloads it whole or in byte ranges
//! (resuming where it stopped, starting over when the pack changed), and an administrator
//! replaces it with the agency's own. Bad ranges are refused in words, as problem+json.

mod common;

use common::TestHub;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tenfour_protocol::wire::MapPack;

/// A PMTiles v3 archive as the hub sees it: a header naming vector tiles at zooms 0–14 over
/// Florence, then `data` bytes of tiles (content the hub never reads).
fn pack(data: usize, seed: u8) -> Vec<u8> {
    let mut bytes = vec![0u8; 127];
    bytes[..7].copy_from_slice(b"PMTiles");
    bytes[7] = 3;
    bytes[56..64].copy_from_slice(&127u64.to_le_bytes());
    bytes[64..72].copy_from_slice(&(data as u64).to_le_bytes());
    bytes[99] = 1;
    bytes[100] = 0;
    bytes[101] = 14;
    let degrees = |d: f64| ((d * 10_000_000.0) as i32).to_le_bytes();
    bytes[102..106].copy_from_slice(&degrees(11.15));
    bytes[106..110].copy_from_slice(&degrees(43.72));
    bytes[110..114].copy_from_slice(&degrees(11.33));
    bytes[114..118].copy_from_slice(&degrees(43.83));
    bytes[118] = 13;
    bytes[119..123].copy_from_slice(&degrees(11.2558));
    bytes[123..127].copy_from_slice(&degrees(43.7731));
    bytes.extend((0..data).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    bytes
}

async fn problem(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status.as_u16());
    (status, body)
}

#[tokio::test]
async fn without_a_pack_the_hub_says_how_to_get_one() {
    let hub = TestHub::start();
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let (status, body) = medic.get("/api/map").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["detail"].as_str().unwrap().contains("upload"),
        "{body}"
    );
    let (status, _) = medic.get("/api/map/pack").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_device_downloads_the_pack_in_ranges_and_resumes() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let bytes = pack(300_000, 7);
    std::fs::write(file.path(), &bytes).unwrap();
    let hub = TestHub::start_with(&[], &["--map", file.path().to_str().unwrap()]);
    let medic = hub.sign_in("medic1", Some("M12")).await;

    let info: MapPack = medic.ok(Method::GET, "/api/map", None).await;
    assert_eq!(info.size, bytes.len() as u64);
    assert_eq!(
        (info.min_zoom, info.max_zoom, info.center_zoom),
        (0, 14, 13)
    );
    assert!((info.west - 11.15).abs() < 1e-6 && (info.north - 43.83).abs() < 1e-6);
    assert!((info.center_latitude - 43.7731).abs() < 1e-6);

    // Signed out: no pack.
    let response = hub
        .anonymous()
        .request(Method::GET, "/api/map/pack")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(response).await.0, StatusCode::UNAUTHORIZED);

    // Whole, as it is: never compressed on the way, even to a client that accepts it.
    let response = medic
        .request(Method::GET, "/api/map/pack")
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["accept-ranges"], "bytes");
    assert_eq!(response.headers()["etag"].to_str().unwrap(), info.etag);
    assert!(response.headers().get("content-encoding").is_none());
    assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());

    // In pieces of 64 KiB, the way a device downloads it; the pieces make the file.
    let mut assembled = Vec::new();
    while (assembled.len() as u64) < info.size {
        let start = assembled.len();
        let response = medic
            .request(Method::GET, "/api/map/pack")
            .header("range", format!("bytes={start}-{}", start + 65_535))
            .header("if-range", &info.etag)
            .header("accept-encoding", "gzip, br")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
        let end = (start + 65_535).min(bytes.len() - 1);
        assert_eq!(
            response.headers()["content-range"].to_str().unwrap(),
            format!("bytes {start}-{end}/{}", bytes.len())
        );
        assembled.extend_from_slice(&response.bytes().await.unwrap());
    }
    assert_eq!(assembled, bytes);

    // The last bytes, as a reader of the archive's end asks.
    let response = medic
        .request(Method::GET, "/api/map/pack")
        .header("range", "bytes=-10")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        &bytes[bytes.len() - 10..]
    );

    // Past the end: 416, saying how long the file is.
    let response = medic
        .request(Method::GET, "/api/map/pack")
        .header("range", format!("bytes={}-", bytes.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-range"].to_str().unwrap(),
        format!("bytes */{}", bytes.len())
    );
    let (status, body) = problem(response).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(&bytes.len().to_string())
    );

    // Ranges that make no sense: 400, with an example of one that does.
    for bad in [
        "bytes=10-2",
        "bytes=0-1,5-9",
        "lines=1-2",
        "bytes=x-",
        "bytes=\u{e9}",
    ] {
        let response = medic
            .request(Method::GET, "/api/map/pack")
            .header("range", bad)
            .send()
            .await
            .unwrap();
        let (status, body) = problem(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            body["detail"].as_str().unwrap().contains("bytes=0-"),
            "{bad}: {body}"
        );
    }

    // A resume against a version the hub no longer has gets the whole file, not a piece of
    // another one.
    let response = medic
        .request(Method::GET, "/api/map/pack")
        .header("range", "bytes=1000-")
        .header("if-range", "\"an-older-pack\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().len(), bytes.len());
    // ...but a malformed range is refused, whatever version it names.
    let response = medic
        .request(Method::GET, "/api/map/pack")
        .header("range", "")
        .header("if-range", "\"an-older-pack\"")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(response).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_administrator_replaces_the_agencys_pack() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let hub_pack = pack(50_000, 1);
    std::fs::write(file.path(), &hub_pack).unwrap();
    let hub = TestHub::start_with(&[], &["--map", file.path().to_str().unwrap()]);
    let admin = hub.sign_in("admin", None).await;
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let other = hub.sign_in("other-admin", None).await;
    let before: MapPack = medic.ok(Method::GET, "/api/map", None).await;

    let upload = |client: &common::Client, body: Vec<u8>| {
        client
            .request(Method::PUT, "/api/admin/map")
            .header("content-type", "application/vnd.pmtiles")
            .body(body)
            .send()
    };
    // Only administrators.
    let (status, _) = problem(upload(&medic, pack(10, 2)).await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Not a pack: refused in words, and the pack devices get is unchanged.
    let (status, body) = problem(
        upload(&admin, b"<html>a map</html>".repeat(20))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["detail"].as_str().unwrap().contains("PMTiles"),
        "{body}"
    );
    let mut cut = pack(5_000, 2);
    cut.truncate(3_000);
    let (status, body) = problem(upload(&admin, cut).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["detail"].as_str().unwrap().contains("cut short"),
        "{body}"
    );
    let same: MapPack = medic.ok(Method::GET, "/api/map", None).await;
    assert_eq!(same, before);

    // Larger than the API's usual body limit, as every real pack is.
    let own = pack(3 * 1024 * 1024, 9);
    let response = upload(&admin, own.clone()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let uploaded: MapPack = response.json().await.unwrap();
    assert_eq!(uploaded.size, own.len() as u64);
    let now: MapPack = medic.ok(Method::GET, "/api/map", None).await;
    assert_eq!(now, uploaded);
    assert_ne!(now.etag, before.etag);
    // A device that was halfway through the old pack starts over with the new one.
    let response = medic
        .request(Method::GET, "/api/map/pack")
        .header("range", "bytes=20000-")
        .header("if-range", &before.etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), own.as_slice());
    // Another agency still gets the hub's pack.
    let theirs: MapPack = other.ok(Method::GET, "/api/map", None).await;
    assert_eq!(theirs, before);
    let rows = common::query(
        &hub,
        "SELECT action FROM audit_log WHERE action LIKE 'map_%'",
    )
    .await;
    assert_eq!(rows, [["map_uploaded".to_owned()]]);

    // Removed: the hub's pack applies again; removing twice says there is nothing to remove.
    let (status, _) = admin.send(Method::DELETE, "/api/admin/map", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let back: MapPack = medic.ok(Method::GET, "/api/map", None).await;
    assert_eq!(back, before);
    let (status, _) = admin.send(Method::DELETE, "/api/admin/map", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[test]
fn a_hub_started_with_a_file_that_is_not_a_pack_says_so() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "not tiles").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tenfour-hub"))
        .args(["--bind", "127.0.0.1:0", "--map"])
        .arg(file.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("map pack") && stderr.contains("PMTiles"),
        "{stderr}"
    );
}

#[tokio::test]
async fn dispatch_sees_the_free_units_nearest_the_call_first() {
    use tenfour_protocol::wire::NearbyUnit;
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let (status, call) = dispatch
        .post(
            "/api/incidents",
            serde_json::json!({"nature_code": "FALL", "priority": 2,
                "address": "Piazza del Duomo, Florence", "latitude": 43.7731, "longitude": 11.2560}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{call}");
    // M14 a street away, E3 across the river, P11 has not said where it is; P7 is on a call.
    for (user, unit, place) in [
        ("medic2", "M14", Some((43.7740, 11.2566))),
        ("fire1", "E3", Some((43.7650, 11.2470))),
        ("officer3", "P11", None),
        ("officer1", "P7", Some((43.7731, 11.2561))),
    ] {
        let crew = hub.sign_in(user, Some(unit)).await;
        if let Some((latitude, longitude)) = place {
            let mut device = common::Device::new();
            let answer = crew
                .push(vec![device.entry(
                    "position",
                    serde_json::json!({"location": {"latitude": latitude, "longitude": longitude}}),
                )])
                .await;
            assert!(
                answer
                    .results
                    .iter()
                    .all(|r| r.outcome == tenfour_protocol::wire::Outcome::Applied),
                "{answer:?}"
            );
        }
    }
    let path = format!("/api/incidents/{}/nearest-units", call["id"]);
    let nearby: Vec<NearbyUnit> = dispatch.ok(Method::GET, &path, None).await;
    let order: Vec<(&str, Option<u64>)> = nearby
        .iter()
        .map(|n| {
            (
                n.unit.callsign.as_str(),
                n.distance_m.map(|d| (d / 10.0).round() as u64 * 10),
            )
        })
        .collect();
    assert_eq!(
        order,
        [("M14", Some(110)), ("E3", Some(1150)), ("P11", None)]
    );

    // Only dispatch asks; a call with no place has nothing near it.
    let medic = hub.sign_in("medic1", Some("M12")).await;
    assert_eq!(medic.get(&path).await.0, StatusCode::FORBIDDEN);
    let (_, nowhere) = dispatch
        .post(
            "/api/incidents",
            serde_json::json!({"nature_code": "FALL", "priority": 3, "address": "Somewhere"}),
        )
        .await;
    let (status, problem) = dispatch
        .get(&format!("/api/incidents/{}/nearest-units", nowhere["id"]))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["detail"].as_str().unwrap().contains("latitude"),
        "{problem}"
    );
}

#[tokio::test]
async fn positions_on_a_call_arrive_once_in_order_beside_the_statuses() {
    use tenfour_protocol::wire::{Board, Outcome};
    let hub = TestHub::start();
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let dispatch = hub.sign_in("dispatch", None).await;
    let mut device = common::Device::new();
    let at = |i: usize| serde_json::json!({"location": {"latitude": 43.7600 + i as f64 * 0.0001, "longitude": 11.25}});
    // Driving to the call with no signal: the acknowledgement, 30 positions and "en route"
    // among them, all in one push when the network returns — and again (the reply was lost).
    let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let assignment = board
        .incidents
        .iter()
        .flat_map(|i| &i.assignments)
        .find(|a| a.callsign == "M12" && a.is_active())
        .expect("M12 is on a call")
        .id;
    let mut batch = vec![device.entry(
        "acknowledge",
        serde_json::json!({"assignment_id": assignment}),
    )];
    for i in 0..30 {
        if i == 10 {
            batch.push(device.entry("status", serde_json::json!({"status": "en_route"})));
        }
        batch.push(device.entry("position", at(i)));
    }
    let first = medic.push(batch.clone()).await;
    assert!(
        first.results.iter().all(|r| r.outcome == Outcome::Applied),
        "{first:?}"
    );
    let again = medic.push(batch).await;
    assert!(
        again
            .results
            .iter()
            .all(|r| r.outcome == Outcome::Duplicate),
        "{again:?}"
    );

    let board: Board = dispatch.ok(Method::GET, "/api/board", None).await;
    let m12 = board.units.iter().find(|u| u.callsign == "M12").unwrap();
    assert_eq!(m12.status.as_str(), "en_route");
    let fix = m12.position.as_ref().expect("the board knows where M12 is");
    assert!(
        (fix.latitude - 43.7629).abs() < 1e-9,
        "the newest of the 30: {fix:?}"
    );
    let count = |rows: Vec<Vec<String>>| rows[0][0].parse::<usize>().unwrap();
    let sql = format!("SELECT COUNT(*) FROM positions WHERE unit_id = {}", m12.id);
    assert_eq!(count(common::query(&hub, &sql).await), 30, "each once");

    // A whole shift of positions keeps only a short trail per unit.
    let more: Vec<_> = (30..90).map(|i| device.entry("position", at(i))).collect();
    medic.push(more).await;
    assert_eq!(
        count(common::query(&hub, &sql).await) as i64,
        tenfour_hub::positions::TRAIL_KEPT
    );
}
