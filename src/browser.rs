//! The browser edge: wasm-bindgen exports, Web Storage, `history.replaceState` and `fetch`.
//!
//! Invariant: no protocol rule lives here. Every decision (what is valid, what to send, which
//! check fails first) is made by the pure core; this module only moves data between the core
//! and the page, and turns [`Error`] into a plain `{ code, message, … }` object that the
//! TypeScript wrapper makes into a `PleoOAuthError`.

use std::cell::RefCell;

use js_sys::{Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{
    AbortSignal, Headers, RequestCredentials, RequestInit, RequestRedirect, Response, Storage,
    Window,
};

use crate::callback::{self, VerifiedCallback};
use crate::config::{Config, Credentials, Handoff, Options, StorageKind};
use crate::error::{invalid_config, invalid_parameter, Error, ErrorCode, Result};
use crate::handoff;
use crate::input::Input;
use crate::pkce::PkceCodeVerifier;
use crate::request::{self, AuthorizationUrlOptions};
use crate::state::State;
use crate::transaction::{self, Transaction};

/// The `{ code, message, error?, errorDescription?, errorUri?, status? }` object thrown to JS.
pub fn to_js_error(e: &Error) -> JsValue {
    let o = Object::new();
    set(&o, "code", e.code().as_str());
    set(&o, "message", e.message());
    if let Some(d) = e.authorization_details() {
        set(&o, "error", d.error.as_str());
        if let Some(v) = &d.error_description {
            set(&o, "errorDescription", v.as_str());
        }
        if let Some(v) = &d.error_uri {
            set(&o, "errorUri", v.as_str());
        }
    }
    if let Some(status) = e.status() {
        set(&o, "status", status);
    }
    o.into()
}

impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        to_js_error(&e)
    }
}

fn set(o: &Object, key: &str, value: impl Into<JsValue>) {
    // Reflect.set on a fresh plain object cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(key), &value.into());
}

fn window() -> Result<Window> {
    web_sys::window().ok_or_else(|| {
        invalid_config("pleo-oauth needs a browser window: call it on the client, not during server-side rendering.")
    })
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

fn storage(kind: StorageKind) -> Result<Storage> {
    let (w, name) = (window()?, storage_name(kind));
    let storage = match kind {
        StorageKind::Session => w.session_storage(),
        StorageKind::Local => w.local_storage(),
    };
    match storage {
        Ok(Some(s)) => Ok(s),
        _ => Err(Error::new(
            ErrorCode::StorageUnavailable,
            format!("{name} is not available (blocked by the browser's privacy settings or a sandboxed frame). pleo-oauth needs it to remember the connection between the redirect and the callback."),
        )),
    }
}

fn storage_name(kind: StorageKind) -> &'static str {
    match kind {
        StorageKind::Session => "sessionStorage",
        StorageKind::Local => "localStorage",
    }
}

fn storage_failure(kind: StorageKind) -> Error {
    Error::new(
        ErrorCode::StorageUnavailable,
        format!("{} refused the operation (full, or blocked). Free some space or allow site storage, then try again.", storage_name(kind)),
    )
}

/// Stores a new transaction after dropping expired or unreadable ones.
fn store(kind: StorageKind, t: &Transaction) -> Result<()> {
    let s = storage(kind)?;
    let len = s.length().map_err(|_| storage_failure(kind))?;
    let entries: Vec<(String, String)> = (0..len)
        .filter_map(|i| s.key(i).ok().flatten())
        .filter(|k| k.starts_with(transaction::KEY_PREFIX))
        .filter_map(|k| s.get_item(&k).ok().flatten().map(|v| (k, v)))
        .collect();
    for key in transaction::stale_keys(entries, now_ms()) {
        s.remove_item(&key).map_err(|_| storage_failure(kind))?;
    }
    s.set_item(&t.storage_key(), &t.encode())
        .map_err(|_| storage_failure(kind))
}

/// Reads and removes the record under `key`.
fn take(kind: StorageKind, key: &str) -> Result<Option<String>> {
    let s = storage(kind)?;
    let value = s.get_item(key).map_err(|_| storage_failure(kind))?;
    if value.is_some() {
        s.remove_item(key).map_err(|_| storage_failure(kind))?;
    }
    Ok(value)
}

/// How deep option objects may nest (the deepest real one is `handoff.headers`).
const MAX_DEPTH: u8 = 4;

/// Any JS value as an [`Input`], unjudged: the core decides what is acceptable.
fn to_input(value: &JsValue, depth: u8) -> Input {
    if value.is_undefined() || value.is_null() {
        Input::Absent
    } else if let Some(b) = value.as_bool() {
        Input::Bool(b)
    } else if let Some(n) = value.as_f64() {
        Input::Number(n)
    } else if let Some(s) = value.as_string() {
        Input::String(s)
    } else if depth >= MAX_DEPTH {
        Input::Other("a too deeply nested value")
    } else if js_sys::Array::is_array(value) {
        let array: &js_sys::Array = value.unchecked_ref();
        Input::Array(array.iter().map(|v| to_input(&v, depth + 1)).collect())
    } else if value.is_function() {
        Input::Other("function")
    } else if value.is_object() {
        let keys = Object::keys(value.unchecked_ref::<Object>());
        Input::Object(
            keys.iter()
                .filter_map(|k| {
                    let v = Reflect::get(value, &k).ok()?;
                    Some((k.as_string()?, to_input(&v, depth + 1)))
                })
                .collect(),
        )
    } else {
        Input::Other("symbol or bigint")
    }
}

thread_local! {
    /// Outcomes of `handleCallback` by URL, so a second call in the same page (React
    /// StrictMode) gets the same outcome instead of `unknown_state`.
    static OUTCOMES: RefCell<Vec<(String, Promise)>> = const { RefCell::new(Vec::new()) };
}

fn remembered(url: &str) -> Option<Promise> {
    OUTCOMES.with(|o| {
        o.borrow()
            .iter()
            .find(|(u, _)| u == url)
            .map(|(_, p)| p.clone())
    })
}

fn remember(url: String, outcome: &Promise) {
    OUTCOMES.with(|o| o.borrow_mut().push((url, outcome.clone())));
}

/// A configured client (the TypeScript `PleoOAuth` wraps one).
#[wasm_bindgen]
pub struct Client {
    config: Config,
}

#[wasm_bindgen]
impl Client {
    /// Validates the options (`invalid_config`) and checks that the chosen storage works.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> std::result::Result<Client, JsValue> {
        let config = Config::from_options(Options::from_input(to_input(&options, 0))?)?;
        storage(config.storage)?;
        Ok(Client { config })
    }

    /// Builds the authorisation URL and stores its transaction, without navigating.
    #[wasm_bindgen(js_name = authorizationUrl)]
    pub fn authorization_url(&self, options: JsValue) -> std::result::Result<String, JsValue> {
        let options = AuthorizationUrlOptions::from_input(to_input(&options, 0))?;
        let r = request::build(&self.config, options, now_ms())?;
        store(self.config.storage, &r.transaction)?;
        Ok(r.url)
    }

    /// `authorizationUrl` then `location.assign`.
    pub fn redirect(&self, options: JsValue) -> std::result::Result<(), JsValue> {
        let url = self.authorization_url(options)?;
        window()?.location().assign(&url).map_err(|_| {
            invalid_parameter("The browser refused to navigate to Pleo's authorisation endpoint.")
        })?;
        Ok(())
    }

    /// The ordered callback checks, the address-bar clean-up and the handoff. `url` defaults
    /// to `location.href`.
    #[wasm_bindgen(js_name = handleCallback)]
    pub fn handle_callback(&self, url: Option<String>) -> Promise {
        let url = match url.map(Ok).unwrap_or_else(location_href) {
            Ok(u) => u,
            Err(e) => return Promise::reject(&e.into()),
        };
        if let Some(outcome) = remembered(&url) {
            return outcome;
        }
        let outcome = self.complete(&url);
        remember(url.clone(), &outcome);
        // After the clean-up the address bar shows another URL; a second call that reads it
        // must still get this outcome.
        if let Ok(now) = location_href() {
            if now != url
                && remembered(&now).is_none()
                && now.ends_with(&callback::strip_callback_parameters(&url))
            {
                remember(now, &outcome);
            }
        }
        outcome
    }
}

fn location_href() -> Result<String> {
    window()?.location().href().map_err(|_| {
        invalid_parameter(
            "Could not read location.href; pass the callback URL to handleCallback(url).",
        )
    })
}

impl Client {
    fn complete(&self, url: &str) -> Promise {
        // Steps 1–8.
        let verified = match callback::verify(url, now_ms(), |key| take(self.config.storage, key)) {
            Ok(v) => v,
            Err(e) => return Promise::reject(&e.into()),
        };
        // Step 9: the address bar loses the callback parameters (and only those).
        clean_address_bar();
        // Step 10.
        let result = Object::new();
        if let Some(r) = &verified.return_to {
            set(&result, "returnTo", r.as_str());
        }
        match self.config.handoff.clone() {
            None => {
                let h = Object::new();
                set(&h, "code", verified.code.secret());
                set(&h, "codeVerifier", verified.verifier.secret());
                set(&h, "redirectUri", verified.redirect_uri.as_str());
                set(&h, "state", verified.state.as_str());
                set(&result, "handoff", h);
                Promise::resolve(&JsValue::from(result))
            }
            Some(handoff) => future_to_promise(async move {
                let backend = post_handoff(&handoff, &verified).await?;
                set(&result, "backend", backend);
                Ok(result.into())
            }),
        }
    }
}

fn clean_address_bar() {
    let Ok(w) = window() else { return };
    let (Ok(href), Ok(history)) = (w.location().href(), w.history()) else {
        return;
    };
    let cleaned = callback::strip_callback_parameters(&href);
    if !href.ends_with(&cleaned) {
        let state = history.state().unwrap_or(JsValue::NULL);
        // Keep the router's history state; only the URL changes.
        let _ = history.replace_state_with_url(&state, "", Some(&cleaned));
    }
}

async fn post_handoff(h: &Handoff, v: &VerifiedCallback) -> Result<JsValue> {
    let body = Object::new();
    set(&body, "code", v.code.secret());
    set(&body, "code_verifier", v.verifier.secret());
    set(&body, "redirect_uri", v.redirect_uri.as_str());
    set(&body, "state", v.state.as_str());
    let body =
        JSON::stringify(&body).map_err(|_| handoff::no_response(&h.url, false, h.timeout_ms))?;

    let headers = Headers::new().map_err(|_| handoff::no_response(&h.url, false, h.timeout_ms))?;
    for (name, value) in &h.headers {
        headers.set(name, value).map_err(|_| {
            invalid_config(format!(
                "handoff.headers[\"{name}\"] was refused by the browser."
            ))
        })?;
    }
    let _ = headers.set("Content-Type", "application/json");
    let _ = headers.set(handoff::REQUESTED_WITH.0, handoff::REQUESTED_WITH.1);

    let signal = AbortSignal::timeout_with_u32(h.timeout_ms);
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&body);
    init.set_headers(&headers);
    init.set_credentials(match h.credentials {
        Credentials::SameOrigin => RequestCredentials::SameOrigin,
        Credentials::Include => RequestCredentials::Include,
        Credentials::Omit => RequestCredentials::Omit,
    });
    // The code and verifier go to the configured URL and nowhere else.
    init.set_redirect(RequestRedirect::Error);
    init.set_signal(Some(&signal));

    let no_response = |_| handoff::no_response(&h.url, signal.aborted(), h.timeout_ms);
    let response = JsFuture::from(window()?.fetch_with_str_and_init(&h.url, &init))
        .await
        .map_err(no_response)?;
    let response: Response = response.dyn_into().map_err(no_response)?;
    let status = response.status();
    handoff::check_status(status, &h.url)?;
    let text = JsFuture::from(response.text().map_err(no_response)?)
        .await
        .map_err(no_response)?;
    let text = text.as_string().unwrap_or_default();
    if text.trim().is_empty() {
        return Ok(JsValue::NULL);
    }
    JSON::parse(&text).map_err(|_| handoff::not_json(&h.url, status))
}

/// `createPkce()`: a fresh verifier and its S256 challenge.
#[wasm_bindgen(js_name = createPkce)]
pub fn create_pkce() -> std::result::Result<JsValue, JsValue> {
    let verifier = PkceCodeVerifier::generate()?;
    let o = Object::new();
    set(&o, "verifier", verifier.secret());
    set(&o, "challenge", verifier.challenge().as_str());
    set(&o, "method", crate::pkce::S256);
    Ok(o.into())
}

/// `codeChallenge(verifier)`: the S256 challenge of a caller's verifier.
#[wasm_bindgen(js_name = codeChallenge)]
pub fn code_challenge(verifier: JsValue) -> std::result::Result<String, JsValue> {
    let verifier = verifier
        .as_string()
        .ok_or_else(|| invalid_parameter("codeChallenge(verifier) needs a string."))?;
    Ok(PkceCodeVerifier::new(verifier)?
        .challenge()
        .as_str()
        .to_owned())
}

/// `generateState()`: 256 bits from the CSPRNG, base64url.
#[wasm_bindgen(js_name = generateState)]
pub fn generate_state() -> std::result::Result<String, JsValue> {
    Ok(State::generate()?.as_str().to_owned())
}

/// `parseCallback(url)`: the callback parameters, duplicates refused.
#[wasm_bindgen(js_name = parseCallback)]
pub fn parse_callback(url: JsValue) -> std::result::Result<JsValue, JsValue> {
    let url = url
        .as_string()
        .ok_or_else(|| invalid_parameter("parseCallback(url) needs the URL as a string."))?;
    let p = callback::parse(&url)?;
    let o = Object::new();
    let fields = [
        ("code", p.code.as_ref().map(|c| c.secret())),
        ("state", p.state.as_deref()),
        ("error", p.error.as_deref()),
        ("errorDescription", p.error_description.as_deref()),
        ("errorUri", p.error_uri.as_deref()),
        ("iss", p.iss.as_deref()),
    ];
    for (key, value) in fields {
        if let Some(v) = value {
            set(&o, key, v);
        }
    }
    Ok(o.into())
}
