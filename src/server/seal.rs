//! Tokens at rest: AES-256-GCM in the format `pleo-oauth/server` writes, so that a Rust and a
//! Node backend can share one database — IV (12 bytes) ‖ tag (16 bytes) ‖ ciphertext, with
//! `pleo-oauth:<connection id>` as additional data (a row moved under another id does not open).
//!
//! Invariant: what does not open — a wrong key, any changed byte, another id — is
//! [`ServerErrorCode::TokensUnreadable`], never garbage plaintext. The IV is the caller's (12
//! CSPRNG bytes, never reused with the same key): sans-IO, like all entropy here.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use alloc::vec::Vec;

use super::{ServerError, ServerErrorCode};

fn aad(connection_id: &str) -> Vec<u8> {
    cat!("pleo-oauth:", connection_id).into_bytes()
}

/// Seals `plaintext` (the connection's tokens) for the row `connection_id`.
pub fn seal(key: &[u8; 32], iv: &[u8; 12], connection_id: &str, plaintext: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let aad = aad(connection_id);
    // The aead crate answers ciphertext ‖ tag; the stored form puts the tag first.
    let out = cipher
        .encrypt(
            Nonce::from_slice(iv),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .unwrap_or_default();
    let (body, tag) = out.split_at(out.len().saturating_sub(16));
    let mut sealed = Vec::with_capacity(28 + body.len());
    sealed.extend_from_slice(iv);
    sealed.extend_from_slice(tag);
    sealed.extend_from_slice(body);
    sealed
}

/// Opens what [`seal`] (or `pleo-oauth/server`) wrote for the row `connection_id`.
pub fn open(key: &[u8; 32], connection_id: &str, sealed: &[u8]) -> Result<Vec<u8>, ServerError> {
    let unreadable = || {
        ServerError::new(
            ServerErrorCode::TokensUnreadable,
            "The connection's tokens could not be opened: a wrong key for its key id, or a row changed outside pleo-oauth. The user must connect again.",
        )
    };
    let (iv, rest) = sealed.split_at_checked(12).ok_or_else(unreadable)?;
    let (tag, body) = rest.split_at_checked(16).ok_or_else(unreadable)?;
    let mut joined = Vec::with_capacity(rest.len());
    joined.extend_from_slice(body);
    joined.extend_from_slice(tag);
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let aad = aad(connection_id);
    cipher
        .decrypt(
            Nonce::from_slice(iv),
            Payload {
                msg: &joined,
                aad: &aad,
            },
        )
        .map_err(|_| unreadable())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    /// Written by Node's crypto as pleo-oauth/server seals (key 32 × 0x07, IV 12 × 0x01, id
    /// "conn").
    const FROM_NODE: &str = "01010101010101010101010100ab20eeda131151ff7705c36eed24a00dc3e895aa9d942cfdf6b9034a59055dc4d7369d3aad0e6e";
    const PLAIN: &[u8] = br#"{"a":"x","e":null,"i":5}"#;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn the_same_format_as_pleo_oauth_server_both_ways() {
        let key = [7u8; 32];
        assert_eq!(seal(&key, &[1u8; 12], "conn", PLAIN), hex(FROM_NODE));
        assert_eq!(open(&key, "conn", &hex(FROM_NODE)).unwrap(), PLAIN);
    }

    #[test]
    fn a_wrong_key_a_changed_byte_another_id_or_a_short_row_is_tokens_unreadable() {
        let key = [7u8; 32];
        let sealed = hex(FROM_NODE);
        let code = |r: Result<Vec<u8>, ServerError>| r.unwrap_err().code();
        assert_eq!(
            code(open(&[8u8; 32], "conn", &sealed)),
            ServerErrorCode::TokensUnreadable
        );
        assert_eq!(
            code(open(&key, "other", &sealed)),
            ServerErrorCode::TokensUnreadable
        );
        for i in [0, 12, 28, sealed.len() - 1] {
            let mut changed = sealed.clone();
            changed[i] ^= 1;
            assert_eq!(
                code(open(&key, "conn", &changed)),
                ServerErrorCode::TokensUnreadable,
                "byte {i}"
            );
        }
        assert_eq!(
            code(open(&key, "conn", &sealed[..20])),
            ServerErrorCode::TokensUnreadable
        );
        let e = open(&[8u8; 32], "conn", &sealed).unwrap_err();
        assert!(!e.message().contains("\"a\""));
    }
}
