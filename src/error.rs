//! One error type for the whole library.
//!
//! Invariant: every failure carries a stable [`ErrorCode`] (the same strings as the TypeScript
//! `PleoOAuthError.code`), and no message ever contains an authorisation code, a code verifier,
//! a state value or a token. Messages are written for the partner developer reading a console:
//! what went wrong, and what to do.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;

use crate::messages::{Message, Msg};

/// The stable failure codes of the public contract (`docs/API.md` § Errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// An option given to `PleoOAuth.create` breaks a configuration rule.
    InvalidConfig,
    /// An argument of a call (`returnTo`, `extraParams`, a verifier, a URL) is not acceptable.
    InvalidParameter,
    /// `sessionStorage` / `localStorage` cannot be read or written.
    StorageUnavailable,
    /// The URL carries neither `code` nor `error`.
    NotACallback,
    /// One of the OAuth callback parameters appears more than once.
    DuplicateParameter,
    /// The callback has no `state`.
    MissingState,
    /// No pending transaction has that `state` (forged, replayed, or started in another browser).
    UnknownState,
    /// The transaction outlived its time to live.
    Expired,
    /// A configured issuer and the callback's `iss` disagree (RFC 9207).
    IssuerMismatch,
    /// The callback arrived at another origin or path than the redirect URI of the transaction.
    RedirectUriMismatch,
    /// The authorization server answered with `error=…`.
    AuthorizationError,
    /// A callback without `error` also lacks `code`.
    MissingCode,
    /// The partner backend's handoff endpoint failed, timed out or could not be reached.
    HandoffFailed,
    /// The callback (or the address it left) belongs to a connection this browser already
    /// completed: a reload, or Back and Approve again. Nothing was handed off again.
    AlreadyHandled,
    /// The browser refused to open the popup (`window.open` gave nothing).
    PopupBlocked,
    /// The user closed the popup before the connection completed.
    PopupClosed,
    /// The popup did not complete within its `timeoutMs`.
    PopupTimeout,
}

impl ErrorCode {
    /// Every code, in the order of `docs/API.md`.
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::InvalidConfig,
        ErrorCode::InvalidParameter,
        ErrorCode::StorageUnavailable,
        ErrorCode::NotACallback,
        ErrorCode::DuplicateParameter,
        ErrorCode::MissingState,
        ErrorCode::UnknownState,
        ErrorCode::Expired,
        ErrorCode::IssuerMismatch,
        ErrorCode::RedirectUriMismatch,
        ErrorCode::AuthorizationError,
        ErrorCode::MissingCode,
        ErrorCode::HandoffFailed,
        ErrorCode::AlreadyHandled,
        ErrorCode::PopupBlocked,
        ErrorCode::PopupClosed,
        ErrorCode::PopupTimeout,
    ];

    /// The wire form, identical to the TypeScript `PleoOAuthErrorCode`: the code's word of
    /// [`CODES`] (one string, no table of pointers in the module).
    #[inline(always)] // 10 B gzip less in the shipped wasm, measured
    pub fn as_str(self) -> &'static str {
        crate::text::nth_word(CODES, self as usize)
    }
}

/// The wire form of every [`ErrorCode`], in the order of its variants, separated by spaces.
const CODES: &str = "invalid_config invalid_parameter storage_unavailable not_a_callback \
    duplicate_parameter missing_state unknown_state expired issuer_mismatch \
    redirect_uri_mismatch authorization_error missing_code handoff_failed already_handled \
    popup_blocked popup_closed popup_timeout";

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the authorization server said when it answered with `error` (RFC 6749 §4.1.2.1).
/// None of these are secrets: they are public, server-chosen strings.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AuthorizationErrorDetails {
    /// The `error` parameter, e.g. `access_denied`.
    pub error: String,
    /// The `error_description` parameter, when sent.
    pub error_description: Option<String>,
    /// The `error_uri` parameter, when sent.
    pub error_uri: Option<String>,
}

/// A failure of any step, with its stable code. One pointer wide, so that every `Result` of
/// the crate stays small (moving a wide error through each `?` costs wasm bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<Details>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Details {
    code: ErrorCode,
    message: Message,
    authorization: Option<AuthorizationErrorDetails>,
    status: Option<u16>,
    context: Option<Context>,
}

/// What the app gave when the connection started, carried by every error raised once the
/// transaction was found (docs/API.md steps 4–10) and by `already_handled`, so that the app can send
/// the user back where they were. Neither is a secret.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Context {
    /// The `returnTo` path.
    pub return_to: Option<String>,
    /// The `appState`, as the JSON text `JSON.stringify` wrote (opaque to the core; the
    /// wrapper parses it).
    pub app_state: Option<String>,
}

/// The most of the server's `error` a message quotes, in bytes (codes are short ASCII words).
pub const MAX_QUOTED_ERROR: usize = 64;
/// The most of the server's `error_description` a message quotes, in bytes.
pub const MAX_QUOTED_DESCRIPTION: usize = 256;

impl Error {
    /// An error with a code and a message ([`crate::messages`]; no argument is a secret).
    pub fn new(code: ErrorCode, message: impl Into<Message>) -> Self {
        Error::boxed(code, message.into(), None)
    }

    /// One out-of-line constructor for every error (each site only passes its parts).
    #[inline(never)]
    fn boxed(code: ErrorCode, message: Message, status: Option<u16>) -> Self {
        Error(Box::new(Details {
            code,
            message,
            authorization: None,
            status,
            context: None,
        }))
    }

    /// `authorization_error`, carrying what the server said.
    pub fn authorization(details: AuthorizationErrorDetails) -> Self {
        // The message quotes what the server (or whoever made the callback URL) said, bounded:
        // a page that shows it must not show pages of someone else's text. The fields keep it
        // whole.
        let description = match &details.error_description {
            Some(d) => crate::cat!(": ", &crate::text::bounded(d, MAX_QUOTED_DESCRIPTION)),
            None => String::new(),
        };
        let message = msg!(
            if details.error == "access_denied" {
                Msg::AccessDenied
            } else {
                Msg::AuthorizationError
            },
            crate::text::bounded(&details.error, MAX_QUOTED_ERROR),
            description
        );
        // Through the one constructor of every error ([`Error::boxed`]), the details then set.
        let mut e = Error::boxed(ErrorCode::AuthorizationError, message, None);
        e.0.authorization = Some(details);
        e
    }

    /// `handoff_failed` with the HTTP status (0 when no response arrived).
    pub fn handoff(status: u16, message: impl Into<Message>) -> Self {
        Error::boxed(ErrorCode::HandoffFailed, message.into(), Some(status))
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    /// The human-readable message (never contains a secret), rendered from its template.
    pub fn message(&self) -> String {
        crate::messages::render(&self.0.message)
    }

    /// The message as its number and arguments (what the wasm answers; the wrapper renders it).
    pub fn message_parts(&self) -> &Message {
        &self.0.message
    }

    /// For `authorization_error`: the server's `error`, `error_description`, `error_uri`.
    pub fn authorization_details(&self) -> Option<&AuthorizationErrorDetails> {
        self.0.authorization.as_ref()
    }

    /// For `handoff_failed`: the HTTP status, 0 when no response arrived.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The error with the connection's `returnTo` and `appState` attached.
    pub fn with_context(mut self, context: Context) -> Self {
        self.0.context = Some(context);
        self
    }

    /// The connection's `returnTo` and `appState`, for an error raised after the transaction
    /// was found.
    pub fn context(&self) -> Option<&Context> {
        self.0.context.as_ref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.code, self.message())
    }
}

impl core::error::Error for Error {}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

pub(crate) fn invalid_config(message: impl Into<Message>) -> Error {
    Error::new(ErrorCode::InvalidConfig, message)
}

pub(crate) fn invalid_parameter(message: impl Into<Message>) -> Error {
    Error::new(ErrorCode::InvalidParameter, message)
}

/// An error whose message quotes one argument, built out of line: each check passes only its
/// parts.
#[inline(never)]
pub(crate) fn quoting(code: ErrorCode, msg: crate::messages::Msg, arg: &str) -> Error {
    Error::new(code, Message::with(msg, &[arg]))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    #[test]
    fn codes_have_the_contract_strings() {
        let wire: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            wire,
            [
                "invalid_config",
                "invalid_parameter",
                "storage_unavailable",
                "not_a_callback",
                "duplicate_parameter",
                "missing_state",
                "unknown_state",
                "expired",
                "issuer_mismatch",
                "redirect_uri_mismatch",
                "authorization_error",
                "missing_code",
                "handoff_failed",
                "already_handled",
                "popup_blocked",
                "popup_closed",
                "popup_timeout",
            ]
        );
    }

    #[test]
    fn access_denied_message_tells_what_to_do() {
        let e = Error::authorization(AuthorizationErrorDetails {
            error: "access_denied".into(),
            error_description: Some("End-User aborted interaction".into()),
            error_uri: None,
        });
        assert_eq!(e.code(), ErrorCode::AuthorizationError);
        assert!(e.message().contains("access_denied"));
        assert!(e.message().contains("End-User aborted interaction"));
        assert!(e.message().contains("try again"));
        assert_eq!(
            e.authorization_details().map(|d| d.error.as_str()),
            Some("access_denied")
        );
    }
}
