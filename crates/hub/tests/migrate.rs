//! Moving an agency from SQLite to PostgreSQL: `tenfour-hub migrate --from FILE --to
//! postgres://…` copies every record, the hub started on PostgreSQL serves the same board,
//! history and sessions, new records get ids past the copied ones, and a migration into a
//! database that already holds records is refused with nothing written.
//!
//! Built only with the `postgres-tests` feature: `cargo xtask test postgres` runs it against
//! a PostgreSQL server of its own (`TENFOUR_TEST_POSTGRES`).

mod common;

// Named so that the native layer, which has no PostgreSQL server, can leave these to the
// postgres layer while both share one build (`cargo test -- --skip needs_postgres::`).
mod needs_postgres {
    use super::common;

    use common::{Device, TestHub, empty_postgres_database, query};
    use reqwest::{Method, StatusCode};
    use serde_json::{Value, json};
    use std::process::{Command, Output};
    use tenfour_protocol::wire::Outcome;

    fn migrate(from: &str, to: &str) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tenfour-hub"))
            .args(["migrate", "--from", from, "--to", to])
            .output()
            .expect("run tenfour-hub migrate")
    }

    #[tokio::test]
    async fn a_sqlite_hub_moves_to_postgres_with_everything() {
        let mut old = TestHub::start_on_sqlite();
        let medic = old.sign_in("medic1", Some("M12")).await;
        let mut device = Device::new();
        let pushed = medic
            .push(vec![
                device.entry("status", json!({"status": "acknowledged"})),
                device.entry("status", json!({"status": "en_route"})),
            ])
            .await;
        assert!(pushed.results.iter().all(|r| r.outcome == Outcome::Applied));
        let admin = old.sign_in("admin", None).await;
        let (status, problem) = admin
            .post(
                "/api/admin/users",
                json!({"username": "medic40", "display_name": "Alex Morgan", "role": "responder"}),
            )
            .await;
        assert!(status.is_success(), "{problem}");
        let dispatch = old.sign_in("dispatch", None).await;
        let board: Value = dispatch.ok(Method::GET, "/api/board", None).await;
        let history: Value = dispatch
            .ok(Method::GET, "/api/sync/changes?since=0", None)
            .await;
        let audit: Value = admin.ok(Method::GET, "/api/admin/audit", None).await;
        old.kill();

        let target = empty_postgres_database();
        let moved = migrate(old.database(), &target);
        let printed = String::from_utf8_lossy(&moved.stdout);
        assert!(
            moved.status.success(),
            "{printed}{}",
            String::from_utf8_lossy(&moved.stderr)
        );
        assert!(printed.contains("changes"), "{printed}");
        assert!(printed.contains("every table copied"), "{printed}");

        let new = TestHub::start_on_database(&target);
        // The same sessions, the same board, the same history, the same audit log.
        let dispatch = dispatch.on(&new);
        let admin = admin.on(&new);
        assert_eq!(
            dispatch.ok::<Value>(Method::GET, "/api/board", None).await,
            board
        );
        assert_eq!(
            dispatch
                .ok::<Value>(Method::GET, "/api/sync/changes?since=0", None)
                .await,
            history
        );
        assert_eq!(
            admin
                .ok::<Value>(Method::GET, "/api/admin/audit", None)
                .await,
            audit
        );
        // The device goes on with its numbers: a resend is recognised, the next one applies.
        let medic = medic.on(&new);
        let again = medic
            .push(vec![device.entry("status", json!({"status": "on_scene"}))])
            .await;
        assert_eq!(again.results[0].outcome, Outcome::Applied);
        // New records get new ids.
        let (status, created) = dispatch
            .post(
                "/api/incidents",
                json!({"nature_code": "FALL", "priority": 3, "address": "Via Roma 1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(
            query(
                &new,
                "SELECT count(*) FROM users WHERE username = 'medic40'"
            )
            .await,
            vec![vec!["1".to_owned()]]
        );

        // A second migration finds records there and writes nothing.
        let users = query(&new, "SELECT count(*) FROM users").await;
        let refused = migrate(old.database(), &target);
        assert!(!refused.status.success());
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(said.contains("already holds records"), "{said}");
        assert!(said.contains("nothing was written"), "{said}");
        assert_eq!(query(&new, "SELECT count(*) FROM users").await, users);
    }

    #[tokio::test]
    async fn a_missing_file_or_a_wrong_target_is_explained() {
        let missing = migrate("/nowhere/tenfour.db", &empty_postgres_database());
        assert_eq!(missing.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&missing.stderr).contains("no SQLite database at"));
        let wrong = migrate("a.db", "b.db");
        assert_eq!(wrong.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&wrong.stderr).contains("is not a PostgreSQL URL"));
    }
}
