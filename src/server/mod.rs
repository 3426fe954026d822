//! The backend half (`--features server`; the browser module never contains it): the rules a
//! partner's backend must follow once the browser hands it the code, sans-IO like the rest of
//! the crate — the caller does the HTTP, the clock, the randomness and the database.
//!
//! The modules read as the backend's flow:
//! [`handoff`] (the bound handoff's registration, the handoff body read strictly, the bound
//! check) → [`token`] (the token request for a code or a refresh token, the token response read
//! strictly into redacted tokens with an absolute expiry, or the server's OAuth error) →
//! [`refresh`] (when to refresh, and which refresh token survives a rotation) → [`seal`]
//! (AES-256-GCM for the tokens at rest, in `pleo-oauth/server`'s format).
//!
//! Invariant: no secret (code, verifier, client secret, access or refresh token) appears in a
//! `Debug` output, an error message or a [`ServerError`] field; the newtypes here print
//! `[redacted]`. Every failure has a stable code ([`ServerErrorCode`]).

use alloc::string::String;
use core::fmt;

pub mod handoff;
pub mod json;
pub mod ops;
pub mod refresh;
pub mod seal;
pub mod token;

/// A secret the backend holds: `Debug` prints `[redacted]`, and only [`Secret::secret`] reads it.
macro_rules! secret {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Wraps the secret.
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }

            /// The secret. **Security:** never log it or put it in an error message.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret!(
    /// The client secret Pleo issued (HTTP Basic at the token endpoint, RFC 6749 §2.3.1).
    ClientSecret
);
secret!(
    /// An access token: opaque (never decoded), a bearer credential (RFC 6750).
    AccessToken
);
secret!(
    /// A refresh token: opaque, rotated on every use by Pleo (the old one is then void, and
    /// using it again revokes the whole authorisation).
    RefreshToken
);

/// Why a server rule refused something. Stable; the message names no secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerErrorCode {
    /// The handoff (or bound-handoff registration) body broke a rule: not one JSON object of
    /// exactly its fields, a field of the wrong type or size, a verifier outside RFC 7636
    /// §4.1, or another redirect URI than the configured one.
    InvalidHandoff,
    /// No registration of the bound handoff for this state (never registered, or used).
    UnknownState,
    /// The registration is past its expiry.
    Expired,
    /// S256 of the verifier is not the challenge registered for the state (RFC 7636 §4.6): a
    /// code injected with another browser's verifier.
    ChallengeMismatch,
    /// The token endpoint answered with an OAuth error (RFC 6749 §5.2): see
    /// [`ServerError::oauth`].
    TokenError,
    /// The token endpoint answered something that is not a token response this library can
    /// trust (RFC 6749 §5.1): not JSON, a member missing or of the wrong type, another token
    /// type than `Bearer`, or too large.
    TokenResponseInvalid,
    /// The token endpoint answered with an HTTP status that is neither a success nor an OAuth
    /// error (a 5xx, a redirect, a proxy's page).
    TokenEndpointFailed,
    /// Sealed tokens that do not open ([`seal::open`]): a wrong key, or a changed row.
    TokensUnreadable,
}

impl ServerErrorCode {
    /// The code as a string: what logs and the Node package report.
    pub fn as_str(self) -> &'static str {
        match self {
            ServerErrorCode::InvalidHandoff => "invalid_handoff",
            ServerErrorCode::UnknownState => "unknown_state",
            ServerErrorCode::Expired => "expired",
            ServerErrorCode::ChallengeMismatch => "challenge_mismatch",
            ServerErrorCode::TokenError => "token_error",
            ServerErrorCode::TokenResponseInvalid => "token_response_invalid",
            ServerErrorCode::TokenEndpointFailed => "token_endpoint_failed",
            ServerErrorCode::TokensUnreadable => "tokens_unreadable",
        }
    }
}

/// An OAuth error from the token endpoint (RFC 6749 §5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    /// `error`, e.g. `invalid_grant` (a used, expired or revoked code or refresh token).
    pub error: String,
    /// `error_description`, when sent.
    pub error_description: Option<String>,
    /// `error_uri`, when sent.
    pub error_uri: Option<String>,
}

/// A refusal of a server rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerError {
    code: ServerErrorCode,
    message: String,
    oauth: Option<OAuthError>,
    status: Option<u16>,
}

impl ServerError {
    pub(crate) fn new(code: ServerErrorCode, message: impl Into<String>) -> Self {
        ServerError {
            code,
            message: message.into(),
            oauth: None,
            status: None,
        }
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The stable code.
    pub fn code(&self) -> ServerErrorCode {
        self.code
    }

    /// What happened and what to do, for the partner's developers (no secret in it).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// For [`ServerErrorCode::TokenError`]: what the token endpoint said.
    pub fn oauth(&self) -> Option<&OAuthError> {
        self.oauth.as_ref()
    }

    /// The token endpoint's HTTP status, for the token errors.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl core::error::Error for ServerError {}

/// Compares two byte strings in time that depends only on their lengths (a challenge, a
/// state): no early exit on the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    core::hint::black_box(diff) == 0
}

/// At most 64 bytes of a value a message quotes (the rest is someone else's text).
fn quoted(s: &str) -> String {
    crate::text::bounded(s, 64)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    #[test]
    fn secrets_print_redacted() {
        assert_eq!(
            format!("{:?}", ClientSecret::new("s3cr3t")),
            "ClientSecret([redacted])"
        );
        assert_eq!(
            format!("{:?}", AccessToken::new("at")),
            "AccessToken([redacted])"
        );
        assert_eq!(
            format!("{:?}", RefreshToken::new("rt")),
            "RefreshToken([redacted])"
        );
        assert_eq!(RefreshToken::new("rt").secret(), "rt");
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
