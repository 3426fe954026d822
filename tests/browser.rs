//! Browser tests: the wasm exports against real Web Storage, history and fetch in headless
//! Chromium (`wasm-pack test --headless --chrome`). Each test drives the same functions the
//! TypeScript wrapper calls.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use js_sys::{Function, Object, Promise, Reflect, JSON};
use pleo_oauth::browser::{code_challenge, create_pkce, generate_state, parse_callback, Client};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

// ---------------------------------------------------------------- helpers

fn window() -> web_sys::Window {
    web_sys::window().unwrap()
}

fn origin() -> String {
    window().location().origin().unwrap()
}

fn redirect_uri() -> String {
    format!("{}/pleo/callback", origin())
}

/// Options from a JSON text, as a partner would write them in JS; `$REDIRECT` is replaced.
fn opts(json: &str) -> JsValue {
    JSON::parse(&json.replace("$REDIRECT", &redirect_uri())).unwrap()
}

fn client(extra: &str) -> Client {
    let sep = if extra.is_empty() { "" } else { "," };
    Client::new(opts(&format!(
        r#"{{"clientId":"client-1","redirectUri":"$REDIRECT","scopes":["users:read","export-jobs:read"]{sep}{extra}}}"#
    )))
    .map_err(|e| get(&e, "message"))
    .unwrap()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn get_str(v: &JsValue, key: &str) -> Option<String> {
    get(v, key).as_string()
}

fn code_of(e: &JsValue) -> String {
    get_str(e, "code").unwrap_or_else(|| format!("not a pleo-oauth error: {e:?}"))
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| {
            js_sys::decode_uri_component(v)
                .unwrap()
                .as_string()
                .unwrap()
        })
    })
}

/// Starts a flow and returns (state, authorization URL).
fn start(c: &Client, options: &str) -> (String, String) {
    let url = c
        .authorization_url(if options.is_empty() {
            JsValue::UNDEFINED
        } else {
            opts(options)
        })
        .unwrap();
    (query_param(&url, "state").unwrap(), url)
}

fn callback_url(query: &str) -> String {
    format!("{}?{query}", redirect_uri())
}

async fn settle(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

fn session() -> web_sys::Storage {
    window().session_storage().unwrap().unwrap()
}

fn local() -> web_sys::Storage {
    window().local_storage().unwrap().unwrap()
}

fn tx_key(state: &str) -> String {
    format!("pleo-oauth:tx:{state}")
}

/// Replaces `window.fetch` with `body` (a JS function body over `url, init`), recording calls
/// in `window.__calls`; returns the original to restore.
fn fake_fetch(body: &str) -> JsValue {
    let w: JsValue = window().into();
    let original = get(&w, "fetch");
    Reflect::set(&w, &"__calls".into(), &js_sys::Array::new()).unwrap();
    let f = Function::new_with_args(
        "url, init",
        &format!("window.__calls.push({{url, init}}); {body}"),
    );
    Reflect::set(&w, &"fetch".into(), &f).unwrap();
    original
}

fn restore_fetch(original: JsValue) {
    Reflect::set(&window().into(), &"fetch".into(), &original).unwrap();
}

fn fetch_calls() -> js_sys::Array {
    get(&window().into(), "__calls").dyn_into().unwrap()
}

const ANSWER_OK: &str = r#"return Promise.resolve(new Response(JSON.stringify({connected:true, company:"Acme"}), {status:200, headers:{"content-type":"application/json"}}));"#;

// ---------------------------------------------------------------- storage

#[wasm_bindgen_test]
async fn session_storage_holds_the_transaction_until_the_callback_consumes_it() {
    let c = client("");
    let (state, url) = start(&c, r#"{"returnTo":"/settings/integrations"}"#);
    let stored = session()
        .get_item(&tx_key(&state))
        .unwrap()
        .expect("stored under its state");
    assert!(url.contains(&format!("state={state}")));
    assert!(!url.contains(&stored), "the record never goes into the URL");

    let result = settle(c.handle_callback(Some(callback_url(&format!("code=abc&state={state}")))))
        .await
        .unwrap();
    assert_eq!(
        get_str(&result, "returnTo").as_deref(),
        Some("/settings/integrations")
    );
    assert!(
        session().get_item(&tx_key(&state)).unwrap().is_none(),
        "consumed"
    );
}

#[wasm_bindgen_test]
async fn local_storage_is_used_when_configured() {
    let c = client(r#""storage":"local""#);
    let (state, _) = start(&c, "");
    assert!(local().get_item(&tx_key(&state)).unwrap().is_some());
    assert!(session().get_item(&tx_key(&state)).unwrap().is_none());
    settle(c.handle_callback(Some(callback_url(&format!("code=abc&state={state}")))))
        .await
        .unwrap();
    assert!(local().get_item(&tx_key(&state)).unwrap().is_none());
    // A session-storage client does not see local-storage transactions.
    let (state, _) = start(&c, "");
    let e =
        settle(client("").handle_callback(Some(callback_url(&format!("code=x&state={state}")))))
            .await
            .unwrap_err();
    assert_eq!(code_of(&e), "unknown_state");
}

#[wasm_bindgen_test]
async fn replayed_callback_is_unknown_state() {
    let c = client("");
    let (state, _) = start(&c, "");
    settle(c.handle_callback(Some(callback_url(&format!("code=abc&state={state}")))))
        .await
        .unwrap();
    // Same code and state, but another URL string (as an attacker replaying it would send).
    let e = settle(c.handle_callback(Some(callback_url(&format!("state={state}&code=abc")))))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "unknown_state");
}

#[wasm_bindgen_test]
async fn forged_state_with_error_is_unknown_state_and_leaves_real_transactions_alone() {
    let c = client("");
    let (state, _) = start(&c, "");
    let forged = generate_state().unwrap();
    let e = settle(c.handle_callback(Some(callback_url(&format!(
        "error=access_denied&state={forged}"
    )))))
    .await
    .unwrap_err();
    assert_eq!(code_of(&e), "unknown_state");
    assert!(session().get_item(&tx_key(&state)).unwrap().is_some());
}

#[wasm_bindgen_test]
async fn two_pending_transactions_complete_in_either_order() {
    for reverse in [false, true] {
        let c = client("");
        let (s1, _) = start(&c, r#"{"returnTo":"/one"}"#);
        let (s2, _) = start(&c, r#"{"returnTo":"/two"}"#);
        let mut order = vec![(s1, "/one"), (s2, "/two")];
        if reverse {
            order.reverse();
        }
        for (state, back) in order {
            let r = settle(c.handle_callback(Some(callback_url(&format!("code=c&state={state}")))))
                .await
                .unwrap();
            assert_eq!(get_str(&r, "returnTo").as_deref(), Some(back));
        }
    }
}

#[wasm_bindgen_test]
async fn an_expired_transaction_is_refused_and_swept() {
    let c = client(r#""transactionTtlSeconds":1"#);
    let (old, _) = start(&c, "");
    sleep(1100).await;
    let e = settle(c.handle_callback(Some(callback_url(&format!("code=c&state={old}")))))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "expired");

    // Expired transactions are dropped when a new one is stored.
    let (stale, _) = start(&c, "");
    sleep(1100).await;
    let (_fresh, _) = start(&c, "");
    assert!(
        session().get_item(&tx_key(&stale)).unwrap().is_none(),
        "swept"
    );
}

// ---------------------------------------------------------------- callback in the page

#[wasm_bindgen_test]
async fn second_call_with_the_same_url_returns_the_same_outcome() {
    let original = fake_fetch(ANSWER_OK);
    let c = client(r#""handoff":{"url":"/api/pleo/exchange"}"#);
    let (state, _) = start(&c, "");
    let url = callback_url(&format!("code=abc&state={state}"));
    let first = c.handle_callback(Some(url.clone()));
    let second = c.handle_callback(Some(url.clone()));
    let (a, b) = (settle(first).await.unwrap(), settle(second).await.unwrap());
    restore_fetch(original);
    assert_eq!(
        get(&get(&a, "backend"), "company").as_string().as_deref(),
        Some("Acme")
    );
    assert!(Object::is(&a, &b), "the very same outcome");
    assert_eq!(fetch_calls().length(), 1, "exchanged once");

    // Failures too: a forged callback fails the same way twice (not unknown_state then something else).
    let forged = callback_url("code=x&state=nope");
    let e1 = settle(c.handle_callback(Some(forged.clone())))
        .await
        .unwrap_err();
    let e2 = settle(c.handle_callback(Some(forged))).await.unwrap_err();
    assert!(Object::is(&e1, &e2));
}

#[wasm_bindgen_test]
async fn address_bar_keeps_other_parameters_and_loses_code_and_state() {
    let c = client("");
    let (state, _) = start(&c, "");
    let history = window().history().unwrap();
    let page = format!("/pleo/callback?tab=a%20b&code=abc&state={state}&iss=x&keep=1#section");
    history
        .push_state_with_url(&JsValue::from_str("router-state"), "", Some(&page))
        .unwrap();

    let first = c.handle_callback(None);
    // What StrictMode's second run sees: the cleaned address bar.
    let second = c.handle_callback(None);
    let a = settle(first).await.unwrap();
    let b = settle(second).await.unwrap();
    assert!(Object::is(&a, &b));

    let loc = window().location();
    assert_eq!(loc.pathname().unwrap(), "/pleo/callback");
    assert_eq!(loc.search().unwrap(), "?tab=a%20b&keep=1");
    assert_eq!(loc.hash().unwrap(), "#section");
    assert_eq!(
        history.state().unwrap().as_string().as_deref(),
        Some("router-state"),
        "router state kept"
    );
    history.back().unwrap();
}

#[wasm_bindgen_test]
async fn without_handoff_the_result_carries_what_the_backend_needs() {
    let c = client("");
    let (state, url) = start(&c, "");
    let r = settle(c.handle_callback(Some(callback_url(&format!("code=the-code&state={state}")))))
        .await
        .unwrap();
    let h = get(&r, "handoff");
    assert_eq!(get_str(&h, "code").as_deref(), Some("the-code"));
    assert_eq!(get_str(&h, "state").as_deref(), Some(state.as_str()));
    assert_eq!(get_str(&h, "redirectUri"), Some(redirect_uri()));
    let verifier = get_str(&h, "codeVerifier").unwrap();
    assert_eq!(
        query_param(&url, "code_challenge"),
        Some(code_challenge(verifier.into()).unwrap())
    );
    assert_eq!(
        query_param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(get(&r, "backend").is_undefined());
}

// ---------------------------------------------------------------- handoff

#[wasm_bindgen_test]
async fn handoff_posts_json_with_the_csrf_header_credentials_and_extra_headers() {
    let original = fake_fetch(ANSWER_OK);
    let c = client(
        r#""handoff":{"url":"/api/pleo/exchange","credentials":"include","headers":{"X-CSRF-Token":"t0k"}}"#,
    );
    let (state, _) = start(&c, "");
    let r =
        settle(c.handle_callback(Some(callback_url(&format!("code=c%2B1&state={state}"))))).await;
    restore_fetch(original);
    let r = r.unwrap();
    assert_eq!(get(&get(&r, "backend"), "connected").as_bool(), Some(true));

    let calls = fetch_calls();
    assert_eq!(calls.length(), 1);
    let call = calls.get(0);
    assert_eq!(get_str(&call, "url").as_deref(), Some("/api/pleo/exchange"));
    let init = get(&call, "init");
    assert_eq!(get_str(&init, "method").as_deref(), Some("POST"));
    assert_eq!(get_str(&init, "credentials").as_deref(), Some("include"));
    assert_eq!(get_str(&init, "redirect").as_deref(), Some("error"));
    let headers: web_sys::Headers = get(&init, "headers").dyn_into().unwrap();
    assert_eq!(
        headers.get("content-type").unwrap().as_deref(),
        Some("application/json")
    );
    assert_eq!(
        headers.get("x-requested-with").unwrap().as_deref(),
        Some("pleo-oauth")
    );
    assert_eq!(headers.get("x-csrf-token").unwrap().as_deref(), Some("t0k"));

    let body = JSON::parse(&get_str(&init, "body").unwrap()).unwrap();
    let mut keys: Vec<String> = Object::keys(body.unchecked_ref::<Object>())
        .iter()
        .filter_map(|k| k.as_string())
        .collect();
    keys.sort();
    assert_eq!(keys, ["code", "code_verifier", "redirect_uri", "state"]);
    assert_eq!(get_str(&body, "code").as_deref(), Some("c+1"));
    assert_eq!(get_str(&body, "state"), Some(state));
    assert_eq!(get_str(&body, "redirect_uri"), Some(redirect_uri()));
    assert_eq!(get_str(&body, "code_verifier").map(|v| v.len()), Some(43));
}

#[wasm_bindgen_test]
async fn handoff_default_credentials_are_same_origin() {
    let original = fake_fetch(ANSWER_OK);
    let c = client(r#""handoff":{"url":"/api/pleo/exchange"}"#);
    let (state, _) = start(&c, "");
    let r = settle(c.handle_callback(Some(callback_url(&format!("code=c&state={state}"))))).await;
    restore_fetch(original);
    r.unwrap();
    let init = get(&fetch_calls().get(0), "init");
    assert_eq!(
        get_str(&init, "credentials").as_deref(),
        Some("same-origin")
    );
}

#[wasm_bindgen_test]
async fn handoff_non_2xx_is_handoff_failed_with_status_and_no_secret_in_message() {
    let original = fake_fetch(
        r#"return Promise.resolve(new Response("{\"error\":\"invalid_grant\"}", {status: 502}));"#,
    );
    let c = client(r#""handoff":{"url":"/api/pleo/exchange"}"#);
    let (state, _) = start(&c, "");
    let e = settle(c.handle_callback(Some(callback_url(&format!(
        "code=SECRETCODE&state={state}"
    )))))
    .await
    .unwrap_err();
    restore_fetch(original);
    assert_eq!(code_of(&e), "handoff_failed");
    assert_eq!(get(&e, "status").as_f64(), Some(502.0));
    let message = get_str(&e, "message").unwrap();
    assert!(message.contains("502"));
    assert!(!message.contains("SECRETCODE") && !message.contains(&state));
}

#[wasm_bindgen_test]
async fn handoff_network_failure_is_handoff_failed_with_status_0() {
    // A real request to a closed loopback port: no response ever arrives.
    let c = client(r#""handoff":{"url":"http://127.0.0.1:9/exchange"}"#);
    let (state, _) = start(&c, "");
    let e = settle(c.handle_callback(Some(callback_url(&format!("code=c&state={state}")))))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "handoff_failed");
    assert_eq!(get(&e, "status").as_f64(), Some(0.0));
    assert!(get_str(&e, "message")
        .unwrap()
        .contains("could not be reached"));
}

#[wasm_bindgen_test]
async fn handoff_timeout_aborts_the_request() {
    let original = fake_fetch(
        "return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)));",
    );
    let c = client(r#""handoff":{"url":"/api/pleo/exchange","timeoutMs":50}"#);
    let (state, _) = start(&c, "");
    let e = settle(c.handle_callback(Some(callback_url(&format!("code=c&state={state}")))))
        .await
        .unwrap_err();
    restore_fetch(original);
    assert_eq!(code_of(&e), "handoff_failed");
    assert_eq!(get(&e, "status").as_f64(), Some(0.0));
    assert!(get_str(&e, "message").unwrap().contains("50 ms"));
}

#[wasm_bindgen_test]
async fn handoff_answer_that_is_not_json_fails_and_empty_body_is_null() {
    let original =
        fake_fetch(r#"return Promise.resolve(new Response("<html>login</html>", {status: 200}));"#);
    let c = client(r#""handoff":{"url":"/api/pleo/exchange"}"#);
    let (state, _) = start(&c, "");
    let e = settle(c.handle_callback(Some(callback_url(&format!("code=c&state={state}")))))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "handoff_failed");
    assert_eq!(get(&e, "status").as_f64(), Some(200.0));

    fake_fetch("return Promise.resolve(new Response(null, {status: 204}));");
    let (state, _) = start(&c, "");
    let r = settle(c.handle_callback(Some(callback_url(&format!("code=c&state={state}"))))).await;
    restore_fetch(original);
    assert!(get(&r.unwrap(), "backend").is_null());
}

#[wasm_bindgen_test]
async fn authorization_error_carries_the_server_fields() {
    let c = client("");
    let (state, _) = start(&c, "");
    let e = settle(c.handle_callback(Some(callback_url(&format!(
        "error=access_denied&error_description=The+user+said+no&state={state}"
    )))))
    .await
    .unwrap_err();
    assert_eq!(code_of(&e), "authorization_error");
    assert_eq!(get_str(&e, "error").as_deref(), Some("access_denied"));
    assert_eq!(
        get_str(&e, "errorDescription").as_deref(),
        Some("The user said no")
    );
    assert!(get(&e, "errorUri").is_undefined());
}

// ---------------------------------------------------------------- configuration through JS values

#[wasm_bindgen_test]
fn options_from_js_are_checked_strictly() {
    let err = |json: &str| {
        let e = Client::new(opts(json)).err().expect("must be refused");
        (code_of(&e), get_str(&e, "message").unwrap())
    };
    let (code, message) =
        err(r#"{"clientId":"c","redirectURI":"$REDIRECT","scopes":["users:read"]}"#);
    assert_eq!(code, "invalid_config");
    assert!(
        message.contains("\"redirectURI\". Did you mean \"redirectUri\"?"),
        "{message}"
    );
    let (code, message) = err(
        r#"{"clientId":"c","redirectUri":"$REDIRECT","scopes":["users:read"],"handoff":{"url":"/x","timeout":5}}"#,
    );
    assert_eq!(code, "invalid_config");
    assert!(message.contains("\"timeout\""), "{message}");
    let (code, _) = err(r#"{"clientId":"c","redirectUri":"$REDIRECT","scopes":"users:read"}"#);
    assert_eq!(code, "invalid_config");
    let (_, message) = err(
        r#"{"clientId":"c","redirectUri":"$REDIRECT","scopes":["users:read"],"environment":42}"#,
    );
    assert!(message.contains("production"), "{message}");
    let (code, _) =
        err(r#"{"clientId":"c","redirectUri":"http://example.com/cb","scopes":["users:read"]}"#);
    assert_eq!(code, "invalid_config");
    let e = Client::new(JsValue::UNDEFINED).err().unwrap();
    assert_eq!(code_of(&e), "invalid_config");

    let c = client(
        r#""environment":{"authorizationEndpoint":"http://localhost:4000/oauth/authorize","issuer":"http://localhost:4000"}"#,
    );
    let (_, url) = start(&c, r#"{"extraParams":{"prompt":"consent"}}"#);
    assert!(url.starts_with(
        "http://localhost:4000/oauth/authorize?response_type=code&client_id=client-1&"
    ));
    assert!(url.ends_with("&prompt=consent"));

    let e = c
        .authorization_url(opts(r#"{"returnTo":"//evil.example"}"#))
        .unwrap_err();
    assert_eq!(code_of(&e), "invalid_parameter");
    let e = c
        .authorization_url(opts(r#"{"extraParams":{"state":"x"}}"#))
        .unwrap_err();
    assert_eq!(code_of(&e), "invalid_parameter");
    let e = c
        .authorization_url(opts(r#"{"return_to":"/x"}"#))
        .unwrap_err();
    assert_eq!(code_of(&e), "invalid_parameter");
}

#[wasm_bindgen_test]
async fn issuer_is_checked_when_configured() {
    let c = client(
        r#""environment":{"authorizationEndpoint":"https://auth.example.com/oauth/authorize","issuer":"https://auth.example.com"}"#,
    );
    let (state, _) = start(&c, "");
    let e = settle(c.handle_callback(Some(callback_url(&format!(
        "code=c&state={state}&iss=https%3A%2F%2Fevil.example"
    )))))
    .await
    .unwrap_err();
    assert_eq!(code_of(&e), "issuer_mismatch");
    let (state, _) = start(&c, "");
    settle(c.handle_callback(Some(callback_url(&format!(
        "code=c&state={state}&iss=https%3A%2F%2Fauth.example.com"
    )))))
    .await
    .unwrap();
}

// ---------------------------------------------------------------- low-level helpers

#[wasm_bindgen_test]
fn helpers_work_on_the_browser_csprng() {
    let pkce = create_pkce().unwrap();
    let verifier = get_str(&pkce, "verifier").unwrap();
    assert_eq!(verifier.len(), 43);
    assert_eq!(get_str(&pkce, "method").as_deref(), Some("S256"));
    assert_eq!(
        get_str(&pkce, "challenge"),
        Some(code_challenge(verifier.clone().into()).unwrap())
    );
    assert_ne!(get_str(&create_pkce().unwrap(), "verifier"), Some(verifier));
    assert_eq!(
        code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into()).unwrap(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(
        code_of(&code_challenge("short".into()).unwrap_err()),
        "invalid_parameter"
    );
    assert_eq!(
        code_of(&code_challenge(JsValue::from_f64(1.0)).unwrap_err()),
        "invalid_parameter"
    );
    assert_ne!(generate_state().unwrap(), generate_state().unwrap());

    let p =
        parse_callback("https://x.example/cb?code=a&state=s&error_description=d".into()).unwrap();
    assert_eq!(get_str(&p, "code").as_deref(), Some("a"));
    assert_eq!(get_str(&p, "errorDescription").as_deref(), Some("d"));
    assert!(
        !Reflect::has(&p, &"error".into()).unwrap(),
        "absent keys are absent"
    );
    let e = parse_callback("https://x.example/cb?state=a&state=b".into()).unwrap_err();
    assert_eq!(code_of(&e), "duplicate_parameter");
}

// ---------------------------------------------------------------- storage failures

#[wasm_bindgen_test]
async fn blocked_or_full_storage_is_storage_unavailable() {
    // Blocked: reading window.sessionStorage throws, as with third-party storage blocked.
    let block = Function::new_no_args(
        "const d = Object.getOwnPropertyDescriptor(window, 'sessionStorage');
         Object.defineProperty(window, 'sessionStorage', { configurable: true,
           get() { throw new DOMException('blocked', 'SecurityError'); } });
         return () => Object.defineProperty(window, 'sessionStorage', d);",
    );
    let unblock: Function = block.call0(&JsValue::NULL).unwrap().dyn_into().unwrap();
    let e = Client::new(opts(
        r#"{"clientId":"c","redirectUri":"$REDIRECT","scopes":["users:read"]}"#,
    ))
    .err();
    unblock.call0(&JsValue::NULL).unwrap();
    let e = e.expect("create must fail");
    assert_eq!(code_of(&e), "storage_unavailable");
    assert!(get_str(&e, "message").unwrap().contains("sessionStorage"));

    // Full: setItem throws QuotaExceededError when the transaction is stored.
    let c = client("");
    let fill = Function::new_no_args(
        "const orig = Storage.prototype.setItem;
         Storage.prototype.setItem = function () { throw new DOMException('full', 'QuotaExceededError'); };
         return () => { Storage.prototype.setItem = orig; };",
    );
    let unfill: Function = fill.call0(&JsValue::NULL).unwrap().dyn_into().unwrap();
    let e = c.authorization_url(JsValue::UNDEFINED).err();
    unfill.call0(&JsValue::NULL).unwrap();
    assert_eq!(code_of(&e.expect("must fail")), "storage_unavailable");
    assert!(
        c.authorization_url(JsValue::UNDEFINED).is_ok(),
        "works again once storage works"
    );
}
