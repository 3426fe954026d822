//! Proof Key for Code Exchange, S256 only (RFC 7636).
//!
//! Invariant: a [`PkceCodeVerifier`] always holds 43–128 characters of
//! `[A-Za-z0-9-._~]` (RFC 7636 §4.1), is not `Clone`, and its `Debug` prints nothing secret.
//! The challenge method is always `S256`: Pleo refuses `plain`. The SHA-256 of the verifier is
//! the platform's (`crypto.subtle.digest` in the browser, I/O like the CSPRNG bytes): the core
//! takes the digest and encodes it ([`PkceCodeChallenge::from_digest`]), so the browser module
//! ships no SHA-256 of its own. Native code and the server build hash with [`crate::sha256`]
//! ([`PkceCodeVerifier::challenge`]).

use alloc::string::String;

use crate::error::{invalid_config, invalid_parameter, Result};
use crate::messages::Msg;
use crate::text::decimal;

/// The only challenge method this library sends (RFC 7636 §4.2; Pleo accepts nothing else).
pub const S256: &str = "S256";

/// The code verifier: a high-entropy secret kept by the client until the token request.
pub struct PkceCodeVerifier(String);

impl PkceCodeVerifier {
    /// The verifier for 32 bytes of the platform CSPRNG (the caller's, sans-IO): base64url
    /// without padding, 43 characters, 256 bits of entropy (RFC 7636 §4.1 and §7.1).
    pub fn from_entropy(bytes: &[u8; 32]) -> Self {
        PkceCodeVerifier(crate::text::base64url(bytes))
    }

    /// A verifier read back from storage: the rule of [`PkceCodeVerifier::new`] (one place).
    pub fn from_stored(verifier: String) -> Option<Self> {
        PkceCodeVerifier::new(verifier).ok()
    }

    /// Checks a verifier supplied by a caller.
    pub fn new(verifier: String) -> Result<Self> {
        // RFC 7636 §4.1: code-verifier = 43*128unreserved, unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
        // Characters, not bytes, in the message: UTF-8 continuation bytes are not counted.
        // No iterator adapters.
        let mut len = 0;
        for b in verifier.bytes() {
            len += usize::from(b & 0xC0 != 0x80);
        }
        if !(43..=128).contains(&len) {
            return Err(crate::error::quoting(
                crate::ErrorCode::InvalidParameter,
                Msg::VerifierLength,
                &decimal(len as u64),
            ));
        }
        // RFC 3986 §2.3 unreserved characters, read by the out-of-line helper the scopes use.
        if !crate::config::word(&verifier, "-._~") {
            return Err(invalid_parameter(Msg::VerifierCharacters));
        }
        Ok(PkceCodeVerifier(verifier))
    }

    /// The verifier itself.
    ///
    /// **Security:** this is a secret. Send it only to your own backend for the token request;
    /// never log it, never put it in a URL.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// The S256 challenge, hashed here ([`crate::sha256`]): for native code and the server
    /// build, which checks a verifier against its registered challenge. The browser module has
    /// no SHA-256: it takes the platform's digest ([`PkceCodeChallenge::from_digest`]).
    #[cfg(not(all(
        target_arch = "wasm32",
        feature = "wasm-runtime",
        not(feature = "server")
    )))]
    pub fn challenge(&self) -> PkceCodeChallenge {
        PkceCodeChallenge::encode(&crate::sha256::sha256(self.0.as_bytes()))
    }
}

impl core::fmt::Debug for PkceCodeVerifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PkceCodeVerifier([redacted])")
    }
}

/// The code challenge sent in the authorisation request. Public by design.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PkceCodeChallenge(String);

/// Bytes of a SHA-256 digest.
pub const DIGEST_BYTES: usize = 32;

impl PkceCodeChallenge {
    /// The S256 challenge of a verifier whose SHA-256 digest of its ASCII the platform computed
    /// (`crypto.subtle.digest("SHA-256", …)` in the browser; sans-IO). Anything but
    /// [`DIGEST_BYTES`] bytes — Web Crypto missing (a page that is no secure context) or its
    /// digest failing — is refused as missing randomness is: `invalid_config`.
    pub fn from_digest(digest: &[u8]) -> Result<Self> {
        match digest.try_into() {
            Ok(d) => Ok(PkceCodeChallenge::encode(d)),
            Err(_) => Err(invalid_config(Msg::NoDigest)),
        }
    }

    /// RFC 7636 §4.2: `code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`, given
    /// the digest.
    fn encode(digest: &[u8; DIGEST_BYTES]) -> Self {
        PkceCodeChallenge(crate::text::base64url(digest))
    }

    /// The base64url string (43 characters).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    #[test]
    fn rfc7636_s4_2_appendix_b_vector() {
        let bytes: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let verifier = PkceCodeVerifier::from_entropy(&bytes);
        assert_eq!(
            verifier.secret(),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
        assert_eq!(
            verifier.challenge().as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let supplied =
            PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into()).unwrap();
        assert_eq!(
            supplied.challenge().as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    /// The shipped path: the platform's digest of the verifier, encoded by the core (the
    /// RFC 7636 Appendix B vector, the digest from the `sha2` crate).
    #[test]
    fn rfc7636_s4_2_appendix_b_challenge_from_the_platforms_digest() {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            PkceCodeChallenge::from_digest(&digest).unwrap().as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    /// No digest (Web Crypto missing or failing), or one of another length: `invalid_config`,
    /// with the message saying that SHA-256 needs a secure context.
    #[test]
    fn a_missing_or_short_digest_is_refused_as_invalid_config() {
        for len in [0, 1, 31, 33, 64] {
            let e = PkceCodeChallenge::from_digest(&vec![7; len]).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig, "length {len}");
            assert!(e.message().contains("secure context"), "{}", e.message());
        }
    }

    #[test]
    fn rfc7636_s4_1_s7_1_verifiers_are_43_unreserved_chars_from_32_random_bytes() {
        let a = PkceCodeVerifier::from_entropy(&[0xA5; 32]);
        let b = PkceCodeVerifier::from_entropy(&[0x5A; 32]);
        assert_eq!(a.secret().len(), 43);
        assert!(a
            .secret()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(&c)));
        assert_ne!(a.secret(), b.secret());
        assert_eq!(a.challenge().as_str().len(), 43);
    }

    #[test]
    fn rfc7636_s4_1_verifier_length_bounds_are_43_and_128() {
        assert!(PkceCodeVerifier::new("a".repeat(43)).is_ok());
        assert!(PkceCodeVerifier::new("a".repeat(128)).is_ok());
        for len in [0, 42, 129] {
            let e = PkceCodeVerifier::new("a".repeat(len)).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidParameter);
            assert!(e.message().contains(&len.to_string()));
        }
    }

    #[test]
    fn rfc7636_s4_1_verifier_charset_is_unreserved_only() {
        assert!(PkceCodeVerifier::new(format!("{}-._~AZaz09", "x".repeat(40))).is_ok());
        for bad in ['+', '/', '=', ' ', '%', 'é'] {
            let v = format!("{}{bad}", "x".repeat(50));
            let e = PkceCodeVerifier::new(v.clone()).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidParameter);
            assert!(
                !e.message().contains(&v),
                "message must not echo the verifier"
            );
        }
    }

    /// Every ASCII character: accepted exactly when RFC 3986 §2.3 calls it unreserved.
    #[test]
    fn rfc7636_s4_1_every_ascii_character_is_accepted_iff_unreserved() {
        for c in 0u8..=127 {
            let unreserved = c.is_ascii_alphanumeric() || b"-._~".contains(&c);
            let v = format!("{}{}", "x".repeat(50), char::from(c));
            assert_eq!(PkceCodeVerifier::new(v).is_ok(), unreserved, "{c:#x}");
        }
    }

    #[test]
    fn debug_is_redacted() {
        let v =
            PkceCodeVerifier::new("s3cr3t-verifier-value-that-is-long-enough-xx".into()).unwrap();
        assert_eq!(format!("{v:?}"), "PkceCodeVerifier([redacted])");
    }
}
