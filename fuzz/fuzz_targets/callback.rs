//! The callback's parsers on arbitrary UTF-8: `callback::parse`, `locate`, `handle` (the
//! shipped path), `strip_callback_parameters` and `Transaction::decode`. Besides never panicking, they must
//! keep the rules the property tests state (tests/properties.rs): the cleaned address has no
//! callback parameter left, a located key is the state's, a decoded record has a same-origin
//! `return_to` and survives encode → decode.
//!
//! The input is read as `url`, or `url` + "\n" + `stored record`, so that one input can reach
//! the checks after the storage read (`handle` for a fixed client, the record stored under the
//! callback's state).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pleo_oauth::callback::{self, CallbackParameters};
use pleo_oauth::config::Config;
use pleo_oauth::options::Form;
use pleo_oauth::state::State;
use pleo_oauth::transaction::{self, Transaction};
use pleo_oauth::uri;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (url, record) = match text.split_once('\n') {
        Some((url, record)) => (url, Some(record)),
        None => (text, None),
    };

    // Steps 1–2, then 3–8 on the stored record (the whole text when there is none).
    match callback::locate(url) {
        Ok(callback::Located { params: p, key, .. }) => {
            let state = p.state().unwrap_or_default().to_owned();
            assert!(!state.is_empty());
            assert!(key.is_none_or(|k| k == transaction::storage_key(&state)));
            let stored = record.unwrap_or(text);
            let config = Config::from_form(&Form::parse(
                "clientId=c&redirectUri=https%3A%2F%2Fapp.example.com%2Fcb&scopes=users%3Aread",
            ))
            .expect("the fixed configuration is valid");
            let h = callback::handle(&config, url, url, stored, callback::Via::Page, 0);
            // Whatever the outcome, no storage edit writes a secret: a record written is a
            // completed one (`v=done`).
            for (_, v) in &h.store {
                assert!(v.as_deref().is_none_or(|v| v.starts_with("v=done&")));
            }
        }
        Err(_) => {
            let _ = callback::parse(text);
        }
    }

    // Step 9: only the callback parameters leave the address bar.
    let clean = callback::strip_callback_parameters(url);
    assert_eq!(callback::parse(&clean), Ok(CallbackParameters::default()));

    // The stored record.
    for stored in [Some(text), record].into_iter().flatten() {
        if let Some(t) = Transaction::decode(State::from_callback("s".into()), stored) {
            assert!(t.context.return_to.as_deref().is_none_or(uri::is_same_origin_path));
            let again = Transaction::decode(State::from_callback("s".into()), &t.encode())
                .expect("a decoded record re-encodes to one that decodes");
            assert_eq!(again.verifier.secret(), t.verifier.secret());
            assert_eq!(again.redirect_uri, t.redirect_uri);
            assert_eq!(again.issuer, t.issuer);
            assert_eq!(again.context.return_to, t.context.return_to);
            assert_eq!(again.expires_at_ms, t.expires_at_ms);
        }
    }
});
