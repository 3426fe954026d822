//! Browser tests: the core's exports compiled to wasm32 and run in headless Chromium
//! (`wasm-pack test --headless --chrome`), with the browser's own `URLSearchParams` reading
//! what they answer as the TypeScript wrapper does (`core` in index.ts) — the same strings it
//! receives. The wrapper's I/O (storage,
//! history, fetch) is tested through the package in `tests/package/`.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use js_sys::{Reflect, JSON};
use pleo_oauth::wasm::{
    challenge, configure, dispatch, finish, handed_off, locate, parse, pkce, popup_failed, start,
    state, sweep, verifier,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const CB: &str = "https://app.example.com/pleo/callback";
const NOW: f64 = 1_700_000_000_000.0;
const ORIGIN: &str = "https://app.example.com";

/// A string as the wrapper hands it over: percent-encoded (`encodeURIComponent`).
fn enc(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

/// The options as the wrapper writes them (src/options.rs), with `extra` pairs after.
fn options(extra: &str) -> String {
    format!(
        "clientId=client-1&redirectUri={}&scopes=users%3Aread{extra}",
        enc(CB)
    )
}

/// The client record `configure` issues for these options (what the wrapper keeps).
fn client(options: &str) -> String {
    s(&ok(&configure(options, ORIGIN)), "client")
}

/// Runs `body`, a JS function of `t`, on `text` in the browser.
fn js(body: &str, text: &str) -> JsValue {
    js_sys::Function::new_with_args("t", body)
        .call1(&JsValue::NULL, &JsValue::from_str(text))
        .unwrap()
}

/// A reply (or a form inside one) as the wrapper reads it (`core` and `obj` in index.ts): the
/// members of the form-encoded text; an error's arguments (`a`) as `args`, its `status` a
/// number.
fn reply(text: &str) -> JsValue {
    js(
        "const p = new URLSearchParams(t), o = Object.fromEntries(p);\
         if (o.msg) { o.status &&= +o.status; o.args = p.getAll('a'); }\
         return o;",
        text,
    )
}

/// The pairs of a form inside a reply (the headers, the storage edits) as a JSON text.
fn pairs(form: &str) -> String {
    js("return JSON.stringify([...new URLSearchParams(t)])", form)
        .as_string()
        .unwrap()
}

fn get(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |v, k| {
        Reflect::get(&v, &JsValue::from_str(k)).unwrap()
    })
}

/// A successful reply's value: `ok` when it has one, else its members.
fn ok(text: &str) -> JsValue {
    let r = reply(text);
    assert!(get(&r, "msg").is_undefined(), "expected ok: {text}");
    let one = get(&r, "ok");
    if one.is_undefined() {
        r
    } else {
        one
    }
}

fn err_code(text: &str) -> String {
    let r = reply(text);
    assert!(!get(&r, "msg").is_undefined(), "expected an error: {text}");
    get(&r, "code")
        .as_string()
        .unwrap_or_else(|| panic!("expected an error: {text}"))
}

/// An error reply's message as the wrapper writes it out: the template of `msg` (the
/// table messages.ts is generated from) with `args` in its `{}`s.
fn message(v: &JsValue) -> String {
    // Its digits, which index the templates as the wrapper's `list[msg]` does.
    let number: usize = s(v, "msg").parse().expect("msg");
    let args: Vec<String> = js_sys::Array::from(&get(v, "args"))
        .iter()
        .map(|a| a.as_string().unwrap())
        .collect();
    pleo_oauth::messages::fill(pleo_oauth::messages::TEMPLATES[number], &args)
}

fn s(v: &JsValue, path: &str) -> String {
    get(v, path).as_string().unwrap()
}

fn entropy(seed: u8) -> Vec<u8> {
    (0..64)
        .map(|i| seed.wrapping_mul(31).wrapping_add(i))
        .collect()
}

/// The SHA-256 digest of a text (Web Crypto's in the wrapper; the `sha2` crate's here).
fn sha(text: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).to_vec()
}

/// What a start and `createPkce()` are given, as the wrapper hands it over: the entropy, then
/// the digest of the verifier the `verifier` operation answers for it.
fn digested(seed: u8) -> Vec<u8> {
    let mut input = entropy(seed);
    input.extend(sha(&ok(&verifier(&input)).as_string().unwrap()));
    input
}

/// Starts a flow; returns (url, storage key, record).
fn begin(opts: &str, seed: u8) -> (String, String, String) {
    let r = ok(&start(
        &client(opts),
        "returnTo=%2Fback",
        &digested(seed),
        NOW,
        "",
        r#"{"tab":1}"#,
        false,
    ));
    (s(&r, "url"), s(&r, "key"), s(&r, "record"))
}

fn state_of(url: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("state="))
        .unwrap()
        .to_owned()
}

#[wasm_bindgen_test]
fn configure_answers_what_the_wrapper_needs_for_its_io() {
    let io = ok(&configure(
        &options("&storage=local&handoff.=&handoff.url=%2Fapi%2Fx&handoff.headers=X-Csrf&handoff.headers=t"),
        ORIGIN,
    ));
    assert_eq!(s(&io, "storage"), "localStorage");
    assert_eq!(s(&io, "url"), "/api/x");
    assert_eq!(s(&io, "credentials"), "same-origin");
    assert_eq!(s(&io, "timeoutMs"), "15000");
    assert_eq!(
        pairs(&s(&io, "headers")),
        r#"[["X-Csrf","t"],["Content-Type","application/json"],["X-Requested-With","pleo-oauth"]]"#
    );
}

#[wasm_bindgen_test]
fn configure_refuses_broken_options_with_invalid_config() {
    // What breaks a rule of the core (a wrong name or type never gets here: the wrapper
    // refuses it, tests/package/options.test.mjs).
    for bad in [
        String::new(),
        "clientId=".to_owned(),
        "%ZZ&{".to_owned(),
        options("&transactionTtlSeconds=NaN"),
        options("&handoff.="),
        options("&environment=prod"),
    ] {
        assert_eq!(
            err_code(&configure(&bad, ORIGIN)),
            "invalid_config",
            "{bad}"
        );
    }
    // API.md 0.2: the redirect URI on another origin than the page.
    let other = reply(&configure(&options(""), "http://localhost:5173"));
    assert_eq!(s(&other, "code"), "invalid_config");
    assert!(message(&other).contains("http://localhost:5173"));
}

/// The records list the wrapper sends to the sweep.
fn records(key: &str, record: &str) -> String {
    format!("{key}\u{1}{record}")
}

#[wasm_bindgen_test]
fn a_started_flow_completes_once_with_what_the_exchange_needs() {
    let opts = options("");
    let (url, key, record) = begin(&opts, 1);
    assert!(url.starts_with(
        "https://auth.pleo.io/oauth/authorize?response_type=code&client_id=client-1&"
    ));
    let st = state_of(&url);
    assert_eq!(key, format!("pleo-oauth:tx:{st}"));

    let callback = format!("{CB}?code=c0de&state={st}&tab=2#h");
    // The wrapper reads the one record `locate` names.
    assert_eq!(ok(&locate(&enc(&callback))).as_string().unwrap(), key);
    let answer = reply(&finish(
        &client(&opts),
        &enc(&callback),
        &record,
        NOW + 1.0,
        &callback,
        "",
    ));
    // Its members: the storage edits, the address, and the connection's (no error).
    assert!(get(&answer, "msg").is_undefined());
    let done = answer.clone();
    // The transaction is consumed: its key now holds the completed record, without secrets.
    let store = pairs(&s(&answer, "store"));
    // ... and so does the key of the address step 9 leaves, which a reload reads.
    let left = format!("pleo-oauth:tx:@{CB}?tab=2#h");
    assert!(
        store.starts_with(&format!(r#"[["{left}","v=done&"#))
            && store.contains(&format!(r#"["{key}","v=done&"#)),
        "{store}"
    );
    assert_eq!(
        ok(&locate(&enc(&format!("{CB}?tab=2#h"))))
            .as_string()
            .unwrap(),
        left
    );
    assert!(!store.contains("c0de"));
    assert_eq!(s(&answer, "clean"), "/pleo/callback?tab=2#h");
    assert_eq!(s(&done, "returnTo"), "/back");
    // appState is the JSON text JSON.stringify wrote, carried as it is.
    let app_state = JSON::parse(&s(&done, "appState")).unwrap();
    assert_eq!(get(&app_state, "tab").as_f64(), Some(1.0));
    let handoff = reply(&s(&done, "handoff"));
    assert_eq!(s(&handoff, "code"), "c0de");
    assert_eq!(s(&handoff, "codeVerifier").len(), 43);
    let challenge_sent = url
        .split("code_challenge=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let verifier = s(&handoff, "codeVerifier");
    let recomputed = ok(&challenge(&enc(&verifier), &sha(&verifier)));
    assert_eq!(
        recomputed.as_string().unwrap(),
        challenge_sent,
        "S256(verifier) was sent"
    );
    let body = reply(&s(&done, "body"));
    assert_eq!(s(&body, "code_verifier"), s(&handoff, "codeVerifier"));

    // The same callback against the completed record: already_handled, with the context.
    let completed = store
        .split("\",\"")
        .last()
        .unwrap()
        .trim_end_matches("\"]]");
    let replay = reply(&finish(
        &client(&opts),
        &enc(&callback),
        completed,
        NOW + 2.0,
        &callback,
        "",
    ));
    assert_eq!(s(&replay, "code"), "already_handled");
    assert_eq!(s(&replay, "returnTo"), "/back");
    let app_state = JSON::parse(&s(&replay, "appState")).unwrap();
    assert_eq!(get(&app_state, "tab").as_f64(), Some(1.0));
    // With nothing stored: unknown_state.
    let none = finish(
        &client(&opts),
        &enc(&callback),
        "",
        NOW + 2.0,
        &callback,
        "",
    );
    assert_eq!(err_code(&none), "unknown_state");
}

#[wasm_bindgen_test]
fn callback_checks_fail_in_the_contract_order() {
    let opts = options("");
    let (url, _, record) = begin(&opts, 2);
    let st = state_of(&url);
    let q = |query: &str| enc(&format!("{CB}?{query}"));
    let stored = record;
    let fin = |query: &str, now: f64| finish(&client(&opts), &q(query), &stored, now, CB, "");
    assert_eq!(
        err_code(&fin("state=a&state=b&code=c", NOW)),
        "duplicate_parameter"
    );
    assert_eq!(err_code(&fin("tab=1", NOW)), "not_a_callback");
    assert_eq!(err_code(&fin("code=c", NOW)), "missing_state");
    assert_eq!(
        err_code(&finish(&client(&opts), "%7B%7D", &stored, NOW, CB, "")),
        "invalid_parameter"
    );
    assert_eq!(
        err_code(&fin(&format!("code=c&state={st}"), NOW + 600_000.0)),
        "expired"
    );
    assert_eq!(
        err_code(&finish(
            &client(&opts),
            &enc(&format!("https://app.example.com/other?code=c&state={st}")),
            &stored,
            NOW,
            CB,
            ""
        )),
        "redirect_uri_mismatch"
    );
    let denied = reply(&fin(
        &format!("error=access_denied&error_description=no&state={st}"),
        NOW,
    ));
    assert_eq!(s(&denied, "code"), "authorization_error");
    assert_eq!(s(&denied, "error"), "access_denied");
    assert_eq!(s(&denied, "errorDescription"), "no");
    assert_eq!(s(&denied, "returnTo"), "/back");
}

#[wasm_bindgen_test]
fn the_sweep_is_scheduled_and_names_expired_and_unreadable_records_and_no_other() {
    let opts = options("");
    let (_, live_key, live) = begin(&opts, 3);
    // A start with no schedule stored says the sweep is due, and the next schedule.
    let r = ok(&start(&client(&opts), "", &digested(4), NOW, "", "", false));
    let next = s(&r, "sweep");
    assert_eq!(next, format!("{}", NOW as u64 + 600_000));
    let r = ok(&start(
        &client(&opts),
        "",
        &digested(4),
        NOW + 1.0,
        &next,
        "",
        false,
    ));
    assert!(get(&r, "sweep").is_undefined(), "not due again before then");
    let stored = [
        records(&live_key, &live),
        records(
            "pleo-oauth:tx:old",
            &format!("v=4&c=x&verifier={}&redirect_uri=x&exp=5", "v".repeat(43)),
        ),
        records("pleo-oauth:tx:junk", "garbage"),
    ]
    .join("\u{1}");
    let remove = JSON::stringify(&js_sys::Object::keys(&ok(&sweep(&stored, NOW)).into()))
        .unwrap()
        .as_string()
        .unwrap();
    assert_eq!(remove, r#"["pleo-oauth:tx:old","pleo-oauth:tx:junk"]"#);
}

#[wasm_bindgen_test]
fn handoff_outcomes_are_judged_by_the_core() {
    assert_eq!(handed_off("", "/api/x", "500", "2", "200"), "");
    assert_eq!(handed_off("", "/api/x", "500", "2", "204"), "");
    let failed = reply(&handed_off("", "/api/x", "500", "2", "502"));
    assert_eq!(s(&failed, "code"), "handoff_failed");
    assert_eq!(get(&failed, "status").as_f64(), Some(502.0));
    let timeout = reply(&handed_off("", "/api/x", "500", "1", "0"));
    assert!(message(&timeout).contains("500 ms"));
    assert_eq!(get(&timeout, "status").as_f64(), Some(0.0));
    assert_eq!(
        err_code(&handed_off("", "/api/x", "500", "0", "0")),
        "handoff_failed"
    );
}

#[wasm_bindgen_test]
fn a_bound_handoff_gets_state_and_challenge_to_register_first() {
    let opts = options("&handoff.=&handoff.url=%2Fapi%2Fx&handoff.startUrl=%2Fapi%2Fstart");
    assert_eq!(s(&ok(&configure(&opts, ORIGIN)), "startUrl"), "/api/start");
    let r = ok(&start(&client(&opts), "", &digested(9), NOW, "", "", false));
    let bind = reply(&s(&r, "bind"));
    let url = s(&r, "url");
    assert_eq!(s(&bind, "state"), state_of(&url));
    assert!(url.contains(&format!("code_challenge={}", s(&bind, "code_challenge"))));
    assert!(get(
        &ok(&start(
            &client(&options("")),
            "",
            &digested(9),
            NOW,
            "",
            "",
            false
        )),
        "bind"
    )
    .is_undefined());
    let refused = reply(&handed_off("start", "/api/start", "500", "2", "409"));
    assert!(message(&refused).contains("/api/start"));
    assert!(message(&refused).contains("Nothing was started"));
    assert_eq!(handed_off("start", "/api/start", "500", "2", "204"), "");
}

#[wasm_bindgen_test]
fn helpers_take_their_entropy_from_the_caller_and_refuse_too_little() {
    let p = ok(&pkce(&digested(5)));
    assert_eq!(s(&p, "verifier").len(), 43);
    assert_eq!(s(&p, "method"), "S256");
    assert_ne!(s(&p, "verifier"), s(&ok(&pkce(&digested(6))), "verifier"));
    assert_eq!(ok(&state(&entropy(5))).as_string().unwrap().len(), 43);
    assert_eq!(err_code(&pkce(&[])), "invalid_config");
    assert_eq!(err_code(&state(&[1; 32])), "invalid_config");
    let rfc = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert_eq!(
        ok(&challenge(rfc, &sha(rfc))).as_string().unwrap(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(
        err_code(&challenge("short", &sha("short"))),
        "invalid_parameter"
    );
    // The verifier's syntax first, then the digest: none (Web Crypto missing) or a short one
    // is invalid_config.
    assert_eq!(err_code(&challenge("short", &[])), "invalid_parameter");
    assert_eq!(err_code(&challenge(rfc, &[])), "invalid_config");
    assert_eq!(err_code(&challenge(rfc, &[1; 31])), "invalid_config");
    assert_eq!(err_code(&pkce(&entropy(5))), "invalid_config");
    assert_eq!(err_code(&verifier(&[1; 32])), "invalid_config");
    let p = ok(&pkce(&digested(5)));
    assert_eq!(
        s(&p, "verifier"),
        ok(&verifier(&entropy(5))).as_string().unwrap()
    );
    let parsed = ok(&parse(&enc("https://x.example/cb?code=a&state=b&iss=c")));
    assert_eq!(s(&parsed, "iss"), "c");
    assert_eq!(
        err_code(&parse(&enc("https://x/cb?iss=a&iss=b"))),
        "duplicate_parameter"
    );
}

#[wasm_bindgen_test]
fn hostile_strings_never_trap() {
    let big = format!("\"{}\"", "%".repeat(200_000));
    let nested = "[".repeat(5000) + &"]".repeat(5000);
    for input in [
        big.as_str(),
        nested.as_str(),
        "\"\\ud800\"",
        "\u{0}",
        "",
        "{\"\u{0}\":1}",
    ] {
        let _ = reply(&configure(input, input));
        let _ = reply(&parse(input));
        let _ = reply(&challenge(input, input.as_bytes()));
        let _ = reply(&start(
            &client(&options("")),
            input,
            &digested(7),
            NOW,
            input,
            input,
            true,
        ));
        let _ = reply(&finish(input, input, input, NOW, input, input));
        let _ = reply(&locate(input));
        let _ = reply(&sweep(input, NOW));
        let _ = reply(&dispatch(9, input, &[], NOW));
    }
    // Still working afterwards.
    begin(&options(""), 8);
}

#[wasm_bindgen_test]
fn popup_starts_name_their_state_and_timeout_and_failures_have_their_codes() {
    let opts = options("");
    let r = ok(&start(
        &client(&opts),
        "returnTo=%2Fx&timeoutMs=1500",
        &digested(11),
        NOW,
        "",
        "",
        true,
    ));
    assert_eq!(s(&r, "state"), state_of(&s(&r, "url")));
    assert_eq!(s(&r, "timeoutMs"), "1500");
    let plain = ok(&start(&client(&opts), "", &digested(11), NOW, "", "", true));
    assert_eq!(s(&plain, "timeoutMs"), "300000");
    assert_eq!(
        err_code(&start(
            &client(&opts),
            "timeoutMs=0",
            &digested(11),
            NOW,
            "",
            "",
            true
        )),
        "invalid_parameter"
    );
    assert_eq!(err_code(&popup_failed("0", "0")), "popup_blocked");
    assert_eq!(err_code(&popup_failed("1", "0")), "popup_closed");
    let timeout = reply(&popup_failed("2", "1500"));
    assert_eq!(s(&timeout, "code"), "popup_timeout");
    assert!(message(&timeout).contains("1500 ms"));
}
