//! The `Caller` every protected handler receives: the session behind a request, checked, and
//! the actor it speaks for.

use super::{AppState, Error};
use crate::actor::Actor;
use crate::clock::now_ms;
use crate::db;
use crate::sessions::{SECURE_SESSION_COOKIE, SESSION_COOKIE, SessionRow, token_hash};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use tenfour_protocol::wire::{Millis, Role};

/// The signed-in user behind a request: the actor, and the session it came with.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub token_hash: Vec<u8>,
    pub expires_at: Millis,
}

/// A caller is its actor to every handler (`caller.agency_id`, `caller.role`, …).
impl std::ops::Deref for Caller {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.actor
    }
}

impl Caller {
    /// Refuses anyone who does not run the board.
    pub fn require_dispatcher(&self) -> Result<(), Error> {
        if self.dispatches() {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "only dispatchers and admins can do this; sign in with a dispatcher account".into(),
            ))
        }
    }

    /// Refuses anyone but the agency's administrators.
    pub fn require_admin(&self) -> Result<(), Error> {
        if self.administers() {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "only administrators can do this; sign in with an admin account".into(),
            ))
        }
    }

    /// The caller as the audit log names them.
    pub fn author(&self, address: Option<String>) -> crate::audit::Author {
        crate::audit::Author::of(&self.actor, address)
    }

    /// The responder's unit, required for field actions.
    pub fn require_unit(&self) -> Result<i64, Error> {
        if self.role != Role::Responder {
            return Err(Error::Forbidden(
                "only responders signed in to a unit send field actions".into(),
            ));
        }
        self.field_unit().ok_or_else(|| {
            Error::Forbidden("choose your unit for this shift first (PUT /api/session/unit)".into())
        })
    }
}

/// What a session holding a temporary password may still do: see itself, sign out, and
/// choose its own password (paths inside `/api`).
fn allowed_before_password_change(parts: &Parts) -> bool {
    let path = parts.uri.path();
    path.ends_with("/session") || path.ends_with("/session/password")
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let token = bearer(parts)
            .or_else(|| {
                (parts.method == Method::GET)
                    .then(|| cookie(parts))
                    .flatten()
            })
            .ok_or_else(|| {
                Error::Unauthorized(
                    "sign in first: send the session token as 'Authorization: Bearer <token>'"
                        .into(),
                )
            })?;
        let hash = token_hash(&token);
        let cache = &state.sessions.cache;
        let row = match cache.get(&hash) {
            Ok(row) => row,
            Err(generation) => {
                let row: Option<SessionRow> = db::rows!(
                    state.db.reader.acquire().await?,
                    fetch_optional,
                    SessionRow,
                    "SELECT s.user_id, s.agency_id, s.unit_id, s.expires_at, s.revoked_at,
                        u.role, u.display_name, u.disabled_at,
                        u.must_change_password AS must_change_password
                     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
                    hash
                )?;
                let row = row.ok_or_else(|| {
                    Error::Unauthorized("this session is not known here; sign in again".into())
                })?;
                cache.keep(&hash, &row, generation);
                row
            }
        };
        // Disabled first: it says why the session ended.
        if row.disabled_at.is_some() {
            return Err(Error::Unauthorized(
                "this account was disabled by an administrator; ask them to enable it".into(),
            ));
        }
        if row.revoked_at.is_some() {
            return Err(Error::Unauthorized(
                "this session was signed out; sign in again".into(),
            ));
        }
        if row.must_change_password && !allowed_before_password_change(parts) {
            return Err(Error::PasswordChangeNeeded);
        }
        if row.expires_at <= now_ms() {
            return Err(Error::Unauthorized(
                "your session has expired; sign in again (actions waiting on the device are kept)"
                    .into(),
            ));
        }
        let role = Role::parse(&row.role).ok_or_else(|| {
            Error::Internal(format!(
                "user {} has unknown role {:?}",
                row.user_id, row.role
            ))
        })?;
        Ok(Caller {
            actor: Actor {
                agency_id: row.agency_id,
                user_id: row.user_id,
                role,
                display_name: row.display_name,
                unit_id: row.unit_id,
            },
            token_hash: hash,
            expires_at: row.expires_at,
        })
    }
}

fn bearer(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

fn cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE || *name == SECURE_SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}
