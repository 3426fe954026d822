//! The token endpoint (RFC 6749 §4.1.3, §6, §5): the request for a code or a refresh token,
//! and its answer read strictly.
//!
//! Invariant: the request is built only here (method, URL, headers, form body), with the
//! client authenticated by HTTP Basic (RFC 6749 §2.3.1: client ID and secret each
//! form-encoded, then `id:secret` in base64); the answer is trusted only as RFC 6749 §5.1
//! describes it, and its tokens leave this module only inside redacted newtypes.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::handoff::HandoffBody;
use super::json::{self, Value};
use super::{
    quoted, AccessToken, ClientSecret, OAuthError, RefreshToken, ServerError, ServerErrorCode,
};

/// The largest token response read.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

pub use crate::protocol::{PRODUCTION_TOKEN_ENDPOINT, STAGING_TOKEN_ENDPOINT};

/// A confidential client at the token endpoint.
#[derive(Clone, Debug)]
pub struct Client {
    /// The client ID.
    pub client_id: String,
    /// The client secret (redacted in `Debug`).
    pub client_secret: ClientSecret,
    /// The token endpoint ([`PRODUCTION_TOKEN_ENDPOINT`], [`STAGING_TOKEN_ENDPOINT`], or the
    /// local stand-in's).
    pub token_endpoint: String,
}

/// An HTTP request to make: POST `url` with `headers` and the form `body`. `Debug` shows the
/// method and URL only (the body and the Authorization header hold secrets).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// Always `POST`.
    pub method: &'static str,
    /// The token endpoint.
    pub url: String,
    /// `Authorization`, `Content-Type`, `Accept`.
    pub headers: Vec<(&'static str, String)>,
    /// `application/x-www-form-urlencoded`.
    pub body: String,
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenRequest({} {}, [redacted])", self.method, self.url)
    }
}

impl Client {
    /// RFC 6749 §2.3.1: `Basic base64(form-encoded id ":" form-encoded secret)`.
    fn basic(&self) -> String {
        let mut pair = String::new();
        crate::form::encode(&mut pair, &self.client_id);
        pair.push(':');
        crate::form::encode(&mut pair, self.client_secret.secret());
        cat!("Basic ", &base64(pair.as_bytes()))
    }

    fn request(&self, body: String) -> TokenRequest {
        TokenRequest {
            method: "POST",
            url: self.token_endpoint.clone(),
            headers: alloc::vec![
                ("Authorization", self.basic()),
                ("Content-Type", "application/x-www-form-urlencoded".into()),
                ("Accept", "application/json".into()),
            ],
            body,
        }
    }

    /// RFC 6749 §4.1.3 + RFC 7636 §4.5: the code exchange for what the browser handed off.
    pub fn exchange(&self, handoff: &HandoffBody) -> TokenRequest {
        let mut body = String::new();
        crate::form::append_pair(&mut body, "grant_type", "authorization_code");
        crate::form::append_pair(&mut body, "code", handoff.code.secret());
        crate::form::append_pair(&mut body, "redirect_uri", &handoff.redirect_uri);
        crate::form::append_pair(&mut body, "code_verifier", handoff.verifier.secret());
        self.request(body)
    }

    /// RFC 6749 §6: a refresh. Pleo rotates the refresh token: persist the answer's before
    /// using its access token ([`super::refresh`]).
    pub fn refresh(&self, refresh_token: &RefreshToken) -> TokenRequest {
        let mut body = String::new();
        crate::form::append_pair(&mut body, "grant_type", "refresh_token");
        crate::form::append_pair(&mut body, "refresh_token", refresh_token.secret());
        self.request(body)
    }
}

/// Standard base64 with padding (RFC 4648 §4), for HTTP Basic.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let mut n = 0u32;
        for (j, &b) in chunk.iter().enumerate() {
            n |= u32::from(b) << (16 - 8 * j);
        }
        for j in 0..4 {
            if j <= chunk.len() {
                let sextet = (n >> (18 - 6 * j)) & 63;
                out.push(ALPHABET.get(sextet as usize).map_or('A', |&c| c as char));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokens {
    /// The access token (redacted).
    pub access_token: AccessToken,
    /// When it expires, in milliseconds since the Unix epoch (`now` + `expires_in`); `None`
    /// when the server did not say.
    pub expires_at_ms: Option<u64>,
    /// The refresh token, when one was issued (redacted).
    pub refresh_token: Option<RefreshToken>,
    /// The granted scope, when the server named it (RFC 6749 §5.1: when it differs from the
    /// requested one).
    pub scope: Option<String>,
}

fn invalid(message: impl Into<String>, status: u16) -> ServerError {
    ServerError::new(ServerErrorCode::TokenResponseInvalid, message).with_status(status)
}

/// RFC 6749 §5.2: `error` and `error_description` are `%x20-21 / %x23-5B / %x5D-7E`.
fn is_error_text(s: &str) -> bool {
    s.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// Reads the token endpoint's answer: its HTTP `status` and `body`, received at `now_ms`.
/// A 200 must be a JSON object with a non-empty string `access_token`, `token_type` `Bearer`
/// (any case, RFC 6749 §7.1 / RFC 6750), and, when present, a whole non-negative `expires_in`, a
/// string `refresh_token` and `scope`; other members are ignored (§5.1). A 400 or 401 with an
/// `error` is [`ServerErrorCode::TokenError`] (§5.2); anything else is refused. No token or
/// body text is quoted in a message, except the server's own `error` (bounded).
pub fn parse_response(status: u16, body: &str, now_ms: u64) -> Result<Tokens, ServerError> {
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(invalid(
            "The token endpoint's answer is larger than 64 KiB.",
            status,
        ));
    }
    let members = json::object(body);
    let text = |m: &[(String, Value)], name: &str| -> Result<Option<String>, ServerError> {
        match m.iter().find(|(n, _)| n == name) {
            None | Some((_, Value::Null)) => Ok(None),
            Some((_, Value::Str(s))) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(
                cat!("The token endpoint's \"", name, "\" is not a string."),
                status,
            )),
        }
    };
    match status {
        200 => {
            let m = members.ok_or_else(|| {
                invalid(
                    "The token endpoint answered 200 with something other than one JSON object (or one that names a member twice).",
                    status,
                )
            })?;
            let access_token = text(&m, "access_token")?
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    invalid("The token endpoint's answer has no access_token.", status)
                })?;
            match text(&m, "token_type")? {
                Some(t) if t.eq_ignore_ascii_case("bearer") => {}
                Some(t) => {
                    return Err(invalid(
                        cat!(
                            "The token endpoint issued a token of type \"",
                            &quoted(&t),
                            "\"; only Bearer tokens are used."
                        ),
                        status,
                    ))
                }
                None => {
                    return Err(invalid(
                        "The token endpoint's answer has no token_type.",
                        status,
                    ))
                }
            }
            let expires_at_ms = match m.iter().find(|(n, _)| n == "expires_in") {
                None | Some((_, Value::Null)) => None,
                Some((_, Value::Num(n))) => {
                    let seconds = crate::text::parse_decimal(n).ok_or_else(|| {
                        invalid(
                            "The token endpoint's expires_in is not a whole number of seconds.",
                            status,
                        )
                    })?;
                    Some(now_ms.saturating_add(seconds.saturating_mul(1000)))
                }
                Some(_) => {
                    return Err(invalid(
                        "The token endpoint's expires_in is not a number.",
                        status,
                    ))
                }
            };
            let refresh_token = text(&m, "refresh_token")?
                .filter(|t| !t.is_empty())
                .map(RefreshToken::new);
            Ok(Tokens {
                access_token: AccessToken::new(access_token),
                expires_at_ms,
                refresh_token,
                scope: text(&m, "scope")?,
            })
        }
        400 | 401 => {
            let m = members.ok_or_else(|| {
                invalid(
                    cat!(
                        "The token endpoint answered ",
                        &crate::text::decimal(status.into()),
                        " without a JSON error (RFC 6749 §5.2)."
                    ),
                    status,
                )
            })?;
            let error = text(&m, "error")?
                .filter(|e| !e.is_empty() && is_error_text(e))
                .ok_or_else(|| {
                    invalid(
                        "The token endpoint's error answer has no valid \"error\".",
                        status,
                    )
                })?;
            let error_description = text(&m, "error_description")?;
            let error_uri = text(&m, "error_uri")?;
            let hint = match error.as_str() {
                "invalid_grant" => " The code or refresh token is used, expired or revoked: the user must connect again.",
                "invalid_client" => " Check the client ID and secret.",
                _ => "",
            };
            let mut e = ServerError::new(
                ServerErrorCode::TokenError,
                cat!(
                    "The token endpoint refused the request: \"",
                    &quoted(&error),
                    "\".",
                    hint
                ),
            )
            .with_status(status);
            e.oauth = Some(OAuthError {
                error,
                error_description,
                error_uri,
            });
            Err(e)
        }
        _ => Err(ServerError::new(
            ServerErrorCode::TokenEndpointFailed,
            cat!(
                "The token endpoint answered HTTP ",
                &crate::text::decimal(status.into()),
                ". Nothing was stored; try again later."
            ),
        )
        .with_status(status)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    fn client(id: &str, secret: &str) -> Client {
        Client {
            client_id: id.into(),
            client_secret: ClientSecret::new(secret),
            token_endpoint: STAGING_TOKEN_ENDPOINT.into(),
        }
    }

    fn header<'a>(r: &'a TokenRequest, name: &str) -> &'a str {
        &r.headers.iter().find(|(n, _)| *n == name).unwrap().1
    }

    #[test]
    fn rfc6749_s2_3_1_basic_authentication_form_encodes_then_base64s() {
        let r = client("9b2c-id", "p@ss w:rd/é").refresh(&RefreshToken::new("rt"));
        // "9b2c-id:p%40ss+w%3Ard%2F%C3%A9"
        assert_eq!(
            header(&r, "Authorization"),
            "Basic OWIyYy1pZDpwJTQwc3MrdyUzQXJkJTJGJUMzJUE5"
        );
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(
            header(&r, "Content-Type"),
            "application/x-www-form-urlencoded"
        );
        assert_eq!(r.body, "grant_type=refresh_token&refresh_token=rt");
        assert_eq!(r.method, "POST");
        assert_eq!(r.url, STAGING_TOKEN_ENDPOINT);
        let shown = format!("{r:?}");
        assert!(
            !shown.contains("rt&") && !shown.contains("Basic"),
            "{shown}"
        );
    }

    #[test]
    fn rfc6749_s4_1_3_the_code_exchange_repeats_the_redirect_uri_and_sends_the_verifier() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let h = HandoffBody::parse(
            &format!(r#"{{"code":"c 0+de","code_verifier":"{verifier}","redirect_uri":"https://a.example/cb?x=1","state":"s"}}"#),
            "https://a.example/cb?x=1",
        )
        .unwrap();
        let r = client("id", "secret").exchange(&h);
        assert_eq!(
            r.body,
            format!("grant_type=authorization_code&code=c+0%2Bde&redirect_uri=https%3A%2F%2Fa.example%2Fcb%3Fx%3D1&code_verifier={verifier}")
        );
    }

    #[test]
    fn rfc6749_s5_1_a_token_response_is_read_strictly() {
        let t = parse_response(
            200,
            r#"{"access_token":"AT","token_type":"bearer","expires_in":900,"refresh_token":"RT","scope":"users:read","extra":{"x":[1]}}"#,
            1_000,
        )
        .unwrap();
        assert_eq!(t.access_token.secret(), "AT");
        assert_eq!(t.expires_at_ms, Some(901_000));
        assert_eq!(
            t.refresh_token.as_ref().map(RefreshToken::secret),
            Some("RT")
        );
        assert_eq!(t.scope.as_deref(), Some("users:read"));
        assert!(!format!("{t:?}").contains("AT\"") && !format!("{t:?}").contains("RT\""));
        let t = parse_response(200, r#"{"access_token":"AT","token_type":"Bearer"}"#, 0).unwrap();
        assert_eq!((t.expires_at_ms, t.refresh_token), (None, None));
        for (bad, what) in [
            (r#"{"token_type":"Bearer"}"#, "no access_token"),
            (
                r#"{"access_token":"","token_type":"Bearer"}"#,
                "empty access_token",
            ),
            (
                r#"{"access_token":1,"token_type":"Bearer"}"#,
                "access_token a number",
            ),
            (r#"{"access_token":"AT"}"#, "no token_type"),
            (
                r#"{"access_token":"AT","token_type":"mac"}"#,
                "another type",
            ),
            (
                r#"{"access_token":"AT","token_type":"Bearer","expires_in":"900"}"#,
                "expires_in a string",
            ),
            (
                r#"{"access_token":"AT","token_type":"Bearer","expires_in":-1}"#,
                "negative expires_in",
            ),
            (
                r#"{"access_token":"AT","token_type":"Bearer","expires_in":1.5}"#,
                "fractional expires_in",
            ),
            (
                r#"{"access_token":"AT","token_type":"Bearer","refresh_token":["RT"]}"#,
                "refresh_token an array",
            ),
            (
                r#"{"access_token":"AT","access_token":"AT2","token_type":"Bearer"}"#,
                "a member twice",
            ),
            ("<html>gateway</html>", "not JSON"),
        ] {
            let e = parse_response(200, bad, 0).unwrap_err();
            assert_eq!(e.code(), ServerErrorCode::TokenResponseInvalid, "{what}");
            assert!(
                !e.message().contains("AT2") && !e.message().contains("RT\""),
                "{what}: {e}"
            );
        }
        let huge = format!(
            r#"{{"access_token":"{}","token_type":"Bearer"}}"#,
            "a".repeat(MAX_RESPONSE_BYTES)
        );
        assert_eq!(
            parse_response(200, &huge, 0).unwrap_err().code(),
            ServerErrorCode::TokenResponseInvalid
        );
    }

    #[test]
    fn rfc6749_s5_2_an_error_response_is_a_typed_oauth_error() {
        let e = parse_response(
            400,
            r#"{"error":"invalid_grant","error_description":"grant revoked","error_uri":"https://x"}"#,
            0,
        )
        .unwrap_err();
        assert_eq!(e.code(), ServerErrorCode::TokenError);
        assert_eq!(e.status(), Some(400));
        let o = e.oauth().unwrap();
        assert_eq!(o.error, "invalid_grant");
        assert_eq!(o.error_description.as_deref(), Some("grant revoked"));
        assert!(e.message().contains("connect again"));
        assert_eq!(
            parse_response(401, r#"{"error":"invalid_client"}"#, 0)
                .unwrap_err()
                .code(),
            ServerErrorCode::TokenError
        );
        for bad in [
            "",
            "Bad Request",
            r#"{"error":""}"#,
            r#"{"error":"a\"b"}"#,
            r#"{"error_description":"x"}"#,
        ] {
            assert_eq!(
                parse_response(400, bad, 0).unwrap_err().code(),
                ServerErrorCode::TokenResponseInvalid,
                "{bad}"
            );
        }
        for status in [302, 403, 404, 500, 503] {
            let e = parse_response(status, r#"{"access_token":"AT","token_type":"Bearer"}"#, 0)
                .unwrap_err();
            assert_eq!(e.code(), ServerErrorCode::TokenEndpointFailed);
            assert_eq!(e.status(), Some(status));
        }
    }
}
