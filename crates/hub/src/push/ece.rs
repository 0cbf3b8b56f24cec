//! Message encryption for Web Push (RFC 8291): the `aes128gcm` content coding of RFC 8188
//! with keys from an ECDH exchange between a fresh sender key and the browser's
//! subscription key, mixed with the subscription's authentication secret.
//!
//! The body is one record: salt (16) · record size (4) · key id length (1) · the sender's
//! public key (65) · AES-128-GCM ciphertext of the message followed by the last-record
//! delimiter 0x02. `decrypt` is what a browser does; the tests' push service uses it.

use aes_gcm::aead::Aead;
use aes_gcm::{Aes128Gcm, KeyInit, Nonce};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;

/// The record size announced in the header: one record holds any message a push service
/// accepts (4,096 bytes at most).
const RECORD_SIZE: u32 = 4096;
const HEADER: usize = 16 + 4 + 1 + 65;
/// The largest message that fits one record with its tag and delimiter.
pub const MAX_MESSAGE: usize = RECORD_SIZE as usize - HEADER - 16 - 1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EceError {
    #[error("the subscription's p256dh is not a P-256 public key")]
    BadPublicKey,
    #[error("the subscription's auth secret must be 16 bytes")]
    BadAuth,
    #[error("the message is too long for one push ({0} bytes; at most {MAX_MESSAGE})")]
    TooLong(usize),
    #[error("the body is not an aes128gcm push message")]
    Malformed,
    #[error("the body does not decrypt with this key and secret")]
    Undecryptable,
}

/// Encrypts `message` for a subscription with a fresh sender key and salt.
pub fn encrypt(message: &[u8], p256dh: &[u8], auth: &[u8]) -> Result<Vec<u8>, EceError> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    encrypt_with(message, p256dh, auth, &SecretKey::random(&mut OsRng), salt)
}

/// Encrypts with a given sender key and salt (the RFC's example fixes both).
pub fn encrypt_with(
    message: &[u8],
    p256dh: &[u8],
    auth: &[u8],
    sender: &SecretKey,
    salt: [u8; 16],
) -> Result<Vec<u8>, EceError> {
    if message.len() > MAX_MESSAGE {
        return Err(EceError::TooLong(message.len()));
    }
    let receiver = PublicKey::from_sec1_bytes(p256dh).map_err(|_| EceError::BadPublicKey)?;
    let sender_public = sender.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(sender.to_nonzero_scalar(), receiver.as_affine());
    let (key, nonce) = content_keys(
        shared.raw_secret_bytes(),
        auth,
        receiver.to_encoded_point(false).as_bytes(),
        sender_public.as_bytes(),
        &salt,
    )?;
    let mut record = Vec::with_capacity(message.len() + 1);
    record.extend_from_slice(message);
    record.push(2);
    let sealed = Aes128Gcm::new_from_slice(&key)
        .map_err(|_| EceError::Malformed)?
        .encrypt(Nonce::from_slice(&nonce), record.as_slice())
        .map_err(|_| EceError::Malformed)?;
    let mut body = Vec::with_capacity(HEADER + sealed.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(sender_public.as_bytes());
    body.extend_from_slice(&sealed);
    Ok(body)
}

/// Decrypts a one-record push message with the subscription's private key and secret.
pub fn decrypt(body: &[u8], receiver: &SecretKey, auth: &[u8]) -> Result<Vec<u8>, EceError> {
    if body.len() < 21 {
        return Err(EceError::Malformed);
    }
    let salt: [u8; 16] = body[..16].try_into().map_err(|_| EceError::Malformed)?;
    let id_len = usize::from(body[20]);
    let key_id = body.get(21..21 + id_len).ok_or(EceError::Malformed)?;
    let sealed = &body[21 + id_len..];
    let sender = PublicKey::from_sec1_bytes(key_id).map_err(|_| EceError::Malformed)?;
    let shared = p256::ecdh::diffie_hellman(receiver.to_nonzero_scalar(), sender.as_affine());
    let (key, nonce) = content_keys(
        shared.raw_secret_bytes(),
        auth,
        receiver.public_key().to_encoded_point(false).as_bytes(),
        key_id,
        &salt,
    )?;
    let mut record = Aes128Gcm::new_from_slice(&key)
        .map_err(|_| EceError::Malformed)?
        .decrypt(Nonce::from_slice(&nonce), sealed)
        .map_err(|_| EceError::Undecryptable)?;
    // Padding (zeros) after the delimiter, which must be 2 for the last record.
    while record.last() == Some(&0) {
        record.pop();
    }
    match record.pop() {
        Some(2) => Ok(record),
        _ => Err(EceError::Malformed),
    }
}

/// The content-encryption key and nonce (RFC 8291 section 3.4, RFC 8188 section 2.2).
fn content_keys(
    shared: &[u8],
    auth: &[u8],
    receiver_public: &[u8],
    sender_public: &[u8],
    salt: &[u8; 16],
) -> Result<([u8; 16], [u8; 12]), EceError> {
    if auth.len() != 16 {
        return Err(EceError::BadAuth);
    }
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(receiver_public);
    key_info.extend_from_slice(sender_public);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared)
        .expand(&key_info, &mut ikm)
        .map_err(|_| EceError::Malformed)?;
    let content = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut key = [0u8; 16];
    let mut nonce = [0u8; 12];
    content
        .expand(b"Content-Encoding: aes128gcm\0", &mut key)
        .map_err(|_| EceError::Malformed)?;
    content
        .expand(b"Content-Encoding: nonce\0", &mut nonce)
        .map_err(|_| EceError::Malformed)?;
    Ok((key, nonce))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn b64(text: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(text).unwrap()
    }

    /// RFC 8291 Appendix A, byte for byte.
    #[test]
    fn the_rfc_8291_example_encrypts_to_the_published_body() {
        let sender =
            SecretKey::from_slice(&b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).unwrap();
        assert_eq!(
            sender.public_key().to_encoded_point(false).as_bytes(),
            b64(
                "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
            )
        );
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let body = encrypt_with(
            b"When I grow up, I want to be a watermelon",
            &b64("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"),
            &b64("BTBZMqHH6r4Tts7J_aSIgg"),
            &sender,
            salt,
        )
        .unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(&body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocIn\
             mYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWG\
             NWQexSgSxsj_Qulcy4a-fN"
        );
        let receiver =
            SecretKey::from_slice(&b64("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94")).unwrap();
        assert_eq!(
            decrypt(&body, &receiver, &b64("BTBZMqHH6r4Tts7J_aSIgg")).unwrap(),
            b"When I grow up, I want to be a watermelon"
        );
    }

    #[test]
    fn a_message_round_trips_and_a_wrong_secret_cannot_read_it() {
        let receiver = SecretKey::random(&mut OsRng);
        let public = receiver.public_key().to_encoded_point(false);
        let auth = [7u8; 16];
        let message = br#"{"kind":"assignment","incident_id":12}"#;
        let body = encrypt(message, public.as_bytes(), &auth).unwrap();
        assert_eq!(decrypt(&body, &receiver, &auth).unwrap(), message);
        assert_eq!(
            decrypt(&body, &receiver, &[8u8; 16]),
            Err(EceError::Undecryptable)
        );
        // A fresh key and salt each time: the same message never looks the same twice.
        assert_ne!(encrypt(message, public.as_bytes(), &auth).unwrap(), body);
    }

    #[test]
    fn bad_subscription_keys_are_refused() {
        assert_eq!(
            encrypt(b"x", &[4u8; 65], &[0u8; 16]),
            Err(EceError::BadPublicKey)
        );
        let public = SecretKey::random(&mut OsRng)
            .public_key()
            .to_encoded_point(false);
        assert_eq!(
            encrypt(b"x", public.as_bytes(), &[0u8; 12]),
            Err(EceError::BadAuth)
        );
        assert_eq!(
            encrypt(&[b'x'; MAX_MESSAGE + 1], public.as_bytes(), &[0u8; 16]),
            Err(EceError::TooLong(MAX_MESSAGE + 1))
        );
    }
}
