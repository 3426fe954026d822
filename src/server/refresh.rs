//! When to refresh, and what survives a rotation (RFC 6749 §6; Pleo rotates refresh tokens and
//! revokes the whole authorisation when a rotated-away one is used again).
//!
//! Invariant: a refresh is started by one caller at a time per connection (the store's lease,
//! not this module), and its answer is persisted — the new refresh token above all — before the
//! new access token is used or returned. A caller that lost the race for the lease reads the
//! winner's tokens instead of refreshing with the token the winner just used up.

use super::token::Tokens;
use super::RefreshToken;

/// How long before its expiry an access token is refreshed by default: one minute, so that a
/// token handed to a request does not expire on its way.
pub const DEFAULT_SKEW_MS: u64 = 60_000;

/// Whether the access token issued at `issued_at_ms` and expiring at `expires_at_ms` must be
/// refreshed before use at `now_ms`: within `skew_ms` of its expiry — at most half its
/// lifetime, so that a token shorter-lived than the skew is not due the moment it arrives (every
/// call would refresh) — or past it. A token whose expiry is unknown is used until the API
/// refuses it (then call this with `Some(0)`).
pub fn due(expires_at_ms: Option<u64>, issued_at_ms: u64, now_ms: u64, skew_ms: u64) -> bool {
    expires_at_ms.is_some_and(|at| {
        let skew = skew_ms.min(at.saturating_sub(issued_at_ms) / 2);
        now_ms.saturating_add(skew) >= at
    })
}

/// The refresh token to persist after a refresh answered `tokens`: the new one (RFC 6749 §6:
/// when the server issues one, the client must discard the old one), else the one used, which
/// the server then kept valid.
pub fn surviving(used: &RefreshToken, tokens: &Tokens) -> RefreshToken {
    tokens.refresh_token.clone().unwrap_or_else(|| used.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::AccessToken;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    #[test]
    fn due_within_the_skew_or_past_the_expiry_never_for_an_unknown_one() {
        // A 15-minute token issued at 0: due from one minute before its expiry.
        let at = 900_000;
        assert!(!due(Some(at), 0, at - DEFAULT_SKEW_MS - 1, DEFAULT_SKEW_MS));
        assert!(due(Some(at), 0, at - DEFAULT_SKEW_MS, DEFAULT_SKEW_MS));
        assert!(due(Some(at), 0, at + 1, DEFAULT_SKEW_MS));
        assert!(!due(None, 0, u64::MAX, DEFAULT_SKEW_MS));
        assert!(due(Some(0), 0, 0, 0));
        assert!(due(Some(5), 0, u64::MAX, u64::MAX), "no overflow");
        // A 2-second token is not due when it arrives (the skew is at most half its life).
        assert!(!due(Some(12_000), 10_000, 10_000, DEFAULT_SKEW_MS));
        assert!(due(Some(12_000), 10_000, 11_000, DEFAULT_SKEW_MS));
    }

    #[test]
    fn rfc6749_s6_a_rotated_refresh_token_replaces_the_used_one() {
        let used = RefreshToken::new("old");
        let mut t = Tokens {
            access_token: AccessToken::new("at"),
            expires_at_ms: Some(1),
            refresh_token: Some(RefreshToken::new("new")),
            scope: None,
        };
        assert_eq!(surviving(&used, &t).secret(), "new");
        t.refresh_token = None;
        assert_eq!(surviving(&used, &t).secret(), "old");
    }
}
