//! The handoff: the browser gives the code and verifier to the partner backend, which makes
//! the token request (Pleo: the exchange "must never be made from a frontend"). The browser
//! edge performs the `fetch`; the rules for judging its outcome live here.

use alloc::string::String;

use crate::error::{Error, Result};
use crate::text::decimal;

/// The header that marks the request as made by script. A cross-origin request carrying it
/// needs a CORS preflight, so a plain HTML form on another site cannot forge the handoff.
pub const REQUESTED_WITH: (&str, &str) = ("X-Requested-With", "pleo-oauth");

/// What came back from the handoff request, as the browser edge observed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// No response: a network failure, a refused CORS request, a refused redirect, or a
    /// `fetch` that threw.
    None,
    /// The request was aborted at `handoff.timeoutMs`.
    TimedOut,
    /// A response with this status, whose body was empty, JSON, or something else.
    Status(u16, Body),
}

/// The body of a handoff response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// Zero bytes, or only whitespace: `backend` is `null`.
    Empty,
    /// Parses as JSON: `backend` is the parsed value.
    Json,
    /// Anything else.
    Other,
}

/// Which request of the handoff a response answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// `handoff.url`: the code, verifier, redirect URI and state (step 10).
    Exchange,
    /// `handoff.startUrl`: `{ state, code_challenge }` before the redirect (bound handoff).
    Start,
}

/// The outcome rules: the exchange succeeded only for a 2xx answer whose body is empty or JSON
/// (step 10); the start of a bound handoff for any 2xx answer.
pub fn outcome(request: Request, response: Response, url: &str, timeout_ms: u32) -> Result<()> {
    match response {
        Response::None => Err(no_response(url, false, timeout_ms)),
        Response::TimedOut => Err(no_response(url, true, timeout_ms)),
        Response::Status(status, body) => {
            check_status(status, url)?;
            match (request, body) {
                (Request::Exchange, Body::Other) => Err(not_json(url, status)),
                _ => Ok(()),
            }
        }
    }
}

/// A response with this status completed the handoff only when it is 2xx.
pub fn check_status(status: u16, url: &str) -> Result<()> {
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(Error::handoff(
            status,
            cat!(
                "The handoff endpoint ",
                url,
                " answered HTTP ",
                &decimal(status.into()),
                ". The code was not exchanged; check the backend's logs, then start the connection again."
            ),
        ))
    }
}

/// No response arrived (network failure, CORS refusal, or the timeout).
pub fn no_response(url: &str, timed_out: bool, timeout_ms: u32) -> Error {
    let why: String = if timed_out {
        cat!(
            "did not answer within ",
            &decimal(timeout_ms.into()),
            " ms (handoff.timeoutMs)"
        )
    } else {
        "could not be reached (network error, or a cross-origin request refused by CORS)".into()
    };
    Error::handoff(
        0,
        cat!(
            "The handoff endpoint ",
            url,
            " ",
            &why,
            ". Start the connection again."
        ),
    )
}

/// A 2xx response whose body is not JSON.
pub fn not_json(url: &str, status: u16) -> Error {
    Error::handoff(
        status,
        cat!(
            "The handoff endpoint ",
            url,
            " answered HTTP ",
            &decimal(status.into()),
            " with a body that is not JSON. Answer with JSON (or an empty body)."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    #[test]
    fn only_2xx_is_success() {
        for ok in [200, 201, 204, 299] {
            assert!(check_status(ok, "/x").is_ok());
        }
        for bad in [0, 199, 301, 400, 401, 403, 500, 502] {
            let e = check_status(bad, "/x").unwrap_err();
            assert_eq!(e.code(), ErrorCode::HandoffFailed);
            assert_eq!(e.status(), Some(bad));
        }
    }

    #[test]
    fn no_response_has_status_zero_and_says_why() {
        let e = no_response("/x", true, 1500);
        assert_eq!(e.status(), Some(0));
        assert!(e.message().contains("1500 ms"));
        assert!(no_response("/x", false, 1500)
            .message()
            .contains("could not be reached"));
    }

    #[test]
    fn rfc9700_s4_5_bound_handoff_start_needs_only_a_2xx_and_names_its_url() {
        let body = Response::Status(200, Body::Other);
        assert!(outcome(Request::Start, body, "/start", 10).is_ok());
        assert!(outcome(Request::Exchange, body, "/x", 10).is_err());
        let e = outcome(
            Request::Start,
            Response::Status(403, Body::Json),
            "/start",
            10,
        )
        .unwrap_err();
        assert_eq!(
            (e.code(), e.status()),
            (ErrorCode::HandoffFailed, Some(403))
        );
        assert!(e.message().contains("/start"));
        let e = outcome(Request::Start, Response::TimedOut, "/start", 10).unwrap_err();
        assert_eq!(e.status(), Some(0));
    }
}
