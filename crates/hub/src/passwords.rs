//! Passwords: Argon2 hashes, checked and made off the async threads.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand_core::OsRng;

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

/// Hashes off the async threads (Argon2 holds a core for tens of milliseconds).
pub async fn hash_off_thread(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash_password(&password).map_err(|e| e.to_string()))
        .await
        .map_err(|e| e.to_string())?
}
