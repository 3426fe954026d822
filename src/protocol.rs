//! The protocol's parameter names (RFC 6749 §4.1.1, §4.1.2, §4.1.2.1; RFC 7636 §4.3; RFC 9207
//! §2): the constants several flow modules check against, kept apart from them so that
//! configuration, request and callback depend on this module and not on each other.

/// The parameters of an authorisation response (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207 §2).
/// Only these are checked for repetition and removed from the address bar.
pub const CALLBACK_PARAMETERS: [&str; 6] = [
    "code",
    "state",
    "error",
    "error_description",
    "error_uri",
    "iss",
];

/// Parameters this library sets itself in the authorisation request; `extraParams` and a
/// custom endpoint's own query may not set them. `response_mode` is refused too: the callback
/// is read from the query only.
pub const RESERVED_PARAMETERS: [&str; 8] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
];

/// Pleo's token endpoints (the backend half's, `crate::server::token`; `pleo-oauth/server` gets
/// them from the generated ops.ts). Not in the browser module: nothing there reads them.
pub const PRODUCTION_TOKEN_ENDPOINT: &str = "https://auth.pleo.io/oauth/token";
/// Pleo's staging token endpoint.
pub const STAGING_TOKEN_ENDPOINT: &str = "https://auth.staging.pleo.io/oauth/token";
