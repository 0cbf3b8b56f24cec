//! Several hubs on one PostgreSQL database, as behind a load balancer: a device's resend that
//! reaches two hubs at once applies once, changes are numbered without gaps whichever hub
//! made them, each hub's live streams carry the other hubs' changes (also after losing the
//! connection it listens on), and `Last-Event-ID` resumes on any hub.
//!
//! Built only with the `postgres-tests` feature: `cargo xtask test postgres` runs it against
//! a PostgreSQL server of its own (`TENFOUR_TEST_POSTGRES`).

mod common;

// Named so that the native layer, which has no PostgreSQL server, can leave these to the
// postgres layer while both share one build (`cargo test -- --skip needs_postgres::`).
mod needs_postgres {
    use super::common;

    use common::{Device, EventReader, TestHub, query};
    use reqwest::Method;
    use serde_json::{Value, json};
    use std::time::Duration;
    use tenfour_protocol::status::StatusCode;
    use tenfour_protocol::wire::{Board, Incident, Outcome};

    const WITHIN: Duration = Duration::from_secs(15);

    fn two_hubs() -> (TestHub, TestHub) {
        let first = TestHub::start();
        assert!(
            first.is_postgres(),
            "several hubs share a PostgreSQL database: run with TENFOUR_TEST_POSTGRES \
         (cargo xtask test postgres)"
        );
        let second = TestHub::start_beside(&first);
        (first, second)
    }

    async fn stream(client: &common::Client, last_event_id: Option<u64>) -> EventReader {
        let mut request = client.request(Method::GET, "/api/sync/stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        EventReader::new(request.send().await.unwrap())
    }

    #[tokio::test]
    async fn a_change_made_on_one_hub_reaches_streams_on_the_other_and_resumes_there() {
        let (a, b) = two_hubs();
        let dispatch = a.sign_in("dispatch", None).await;
        let mut on_a = stream(&dispatch, None).await;
        // Opened on one hub, used on the other: sessions live in the database.
        let medic = a.sign_in("medic1", Some("M12")).await.on(&b);
        let mut device = Device::new();
        let pushed = medic
            .push(vec![device.entry("status", json!({"status": "en_route"}))])
            .await;
        assert_eq!(pushed.results[0].outcome, Outcome::Applied);
        let (cursor, change) = on_a
            .until_change(WITHIN, |c| c["type"] == "field_event")
            .await;
        assert_eq!(change["data"]["callsign"], "M12");
        assert_eq!(change["data"]["status"], "en_route");

        // A dispatcher whose connection moves to the other hub resumes where it was.
        let mut on_b = stream(&dispatch.on(&b), Some(cursor - 1)).await;
        let event = on_b.next(WITHIN).await;
        assert_eq!(event.event, "change");
        assert_eq!(event.id.as_deref(), Some(cursor.to_string().as_str()));
        let resent: Value = serde_json::from_str(&event.data).unwrap();
        assert_eq!(resent, change);
    }

    #[tokio::test]
    async fn a_resend_reaching_two_hubs_at_once_applies_once_and_numbers_have_no_gap() {
        let (a, b) = two_hubs();
        let on_a = a.sign_in("medic1", Some("M12")).await;
        let on_b = on_a.on(&b);
        let board: Board = a
            .sign_in("dispatch", None)
            .await
            .ok(Method::GET, "/api/board", None)
            .await;
        let call = board
            .incidents
            .iter()
            .find(|i| i.assignments.iter().any(|x| x.callsign == "M12"))
            .unwrap()
            .id;
        let mut device = Device::new();
        let batch: Vec<Value> = (0..20)
            .map(|i| {
                device.entry(
                    "field_note",
                    json!({"incident_id": call, "text": format!("note {i}")}),
                )
            })
            .collect();
        for _ in 0..3 {
            let (x, y) = tokio::join!(on_a.push(batch.clone()), on_b.push(batch.clone()));
            for i in 0..20 {
                let applied = [&x.results[i].outcome, &y.results[i].outcome]
                    .iter()
                    .filter(|o| ***o == Outcome::Applied)
                    .count();
                assert!(applied <= 1, "entry {i} applied at most once per round");
            }
        }
        let notes = query(
            &a,
            "SELECT text FROM notes WHERE source = 'field' ORDER BY id",
        )
        .await;
        let texts: Vec<String> = notes.into_iter().map(|r| r[0].clone()).collect();
        let expected: Vec<String> = (0..20).map(|i| format!("note {i}")).collect();
        assert_eq!(texts, expected, "each note once, in the device's order");
        for agency in query(&a, "SELECT id FROM agencies").await {
            let cursors: Vec<i64> = query(
                &a,
                &format!(
                    "SELECT cursor FROM changes WHERE agency_id = {} ORDER BY cursor",
                    agency[0]
                ),
            )
            .await
            .into_iter()
            .map(|r| r[0].parse().unwrap())
            .collect();
            let expected: Vec<i64> = (1..=cursors.len() as i64).collect();
            assert_eq!(cursors, expected, "agency {}: no gap, no repeat", agency[0]);
        }
    }

    #[tokio::test]
    async fn a_hub_that_loses_its_listening_connection_misses_nothing() {
        let (a, b) = two_hubs();
        let dispatch = a.sign_in("dispatch", None).await;
        let mut on_a = stream(&dispatch, None).await;
        let medic = a.sign_in("medic1", Some("M12")).await.on(&b);
        let mut device = Device::new();
        let statuses = ["en_route", "on_scene", "transporting"];
        for (i, status) in statuses.iter().enumerate() {
            // Both hubs' listening connections are cut after the first push: the next pushes
            // come while they listen again, their notices lost, and each hub must read what it
            // missed.
            if i == 1 {
                let cut = a
                    .execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE query LIKE 'LISTEN%' AND pid != pg_backend_pid()",
                    )
                    .await
                    .unwrap();
                assert!(cut >= 1, "the hubs' listening connections were found");
            }
            medic
                .push(vec![device.entry("status", json!({"status": status}))])
                .await;
        }
        let mut seen = Vec::new();
        while seen.len() < statuses.len() {
            let (_, change) = on_a
                .until_change(WITHIN, |c| c["type"] == "field_event")
                .await;
            seen.push(change["data"]["status"].as_str().unwrap().to_owned());
        }
        assert_eq!(seen, statuses, "every change, once, in order");
    }

    #[tokio::test]
    async fn a_unit_two_dispatchers_send_at_once_from_two_hubs_goes_to_one_call() {
        let (a, b) = two_hubs();
        let on_a = a.sign_in("dispatch", None).await;
        let on_b = on_a.on(&b);
        let call = |address: &str| {
            json!({
                "nature_code": "CARDIAC",
                "priority": 1,
                "address": address,
                "caller_notes": "Collapsed, not breathing."
            })
        };
        let first: Incident = on_a
            .ok(Method::POST, "/api/incidents", Some(call("1 Via Roma")))
            .await;
        let second: Incident = on_b
            .ok(Method::POST, "/api/incidents", Some(call("2 Via Roma")))
            .await;
        let board: Board = on_a.ok(Method::GET, "/api/board", None).await;
        let free: Vec<i64> = board
            .units
            .iter()
            .filter(|u| u.status == StatusCode::Available)
            .map(|u| u.id)
            .collect();
        assert!(free.len() >= 3, "the demo agency has free units");
        for unit in free {
            let body = json!({ "unit_id": unit });
            let to = |call: &Incident| format!("/api/incidents/{}/assignments", call.id);
            let (to_first, to_second) = (to(&first), to(&second));
            let ((x, _), (y, _)) = tokio::join!(
                on_a.send(Method::POST, &to_first, Some(body.clone())),
                on_b.send(Method::POST, &to_second, Some(body.clone())),
            );
            let winner = match (x.as_u16(), y.as_u16()) {
                (201, 409) => first.id,
                (409, 201) => second.id,
                other => panic!("one dispatcher sends the unit, the other is told: {other:?}"),
            };
            let assigned = query(
                &a,
                &format!("SELECT incident_id FROM assignments WHERE unit_id = {unit}"),
            )
            .await;
            assert_eq!(
                assigned,
                vec![vec![winner.to_string()]],
                "unit {unit}: one call"
            );
            let on_call = query(
                &a,
                &format!("SELECT incident_id FROM units WHERE id = {unit}"),
            )
            .await;
            assert_eq!(
                on_call, assigned,
                "unit {unit} is on the call it was sent to"
            );
        }
    }
}
