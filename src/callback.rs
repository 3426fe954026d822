//! The callback: parsing the redirect back from Pleo and the ordered checks of
//! `docs/API.md` § "What handleCallback checks". The order is part of the contract: a forged
//! state is reported as `unknown_state` even when the URL also carries `error=…`.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use crate::config::{Config, MAX_TRANSACTION_TTL_SECONDS};
use crate::error::{AuthorizationErrorDetails, Context, Error, ErrorCode, Result};
use crate::form;
use crate::messages::Msg;
use crate::pkce::PkceCodeVerifier;
use crate::state::State;
use crate::transaction::{address_key, completed, storage_key, Record, Transaction};
use crate::uri;

pub use crate::protocol::CALLBACK_PARAMETERS;

/// The authorisation code: short-lived and single-use, but a secret until exchanged.
/// `Debug` prints nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationCode(String);

impl AuthorizationCode {
    /// A code the browser handed off (the backend half reads it from the handoff body).
    #[cfg(feature = "server")]
    pub(crate) fn from_handoff(code: String) -> Self {
        AuthorizationCode(code)
    }

    /// The code. **Security:** send it only to your own backend; never log it.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AuthorizationCode([redacted])")
    }
}

/// The callback parameters of a URL, each present at most once: the values of
/// [`CALLBACK_PARAMETERS`] (`code`, `state`, `error`, `error_description`, `error_uri`,
/// `iss`), in that order, as [`form::fields`] reads them (no copy into named fields).
/// `Debug` prints nothing of the code.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct CallbackParameters(pub [Option<String>; 6]);

impl CallbackParameters {
    /// `code` (a secret: see [`AuthorizationCode`]).
    pub fn code(&self) -> Option<&str> {
        self.0[0].as_deref()
    }
    /// `state`.
    pub fn state(&self) -> Option<&str> {
        self.0[1].as_deref()
    }
    /// `error`.
    pub fn error(&self) -> Option<&str> {
        self.0[2].as_deref()
    }
    /// `error_description`.
    pub fn error_description(&self) -> Option<&str> {
        self.0[3].as_deref()
    }
    /// `error_uri`.
    pub fn error_uri(&self) -> Option<&str> {
        self.0[4].as_deref()
    }
    /// `iss`.
    pub fn iss(&self) -> Option<&str> {
        self.0[5].as_deref()
    }
}

impl core::fmt::Debug for CallbackParameters {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let [code, rest @ ..] = &self.0;
        f.debug_tuple("CallbackParameters")
            .field(&code.as_ref().map(|_| "[redacted]"))
            .field(&rest)
            .finish()
    }
}

/// Step 1: reads the callback parameters from the URL's query. Other parameters are ignored.
pub fn parse(url: &str) -> Result<CallbackParameters> {
    let mut p = CallbackParameters::default();
    parse_into(url, &mut p)?;
    Ok(p)
}

/// [`parse`] into `p` (all unset), which [`locate`] builds in place.
fn parse_into(url: &str, p: &mut CallbackParameters) -> Result<()> {
    let query = uri::split(url).query.unwrap_or_default();
    // RFC 6749 §3.1: request and response parameters MUST NOT be included more than once.
    form::fields(query, &CALLBACK_PARAMETERS, &mut p.0, true).map_err(|name| {
        crate::error::quoting(ErrorCode::DuplicateParameter, Msg::DuplicateParameter, name)
    })
}

/// A callback that passed every check: what the code exchange needs.
#[derive(Debug)]
pub struct VerifiedCallback {
    pub code: AuthorizationCode,
    pub state: State,
    pub verifier: PkceCodeVerifier,
    pub redirect_uri: String,
    /// The connection's `returnTo` and `appState`.
    pub context: Context,
}

/// A callback URL read once (steps 1–2): what every later step needs of it.
#[derive(Debug)]
pub struct Located<'a> {
    /// Its callback parameters.
    pub params: CallbackParameters,
    /// The storage key of the transaction to consume; `None` for a state this library cannot
    /// have issued (not base64url), which no record can be under.
    pub key: Option<String>,
    /// Its origin, as a browser serialises it.
    pub origin: String,
    /// Its path (`/` for an empty one).
    pub path: &'a str,
}

/// Steps 1–2: the callback's parameters and the storage key of the transaction to consume,
/// with the URL's origin and path for step 6.
pub fn locate(url: &str) -> Result<Located<'_>> {
    // The callback is read from the address as the browser has it: an absolute http(s) URL.
    // Anything else is refused before step 3 would consume the transaction.
    let Some((origin, path)) = uri::origin_and_path(url) else {
        return Err(crate::error::invalid_parameter(Msg::CallbackUrl));
    };
    // 1. Strict parse.
    let mut located = Located {
        params: CallbackParameters::default(),
        key: None,
        origin,
        path,
    };
    parse_into(url, &mut located.params)?;
    let p = &located.params;
    // 2. Is this a callback at all?
    if p.code().is_none() && p.error().is_none() {
        return Err(Error::new(ErrorCode::NotACallback, Msg::NotACallback));
    }
    // RFC 6749 §10.12: the client MUST check state.
    let Some(state) = p.state() else {
        return Err(Error::new(ErrorCode::MissingState, Msg::MissingState));
    };
    // Only a base64url state (as this library issues) can name a record: ASCII letters,
    // digits, `-` and `_`, read by the helper the scopes and header names use (a state is never
    // empty here: `form::fields` reads an empty one as omitted).
    if crate::config::word(state, "-_") {
        located.key = Some(storage_key(state));
    }
    Ok(located)
}

/// The one record handling the callback `url` reads ([`handle`]): the transaction of its
/// state, or, for an address that is no callback, the record a completed callback left there
/// (a reload); `None` when there is none to read.
#[inline]
pub fn record_key(url: &str) -> Option<String> {
    match locate(url) {
        Ok(l) => l.key,
        Err(e) if e.code() == ErrorCode::NotACallback => Some(address_key(url, "")),
        Err(_) => None,
    }
}

/// Whether a stored transaction of this client ([`Config::binding`]) is one it could have
/// written: the redirect URI it was started with, and an expiry within the longest time to
/// live. Storage is writable by any script of the origin; a record that does not agree was not
/// written by this client (RFC 9700 §4.7, §4.11), so it is `unknown_state` like a missing one. One started with another issuer
/// configuration is found, and fails step 5 (`issuer_mismatch`). (A swapped verifier cannot be
/// told from a real one: the record carries no MAC; the bound handoff catches that at the
/// backend.)
fn agrees(config: &Config, t: &Transaction, now_ms: u64) -> bool {
    let latest = now_ms.saturating_add(u64::from(MAX_TRANSACTION_TTL_SECONDS) * 1000);
    *t.redirect_uri == *config.redirect_uri.as_str() && t.expires_at_ms <= latest
}

/// Steps 4–8, once the transaction was found (step 3): the code, or why the callback fails
/// (`handle` adds the connection's context to the error). Kept out of `handle`
/// (`inline(never)`): inlined there it cost 44 B more of gzipped wasm, measured.
#[inline(never)]
fn checks(
    (origin, path): (&str, &str),
    p: CallbackParameters,
    transaction: &Transaction,
    now_ms: u64,
    config: &Config,
) -> Result<AuthorizationCode> {
    // 4. Expiry.
    if transaction.is_expired(now_ms) {
        return Err(Error::new(ErrorCode::Expired, Msg::Expired));
    }
    // 5. A configured client also refuses a connection started with another
    // environment.issuer (or with one when it has none, or none when it has one): the request
    // went to another issuer than the one it checks, whatever `iss` says (RFC 9207 §2.4).
    // Compared as str with str, not through Option<String>'s PartialEq (23 B gzip less).
    let same = match (&config.issuer, &transaction.issuer) {
        (Some(a), Some(b)) => **a == **b,
        (a, b) => a.is_none() & b.is_none(),
    };
    if !same {
        return Err(Error::new(
            ErrorCode::IssuerMismatch,
            msg!(
                Msg::IssuerNotConfigured,
                or_unset(&transaction.issuer),
                or_unset(&config.issuer)
            ),
        ));
    }
    // RFC 9207 §2.4: with a known issuer, `iss` must be present and equal (simple string comparison).
    if let Some(expected) = &transaction.issuer {
        // The parameters' last one (`iss`), by pattern: no copy through `Params::iss`.
        let [.., iss] = &p.0;
        match iss {
            None => {
                return Err(crate::error::quoting(
                    ErrorCode::IssuerMismatch,
                    Msg::IssuerMissing,
                    expected,
                ))
            }
            Some(got) if **got != **expected => {
                return Err(Error::new(
                    ErrorCode::IssuerMismatch,
                    msg!(Msg::IssuerMismatch, got.as_str(), expected.as_str()),
                ))
            }
            Some(_) => {}
        }
    }
    // 6. The callback must arrive where the request said it would (docs/API.md step 6): the
    // redirect URI the transaction holds is this client's ([`agrees`]), already parsed.
    if *origin != *config.redirect_uri.origin() || *path != *config.redirect_uri.path() {
        return Err(crate::error::quoting(
            ErrorCode::RedirectUriMismatch,
            Msg::RedirectUriMismatch,
            transaction.redirect_uri.as_str(),
        ));
    }
    let [code, _, error, error_description, error_uri, _] = p.0;
    // 7. RFC 6749 §4.1.2.1: the server refused.
    if let Some(error) = error {
        return Err(Error::authorization(AuthorizationErrorDetails {
            error,
            error_description,
            error_uri,
        }));
    }
    // 8. RFC 6749 §4.1.2: a success response carries the code.
    code.map(AuthorizationCode)
        .ok_or_else(|| Error::new(ErrorCode::MissingCode, Msg::MissingCode))
}

/// An issuer configuration as step 5's message names it.
fn or_unset(issuer: &Option<String>) -> &str {
    match issuer {
        Some(i) => i,
        None => "unset",
    }
}

/// Who hands [`handle`] the callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// The page it arrived at (or the caller of `handleCallback(url)`).
    Page,
    /// The window waiting for a `popup()`, with the callback its popup relayed.
    Popup,
}

/// What handling a callback does: the storage edits to make (in order; `None` removes the
/// key), whatever the outcome, and the outcome.
#[derive(Debug)]
pub struct Handled {
    pub store: Vec<(String, Option<String>)>,
    /// The address step 9 leaves (path, query, fragment) after any completed callback — its
    /// transaction found and consumed, whatever steps 4–8 decided (a Deny too) — when the
    /// callback is the page's own address.
    pub clean: Option<String>,
    pub outcome: Result<Success>,
}

/// A callback that passed steps 1–8 (the address step 9 leaves is [`Handled::clean`]).
#[derive(Debug)]
pub struct Success {
    pub verified: VerifiedCallback,
}

/// Steps 1–9 for the page at `here` (`location.href`), given the one record the callback is
/// about: `stored`, the value under [`record_key`]`(url)` (empty when there is none). Answers
/// the outcome, and what to write so that the transaction is consumed (replaced by a
/// [`Completed`] record, RFC 6749 §10.5, also under the address step 9 leaves, for a reload).
/// A callback whose state was completed, or a reload of the address a completed callback
/// left, is `already_handled` with that connection's `returnTo` and `appState`; nothing is
/// consumed or handed off again (whichever client asks: the state was used). A transaction of
/// another client ([`Config::binding`]), or of a `popup()` when this is not the window
/// waiting for it ([`Via::Popup`]), is none and is left as it is: it is not this call's to
/// consume.
#[inline(always)] // 17 B gzip less in the shipped wasm, measured
pub fn handle(
    config: &Config,
    url: &str,
    here: &str,
    stored: &str,
    via: Via,
    now_ms: u64,
) -> Handled {
    let mut store: Vec<(String, Option<String>)> = Vec::new();
    let mut clean = None;
    let located = locate(url);
    let state = located.as_ref().ok().and_then(|l| l.params.0[1].clone());
    let record = Record::decode(State::from_callback(state.unwrap_or_default()), stored);
    let outcome = match record {
        // 2. A reload of the address a completed callback left, or a callback whose state this
        // browser already completed (Back, Approve again).
        Some(Record::Completed(c))
            if now_ms < c.expires_at_ms
                && located
                    .as_ref()
                    .err()
                    .is_none_or(|e| e.code() == ErrorCode::NotACallback) =>
        {
            Err(already_handled(c.context))
        }
        record => match located {
            Err(e) => Err(e),
            Ok(Located {
                params: p,
                key,
                origin,
                path,
            }) => {
                // Another client's transaction, or a popup's this window does not wait for.
                let foreign = matches!(&record, Some(Record::Pending(t)) if *t.client != *config.binding || (t.popup && via != Via::Popup));
                let mut done = None;
                // 3. A pending transaction for exactly this state, consumed now, whatever happens
                // next; a record this client could not have written counts as none ([`agrees`]).
                let outcome = match record {
                    Some(Record::Pending(t)) if !foreign && agrees(config, &t, now_ms) => {
                        // Found (steps 4–8 run): remembered without any secret for the time to
                        // live ([`completed`]).
                        done = Some(completed(
                            &t.context,
                            now_ms.saturating_add(u64::from(config.transaction_ttl_seconds) * 1000),
                        ));
                        // Step 9 for every completed callback.
                        if *url == *here {
                            clean = Some(strip_callback_parameters(here));
                        }
                        match checks((&origin, path), p, &t, now_ms, config) {
                            Ok(code) => Ok(Success {
                                verified: VerifiedCallback {
                                    code,
                                    state: t.state,
                                    verifier: t.verifier,
                                    redirect_uri: t.redirect_uri,
                                    context: t.context,
                                },
                            }),
                            // Every error from here on carries the connection's returnTo and
                            // appState (docs/API.md 0.2).
                            Err(e) => Err(e.with_context(t.context)),
                        }
                    }
                    _ => Err(Error::new(ErrorCode::UnknownState, Msg::UnknownState)),
                };
                if let Some(key) = key.filter(|_| !foreign) {
                    // Also under the address step 9 leaves (`clean` is given only when the
                    // callback is the page's own address, whose origin `locate` read).
                    if let (Some(clean), Some(done)) = (&clean, &done) {
                        store.push((address_key(&origin, clean), Some(done.clone())));
                    }
                    store.push((key, done));
                }
                outcome
            }
        },
    };
    Handled {
        store,
        clean,
        outcome,
    }
}

fn already_handled(context: Context) -> Error {
    Error::new(ErrorCode::AlreadyHandled, Msg::AlreadyHandled).with_context(context)
}

/// Step 9: the URL to put in the address bar, as path + query + fragment, with the callback
/// parameters (and only those) removed; every other query segment is kept byte for byte.
pub fn strip_callback_parameters(url: &str) -> String {
    let parts = uri::split(url);
    let mut out = parts.path.to_owned();
    if out.is_empty() {
        crate::text::push_ascii(&mut out, b'/');
    }
    let mut separator = b'?';
    for segment in crate::text::pieces(parts.query.unwrap_or_default(), b'&') {
        if !segment.is_empty() && form::first_of(segment, &CALLBACK_PARAMETERS).is_none() {
            crate::text::push_ascii(&mut out, separator);
            out.push_str(segment);
            separator = b'&';
        }
    }
    if let Some(fragment) = parts.fragment {
        crate::text::push_ascii(&mut out, b'#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_options::{CustomEnvironment, EnvironmentOption, Options};
    use crate::config::tests::options;
    use crate::config::Config;
    use crate::request::{build_with, AuthorizationUrlOptions};
    #[allow(unused_imports)]
    use crate::test_prelude::*;
    use std::collections::HashMap;

    const CB: &str = "https://app.example.com/pleo/callback";
    const NOW: u64 = 1_000_000;

    /// Only a base64url state names a record (its storage key); any other byte, or none
    /// (an empty state is a missing one), names none.
    #[test]
    fn only_a_base64url_state_names_a_record() {
        let key = |query: &str| record_key(&format!("{CB}?code=c&{query}"));
        assert_eq!(
            key("state=AZaz09-_").as_deref(),
            Some("pleo-oauth:tx:AZaz09-_")
        );
        for bad in ["a.b", "a~b", "a%2Fb", "a+b", "%C3%A9", "a%00"] {
            assert_eq!(key(&format!("state={bad}")), None, "{bad}");
        }
        assert_eq!(key("state="), None);
    }

    /// A fake storage with one pending transaction (state "good"), built through the real
    /// request path, and the client that started it, which handles callbacks through the
    /// shipped path ([`handle`]).
    struct Store(HashMap<String, String>, Config);

    impl Store {
        fn new(options: Options) -> Store {
            let config = Config::from_options(options).unwrap();
            let r = build_with(
                &config,
                AuthorizationUrlOptions {
                    return_to: Some("/back".into()),
                    ..Default::default()
                },
                State::from_callback("good".into()),
                PkceCodeVerifier::new("v".repeat(43)).unwrap(),
                PkceCodeVerifier::new("v".repeat(43)).unwrap().challenge(),
                NOW,
            )
            .unwrap();
            Store(
                HashMap::from([(r.transaction.storage_key(), r.transaction.encode())]),
                config,
            )
        }
        /// `handleCallback(url)` on the page at `url`: its storage edits made, its outcome.
        fn verify(&mut self, url: &str, now: u64) -> Result<VerifiedCallback> {
            let h = run(&self.1, &self.0, url, url, now);
            apply(&mut self.0, &h);
            h.outcome.map(|s| s.verified)
        }
        fn code(&mut self, url: &str) -> ErrorCode {
            self.verify(url, NOW).unwrap_err().code()
        }
    }

    fn with_issuer() -> Options {
        Options {
            environment: Some(EnvironmentOption::Custom(CustomEnvironment {
                authorization_endpoint: "https://auth.example.com/oauth/authorize".into(),
                issuer: Some("https://auth.example.com".into()),
            })),
            ..options()
        }
    }

    #[test]
    fn rfc9700_s4_7_a_record_that_disagrees_with_the_configuration_is_unknown_state() {
        let config = Config::from_options(with_issuer()).unwrap();
        let good = Store::new(with_issuer()).0.into_values().next().unwrap();
        let url = format!("{CB}?code=c&state=good&iss=https://auth.example.com");
        let run = |record: &str| handle(&config, &url, &url, record, Via::Page, NOW).outcome;
        assert!(run(&good).is_ok());
        let day = 86_400_000u64;
        for tampered in [
            good.replace(
                "redirect_uri=https%3A%2F%2Fapp.example.com%2Fpleo%2Fcallback",
                "redirect_uri=https%3A%2F%2Fapp.example.com%2Fpleo%2Fcallback%3Fx%3D1",
            ),
            good.replace(
                &format!("exp={}", NOW + 600_000),
                &format!("exp={}", NOW + day + 1),
            ),
        ] {
            assert_ne!(tampered, good, "the replacement applied");
            assert_eq!(
                run(&tampered).unwrap_err().code(),
                ErrorCode::UnknownState,
                "{tampered}"
            );
        }
        // A record of another issuer configuration (or none) is found, and refused at step 5
        // (API.md): issuer_mismatch, whatever the callback's `iss`.
        for tampered in [
            good.replace("&iss=https%3A%2F%2Fauth.example.com", ""),
            good.replace(
                "&iss=https%3A%2F%2Fauth.example.com",
                "&iss=https%3A%2F%2Fevil.example",
            ),
        ] {
            assert_ne!(tampered, good, "the replacement applied");
            assert_eq!(
                run(&tampered).unwrap_err().code(),
                ErrorCode::IssuerMismatch,
                "{tampered}"
            );
        }
        let longest = good.replace(
            &format!("exp={}", NOW + 600_000),
            &format!("exp={}", NOW + day),
        );
        assert!(
            run(&longest).is_ok(),
            "an expiry within the longest time to live is fine"
        );
    }

    #[test]
    fn rfc6749_s4_1_2_a_good_callback_yields_what_the_exchange_needs() {
        let mut s = Store::new(options());
        let v = s
            .verify(&format!("{CB}?code=c0de&state=good&tenant=x"), NOW)
            .unwrap();
        assert_eq!(v.code.secret(), "c0de");
        assert_eq!(v.state.as_str(), "good");
        assert_eq!(v.verifier.secret(), "v".repeat(43));
        assert_eq!(v.redirect_uri, CB);
        assert_eq!(v.context.return_to.as_deref(), Some("/back"));
        assert_eq!(format!("{:?}", v.code), "AuthorizationCode([redacted])");
        assert!(!format!("{v:?}").contains("c0de"));
    }

    #[test]
    fn a_relative_callback_url_is_refused_before_the_transaction_is_consumed() {
        let mut s = Store::new(options());
        for relative in [
            "?code=c&state=good",
            "/pleo/callback?code=c&state=good",
            "pleo/callback?code=c&state=good",
        ] {
            assert_eq!(s.code(relative), ErrorCode::InvalidParameter, "{relative}");
        }
        assert!(
            s.verify(&format!("{CB}?code=c&state=good"), NOW).is_ok(),
            "still pending"
        );
    }

    #[test]
    fn rfc6749_s10_5_rfc9700_s4_7_replayed_callback_is_never_handed_off_again() {
        let mut s = Store::new(options());
        let url = format!("{CB}?code=c0de&state=good");
        assert!(s.verify(&url, NOW).is_ok());
        // While the completed record lasts: already_handled; once it expired: unknown_state.
        // Never a second success (nothing handed off twice).
        assert_eq!(s.code(&url), ErrorCode::AlreadyHandled);
        let e = s.verify(&url, NOW + 600_000).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnknownState);
        assert_eq!(s.code(&url), ErrorCode::UnknownState);
    }

    #[test]
    fn rfc6749_s3_1_step1_duplicate_parameters_come_first() {
        for name in CALLBACK_PARAMETERS {
            let mut s = Store::new(options());
            let url = format!("{CB}?code=c&state=good&error=e&{name}=1&{name}=2");
            let e = s.verify(&url, NOW).unwrap_err();
            assert_eq!(e.code(), ErrorCode::DuplicateParameter, "{name}");
            assert!(e.message().contains(&format!("\"{name}\"")));
            // Nothing was consumed: the transaction is still there.
            assert_eq!(s.0.len(), 1);
        }
        // A repeated empty value counts; a repeated unrelated parameter does not.
        assert_eq!(
            Store::new(options()).code(&format!("{CB}?code=c&state=good&state=")),
            ErrorCode::DuplicateParameter
        );
        assert!(Store::new(options())
            .verify(&format!("{CB}?code=c&state=good&x=1&x=2"), NOW)
            .is_ok());
    }

    #[test]
    fn rfc6749_s10_12_step2_not_a_callback_then_missing_state() {
        let mut s = Store::new(options());
        assert_eq!(s.code(CB), ErrorCode::NotACallback);
        assert_eq!(s.code(&format!("{CB}?state=good")), ErrorCode::NotACallback);
        assert_eq!(
            s.code(&format!("{CB}?code=&state=good")),
            ErrorCode::NotACallback,
            "empty = omitted"
        );
        assert_eq!(s.code(&format!("{CB}?code=c")), ErrorCode::MissingState);
        assert_eq!(
            s.code(&format!("{CB}?error=access_denied")),
            ErrorCode::MissingState
        );
        assert_eq!(
            s.code(&format!("{CB}?code=c&state=")),
            ErrorCode::MissingState
        );
        assert_eq!(s.0.len(), 1, "nothing consumed before step 3");
    }

    #[test]
    fn rfc6749_s10_12_rfc9700_s4_7_step3_forged_state_wins_over_error_and_everything_later() {
        let mut s = Store::new(with_issuer());
        assert_eq!(
            s.code(&format!("{CB}?error=access_denied&state=forged")),
            ErrorCode::UnknownState
        );
        assert_eq!(
            s.code("https://evil.example/x?code=c&state=forged&iss=https://evil.example"),
            ErrorCode::UnknownState
        );
        assert_eq!(s.0.len(), 1, "the real transaction is untouched");
    }

    #[test]
    fn rfc6749_s10_5_step3_consumes_even_when_a_later_check_fails() {
        let mut s = Store::new(options());
        assert_eq!(
            s.code(&format!("{CB}?error=access_denied&state=good")),
            ErrorCode::AuthorizationError
        );
        assert!(!s.0.values().any(|v| v.contains("verifier")), "consumed");
        // A code for the same state afterwards is never handed off: already_handled while the
        // completed record lasts, unknown_state after.
        assert_eq!(
            s.code(&format!("{CB}?code=c&state=good")),
            ErrorCode::AlreadyHandled
        );
        assert_eq!(
            s.verify(&format!("{CB}?code=c&state=good"), NOW + 600_000)
                .unwrap_err()
                .code(),
            ErrorCode::UnknownState
        );
    }

    #[test]
    fn step3_corrupt_record_is_unknown_state() {
        let mut s = Store(
            HashMap::from([("pleo-oauth:tx:good".to_string(), "garbage".to_string())]),
            Config::from_options(options()).unwrap(),
        );
        assert_eq!(
            s.code(&format!("{CB}?code=c&state=good")),
            ErrorCode::UnknownState
        );
    }

    #[test]
    fn step4_expiry_comes_before_issuer_redirect_and_error() {
        let deadline = NOW + 600_000;
        let mut s = Store::new(with_issuer());
        let e = s
            .verify(
                "https://elsewhere.example/?error=access_denied&state=good",
                deadline,
            )
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Expired);
        let mut s = Store::new(options());
        assert!(s
            .verify(&format!("{CB}?code=c&state=good"), deadline - 1)
            .is_ok());
    }

    #[test]
    fn rfc9207_s2_4_rfc9700_s4_4_step5_issuer_missing_or_different() {
        let ok = format!("{CB}?code=c&state=good&iss=https%3A%2F%2Fauth.example.com");
        assert!(Store::new(with_issuer()).verify(&ok, NOW).is_ok());
        let mut s = Store::new(with_issuer());
        assert_eq!(
            s.code(&format!("{CB}?code=c&state=good")),
            ErrorCode::IssuerMismatch
        );
        for bad in [
            "https://evil.example",
            "https://auth.example.com/",
            "HTTPS://auth.example.com",
        ] {
            let mut s = Store::new(with_issuer());
            let e = s
                .verify(&format!("{CB}?code=c&state=good&iss={bad}"), NOW)
                .unwrap_err();
            assert_eq!(e.code(), ErrorCode::IssuerMismatch, "{bad}");
        }
        // Issuer check precedes the redirect URI check and the error.
        let mut s = Store::new(with_issuer());
        assert_eq!(
            s.code("https://elsewhere.example/?error=x&state=good&iss=bad"),
            ErrorCode::IssuerMismatch
        );
        // Without a configured issuer an `iss` is not checked (Pleo documents none).
        assert!(Store::new(options())
            .verify(&format!("{CB}?code=c&state=good&iss=whatever"), NOW)
            .is_ok());
    }

    #[test]
    fn rfc9700_s4_1_step6_redirect_uri_origin_and_path() {
        for bad in [
            "https://evil.example/pleo/callback",
            "https://app.example.com/pleo/callback2",
            "https://app.example.com/pleo",
            "http://app.example.com/pleo/callback",
            "https://app.example.com:8443/pleo/callback",
        ] {
            let mut s = Store::new(options());
            let e = s
                .verify(&format!("{bad}?error=access_denied&state=good"), NOW)
                .unwrap_err();
            assert_eq!(e.code(), ErrorCode::RedirectUriMismatch, "{bad}");
        }
        // Case of scheme/host and an explicit default port are not differences; a fragment is ignored.
        let mut s = Store::new(options());
        assert!(s
            .verify(
                "HTTPS://APP.example.com:443/pleo/callback?code=c&state=good#x",
                NOW
            )
            .is_ok());
    }

    #[test]
    fn rfc6749_s4_1_2_1_step7_authorization_error_carries_the_server_fields() {
        let mut s = Store::new(options());
        let e = s
            .verify(
                &format!("{CB}?error=access_denied&error_description=User+said+no&error_uri=https%3A%2F%2Fpleo.io%2Fe&state=good"),
                NOW,
            )
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::AuthorizationError);
        let d = e.authorization_details().unwrap();
        assert_eq!(d.error, "access_denied");
        assert_eq!(d.error_description.as_deref(), Some("User said no"));
        assert_eq!(d.error_uri.as_deref(), Some("https://pleo.io/e"));
        // error wins over a code sent alongside it.
        let mut s = Store::new(options());
        assert_eq!(
            s.code(&format!("{CB}?error=server_error&code=c&state=good")),
            ErrorCode::AuthorizationError
        );
    }

    #[test]
    fn messages_never_contain_the_code_or_verifier() {
        let mut s = Store::new(with_issuer());
        let e = s
            .verify(
                &format!("{CB}?code=SECRETCODE&state=good&iss=https://evil.example"),
                NOW,
            )
            .unwrap_err();
        assert!(!e.message().contains("SECRETCODE"));
        assert!(!e.message().contains(&"v".repeat(43)));
    }

    #[test]
    fn parse_callback_reads_each_parameter_once() {
        let p =
            parse("https://x.example/cb?code=a%2Bb&state=s&iss=https%3A%2F%2Fi&other=1&other=2")
                .unwrap();
        assert_eq!(p.code(), Some("a+b"));
        assert_eq!(p.state(), Some("s"));
        assert_eq!(p.iss(), Some("https://i"));
        assert_eq!(p.error(), None);
        assert_eq!(p.error_description(), None);
        assert_eq!(p.error_uri(), None);
        assert!(
            !format!("{p:?}").contains("a+b"),
            "Debug prints nothing of the code"
        );
        assert_eq!(parse("no query").unwrap(), CallbackParameters::default());
        assert_eq!(
            parse("/cb?code=a&code=a").unwrap_err().code(),
            ErrorCode::DuplicateParameter
        );
    }

    #[test]
    fn rfc9700_s4_2_4_step9_strips_only_the_callback_parameters() {
        assert_eq!(
            strip_callback_parameters(
                "https://app.example.com/cb?tab=a%20b&code=c&state=s&iss=i&error=e&error_description=d&error_uri=u&x=1#frag"
            ),
            "/cb?tab=a%20b&x=1#frag"
        );
        assert_eq!(
            strip_callback_parameters("https://app.example.com/cb?code=c&state=s"),
            "/cb"
        );
        assert_eq!(
            strip_callback_parameters("https://app.example.com?code=c"),
            "/"
        );
        assert_eq!(
            strip_callback_parameters("https://app.example.com/cb?codex=1&&code=c"),
            "/cb?codex=1"
        );
    }

    /// The records of a `Store`, as the wrapper lists them.
    /// What the wrapper does: reads the one record [`record_key`] names, then [`handle`]s
    /// the callback (not from a popup).
    fn run(
        config: &Config,
        store: &HashMap<String, String>,
        url: &str,
        here: &str,
        now: u64,
    ) -> Handled {
        let stored = record_key(url).and_then(|k| store.get(&k).cloned());
        handle(
            config,
            url,
            here,
            &stored.unwrap_or_default(),
            Via::Page,
            now,
        )
    }

    /// Applies `handle`'s edits, as the wrapper does.
    fn apply(store: &mut HashMap<String, String>, h: &Handled) {
        for (k, v) in &h.store {
            match v {
                Some(v) => store.insert(k.clone(), v.clone()),
                None => store.remove(k),
            };
        }
    }

    fn handle_in(
        store: &mut HashMap<String, String>,
        url: &str,
        here: &str,
        now: u64,
    ) -> Result<Success> {
        handled_in(store, url, here, now).outcome
    }

    /// [`handle_in`], with the address step 9 leaves.
    fn handled_in(store: &mut HashMap<String, String>, url: &str, here: &str, now: u64) -> Handled {
        let config = Config::from_options(options()).unwrap();
        let h = run(&config, store, url, here, now);
        apply(store, &h);
        h
    }

    fn store_with_app_state() -> HashMap<String, String> {
        store_started_with(options())
    }

    /// One pending connection (state "good", returnTo "/settings", appState) started with `o`.
    fn store_started_with(o: Options) -> HashMap<String, String> {
        let config = Config::from_options(o).unwrap();
        let r = build_with(
            &config,
            AuthorizationUrlOptions {
                return_to: Some("/settings".into()),
                app_state: Some("{\"tab\":\"pleo\"}".into()),
                ..Default::default()
            },
            State::from_callback("good".into()),
            PkceCodeVerifier::new("v".repeat(43)).unwrap(),
            PkceCodeVerifier::new("v".repeat(43)).unwrap().challenge(),
            NOW,
        )
        .unwrap();
        HashMap::from([(r.transaction.storage_key(), r.transaction.encode())])
    }

    #[test]
    fn reload_of_the_cleaned_address_is_already_handled_with_return_to_and_app_state() {
        let mut store = store_with_app_state();
        let url = format!("{CB}?tab=x&code=c0de&state=good");
        let h = handled_in(&mut store, &url, &url, NOW);
        assert_eq!(h.clean.as_deref(), Some("/pleo/callback?tab=x"));
        let ok = h.outcome.unwrap();
        assert_eq!(
            ok.verified.context.app_state.as_deref(),
            Some("{\"tab\":\"pleo\"}")
        );
        // The completed record holds no secret: neither the code nor the verifier.
        let record = &store["pleo-oauth:tx:good"];
        assert!(
            !record.contains("c0de") && !record.contains(&"v".repeat(43)),
            "{record}"
        );
        // The reload: exactly the address step 9 left.
        let reload = format!("{CB}?tab=x");
        let e = handle_in(&mut store, &reload, &reload, NOW + 1).unwrap_err();
        assert_eq!(e.code(), ErrorCode::AlreadyHandled);
        let c = e.context().unwrap();
        assert_eq!(c.return_to.as_deref(), Some("/settings"));
        assert_eq!(c.app_state.as_deref(), Some("{\"tab\":\"pleo\"}"));
        // Another address is still not a callback; so is this one after the time to live.
        assert_eq!(
            handle_in(&mut store, CB, CB, NOW + 1).unwrap_err().code(),
            ErrorCode::NotACallback
        );
        assert_eq!(
            handle_in(&mut store, &reload, &reload, NOW + 600_000)
                .unwrap_err()
                .code(),
            ErrorCode::NotACallback
        );
        // Both completed records (under the state and under the address) are dropped by the
        // next sweep once expired, and not before.
        let listed: Vec<(String, String)> = store.clone().into_iter().collect();
        assert_eq!(listed.len(), 2, "{listed:?}");
        assert!(crate::transaction::stale_keys(&listed, NOW + 599_999).is_empty());
        let mut stale = crate::transaction::stale_keys(&listed, NOW + 600_000);
        stale.sort();
        assert_eq!(
            stale,
            [
                format!("pleo-oauth:tx:@{CB}?tab=x"),
                "pleo-oauth:tx:good".to_string()
            ]
        );
    }

    #[test]
    fn rfc6749_s10_5_back_and_approve_again_is_already_handled_and_nothing_is_handed_off_twice() {
        let mut store = store_with_app_state();
        let first = format!("{CB}?code=c1&state=good");
        assert!(handle_in(&mut store, &first, &first, NOW).is_ok());
        // Same state, a new code (the authorisation request was submitted again).
        let again = format!("{CB}?code=c2&state=good");
        let e = handle_in(&mut store, &again, &again, NOW + 5).unwrap_err();
        assert_eq!(e.code(), ErrorCode::AlreadyHandled);
        assert_eq!(e.context().unwrap().return_to.as_deref(), Some("/settings"));
        assert!(!e.message().contains("c2"));
        // Still remembered: a third time is the same, never a handoff.
        assert_eq!(
            handle_in(&mut store, &again, &again, NOW + 6)
                .unwrap_err()
                .code(),
            ErrorCode::AlreadyHandled
        );
        // A state this browser never completed is still unknown_state.
        let forged = format!("{CB}?code=c3&state=forged");
        assert_eq!(
            handle_in(&mut store, &forged, &forged, NOW)
                .unwrap_err()
                .code(),
            ErrorCode::UnknownState
        );
        // Once the completed record expires, a replay is unknown_state again.
        assert_eq!(
            handle_in(&mut store, &again, &again, NOW + 600_000)
                .unwrap_err()
                .code(),
            ErrorCode::UnknownState
        );
    }

    #[test]
    fn errors_after_step_3_carry_return_to_and_app_state_and_complete_the_connection() {
        for (url, code) in [
            (
                format!("{CB}?error=access_denied&state=good"),
                ErrorCode::AuthorizationError,
            ),
            (
                format!("{CB}?state=good&error=x&code=c"),
                ErrorCode::AuthorizationError,
            ),
            (
                "https://app.example.com/other?code=c&state=good".into(),
                ErrorCode::RedirectUriMismatch,
            ),
        ] {
            let mut store = store_with_app_state();
            let e = handle_in(&mut store, &url, &url, NOW).unwrap_err();
            assert_eq!(e.code(), code);
            let c = e.context().unwrap();
            assert_eq!(c.return_to.as_deref(), Some("/settings"));
            assert_eq!(c.app_state.as_deref(), Some("{\"tab\":\"pleo\"}"));
            // A reload of that error page is already_handled, with the same context.
            let e = handle_in(&mut store, &url, &url, NOW + 1).unwrap_err();
            assert_eq!(e.code(), ErrorCode::AlreadyHandled, "{url}");
            assert_eq!(e.context().unwrap().return_to.as_deref(), Some("/settings"));
        }
        let mut store = store_with_app_state();
        let url = format!("{CB}?code=c&state=good");
        let e = handle_in(&mut store, &url, &url, NOW + 600_000).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Expired);
        assert_eq!(e.context().unwrap().return_to.as_deref(), Some("/settings"));
        // Before step 3 there is no connection to name.
        let mut store = store_with_app_state();
        for url in [
            format!("{CB}?code=c"),
            format!("{CB}?code=c&state=zz"),
            format!("{CB}?code=c&code=d&state=good"),
        ] {
            assert!(handle_in(&mut store, &url, &url, NOW)
                .unwrap_err()
                .context()
                .is_none());
        }
        assert!(store.contains_key("pleo-oauth:tx:good"), "still pending");
    }

    /// `options()` with a custom environment whose issuer is `issuer` (none: none configured).
    fn with_issuer_of(issuer: Option<&str>) -> Options {
        Options {
            environment: Some(EnvironmentOption::Custom(CustomEnvironment {
                authorization_endpoint: "https://auth.example.com/oauth/authorize".into(),
                issuer: issuer.map(String::from),
            })),
            ..options()
        }
    }

    #[test]
    fn api_step5_a_connection_started_with_another_issuer_is_issuer_mismatch_consumed_with_its_context(
    ) {
        let (a, b) = (Some("https://a.example"), Some("https://b.example"));
        for (started, handled) in [(a, b), (None, b), (a, None)] {
            let config = Config::from_options(with_issuer_of(handled)).unwrap();
            for iss in [started, handled, None, Some("https://evil.example")] {
                let what = format!("started {started:?}, handled {handled:?}, iss {iss:?}");
                let mut store = store_started_with(with_issuer_of(started));
                let url = format!(
                    "{CB}?code=c0de&state=good{}",
                    iss.map_or(String::new(), |i| format!("&iss={i}"))
                );
                let h = run(&config, &store, &url, &url, NOW);
                apply(&mut store, &h);
                let e = h.outcome.unwrap_err();
                assert_eq!(e.code(), ErrorCode::IssuerMismatch, "{what}");
                assert!(e.message().contains("environment.issuer"), "{what}");
                assert!(
                    !e.message().contains("c0de") && !e.message().contains(&"v".repeat(43)),
                    "{what}"
                );
                let c = e.context().unwrap();
                assert_eq!(c.return_to.as_deref(), Some("/settings"), "{what}");
                assert_eq!(c.app_state.as_deref(), Some("{\"tab\":\"pleo\"}"), "{what}");
                // Consumed (no verifier left), and completed: a second try is already_handled.
                assert!(!store.values().any(|v| v.contains("verifier")), "{what}");
                let again = run(&config, &store, &url, &url, NOW + 1);
                let e = again.outcome.unwrap_err();
                assert_eq!(e.code(), ErrorCode::AlreadyHandled, "{what}");
                assert_eq!(e.context().unwrap().return_to.as_deref(), Some("/settings"));
            }
            // Step 4 comes first; a record that also disagrees in its redirect URI is still
            // unknown_state.
            let url = format!("{CB}?code=c&state=good");
            let store = store_started_with(with_issuer_of(started));
            let h = run(&config, &store, &url, &url, NOW + 600_000);
            assert_eq!(h.outcome.unwrap_err().code(), ErrorCode::Expired);
            let moved: HashMap<String, String> = store
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.replace("%2Fpleo%2Fcallback", "%2Fpleo%2Fother"),
                    )
                })
                .collect();
            assert_ne!(moved, store, "the replacement applied");
            let h = run(&config, &moved, &url, &url, NOW);
            assert_eq!(h.outcome.unwrap_err().code(), ErrorCode::UnknownState);
        }
    }

    #[test]
    fn an_explicit_url_that_is_not_the_page_is_handled_but_its_address_not_remembered() {
        let mut store = store_with_app_state();
        let url = format!("{CB}?code=c&state=good");
        let h = handled_in(&mut store, &url, "https://app.example.com/elsewhere", NOW);
        assert!(h.outcome.is_ok());
        assert_eq!(h.clean, None);
        assert_eq!(
            handle_in(&mut store, CB, CB, NOW).unwrap_err().code(),
            ErrorCode::NotACallback
        );
    }

    #[test]
    fn the_latest_completed_connection_answers_a_reload() {
        let mut store = store_with_app_state();
        let url = format!("{CB}?code=c&state=good");
        handle_in(&mut store, &url, &url, NOW).unwrap();
        let mut second = Store::new(options()).0;
        let (k, v) = second.drain().next().unwrap();
        let k2 = k.replace("good", "good2");
        store.insert(k2, v);
        let url2 = format!("{CB}?code=c&state=good2");
        handle_in(&mut store, &url2, &url2, NOW + 10).unwrap();
        let e = handle_in(&mut store, CB, CB, NOW + 20).unwrap_err();
        assert_eq!(e.code(), ErrorCode::AlreadyHandled);
        assert_eq!(e.context().unwrap().return_to.as_deref(), Some("/back"));
    }

    /// Issue 16.1: a transaction started by one client, handled by another: `unknown_state`,
    /// nothing handed over, and the record left for the client that wrote it.
    fn handled_by_another(started: Options, handling: Options, what: &str) {
        let mut store = store_started_with(started);
        let before = store.clone();
        let other = Config::from_options(handling).unwrap();
        let url = format!("{CB}?code=c0de&state=good");
        let h = run(&other, &store, &url, &url, NOW);
        apply(&mut store, &h);
        let e = h.outcome.unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnknownState, "{what}");
        assert!(e.context().is_none(), "{what}: nothing of the connection");
        assert_eq!(
            store, before,
            "{what}: the record is not the other client's to consume"
        );
    }

    #[test]
    fn rfc9700_s4_4_a_transaction_is_handled_only_by_the_client_that_started_it() {
        use crate::config::test_options::HandoffOptions;
        let handoff = |url: &str| {
            Some(HandoffOptions {
                url: url.into(),
                start_url: None,
                credentials: None,
                headers: None,
                timeout_ms: None,
            })
        };
        let env = |name: &str| Some(EnvironmentOption::Preset(name.into()));
        handled_by_another(
            options(),
            Options {
                client_id: Some("another-client".into()),
                ..options()
            },
            "another client ID, the same redirect URI",
        );
        handled_by_another(
            Options {
                environment: env("staging"),
                handoff: handoff("/api/s"),
                ..options()
            },
            Options {
                environment: env("production"),
                handoff: handoff("/api/p"),
                ..options()
            },
            "staging started, production handles (mix-up)",
        );
        handled_by_another(
            Options {
                environment: env("staging"),
                ..options()
            },
            options(),
            "staging started, production handles, no handoff",
        );
        let custom = |endpoint: &str| {
            Some(EnvironmentOption::Custom(CustomEnvironment {
                authorization_endpoint: endpoint.into(),
                issuer: None,
            }))
        };
        handled_by_another(
            Options {
                environment: custom("https://a.example/authorize"),
                ..options()
            },
            Options {
                environment: custom("https://b.example/authorize"),
                ..options()
            },
            "two custom endpoints",
        );
        handled_by_another(
            Options {
                handoff: handoff("/api/a"),
                ..options()
            },
            Options {
                handoff: handoff("https://b.example/api"),
                ..options()
            },
            "the same server, another backend",
        );
        handled_by_another(
            Options {
                handoff: handoff("/api/a"),
                ..options()
            },
            options(),
            "a client without a handoff would give the verifier to page script",
        );
        // The client that started it still can.
        let mut store = store_started_with(Options {
            handoff: handoff("/api/a"),
            ..options()
        });
        let url = format!("{CB}?code=c0de&state=good");
        let again = Options {
            handoff: handoff("/api/a"),
            ..options()
        };
        assert!(run(
            &Config::from_options(again).unwrap(),
            &store,
            &url,
            &url,
            NOW
        )
        .outcome
        .is_ok());
        // And a completed connection of another client is no already_handled here.
        let h = run(
            &Config::from_options(options()).unwrap(),
            &store,
            &url,
            &url,
            NOW,
        );
        apply(&mut store, &h);
        let other = Config::from_options(Options {
            client_id: Some("another-client".into()),
            ..options()
        })
        .unwrap();
        let e = run(&other, &store, &url, &url, NOW).outcome.unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnknownState);
    }

    #[test]
    fn a_popups_transaction_is_handled_only_by_the_window_waiting_for_it() {
        let config = Config::from_options(options()).unwrap();
        let mut store = HashMap::new();
        let mut r = build_with(
            &config,
            AuthorizationUrlOptions::default(),
            State::from_callback("good".into()),
            PkceCodeVerifier::new("v".repeat(43)).unwrap(),
            PkceCodeVerifier::new("v".repeat(43)).unwrap().challenge(),
            NOW,
        )
        .unwrap();
        r.transaction.popup = true;
        store.insert(r.transaction.storage_key(), r.transaction.encode());
        let before = store.clone();
        // Another tab opened on the callback (storage: "local" is shared): not its to take.
        let url = format!("{CB}?code=ATTACKER&state=good");
        let h = run(&config, &store, &url, &url, NOW);
        apply(&mut store, &h);
        assert_eq!(h.outcome.unwrap_err().code(), ErrorCode::UnknownState);
        assert_eq!(store, before, "left for the popup");
        // The window waiting for the popup takes it.
        let url = format!("{CB}?code=c0de&state=good");
        let stored = store["pleo-oauth:tx:good"].clone();
        let h = handle(
            &config,
            &url,
            "https://app.example.com/settings",
            &stored,
            Via::Popup,
            NOW,
        );
        apply(&mut store, &h);
        let ok = h.outcome.unwrap();
        assert_eq!(ok.verified.code.secret(), "c0de");
        assert!(!store["pleo-oauth:tx:good"].contains("verifier"));
    }

    #[test]
    fn step9_every_completed_callback_leaves_a_clean_address_a_deny_too_a_forged_one_none() {
        let config = Config::from_options(options()).unwrap();
        // Deny in the page's address bar: the OAuth parameters go, the rest stays.
        let store = store_with_app_state();
        let deny = format!("{CB}?tab=x&error=access_denied&state=good&iss=i#h");
        let mut after = store.clone();
        let h = run(&config, &after, &deny, &deny, NOW);
        apply(&mut after, &h);
        assert_eq!(h.outcome.unwrap_err().code(), ErrorCode::AuthorizationError);
        assert_eq!(h.clean.as_deref(), Some("/pleo/callback?tab=x#h"));
        // A reload of the address it left: already_handled with the connection's returnTo.
        let reload = format!("{CB}?tab=x#h");
        let e = run(&config, &after, &reload, &reload, NOW + 1)
            .outcome
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::AlreadyHandled);
        assert_eq!(e.context().unwrap().return_to.as_deref(), Some("/settings"));
        // Expired: completed too.
        let late = format!("{CB}?code=c&state=good");
        let h = run(&config, &store, &late, &late, NOW + 600_000);
        assert_eq!(h.outcome.unwrap_err().code(), ErrorCode::Expired);
        assert_eq!(h.clean.as_deref(), Some("/pleo/callback"));
        // A success, as before.
        let ok = format!("{CB}?code=c&state=good");
        assert_eq!(
            run(&config, &store, &ok, &ok, NOW).clean.as_deref(),
            Some("/pleo/callback")
        );
        // Nothing found (forged): the address is left as it is; an explicit URL that is not the
        // page's leaves the page's address alone.
        let forged = format!("{CB}?error=access_denied&state=forged");
        assert_eq!(run(&config, &store, &forged, &forged, NOW).clean, None);
        assert_eq!(run(&config, &store, &deny, CB, NOW).clean, None);
    }

    #[test]
    fn step7_the_message_quotes_a_bounded_part_of_what_the_server_said() {
        let mut store = store_with_app_state();
        let long = "é".repeat(10_000);
        let url = format!(
            "{CB}?error={}&error_description={long}&state=good",
            "E".repeat(5_000)
        );
        let e = handle_in(&mut store, &url, &url, NOW).unwrap_err();
        assert_eq!(e.code(), ErrorCode::AuthorizationError);
        let m = e.message();
        assert!(m.len() < 600, "{} bytes", m.len());
        assert!(
            m.contains(&"E".repeat(64)) && !m.contains(&"E".repeat(65)),
            "{m}"
        );
        assert!(m.contains(&format!("{}…", "é".repeat(128))), "{m}");
        // The fields keep what was said, whole.
        let d = e.authorization_details().unwrap();
        assert_eq!(d.error.len(), 5_000);
        assert_eq!(d.error_description.as_deref(), Some(long.as_str()));
    }

    #[test]
    fn completed_connections_are_each_remembered_until_they_expire_however_many() {
        // A callback reads its own record only: no bound on how many are remembered, none
        // evicted by the others; each is already_handled until its time to live is over.
        let mut store = HashMap::new();
        let config = Config::from_options(options()).unwrap();
        let n = 40u64;
        for i in 0..n {
            let state = format!("s{i}");
            let r = build_with(
                &config,
                AuthorizationUrlOptions::default(),
                State::from_callback(state.clone()),
                PkceCodeVerifier::new("v".repeat(43)).unwrap(),
                PkceCodeVerifier::new("v".repeat(43)).unwrap().challenge(),
                NOW,
            )
            .unwrap();
            store.insert(r.transaction.storage_key(), r.transaction.encode());
            let url = format!("{CB}?code=c&state={state}");
            handle_in(&mut store, &url, &url, NOW + i).unwrap();
        }
        for i in [0, n / 2, n - 1] {
            let url = format!("{CB}?code=c&state=s{i}");
            let e = handle_in(&mut store, &url, &url, NOW + n).unwrap_err();
            assert_eq!(e.code(), ErrorCode::AlreadyHandled, "s{i}");
        }
        // Past the time to live: unknown_state, and the record is removed.
        let ttl = u64::from(config.transaction_ttl_seconds) * 1000;
        let url = format!("{CB}?code=c&state=s0");
        let e = handle_in(&mut store, &url, &url, NOW + ttl).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnknownState);
        assert!(!store.contains_key("pleo-oauth:tx:s0"));
    }

    #[test]
    fn step4_a_callback_leaves_other_expired_pending_connections_to_their_own_expired() {
        let config = Config::from_options(options()).unwrap();
        let mut store = HashMap::new();
        for state in ["a", "b"] {
            let r = build_with(
                &config,
                AuthorizationUrlOptions {
                    return_to: Some(format!("/{state}")),
                    ..Default::default()
                },
                State::from_callback(state.into()),
                PkceCodeVerifier::new("v".repeat(43)).unwrap(),
                PkceCodeVerifier::new("v".repeat(43)).unwrap().challenge(),
                NOW,
            )
            .unwrap();
            store.insert(r.transaction.storage_key(), r.transaction.encode());
        }
        let late = NOW + 600_000;
        for (state, back) in [("a", "/a"), ("b", "/b")] {
            let url = format!("{CB}?code=c&state={state}");
            let e = handle_in(&mut store, &url, &url, late).unwrap_err();
            assert_eq!(e.code(), ErrorCode::Expired, "{state}");
            assert_eq!(e.context().unwrap().return_to.as_deref(), Some(back));
        }
        // A forged callback leaves a pending one alone, expired or not.
        let mut store = store_with_app_state();
        let forged = format!("{CB}?code=c&state=forged");
        handle_in(&mut store, &forged, &forged, late).unwrap_err();
        assert!(store.contains_key("pleo-oauth:tx:good"));
    }
}
