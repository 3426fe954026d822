//! The authorisation request (RFC 6749 §4.1.1 with PKCE, RFC 7636 §4.3): a fresh state and
//! verifier, the URL to send the browser to, and the transaction to remember until the callback.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use crate::config::Config;
use crate::error::{invalid_config, Context};
use crate::error::{invalid_parameter, Error, ErrorCode, Result};
use crate::form;
use crate::messages::Msg;
use crate::options::Form;
use crate::pkce::{PkceCodeChallenge, PkceCodeVerifier, DIGEST_BYTES, S256};
use crate::state::State;
use crate::transaction::Transaction;
use crate::uri;

pub use crate::protocol::RESERVED_PARAMETERS;

/// How long `popup()` waits by default (docs/API.md 0.2), and at most.
pub const DEFAULT_POPUP_TIMEOUT_MS: u32 = 300_000;
pub const MAX_POPUP_TIMEOUT_MS: u32 = 3_600_000;

/// The most UTF-8 bytes of JSON an `appState` may take (docs/API.md 0.2): it rides in Web Storage
/// with the transaction, which browsers cap at about 5 MB per origin.
pub const MAX_APP_STATE_BYTES: usize = 4096;

/// The options of `authorizationUrl()` / `redirect()`.
#[derive(Default, Debug)]
pub struct AuthorizationUrlOptions {
    /// A same-origin path to come back to after the callback.
    pub return_to: Option<String>,
    /// Additional authorisation request parameters (e.g. `prompt`), in the given order (none:
    /// empty; a plain Vec, not an Option, measured 14 B gzip less).
    pub extra_params: Vec<(String, String)>,
    /// The app's state across the redirect: the JSON text `JSON.stringify(appState)` wrote,
    /// or `!` and the kind of value it could not write without dropping something (the
    /// wrapper serialises it; JSON text never starts with `!`).
    pub app_state: Option<String>,
}

impl AuthorizationUrlOptions {
    /// Reads the options of `authorizationUrl()` / `redirect()` as the wrapper wrote them
    /// ([`crate::boundary::START`]), and for `popup()` (`popup` true, [`crate::boundary::POPUP`])
    /// its `timeoutMs` (whole milliseconds, 1 to [`MAX_POPUP_TIMEOUT_MS`]; default
    /// [`DEFAULT_POPUP_TIMEOUT_MS`]). `appState` is not read from it: the wrapper serialises
    /// that one apart, with `JSON.stringify`'s own rules.
    #[inline(always)] // 28 B gzip less in the shipped wasm, measured
    pub fn from_form(o: &Form, popup: bool) -> Result<(Self, u32)> {
        let timeout_ms = if popup {
            let Some(ms) = o.whole(
                "timeoutMs",
                (1, MAX_POPUP_TIMEOUT_MS, DEFAULT_POPUP_TIMEOUT_MS),
            ) else {
                return Err(invalid_parameter(Msg::PopupTimeout));
            };
            ms
        } else {
            DEFAULT_POPUP_TIMEOUT_MS
        };
        let options = AuthorizationUrlOptions {
            return_to: o.get("returnTo").map(String::from),
            extra_params: o.map("extraParams"),
            app_state: None,
        };
        Ok((options, timeout_ms))
    }
}

/// A built request: the URL to navigate to and the transaction to store under its state.
#[derive(Debug)]
pub struct AuthorizationRequest {
    /// The authorisation URL.
    pub url: String,
    /// The S256 challenge sent in it (public; the bound handoff registers it).
    pub challenge: PkceCodeChallenge,
    /// What the callback will need.
    pub transaction: Transaction,
}

/// Bytes of CSPRNG output one request needs: 32 for the state, 32 for the verifier.
pub const ENTROPY_BYTES: usize = 64;

/// Builds a request with a fresh state and verifier from `input`: [`ENTROPY_BYTES`] bytes the
/// caller drew from the platform CSPRNG (`crypto.getRandomValues` in the browser), then the
/// platform's SHA-256 digest of the verifier they make ([`verifier`]; `crypto.subtle.digest`
/// in the browser), both I/O ([`split`]).
pub fn build(
    config: &Config,
    options: AuthorizationUrlOptions,
    input: &[u8],
    now_ms: u64,
) -> Result<AuthorizationRequest> {
    let (state, verifier, challenge) = split(input)?;
    build_with(
        config,
        options,
        State::from_entropy(state),
        verifier,
        challenge,
        now_ms,
    )
}

/// Two 32-byte halves of the request's entropy; anything but [`ENTROPY_BYTES`] is refused
/// rather than stretched (RFC 7636 §7.1: the verifier's entropy is the whole defence).
#[inline(always)] // 13 B gzip less in the shipped wasm, measured
pub fn split_entropy(entropy: &[u8]) -> Result<(&[u8; 32], &[u8; 32])> {
    match (
        entropy.get(..32).and_then(|a| a.try_into().ok()),
        entropy.get(32..).and_then(|b| b.try_into().ok()),
    ) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(invalid_config(Msg::NoRandomness)),
    }
}

/// The verifier [`ENTROPY_BYTES`] CSPRNG bytes make: from their second half (the first is the
/// state's), for the caller to digest before [`build`] (`createPkce()`'s too).
pub fn verifier(entropy: &[u8]) -> Result<PkceCodeVerifier> {
    split_entropy(entropy).map(|(_, v)| PkceCodeVerifier::from_entropy(v))
}

/// A start's input: the state's 32 CSPRNG bytes, the verifier of the next 32 ([`verifier`]),
/// and its challenge from the digest after them ([`PkceCodeChallenge::from_digest`]). The
/// [`ENTROPY_BYTES`] alone are a missing digest (Web Crypto's SHA-256 missing or failing);
/// any length but those and [`ENTROPY_BYTES`] + [`DIGEST_BYTES`] is missing randomness; both
/// `invalid_config`.
pub fn split(input: &[u8]) -> Result<(&[u8; 32], PkceCodeVerifier, PkceCodeChallenge)> {
    // Where the CSPRNG's bytes end is known only when they come alone or with a whole digest:
    // any other length is missing randomness (RFC 7636 §7.1, refused rather than stretched).
    let (entropy, digest) = match input.split_at_checked(ENTROPY_BYTES) {
        Some((e, d)) if d.len() == DIGEST_BYTES => (e, d),
        _ => (input, &[][..]),
    };
    let (state, verifier) = split_entropy(entropy)?;
    Ok((
        state,
        PkceCodeVerifier::from_entropy(verifier),
        PkceCodeChallenge::from_digest(digest)?,
    ))
}

/// Builds a request with the given state, verifier and its challenge (deterministic; used by
/// tests).
pub fn build_with(
    config: &Config,
    options: AuthorizationUrlOptions,
    state: State,
    verifier: PkceCodeVerifier,
    challenge: PkceCodeChallenge,
    now_ms: u64,
) -> Result<AuthorizationRequest> {
    let endpoint = &config.authorization_endpoint;
    let endpoint_query = endpoint.query();
    check(&options, endpoint_query.unwrap_or_default())?;
    let AuthorizationUrlOptions {
        return_to,
        extra_params: extra,
        app_state,
    } = options;

    let mut url = endpoint.as_str().to_owned();
    // RFC 6749 §3.1: the endpoint's own query MUST be retained when adding parameters. A `?`
    // when it has none; `append_pair` puts `&` after it unless it is empty or ends in `&` (the
    // endpoint has no fragment: `uri::WebUrl`).
    if endpoint_query.is_none() {
        crate::text::push_ascii(&mut url, b'?');
    }
    // RFC 6749 §4.1.1 + RFC 7636 §4.3, encoded as application/x-www-form-urlencoded (RFC 6749 Appendix B).
    // One call each, not a loop over a table of pairs (the table cost more bytes to build).
    form::append_pair(&mut url, "response_type", "code");
    form::append_pair(&mut url, "client_id", &config.client_id);
    form::append_pair(&mut url, "redirect_uri", config.redirect_uri.as_str());
    form::append_pair(&mut url, "scope", &config.scope);
    form::append_pair(&mut url, "state", state.as_str());
    form::append_pair(&mut url, "code_challenge", challenge.as_str());
    form::append_pair(&mut url, "code_challenge_method", S256);
    for (name, value) in &extra {
        form::append_pair(&mut url, name, value);
    }

    let expires_at_ms = now_ms.saturating_add(u64::from(config.transaction_ttl_seconds) * 1000);
    let transaction = Transaction {
        state,
        client: config.binding.clone(),
        verifier,
        redirect_uri: config.redirect_uri.as_str().to_owned(),
        issuer: config.issuer.clone(),
        context: Context {
            return_to,
            app_state,
        },
        expires_at_ms,
        popup: false,
    };
    Ok(AuthorizationRequest {
        url,
        challenge,
        transaction,
    })
}

/// The options' rules: `returnTo`, `appState`, and the extra parameters' names (not empty, not
/// one the request sets, not one the endpoint's own `query` has). Read by reference, in one
/// function, so that its refusals leave `build_with` by one `?` (33 B gzip less than a `?` each).
fn check(options: &AuthorizationUrlOptions, query: &str) -> Result<()> {
    if let Some(path) = &options.return_to {
        check_return_to(path)?;
    }
    if let Some(json) = &options.app_state {
        check_app_state(json)?;
    }
    for (name, _) in &options.extra_params {
        if name.is_empty() {
            return Err(invalid_parameter(Msg::ExtraParamEmpty));
        }
        if RESERVED_PARAMETERS.contains(&name.as_str()) {
            return Err(refuse(Msg::ExtraParamReserved, name));
        }
        // RFC 6749 §3.1: each parameter once; the endpoint's own query is kept as it is.
        if form::first_of(query, &[name]).is_some() {
            return Err(refuse(Msg::ExtraParamInEndpoint, name));
        }
    }
    Ok(())
}

/// `invalid_parameter` with `msg` quoting `arg`, built out of line
/// ([`crate::error::quoting`]).
fn refuse(msg: Msg, arg: &str) -> Error {
    crate::error::quoting(ErrorCode::InvalidParameter, msg, arg)
}

/// `returnTo` must be a path on this origin ([`uri::is_same_origin_path`]).
fn check_return_to(path: &str) -> Result<()> {
    if uri::is_same_origin_path(path) {
        Ok(())
    } else {
        Err(invalid_parameter(Msg::ReturnTo))
    }
}

/// `appState` must be a JSON value `JSON.stringify` writes without dropping anything (the
/// wrapper marks what it could not write with `!` and its kind), of at most
/// [`MAX_APP_STATE_BYTES`]. Its text is `JSON.stringify`'s, so it is JSON by construction; the
/// core keeps it as opaque text and replies with it as it is (a member of the reply's form),
/// and the one JSON grammar that reads it is the wrapper's `JSON.parse`.
fn check_app_state(json: &str) -> Result<()> {
    // (A `!` with nothing before it: the first byte.)
    if let Some(("", kind)) = crate::text::cut(json, b'!') {
        return Err(refuse(Msg::AppStateKind, kind));
    }
    if json.len() > MAX_APP_STATE_BYTES {
        return Err(refuse(
            Msg::AppStateSize,
            &crate::text::decimal(json.len() as u64),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_options::{CustomEnvironment, EnvironmentOption, Options};
    use crate::config::tests::options;
    use crate::error::ErrorCode;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn request(
        config_options: Options,
        url_options: AuthorizationUrlOptions,
    ) -> Result<AuthorizationRequest> {
        let config = Config::from_options(config_options).unwrap();
        build_with(
            &config,
            url_options,
            State::from_callback("st4te".into()),
            PkceCodeVerifier::new(VERIFIER.into()).unwrap(),
            PkceCodeVerifier::new(VERIFIER.into()).unwrap().challenge(),
            1_000_000,
        )
    }

    fn pairs(url: &str) -> Vec<(String, String)> {
        let query = crate::uri::split(url).query.unwrap();
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn rfc6749_s4_1_1_rfc7636_s4_3_rfc9700_s2_1_url_has_exactly_the_request_parameters_with_s256() {
        let r = request(options(), AuthorizationUrlOptions::default()).unwrap();
        assert_eq!(
            r.url,
            "https://auth.pleo.io/oauth/authorize?response_type=code\
             &client_id=9b2c3d4e-0000-4000-8000-000000000001\
             &redirect_uri=https%3A%2F%2Fapp.example.com%2Fpleo%2Fcallback\
             &scope=users%3Aread+export-jobs%3Aread\
             &state=st4te\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256"
        );
        let names: Vec<String> = pairs(&r.url).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, RESERVED_PARAMETERS[..7]);
    }

    #[test]
    fn spaces_and_reserved_characters_are_form_encoded() {
        let r = request(
            options(),
            AuthorizationUrlOptions {
                extra_params: vec![
                    ("login_hint".to_string(), "a+b&c=d/é#?".to_string()),
                    ("prompt".to_string(), "login consent".to_string()),
                ],
                ..Default::default()
            },
        )
        .unwrap();
        assert!(
            r.url
                .ends_with("&login_hint=a%2Bb%26c%3Dd%2F%C3%A9%23%3F&prompt=login+consent"),
            "{}",
            r.url
        );
        let decoded = pairs(&r.url);
        assert!(decoded.contains(&("login_hint".into(), "a+b&c=d/é#?".into())));
        assert!(decoded.contains(&("scope".into(), "users:read export-jobs:read".into())));
    }

    #[test]
    fn rfc6749_s3_1_endpoint_query_is_kept() {
        let with_endpoint = |endpoint: &str| Options {
            environment: Some(EnvironmentOption::Custom(CustomEnvironment {
                authorization_endpoint: endpoint.into(),
                issuer: None,
            })),
            ..options()
        };
        let r = request(
            with_endpoint("https://auth.example.com/authorize?tenant=a%20b&x"),
            Default::default(),
        )
        .unwrap();
        assert!(
            r.url.starts_with(
                "https://auth.example.com/authorize?tenant=a%20b&x&response_type=code&"
            ),
            "{}",
            r.url
        );
        let r = request(
            with_endpoint("https://auth.example.com/authorize?"),
            Default::default(),
        )
        .unwrap();
        assert!(
            r.url
                .starts_with("https://auth.example.com/authorize?response_type=code&"),
            "{}",
            r.url
        );
    }

    #[test]
    fn extra_params_may_not_override_reserved_names() {
        for name in RESERVED_PARAMETERS {
            let e = request(
                options(),
                AuthorizationUrlOptions {
                    extra_params: vec![(name.to_string(), "x".to_string())],
                    ..Default::default()
                },
            )
            .unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidParameter);
            assert!(e.message().contains(name));
        }
    }

    #[test]
    fn rfc6749_s3_1_extra_params_may_not_repeat_the_endpoints_own_query() {
        let with_prompt = Options {
            environment: Some(EnvironmentOption::Custom(CustomEnvironment {
                authorization_endpoint: "https://auth.example.com/authorize?prompt=login".into(),
                issuer: None,
            })),
            ..options()
        };
        let e = request(
            with_prompt,
            AuthorizationUrlOptions {
                extra_params: vec![("prompt".to_string(), "consent".to_string())],
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidParameter);
        assert!(e.message().contains("\"prompt\""), "{}", e.message());
        assert!(e.message().contains("query already has it"));
    }

    #[test]
    fn rfc9700_s4_11_return_to_must_be_a_same_origin_path() {
        for ok in ["/", "/settings/integrations", "/a?b=c#d"] {
            let r = request(
                options(),
                AuthorizationUrlOptions {
                    return_to: Some(ok.into()),
                    ..Default::default()
                },
            )
            .unwrap();
            assert_eq!(r.transaction.context.return_to.as_deref(), Some(ok));
        }
        for bad in [
            "",
            "settings",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/",
            "/a b",
            "/a\n",
        ] {
            let e = request(
                options(),
                AuthorizationUrlOptions {
                    return_to: Some(bad.into()),
                    ..Default::default()
                },
            )
            .unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidParameter, "{bad:?}");
        }
    }

    #[test]
    fn app_state_is_kept_as_json_of_at_most_4096_bytes() {
        let with = |app: &str| {
            request(
                options(),
                AuthorizationUrlOptions {
                    app_state: Some(app.into()),
                    ..Default::default()
                },
            )
        };
        // (A `!` only marks a kind as the first byte.)
        for ok in [
            "null",
            "{\"tab\":\"pleo\"}",
            "[1,\"x\"]",
            "\"s\"",
            "0",
            "\"a!\"",
            "[\"!x\"]",
        ] {
            assert_eq!(
                with(ok).unwrap().transaction.context.app_state.as_deref(),
                Some(ok)
            );
        }
        let largest = format!("\"{}\"", "é".repeat((MAX_APP_STATE_BYTES - 2) / 2));
        assert_eq!(largest.len(), MAX_APP_STATE_BYTES);
        assert!(with(&largest).is_ok());
        let e = with(&format!("\"{}\"", "x".repeat(MAX_APP_STATE_BYTES - 1))).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidParameter);
        assert!(e.message().contains("4097 bytes"), "{}", e.message());
        let e = with("!function").unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidParameter);
        assert!(e.message().contains("holds function"), "{}", e.message());
        // The form's appState is never read: the wrapper sends it apart.
        let (o, _) =
            AuthorizationUrlOptions::from_form(&Form::parse("appState=%7B%7D"), false).unwrap();
        assert_eq!(o.app_state, None);
    }

    #[test]
    fn popup_options_add_timeout_ms_of_at_most_an_hour() {
        let (o, t) = AuthorizationUrlOptions::from_form(&Form::parse(""), true).unwrap();
        assert_eq!((o.return_to, t), (None, DEFAULT_POPUP_TIMEOUT_MS));
        let (o, t) =
            AuthorizationUrlOptions::from_form(&Form::parse("returnTo=%2Fx&timeoutMs=1500"), true)
                .unwrap();
        assert_eq!((o.return_to.as_deref(), t), (Some("/x"), 1500));
        for bad in ["0", "-1", "1.5", "NaN", "Infinity", "3600001"] {
            let e =
                AuthorizationUrlOptions::from_form(&Form::parse(&format!("timeoutMs={bad}")), true)
                    .unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidParameter, "{bad}");
            assert!(e.message().contains("3600000 (one hour)"), "{bad}");
        }
        // authorizationUrl() reads no timeoutMs (the wrapper refuses the name, its table has
        // none: tests/package/options.test.mjs).
        let (_, t) =
            AuthorizationUrlOptions::from_form(&Form::parse("timeoutMs=1"), false).unwrap();
        assert_eq!(t, DEFAULT_POPUP_TIMEOUT_MS);
    }

    #[test]
    fn transaction_remembers_what_the_callback_needs() {
        let r = request(
            Options {
                transaction_ttl_seconds: Some(60.0),
                environment: Some(EnvironmentOption::Custom(CustomEnvironment {
                    authorization_endpoint: "https://auth.example.com/a".into(),
                    issuer: Some("https://auth.example.com".into()),
                })),
                ..options()
            },
            AuthorizationUrlOptions {
                return_to: Some("/back".into()),
                ..Default::default()
            },
        )
        .unwrap();
        let t = &r.transaction;
        assert_eq!(t.state.as_str(), "st4te");
        assert_eq!(t.verifier.secret(), VERIFIER);
        assert_eq!(t.redirect_uri, "https://app.example.com/pleo/callback");
        assert_eq!(t.issuer.as_deref(), Some("https://auth.example.com"));
        assert_eq!(t.context.return_to.as_deref(), Some("/back"));
        assert_eq!(t.expires_at_ms, 1_000_000 + 60_000);
    }

    #[test]
    fn url_options_are_read_from_the_wrappers_form() {
        let (o, _) = AuthorizationUrlOptions::from_form(
            &Form::parse("returnTo=%2Fx&extraParams=prompt&extraParams=consent&extraParams=a%26b&extraParams=%3D"),
            false,
        )
        .unwrap();
        assert_eq!(o.return_to.as_deref(), Some("/x"));
        assert_eq!(
            o.extra_params,
            vec![
                ("prompt".to_string(), "consent".to_string()),
                ("a&b".to_string(), "=".to_string())
            ]
        );
        let (o, _) = AuthorizationUrlOptions::from_form(&Form::parse(""), false).unwrap();
        assert_eq!((o.return_to, o.extra_params), (None, vec![]));
    }

    /// The entropy and, after it, the SHA-256 digest of the verifier it makes, as the wrapper
    /// hands them over (the digest from the `sha2` crate, as Web Crypto computes it).
    fn digested(entropy: &[u8]) -> Vec<u8> {
        use sha2::Digest;
        let verifier = verifier(entropy).unwrap();
        let mut input = entropy.to_vec();
        input.extend_from_slice(&sha2::Sha256::digest(verifier.secret().as_bytes()));
        input
    }

    #[test]
    fn state_and_verifier_come_from_separate_halves_of_the_entropy() {
        let config = Config::from_options(options()).unwrap();
        let mut entropy = [7u8; ENTROPY_BYTES];
        let a = build(&config, Default::default(), &digested(&entropy), 0).unwrap();
        entropy[40] = 8;
        let b = build(&config, Default::default(), &digested(&entropy), 0).unwrap();
        assert_eq!(a.transaction.state, b.transaction.state);
        entropy[0] = 8;
        let b = build(&config, Default::default(), &digested(&entropy), 0).unwrap();
        assert_ne!(a.transaction.state, b.transaction.state);
        assert_ne!(
            a.transaction.verifier.secret(),
            b.transaction.verifier.secret()
        );
        assert_ne!(a.url, b.url);
        // The verifier the wrapper digests is the request's.
        assert_eq!(
            verifier(&entropy).unwrap().secret(),
            b.transaction.verifier.secret()
        );
    }

    #[test]
    fn anything_but_64_bytes_of_entropy_is_refused() {
        let config = Config::from_options(options()).unwrap();
        for len in [0, 32, 63, 65] {
            let e = build(&config, Default::default(), &vec![1; len], 0).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig);
            assert!(e.message().contains("crypto.getRandomValues"));
            // Also when it threw (the wrapper passes no bytes then): what happened, what to do.
            assert!(e.message().contains("missing or failed"), "{}", e.message());
            assert!(
                e.message().contains("nothing was stored"),
                "{}",
                e.message()
            );
            // Also with a digest after them.
            let mut input = vec![1; len];
            input.extend_from_slice(&[2; DIGEST_BYTES]);
            let e = build(&config, Default::default(), &input, 0).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig);
            assert!(verifier(&vec![1; len]).is_err());
        }
    }

    /// The CSPRNG's bytes without the digest (Web Crypto's SHA-256 missing or failing), or with
    /// a short or long one: `invalid_config`, the secure-context message for a missing one.
    #[test]
    fn a_missing_or_short_digest_is_refused() {
        let config = Config::from_options(options()).unwrap();
        let e = build(&config, Default::default(), &[1; ENTROPY_BYTES], 0).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
        assert!(
            e.message().contains("crypto.subtle.digest"),
            "{}",
            e.message()
        );
        assert!(e.message().contains("secure context"), "{}", e.message());
        assert!(
            e.message().contains("nothing was stored"),
            "{}",
            e.message()
        );
        for len in [1, 16, 31, 33] {
            let mut input = vec![1; ENTROPY_BYTES];
            input.extend(vec![2; len]);
            let e = build(&config, Default::default(), &input, 0).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig, "digest of {len}");
        }
    }

    /// The challenge sent is the digest given, base64url (RFC 7636 §4.2; the Appendix B
    /// vector's verifier and digest).
    #[test]
    fn rfc7636_s4_2_the_request_sends_the_digest_given_as_its_challenge() {
        let config = Config::from_options(options()).unwrap();
        let mut input = [7u8; ENTROPY_BYTES].to_vec();
        input.extend_from_slice(&{
            use sha2::Digest;
            sha2::Sha256::digest(VERIFIER.as_bytes())
        });
        let r = build(&config, Default::default(), &input, 0).unwrap();
        assert_eq!(
            r.challenge.as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(r
            .url
            .contains("&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&"));
    }
}
