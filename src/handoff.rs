//! The handoff: the browser gives the code and verifier to the partner backend, which makes
//! the token request (Pleo: the exchange "must never be made from a frontend"). The browser
//! edge performs the `fetch`; the rules for judging its outcome live here.

use crate::error::{Error, Result};
use crate::messages::Msg;
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
    /// A response with this status. Its body does not matter: a 2xx answer means the backend
    /// took the code (docs/API.md step 10: JSON, text or nothing — Express's `sendStatus(200)`
    /// answers the text `OK` after exchanging the code, so refusing it would lose a connection).
    Status(u16),
}

/// Which request of the handoff a response answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// `handoff.url`: the code, verifier, redirect URI and state (step 10).
    Exchange,
    /// `handoff.startUrl`: `{ state, code_challenge }` before the redirect (bound handoff).
    Start,
}

/// The outcome rule of both requests: success is a 2xx answer, whatever its body.
#[inline(always)] // 17 B gzip less in the shipped wasm, measured
pub fn outcome(request: Request, response: Response, url: &str, timeout_ms: u32) -> Result<()> {
    // The status (0 for none), the message for what came back, for the exchange or the start,
    // and the number it names.
    let (status, exchange, start, number) = match response {
        Response::Status(status) if (200..300).contains(&status) => return Ok(()),
        Response::Status(status) => (
            status,
            Msg::ExchangeStatus,
            Msg::StartStatus,
            Some(u32::from(status)),
        ),
        Response::TimedOut => (
            0,
            Msg::ExchangeTimedOut,
            Msg::StartTimedOut,
            Some(timeout_ms),
        ),
        Response::None => (0, Msg::ExchangeUnreachable, Msg::StartUnreachable, None),
    };
    let msg = if request == Request::Exchange {
        exchange
    } else {
        start
    };
    let message = match number {
        Some(n) => msg!(msg, url, decimal(n.into())),
        None => msg!(msg, url),
    };
    Err(Error::handoff(status, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    #[test]
    fn only_2xx_is_success_whatever_the_body() {
        for request in [Request::Exchange, Request::Start] {
            for ok in [200, 201, 204, 299] {
                assert!(outcome(request, Response::Status(ok), "/x", 10).is_ok());
            }
            for bad in [0, 199, 301, 400, 401, 403, 500, 502] {
                let e = outcome(request, Response::Status(bad), "/x", 10).unwrap_err();
                assert_eq!(e.code(), ErrorCode::HandoffFailed);
                assert_eq!(e.status(), Some(bad));
                assert!(e.message().contains("/x"));
            }
        }
    }

    #[test]
    fn no_response_has_status_zero_and_says_why() {
        let e = outcome(Request::Exchange, Response::TimedOut, "/x", 1500).unwrap_err();
        assert_eq!(e.status(), Some(0));
        assert!(e.message().contains("1500 ms"));
        let e = outcome(Request::Exchange, Response::None, "/x", 1500).unwrap_err();
        assert_eq!(e.status(), Some(0));
        assert!(e.message().contains("could not be reached"));
    }

    #[test]
    fn rfc9700_s4_5_bound_handoff_start_failure_says_nothing_was_started() {
        let e = outcome(Request::Start, Response::Status(403), "/start", 10).unwrap_err();
        assert_eq!(
            (e.code(), e.status()),
            (ErrorCode::HandoffFailed, Some(403))
        );
        assert!(e.message().contains("/start"));
        assert!(e.message().contains("Nothing was started"));
        assert!(!e.message().contains("code was not exchanged"));
        let e = outcome(Request::Start, Response::TimedOut, "/start", 10).unwrap_err();
        assert_eq!(e.status(), Some(0));
    }
}
