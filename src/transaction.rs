//! The transaction: what the browser remembers between the redirect and the callback.
//!
//! Invariant: a stored record is found only by its exact key — [`KEY_PREFIX`] + the state
//! (base64url, [`storage_key`]), or [`KEY_PREFIX`] + `@` + the address a completed callback
//! left ([`address_key`]) — so an operation reads the one record it is about, never a list of
//! them. A pending record names the client that wrote it
//! ([`crate::config::Config::binding`]) and is replaced when its callback is handled (one use
//! only, RFC 6749 §10.5) by a [`Completed`] record that holds no secret; either is dropped once
//! past its expiry by the occasional sweep ([`sweep_due`], [`stale_keys`]). A record is serialised as a short
//! form-urlencoded string, so no JSON library ships; a record that does not decode strictly
//! (unknown or repeated field, other version) is treated as absent.

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::Context;
use crate::form;
use crate::pkce::PkceCodeVerifier;
use crate::state::State;
use crate::text::{digits, parse_decimal};
use crate::uri;

/// Prefix of every storage key this library writes.
pub const KEY_PREFIX: &str = "pleo-oauth:tx:";
/// The records of this version: a pending one names its client (`c`) by the text of its
/// binding ([`crate::config::Config::binding`]; version `3` wrote 128 bits of SHA-256 of it,
/// 0.2 wrote `1`), and a popup's transaction is marked (`p`). A record of another version
/// counts as none.
const FORMAT_VERSION: &str = "4";
/// The `v` of a [`Completed`] record.
const COMPLETED: &str = "done";
/// The records' fields; any other name, or a repeated one, voids the record.
const FIELDS: [&str; 9] = [
    "v",
    "c",
    "verifier",
    "redirect_uri",
    "exp",
    "iss",
    "return_to",
    "app_state",
    "p",
];

/// A pending authorisation.
#[derive(Debug)]
pub struct Transaction {
    /// The state it is stored under.
    pub state: State,
    /// The client that started it ([`crate::config::Config::binding`]).
    pub client: String,
    /// The PKCE verifier (secret).
    pub verifier: PkceCodeVerifier,
    /// The redirect URI sent in the request, verbatim.
    pub redirect_uri: String,
    /// The issuer configured when the flow started, if any.
    pub issuer: Option<String>,
    /// Where to go after the callback (`returnTo`), and the app's state as the JSON text
    /// `JSON.stringify` wrote (opaque to the core; the wrapper parses it).
    pub context: Context,
    /// Milliseconds since the Unix epoch after which the callback is refused.
    pub expires_at_ms: u64,
    /// Started by `popup()`: only the window waiting for it may take its callback.
    pub popup: bool,
}

/// A connection this browser completed (its callback was checked, whatever the outcome):
/// what `already_handled` answers with, and nothing secret. Stored under the key of the
/// transaction it replaces, so the state cannot be used again while it lasts (by any client:
/// the state was used), and under the address the callback left, so that a reload finds it.
#[derive(Debug, PartialEq, Eq)]
pub struct Completed {
    /// The connection's `returnTo` and `appState`.
    pub context: Context,
    /// Milliseconds since the Unix epoch after which the record is dropped.
    pub expires_at_ms: u64,
}

/// A stored record of this library.
#[derive(Debug)]
pub enum Record {
    /// Started, waiting for its callback.
    Pending(Transaction),
    /// Its callback was handled.
    Completed(Completed),
}

impl Record {
    /// Reads a stored record; `None` when it is not one this version wrote. Storage is
    /// writable by any script of the origin, so what comes back is checked by the rules it met
    /// on the way in: a `returnTo` by the same-origin path rule (RFC 9700 §4.11, open
    /// redirection). An `appState` is opaque text here: the replies carry it as it is (a member
    /// of their form, encoded whole), and the wrapper parses it before it makes any storage edit
    /// of the reply; one that does not parse makes the record count as none there (the core is
    /// asked again without it).
    pub fn decode(state: State, stored: &str) -> Option<Record> {
        let mut fields: [Option<String>; 9] = Default::default();
        form::fields(stored, &FIELDS, &mut fields, false).ok()?;
        let [v, client, verifier, redirect_uri, exp, iss, return_to, app_state, popup] = fields;
        if let Some(r) = &return_to {
            if !uri::is_same_origin_path(r) {
                return None;
            }
        }
        let expires_at_ms = parse_decimal(&exp?)?;
        // A popup's mark is `1` or absent, in either record (a completed one has none).
        let popup = match popup.as_deref() {
            None => false,
            Some("1") => true,
            Some(_) => return None,
        };
        let context = Context {
            return_to,
            app_state,
        };
        match v.as_deref()? {
            FORMAT_VERSION => Some(Record::Pending(Transaction {
                state,
                client: client?,
                verifier: PkceCodeVerifier::from_stored(verifier?)?,
                redirect_uri: redirect_uri?,
                issuer: iss,
                context,
                expires_at_ms,
                popup,
            })),
            COMPLETED
                if client.is_none()
                    && verifier.is_none()
                    && redirect_uri.is_none()
                    && iss.is_none()
                    && !popup =>
            {
                Some(Record::Completed(Completed {
                    context,
                    expires_at_ms,
                }))
            }
            _ => None,
        }
    }

    /// When the record stops counting.
    pub fn expires_at_ms(&self) -> u64 {
        match self {
            Record::Pending(t) => t.expires_at_ms,
            Record::Completed(c) => c.expires_at_ms,
        }
    }
}

impl Completed {
    /// The stored form.
    pub fn encode(&self) -> String {
        completed(&self.context, self.expires_at_ms)
    }
}

/// The stored form of the [`Completed`] record of a connection with this `context`.
pub fn completed(context: &Context, expires_at_ms: u64) -> String {
    let mut s = String::new();
    s.push_str("v=");
    s.push_str(COMPLETED);
    append_exp(&mut s, expires_at_ms);
    append_context(&mut s, context);
    s
}

/// Appends `&exp=` and the expiry's digits (which need no encoding), written in place.
fn append_exp(s: &mut String, expires_at_ms: u64) {
    s.push_str("&exp=");
    digits(s, expires_at_ms);
}

fn append_context(s: &mut String, context: &Context) {
    if let Some(r) = &context.return_to {
        form::append_pair(s, "return_to", r);
    }
    if let Some(a) = &context.app_state {
        form::append_pair(s, "app_state", a);
    }
}

/// The storage key for a state.
pub fn storage_key(state: &str) -> String {
    cat!(KEY_PREFIX, state)
}

/// The storage key of the record a completed callback leaves for the address it left in the
/// address bar (step 9), which a reload of that address reads: the address is `origin`
/// followed by `rest` (or whole in `origin`, with `rest` empty).
pub fn address_key(origin: &str, rest: &str) -> String {
    let mut key = storage_key("@");
    key.push_str(origin);
    key.push_str(rest);
    key
}

impl Transaction {
    /// The storage key of this transaction.
    pub fn storage_key(&self) -> String {
        storage_key(self.state.as_str())
    }

    /// The stored form.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        self.encode_into(&mut s);
        s
    }

    /// Appends the stored form to `s`, whatever `s` ends with.
    pub fn encode_into(&self, s: &mut String) {
        s.push_str("v=");
        s.push_str(FORMAT_VERSION);
        form::append_pair(s, "c", &self.client);
        form::append_pair(s, "verifier", self.verifier.secret());
        form::append_pair(s, "redirect_uri", &self.redirect_uri);
        append_exp(s, self.expires_at_ms);
        if let Some(iss) = &self.issuer {
            form::append_pair(s, "iss", iss);
        }
        append_context(s, &self.context);
        if self.popup {
            form::append_pair(s, "p", "1");
        }
    }

    /// Reads a stored pending record; `None` when it is not one this version wrote.
    pub fn decode(state: State, stored: &str) -> Option<Transaction> {
        match Record::decode(state, stored)? {
            Record::Pending(t) => Some(t),
            Record::Completed(_) => None,
        }
    }

    /// True once `now_ms` has reached the expiry.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        now_ms >= self.expires_at_ms
    }
}

/// Whether the sweep is due, by its schedule (what the last sweep answered, which the wrapper
/// keeps per client in memory; empty before the first): at the time it names, and whenever it
/// names none. Sweeping on a schedule, not on every start, keeps a start's storage work from
/// growing with what other flows left behind.
pub fn sweep_due(schedule: &str, now_ms: u64) -> bool {
    parse_decimal(schedule).is_none_or(|at| now_ms >= at)
}

/// Among storage entries, the keys of this library's records that are expired or unreadable:
/// the ones the sweep removes.
pub fn stale_keys(entries: &[(String, String)], now_ms: u64) -> Vec<String> {
    let mut stale = Vec::new();
    for (key, value) in entries {
        if is_stale(key, value, now_ms) {
            stale.push(key.clone());
        }
    }
    stale
}

/// Whether the storage entry `key`, `value` is one of this library's records, expired or
/// unreadable (see [`stale_keys`]).
pub fn is_stale(key: &str, value: &str, now_ms: u64) -> bool {
    // Only the expiry is read: the record's state is not copied out of its key.
    key.starts_with(KEY_PREFIX)
        && Record::decode(State::from_callback(String::new()), value)
            .is_none_or(|r| now_ms >= r.expires_at_ms())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    fn transaction(return_to: Option<&str>, issuer: Option<&str>) -> Transaction {
        Transaction {
            state: State::from_callback("abc".into()),
            client: "client-A".into(),
            popup: false,
            verifier: PkceCodeVerifier::new("v".repeat(43)).unwrap(),
            redirect_uri: "https://app.example.com/cb?x=1&y=2".into(),
            issuer: issuer.map(String::from),
            context: Context {
                return_to: return_to.map(String::from),
                app_state: None,
            },
            expires_at_ms: 1_700_000_000_000,
        }
    }

    #[test]
    fn round_trips_with_and_without_optional_fields() {
        for t in [
            transaction(None, None),
            transaction(Some("/a?b=c&d#e"), Some("https://auth.example.com")),
        ] {
            let back =
                Transaction::decode(State::from_callback("abc".into()), &t.encode()).unwrap();
            assert_eq!(back.verifier.secret(), t.verifier.secret());
            assert_eq!(back.redirect_uri, t.redirect_uri);
            assert_eq!(back.issuer, t.issuer);
            assert_eq!(back.context, t.context);
            assert_eq!(back.expires_at_ms, t.expires_at_ms);
            assert_eq!(back.client, "client-A");
            assert!(!back.popup);
        }
        let mut p = transaction(None, None);
        p.popup = true;
        let back = Transaction::decode(State::from_callback("abc".into()), &p.encode()).unwrap();
        assert!(back.popup, "a popup's transaction stays one");
        assert_eq!(transaction(None, None).storage_key(), "pleo-oauth:tx:abc");
    }

    #[test]
    fn rfc9700_s4_11_decoding_is_strict_and_rechecks_return_to() {
        let good = transaction(None, None).encode();
        let st = || State::from_callback("abc".into());
        assert!(Transaction::decode(st(), &good).is_some());
        assert!(
            Transaction::decode(st(), &format!("{good}&exp=1")).is_none(),
            "repeated field"
        );
        assert!(
            Transaction::decode(st(), &format!("{good}&extra=1")).is_none(),
            "unknown field"
        );
        assert!(
            Transaction::decode(st(), &good.replace("v=4", "v=1")).is_none(),
            "other version (0.2's records named no client)"
        );
        assert!(
            Transaction::decode(st(), &good.replace("v=4", "v=3")).is_none(),
            "other version (0.3's records named their client by a SHA-256 of its binding)"
        );
        assert!(
            Transaction::decode(st(), &good.replace("c=client-A&", "")).is_none(),
            "no client"
        );
        assert!(
            Transaction::decode(st(), &format!("{good}&p=0")).is_none(),
            "a popup mark other than 1"
        );
        assert!(
            Transaction::decode(st(), &good.replace("exp=", "exp=x")).is_none(),
            "bad expiry"
        );
        assert!(Transaction::decode(st(), "").is_none());
        assert!(Transaction::decode(st(), "{\"json\":true}").is_none());
        // A returnTo read back from storage meets the rule it met on the way in.
        assert!(Transaction::decode(st(), &transaction(Some("/back"), None).encode()).is_some());
        for evil in [
            "//evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/\\evil.example",
            "/\t/x",
        ] {
            let tampered = transaction(Some(evil), None).encode();
            assert!(Transaction::decode(st(), &tampered).is_none(), "{evil:?}");
        }
    }

    #[test]
    fn expiry_is_inclusive_of_the_deadline() {
        let t = transaction(None, None);
        assert!(!t.is_expired(t.expires_at_ms - 1));
        assert!(t.is_expired(t.expires_at_ms));
    }

    #[test]
    fn stale_keys_are_expired_or_corrupt_records_of_ours_only() {
        let live = transaction(None, None);
        let mut dead = transaction(None, None);
        dead.expires_at_ms = 10;
        let entries = vec![
            ("pleo-oauth:tx:live".to_string(), live.encode()),
            ("pleo-oauth:tx:dead".to_string(), dead.encode()),
            ("pleo-oauth:tx:junk".to_string(), "junk".to_string()),
            ("someone-else".to_string(), "junk".to_string()),
        ];
        assert_eq!(
            stale_keys(&entries, 1_000),
            ["pleo-oauth:tx:dead", "pleo-oauth:tx:junk"]
        );
    }

    #[test]
    fn completed_records_hold_no_secret_and_decode_strictly() {
        let c = Completed {
            context: Context {
                return_to: Some("/settings".into()),
                app_state: Some("{\"a\":[1,null]}".into()),
            },
            expires_at_ms: 5,
        };
        let stored = c.encode();
        let st = || State::from_callback("abc".into());
        match Record::decode(st(), &stored) {
            Some(Record::Completed(back)) => assert_eq!(back, c),
            other => panic!("{other:?}"),
        }
        assert!(
            Transaction::decode(st(), &stored).is_none(),
            "not a pending one"
        );
        let pending = transaction(None, None).encode();
        for tampered in [
            format!("{stored}&verifier={}", "v".repeat(43)),
            format!("{stored}&redirect_uri=x"),
            format!("{stored}&p=1"),
            format!("{stored}&p=0"),
            format!("{stored}&p="),
            format!("{stored}&c=client-A"),
            format!("{pending}&at=x"),
            stored.replace("v=done", "v=gone"),
        ] {
            assert!(Record::decode(st(), &tampered).is_none(), "{tampered}");
        }
        // An appState that is no JSON is the wrapper's to refuse (tests/package/hardening.test.mjs
        // "appState rechecked out of storage"); here it is kept as the text it is.
        let odd = stored.replace("%5B1%2Cnull%5D", "%5B1%2C%5D");
        match Record::decode(st(), &odd) {
            Some(Record::Completed(back)) => {
                assert_eq!(back.context.app_state.as_deref(), Some("{\"a\":[1,]}"))
            }
            other => panic!("{other:?}"),
        }
        // A pending record keeps its appState too.
        let mut t = transaction(Some("/x"), None);
        t.context.app_state = Some("\"s\"".into());
        let back = Transaction::decode(st(), &t.encode()).unwrap();
        assert_eq!(back.context.app_state.as_deref(), Some("\"s\""));
        // Completed records count as live for the sweep until they expire.
        let entries = vec![("pleo-oauth:tx:done".to_string(), stored)];
        assert!(stale_keys(&entries, 4).is_empty());
        assert_eq!(stale_keys(&entries, 5), ["pleo-oauth:tx:done"]);
    }

    #[test]
    fn the_sweep_is_due_on_its_schedule() {
        assert!(sweep_due("", 1_000), "none yet");
        assert!(!sweep_due("2000", 1_000), "not yet");
        assert!(sweep_due("2000", 2_000), "at the time it names");
        assert!(sweep_due("x", 1_000), "unreadable");
        assert!(address_key("https://a.example/x", "").starts_with(KEY_PREFIX));
        assert_eq!(
            address_key("https://a.example", "/x"),
            address_key("https://a.example/x", "")
        );
    }
}
