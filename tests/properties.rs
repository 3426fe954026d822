//! Property tests of every parser of the pure core: generated inputs (random text, text built
//! from the pieces URLs, queries, records and JSON snapshots are made of, and generated option
//! trees) against the rules the modules state, with reference crates as oracles where one
//! exists (`form_urlencoded`, `base64`, `sha2`, and `url` for WHATWG URL resolution).
//!
//! Case counts: `PROPTEST_CASES` per property, [`DEFAULT_CASES`] when unset (`make unit`);
//! `make fuzz` runs this file in release with enough cases for ≥ 1,000,000 generated inputs
//! in all. A failing case is shrunk and saved in `tests/properties.proptest-regressions`.
//!
//! The findings these properties made earlier (numeric hosts browsers rewrite, a callback
//! parameter in a `redirectUri`'s query, `extraParams` repeating the endpoint's own query) are
//! rules of the core now, checked here as properties. A test marked `#[ignore]` is a finding
//! the core does not meet yet: it names the behaviour and carries a minimal reproduction
//! (`cargo test --test properties -- --ignored` runs it).
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::Cell;
use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use proptest::prelude::*;
use proptest::sample::select;
use sha2::{Digest, Sha256};

use pleo_oauth::callback::{self, CallbackParameters, VerifiedCallback, CALLBACK_PARAMETERS};
use pleo_oauth::config::{self, Config, Credentials, StorageKind};
use pleo_oauth::error::Context;
use pleo_oauth::form;
use pleo_oauth::options::Form;
use pleo_oauth::pkce::PkceCodeVerifier;
use pleo_oauth::request::{self, AuthorizationUrlOptions, ENTROPY_BYTES, RESERVED_PARAMETERS};
use pleo_oauth::state::State;
use pleo_oauth::transaction::{self, Transaction, KEY_PREFIX};
use pleo_oauth::uri::{self, WebUrl};
use pleo_oauth::{Error, ErrorCode, Result};

/// Cases per property when `PROPTEST_CASES` is unset: the whole file in a few seconds in a
/// debug build.
const DEFAULT_CASES: u32 = 500;

fn proptest_config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    ProptestConfig {
        cases,
        max_global_rejects: 100_000,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Text strategies
// ---------------------------------------------------------------------------------------------

/// Text made of `pieces` and stray characters, so that random input gets past the first check.
fn soup(pieces: &'static [&'static str], max: usize) -> BoxedStrategy<String> {
    prop::collection::vec(
        prop_oneof![
            4 => select(pieces).prop_map(String::from),
            1 => any::<char>().prop_map(String::from),
        ],
        0..max,
    )
    .prop_map(|v| v.concat())
    .boxed()
}

const URL_PIECES: &[&str] = &[
    "https://",
    "http://",
    "HTTPS://",
    "javascript:",
    "//",
    "/",
    "\\",
    "?",
    "&",
    "&&",
    "=",
    "#",
    "%",
    "%2",
    "%41",
    "%C3%A9",
    "%FF",
    "%F0%9F%98",
    "+",
    ":",
    "@",
    "[",
    "]",
    "[::1]",
    "localhost",
    "127.0.0.1",
    "app.example.com",
    ":443",
    ":0",
    ":8080",
    ":99999",
    " ",
    "\t",
    "\n",
    "code",
    "state",
    "error",
    "error_description",
    "error_uri",
    "iss",
    "%63ode",
    "st%61te",
    "v",
    "verifier",
    "redirect_uri",
    "exp",
    "return_to",
    "1",
    "x",
    "pleo",
    "callback",
    "é",
    "\u{0}",
];

/// Any text: proptest's strings, strings of any chars (controls included), and soups.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(any::<char>(), 0..40).prop_map(|c| c.into_iter().collect()),
        soup(URL_PIECES, 32),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Option strategies: arbitrary names and values, and valid options
// ---------------------------------------------------------------------------------------------

/// Every name an options object of the contract can have, and the wrapper's tag.
const KNOWN_KEYS: &[&str] = &[
    "clientId",
    "redirectUri",
    "scopes",
    "environment",
    "handoff",
    "storage",
    "transactionTtlSeconds",
    "authorizationEndpoint",
    "issuer",
    "url",
    "credentials",
    "headers",
    "timeoutMs",
    "returnTo",
    "extraParams",
    "redirectURI",
    "\0",
];

const KNOWN_STRINGS: &[&str] = &[
    "production",
    "staging",
    "session",
    "local",
    "same-origin",
    "include",
    "omit",
    "users:read",
    "export-jobs:read",
    "https://app.example.com/pleo/callback",
    "http://localhost:3000/cb",
    "https://auth.example.com/oauth/authorize?tenant=1",
    "https://auth.example.com/oauth/authorize?state=1",
    "https://auth.example.com",
    "/api/pleo/exchange",
    "//evil.example",
    "/settings",
    "X-Custom",
    "Cookie",
    "function",
    "deep",
    "",
    " ",
];

fn arb_key() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(KNOWN_KEYS).prop_map(String::from),
        1 => any::<String>(),
        1 => "[a-zA-Z_]{0,12}",
    ]
    .boxed()
}

fn arb_string() -> BoxedStrategy<String> {
    prop_oneof![
        2 => select(KNOWN_STRINGS).prop_map(String::from),
        2 => text(),
        1 => valid_web_url(),
    ]
    .boxed()
}

/// WHATWG URL § host parsing, "ends in a number": the last label (after dropping one empty
/// last label, as in `a.1.`) is decimal digits, or `0x` and hex digits. A browser reads such a
/// host as IPv4.
fn ends_in_a_number(host: &str) -> bool {
    let mut labels: Vec<&str> = host.split('.').collect();
    if labels.len() > 1 && labels.last() == Some(&"") {
        labels.pop();
    }
    let last = labels.last().copied().unwrap_or_default();
    match last.strip_prefix("0x").or_else(|| last.strip_prefix("0X")) {
        Some(hex) => hex.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()),
    }
}

/// The one IPv4 form a browser keeps as it is: four decimal parts, no leading zero, each ≤ 255.
fn is_canonical_ipv4(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
                && p.parse::<u32>().is_ok_and(|n| n <= 255)
        })
}

/// A host `WebUrl` accepts and a browser keeps as it is: a name of `[A-Za-z0-9._~-]` that does
/// not end in a number (and has no `xn--` label, which a browser decodes as punycode), or a
/// canonical dotted-quad IPv4 address.
fn host() -> BoxedStrategy<String> {
    prop_oneof![
        8 => "[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?(\\.[a-z]{2,6}){0,2}",
        2 => "[a-zA-Z0-9._~-]{1,12}",
        1 => any::<[u8; 4]>().prop_map(|[a, b, c, d]| format!("{a}.{b}.{c}.{d}")),
    ]
    .prop_filter("a host a browser rewrites", |h| {
        (!ends_in_a_number(h) || is_canonical_ipv4(h))
            && !h
                .split('.')
                .any(|l| l.to_ascii_lowercase().starts_with("xn--"))
    })
    .boxed()
}

/// A host a browser reads as IPv4 (WHATWG URL § IPv4 parser) but not as `WebUrl` keeps it:
/// fewer or more than four parts, hex, octal (leading zeros), parts above 255, or name labels
/// before a numeric last label (`a.b.1`, which a browser refuses). Canonical dotted quads are
/// left out; none of these ends in a dot (see the ignored finding below).
fn rewritten_numeric_host() -> BoxedStrategy<String> {
    let number = prop_oneof![
        3 => (0u32..=255).prop_map(|n| n.to_string()),
        1 => (256u32..=70_000).prop_map(|n| n.to_string()),
        1 => Just("4294967295".to_owned()),
        1 => (0u32..=255).prop_map(|n| format!("0{n}")),
        1 => (0u32..=255).prop_map(|n| format!("0x{n:x}")),
        1 => (0u32..=255).prop_map(|n| format!("0X{n:X}")),
        1 => Just("0x".to_owned()),
    ];
    (
        prop::collection::vec("[a-z][a-z0-9-]{0,4}", 0..3),
        prop::collection::vec(number, 1..6),
    )
        .prop_map(|(names, numbers)| {
            names
                .into_iter()
                .chain(numbers)
                .collect::<Vec<_>>()
                .join(".")
        })
        .prop_filter("canonical", |h| !is_canonical_ipv4(h))
        .boxed()
}

/// A port suffix: none, or `:digits` with a number up to 65535.
fn port() -> BoxedStrategy<String> {
    prop_oneof![
        2 => Just(String::new()),
        1 => (0u32..=65_535).prop_map(|p| format!(":{p}")),
        1 => (0u32..10_000).prop_map(|p| format!(":0{p}")),
        1 => Just(":".to_owned()),
    ]
    .boxed()
}

/// A path without `?`, `#`, whitespace or controls, nor a dot segment (`.`, `..`, also as
/// `%2e`: browsers resolve them); it may start with `//`.
fn path() -> BoxedStrategy<String> {
    "(/[A-Za-z0-9._~!$&'()*+,;=:@%-]{0,8}){0,3}"
        .prop_filter("a dot segment", |p| {
            p.split('/').all(|segment| {
                let s = segment.to_ascii_lowercase().replace("%2e", ".");
                s != "." && s != ".."
            })
        })
        .boxed()
}

/// A query of `name=value` segments whose names are not among `forbidden` once decoded.
fn query(forbidden: &'static [&'static str]) -> BoxedStrategy<Option<String>> {
    prop::option::weighted(
        0.4,
        prop::collection::vec(("[a-z_]{1,8}", "[A-Za-z0-9%._~+-]{0,8}"), 0..4).prop_map(
            move |pairs| {
                pairs
                    .into_iter()
                    .filter(|(n, _)| !forbidden.contains(&n.as_str()))
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>()
                    .join("&")
            },
        ),
    )
    .prop_filter("names decode to a forbidden one", move |q| {
        q.as_deref().is_none_or(|q| {
            form::pairs(q)
                .iter()
                .all(|(n, _)| !forbidden.contains(&n.as_str()))
        })
    })
    .boxed()
}

/// An https URL (or http on a loopback host) with a path and an optional query, no fragment.
fn web_url(forbidden: &'static [&'static str]) -> BoxedStrategy<String> {
    let authority = prop_oneof![
        3 => (select(vec!["https", "HTTPS", "Https"]), host(), port()),
        1 => (
            select(vec!["http", "HTTP"]),
            select(vec!["localhost", "127.0.0.1", "[::1]", "LocalHost"]).prop_map(String::from),
            port()
        ),
    ];
    (authority, path(), query(forbidden))
        .prop_map(|((scheme, host, port), path, query)| {
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            format!("{scheme}://{host}{port}{path}{query}")
        })
        .boxed()
}

fn valid_web_url() -> BoxedStrategy<String> {
    web_url(&[])
}

/// Valid URLs, some with pieces a browser may rewrite appended, some on a numeric host a
/// browser rewrites.
fn redirect_uri_candidate() -> BoxedStrategy<String> {
    const PIECES: &[&str] = &[
        "/", ".", "..", "%2e", "%2E", "'", "\"", "<", ">", "{", "}", "`", "\\", "|", "^", "[", "]",
        "é", "?", "x", "%20", "%", "~", "$", ";", "&", "=", "+",
    ];
    prop_oneof![
        2 => valid_web_url(),
        4 => (valid_web_url(), soup(PIECES, 6)).prop_map(|(u, tail)| format!("{u}{tail}")),
        1 => (rewritten_numeric_host(), port(), path())
            .prop_map(|(host, port, path)| format!("https://{host}{port}{path}")),
    ]
    .boxed()
}

/// A `returnTo` the rule accepts: `/`, no `//` start, no backslash, whitespace or controls.
fn same_origin_path() -> BoxedStrategy<String> {
    "/([A-Za-z0-9._~!$&'()*+,;=:@%?#/-]{0,20})"
        .prop_filter("starts with //", |p| !p.starts_with("//"))
        .boxed()
}

#[derive(Clone, Debug)]
struct ValidHandoff {
    url: String,
    credentials: Option<&'static str>,
    headers: Vec<(String, String)>,
    timeout_ms: Option<u32>,
}

/// Options every rule accepts, with what the `Config` must then hold.
#[derive(Clone, Debug)]
struct ValidOptions {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    /// `None`: absent; `Some((endpoint, None))` with a preset name: the preset.
    environment: Environment,
    handoff: Option<ValidHandoff>,
    storage: Option<&'static str>,
    ttl: Option<u32>,
}

#[derive(Clone, Debug)]
enum Environment {
    Absent,
    Preset(&'static str),
    Custom {
        endpoint: String,
        issuer: Option<String>,
    },
}

const FORBIDDEN_HEADERS: &[&str] = &[
    "accept-charset",
    "accept-encoding",
    "access-control-request-headers",
    "access-control-request-method",
    "connection",
    "content-length",
    "cookie",
    "cookie2",
    "date",
    "dnt",
    "expect",
    "host",
    "keep-alive",
    "origin",
    "referer",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "content-type",
    "x-requested-with",
];

fn header_value() -> BoxedStrategy<String> {
    prop::collection::vec(
        prop::char::range('\u{1}', '\u{ff}').prop_filter("CR/LF", |c| *c != '\r' && *c != '\n'),
        0..16,
    )
    .prop_map(|c| c.into_iter().collect())
    .boxed()
}

fn valid_handoff() -> BoxedStrategy<ValidHandoff> {
    (
        prop_oneof![
            "/[A-Za-z0-9._~/-]{0,16}(\\?[a-z=&]{0,6})?"
                .prop_filter("//", |u: &String| !u.starts_with("//")),
            valid_web_url(),
        ],
        prop::option::of(select(vec!["same-origin", "include", "omit"])),
        prop::collection::vec(("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}", header_value()), 0..4),
        prop::option::of(1u32..=600_000),
    )
        .prop_map(|(url, credentials, headers, timeout_ms)| {
            let mut kept: Vec<(String, String)> = Vec::new();
            for (name, value) in headers {
                let lower = name.to_ascii_lowercase();
                if FORBIDDEN_HEADERS.contains(&lower.as_str())
                    || lower.starts_with("proxy-")
                    || lower.starts_with("sec-")
                    || kept.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name))
                {
                    continue;
                }
                kept.push((name, value));
            }
            ValidHandoff {
                url,
                credentials,
                headers: kept,
                timeout_ms,
            }
        })
        .boxed()
}

fn valid_options() -> BoxedStrategy<ValidOptions> {
    let environment = prop_oneof![
        1 => Just(Environment::Absent),
        1 => select(vec!["production", "staging"]).prop_map(Environment::Preset),
        2 => (
            web_url(&RESERVED_PARAMETERS),
            prop::option::of((host(), port(), path()).prop_map(|(h, p, path)| format!("https://{h}{p}{path}"))),
        )
            .prop_map(|(endpoint, issuer)| Environment::Custom { endpoint, issuer }),
    ];
    (
        "[!-~]([ -~]{0,30}[!-~])?",
        web_url(&CALLBACK_PARAMETERS),
        prop::collection::vec("[A-Za-z0-9._-]{1,6}:[A-Za-z0-9._-]{1,6}", 1..5),
        environment,
        prop::option::of(valid_handoff()),
        prop::option::of(select(vec!["session", "local"])),
        prop::option::of(1u32..=86_400),
    )
        .prop_map(
            |(client_id, redirect_uri, mut scopes, environment, handoff, storage, ttl)| {
                let mut seen = Vec::new();
                scopes.retain(|s| {
                    let new = !seen.contains(s);
                    seen.push(s.clone());
                    new
                });
                ValidOptions {
                    client_id,
                    redirect_uri,
                    scopes,
                    environment,
                    handoff,
                    storage,
                    ttl,
                }
            },
        )
        .boxed()
}

impl ValidOptions {
    /// The options as the wrapper hands them to the core (src/options.rs).
    fn to_form(&self) -> String {
        let mut f = String::new();
        let mut put = |n: &str, v: &str| form::append_pair(&mut f, n, v);
        put("clientId", &self.client_id);
        put("redirectUri", &self.redirect_uri);
        for scope in &self.scopes {
            put("scopes", scope);
        }
        match &self.environment {
            Environment::Absent => {}
            Environment::Preset(p) => put("environment", p),
            Environment::Custom { endpoint, issuer } => {
                put("environment.", "");
                put("environment.authorizationEndpoint", endpoint);
                if let Some(i) = issuer {
                    put("environment.issuer", i);
                }
            }
        }
        if let Some(h) = &self.handoff {
            put("handoff.", "");
            put("handoff.url", &h.url);
            if let Some(c) = h.credentials {
                put("handoff.credentials", c);
            }
            for (n, v) in &h.headers {
                put("handoff.headers", n);
                put("handoff.headers", v);
            }
            if let Some(t) = h.timeout_ms {
                put("handoff.timeoutMs", &t.to_string());
            }
        }
        if let Some(st) = self.storage {
            put("storage", st);
        }
        if let Some(t) = self.ttl {
            put("transactionTtlSeconds", &t.to_string());
        }
        f
    }

    fn config(&self) -> Config {
        Config::from_form(&Form::parse(&self.to_form())).expect("valid options are accepted")
    }

    fn endpoint(&self) -> &str {
        match &self.environment {
            Environment::Absent | Environment::Preset("production") => {
                config::PRODUCTION_AUTHORIZATION_ENDPOINT
            }
            Environment::Preset(_) => config::STAGING_AUTHORIZATION_ENDPOINT,
            Environment::Custom { endpoint, .. } => endpoint,
        }
    }

    fn issuer(&self) -> Option<&str> {
        match &self.environment {
            Environment::Custom { issuer, .. } => issuer.as_deref(),
            _ => None,
        }
    }
}

/// Options that are valid but for a few values replaced by arbitrary strings, removed, or
/// added again (at any of the names the wrapper writes): what the wrapper hands over for
/// options of the right types whose values break the rules.
fn near_valid_options() -> BoxedStrategy<String> {
    const NAMES: &[&str] = &[
        "clientId",
        "redirectUri",
        "scopes",
        "environment",
        "environment.",
        "environment.authorizationEndpoint",
        "environment.issuer",
        "handoff.",
        "handoff.url",
        "handoff.startUrl",
        "handoff.credentials",
        "handoff.headers",
        "handoff.timeoutMs",
        "storage",
        "transactionTtlSeconds",
    ];
    (
        valid_options(),
        prop::collection::vec((select(NAMES), prop::option::of(arb_string())), 1..4),
    )
        .prop_map(|(o, changes)| {
            let mut pairs = form::pairs(&o.to_form());
            for (name, value) in changes {
                match value {
                    // Replaced (or added).
                    Some(v) => match pairs.iter_mut().find(|(n, _)| n == name) {
                        Some(p) => p.1 = v,
                        None => pairs.push((name.to_owned(), v)),
                    },
                    // Removed.
                    None => pairs.retain(|(n, _)| n != name),
                }
            }
            let mut f = String::new();
            for (n, v) in &pairs {
                form::append_pair(&mut f, n, v);
            }
            f
        })
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Callback helpers
// ---------------------------------------------------------------------------------------------

/// A secret-looking value (an authorisation code).
fn secret() -> BoxedStrategy<String> {
    "[A-Za-z0-9_-]{24,64}".boxed()
}

/// What a start is given: 64 CSPRNG bytes, then the SHA-256 digest of the verifier they make
/// (Web Crypto's in the browser; here the `sha2` crate's of the `base64` crate's encoding).
fn entropy() -> BoxedStrategy<Vec<u8>> {
    prop::collection::vec(any::<u8>(), ENTROPY_BYTES)
        .prop_map(|mut bytes| {
            let digest = Sha256::digest(URL_SAFE_NO_PAD.encode(&bytes[32..]).as_bytes());
            bytes.extend_from_slice(&digest);
            bytes
        })
        .boxed()
}

/// A storage with the one transaction `build` made, and the client that made it, which handles
/// callbacks through the shipped path (`callback::handle`), counting the storage edits it makes.
struct Store {
    records: HashMap<String, String>,
    config: Config,
    edits: Cell<usize>,
    edited: Vec<String>,
}

impl Store {
    /// `handleCallback(url)` on the page at `url`: the storage edits made, the outcome.
    fn verify(&mut self, url: &str, now_ms: u64) -> Result<VerifiedCallback> {
        // As the wrapper does: the one record `record_key` names, then `handle`.
        let stored = callback::record_key(url).and_then(|k| self.records.get(&k).cloned());
        let h = callback::handle(
            &self.config,
            url,
            url,
            &stored.unwrap_or_default(),
            callback::Via::Page,
            now_ms,
        );
        apply(&mut self.records, &h.store);
        self.edits.set(self.edits.get() + h.store.len());
        self.edited.extend(h.store.iter().map(|(k, _)| k.clone()));
        h.outcome.map(|s| s.verified)
    }

    /// Whether any stored record still holds this secret.
    fn holds(&self, secret: &str) -> bool {
        self.records.values().any(|v| v.contains(secret))
    }
}

/// Applies `handle`'s storage edits, as the wrapper does (`None` removes).
fn apply(records: &mut HashMap<String, String>, edits: &[(String, Option<String>)]) {
    for (k, v) in edits {
        match v {
            Some(v) => records.insert(k.clone(), v.clone()),
            None => records.remove(k),
        };
    }
}

/// A client for properties about callbacks whose configuration does not matter.
fn some_config() -> Config {
    Config::from_form(&Form::parse(
        "clientId=client-1&redirectUri=https%3A%2F%2Fapp.example.com%2Fcb&scopes=users%3Aread",
    ))
    .expect("valid options")
}

struct Flow {
    store: Store,
    state: String,
    verifier: String,
    redirect_uri: String,
    issuer: Option<String>,
    return_to: Option<String>,
    expires_at_ms: u64,
}

fn start_flow(o: &ValidOptions, entropy: &[u8], now_ms: u64, return_to: Option<String>) -> Flow {
    let config = o.config();
    let r = request::build(
        &config,
        AuthorizationUrlOptions {
            return_to: return_to.clone(),
            extra_params: Vec::new(),
            app_state: None,
        },
        entropy,
        now_ms,
    )
    .expect("a valid config builds a request");
    let t = &r.transaction;
    Flow {
        state: t.state.as_str().to_owned(),
        verifier: t.verifier.secret().to_owned(),
        redirect_uri: t.redirect_uri.clone(),
        issuer: t.issuer.clone(),
        return_to,
        expires_at_ms: t.expires_at_ms,
        store: Store {
            records: HashMap::from([(t.storage_key(), t.encode())]),
            config,
            edits: Cell::new(0),
            edited: Vec::new(),
        },
    }
}

impl Flow {
    /// The redirect URI with the given callback parameters added (its own query kept).
    fn callback(&self, params: &[(&str, &str)]) -> String {
        let mut url = self.redirect_uri.clone();
        url.push(match uri::split(&url).query {
            None => '?',
            Some(_) => '&',
        });
        for (n, v) in params {
            form::append_pair(&mut url, n, v);
        }
        url
    }

    /// The callback Pleo would send for this flow.
    fn good_callback(&self, code: &str) -> String {
        let mut params = vec![("code", code), ("state", self.state.as_str())];
        if let Some(iss) = &self.issuer {
            params.push(("iss", iss));
        }
        self.callback(&params)
    }
}

fn assert_no_secret(e: &Error, secrets: &[&str]) -> std::result::Result<(), TestCaseError> {
    for secret in secrets {
        for shown in [e.message().to_owned(), format!("{e}"), format!("{e:?}")] {
            prop_assert!(
                !shown.contains(secret),
                "{:?} shows a secret: {shown}",
                e.code()
            );
        }
    }
    Ok(())
}

/// The URL invariants of `uri::WebUrl`.
fn assert_web_url(url: &WebUrl) -> std::result::Result<(), TestCaseError> {
    let raw = url.as_str();
    prop_assert!(!raw.contains('#'));
    prop_assert!(!raw.chars().any(|c| c.is_whitespace() || c.is_control()));
    let authority = uri::split(raw).authority.unwrap_or_default();
    prop_assert!(!authority.is_empty() && !authority.contains('@'));
    let origin = url.origin();
    prop_assert_eq!(origin.to_ascii_lowercase(), origin);
    let loopback = ["http://localhost", "http://127.0.0.1", "http://[::1]"]
        .iter()
        .any(|o| origin == *o || origin.starts_with(&format!("{o}:")));
    prop_assert!(origin.starts_with("https://") || loopback, "{}", origin);
    prop_assert!(url.path().starts_with('/'));
    // The callback check compares `origin_and_path(location.href)` with these.
    prop_assert_eq!(
        uri::origin_and_path(raw),
        Some((origin.to_owned(), url.path()))
    );
    Ok(())
}

fn assert_config_invariants(c: &Config) -> std::result::Result<(), TestCaseError> {
    prop_assert!(!c.client_id.is_empty());
    prop_assert!(c.client_id.bytes().all(|b| (0x20..=0x7e).contains(&b)));
    prop_assert!(!c.client_id.starts_with(' ') && !c.client_id.ends_with(' '));
    assert_web_url(&c.redirect_uri)?;
    assert_web_url(&c.authorization_endpoint)?;
    let scopes = c.scopes();
    prop_assert!(!scopes.is_empty());
    for (i, scope) in scopes.iter().enumerate() {
        prop_assert!(config::is_valid_scope(scope));
        prop_assert!(!scopes[..i].contains(scope));
    }
    for (name, _) in form::pairs(c.authorization_endpoint.query().unwrap_or_default()) {
        prop_assert!(!RESERVED_PARAMETERS.contains(&name.as_str()));
    }
    if let Some(issuer) = &c.issuer {
        let url = WebUrl::parse(issuer, "issuer", ErrorCode::InvalidConfig).unwrap();
        prop_assert!(url.query().is_none());
    }
    prop_assert!((1..=config::MAX_TRANSACTION_TTL_SECONDS).contains(&c.transaction_ttl_seconds));
    if let Some(h) = &c.handoff {
        prop_assert!((1..=config::MAX_HANDOFF_TIMEOUT_MS).contains(&h.timeout_ms));
        prop_assert!(
            uri::is_same_origin_path(&h.url)
                || WebUrl::parse(&h.url, "url", ErrorCode::InvalidConfig).is_ok()
        );
        prop_assert!(uri::split(&h.url).fragment.is_none());
        for (i, (name, value)) in h.headers.iter().enumerate() {
            let lower = name.to_ascii_lowercase();
            prop_assert!(!FORBIDDEN_HEADERS.contains(&lower.as_str()));
            prop_assert!(!lower.starts_with("sec-") && !lower.starts_with("proxy-"));
            prop_assert!(!h.headers[..i]
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name)));
            prop_assert!(value
                .chars()
                .all(|c| u32::from(c) <= 0xFF && c != '\r' && c != '\n' && c != '\0'));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// options: the wrapper's form (src/options.rs)
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn options_form_never_panics_on_any_text(text in text()) {
        let f = Form::parse(&text);
        let _ = (f.get("a"), f.all("a"), f.map("a"), f.has_object("a."));
    }

    /// Whatever names and values the wrapper writes (percent-encoded, in order) read back as
    /// written: a list in order, a map as its keys and values in turn.
    #[test]
    fn options_form_reads_back_what_the_wrapper_writes(
        pairs in prop::collection::vec((arb_key(), arb_string()), 0..6),
    ) {
        let mut text = String::new();
        for (k, v) in &pairs {
            form::append_pair(&mut text, "m", k);
            form::append_pair(&mut text, "m", v);
            form::append_pair(&mut text, "l", v);
        }
        let f = Form::parse(&text);
        prop_assert_eq!(&f.map("m"), &pairs);
        prop_assert_eq!(f.all("l"), pairs.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>());
    }

    /// A whole number as the wrapper writes it (`String(n)`) reads exactly; one with a fraction
    /// or an exponent never reads as whole, however close to one it is (`15.999999999999998`
    /// is not 16), and every range refuses it.
    #[test]
    fn options_numbers_read_whole_numbers_exactly_and_nothing_else(
        n in 1u32..=600_000,
        x in prop_oneof![
            1.0f64..600_001.0,
            // A few ulps from a whole number, where repeated arithmetic could round onto it.
            (1u32..=600_000, -8i64..=8).prop_map(|(n, k)| f64::from_bits((f64::from(n).to_bits() as i64 + k) as u64)),
        ].prop_filter("whole", |x| x.fract() != 0.0),
    ) {
        let read = |text: String| Form::parse(&format!("n={}", text.replace('+', "%2B"))).whole("n", (1, 600_000, 7));
        prop_assert_eq!(read(n.to_string()), Some(n));
        prop_assert!(read(format!("{x}")).is_none(), "{} read as whole", x);
        prop_assert!(read(format!("{x:e}")).is_none(), "{:e} read as whole", x);
    }
}

// ---------------------------------------------------------------------------------------------
// config and the options of authorizationUrl()
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn config_from_any_form_never_panics_and_refuses_with_invalid_config(
        text in prop_oneof![text(), near_valid_options()],
    ) {
        match Config::from_form(&Form::parse(&text)) {
            Ok(c) => assert_config_invariants(&c)?,
            Err(e) => {
                prop_assert_eq!(e.code(), ErrorCode::InvalidConfig);
                prop_assert!(!e.message().is_empty());
            }
        }
    }

    #[test]
    fn config_accepts_every_valid_options_object_as_given(o in valid_options()) {
        let c = Config::from_form(&Form::parse(&o.to_form()));
        let c = match c {
            Ok(c) => c,
            Err(e) => return Err(TestCaseError::fail(format!("{o:?} refused: {}", e.message()))),
        };
        assert_config_invariants(&c)?;
        prop_assert_eq!(&c.client_id, &o.client_id);
        prop_assert_eq!(c.redirect_uri.as_str(), o.redirect_uri.as_str());
        prop_assert_eq!(c.scopes(), o.scopes.iter().map(String::as_str).collect::<Vec<_>>());
        prop_assert_eq!(c.authorization_endpoint.as_str(), o.endpoint());
        prop_assert_eq!(c.issuer.as_deref(), o.issuer());
        prop_assert_eq!(
            c.storage,
            if o.storage == Some("local") { StorageKind::Local } else { StorageKind::Session }
        );
        prop_assert_eq!(c.transaction_ttl_seconds, o.ttl.unwrap_or(config::DEFAULT_TRANSACTION_TTL_SECONDS));
        prop_assert_eq!(c.handoff.is_some(), o.handoff.is_some());
        if let (Some(h), Some(oh)) = (&c.handoff, &o.handoff) {
            prop_assert_eq!(&h.url, &oh.url);
            prop_assert_eq!(&h.headers, &oh.headers);
            prop_assert_eq!(h.timeout_ms, oh.timeout_ms.unwrap_or(config::DEFAULT_HANDOFF_TIMEOUT_MS));
            prop_assert_eq!(h.credentials, match oh.credentials {
                Some("include") => Credentials::Include,
                Some("omit") => Credentials::Omit,
                _ => Credentials::SameOrigin,
            });
        }
    }

    #[test]
    fn url_options_from_any_form_never_panic_and_read_back(
        text in text(),
        return_to in prop::option::of(arb_string()),
        extra in prop::collection::vec((arb_key(), arb_string()), 0..4),
        popup: bool,
    ) {
        let _ = AuthorizationUrlOptions::from_form(&Form::parse(&text), popup);
        let mut f = String::new();
        if let Some(r) = &return_to {
            form::append_pair(&mut f, "returnTo", r);
        }
        for (k, v) in &extra {
            form::append_pair(&mut f, "extraParams", k);
            form::append_pair(&mut f, "extraParams", v);
        }
        let (o, _) = AuthorizationUrlOptions::from_form(&Form::parse(&f), popup).unwrap();
        prop_assert_eq!(o.return_to, return_to);
        prop_assert_eq!(o.extra_params, extra);
    }
}

// ---------------------------------------------------------------------------------------------
// request: the authorisation URL, PKCE, state
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(proptest_config())]

    /// RFC 6749 §4.1.1 + RFC 7636 §4.3, §3.1 (each parameter at most once, the endpoint's own
    /// query kept): the URL's query parsed back (by the reference crate) has each parameter
    /// exactly once with the values given; state and challenge come from the entropy.
    #[test]
    fn rfc6749_s4_1_1_url_carries_each_parameter_once_with_the_values_given(
        o in valid_options(),
        entropy in entropy(),
        now_ms in 0u64..(1 << 62),
        return_to in prop::option::of(same_origin_path()),
        extra in prop::collection::vec(("[a-z_]{1,10}", any::<String>()), 0..4),
    ) {
        let config = o.config();
        let endpoint_query = config.authorization_endpoint.query().unwrap_or_default().to_owned();
        let endpoint_pairs: Vec<(String, String)> = form_urlencoded::parse(endpoint_query.as_bytes()).into_owned().collect();
        // Extra names: not reserved, not repeated, not the endpoint's own (refused: see the
        // property below).
        let mut extras: Vec<(String, String)> = Vec::new();
        for (n, v) in extra {
            if !RESERVED_PARAMETERS.contains(&n.as_str())
                && !extras.iter().any(|(m, _)| *m == n)
                && !endpoint_pairs.iter().any(|(m, _)| *m == n)
            {
                extras.push((n, v));
            }
        }
        let r = request::build(
            &config,
            AuthorizationUrlOptions { return_to: return_to.clone(), extra_params: extras.clone(), app_state: None },
            &entropy,
            now_ms,
        ).unwrap();

        prop_assert!(r.url.starts_with(o.endpoint()));
        let parts = uri::split(&r.url);
        prop_assert_eq!(parts.fragment, None);
        let pairs: Vec<(String, String)> = form_urlencoded::parse(parts.query.unwrap().as_bytes()).into_owned().collect();
        // The endpoint's own query first, byte for byte.
        prop_assert_eq!(&pairs[..endpoint_pairs.len()], &endpoint_pairs[..]);
        let ours = &pairs[endpoint_pairs.len()..];
        let state = URL_SAFE_NO_PAD.encode(&entropy[..32]);
        let verifier = URL_SAFE_NO_PAD.encode(&entropy[32..ENTROPY_BYTES]);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let scope = o.scopes.join(" ");
        let mut want: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", o.client_id.as_str()),
            ("redirect_uri", o.redirect_uri.as_str()),
            ("scope", scope.as_str()),
            ("state", state.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        want.extend(extras.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let got: Vec<(&str, &str)> = ours.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        prop_assert_eq!(got, want);
        for name in RESERVED_PARAMETERS {
            let count = pairs.iter().filter(|(n, _)| n == name).count();
            prop_assert_eq!(count, usize::from(name != "response_mode"), "{}", name);
        }
        // The transaction remembers what the callback needs.
        let t = &r.transaction;
        prop_assert_eq!(t.state.as_str(), state.as_str());
        prop_assert_eq!(t.verifier.secret(), verifier.as_str());
        prop_assert_eq!(t.redirect_uri.as_str(), o.redirect_uri.as_str());
        prop_assert_eq!(t.issuer.as_deref(), o.issuer());
        prop_assert_eq!(&t.context.return_to, &return_to);
        prop_assert_eq!(t.expires_at_ms, now_ms + u64::from(config.transaction_ttl_seconds) * 1000);
        prop_assert_eq!(t.storage_key(), format!("{KEY_PREFIX}{state}"));
    }

    /// RFC 6749 §3.1 ("Request and response parameters MUST NOT be included more than once"):
    /// `extraParams` that set a name the custom `authorizationEndpoint`'s query already has
    /// are refused (`invalid_parameter`, naming it); otherwise the URL has no name twice.
    /// (Formerly a finding: endpoint `https://a.example/authorize?prompt=x` with extraParams
    /// `{ prompt: "y" }` gave `…?prompt=x&…&prompt=y`.)
    #[test]
    fn rfc6749_s3_1_extra_params_never_repeat_the_endpoints_query_parameters(
        o in valid_options(),
        entropy in entropy(),
        extra in prop::collection::vec(("[a-z_]{1,2}", "[a-z]{0,3}"), 1..4),
    ) {
        let config = o.config();
        let mut extras: Vec<(String, String)> = Vec::new();
        for (n, v) in extra {
            if !RESERVED_PARAMETERS.contains(&n.as_str()) && !extras.iter().any(|(m, _)| *m == n) {
                extras.push((n, v));
            }
        }
        let endpoint_query = config.authorization_endpoint.query().unwrap_or_default().to_owned();
        let endpoint_names: Vec<String> = form::pairs(&endpoint_query).into_iter().map(|(n, _)| n).collect();
        let unique_endpoint = endpoint_names.iter().enumerate().all(|(i, n)| !endpoint_names[..i].contains(n));
        prop_assume!(unique_endpoint);
        let clash = extras.iter().find(|(n, _)| endpoint_names.contains(n)).map(|(n, _)| n.clone());
        let built = request::build(
            &config,
            AuthorizationUrlOptions { return_to: None, extra_params: extras, app_state: None },
            &entropy,
            0,
        );
        match (built, clash) {
            (Ok(r), None) => {
                let names: Vec<String> = form::pairs(uri::split(&r.url).query.unwrap()).into_iter().map(|(n, _)| n).collect();
                for (i, n) in names.iter().enumerate() {
                    prop_assert!(!names[..i].contains(n), "{} twice in {}", n, r.url);
                }
            }
            (Err(e), Some(name)) => {
                prop_assert_eq!(e.code(), ErrorCode::InvalidParameter);
                let quoted = format!("\"{name}\"");
                prop_assert!(e.message().contains(&quoted), "{}", e.message());
            }
            (Ok(r), Some(name)) => return Err(TestCaseError::fail(format!("{name} repeated in {}", r.url))),
            (Err(e), None) => return Err(TestCaseError::fail(format!("refused: {}", e.message()))),
        }
    }

    /// The library's own parameters cannot be overridden, and a returnTo is a same-origin path
    /// (RFC 9700 §4.11) or refused.
    #[test]
    fn extra_params_and_return_to_are_checked(
        o in valid_options(),
        entropy in entropy(),
        reserved in select(RESERVED_PARAMETERS.to_vec()),
        return_to in prop_oneof![text(), same_origin_path()],
    ) {
        let config = o.config();
        let e = request::build(
            &config,
            AuthorizationUrlOptions { return_to: None, extra_params: vec![(reserved.to_owned(), "x".to_owned())], app_state: None },
            &entropy,
            0,
        ).unwrap_err();
        prop_assert_eq!(e.code(), ErrorCode::InvalidParameter);
        prop_assert!(e.message().contains(reserved));
        let r = request::build(
            &config,
            AuthorizationUrlOptions { return_to: Some(return_to.clone()), extra_params: Vec::new(), app_state: None },
            &entropy,
            0,
        );
        if uri::is_same_origin_path(&return_to) {
            prop_assert_eq!(r.unwrap().transaction.context.return_to, Some(return_to));
        } else {
            prop_assert_eq!(r.unwrap_err().code(), ErrorCode::InvalidParameter);
        }
    }

    /// RFC 7636 §7.1: the verifier's entropy is the whole defence; anything but 64 bytes is
    /// refused rather than stretched, alone or followed by a digest (of any length); and 64
    /// bytes with no digest, or one of another length than 32, are refused too (Web Crypto's
    /// SHA-256 missing or failing).
    #[test]
    fn rfc7636_s7_1_entropy_of_any_other_length_is_refused(
        o in valid_options(),
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        digest in prop::collection::vec(any::<u8>(), 0..70),
    ) {
        // 96 bytes are 64 and a digest: the shape of a start's input (see `entropy`).
        prop_assume!(bytes.len() != ENTROPY_BYTES && bytes.len() != ENTROPY_BYTES + 32);
        let e = request::build(&o.config(), AuthorizationUrlOptions::default(), &bytes, 0).unwrap_err();
        prop_assert_eq!(e.code(), ErrorCode::InvalidConfig);
        let mut input = bytes.clone();
        input.extend_from_slice(&digest);
        if input.len() != ENTROPY_BYTES + 32 {
            let e = request::build(&o.config(), AuthorizationUrlOptions::default(), &input, 0).unwrap_err();
            prop_assert_eq!(e.code(), ErrorCode::InvalidConfig);
        }
        let mut short = vec![7; ENTROPY_BYTES];
        short.extend_from_slice(&digest);
        if digest.len() != 32 {
            let e = request::build(&o.config(), AuthorizationUrlOptions::default(), &short, 0).unwrap_err();
            prop_assert_eq!(e.code(), ErrorCode::InvalidConfig);
        }
    }

    /// RFC 7636 §4.1, §4.2 and RFC 6749 §10.10: verifier and state are base64url of 32 CSPRNG
    /// bytes, the challenge is BASE64URL(SHA256(verifier)) — checked with the `base64` and
    /// `sha2` crates, for generated and for supplied verifiers.
    #[test]
    fn rfc7636_s4_2_challenge_is_base64url_of_sha256_of_the_verifier(
        bytes in prop::array::uniform32(any::<u8>()),
        supplied in "[A-Za-z0-9._~-]{43,128}",
        any_bytes in prop::collection::vec(any::<u8>(), 0..100),
    ) {
        let v = PkceCodeVerifier::from_entropy(&bytes);
        prop_assert_eq!(v.secret(), URL_SAFE_NO_PAD.encode(bytes));
        prop_assert_eq!(v.secret().len(), 43);
        prop_assert_eq!(v.challenge().as_str().to_owned(), URL_SAFE_NO_PAD.encode(Sha256::digest(v.secret().as_bytes())));
        prop_assert_eq!(State::from_entropy(&bytes).as_str().to_owned(), URL_SAFE_NO_PAD.encode(bytes));
        let w = PkceCodeVerifier::new(supplied.clone()).unwrap();
        prop_assert_eq!(w.challenge().as_str().to_owned(), URL_SAFE_NO_PAD.encode(Sha256::digest(supplied.as_bytes())));
        prop_assert_eq!(pleo_oauth::text::base64url(&any_bytes), URL_SAFE_NO_PAD.encode(&any_bytes));
    }

    /// RFC 7636 §4.1: `code-verifier = 43*128unreserved`; anything else is refused, and the
    /// message never repeats it.
    #[test]
    fn rfc7636_s4_1_verifier_is_43_to_128_unreserved_characters(
        v in prop_oneof![
            text(),
            "[A-Za-z0-9._~-]{0,200}",
            ("[A-Za-z0-9._~-]{20,80}", any::<char>(), "[A-Za-z0-9._~-]{20,80}").prop_map(|(a, c, b)| format!("{a}{c}{b}")),
        ],
    ) {
        let unreserved = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
        let ok = (43..=128).contains(&v.chars().count()) && v.chars().all(unreserved);
        match PkceCodeVerifier::new(v.clone()) {
            Ok(p) => {
                prop_assert!(ok, "accepted {:?}", v);
                prop_assert_eq!(p.secret(), v.as_str());
                prop_assert_eq!(format!("{p:?}"), "PkceCodeVerifier([redacted])");
            }
            Err(e) => {
                prop_assert!(!ok, "refused {:?}", v);
                prop_assert_eq!(e.code(), ErrorCode::InvalidParameter);
                if v.len() >= 16 {
                    assert_no_secret(&e, &[&v])?;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// form encoding
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn form_append_pair_then_pairs_gives_back_every_pair(
        prefix in select(vec!["", "https://a.example/x?", "https://a.example/x?a=1&", "t=1"]),
        given in prop::collection::vec((text(), text()), 0..5),
    ) {
        let mut out = prefix.to_owned();
        for (n, v) in &given {
            form::append_pair(&mut out, n, v);
        }
        let query = if prefix.starts_with("https") { uri::split(&out).query.unwrap() } else { out.as_str() };
        let mut got = form::pairs(query);
        let skip = got.len() - given.len();
        prop_assert_eq!(got.split_off(skip), given);
    }

    /// The core's own form loops agree with the `form_urlencoded` crate byte for byte, for any
    /// name, value and query.
    #[test]
    fn form_encoding_and_parsing_agree_with_the_reference_crate(
        name in text(),
        value in text(),
        query in text(),
    ) {
        let mut ours = String::new();
        form::append_pair(&mut ours, &name, &value);
        let theirs = form_urlencoded::Serializer::new(String::new()).append_pair(&name, &value).finish();
        prop_assert_eq!(ours, theirs);
        let theirs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        prop_assert_eq!(form::pairs(&query), theirs);
    }
}

// ---------------------------------------------------------------------------------------------
// uri
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(proptest_config())]

    /// The byte-wise splitting helpers behind every parser agree with `str::split` and
    /// `str::split_once` for any text and any ASCII separator.
    #[test]
    fn text_pieces_and_cut_agree_with_str_split(
        u in text(),
        byte in select(vec![b'&', b'=', b'/', b'?', b'#', b':', b'\0', b'a']),
    ) {
        let sep = char::from(byte);
        let ours: Vec<&str> = pleo_oauth::text::pieces(&u, byte).collect();
        let theirs: Vec<&str> = u.split(sep).collect();
        prop_assert_eq!(ours, theirs);
        prop_assert_eq!(pleo_oauth::text::cut(&u, byte), u.split_once(sep));
        prop_assert_eq!(pleo_oauth::text::has(&u, byte), u.contains(sep));
    }

    /// RFC 3986 Appendix B: the five components put back together are the reference.
    #[test]
    fn rfc3986_appendix_b_split_puts_back_together(u in text()) {
        let p = uri::split(&u);
        let mut back = String::new();
        if let Some(scheme) = p.scheme {
            prop_assert!(!scheme.is_empty() && !scheme.contains([':', '/', '?', '#']));
            back.push_str(scheme);
            back.push(':');
        }
        if let Some(authority) = p.authority {
            prop_assert!(!authority.contains(['/', '?', '#']));
            back.push_str("//");
            back.push_str(authority);
        }
        prop_assert!(!p.path.contains(['?', '#']));
        back.push_str(p.path);
        if let Some(q) = p.query {
            prop_assert!(!q.contains('#'));
            back.push('?');
            back.push_str(q);
        }
        if let Some(f) = p.fragment {
            back.push('#');
            back.push_str(f);
        }
        prop_assert_eq!(back, u);
    }

    /// RFC 6749 §3.1.2, RFC 9700 §2.6: a `WebUrl` is an absolute https URL (or http on
    /// loopback), with a host, no user information, no fragment, no whitespace or controls;
    /// its origin is the one `origin_and_path` reads from `location.href`.
    #[test]
    fn web_url_parse_never_panics_and_accepts_only_https_or_loopback_http(
        raw in prop_oneof![text(), valid_web_url()],
    ) {
        match WebUrl::parse(&raw, "url", ErrorCode::InvalidConfig) {
            Ok(url) => {
                prop_assert_eq!(url.as_str(), raw.as_str());
                assert_web_url(&url)?;
            }
            Err(e) => {
                prop_assert_eq!(e.code(), ErrorCode::InvalidConfig);
                prop_assert!(e.message().starts_with("url "));
            }
        }
    }

    /// RFC 6749 §3.1.2 with API.md step 6: a redirect URI that `WebUrl` accepts and in which
    /// `rewritten_by_browsers` finds nothing is one whose path and query a browser (the WHATWG
    /// parser of the `url` crate) keeps as they are, so the callback's address can match it.
    #[test]
    fn rfc6749_s3_1_2_an_accepted_redirect_uri_keeps_its_path_and_query_in_the_browser(
        raw in redirect_uri_candidate(),
    ) {
        let Ok(url) = WebUrl::parse(&raw, "redirectUri", ErrorCode::InvalidConfig) else {
            return Ok(());
        };
        if uri::rewritten_by_browsers(&raw).is_some() {
            return Ok(());
        }
        // Hosts are the ignored property below.
        let Ok(browser) = url::Url::parse(&raw) else {
            return Ok(());
        };
        prop_assert_eq!(browser.path(), url.path(), "{:?}", raw);
        prop_assert_eq!(browser.query(), url.query(), "{:?}", raw);
    }

    /// RFC 6749 §3.1.2: the origin of an accepted redirect URI is the one a browser (the WHATWG
    /// parser of the `url` crate) shows for it, so the callback's `location.href` can match it.
    /// (Formerly a finding: `https://0/cb`, `https://127.1/cb`, `https://a.b.1/cb` were
    /// accepted; the candidates include such numeric hosts.)
    #[test]
    fn rfc6749_s3_1_2_an_accepted_redirect_uri_keeps_its_origin_in_the_browser(
        raw in redirect_uri_candidate(),
    ) {
        let Ok(url) = WebUrl::parse(&raw, "redirectUri", ErrorCode::InvalidConfig) else {
            return Ok(());
        };
        // A numeric host with a trailing dot (`https://0.0.0.0./`, reached when a candidate's
        // appended piece starts with `.`) is the ignored finding below, not checked here.
        let host = uri::split(&raw).authority.unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        if host.ends_with('.') && ends_in_a_number(host) {
            return Ok(());
        }
        let browser = url::Url::parse(&raw).map(|b| b.origin().ascii_serialization());
        prop_assert_eq!(browser, Ok(url.origin().to_owned()), "{:?}", raw);
    }

    /// WHATWG URL § IPv4 parser: a host that ends in a number is kept by a browser only as a
    /// canonical dotted quad; any other (`127.1`, `0x7f.0.0.1`, `010.0.0.1`, `1.2.3.256`,
    /// `a.b.1`, five parts) is rewritten or refused by the browser, and refused by `WebUrl` and
    /// `origin_and_path` alike ("invalid host or port"), while the dotted quads are accepted.
    #[test]
    fn whatwg_numeric_hosts_are_accepted_only_as_canonical_dotted_quads(
        host in prop_oneof![rewritten_numeric_host(), any::<[u8; 4]>().prop_map(|[a, b, c, d]| format!("{a}.{b}.{c}.{d}"))],
        port in port(),
        path in path(),
    ) {
        let raw = format!("https://{host}{port}{path}");
        let browser = url::Url::parse(&raw);
        if is_canonical_ipv4(&host) {
            let url = WebUrl::parse(&raw, "redirectUri", ErrorCode::InvalidConfig).unwrap();
            prop_assert_eq!(browser.map(|b| b.origin().ascii_serialization()), Ok(url.origin().to_owned()));
        } else {
            // The oracle agrees that a browser does not keep this host.
            prop_assert!(browser.map(|b| b.host_str() != Some(host.as_str())).unwrap_or(true), "{}", raw);
            let e = WebUrl::parse(&raw, "redirectUri", ErrorCode::InvalidConfig).unwrap_err();
            prop_assert_eq!(e.code(), ErrorCode::InvalidConfig);
            prop_assert!(e.message().contains("invalid host or port"), "{}", e.message());
            prop_assert_eq!(uri::origin_and_path(&raw), None);
        }
    }

    /// FINDING (not met yet): hosts a browser still rewrites or refuses are accepted, so a
    /// `redirectUri` on one never matches the callback's `location.href`
    /// (`redirect_uri_mismatch` on every callback) instead of being refused at `create()`:
    /// - (fixed: a numeric last label followed by a dot, `https://0./cb`, is now refused;)
    /// - an IPv6 literal not in its canonical form: `https://[0:0::1]/cb` (browser `[::1]`),
    ///   `https://[::1.2.3.4]/cb` (browser `[::102:304]`), `https://[1.2.3.4]/cb` (refused);
    /// - a label that is not valid punycode: `https://xn--a/cb` (browser: refused).
    #[test]
    #[ignore = "finding: WebUrl accepts hosts a browser rewrites (non-canonical IPv6, bad punycode)"]
    fn finding_an_accepted_redirect_uri_host_is_kept_by_the_browser(
        host in prop_oneof![
            (rewritten_numeric_host(), any::<[u8; 4]>().prop_map(|[a, b, c, d]| format!("{a}.{b}.{c}.{d}")))
                .prop_flat_map(|(r, q)| select(vec![format!("{r}."), format!("{q}.")])),
            prop::collection::vec(prop_oneof!["[0-9a-fA-F]{1,4}", Just(String::new()), Just("1.2.3.4".to_owned())], 1..9)
                .prop_map(|groups| format!("[{}]", groups.join(":"))),
            "xn--[a-z0-9-]{0,6}(\\.[a-z]{2,4})?",
        ],
    ) {
        let raw = format!("https://{host}/cb");
        if let Ok(url) = WebUrl::parse(&raw, "redirectUri", ErrorCode::InvalidConfig) {
            let browser = url::Url::parse(&raw).map(|b| b.origin().ascii_serialization());
            prop_assert_eq!(browser, Ok(url.origin().to_owned()), "{:?}", raw);
        }
    }

    #[test]
    fn origin_and_path_never_panics_and_serialises_like_a_browser(u in prop_oneof![text(), valid_web_url()]) {
        if let Some((origin, path)) = uri::origin_and_path(&u) {
            prop_assert_eq!(origin.to_ascii_lowercase(), origin.clone());
            prop_assert!(origin.starts_with("https://") || origin.starts_with("http://"));
            prop_assert!(!origin.ends_with(":443") || !origin.starts_with("https:"));
            prop_assert!(!origin.ends_with(":80") || !origin.starts_with("http:"));
            prop_assert!(path.starts_with('/'));
        }
    }

    /// RFC 9700 §4.11 (open redirection): a path the rule accepts resolves, by the WHATWG URL
    /// parser (the `url` crate) as a browser would, on the page's own origin.
    #[test]
    fn rfc9700_s4_11_same_origin_path_resolves_on_the_same_origin(
        p in prop_oneof![text(), same_origin_path(), soup(&["/", "\\", ".", "..", "%2F", "%5C", "\t", "@", ":", "//", "x"], 8)],
    ) {
        if uri::is_same_origin_path(&p) {
            let base = url::Url::parse("https://app.example.com/pleo/callback?code=c").unwrap();
            // A path the WHATWG parser refuses cannot be navigated to at all.
            if let Ok(resolved) = base.join(&p) {
                prop_assert_eq!(resolved.origin(), base.origin(), "{:?} → {}", p, resolved);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// callback and transaction
// ---------------------------------------------------------------------------------------------

/// A callback parameter's name as written, or with one byte percent-encoded (it decodes to
/// the same name).
fn spelling(name: &str, (i, encode): (prop::sample::Index, bool)) -> String {
    if !encode {
        return name.to_owned();
    }
    let i = i.index(name.len());
    format!(
        "{}%{:02X}{}",
        &name[..i],
        name.as_bytes()[i],
        &name[i + 1..]
    )
}

/// A deterministic shuffle from `seed`.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        items.swap(i, (seed >> 33) as usize % (i + 1));
    }
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn callback_parse_locate_and_strip_never_panic_on_any_text(url in text()) {
        match callback::parse(&url) {
            Ok(_) => {}
            Err(e) => prop_assert_eq!(e.code(), ErrorCode::DuplicateParameter),
        }
        if let Ok(callback::Located { params: p, key, origin, path }) = callback::locate(&url) {
            prop_assert_eq!(uri::origin_and_path(&url), Some((origin, path)));
            // Only an absolute http(s) URL with a valid host is read as a callback.
            prop_assert!(uri::origin_and_path(&url).is_some(), "{:?} located", url);
            let state = p.state().unwrap().to_owned();
            prop_assert!(!state.is_empty());
            prop_assert!(p.code().is_some() || p.error().is_some());
            // Only a state this library could have issued (base64url) names a record.
            let issuable = state.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            prop_assert_eq!(key, issuable.then(|| transaction::storage_key(&state)));
        }
        let _ = callback::strip_callback_parameters(&url);
        // Any text as the stored record, handled by the shipped path.
        for via in [callback::Via::Page, callback::Via::Popup] {
            let _ = callback::handle(&some_config(), &url, &url, &url, via, 0);
        }
    }

    /// RFC 6749 §3.1: a callback URL that repeats one of its parameters (empty values and
    /// percent-encoded names included) is refused before any storage is read (by `verify` as
    /// a duplicate when the URL is absolute; a relative one is refused earlier still, as
    /// `invalid_parameter`).
    #[test]
    fn rfc6749_s3_1_repeated_callback_parameter_is_refused(
        base in prop_oneof![web_url(&CALLBACK_PARAMETERS), Just("/cb".to_owned())],
        noise in prop::collection::vec(("[a-z]{1,6}", "[a-z0-9]{0,4}"), 0..4),
        which in 0usize..6,
        spellings in any::<((prop::sample::Index, bool), (prop::sample::Index, bool))>(),
        values in ("[A-Za-z0-9]{0,6}", "[A-Za-z0-9]{0,6}"),
        others in prop::collection::vec(secret(), 0..3),
        order in any::<u64>(),
    ) {
        let name = CALLBACK_PARAMETERS[which];
        let mut segments: Vec<String> = noise
            .iter()
            .filter(|(n, _)| !CALLBACK_PARAMETERS.contains(&n.as_str()))
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        for (k, v) in others.iter().enumerate() {
            segments.push(format!("{}={v}", CALLBACK_PARAMETERS[(which + 1 + k) % 6]));
        }
        segments.push(format!("{}={}", spelling(name, spellings.0), values.0));
        segments.push(format!("{}={}", spelling(name, spellings.1), values.1));
        shuffle(&mut segments, order);
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}{}", segments.join("&"));
        let e = callback::parse(&url).unwrap_err();
        prop_assert_eq!(e.code(), ErrorCode::DuplicateParameter);
        let quoted = format!("\"{name}\"");
        prop_assert!(e.message().contains(&quoted), "{}", e.message());
        let h = callback::handle(&some_config(), &url, &url, "", callback::Via::Page, 0);
        let e = h.outcome.unwrap_err();
        let absolute = base != "/cb";
        prop_assert_eq!(
            e.code(),
            if absolute { ErrorCode::DuplicateParameter } else { ErrorCode::InvalidParameter }
        );
        prop_assert!(h.store.is_empty(), "storage edited before the duplicate check");
    }

    /// `handleCallback(url)` needs the whole address: a callback given as a path, a query, a
    /// network-path reference, another scheme or a host no browser keeps is refused
    /// (`invalid_parameter`) before the storage is read, so the transaction stays pending and
    /// the absolute callback still verifies.
    #[test]
    fn a_callback_url_that_is_not_absolute_http_is_refused_before_storage_is_read(
        o in valid_options(),
        entropy in entropy(),
        code in secret(),
        how in 0usize..7,
        bad_host in rewritten_numeric_host(),
    ) {
        let mut flow = start_flow(&o, &entropy, 1_000, None);
        let url = flow.good_callback(&code);
        let p = uri::split(&url);
        let path_and_query = format!("{}?{}", p.path, p.query.unwrap());
        let relative = match how {
            0 => path_and_query.clone(),
            1 => format!("?{}", p.query.unwrap()),
            2 => path_and_query.trim_start_matches('/').to_owned(),
            3 => format!("//{}{path_and_query}", p.authority.unwrap()),
            4 => format!("javascript://{}{path_and_query}", p.authority.unwrap()),
            5 => format!("file://{path_and_query}"),
            _ => format!("https://{bad_host}{path_and_query}"),
        };
        prop_assert_eq!(uri::origin_and_path(&relative), None, "{:?}", relative);
        let e = flow.store.verify(&relative, 1_000).unwrap_err();
        prop_assert_eq!(e.code(), ErrorCode::InvalidParameter, "{:?}", relative);
        prop_assert_eq!(flow.store.edits.get(), 0, "storage edited for {:?}", relative);
        assert_no_secret(&e, &[&code])?;
        prop_assert!(flow.store.verify(&url, 1_000).is_ok(), "{:?} consumed the transaction", relative);
    }

    /// Each callback parameter given once reads back (an empty one as omitted, RFC 6749 §3.1);
    /// other parameters and the fragment are ignored.
    #[test]
    fn callback_parse_reads_back_each_parameter_given_once(
        base in prop_oneof![web_url(&CALLBACK_PARAMETERS), Just("/cb".to_owned())],
        values in prop::collection::vec(prop::option::of(text()), 6),
        noise in prop::collection::vec(("[a-z]{1,6}", text()), 0..3),
        fragment in prop::option::of(text()),
    ) {
        let mut url = base;
        url.push(if url.contains('?') { '&' } else { '?' });
        for (name, v) in CALLBACK_PARAMETERS.iter().zip(&values) {
            if let Some(v) = v {
                form::append_pair(&mut url, name, v);
            }
        }
        for (n, v) in &noise {
            if !CALLBACK_PARAMETERS.contains(&n.as_str()) {
                form::append_pair(&mut url, n, v);
            }
        }
        if let Some(f) = fragment {
            url.push('#');
            url.push_str(&f);
        }
        let p = callback::parse(&url).unwrap();
        let want = |i: usize| values[i].clone().filter(|v| !v.is_empty());
        prop_assert_eq!(p.code().map(str::to_owned), want(0));
        prop_assert_eq!(p.state().map(str::to_owned), want(1));
        prop_assert_eq!(p.error().map(str::to_owned), want(2));
        prop_assert_eq!(p.error_description().map(str::to_owned), want(3));
        prop_assert_eq!(p.error_uri().map(str::to_owned), want(4));
        prop_assert_eq!(p.iss().map(str::to_owned), want(5));
    }

    /// Step 9: only the callback parameters leave the address bar; every other query segment
    /// stays byte for byte, in order, and the fragment stays.
    #[test]
    fn strip_callback_parameters_removes_exactly_the_callback_parameters(u in text()) {
        let clean = callback::strip_callback_parameters(&u);
        prop_assert_eq!(callback::parse(&clean), Ok(CallbackParameters::default()));
        let parts = uri::split(&u);
        let kept: Vec<&str> = parts.query.unwrap_or_default().split('&').filter(|s| {
            !s.is_empty() && !CALLBACK_PARAMETERS.contains(&form::decode_segment(s).0.as_str())
        }).collect();
        let mut want = if parts.path.is_empty() { "/".to_owned() } else { parts.path.to_owned() };
        if !kept.is_empty() {
            want.push('?');
            want.push_str(&kept.join("&"));
        }
        if let Some(f) = parts.fragment {
            want.push('#');
            want.push_str(f);
        }
        prop_assert_eq!(clean, want);
    }

    /// The wrapper puts `location.origin + clean` in the address bar: the page's own origin and
    /// path (by the WHATWG parser), with no callback parameter left and the rest of the query
    /// and the fragment kept. (`clean` alone is a network-path reference when the path starts
    /// with `//`, e.g. `"//cb"` for `https://app.example.com//cb?code=c`: hence the origin.)
    #[test]
    fn strip_callback_parameters_keeps_the_address_on_the_page(
        path in path(),
        params in "(&(code|state|iss|error|x|tab)=[a-z%]{0,4}){1,4}",
        fragment in prop::option::of("[a-z?&=/]{0,6}"),
    ) {
        let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
        let here = format!("https://app.example.com{path}?{params}{fragment}");
        let clean = callback::strip_callback_parameters(&here);
        let base = url::Url::parse(&here).unwrap();
        let shown = url::Url::parse(&format!("{}{clean}", base.origin().ascii_serialization()));
        let shown = shown.map_err(|e| TestCaseError::fail(format!("{clean:?}: {e}")))?;
        prop_assert_eq!(shown.origin(), base.origin());
        prop_assert_eq!(shown.path(), base.path());
        prop_assert_eq!(shown.fragment(), base.fragment());
        let names: Vec<String> = shown.query_pairs().map(|(n, _)| n.into_owned()).collect();
        prop_assert!(names.iter().all(|n| !CALLBACK_PARAMETERS.contains(&n.as_str())), "{}", shown);
    }

    /// RFC 6749 §10.5, RFC 9700 §4.7: a verified callback consumes its transaction (no record
    /// holds its verifier afterwards); the same callback again is never a second success —
    /// `already_handled` while the completed record lasts, `unknown_state` once it expired;
    /// storage is edited only under the state's key and the key of the address step 9 left.
    #[test]
    fn rfc6749_s10_5_verify_consumes_the_transaction_exactly_once(
        o in valid_options(),
        entropy in entropy(),
        now_ms in 0u64..(1 << 50),
        elapsed in 0u64..600_000,
        code in secret(),
        return_to in prop::option::of(same_origin_path()),
    ) {
        let mut flow = start_flow(&o, &entropy, now_ms, return_to);
        let url = flow.good_callback(&code);
        let now = now_ms + elapsed.min(flow.expires_at_ms - now_ms - 1);
        let v = flow.store.verify(&url, now).unwrap();
        prop_assert_eq!(v.code.secret(), code.as_str());
        prop_assert_eq!(v.state.as_str(), flow.state.as_str());
        prop_assert_eq!(v.verifier.secret(), flow.verifier.as_str());
        prop_assert_eq!(&v.redirect_uri, &flow.redirect_uri);
        prop_assert_eq!(&v.context.return_to, &flow.return_to);
        let key = transaction::storage_key(&flow.state);
        // ... and under the address step 9 left (the page's own), for a reload.
        let (origin, _) = uri::origin_and_path(&url).unwrap();
        let left = transaction::address_key(&origin, &callback::strip_callback_parameters(&url));
        prop_assert!(flow.store.edited.iter().all(|k| *k == key || *k == left), "{:?}", flow.store.edited);
        prop_assert!(!flow.store.holds(&flow.verifier), "the transaction was consumed");
        let e = flow.store.verify(&url, now).unwrap_err();
        prop_assert_eq!(e.code(), ErrorCode::AlreadyHandled);
        prop_assert_eq!(e.context().and_then(|c| c.return_to.clone()), flow.return_to.clone());
        let later = now.saturating_add(u64::from(flow.store.config.transaction_ttl_seconds) * 1000);
        let e = flow.store.verify(&url, later).unwrap_err();
        prop_assert_eq!(e.code(), ErrorCode::UnknownState);
        prop_assert!(flow.store.edited.iter().all(|k| *k == key || *k == left), "{:?}", flow.store.edited);
    }

    /// RFC 9700 §4.7, §4.11: storage is writable by any script of the origin, so a record
    /// counts only when it agrees with this client's configuration (redirect URI, an expiry
    /// within the longest time to live); one that does not is `unknown_state`. One that agrees
    /// but was started with another issuer is found and fails step 5: `issuer_mismatch`.
    #[test]
    fn rfc9700_s4_7_a_record_that_disagrees_with_the_configuration_is_unknown_state(
        o in valid_options(),
        other in valid_options(),
        entropy in entropy(),
        now_ms in 0u64..(1 << 50),
        code in secret(),
        extra_ms in 1u64..(1 << 40),
    ) {
        let flow = start_flow(&o, &entropy, now_ms, None);
        let url = flow.good_callback(&code);
        let record = flow.store.records.values().next().unwrap().clone();
        let run = |config: &Config, record: &str| {
            callback::handle(config, &url, &url, record, callback::Via::Page, now_ms).outcome
        };
        let config = o.config();
        prop_assert!(run(&config, &record).is_ok());
        let other = other.config();
        // Found only by the client that wrote it (client ID, endpoint, handoff URL) with the
        // same redirect URI; then step 5 compares the issuers.
        let same_redirect = other.redirect_uri.as_str() == config.redirect_uri.as_str()
            && other.binding == config.binding;
        let agrees = same_redirect && other.issuer == config.issuer;
        match run(&other, &record) {
            Ok(_) => prop_assert!(agrees),
            Err(e) => prop_assert!(!agrees || e.code() != ErrorCode::UnknownState, "{:?}", e),
        }
        if !agrees {
            let want = if same_redirect { ErrorCode::IssuerMismatch } else { ErrorCode::UnknownState };
            prop_assert_eq!(run(&other, &record).unwrap_err().code(), want);
        }
        // The same client with another issuer (or none, or one): found, and issuer_mismatch.
        let mut moved = config.clone();
        moved.issuer = match &config.issuer {
            Some(i) => (extra_ms % 2 == 1).then(|| format!("{i}x")),
            None => Some("https://other-issuer.example".into()),
        };
        prop_assert_eq!(run(&moved, &record).unwrap_err().code(), ErrorCode::IssuerMismatch);
        // An expiry beyond the longest time to live was not written by this client.
        let latest = now_ms + u64::from(config::MAX_TRANSACTION_TTL_SECONDS) * 1000;
        let mut stretched = String::new();
        for (n, v) in form::pairs(&record) {
            let v = if n == "exp" { (latest + extra_ms).to_string() } else { v };
            form::append_pair(&mut stretched, &n, &v);
        }
        prop_assert_eq!(run(&config, &stretched).unwrap_err().code(), ErrorCode::UnknownState);
    }

    /// The transaction lives until, not including, its expiry instant.
    #[test]
    fn verify_refuses_a_callback_at_the_expiry_instant(
        o in valid_options(),
        entropy in entropy(),
        now_ms in prop_oneof![0u64..(1 << 50), Just(u64::MAX - 1000), Just(0)],
        code in secret(),
        after in 0u64..10,
    ) {
        let mut early = start_flow(&o, &entropy, now_ms, None);
        let mut late = start_flow(&o, &entropy, now_ms, None);
        let url = early.good_callback(&code);
        let deadline = early.expires_at_ms;
        if deadline > now_ms + 1 {
            prop_assert!(early.store.verify(&url, deadline - 1).is_ok());
        }
        let e = late.store.verify(&url, deadline.saturating_add(after)).unwrap_err();
        prop_assert_eq!(e.code(), ErrorCode::Expired);
        prop_assert!(!late.store.holds(&late.verifier), "an expired transaction is consumed too");
    }

    /// The error of every failing callback names no secret: not the code, not the verifier.
    #[test]
    fn messages_never_contain_the_code_or_the_verifier(
        o in valid_options(),
        entropy in entropy(),
        code in secret(),
        issuer in prop::option::of(Just("https://auth.example.com".to_owned())),
        bad_verifier in ("[A-Za-z0-9_-]{30,60}", select(vec!["+", "/", "=", " ", "%", "é", "\u{0}"]))
            .prop_map(|(v, c)| format!("{v}{c}{v}")),
    ) {
        let mut o = o;
        if let (Some(i), Environment::Custom { issuer: slot, .. }) = (&issuer, &mut o.environment) {
            *slot = Some(i.clone());
        }
        let fresh = || start_flow(&o, &entropy, 1_000, None);
        let flow = fresh();
        let state = flow.state.clone();
        let verifier = flow.verifier.clone();
        let secrets = [code.as_str(), verifier.as_str()];
        let other_path = {
            let p = uri::split(&flow.redirect_uri);
            format!("{}://{}/elsewhere?code={code}&state={state}", p.scheme.unwrap(), p.authority.unwrap())
        };
        let failures: Vec<(String, u64)> = vec![
            (flow.callback(&[("code", &code), ("code", &code), ("state", &state)]), 1_000),
            (flow.callback(&[("code", &code)]), 1_000),
            (flow.callback(&[("code", &code), ("state", "forged")]), 1_000),
            (flow.good_callback(&code), flow.expires_at_ms),
            (flow.callback(&[("code", &code), ("state", &state), ("iss", "https://evil.example")]), 1_000),
            (other_path, 1_000),
            (flow.callback(&[("error", "access_denied"), ("code", &code), ("state", &state)]), 1_000),
            (flow.callback(&[("error", "server_error"), ("error_description", "x"), ("state", &state)]), 1_000),
        ];
        for (url, now) in failures {
            let mut flow = fresh();
            match flow.store.verify(&url, now) {
                Ok(_) => {
                    // Only the issuer case passes when no issuer is configured.
                    prop_assert!(url.contains("evil.example") && flow.issuer.is_none(), "{}", url);
                }
                Err(e) => assert_no_secret(&e, &secrets)?,
            }
        }
        let e = PkceCodeVerifier::new(bad_verifier.clone()).unwrap_err();
        assert_no_secret(&e, &[&bad_verifier])?;
    }

    /// The stored record round-trips every valid transaction.
    #[test]
    fn transaction_encode_then_decode_gives_the_same_fields(
        state in text(),
        verifier in "[A-Za-z0-9._~-]{43,128}",
        redirect_uri in prop_oneof![text(), valid_web_url()],
        issuer in prop::option::of(text()),
        return_to in prop::option::of(same_origin_path()),
        expires_at_ms in any::<u64>(),
        client in text(),
        popup in any::<bool>(),
    ) {
        let t = Transaction {
            state: State::from_callback(state.clone()),
            client: client.clone(),
            popup,
            verifier: PkceCodeVerifier::new(verifier.clone()).unwrap(),
            redirect_uri: redirect_uri.clone(),
            issuer: issuer.clone(),
            context: Context {
                return_to: return_to.clone(),
                app_state: None,
            },
            expires_at_ms,
        };
        let back = Transaction::decode(State::from_callback(state.clone()), &t.encode()).unwrap();
        prop_assert_eq!(back.state.as_str(), state.as_str());
        prop_assert_eq!(back.verifier.secret(), verifier.as_str());
        prop_assert_eq!(back.redirect_uri, redirect_uri);
        prop_assert_eq!(back.issuer, issuer);
        prop_assert_eq!(back.context.return_to, return_to);
        prop_assert_eq!(back.expires_at_ms, expires_at_ms);
        prop_assert_eq!(back.client, client);
        prop_assert_eq!(back.popup, popup);
    }

    /// Storage is writable by any script of the origin: a record with an unknown or repeated
    /// field, another version, a bad verifier or expiry, or a returnTo that is not a
    /// same-origin path (RFC 9700 §4.11) is void.
    #[test]
    fn transaction_decode_refuses_unknown_or_repeated_fields_and_foreign_return_to(
        verifier in "[A-Za-z0-9._~-]{43,128}",
        expires_at_ms in any::<u64>(),
        unknown in prop_oneof![
            "[a-z_]{0,12}",
            text(),
        ].prop_filter("a field", |n| !["v", "c", "verifier", "redirect_uri", "exp", "iss", "return_to", "p"].contains(&n.as_str())),
        repeated in select(vec!["v", "c", "verifier", "redirect_uri", "exp", "iss", "return_to", "%76", "ex%70", "%63"]),
        value in text(),
        at in any::<prop::sample::Index>(),
        return_to in text(),
        // This version's "4", the versions before it, and any text.
        version in prop_oneof![Just("4".to_string()), "[0-9]{1,2}", text()],
        exp in prop_oneof![text(), "[+-]?[0-9]{0,22}"],
    ) {
        let t = Transaction {
            state: State::from_callback("s".into()),
            client: "client".into(),
            popup: false,
            verifier: PkceCodeVerifier::new(verifier).unwrap(),
            redirect_uri: "https://app.example.com/cb".into(),
            issuer: Some("https://auth.example.com".into()),
            context: Context {
                return_to: Some("/back".into()),
                app_state: None,
            },
            expires_at_ms,
        };
        let record = t.encode();
        let st = || State::from_callback("s".into());
        prop_assert!(Transaction::decode(st(), &record).is_some());
        let with = |segment: String| {
            let mut segments: Vec<String> = record.split('&').map(String::from).collect();
            let at = at.index(segments.len() + 1);
            segments.insert(at, segment);
            segments.join("&")
        };
        let mut unknown_segment = String::new();
        form::append_pair(&mut unknown_segment, &unknown, &value);
        prop_assert!(Transaction::decode(st(), &with(unknown_segment)).is_none(), "unknown field");
        let mut repeated_segment = String::new();
        form::append_pair(&mut repeated_segment, "x", &value);
        let repeated_segment = repeated_segment.replacen('x', repeated, 1);
        prop_assert!(Transaction::decode(st(), &with(repeated_segment)).is_none(), "repeated field");

        let replace = |name: &str, v: &str| {
            let mut out = String::new();
            for (n, old) in form::pairs(&record) {
                form::append_pair(&mut out, &n, if n == name { v } else { &old });
            }
            out
        };
        let decoded = Transaction::decode(st(), &replace("return_to", &return_to));
        prop_assert_eq!(decoded.is_some(), uri::is_same_origin_path(&return_to), "{:?}", return_to);
        let decoded = Transaction::decode(st(), &replace("v", &version));
        prop_assert_eq!(decoded.is_some(), version == "4", "{:?}", version);
        // The expiry as `decimal` writes it: 1 to 20 ASCII digits (no sign), within u64.
        let decoded = Transaction::decode(st(), &replace("exp", &exp));
        let digits = exp.len() <= 20 && exp.bytes().all(|b| b.is_ascii_digit());
        let want = digits.then(|| exp.parse::<u64>().ok()).flatten();
        prop_assert_eq!(decoded.map(|t| t.expires_at_ms), want, "{:?}", exp);
        prop_assert!(Transaction::decode(st(), &replace("verifier", &value)).is_some() == PkceCodeVerifier::new(value.clone()).is_ok());
    }

    /// RFC 3629: the core's UTF-8 scanner (which the module's export trusts before it reads its
    /// arguments as text) agrees with `core::str::from_utf8` and `String::from_utf8_lossy` on
    /// any bytes, biased to the bytes where UTF-8 is subtle.
    #[test]
    fn utf8_scanner_agrees_with_std(bytes in prop::collection::vec(prop_oneof![
        any::<u8>(),
        select(vec![0x00u8, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]),
    ], 0..24)) {
        let mut out = String::new();
        let valid = pleo_oauth::text::utf8(&bytes, Some(&mut out));
        prop_assert_eq!(valid, std::str::from_utf8(&bytes).is_ok());
        prop_assert_eq!(out, String::from_utf8_lossy(&bytes).into_owned());
    }

    #[test]
    fn transaction_decode_never_panics_on_any_text(state in text(), stored in prop_oneof![text(), soup(URL_PIECES, 40)]) {
        if let Some(t) = Transaction::decode(State::from_callback(state), &stored) {
            prop_assert!(t.context.return_to.as_deref().is_none_or(uri::is_same_origin_path));
        }
    }

    /// `stale_keys` names exactly this library's records that are expired or unreadable, in order.
    #[test]
    fn stale_keys_are_exactly_our_expired_or_unreadable_records(
        entries in prop::collection::vec(
            (
                prop_oneof![text(), "[a-z]{0,4}".prop_map(|s| format!("{KEY_PREFIX}{s}"))],
                prop_oneof![
                    text(),
                    (0u64..2_000).prop_map(|exp| Transaction {
                        state: State::from_callback("s".into()),
                        client: "client".into(),
                        popup: exp % 2 == 0,
                        verifier: PkceCodeVerifier::new("v".repeat(43)).unwrap(),
                        redirect_uri: "https://app.example.com/cb".into(),
                        issuer: None,
                        context: Context::default(),
                        expires_at_ms: exp,
                    }.encode()),
                ],
            ),
            0..6,
        ),
        now in 0u64..2_000,
    ) {
        let want: Vec<String> = entries.iter().filter(|(k, v)| {
            k.strip_prefix(KEY_PREFIX).is_some_and(|st| {
                Transaction::decode(State::from_callback(st.into()), v).is_none_or(|t| t.expires_at_ms <= now)
            })
        }).map(|(k, _)| k.clone()).collect();
        prop_assert_eq!(transaction::stale_keys(&entries, now), want);
    }
}

// ---------------------------------------------------------------------------------------------
// config: a redirect URI the callbacks can arrive at
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(proptest_config())]

    /// RFC 6749 §3.1.2: the query of the redirection URI is retained in the callback, so a
    /// callback parameter there would come back in every callback, repeated (`?state=1` →
    /// `duplicate_parameter`) or as the server's (`?error=x`, `?iss=…`).
    /// Formerly a finding (`redirectUri: "https://app.example.com/cb?state=1"` was accepted);
    /// now refused as `invalid_config` naming the parameter, however it is spelt (a byte
    /// percent-encoded) and wherever it stands in the query.
    #[test]
    fn rfc6749_s3_1_2_redirect_uri_with_a_callback_parameter_is_refused(
        o in valid_options(),
        name in select(CALLBACK_PARAMETERS.to_vec()),
        spelt in any::<(prop::sample::Index, bool)>(),
        value in "[A-Za-z0-9]{0,4}",
        others in prop::collection::vec(("[a-z]{1,6}", "[a-z0-9]{0,4}"), 0..3),
        order in any::<u64>(),
    ) {
        let mut segments: Vec<String> = others
            .iter()
            .filter(|(n, _)| !CALLBACK_PARAMETERS.contains(&n.as_str()))
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        segments.push(format!("{}={value}", spelling(name, spelt)));
        shuffle(&mut segments, order);
        let mut o = o;
        let base = o.redirect_uri.split('?').next().unwrap().to_owned();
        o.redirect_uri = format!("{base}?{}", segments.join("&"));
        let e = Config::from_form(&Form::parse(&o.to_form())).unwrap_err();
        prop_assert_eq!(e.code(), ErrorCode::InvalidConfig);
        let quoted = format!("\"{name}\"");
        prop_assert!(e.message().contains(&quoted), "{}: {}", o.redirect_uri, e.message());
    }
}

// ---------------------------------------------------------------------------------------------
// uri: the byte-wise rules against their statement over `str`
// ---------------------------------------------------------------------------------------------

/// `src/uri.rs`'s rules as they were first written, over `str` and `char` (Appendix B by
/// `split_once`, hosts and ports by `rsplit_once` and `parse`, whitespace by
/// `char::is_whitespace`): the shipped code reads them in one pass over bytes, for size, and
/// must agree with this statement on every input.
mod stated {
    use pleo_oauth::messages::Msg;

    pub type Parts<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
    );

    /// RFC 3986 Appendix B: `^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?`.
    pub fn split(uri: &str) -> Parts<'_> {
        let (rest, fragment) = match uri.split_once('#') {
            Some((r, f)) => (r, Some(f)),
            None => (uri, None),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (scheme, rest) = match rest.find([':', '/']) {
            Some(i) if i > 0 && rest[i..].starts_with(':') => (Some(&rest[..i]), &rest[i + 1..]),
            _ => (None, rest),
        };
        let (authority, path) = match rest.strip_prefix("//") {
            Some(after) => match after.find('/') {
                Some(i) => (Some(&after[..i]), &after[i..]),
                None => (Some(after), ""),
            },
            None => (None, rest),
        };
        (scheme, authority, path, query, fragment)
    }

    fn blank(s: &str) -> bool {
        s.chars().any(|c| c.is_whitespace() || c.is_control())
    }

    pub fn is_same_origin_path(path: &str) -> bool {
        path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') && !blank(path)
    }

    /// The WHATWG IPv4 rule: a host whose last label (one empty last label dropped) is a
    /// number must be a canonical dotted quad.
    fn canonical_if_numeric(host: &str) -> bool {
        let labels = host.strip_suffix('.').unwrap_or(host);
        let last = labels.rsplit('.').next().unwrap_or_default();
        let numeric = match last.strip_prefix("0x").or_else(|| last.strip_prefix("0X")) {
            Some(hex) => hex.bytes().all(|b| b.is_ascii_hexdigit()),
            None => !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()),
        };
        !numeric
            || (host.split('.').count() == 4
                && host.split('.').all(|p| {
                    (1..=3).contains(&p.len())
                        && p.bytes().all(|b| b.is_ascii_digit())
                        && (p.len() == 1 || !p.starts_with('0'))
                        && p.parse::<u32>().is_ok_and(|n| n <= 255)
                }))
    }

    pub fn host_and_port(authority: &str) -> Option<(&str, Option<&str>)> {
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => (h, p),
            _ => (authority, ""),
        };
        let valid_host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(v6) => {
                !v6.is_empty()
                    && v6
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            }
            None => {
                !host.is_empty()
                    && host.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
                    })
                    && canonical_if_numeric(host)
            }
        };
        if !valid_host
            || port.len() > 5
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u32>().is_ok_and(|n| n > 65_535)
        {
            return None;
        }
        let trimmed = port.trim_start_matches('0');
        let port = if trimmed.is_empty() && !port.is_empty() {
            "0"
        } else {
            trimmed
        };
        Some((host, Some(port).filter(|p| !p.is_empty())))
    }

    fn origin(https: bool, host: &str, port: Option<&str>) -> String {
        let scheme = if https { "https" } else { "http" };
        let host = host.to_ascii_lowercase();
        match port {
            Some(p) if p != if https { "443" } else { "80" } => format!("{scheme}://{host}:{p}"),
            _ => format!("{scheme}://{host}"),
        }
    }

    /// `WebUrl::parse`: the origin, or the first rule broken.
    pub fn parse(raw: &str) -> Result<String, Msg> {
        if raw.is_empty() {
            return Err(Msg::UrlEmpty);
        }
        if blank(raw) {
            return Err(Msg::UrlWhitespace);
        }
        let (scheme, authority, _, _, fragment) = split(raw);
        let scheme = scheme.ok_or(Msg::UrlNotAbsolute)?;
        if fragment.is_some() {
            return Err(Msg::UrlFragment);
        }
        let authority = authority.unwrap_or_default();
        if authority.is_empty() {
            return Err(Msg::UrlNoHost);
        }
        if authority.contains('@') {
            return Err(Msg::UrlUserInfo);
        }
        let (host, port) = host_and_port(authority).ok_or(Msg::UrlHost)?;
        let https = scheme.eq_ignore_ascii_case("https");
        if !https && !scheme.eq_ignore_ascii_case("http") {
            return Err(Msg::UrlScheme);
        }
        if !https
            && !["localhost", "127.0.0.1", "[::1]"].contains(&host.to_ascii_lowercase().as_str())
        {
            return Err(Msg::UrlPlainHttp);
        }
        Ok(origin(https, host, port))
    }

    pub fn origin_and_path(url: &str) -> Option<(String, &str)> {
        let (scheme, authority, path, _, _) = split(url);
        let scheme = scheme?;
        let https = scheme.eq_ignore_ascii_case("https");
        if !https && !scheme.eq_ignore_ascii_case("http") {
            return None;
        }
        let authority = authority.filter(|a| !a.is_empty() && !a.contains('@'))?;
        let (host, port) = host_and_port(authority)?;
        Some((
            origin(https, host, port),
            if path.is_empty() { "/" } else { path },
        ))
    }

    pub fn rewritten_by_browsers(url: &str) -> Option<&str> {
        let (_, _, path, query, _) = split(url);
        for segment in path.split('/') {
            let lower = segment.to_ascii_lowercase();
            if [".", "..", "%2e", "%2e%2e", ".%2e", "%2e."].contains(&lower.as_str()) {
                return Some(segment);
            }
        }
        for (piece, also) in [(path, '\0'), (query.unwrap_or_default(), '\'')] {
            if let Some((i, c)) = piece
                .char_indices()
                .find(|&(_, c)| !c.is_ascii() || "\"<>`{}\\".contains(c) || c == also)
            {
                return Some(&piece[i..i + c.len_utf8()]);
            }
        }
        None
    }
}

/// Text made of the pieces authorities, paths and queries are made of, where the rules split.
fn url_like() -> BoxedStrategy<String> {
    const PIECES: &[&str] = &[
        "https",
        "http",
        "HTTP",
        "hTtPs",
        "ftp",
        ":",
        "://",
        "//",
        "/",
        "?",
        "#",
        "@",
        "[",
        "]",
        "[::1]",
        "::",
        ".",
        "..",
        "%2e",
        "%2E",
        "%",
        "'",
        "\"",
        "<",
        "{",
        "`",
        "\\",
        "0",
        "00",
        "0x",
        "0X",
        "1",
        "9",
        "127",
        "255",
        "256",
        "65535",
        "65536",
        "99999",
        "080",
        "443",
        "80",
        "a",
        "Z",
        "f",
        "-",
        "_",
        "~",
        "localhost",
        "LocalHost",
        "127.0.0.1",
        " ",
        "\t",
        "\u{0}",
        "\u{7f}",
        "\u{85}",
        "\u{a0}",
        "\u{2028}",
        "\u{3000}",
        "é",
        "😀",
    ];
    prop_oneof![
        2 => soup(PIECES, 24),
        1 => (
            select(vec!["https://", "http://", "HTTP://", "Https://", "x:", "//", ""]),
            soup(PIECES, 10),
            select(vec!["", ":", ":0", ":00", ":443", ":80", ":080", ":65535", ":65536", ":000443", ":1a"]),
            soup(PIECES, 10),
        )
            .prop_map(|(s, h, p, rest)| format!("{s}{h}{p}{rest}")),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(proptest_config())]

    /// The URL rules of `src/uri.rs` agree on every input with their statement over `str`
    /// (`stated`): the same pieces, the same origin, the same first broken rule.
    #[test]
    fn uri_rules_agree_with_their_statement_over_str(u in prop_oneof![text(), url_like(), redirect_uri_candidate()]) {
        let p = uri::split(&u);
        prop_assert_eq!((p.scheme, p.authority, p.path, p.query, p.fragment), stated::split(&u));
        prop_assert_eq!(uri::origin_and_path(&u), stated::origin_and_path(&u), "{:?}", u);
        prop_assert_eq!(uri::is_same_origin_path(&u), stated::is_same_origin_path(&u), "{:?}", u);
        prop_assert_eq!(uri::rewritten_by_browsers(&u), stated::rewritten_by_browsers(&u), "{:?}", u);
        let ours = WebUrl::parse(&u, "url", ErrorCode::InvalidConfig)
            .map(|w| {
                assert_eq!(w.as_str(), u);
                w.origin().to_owned()
            })
            .map_err(|e| e.message_parts().msg);
        prop_assert_eq!(ours, stated::parse(&u), "{:?}", u);
        if let Some(authority) = p.authority {
            let stated_host = stated::host_and_port(authority);
            let stated_ok = stated_host.is_some() && !authority.contains('@');
            let probe = format!("https://{authority}/");
            prop_assert_eq!(
                uri::origin_and_path(&probe).is_some(),
                stated_ok,
                "{:?}", probe
            );
        }
    }
}
