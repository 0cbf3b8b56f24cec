//! Passwords, session tokens and the `Caller` every protected handler receives.
//!
//! Tokens are 32 random bytes; the database keeps only their SHA-256, so a copy of it signs
//! nobody in. Requests carry the token as `Authorization: Bearer`; GET requests may carry it
//! in the `tenfour_session` cookie instead, because a browser's EventSource cannot set
//! headers (the cookie is HttpOnly and SameSite=Strict, and never authorises a change).

use crate::http::{AppState, Error};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use tenfour_protocol::wire::{Millis, Role};

pub const SESSION_COOKIE: &str = "tenfour_session";
/// The cookie's name over HTTPS: the `__Host-` prefix makes the browser refuse it unless it is
/// `Secure`, for this exact host, on path `/`.
pub const SECURE_SESSION_COOKIE: &str = "__Host-tenfour_session";

/// The `Set-Cookie` value carrying a session token (or, with an empty token and age 0,
/// clearing it). `secure` when the app is served over HTTPS.
pub fn session_cookie(secure: bool, token: &str, max_age: u64) -> String {
    if secure {
        format!(
            "{SECURE_SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}; Secure"
        )
    } else {
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}")
    }
}

pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A new random session token and the hash to store.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// Checks a password off the async threads, at most one check per core at a time: each
/// Argon2 check holds about 19 MiB, and 64 sign-ins at once (a shift change) would hold
/// 1.2 GB. Bounded, a burst waits its turn instead.
pub async fn check_password(password: String, hash: String) -> Result<bool, String> {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    // The semaphore is never closed, so acquiring cannot fail.
    let _slot = slots.acquire().await;
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| e.to_string())
}

/// The signed-in user behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub agency_id: i64,
    pub role: Role,
    pub display_name: String,
    pub unit_id: Option<i64>,
    pub token_hash: Vec<u8>,
    pub expires_at: Millis,
}

impl Caller {
    /// Refuses anyone who does not run the board.
    pub fn require_dispatcher(&self) -> Result<(), Error> {
        if self.role.dispatches() {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "only dispatchers and admins can do this; sign in with a dispatcher account".into(),
            ))
        }
    }

    /// Refuses anyone but the agency's administrators.
    pub fn require_admin(&self) -> Result<(), Error> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "only administrators can do this; sign in with an admin account".into(),
            ))
        }
    }

    /// The caller as the audit log names them.
    pub fn actor(&self, address: Option<String>) -> crate::audit::Actor {
        crate::audit::Actor {
            agency_id: self.agency_id,
            user_id: Some(self.user_id),
            name: self.display_name.clone(),
            address,
        }
    }

    /// The responder's unit, required for field actions.
    pub fn require_unit(&self) -> Result<i64, Error> {
        if self.role != Role::Responder {
            return Err(Error::Forbidden(
                "only responders signed in to a unit send field actions".into(),
            ));
        }
        self.unit_id.ok_or_else(|| {
            Error::Forbidden("choose your unit for this shift first (PUT /api/session/unit)".into())
        })
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: i64,
    agency_id: i64,
    unit_id: Option<i64>,
    expires_at: i64,
    revoked_at: Option<i64>,
    role: String,
    display_name: String,
    disabled_at: Option<i64>,
    must_change_password: bool,
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
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT s.user_id, s.agency_id, s.unit_id, s.expires_at, s.revoked_at, u.role,
                    u.display_name, u.disabled_at, u.must_change_password
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
        )
        .bind(&hash)
        .fetch_optional(&state.db.reader)
        .await?;
        let row = row.ok_or_else(|| {
            Error::Unauthorized("this session is not known here; sign in again".into())
        })?;
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
            user_id: row.user_id,
            agency_id: row.agency_id,
            role,
            display_name: row.display_name,
            unit_id: row.unit_id,
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
