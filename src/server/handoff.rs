//! What the browser sends the backend (docs/API.md "Handoff"), read strictly, and the bound
//! handoff's check (RFC 9700 §4.5, code injection).
//!
//! Invariant: a body is accepted only as one JSON object of exactly its fields, each a string
//! within its size; a repeated, missing or extra field, or any other type, is
//! [`ServerErrorCode::InvalidHandoff`] naming the field (bounded) and never its value.

use alloc::string::String;
use alloc::vec::Vec;

use super::json::{self, Value};
use super::{constant_time_eq, quoted, ServerError, ServerErrorCode};
use crate::pkce::PkceCodeVerifier;

/// The largest body read: a handoff is four short strings.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The longest authorisation code accepted.
pub const MAX_CODE_BYTES: usize = 2048;
/// The longest `state` accepted (this library's are 43 characters).
pub const MAX_STATE_BYTES: usize = 512;

fn invalid(message: impl Into<String>) -> ServerError {
    ServerError::new(ServerErrorCode::InvalidHandoff, message)
}

/// The string fields `names` of one JSON object with exactly those members, in that order.
fn fields<const N: usize>(
    body: &str,
    names: [&str; N],
    what: &str,
) -> Result<[String; N], ServerError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(invalid(cat!(
            "The ",
            what,
            " body is larger than ",
            &crate::text::decimal(MAX_BODY_BYTES as u64),
            " bytes."
        )));
    }
    let members = json::object(body).ok_or_else(|| {
        invalid(cat!(
            "The ",
            what,
            " body is not one JSON object, or names a member twice."
        ))
    })?;
    if let Some((extra, _)) = members.iter().find(|(n, _)| !names.contains(&n.as_str())) {
        return Err(invalid(cat!(
            "The ",
            what,
            " body has a member it does not take: \"",
            &quoted(extra),
            "\"."
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(N);
    for name in names {
        match members.iter().find(|(n, _)| n == name) {
            Some((_, Value::Str(v))) => out.push(v.clone()),
            Some(_) => {
                return Err(invalid(cat!(
                    "The ",
                    what,
                    " body's \"",
                    name,
                    "\" is not a string."
                )))
            }
            None => return Err(invalid(cat!("The ", what, " body has no \"", name, "\"."))),
        }
    }
    out.try_into()
        .map_err(|_| invalid("The body could not be read."))
}

fn check_size(value: &str, name: &str, max: usize) -> Result<(), ServerError> {
    if value.is_empty() || value.len() > max {
        return Err(invalid(cat!(
            "\"",
            name,
            "\" must be 1 to ",
            &crate::text::decimal(max as u64),
            " bytes."
        )));
    }
    Ok(())
}

/// The code exchange's input, as `handleCallback()` POSTs it to `handoff.url`:
/// `{ "code", "code_verifier", "redirect_uri", "state" }`.
#[derive(Debug)]
pub struct HandoffBody {
    /// The authorisation code (secret until exchanged; `Debug` redacted).
    pub code: crate::callback::AuthorizationCode,
    /// The PKCE verifier (secret; `Debug` redacted).
    pub verifier: PkceCodeVerifier,
    /// The redirect URI, equal to the configured one.
    pub redirect_uri: String,
    /// The state of the connection (for the bound check).
    pub state: String,
}

impl HandoffBody {
    /// Reads the body the browser POSTed. `redirect_uri` is the one this backend is configured
    /// with: the body's must be exactly it (RFC 6749 §4.1.3: the token request repeats the
    /// authorisation request's redirect URI, and the backend must not let a caller choose it).
    pub fn parse(body: &str, redirect_uri: &str) -> Result<HandoffBody, ServerError> {
        let [code, verifier, redirect, state] = fields(
            body,
            ["code", "code_verifier", "redirect_uri", "state"],
            "handoff",
        )?;
        check_size(&code, "code", MAX_CODE_BYTES)?;
        check_size(&state, "state", MAX_STATE_BYTES)?;
        // RFC 7636 §4.1: 43–128 characters of [A-Za-z0-9-._~].
        let verifier = PkceCodeVerifier::new(verifier).map_err(|_| {
            invalid("\"code_verifier\" is not 43 to 128 characters of A-Z, a-z, 0-9, \"-\", \".\", \"_\" and \"~\" (RFC 7636 §4.1).")
        })?;
        if redirect != redirect_uri {
            return Err(invalid(cat!(
                "\"redirect_uri\" is not the redirect URI this backend is configured with (",
                redirect_uri,
                ")."
            )));
        }
        Ok(HandoffBody {
            code: crate::callback::AuthorizationCode::from_handoff(code),
            verifier,
            redirect_uri: redirect,
            state,
        })
    }
}

/// What the bound handoff's `startUrl` receives before the browser leaves for Pleo:
/// `{ "state", "code_challenge" }`. Store it (in the visitor's session) with an expiry; the
/// handoff must then match it ([`check_bound`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The connection's state.
    pub state: String,
    /// S256 of the connection's verifier (public by design).
    pub code_challenge: String,
}

impl Registration {
    /// Reads the body the browser POSTed to `handoff.startUrl`.
    pub fn parse(body: &str) -> Result<Registration, ServerError> {
        let [state, code_challenge] = fields(body, ["state", "code_challenge"], "registration")?;
        check_size(&state, "state", MAX_STATE_BYTES)?;
        // RFC 7636 §4.2: S256 is base64url without padding of 32 bytes: 43 characters.
        if code_challenge.len() != 43
            || !code_challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid(
                "\"code_challenge\" is not an S256 challenge (43 characters of base64url, RFC 7636 §4.2).",
            ));
        }
        Ok(Registration {
            state,
            code_challenge,
        })
    }
}

/// The bound check (RFC 9700 §4.5, RFC 7636 §4.6): the handoff's state was registered from
/// this visitor's session (`registered`, what the store holds for that state, with its expiry
/// in milliseconds since the Unix epoch), not past it, and S256 of the verifier is the
/// registered challenge (compared in constant time). **One use:** the store must remove the
/// registration in the same step it reads it (`DELETE … RETURNING`, or a compare-and-set), so
/// that a second handoff for the state finds none.
pub fn check_bound(
    body: &HandoffBody,
    registered: Option<(&Registration, u64)>,
    now_ms: u64,
) -> Result<(), ServerError> {
    let Some((registration, expires_at_ms)) = registered else {
        return Err(ServerError::new(
            ServerErrorCode::UnknownState,
            "No registration of the bound handoff for this state in this session: it was never registered (handoff.startUrl), or it was used already. Ask the user to connect again.",
        ));
    };
    if !constant_time_eq(registration.state.as_bytes(), body.state.as_bytes()) {
        return Err(ServerError::new(
            ServerErrorCode::UnknownState,
            "The registration found is for another state.",
        ));
    }
    if now_ms >= expires_at_ms {
        return Err(ServerError::new(
            ServerErrorCode::Expired,
            "The registration of the bound handoff has expired. Ask the user to connect again.",
        ));
    }
    let challenge = body.verifier.challenge();
    if !constant_time_eq(
        challenge.as_str().as_bytes(),
        registration.code_challenge.as_bytes(),
    ) {
        return Err(ServerError::new(
            ServerErrorCode::ChallengeMismatch,
            "S256 of the code verifier is not the challenge registered for this state (RFC 7636 §4.6): the code was not obtained by this visitor's browser. Nothing was exchanged.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    const CB: &str = "https://app.example.com/pleo/callback";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    // RFC 7636 Appendix B.
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn body(extra: &str) -> String {
        format!(
            r#"{{"code":"c0de","code_verifier":"{VERIFIER}","redirect_uri":"{CB}","state":"st"{extra}}}"#
        )
    }

    fn refused(text: &str) -> ServerError {
        let e = HandoffBody::parse(text, CB).unwrap_err();
        assert_eq!(e.code(), ServerErrorCode::InvalidHandoff, "{text:.80}");
        assert!(
            !e.message().contains(VERIFIER) && !e.message().contains("c0de"),
            "{e}"
        );
        e
    }

    #[test]
    fn a_good_body_is_read_and_debug_shows_no_secret() {
        let h = HandoffBody::parse(&body(""), CB).unwrap();
        assert_eq!(h.code.secret(), "c0de");
        assert_eq!(h.verifier.secret(), VERIFIER);
        assert_eq!(h.state, "st");
        let shown = format!("{h:?}");
        assert!(
            !shown.contains("c0de") && !shown.contains(VERIFIER),
            "{shown}"
        );
        // Whitespace and member order are the sender's.
        let spaced = format!(
            "{{ \"state\" : \"st\" ,\n \"redirect_uri\": \"{}\", \"code_verifier\": \"{VERIFIER}\", \"code\": \"c0de\" }}",
            CB.replace('/', "\\/")
        );
        assert!(HandoffBody::parse(&spaced, CB).is_ok());
    }

    #[test]
    fn hostile_bodies_are_refused_with_a_typed_error() {
        // Duplicate keys: a body must not mean two things.
        refused(&body(r#","code":"other""#));
        // Extra fields, named (bounded) in the message.
        let e = refused(&body(r#","client_secret":"x""#));
        assert!(e.message().contains("client_secret"));
        let e = refused(&body(&format!(r#","{}":1"#, "k".repeat(10_000))));
        assert!(e.message().len() < 300, "{}", e.message().len());
        // Missing fields, wrong types.
        refused(&format!(
            r#"{{"code":"c","code_verifier":"{VERIFIER}","redirect_uri":"{CB}"}}"#
        ));
        refused(&body("").replace(r#""state":"st""#, r#""state":1"#));
        refused(&body("").replace(r#""code":"c0de""#, r#""code":["c0de"]"#));
        refused(&body("").replace(r#""code":"c0de""#, r#""code":null"#));
        refused(&body("").replace(r#""code":"c0de""#, r#""code":"""#));
        // Not an object; not JSON; trailing text.
        for bad in [
            "",
            "null",
            "[]",
            "\"x\"",
            "code=c0de&state=st",
            &format!("{} x", body("")),
        ] {
            refused(bad);
        }
        // 1 MB strings.
        refused(&body("").replace("c0de", &"c".repeat(1 << 20)));
        refused(&body("").replace(
            "\"st\"",
            &format!("\"{}\"", "s".repeat(MAX_STATE_BYTES + 1)),
        ));
        // RFC 7636 §4.1 verifier grammar.
        refused(&body("").replace(VERIFIER, "short"));
        refused(&body("").replace(VERIFIER, &format!("{}+", &VERIFIER[1..])));
        // Another redirect URI than the configured one.
        let e = refused(&body("").replace(CB, "https://evil.example/cb"));
        assert!(e.message().contains(CB));
    }

    #[test]
    fn rfc9700_s4_5_the_bound_check() {
        let h = HandoffBody::parse(&body(""), CB).unwrap();
        let reg = Registration::parse(&format!(
            r#"{{"state":"st","code_challenge":"{CHALLENGE}"}}"#
        ))
        .unwrap();
        assert!(check_bound(&h, Some((&reg, 10)), 9).is_ok());
        assert_eq!(
            check_bound(&h, None, 9).unwrap_err().code(),
            ServerErrorCode::UnknownState
        );
        assert_eq!(
            check_bound(&h, Some((&reg, 10)), 10).unwrap_err().code(),
            ServerErrorCode::Expired
        );
        let other = Registration {
            state: "other".into(),
            ..reg.clone()
        };
        assert_eq!(
            check_bound(&h, Some((&other, 10)), 9).unwrap_err().code(),
            ServerErrorCode::UnknownState
        );
        // A code injected with another browser's verifier.
        let mut injected = reg.clone();
        injected.code_challenge = "A".repeat(43);
        let e = check_bound(&h, Some((&injected, 10)), 9).unwrap_err();
        assert_eq!(e.code(), ServerErrorCode::ChallengeMismatch);
        assert!(!e.message().contains(VERIFIER));
        // Registrations are read strictly too.
        for bad in [
            r#"{"state":"st"}"#.to_string(),
            format!(r#"{{"state":"st","code_challenge":"{CHALLENGE}","x":1}}"#),
            format!(r#"{{"state":"st","code_challenge":"{}"}}"#, &CHALLENGE[1..]),
            format!(
                r#"{{"state":"st","code_challenge":"{}="}}"#,
                &CHALLENGE[1..]
            ),
            format!(r#"{{"state":"","code_challenge":"{CHALLENGE}"}}"#),
        ] {
            assert_eq!(
                Registration::parse(&bad).unwrap_err().code(),
                ServerErrorCode::InvalidHandoff,
                "{bad}"
            );
        }
    }
}
