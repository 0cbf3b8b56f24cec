//! VAPID (RFC 8292): the hub identifies itself to push services with a P-256 key pair per
//! agency. Devices subscribe with its public key; each request carries a short-lived JWT
//! (ES256) for the push service's origin, signed with the private key.

use crate::db;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::SecretKey;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_core::OsRng;

/// How long a signed token is good for (RFC 8292 allows at most 24 hours).
pub const TOKEN_SECONDS: u64 = 12 * 3600;

#[derive(Clone)]
pub struct Vapid {
    pub id: i64,
    secret: SecretKey,
    /// The uncompressed public point, base64url without padding.
    pub public_key: String,
}

impl Vapid {
    fn from_row(id: i64, secret: &[u8]) -> Option<Vapid> {
        let secret = SecretKey::from_slice(secret).ok()?;
        Some(Vapid {
            id,
            public_key: public_key_of(&secret),
            secret,
        })
    }

    /// `Authorization: vapid t=<JWT>, k=<public key>` for a request to `endpoint`, or None
    /// when the endpoint has no origin to name.
    pub fn authorization(&self, endpoint: &str, subject: &str, now_s: u64) -> Option<String> {
        let audience = audience(endpoint)?;
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": audience,
            "exp": now_s + TOKEN_SECONDS,
            "sub": subject,
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let signature: Signature = SigningKey::from(&self.secret).sign(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(signature.to_bytes());
        Some(format!(
            "vapid t={signing_input}.{signature}, k={}",
            self.public_key
        ))
    }
}

fn public_key_of(secret: &SecretKey) -> String {
    URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes())
}

/// The origin a token is for: scheme, host and port of the push endpoint.
pub fn audience(endpoint: &str) -> Option<String> {
    let (scheme, rest) = endpoint.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty() && matches!(scheme, "https" | "http")).then(|| format!("{scheme}://{host}"))
}

/// The agency's current key pair, made on first use.
pub async fn current(conn: &mut db::Conn, agency_id: i64) -> Result<Vapid, sqlx::Error> {
    let row = db::rows!(
        conn,
        fetch_optional,
        (i64, Vec<u8>),
        "SELECT id, secret FROM vapid_keys
           WHERE agency_id = $1 AND retired_at IS NULL",
        agency_id
    )?;
    if let Some(vapid) = row.and_then(|(id, secret)| Vapid::from_row(id, &secret)) {
        return Ok(vapid);
    }
    create(conn, agency_id).await
}

/// A new key pair for the agency; the old one is retired and every subscription made with
/// it is dropped (push services refuse tokens signed by another key). Devices subscribe
/// again with the new key the next time they start or come online.
pub async fn rotate(conn: &mut db::Conn, agency_id: i64) -> Result<Vapid, sqlx::Error> {
    let now = crate::clock::now_ms();
    db::execute!(
        conn,
        "UPDATE vapid_keys SET retired_at = $1 WHERE agency_id = $2 AND retired_at IS NULL",
        now,
        agency_id
    )?;
    db::execute!(
        conn,
        "DELETE FROM push_subscriptions WHERE agency_id = $1",
        agency_id
    )?;
    create(conn, agency_id).await
}

async fn create(conn: &mut db::Conn, agency_id: i64) -> Result<Vapid, sqlx::Error> {
    let secret = SecretKey::random(&mut OsRng);
    let public_key = public_key_of(&secret);
    let bytes = secret.to_bytes().to_vec();
    let now = crate::clock::now_ms();
    let id = db::scalar!(
        conn,
        fetch_one,
        _,
        "INSERT INTO vapid_keys (agency_id, secret, public_key, created_at)
           VALUES ($1, $2, $3, $4) RETURNING id AS id",
        agency_id,
        bytes,
        public_key,
        now
    )?;
    Ok(Vapid {
        id,
        secret,
        public_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn the_token_names_the_push_service_and_verifies_with_the_public_key() {
        let secret = SecretKey::random(&mut OsRng);
        let vapid = Vapid {
            id: 1,
            public_key: public_key_of(&secret),
            secret,
        };
        let header = vapid
            .authorization(
                "https://push.example.net:8443/wpush/v2/abc?x=1",
                "mailto:ops@example.org",
                1_000,
            )
            .unwrap();
        let (token, key) = header
            .strip_prefix("vapid t=")
            .unwrap()
            .split_once(", k=")
            .unwrap();
        assert_eq!(key, vapid.public_key);
        let parts: Vec<&str> = token.split('.').collect();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net:8443");
        assert_eq!(claims["exp"], 1_000 + TOKEN_SECONDS);
        assert_eq!(claims["sub"], "mailto:ops@example.org");
        let verifying =
            VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(key).unwrap()).unwrap();
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        assert!(verifying.verify(signed.as_bytes(), &signature).is_ok());
        assert!(verifying.verify(b"something else", &signature).is_err());
    }

    #[test]
    fn an_endpoint_without_an_origin_has_no_audience() {
        assert_eq!(audience("not a url"), None);
        assert_eq!(audience("ftp://push.example/x"), None);
        assert_eq!(
            audience("http://127.0.0.1:9000/push/1").as_deref(),
            Some("http://127.0.0.1:9000")
        );
    }
}
