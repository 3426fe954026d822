//! The handoff: the browser gives the code and verifier to the partner backend, which makes
//! the token request (Pleo: the exchange "must never be made from a frontend"). The browser
//! edge performs the `fetch`; the rules for judging its outcome live here.

use crate::error::{Error, Result};

/// The header that marks the request as made by script. A cross-origin request carrying it
/// needs a CORS preflight, so a plain HTML form on another site cannot forge the handoff.
pub const REQUESTED_WITH: (&str, &str) = ("X-Requested-With", "pleo-oauth");

/// A response with this status completed the handoff only when it is 2xx.
pub fn check_status(status: u16, url: &str) -> Result<()> {
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(Error::handoff(
            status,
            format!(
                "The handoff endpoint {url} answered HTTP {status}. The code was not exchanged; check the backend's logs, then start the connection again."
            ),
        ))
    }
}

/// No response arrived (network failure, CORS refusal, or the timeout).
pub fn no_response(url: &str, timed_out: bool, timeout_ms: u32) -> Error {
    let why = if timed_out {
        format!("did not answer within {timeout_ms} ms (handoff.timeoutMs)")
    } else {
        "could not be reached (network error, or a cross-origin request refused by CORS)".to_owned()
    };
    Error::handoff(
        0,
        format!("The handoff endpoint {url} {why}. Start the connection again."),
    )
}

/// A 2xx response whose body is not JSON.
pub fn not_json(url: &str, status: u16) -> Error {
    Error::handoff(
        status,
        format!("The handoff endpoint {url} answered HTTP {status} with a body that is not JSON. Answer with JSON (or an empty body)."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

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
}
