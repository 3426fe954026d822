//! Configuration: the options of `PleoOAuth.create`, and the rules they must meet
//! (`docs/API.md` § Configuration rules). Everything is checked once, here; the rest of the crate
//! works with a [`Config`] that is known to be valid.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{invalid_config, Error, ErrorCode, Result};
use crate::form;
use crate::messages::Msg;
use crate::options::Form;
use crate::protocol::{CALLBACK_PARAMETERS, RESERVED_PARAMETERS};
use crate::text::decimal;
use crate::uri::{self, WebUrl};

/// Pleo's production authorisation endpoint.
pub const PRODUCTION_AUTHORIZATION_ENDPOINT: &str = "https://auth.pleo.io/oauth/authorize";
/// Pleo's staging authorisation endpoint.
pub const STAGING_AUTHORIZATION_ENDPOINT: &str = "https://auth.staging.pleo.io/oauth/authorize";

/// Default time a started flow stays valid.
pub const DEFAULT_TRANSACTION_TTL_SECONDS: u32 = 600;
/// Longest accepted `transactionTtlSeconds` (one day).
pub const MAX_TRANSACTION_TTL_SECONDS: u32 = 86_400;
/// [`MAX_TRANSACTION_TTL_SECONDS`] in decimal, as its refusal quotes it (a literal, not
/// [`decimal`] at run time; a test holds them equal).
const MAX_TRANSACTION_TTL_TEXT: &str = "86400";
/// Default handoff timeout.
pub const DEFAULT_HANDOFF_TIMEOUT_MS: u32 = 15_000;
/// Longest accepted `handoff.timeoutMs` (ten minutes).
pub const MAX_HANDOFF_TIMEOUT_MS: u32 = 600_000;
/// [`MAX_HANDOFF_TIMEOUT_MS`] in decimal, as its refusal quotes it (a test holds them equal).
const MAX_HANDOFF_TIMEOUT_TEXT: &str = "600000";

/// Where pending transactions are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageKind {
    /// `sessionStorage`: per tab, gone when the tab closes (default).
    Session,
    /// `localStorage`: shared by the origin's tabs, survives restarts.
    Local,
}

impl StorageKind {
    /// The `window` property of this storage.
    pub fn name(self) -> &'static str {
        match self {
            StorageKind::Session => "sessionStorage",
            StorageKind::Local => "localStorage",
        }
    }
}

/// The `fetch` credentials modes as `handoff.credentials` names them, in the order of
/// [`Credentials`] (read by [`one_of`], written back by the reply with `text::nth_word`).
pub const CREDENTIALS_MODES: &str = "same-origin include omit";

/// `fetch` credentials mode for the handoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// Cookies only to the same origin (default).
    SameOrigin,
    /// Cookies also cross-origin (the backend must answer CORS with credentials).
    Include,
    /// No cookies.
    Omit,
}

/// A validated handoff configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handoff {
    /// Relative path or absolute URL, as given.
    pub url: String,
    /// Bound handoff: where `{ state, code_challenge }` is registered before the redirect
    /// (RFC 9700 §4.5 code injection), when configured. Same rules as `url`.
    pub start_url: Option<String>,
    /// Credentials mode.
    pub credentials: Credentials,
    /// Extra headers, in the given order.
    pub headers: Vec<(String, String)>,
    /// Timeout in milliseconds.
    pub timeout_ms: u32,
}

/// A configuration that meets every rule.
#[derive(Clone, Debug)]
pub struct Config {
    /// Client ID (RFC 6749 §2.2).
    pub client_id: String,
    /// Redirect URI, kept verbatim for the exact match at the token endpoint.
    pub redirect_uri: WebUrl,
    /// The scopes in the given order, joined with spaces as the request sends them (RFC 6749
    /// §3.3); [`Config::scopes`] lists them.
    pub scope: String,
    /// Authorisation endpoint.
    pub authorization_endpoint: WebUrl,
    /// Expected `iss` of callbacks, when configured.
    pub issuer: Option<String>,
    /// Handoff, when configured (only `create()` reads it: the client record does not keep it).
    pub handoff: Option<Handoff>,
    /// Whether `handoff.startUrl` is configured (the bound handoff registers every start).
    pub bound: bool,
    /// Transaction storage.
    pub storage: StorageKind,
    /// Transaction time to live.
    pub transaction_ttl_seconds: u32,
    /// Who this client is to its records ([`Config::binding`]).
    pub binding: String,
}

impl Config {
    /// Reads `PleoOAuth.create`'s options as the wrapper wrote them ([`crate::options`]: names
    /// and types were checked against [`crate::boundary::CREATE`] there) and checks every rule;
    /// the first broken one is reported as `invalid_config`. The input is only borrowed until
    /// the checks pass (nothing is built and then copied).
    pub fn from_form(o: &Form) -> Result<Config> {
        let code = ErrorCode::InvalidConfig;
        let client_id = check_client_id(o.get("clientId"))?;
        let Some(redirect_uri) = o.get("redirectUri") else {
            return Err(invalid_config(Msg::RedirectUriRequired));
        };
        let redirect_uri = WebUrl::parse(redirect_uri, "redirectUri", code)?;
        // RFC 6749 §3.1.2 + §4.1.2: the callback must arrive at exactly this URI, so it must be
        // one the browser keeps as it is (docs/API.md step 6 compares it with the address bar).
        if let Some(piece) = uri::rewritten_by_browsers(redirect_uri.as_str()) {
            return Err(refuse(Msg::RedirectUriRewritten, piece));
        }
        // RFC 6749 §3.1 / §4.1.2: the server keeps the redirect URI's query in the callback,
        // so a callback parameter there would come back twice (or be read as the server's).
        if let Some(name) = redirect_uri
            .query()
            .and_then(|q| form::first_of(q, &CALLBACK_PARAMETERS))
        {
            return Err(refuse(Msg::RedirectUriCallbackParameter, &name));
        }
        let scopes = check_scopes(o)?;
        let (authorization_endpoint, issuer) = check_environment(o)?;
        let handoff = if o.has_object("handoff.") {
            Some(check_handoff(o)?)
        } else {
            None
        };
        let storage = if one_of(o.get("storage"), "session local", Msg::StorageName)? == 0 {
            StorageKind::Session
        } else {
            StorageKind::Local
        };
        let Some(transaction_ttl_seconds) = o.whole(
            "transactionTtlSeconds",
            (
                1,
                MAX_TRANSACTION_TTL_SECONDS,
                DEFAULT_TRANSACTION_TTL_SECONDS,
            ),
        ) else {
            return Err(refuse(Msg::TransactionTtl, MAX_TRANSACTION_TTL_TEXT));
        };
        Ok(Config {
            binding: binding(
                client_id,
                authorization_endpoint.as_str(),
                handoff.as_ref().map(|h| h.url.as_str()),
            ),
            client_id: client_id.to_owned(),
            redirect_uri,
            scope: scopes,
            authorization_endpoint,
            issuer,
            bound: handoff.as_ref().is_some_and(|h| h.start_url.is_some()),
            handoff,
            storage,
            transaction_ttl_seconds,
        })
    }
}

/// Who a client is to the records it writes: its client ID, its authorisation endpoint and
/// its handoff URL (or [`ABSENT`]), each after the one before and a U+007F (a control character
/// none of them holds: client IDs are `%x20-7E`, checked URLs and paths have no control
/// characters; not [`SEPARATOR`], which separates the client record's fields), compared for
/// equality — the whole text, not a digest of it (no hash at configure time). A callback is
/// processed only by the client that started it, so only with the server its request went to
/// and only for the backend it named (RFC 9700 §4.4, mix-up); a record with another binding
/// counts as none. (The issuer is not in it: a client whose issuer configuration changed finds
/// its record and fails step 5, `issuer_mismatch`.)
fn binding(client_id: &str, endpoint: &str, handoff_url: Option<&str>) -> String {
    cat!(
        client_id,
        ABSENT,
        endpoint,
        ABSENT,
        handoff_url.unwrap_or(ABSENT)
    )
}

/// Separates the fields of an encoded [`Config`]: no checked value can hold it (client IDs are
/// `%x20-7E`, URLs and issuers have no control characters, scopes none either).
const SEPARATOR: u8 = b'\n';
/// The absent handoff URL in a [`binding`], and the separator of its parts (U+007F: a control
/// character no checked value holds).
const ABSENT: &str = "\u{7f}";

impl Config {
    /// The compact record `create()` keeps and every later operation passes back instead of
    /// the options (configure once): what the core's operations read, already checked. The
    /// handoff's URLs, headers, credentials and timeout are the wrapper's alone (it holds them
    /// from `configure`) and are not kept. An absent issuer, session storage and an unbound
    /// handoff are empty fields (no issuer is empty: it is a checked URL).
    #[inline(always)] // 30 B gzip less in the shipped wasm, measured
    pub fn encode(&self) -> String {
        let ttl = decimal(self.transaction_ttl_seconds.into());
        let fields = [
            self.client_id.as_str(),
            self.redirect_uri.as_str(),
            self.redirect_uri.origin(),
            &self.scope,
            self.authorization_endpoint.as_str(),
            self.authorization_endpoint.origin(),
            self.issuer.as_deref().unwrap_or_default(),
            &ttl,
            if self.storage == StorageKind::Local {
                "local"
            } else {
                ""
            },
            if self.bound { "bound" } else { "" },
            &self.binding,
        ];
        crate::text::join(&fields, "\n")
    }

    /// Reads what [`Config::encode`] wrote, without checking it again; for anything else,
    /// `invalid_config` (a broken client record). Answers the `Result` the operations use
    /// (not an `Option` they convert: a move of the whole `Config`).
    pub fn decode(record: &str) -> Result<Config> {
        // The eleven fields in one pass (no more, no fewer: a twelfth is counted, not kept).
        let mut f: [&str; 11] = [""; 11];
        let mut n = 0;
        for piece in crate::text::pieces(record, SEPARATOR) {
            if let Some(field) = f.get_mut(n) {
                *field = piece;
            }
            n += 1;
        }
        let [client_id, redirect, redirect_origin, scope, endpoint, endpoint_origin, issuer, ttl, storage, bound, binding] =
            f;
        let ttl = crate::text::parse_decimal(ttl).and_then(|t| u32::try_from(t).ok());
        let (11, Some(transaction_ttl_seconds)) = (n, ttl) else {
            return Err(invalid_config(Msg::ClientRecord));
        };
        Ok(Config {
            client_id: client_id.into(),
            redirect_uri: WebUrl::checked(redirect, redirect_origin),
            scope: scope.into(),
            authorization_endpoint: WebUrl::checked(endpoint, endpoint_origin),
            issuer: (!issuer.is_empty()).then_some(issuer).map(String::from),
            handoff: None,
            bound: !bound.is_empty(),
            storage: if !storage.is_empty() {
                StorageKind::Local
            } else {
                StorageKind::Session
            },
            transaction_ttl_seconds,
            binding: binding.into(),
        })
    }

    /// The scopes, in the given order.
    pub fn scopes(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for scope in crate::text::pieces(&self.scope, b' ') {
            out.push(scope);
        }
        out
    }
}

impl Config {
    /// docs/API.md 0.2, `create()`: the redirect URI must be on the origin of the page that starts
    /// the connection (`location.origin`), because the transaction is kept in that origin's
    /// Web Storage: a callback on another origin could never find it.
    #[inline(always)] // 18 B gzip less in the shipped wasm, measured
    pub fn check_page_origin(&self, page_origin: &str) -> Result<()> {
        let redirect = self.redirect_uri.origin();
        if *redirect == *page_origin {
            return Ok(());
        }
        Err(invalid_config(msg!(
            if *page_origin == *"null" {
                Msg::PageOriginNull
            } else {
                Msg::PageOrigin
            },
            redirect,
            page_origin,
            redirect,
            redirect,
            page_origin
        )))
    }
}

/// `invalid_config` with `msg` quoting `arg`, built out of line
/// ([`crate::error::quoting`]).
fn refuse(msg: Msg, arg: &str) -> Error {
    crate::error::quoting(ErrorCode::InvalidConfig, msg, arg)
}

fn check_client_id(client_id: Option<&str>) -> Result<&str> {
    let Some(id) = client_id else {
        return Err(invalid_config(Msg::ClientIdRequired));
    };
    if id.is_empty() {
        return Err(invalid_config(Msg::ClientIdEmpty));
    }
    // RFC 6749 §A.1: client-id = *VSCHAR (%x20-7E).
    let mut bad =
        matches!(id.as_bytes().first(), Some(b' ')) || matches!(id.as_bytes().last(), Some(b' '));
    for b in id.bytes() {
        bad |= !(0x20..=0x7e).contains(&b);
    }
    if bad {
        return Err(invalid_config(Msg::ClientIdCharacters));
    }
    Ok(id)
}

/// Pleo's scope format: `resource:permission`, each side of `[A-Za-z0-9._-]+`.
#[inline(always)] // 20 B gzip less in the shipped wasm, measured
pub fn is_valid_scope(scope: &str) -> bool {
    matches!(crate::text::cut(scope, b':'), Some((resource, permission)) if word(resource, "-_.") && word(permission, "-_."))
}

/// Whether `s` is one or more ASCII letters, digits and bytes of `punctuation` (the shape of a
/// scope's sides, of a header name and of a callback's state, one helper for all).
#[inline(never)]
pub(crate) fn word(s: &str, punctuation: &str) -> bool {
    let mut ok = !s.is_empty();
    for b in s.bytes() {
        ok &= b.is_ascii_alphanumeric() | crate::text::has(punctuation, b);
    }
    ok
}

/// The `scopes` list, checked and joined with spaces as it is read (no list in between).
#[allow(clippy::explicit_counter_loop)] // counts only the pairs named `scopes`
fn check_scopes(o: &Form) -> Result<String> {
    let mut joined = String::new();
    let mut i = 0;
    for (name, scope) in o.pairs() {
        if name != "scopes" {
            continue;
        }
        if !is_valid_scope(scope) {
            return Err(invalid_config(msg!(Msg::ScopeForm, decimal(i), scope)));
        }
        // The scopes so far, from the joined text (a valid scope holds no space).
        for earlier in crate::text::pieces(&joined, b' ') {
            if earlier == scope {
                return Err(refuse(Msg::ScopeTwice, scope));
            }
        }
        if i > 0 {
            crate::text::push_ascii(&mut joined, b' ');
        }
        joined.push_str(scope);
        i += 1;
    }
    if i == 0 {
        return Err(invalid_config(Msg::ScopesEmpty));
    }
    Ok(joined)
}

fn check_environment(o: &Form) -> Result<(WebUrl, Option<String>)> {
    let code = ErrorCode::InvalidConfig;
    match o.get("environment") {
        None if o.has_object("environment.") => {
            let Some(endpoint) = o.get("environment.authorizationEndpoint") else {
                return Err(invalid_config(Msg::EndpointRequired));
            };
            let issuer = o.get("environment.issuer");
            let endpoint = WebUrl::parse(endpoint, "environment.authorizationEndpoint", code)?;
            // RFC 6749 §3.1: the endpoint's own query is kept, so it must not pre-empt ours.
            if let Some(name) = endpoint
                .query()
                .and_then(|q| form::first_of(q, &RESERVED_PARAMETERS))
            {
                return Err(refuse(Msg::EndpointReservedParameter, &name));
            }
            let issuer = match issuer {
                Some(i) => Some(check_issuer(i)?),
                None => None,
            };
            Ok((endpoint, issuer))
        }
        name => {
            let preset = if one_of(name, "production staging", Msg::EnvironmentUnknown)? == 0 {
                PRODUCTION_AUTHORIZATION_ENDPOINT
            } else {
                STAGING_AUTHORIZATION_ENDPOINT
            };
            // A preset never fails (the tests parse both); were it to, its refusal would name
            // the option that chose it (a string the module has already).
            Ok((WebUrl::parse(preset, "environment", code)?, None))
        }
    }
}

/// The position of `value` among the space-separated `choices` (one string: no table of
/// pointers), 0 (the default) when absent; `msg` quoting `value` when it is none of them: the
/// one reader of every option that names one of a few choices.
fn one_of(value: Option<&str>, choices: &str, msg: Msg) -> Result<usize> {
    let Some(value) = value else {
        return Ok(0);
    };
    let mut i = 0;
    loop {
        // The words in turn (`nth_word` answers empty after the last: no choice is empty).
        let choice = crate::text::nth_word(choices, i);
        if choice.is_empty() {
            return Err(refuse(msg, value));
        }
        if *choice == *value {
            return Ok(i);
        }
        i += 1;
    }
}

fn check_issuer(issuer: &str) -> Result<String> {
    // RFC 9207 §2 / RFC 8414 §2: an https URL with no query or fragment.
    let url = WebUrl::parse(issuer, "environment.issuer", ErrorCode::InvalidConfig)?;
    if url.query().is_some() {
        return Err(invalid_config(Msg::IssuerQuery));
    }
    Ok(url.into_raw())
}

/// Request headers a page may not set (Fetch standard "forbidden request-header"), plus the
/// two this library owns (written as it sends them, so the module holds each once for gzip;
/// every name is compared case-insensitively), then the forbidden prefixes (the words ending
/// in `-`), separated by spaces (one string: no table of pointers in the module). Browsers
/// drop forbidden ones silently; we refuse them loudly.
const FORBIDDEN_HEADERS: &str = "accept-charset accept-encoding access-control-request-headers access-control-request-method connection content-length cookie cookie2 date dnt expect host keep-alive origin referer set-cookie te trailer transfer-encoding upgrade via Content-Type X-Requested-With proxy- sec-";

/// RFC 9110 §5.6.2 token characters: `tchar` is ALPHA, DIGIT or one of ``!#$%&'*+-.^_`|~``
/// (one string searched, not a `matches!` of fifteen bytes).
fn is_token(name: &str) -> bool {
    word(name, "!#$%&'*+-.^_`|~")
}

/// `handoff.url` / `handoff.startUrl`: a path on this origin (RFC 9700 §4.11: never `//host`
/// or a backslash) without a fragment, or an absolute `https:` URL.
fn check_handoff_url(url: &str, what: &str) -> Result<()> {
    if !matches!(url.as_bytes().first(), Some(b'/')) {
        return WebUrl::parse(url, what, ErrorCode::InvalidConfig).map(|_| ());
    }
    if !uri::is_same_origin_path(url) {
        return Err(refuse(Msg::HandoffUrlForm, what));
    }
    // A path's fragment starts at its first `#` (RFC 3986 Appendix B: no `#` before it).
    if crate::text::has(url, b'#') {
        return Err(refuse(Msg::HandoffUrlFragment, what));
    }
    Ok(())
}

#[allow(clippy::explicit_counter_loop)] // enumerate() costs 8 B more gzip in the shipped wasm
fn check_handoff(h: &Form) -> Result<Handoff> {
    let Some(url) = h.get("handoff.url") else {
        return Err(invalid_config(Msg::HandoffUrlRequired));
    };
    check_handoff_url(url, "handoff.url")?;
    let start_url = h.get("handoff.startUrl");
    if let Some(start) = start_url {
        check_handoff_url(start, "handoff.startUrl")?;
    }
    let credentials = match one_of(
        h.get("handoff.credentials"),
        CREDENTIALS_MODES,
        Msg::Credentials,
    )? {
        0 => Credentials::SameOrigin,
        1 => Credentials::Include,
        _ => Credentials::Omit,
    };
    let headers = h.map("handoff.headers");
    let mut i = 0;
    for (name, value) in &headers {
        if !is_token(name) {
            return Err(refuse(Msg::HeaderName, name));
        }
        for (earlier, _) in headers.get(..i).unwrap_or_default() {
            if earlier.as_bytes().eq_ignore_ascii_case(name.as_bytes()) {
                return Err(refuse(Msg::HeaderTwice, name));
            }
        }
        // Compared without a lower-case copy (a token is ASCII); a word ending in `-` is a
        // prefix.
        for h in crate::text::pieces(FORBIDDEN_HEADERS, b' ') {
            if (h.len() == name.len() || matches!(h.as_bytes().last(), Some(b'-')))
                && name
                    .as_bytes()
                    .get(..h.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(h.as_bytes()))
            {
                return Err(refuse(Msg::HeaderForbidden, name));
            }
        }
        // Fetch § header value: bytes, so a page's string must be ISO-8859-1 or fetch throws
        // (in UTF-8, a character above U+00FF is one whose lead byte is 0xC4 or more). A line
        // break is reported first.
        let mut wide = false;
        for b in value.bytes() {
            if crate::text::has("\r\n\0", b) {
                return Err(refuse(Msg::HeaderLineBreak, name));
            }
            wide |= b >= 0xC4;
        }
        if wide {
            return Err(refuse(Msg::HeaderLatin1, name));
        }
        i += 1;
    }
    let Some(timeout_ms) = h.whole(
        "handoff.timeoutMs",
        (1, MAX_HANDOFF_TIMEOUT_MS, DEFAULT_HANDOFF_TIMEOUT_MS),
    ) else {
        return Err(refuse(Msg::HandoffTimeout, MAX_HANDOFF_TIMEOUT_TEXT));
    };
    Ok(Handoff {
        url: url.into(),
        start_url: start_url.map(String::from),
        credentials,
        headers,
        timeout_ms,
    })
}

/// Test-only: the options object as typed fields, turned into the [`Input`] the wrapper would
/// send, so that the rule tests read like the options a partner writes.
#[cfg(test)]
pub(crate) mod test_options {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    #[derive(Default, Debug)]
    pub(crate) struct Options {
        pub client_id: Option<String>,
        pub redirect_uri: Option<String>,
        pub scopes: Option<Vec<String>>,
        pub environment: Option<EnvironmentOption>,
        pub handoff: Option<HandoffOptions>,
        pub storage: Option<String>,
        pub transaction_ttl_seconds: Option<f64>,
    }

    #[derive(Debug)]
    pub(crate) enum EnvironmentOption {
        Preset(String),
        Custom(CustomEnvironment),
    }

    #[derive(Debug)]
    pub(crate) struct CustomEnvironment {
        pub authorization_endpoint: String,
        pub issuer: Option<String>,
    }

    #[derive(Debug)]
    pub(crate) struct HandoffOptions {
        pub url: String,
        pub start_url: Option<String>,
        pub credentials: Option<String>,
        pub headers: Option<Vec<(String, String)>>,
        pub timeout_ms: Option<f64>,
    }

    /// A number as the wrapper writes it (`String(n)`).
    fn number(n: f64) -> String {
        if n.is_nan() {
            "NaN".into()
        } else if n.is_infinite() {
            if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
        } else {
            format!("{n}")
        }
    }

    impl Options {
        /// The options as the wrapper hands them to the core (src/options.rs).
        pub(crate) fn into_form(self) -> String {
            let mut f = String::new();
            let mut put = |name: &str, value: &str| crate::form::append_pair(&mut f, name, value);
            if let Some(v) = &self.client_id {
                put("clientId", v);
            }
            if let Some(v) = &self.redirect_uri {
                put("redirectUri", v);
            }
            for scope in self.scopes.iter().flatten() {
                put("scopes", scope);
            }
            match &self.environment {
                None => {}
                Some(EnvironmentOption::Preset(name)) => put("environment", name),
                Some(EnvironmentOption::Custom(c)) => {
                    put("environment.", "");
                    put(
                        "environment.authorizationEndpoint",
                        &c.authorization_endpoint,
                    );
                    if let Some(i) = &c.issuer {
                        put("environment.issuer", i);
                    }
                }
            }
            if let Some(h) = &self.handoff {
                put("handoff.", "");
                put("handoff.url", &h.url);
                if let Some(v) = &h.start_url {
                    put("handoff.startUrl", v);
                }
                if let Some(v) = &h.credentials {
                    put("handoff.credentials", v);
                }
                for (k, v) in h.headers.iter().flatten() {
                    put("handoff.headers", k);
                    put("handoff.headers", v);
                }
                if let Some(v) = h.timeout_ms {
                    put("handoff.timeoutMs", &number(v));
                }
            }
            if let Some(v) = &self.storage {
                put("storage", v);
            }
            if let Some(v) = self.transaction_ttl_seconds {
                put("transactionTtlSeconds", &number(v));
            }
            f
        }
    }

    impl Config {
        /// [`Config::from_form`] of typed test options.
        pub(crate) fn from_options(options: Options) -> Result<Config> {
            Config::from_form(&Form::parse(&options.into_form()))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::test_options::*;
    use super::*;
    use crate::error::Error;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    pub(crate) fn options() -> Options {
        Options {
            client_id: Some("9b2c3d4e-0000-4000-8000-000000000001".into()),
            redirect_uri: Some("https://app.example.com/pleo/callback".into()),
            scopes: Some(vec!["users:read".into(), "export-jobs:read".into()]),
            ..Options::default()
        }
    }

    fn rejects(options: Options, needle: &str) -> Error {
        let e = Config::from_options(options).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig, "{e}");
        assert!(
            e.message().contains(needle),
            "message {:?} should mention {needle:?}",
            e.message()
        );
        e
    }

    /// Configure once: the client record carries every field the later operations read, as
    /// checked, and nothing else is accepted as one.
    #[test]
    fn client_record_round_trips_what_later_operations_read() {
        for options in [
            options(),
            Options {
                environment: Some(EnvironmentOption::Custom(CustomEnvironment {
                    authorization_endpoint: "http://127.0.0.1:3001/oauth/authorize?tenant=a".into(),
                    issuer: Some("http://127.0.0.1:3001".into()),
                })),
                handoff: Some(HandoffOptions {
                    url: "/api/pleo/exchange".into(),
                    start_url: Some("/api/pleo/start".into()),
                    credentials: Some("include".into()),
                    headers: Some(vec![("X-Csrf".into(), "t".into())]),
                    timeout_ms: Some(500.0),
                }),
                storage: Some("local".into()),
                transaction_ttl_seconds: Some(30.0),
                ..options()
            },
        ] {
            let c = Config::from_options(options).unwrap();
            let d = Config::decode(&c.encode()).unwrap();
            assert_eq!(d.client_id, c.client_id);
            assert_eq!(d.redirect_uri, c.redirect_uri);
            assert_eq!(d.redirect_uri.origin(), c.redirect_uri.origin());
            assert_eq!(d.scope, c.scope);
            assert_eq!(d.authorization_endpoint, c.authorization_endpoint);
            assert_eq!(d.issuer, c.issuer);
            assert_eq!(d.storage, c.storage);
            assert_eq!(d.transaction_ttl_seconds, c.transaction_ttl_seconds);
            assert_eq!(d.bound, c.bound);
            assert_eq!(d.encode(), c.encode());
        }
        let good = Config::from_options(options()).unwrap().encode();
        for bad in [
            "",
            "x",
            &cat!(&good, "\nextra"),
            &good.replace("600", "six"),
        ] {
            assert_eq!(
                Config::decode(bad).unwrap_err().code(),
                ErrorCode::InvalidConfig,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn defaults_are_production_session_600s_no_handoff() {
        let c = Config::from_options(options()).unwrap();
        assert_eq!(
            c.authorization_endpoint.as_str(),
            PRODUCTION_AUTHORIZATION_ENDPOINT
        );
        assert_eq!(c.storage, StorageKind::Session);
        assert_eq!(c.transaction_ttl_seconds, 600);
        assert!(c.handoff.is_none());
        assert!(c.issuer.is_none());
    }

    /// `is_token` against RFC 9110 §5.6.2's `tchar` restated: every ASCII character alone, and
    /// non-ASCII text.
    #[test]
    fn token_characters_are_rfc9110_tchar() {
        for b in 0..0x80u8 {
            let tchar = b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                );
            let one = char::from(b).to_string();
            assert_eq!(is_token(&one), tchar, "{b:#x}");
            assert_eq!(is_token(&format!("X-{one}a")), tchar, "{b:#x}");
        }
        assert!(!is_token("") && !is_token("X-\u{e9}") && !is_token("\u{100}"));
    }

    #[test]
    fn staging_preset() {
        let c = Config::from_options(Options {
            environment: Some(EnvironmentOption::Preset("staging".into())),
            ..options()
        })
        .unwrap();
        assert_eq!(
            c.authorization_endpoint.as_str(),
            STAGING_AUTHORIZATION_ENDPOINT
        );
        rejects(
            Options {
                environment: Some(EnvironmentOption::Preset("prod".into())),
                ..options()
            },
            "\"prod\" is unknown",
        );
    }

    #[test]
    fn client_id_rules() {
        rejects(
            Options {
                client_id: None,
                ..options()
            },
            "clientId is required",
        );
        rejects(
            Options {
                client_id: Some(String::new()),
                ..options()
            },
            "clientId is empty",
        );
        rejects(
            Options {
                client_id: Some(" abc".into()),
                ..options()
            },
            "surrounding spaces",
        );
        rejects(
            Options {
                client_id: Some("ab\nc".into()),
                ..options()
            },
            "control characters",
        );
    }

    #[test]
    fn rfc6749_s3_1_2_rfc9700_s4_1_redirect_uri_rules() {
        rejects(
            Options {
                redirect_uri: None,
                ..options()
            },
            "redirectUri is required",
        );
        rejects(
            Options {
                redirect_uri: Some("http://app.example.com/cb".into()),
                ..options()
            },
            "https",
        );
        rejects(
            Options {
                redirect_uri: Some("https://app.example.com/cb#x".into()),
                ..options()
            },
            "fragment",
        );
        rejects(
            Options {
                redirect_uri: Some("/pleo/callback".into()),
                ..options()
            },
            "absolute",
        );
        for (bad, piece) in [
            ("https://app.example.com/a/../cb", "\"..\""),
            ("https://app.example.com/./cb", "\".\""),
            ("https://app.example.com/cb/.", "\".\""),
            ("https://app.example.com/c{b}", "\"{\""),
            ("https://app.example.com/cällback", "\"ä\""),
            ("https://app.example.com/c`b", "\"`\""),
        ] {
            let e = rejects(
                Options {
                    redirect_uri: Some(bad.into()),
                    ..options()
                },
                "browsers rewrite",
            );
            assert!(e.message().contains(piece), "{}", e.message());
            assert!(e.message().contains("as the address bar shows it"));
        }
        // RFC 6749 §4.1.2: the callback carries these itself.
        for name in CALLBACK_PARAMETERS {
            let e = rejects(
                Options {
                    redirect_uri: Some(format!("https://app.example.com/cb?tenant=1&{name}=x")),
                    ..options()
                },
                "query parameter, which the callback itself carries",
            );
            assert!(e.message().contains(&format!("\"{name}\"")));
        }
        for ok in [
            "https://app.example.com/c%7Bb%7D?tenant=a%20b",
            "http://localhost:5173/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8080/cb",
        ] {
            let c = Config::from_options(Options {
                redirect_uri: Some(ok.into()),
                ..options()
            })
            .unwrap();
            assert_eq!(c.redirect_uri.as_str(), ok);
        }
    }

    #[test]
    fn scope_rules() {
        rejects(
            Options {
                scopes: None,
                ..options()
            },
            "at least one",
        );
        rejects(
            Options {
                scopes: Some(vec![]),
                ..options()
            },
            "at least one",
        );
        for bad in [
            "users",
            "users:",
            ":read",
            "users read",
            "users:read:x",
            "us ers:read",
            "users:réad",
        ] {
            rejects(
                Options {
                    scopes: Some(vec![bad.into()]),
                    ..options()
                },
                "resource:permission",
            );
        }
        rejects(
            Options {
                scopes: Some(vec!["users:read".into(), "users:read".into()]),
                ..options()
            },
            "twice",
        );
        let good = [
            "export-jobs:read",
            "tag_groups:read",
            "a.b:c.d",
            "test:test",
            "Future-Thing_2:write",
        ];
        let c = Config::from_options(Options {
            scopes: Some(good.map(String::from).to_vec()),
            ..options()
        })
        .unwrap();
        assert_eq!(c.scopes(), good);
        assert_eq!(c.scope, good.join(" "));
    }

    fn custom(endpoint: &str, issuer: Option<&str>) -> Option<EnvironmentOption> {
        Some(EnvironmentOption::Custom(CustomEnvironment {
            authorization_endpoint: endpoint.into(),
            issuer: issuer.map(String::from),
        }))
    }

    #[test]
    fn custom_endpoint_rules() {
        let c = Config::from_options(Options {
            environment: custom(
                "http://localhost:4000/oauth/authorize?tenant=a",
                Some("http://localhost:4000"),
            ),
            ..options()
        })
        .unwrap();
        assert_eq!(c.issuer.as_deref(), Some("http://localhost:4000"));
        rejects(
            Options {
                environment: custom("http://auth.example.com/authorize", None),
                ..options()
            },
            "https",
        );
        rejects(
            Options {
                environment: custom("https://auth.example.com/authorize#f", None),
                ..options()
            },
            "fragment",
        );
        rejects(
            Options {
                environment: custom("https://auth.example.com/authorize?client_id=x", None),
                ..options()
            },
            "\"client_id\"",
        );
        rejects(
            Options {
                environment: custom(
                    "https://auth.example.com/a",
                    Some("https://auth.example.com?x=1"),
                ),
                ..options()
            },
            "query",
        );
        rejects(
            Options {
                environment: custom(
                    "https://auth.example.com/a",
                    Some("http://auth.example.com"),
                ),
                ..options()
            },
            "environment.issuer",
        );
    }

    fn handoff(url: &str) -> HandoffOptions {
        HandoffOptions {
            url: url.into(),
            start_url: None,
            credentials: None,
            headers: None,
            timeout_ms: None,
        }
    }

    #[test]
    fn rfc9700_s4_11_handoff_rules() {
        let c = Config::from_options(Options {
            handoff: Some(handoff("/api/pleo/exchange")),
            ..options()
        })
        .unwrap();
        let h = c.handoff.unwrap();
        assert_eq!(h.credentials, Credentials::SameOrigin);
        assert_eq!(h.timeout_ms, 15_000);
        Config::from_options(Options {
            handoff: Some(handoff("https://api.example.com/x")),
            ..options()
        })
        .unwrap();
        for bad in [
            "//evil.example/x",
            "/\\evil.example",
            "api/x",
            "http://api.example.com/x",
            "/x#f",
        ] {
            rejects(
                Options {
                    handoff: Some(handoff(bad)),
                    ..options()
                },
                "handoff.url",
            );
        }
        rejects(
            Options {
                handoff: Some(HandoffOptions {
                    credentials: Some("always".into()),
                    ..handoff("/x")
                }),
                ..options()
            },
            "handoff.credentials",
        );
        for bad_name in [
            "X-Requested-With",
            "x-requested-with",
            "content-type",
            "CONTENT-TYPE",
            "Cookie",
            "Sec-Fetch-Mode",
            "Proxy-Foo",
            "SEC-",
            "HOST",
            "bad name",
        ] {
            let headers = vec![(bad_name.to_string(), "v".to_string())];
            rejects(
                Options {
                    handoff: Some(HandoffOptions {
                        headers: Some(headers),
                        ..handoff("/x")
                    }),
                    ..options()
                },
                "handoff.headers",
            );
        }
        // A forbidden name is refused whole, a forbidden prefix only at the start.
        for good_name in [
            "Hostname",
            "X-Host",
            "Dates",
            "Secret",
            "X-Sec-Foo",
            "Proxy",
        ] {
            let headers = vec![(good_name.to_string(), "v".to_string())];
            Config::from_options(Options {
                handoff: Some(HandoffOptions {
                    headers: Some(headers),
                    ..handoff("/x")
                }),
                ..options()
            })
            .unwrap();
        }
        // RFC 9700 §4.5 bound handoff: startUrl follows the rules of url.
        let bound = Config::from_options(Options {
            handoff: Some(HandoffOptions {
                start_url: Some("/api/pleo/start".into()),
                ..handoff("/api/pleo/exchange")
            }),
            ..options()
        })
        .unwrap();
        assert_eq!(
            bound.handoff.unwrap().start_url.as_deref(),
            Some("/api/pleo/start")
        );
        for bad in [
            "//evil.example/x",
            "start",
            "http://api.example.com/x",
            "/x#f",
        ] {
            rejects(
                Options {
                    handoff: Some(HandoffOptions {
                        start_url: Some(bad.into()),
                        ..handoff("/x")
                    }),
                    ..options()
                },
                "handoff.startUrl",
            );
        }
        let headers = vec![("X-CSRF-Token".to_string(), "a\r\nb".to_string())];
        rejects(
            Options {
                handoff: Some(HandoffOptions {
                    headers: Some(headers),
                    ..handoff("/x")
                }),
                ..options()
            },
            "line break",
        );
        for bad in [0.0, -1.0, 1.5, 600_001.0, f64::NAN] {
            rejects(
                Options {
                    handoff: Some(HandoffOptions {
                        timeout_ms: Some(bad),
                        ..handoff("/x")
                    }),
                    ..options()
                },
                "timeoutMs",
            );
        }
    }

    /// The wrapper's form (src/options.rs) reads back as the options; names and types are the
    /// wrapper's to check (tests/package/options.test.mjs), presence and values the core's.
    #[test]
    fn options_are_read_from_the_wrappers_form() {
        let read = |extra: &str| {
            Config::from_form(&Form::parse(&format!(
                "clientId=c&redirectUri=https%3A%2F%2Fapp.example.com%2Fcb&scopes=users%3Aread{extra}"
            )))
        };
        let c = read(
            "&environment.=&environment.authorizationEndpoint=http%3A%2F%2Flocalhost%3A4000%2Fa&environment.issuer=http%3A%2F%2Flocalhost%3A4000\
             &handoff.=&handoff.url=%2Fapi%2Fx&handoff.credentials=include&handoff.headers=X-B&handoff.headers=2&handoff.headers=X-A&handoff.headers=1&handoff.timeoutMs=500\
             &storage=local&transactionTtlSeconds=30",
        )
        .unwrap();
        assert_eq!(c.issuer.as_deref(), Some("http://localhost:4000"));
        let h = c.handoff.unwrap();
        assert_eq!(
            h.headers,
            [
                ("X-B".to_string(), "2".to_string()),
                ("X-A".to_string(), "1".to_string())
            ]
        );
        assert_eq!((h.credentials, h.timeout_ms), (Credentials::Include, 500));
        assert_eq!(
            (c.storage, c.transaction_ttl_seconds),
            (StorageKind::Local, 30)
        );
        assert_eq!(
            read("&environment=staging")
                .unwrap()
                .authorization_endpoint
                .as_str(),
            STAGING_AUTHORIZATION_ENDPOINT
        );
        let fails = |extra: &str, needle: &str| {
            let e = read(extra).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig);
            assert!(
                e.message().contains(needle),
                "{:?} should mention {needle:?}",
                e.message()
            );
        };
        // An object given (`name.=`) without its required option.
        fails("&environment.=", "authorizationEndpoint is required");
        fails("&handoff.=", "handoff.url is required");
        // A number that is not a whole one in range (the wrapper writes String(n)).
        for bad in ["NaN", "Infinity", "1.5", "-1", "0", "1e%2B21", "86401"] {
            fails(&format!("&transactionTtlSeconds={bad}"), "from 1 to 86400");
        }
        // No scope at all, or none of the options.
        let e = Config::from_form(&Form::parse("")).unwrap_err();
        assert!(
            e.message().contains("clientId is required"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn the_redirect_uri_must_be_on_the_pages_origin() {
        let c = Config::from_options(options()).unwrap();
        assert!(c.check_page_origin("https://app.example.com").is_ok());
        for other in [
            "http://app.example.com",
            "https://app.example.com:8443",
            "https://www.app.example.com",
            "null",
        ] {
            let e = c.check_page_origin(other).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidConfig);
            assert!(e.message().contains(other), "{}", e.message());
            assert!(e.message().contains("https://app.example.com"));
        }
        let local = Config::from_options(Options {
            redirect_uri: Some("http://127.0.0.1:5173/cb".into()),
            ..options()
        })
        .unwrap();
        let e = local
            .check_page_origin("http://localhost:5173")
            .unwrap_err();
        assert!(
            e.message().contains("are different origins"),
            "{}",
            e.message()
        );
        assert!(Config::from_options(Options {
            redirect_uri: Some("HTTPS://App.Example.com:443/cb".into()),
            ..options()
        })
        .unwrap()
        .check_page_origin("https://app.example.com")
        .is_ok());
        assert!(c
            .check_page_origin("null")
            .unwrap_err()
            .message()
            .contains("testEnvironmentOptions.url"));
    }

    #[test]
    fn storage_and_ttl_rules() {
        let c = Config::from_options(Options {
            storage: Some("local".into()),
            ..options()
        })
        .unwrap();
        assert_eq!(c.storage, StorageKind::Local);
        rejects(
            Options {
                storage: Some("cookie".into()),
                ..options()
            },
            "storage must be",
        );
        for bad in [0.0, -5.0, 2.5, 86_401.0, f64::INFINITY] {
            rejects(
                Options {
                    transaction_ttl_seconds: Some(bad),
                    ..options()
                },
                "transactionTtlSeconds",
            );
        }
        let c = Config::from_options(Options {
            transaction_ttl_seconds: Some(60.0),
            ..options()
        })
        .unwrap();
        assert_eq!(c.transaction_ttl_seconds, 60);
    }

    #[test]
    fn the_quoted_maxima_are_the_maxima() {
        assert_eq!(
            MAX_TRANSACTION_TTL_TEXT,
            decimal(MAX_TRANSACTION_TTL_SECONDS.into())
        );
        assert_eq!(
            MAX_HANDOFF_TIMEOUT_TEXT,
            decimal(MAX_HANDOFF_TIMEOUT_MS.into())
        );
        let e = Config::from_options(Options {
            transaction_ttl_seconds: Some(0.0),
            ..options()
        })
        .unwrap_err();
        assert!(e.message().ends_with("from 1 to 86400."), "{}", e.message());
    }
}
