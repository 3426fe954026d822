//! The server build's edge: the operations of [`crate::boundary::SERVER_OPS`] over strings, for
//! `pleo-oauth/server` (Node), which does the I/O — the token endpoint, the session, the
//! database, encryption — with what these return. Like [`crate::wasm`]: every operation takes
//! strings and the clock and answers one JSON text, `{"ok": …}` or `{"err": {"code",
//! "message", "status"?, "oauth"?}}`; nothing is kept between calls.

use alloc::string::String;

use super::handoff::{check_bound, HandoffBody, Registration};
use super::token::{parse_response, Client, TokenRequest};
use super::{refresh, ClientSecret, RefreshToken, ServerError};
use crate::boundary::ServerOp;
use crate::text::{decimal, parse_decimal, Json};

fn reply(result: Result<String, ServerError>) -> String {
    let mut j = Json::default();
    match result {
        Ok(ok) => {
            j.key("ok").raw(&ok);
        }
        Err(e) => {
            let mut err = Json::default();
            err.field("code", e.code().as_str())
                .field("message", e.message());
            if let Some(status) = e.status() {
                err.key("status").raw(&decimal(status.into()));
            }
            if let Some(o) = e.oauth() {
                let mut oauth = Json::default();
                oauth
                    .field("error", &o.error)
                    .field_opt("errorDescription", o.error_description.as_deref())
                    .field_opt("errorUri", o.error_uri.as_deref());
                err.key("oauth").raw(&oauth.close());
            }
            j.key("err").raw(&err.close());
        }
    }
    j.close()
}

fn request_json(r: &TokenRequest) -> String {
    let mut j = Json::default();
    j.field("method", r.method)
        .field("url", &r.url)
        .key("headers")
        .raw("[");
    for (name, value) in &r.headers {
        j.separate_item();
        j.raw("[").item(name).item(value).raw("]");
    }
    j.raw("]").field("body", &r.body);
    j.close()
}

fn client(id: &str, secret: &str, endpoint: &str) -> Client {
    Client {
        client_id: id.into(),
        client_secret: ClientSecret::new(secret),
        token_endpoint: endpoint.into(),
    }
}

/// Runs server operation `op` on its string arguments (`args`, NUL-separated) and the clock;
/// `None` when `op` is not one.
pub fn dispatch(op: u32, args: &str, now_ms: f64) -> Option<String> {
    let mut args = crate::text::pieces(args, 0);
    let mut next = || args.next().unwrap_or_default();
    let now_ms = now_ms as u64;
    Some(reply(match ServerOp::from_number(op)? {
        ServerOp::Registration => Registration::parse(next()).map(|r| {
            let mut j = Json::default();
            j.field("state", &r.state)
                .field("code_challenge", &r.code_challenge);
            j.close()
        }),
        ServerOp::Handoff => {
            let (body, redirect_uri) = (next(), next());
            HandoffBody::parse(body, redirect_uri).map(|h| {
                let mut j = Json::default();
                j.field("state", &h.state);
                j.close()
            })
        }
        ServerOp::Exchange => {
            let (body, redirect_uri, id, secret, endpoint) =
                (next(), next(), next(), next(), next());
            let (bound, state, challenge, expires) = (next(), next(), next(), next());
            (|| {
                let h = HandoffBody::parse(body, redirect_uri)?;
                if bound == "1" {
                    let registration = Registration {
                        state: state.into(),
                        code_challenge: challenge.into(),
                    };
                    let found = (!state.is_empty())
                        .then(|| (&registration, parse_decimal(expires).unwrap_or(0)));
                    check_bound(&h, found, now_ms)?;
                }
                Ok(request_json(&client(id, secret, endpoint).exchange(&h)))
            })()
        }
        ServerOp::Refresh => {
            let (id, secret, endpoint, token) = (next(), next(), next(), next());
            Ok(request_json(
                &client(id, secret, endpoint).refresh(&RefreshToken::new(token)),
            ))
        }
        ServerOp::Tokens => {
            let (status, body, used) = (next(), next(), next());
            let status = parse_decimal(status)
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(0);
            parse_response(status, body, now_ms).map(|t| {
                let mut j = Json::default();
                j.field("accessToken", t.access_token.secret());
                match t.expires_at_ms {
                    Some(at) => j.key("expiresAt").raw(&decimal(at)),
                    None => j.key("expiresAt").raw("null"),
                };
                // The refresh token to keep: a rotated-in one, else the one used (none for a
                // code exchange that issued none).
                let kept = match (&t.refresh_token, used.is_empty()) {
                    (Some(_), _) | (None, false) => {
                        Some(refresh::surviving(&RefreshToken::new(used), &t))
                    }
                    (None, true) => None,
                };
                j.field_opt("refreshToken", kept.as_ref().map(RefreshToken::secret))
                    .field_opt("scope", t.scope.as_deref());
                j.close()
            })
        }
        ServerOp::Due => {
            let (expires, issued, skew) = (next(), next(), next());
            let due = refresh::due(
                parse_decimal(expires),
                parse_decimal(issued).unwrap_or(0),
                now_ms,
                parse_decimal(skew).unwrap_or(refresh::DEFAULT_SKEW_MS),
            );
            Ok(String::from(if due { "true" } else { "false" }))
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    #[test]
    fn the_server_ops_answer_json_and_errors_with_codes_and_no_secret() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let cb = "https://a.example/cb";
        let body = format!(
            r#"{{"code":"c0de","code_verifier":"{verifier}","redirect_uri":"{cb}","state":"st"}}"#
        );
        let call = |op: ServerOp, args: &[&str], now: f64| {
            dispatch(op as u32, &args.join("\0"), now).unwrap()
        };
        assert_eq!(
            call(ServerOp::Handoff, &[&body, cb], 0.0),
            r#"{"ok":{"state":"st"}}"#
        );
        let ok = call(
            ServerOp::Exchange,
            &[
                &body,
                cb,
                "id",
                "sec",
                "https://t.example/token",
                "1",
                "st",
                challenge,
                "10",
            ],
            5.0,
        );
        assert!(ok.starts_with(r#"{"ok":{"method":"POST","url":"https://t.example/token","headers":[["Authorization","Basic aWQ6c2Vj"]"#), "{ok}");
        let injected = call(
            ServerOp::Exchange,
            &[
                &body,
                cb,
                "id",
                "sec",
                "u",
                "1",
                "st",
                &"A".repeat(43),
                "10",
            ],
            5.0,
        );
        assert!(
            injected.starts_with(r#"{"err":{"code":"challenge_mismatch""#),
            "{injected}"
        );
        assert!(!injected.contains(verifier) && !injected.contains("c0de"));
        let none = call(
            ServerOp::Exchange,
            &[&body, cb, "id", "sec", "u", "1", "", "", ""],
            5.0,
        );
        assert!(none.contains(r#""code":"unknown_state""#));
        // Unbound: no registration asked for.
        assert!(call(
            ServerOp::Exchange,
            &[&body, cb, "id", "sec", "u", "", "", "", ""],
            5.0
        )
        .starts_with(r#"{"ok""#));
        let t = call(
            ServerOp::Tokens,
            &[
                "200",
                r#"{"access_token":"AT","token_type":"Bearer","expires_in":60,"refresh_token":"RT2"}"#,
                "RT1",
            ],
            1000.0,
        );
        assert_eq!(
            t,
            r#"{"ok":{"accessToken":"AT","expiresAt":61000,"refreshToken":"RT2"}}"#
        );
        let kept = call(
            ServerOp::Tokens,
            &[
                "200",
                r#"{"access_token":"AT","token_type":"Bearer"}"#,
                "RT1",
            ],
            0.0,
        );
        assert_eq!(
            kept,
            r#"{"ok":{"accessToken":"AT","expiresAt":null,"refreshToken":"RT1"}}"#
        );
        let refused = call(
            ServerOp::Tokens,
            &["400", r#"{"error":"invalid_grant"}"#, "RT1"],
            0.0,
        );
        assert!(
            refused.starts_with(r#"{"err":{"code":"token_error""#)
                && refused.contains(r#""status":400"#)
                && refused.contains(r#""oauth":{"error":"invalid_grant"}"#),
            "{refused}"
        );
        assert!(!refused.contains("RT1"));
        assert_eq!(
            call(ServerOp::Due, &["100", "0", "0"], 100.0),
            r#"{"ok":true}"#
        );
        assert_eq!(
            call(ServerOp::Due, &["", "0", "0"], 100.0),
            r#"{"ok":false}"#
        );
        assert_eq!(
            call(ServerOp::Due, &["2100", "100", "60000"], 100.0),
            r#"{"ok":false}"#
        );
        assert!(call(ServerOp::Refresh, &["id", "sec", "u", "RT1"], 0.0)
            .contains(r#""body":"grant_type=refresh_token&refresh_token=RT1""#));
        assert!(
            dispatch(3, "", 0.0).is_none(),
            "a browser op is not the server's"
        );
    }
}
