//! Administrators run their agency: users, units, natures, roster import and the audit log,
//! each endpoint refused to everyone else and blind to other agencies.

mod common;

use common::{Client, EventReader, TestHub, query};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use tenfour_protocol::admin::{AdminUnit, AdminUser, AuditEntry, RosterReport, TemporaryPassword};

async fn user_id(admin: &Client, username: &str) -> i64 {
    let users: Vec<AdminUser> = admin.ok(Method::GET, "/api/admin/users", None).await;
    users.iter().find(|u| u.username == username).unwrap().id
}

async fn create_medic(admin: &Client, username: &str) -> TemporaryPassword {
    admin
        .ok(
            Method::POST,
            "/api/admin/users",
            Some(json!({"username": username, "display_name": "Pat Doe", "role": "responder"})),
        )
        .await
}

#[tokio::test]
async fn every_admin_endpoint_is_refused_to_dispatchers_responders_and_strangers() {
    let hub = TestHub::start();
    let dispatch = hub.sign_in("dispatch", None).await;
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let anonymous = hub.anonymous();
    let admin = hub.sign_in("admin", None).await;
    let someone = user_id(&admin, "medic2").await;
    let operations: Vec<(Method, String, Value)> = vec![
        (Method::GET, "/api/admin/users".into(), Value::Null),
        (
            Method::POST,
            "/api/admin/users".into(),
            json!({"username": "newbie", "display_name": "New", "role": "responder"}),
        ),
        (
            Method::PATCH,
            format!("/api/admin/users/{someone}"),
            json!({"disabled": true}),
        ),
        (
            Method::POST,
            format!("/api/admin/users/{someone}/password"),
            Value::Null,
        ),
        (Method::GET, "/api/admin/units".into(), Value::Null),
        (
            Method::POST,
            "/api/admin/units".into(),
            json!({"callsign": "Z9", "kind": "ems"}),
        ),
        (
            Method::PATCH,
            "/api/admin/units/1".into(),
            json!({"retired": true}),
        ),
        (
            Method::PUT,
            "/api/admin/natures/FALL".into(),
            json!({"code": "FALL", "label": "Fall", "default_priority": 2}),
        ),
        (Method::GET, "/api/admin/audit".into(), Value::Null),
    ];
    for (method, path, body) in &operations {
        for (who, client, expected) in [
            ("dispatcher", &dispatch, StatusCode::FORBIDDEN),
            ("responder", &medic, StatusCode::FORBIDDEN),
            ("anonymous", &anonymous, StatusCode::UNAUTHORIZED),
        ] {
            let body = (!body.is_null()).then(|| body.clone());
            let (status, problem) = client.send(method.clone(), path, body).await;
            assert_eq!(status, expected, "{who} {method} {path}: {problem}");
        }
    }
    let roster = dispatch
        .request(Method::POST, "/api/admin/roster")
        .header("content-type", "text/csv")
        .body("type,username,display_name,role,callsign,unit_kind\nunit,,,,Z8,ems\n")
        .send()
        .await
        .unwrap();
    assert_eq!(roster.status(), StatusCode::FORBIDDEN);
    // Nothing was created or changed by any refused call.
    assert_eq!(
        query(&hub, "SELECT count(*) FROM users WHERE username = 'newbie'").await,
        [["0".to_owned()]]
    );
    assert_eq!(
        query(
            &hub,
            "SELECT count(*) FROM units WHERE retired_at IS NOT NULL OR callsign IN ('Z8', 'Z9')"
        )
        .await,
        [["0".to_owned()]]
    );
}

#[tokio::test]
async fn an_admin_never_sees_or_touches_another_agency() {
    let hub = TestHub::start();
    let admin = hub.sign_in("admin", None).await;
    let other_admin = hub.sign_in("other-admin", None).await;
    let theirs = user_id(&other_admin, "other-medic").await;
    let their_unit: Vec<AdminUnit> = other_admin.ok(Method::GET, "/api/admin/units", None).await;
    let users: Vec<AdminUser> = admin.ok(Method::GET, "/api/admin/users", None).await;
    assert!(users.iter().all(|u| !u.username.starts_with("other-")));
    let (status, _) = admin
        .send(
            Method::PATCH,
            &format!("/api/admin/users/{theirs}"),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = admin
        .send(
            Method::POST,
            &format!("/api/admin/users/{theirs}/password"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = admin
        .send(
            Method::PATCH,
            &format!("/api/admin/units/{}", their_unit[0].id),
            Some(json!({"retired": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Their medic still signs in; their audit log holds none of our actions.
    hub.sign_in("other-medic", Some("X1")).await;
    let log: Vec<AuditEntry> = other_admin.ok(Method::GET, "/api/admin/audit", None).await;
    assert!(log.iter().all(|e| !e.actor.contains("Alex")), "{log:?}");
}

#[tokio::test]
async fn a_new_medic_signs_in_with_a_temporary_password_and_must_choose_their_own() {
    let hub = TestHub::start();
    let admin = hub.sign_in("admin", None).await;
    let unit: AdminUnit = admin
        .ok(
            Method::POST,
            "/api/admin/units",
            Some(json!({"callsign": "m20", "kind": "ems"})),
        )
        .await;
    assert_eq!(unit.callsign, "M20");
    let created = create_medic(&admin, "medic20").await;
    assert!(created.user.must_change_password);
    assert!(created.temporary_password.len() >= 12);

    let medic = hub
        .sign_in_with("medic20", &created.temporary_password, Some("M20"))
        .await;
    let (_, session) = medic.get("/api/session").await;
    assert_eq!(session["must_change_password"], true);
    // Nothing else is allowed until the password is changed.
    let (status, problem) = medic.get("/api/sync/changes?since=0").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("temporary password")
    );
    // A weak or common password is refused with a reason a person can follow.
    for (weak, says) in [("short", "at least 12"), ("password1234", "commonly used")] {
        let (status, problem) = medic
            .send(
                Method::PUT,
                "/api/session/password",
                Some(json!({"current_password": created.temporary_password, "new_password": weak})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("new_password") && detail.contains(says),
            "{detail}"
        );
    }
    let (status, session) = medic
        .send(
            Method::PUT,
            "/api/session/password",
            Some(json!({"current_password": created.temporary_password,
                        "new_password": "night shift on the river"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert!(
        session.get("must_change_password").is_none() || session["must_change_password"] == false
    );
    let (status, _) = medic.get("/api/sync/changes?since=0").await;
    assert_eq!(status, StatusCode::OK);
    // The new password works; the temporary one no longer does.
    hub.sign_in_with("medic20", "night shift on the river", Some("M20"))
        .await;
    let (status, _) = hub
        .anonymous()
        .post(
            "/api/session",
            json!({"username": "medic20", "password": created.temporary_password}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // No password appears in the audit log.
    let rows = query(&hub, "SELECT detail || target FROM audit_log").await;
    assert!(
        rows.iter()
            .all(|r| !r[0].contains(&created.temporary_password))
    );
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_at_once_and_cannot_sign_in_until_enabled() {
    let hub = TestHub::start();
    let admin = hub.sign_in("admin", None).await;
    let medic = hub.sign_in("medic2", Some("M14")).await;
    let response = medic
        .request(Method::GET, "/api/sync/stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut stream = EventReader::new(response);
    let id = user_id(&admin, "medic2").await;
    let user: AdminUser = admin
        .ok(
            Method::PATCH,
            &format!("/api/admin/users/{id}"),
            Some(json!({"disabled": true})),
        )
        .await;
    assert!(user.disabled);
    // The open stream ends within a second; the session is refused.
    tokio::time::timeout(Duration::from_secs(1), stream.closed())
        .await
        .expect("the disabled user's live stream ended");
    let (status, problem) = medic.get("/api/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        problem["detail"].as_str().unwrap().contains("disabled"),
        "{problem}"
    );
    let (status, problem) = hub
        .anonymous()
        .post(
            "/api/session",
            json!({"username": "medic2", "password": common::PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        problem["detail"].as_str().unwrap().contains("disabled"),
        "{problem}"
    );
    let _: AdminUser = admin
        .ok(
            Method::PATCH,
            &format!("/api/admin/users/{id}"),
            Some(json!({"disabled": false})),
        )
        .await;
    hub.sign_in("medic2", Some("M14")).await;
}

#[tokio::test]
async fn the_last_admin_cannot_be_disabled_or_demoted() {
    let hub = TestHub::start();
    let admin = hub.sign_in("admin", None).await;
    let id = user_id(&admin, "admin").await;
    for change in [json!({"disabled": true}), json!({"role": "dispatcher"})] {
        let (status, problem) = admin
            .send(
                Method::PATCH,
                &format!("/api/admin/users/{id}"),
                Some(change),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("last active admin")
        );
    }
    // With a second admin, the first may step down.
    let second = create_medic(&admin, "admin2").await;
    let _: AdminUser = admin
        .ok(
            Method::PATCH,
            &format!("/api/admin/users/{}", second.user.id),
            Some(json!({"role": "admin"})),
        )
        .await;
    let user: AdminUser = admin
        .ok(
            Method::PATCH,
            &format!("/api/admin/users/{id}"),
            Some(json!({"role": "dispatcher"})),
        )
        .await;
    assert_eq!(user.role, tenfour_protocol::wire::Role::Dispatcher);
}

#[tokio::test]
async fn a_reset_password_ends_the_users_sessions_and_is_shown_once() {
    let hub = TestHub::start();
    let admin = hub.sign_in("admin", None).await;
    let medic = hub.sign_in("medic1", Some("M12")).await;
    let id = user_id(&admin, "medic1").await;
    let reset: TemporaryPassword = admin
        .ok(
            Method::POST,
            &format!("/api/admin/users/{id}/password"),
            None,
        )
        .await;
    let (status, _) = medic.get("/api/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let again = hub
        .sign_in_with("medic1", &reset.temporary_password, None)
        .await;
    let (_, session) = again.get("/api/session").await;
    assert_eq!(session["must_change_password"], true);
    let users: Vec<AdminUser> = admin.ok(Method::GET, "/api/admin/users", None).await;
    let listed = serde_json::to_string(&users).unwrap();
    assert!(!listed.contains(&reset.temporary_password));
}

#[tokio::test]
async fn a_retired_unit_stays_in_history_and_is_no_longer_offered() {
    let hub = TestHub::start();
    let admin = hub.sign_in("admin", None).await;
    let units: Vec<AdminUnit> = admin.ok(Method::GET, "/api/admin/units", None).await;
    let e3 = units.iter().find(|u| u.callsign == "E3").unwrap();
    let renamed: AdminUnit = admin
        .ok(
            Method::PATCH,
            &format!("/api/admin/units/{}", e3.id),
            Some(json!({"callsign": "E4"})),
        )
        .await;
    assert_eq!(renamed.callsign, "E4");
    let (status, problem) = admin
        .send(
            Method::PATCH,
            &format!("/api/admin/units/{}", e3.id),
            Some(json!({"callsign": "M12"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let retired: AdminUnit = admin
        .ok(
            Method::PATCH,
            &format!("/api/admin/units/{}", e3.id),
            Some(json!({"retired": true})),
        )
        .await;
    assert!(retired.retired);
    let (status, problem) = hub
        .anonymous()
        .post(
            "/api/session",
            json!({"username": "fire1", "password": common::PASSWORD, "unit": "E4"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        query(
            &hub,
            &format!("SELECT count(*) FROM units WHERE id = {}", e3.id)
        )
        .await,
        [["1".to_owned()]]
    );
}

#[tokio::test]
async fn natures_are_the_agencys_own_once_edited() {
    let hub = TestHub::start();
    let admin = hub.sign_in("admin", None).await;
    let dispatch = hub.sign_in("dispatch", None).await;
    let before: Vec<Value> = dispatch.ok(Method::GET, "/api/natures", None).await;
    assert!(before.len() > 10);
    let _: Value = admin
        .ok(
            Method::PUT,
            "/api/admin/natures/WATER-RESCUE",
            Some(json!({"code": "WATER-RESCUE", "label": "Water rescue", "default_priority": 1})),
        )
        .await;
    let after: Vec<Value> = dispatch.ok(Method::GET, "/api/natures", None).await;
    assert_eq!(after.len(), before.len() + 1);
    assert!(
        after
            .iter()
            .any(|n| n["code"] == "WATER-RESCUE" && n["default_priority"] == 1)
    );
    // The new-incident form takes the agency's own nature.
    let incident: Value = dispatch
        .ok(
            Method::POST,
            "/api/incidents",
            Some(json!({"nature_code": "WATER-RESCUE", "priority": 1, "address": "Pier 4"})),
        )
        .await;
    assert_eq!(incident["nature_text"], "Water rescue");
    let (status, problem) = admin
        .send(
            Method::PUT,
            "/api/admin/natures/FALL",
            Some(json!({"code": "FALL", "label": "Fall", "default_priority": 9})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem["detail"].as_str().unwrap().contains("priority"));
    // Another agency still has the common list.
    let other: Vec<Value> = hub
        .sign_in("other-dispatch", None)
        .await
        .ok(Method::GET, "/api/natures", None)
        .await;
    assert_eq!(other.len(), before.len());
}

async fn post_roster(admin: &Client, csv: &str) -> (StatusCode, Value) {
    let response = admin
        .request(Method::POST, "/api/admin/roster")
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_roster_with_one_bad_row_writes_nothing_and_names_the_row() {
    let hub = TestHub::start();
    let admin = hub.sign_in("admin", None).await;
    let users_before = query(&hub, "SELECT count(*) FROM users").await;
    let units_before = query(&hub, "SELECT count(*) FROM units").await;
    let bad = "type,username,display_name,role,callsign,unit_kind\n\
               user,medic30,Pat Doe,responder,,\n\
               user,medic1,Taken Name,responder,,\n\
               unit,,,,M30,ems\n\
               user,medic31,\"Roe, Jo\",paramedic,,\n";
    let (status, problem) = post_roster(&admin, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("line 5") && detail.contains("paramedic"),
        "{detail}"
    );
    assert!(query(&hub, "SELECT count(*) FROM users").await == users_before);
    // Fixing the role still leaves the taken username, named by its line.
    let (status, problem) = post_roster(&admin, &bad.replace("paramedic", "responder")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("line 3") && detail.contains("medic1"),
        "{detail}"
    );
    assert!(query(&hub, "SELECT count(*) FROM users").await == users_before);
    assert!(query(&hub, "SELECT count(*) FROM units").await == units_before);

    let good = bad
        .replace("paramedic", "responder")
        .replace("medic1,Taken", "medic32,Taken");
    let (status, report) = post_roster(&admin, &good).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let report: RosterReport = serde_json::from_value(report).unwrap();
    assert_eq!(report.users.len(), 3);
    assert_eq!(report.units[0].callsign, "M30");
    let roe = report
        .users
        .iter()
        .find(|u| u.user.username == "medic31")
        .unwrap();
    assert_eq!(roe.user.display_name, "Roe, Jo");
    hub.sign_in_with("medic31", &roe.temporary_password, None)
        .await;
}

#[tokio::test]
async fn the_audit_log_records_changes_and_sign_ins_with_who_and_where() {
    let hub = TestHub::start();
    let admin = hub.sign_in("admin", None).await;
    let (status, _) = hub
        .anonymous()
        .post(
            "/api/session",
            json!({"username": "dispatch", "password": "not the password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    create_medic(&admin, "medic40").await;
    let log: Vec<AuditEntry> = admin.ok(Method::GET, "/api/admin/audit", None).await;
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        &actions[..3],
        ["user_created", "sign_in_failed", "sign_in"],
        "{log:?}"
    );
    assert_eq!(log[0].target, "medic40");
    assert!(log[0].actor.contains("Alex Morgan"));
    assert_eq!(log[1].target, "dispatch");
    assert_eq!(log[1].address.as_deref(), Some("127.0.0.1"));
    let failures: Vec<AuditEntry> = admin
        .ok(Method::GET, "/api/admin/audit?action=sign_in_failed", None)
        .await;
    assert_eq!(failures.len(), 1);
    let (status, _) = admin.get("/api/admin/audit?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Append-only: the database itself refuses to rewrite history.
    assert!(hub.execute("DELETE FROM audit_log").await.is_err());
    assert!(
        hub.execute("UPDATE audit_log SET actor = 'nobody'")
            .await
            .is_err()
    );
}

/// Sign-in ignores case, so no two usernames may differ only by case: the admin is told, and
/// the database itself refuses it.
#[tokio::test]
async fn usernames_that_differ_only_by_case_are_refused() {
    let hub = TestHub::start();
    let admin = hub.sign_in("admin", None).await;
    let (status, problem) = admin
        .post(
            "/api/admin/users",
            json!({"username": "Medic1", "display_name": "Copy", "role": "responder"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("taken"));
    let copy = hub
        .execute(
            "INSERT INTO users (agency_id, username, display_name, role, password_hash)
             SELECT agency_id, 'MEDIC1', 'x', 'responder', 'x' FROM users
             WHERE username = 'medic1'",
        )
        .await;
    assert!(copy.is_err(), "the database refuses a case-only duplicate");
}

#[tokio::test]
async fn a_renamed_user_acts_under_the_new_name_at_once() {
    let hub = TestHub::start();
    let admin = hub.sign_in("admin", None).await;
    let dispatch = hub.sign_in("dispatch", None).await;
    let note = |text: &str| json!({"text": text});
    let (status, before) = dispatch.post("/api/incidents/1/notes", note("First")).await;
    assert_eq!(status, StatusCode::CREATED, "{before}");
    let id = user_id(&admin, "dispatch").await;
    let _: AdminUser = admin
        .ok(
            Method::PATCH,
            &format!("/api/admin/users/{id}"),
            Some(json!({"display_name": "Night Desk"})),
        )
        .await;
    // The same session, a moment later: its next note carries the new name.
    let (status, after) = dispatch
        .post("/api/incidents/1/notes", note("Second"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{after}");
    let notes = after["notes"].as_array().unwrap();
    let second = notes.iter().find(|n| n["text"] == "Second").unwrap();
    assert_eq!(second["author"], "Night Desk", "{second}");
    let first = notes.iter().find(|n| n["text"] == "First").unwrap();
    assert_ne!(first["author"], "Night Desk", "{first}");
}
