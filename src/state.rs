//! The `state` parameter: an unguessable value binding the callback to the browser that
//! started the flow (RFC 6749 §10.12, RFC 9700 §4.7.1).
//!
//! Invariant: a generated [`State`] has 256 bits of entropy (≥ 128 required by the contract),
//! encoded base64url without padding (43 characters, URL-safe, storage-key safe).

use alloc::string::String;

/// An opaque `state` value. `Debug` is redacted: it is the key to a pending transaction.
#[derive(Clone, PartialEq, Eq)]
pub struct State(String);

impl State {
    /// A fresh state from 32 bytes of the platform CSPRNG (the caller's, sans-IO): 256 bits,
    /// where RFC 6749 §10.10 asks for ≥ 128 (RFC 9700 §4.7.1: one-time, unguessable).
    pub fn from_entropy(bytes: &[u8; 32]) -> Self {
        State(crate::text::base64url(bytes))
    }

    /// A state as received in a callback (not validated: it is only ever used as a lookup key).
    pub fn from_callback(value: String) -> Self {
        State(value)
    }

    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for State {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("State([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    #[test]
    fn rfc6749_s10_10_states_carry_256_bits_and_differ() {
        let a = State::from_entropy(&[0xA5; 32]);
        let b = State::from_entropy(&[0x5A; 32]);
        assert_eq!(a.as_str().len(), 43);
        assert!(a
            .as_str()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "State([redacted])");
    }
}
