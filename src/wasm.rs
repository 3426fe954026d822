//! The browser edge: the functions the TypeScript wrapper calls, and the shipped module's
//! runtime.
//!
//! Invariant: no protocol rule lives here, and no JS value crosses. Every function takes
//! strings (the wrapper's JSON snapshots of options and arguments, storage records,
//! `location.href`), bytes (CSPRNG output) and numbers (the clock), runs the pure core, and
//! returns one JSON text: `{"ok": …}` or `{"err": {"code", "message", …}}`. The wrapper does all
//! I/O (storage, history, fetch) with what these return. Nothing is kept between calls.
//!
//! One wasm export, [`call`], dispatches to them: one glue function and one export shim
//! instead of nine (about 2 KB of wasm and 0.5 KB of gzipped glue less).

use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::callback;
use crate::config::{Config, Credentials};
use crate::error::Context;
use crate::error::{invalid_parameter, Error, Result};
use crate::handoff::{self, Response};
use crate::input::Input;
use crate::pkce::{PkceCodeVerifier, S256};
use crate::request::{self, split_entropy, AuthorizationUrlOptions};
use crate::state::State;
use crate::text::{decimal, Json};
use crate::transaction::{self, KEY_PREFIX};

/// `{"ok":<json>}` or `{"err":{…}}`.
fn reply(result: Result<String>) -> String {
    let mut j = Json::default();
    match result {
        Ok(ok) => j.key("ok").raw(&ok),
        Err(e) => j.key("err").raw(&error_json(&e)),
    };
    j.close()
}

fn error_json(e: &Error) -> String {
    let mut j = Json::default();
    j.field("code", e.code().as_str())
        .field("message", e.message());
    if let Some(d) = e.authorization_details() {
        j.field("error", &d.error)
            .field_opt("errorDescription", d.error_description.as_deref())
            .field_opt("errorUri", d.error_uri.as_deref());
    }
    if let Some(status) = e.status() {
        j.key("status").raw(&decimal(status.into()));
    }
    if let Some(c) = e.context() {
        context_fields(&mut j, c);
    }
    j.close()
}

/// `returnTo` and `appState` (JSON text checked by `text::is_json`, embedded as it is).
fn context_fields(j: &mut Json, c: &Context) {
    j.field_opt("returnTo", c.return_to.as_deref());
    if let Some(app_state) = &c.app_state {
        j.key("appState").raw(app_state);
    }
}

/// Parses the wrapper's `[[key, value], …]` list of this library's storage records.
fn entries(stored: &str) -> Vec<(String, String)> {
    let mut entries = Vec::new();
    if let Input::Array(items) = Input::from_json(stored) {
        for item in items {
            if let Input::Array(pair) = item {
                if let [Input::String(k), Input::String(v)] = pair.as_slice() {
                    entries.push((k.clone(), v.clone()));
                }
            }
        }
    }
    entries
}

fn config(options: &str) -> Result<Config> {
    Config::from_input(&Input::from_json(options))
}

/// A call argument that must be a string (a URL or a verifier).
fn string_argument(json: &str, what: &str) -> Result<String> {
    match Input::from_json(json) {
        Input::String(s) => Ok(s),
        _ => Err(invalid_parameter(what)),
    }
}

/// `PleoOAuth.create` on the page at `origin` (`location.origin`): checks the options;
/// answers what the wrapper needs for its I/O:
/// `{ storage, prefix, unavailable, refused, handoff?: { url, credentials, headers: [[name,
/// value]], timeoutMs } }` — `unavailable`/`refused` are the `storage_unavailable` messages,
/// and `headers` includes the two the library sets itself.
pub fn configure(options: &str, origin: &str) -> String {
    reply(config(options).and_then(|c| {
        c.check_page_origin(origin)?;
        let mut j = Json::default();
        j.field("storage", c.storage.name())
            .field("prefix", KEY_PREFIX)
            .field("unavailable", &c.storage.unavailable_message())
            .field("refused", &c.storage.refused_message());
        if let Some(h) = &c.handoff {
            let mut hj = Json::default();
            hj.field("url", &h.url)
                .field_opt("startUrl", h.start_url.as_deref())
                .field(
                    "credentials",
                    match h.credentials {
                        Credentials::SameOrigin => "same-origin",
                        Credentials::Include => "include",
                        Credentials::Omit => "omit",
                    },
                );
            hj.key("headers").raw("[");
            let own = [
                ("Content-Type", "application/json"),
                handoff::REQUESTED_WITH,
            ];
            for (name, value) in h
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .chain(own)
            {
                hj.separate_item();
                hj.raw("[").item(name).item(value).raw("]");
            }
            hj.raw("]")
                .key("timeoutMs")
                .raw(&decimal(h.timeout_ms.into()));
            j.key("handoff").raw(&hj.close());
        }
        Ok(j.close())
    }))
}

/// `authorizationUrl()`: a fresh request from 64 CSPRNG bytes, and what to do in storage:
/// `{ url, key, record, remove: [stale keys] }`. `stored` is the JSON `[[key, value], …]` of
/// the records under the prefix now (expired or unreadable ones are to be removed);
/// `app_state` is `JSON.stringify(appState)` (see [`AuthorizationUrlOptions::app_state`]),
/// empty for none. For `popup()` (`popup` true) the options may hold `timeoutMs`, and the
/// answer adds `popup: { state, timeoutMs }`.
pub fn start(
    options: &str,
    call: &str,
    entropy: &[u8],
    now_ms: f64,
    stored: &str,
    app_state: &str,
    popup: bool,
) -> String {
    reply((|| {
        let c = config(options)?;
        let (mut options, timeout_ms) = if popup {
            AuthorizationUrlOptions::from_popup_input(&Input::from_json(call))?
        } else {
            (
                AuthorizationUrlOptions::from_input(&Input::from_json(call))?,
                0,
            )
        };
        options.app_state = (!app_state.is_empty()).then(|| app_state.into());
        let r = request::build(&c, options, entropy, now_ms as u64)?;
        let mut j = Json::default();
        j.field("url", &r.url)
            .field("key", &r.transaction.storage_key())
            .field("record", &r.transaction.encode());
        if c.handoff.is_some_and(|h| h.start_url.is_some()) {
            // RFC 9700 §4.5: what the bound handoff registers with the backend first.
            let mut bind = Json::default();
            bind.field("state", r.transaction.state.as_str())
                .field("code_challenge", r.challenge.as_str());
            j.field("bind", &bind.close());
        }
        if popup {
            let mut p = Json::default();
            p.field("state", r.transaction.state.as_str())
                .key("timeoutMs")
                .raw(&decimal(timeout_ms.into()));
            j.key("popup").raw(&p.close());
        }
        j.key("remove").raw("[");
        for key in transaction::stale_keys(&entries(stored), now_ms as u64) {
            j.item(&key);
        }
        j.raw("]");
        Ok(j.close())
    })())
}

const URL_ARGUMENT: &str =
    "handleCallback(url) needs the callback URL as a string, a URL or a Location (or nothing, for location.href).";

/// `handleCallback()`, steps 1–9 for the client configured with `options`, against this
/// library's records in storage (`stored`, as for [`start`]), on the page at `here`
/// (`location.href`). Answers `{ store: [[key, value or null], …], ok | err }`: the storage
/// edits to make first, whatever the outcome (`null` removes), then `ok` = `{ clean?,
/// returnTo?, appState?, handoff: { code, codeVerifier, redirectUri, state }, body }` —
/// `clean` is the address step 9 leaves (path, query, fragment) when `url` is `here`, `body`
/// the JSON text to POST to `handoff.url` (step 10).
pub fn finish(options: &str, url: &str, stored: &str, now_ms: f64, here: &str) -> String {
    let handled = (|| {
        let c = config(options)?;
        let url = string_argument(url, URL_ARGUMENT)?;
        Ok(callback::handle(
            &c,
            &url,
            here,
            &entries(stored),
            now_ms as u64,
        ))
    })();
    let (store, outcome) = match handled {
        Ok(h) => (h.store, h.outcome),
        Err(e) => (Vec::new(), Err(e)),
    };
    let outcome = outcome.map(|s| {
        let v = s.verified;
        let mut payload = Json::default();
        payload
            .field("code", v.code.secret())
            .field("codeVerifier", v.verifier.secret())
            .field("redirectUri", &v.redirect_uri)
            .field("state", v.state.as_str());
        let mut body = Json::default();
        body.field("code", v.code.secret())
            .field("code_verifier", v.verifier.secret())
            .field("redirect_uri", &v.redirect_uri)
            .field("state", v.state.as_str());
        let mut j = Json::default();
        j.field_opt("clean", s.clean.as_deref());
        context_fields(
            &mut j,
            &Context {
                return_to: v.return_to,
                app_state: v.app_state,
            },
        );
        j.key("handoff").raw(&payload.close());
        j.field("body", &body.close());
        j.close()
    });
    let mut j = Json::default();
    j.key("store").raw("[");
    for (key, value) in &store {
        j.separate_item();
        j.raw("[").item(key);
        match value {
            Some(v) => j.item(v),
            None => j.raw(",null"),
        };
        j.raw("]");
    }
    j.raw("]");
    match outcome {
        Ok(ok) => j.key("ok").raw(&ok),
        Err(e) => j.key("err").raw(&error_json(&e)),
    };
    j.close()
}

/// The outcome of a handoff request: `kind` is what the wrapper saw (0 no response, 1 timed
/// out, 2 a response with HTTP `status`), `request` `"start"` for `handoff.startUrl`
/// (anything else: the exchange at `handoff.url`, step 10).
pub fn handed_off(options: &str, request: &str, kind: u32, status: u32) -> String {
    reply((|| {
        let c = config(options)?;
        let Some(h) = c.handoff else {
            return Ok("null".into());
        };
        let status = u16::try_from(status).unwrap_or(0);
        let response = match kind {
            1 => Response::TimedOut,
            2 => Response::Status(status),
            _ => Response::None,
        };
        let (request, url) = match (request, &h.start_url) {
            ("start", Some(start)) => (handoff::Request::Start, start),
            _ => (handoff::Request::Exchange, &h.url),
        };
        handoff::outcome(request, response, url, h.timeout_ms)?;
        Ok("null".into())
    })())
}

/// Why `popup()` failed, as its error: `kind` 0 blocked, 1 closed by the user, 2 timed out
/// after `timeout_ms`.
pub fn popup_failed(kind: u32, timeout_ms: u32) -> String {
    reply(Err(match kind {
        0 => Error::new(
            crate::ErrorCode::PopupBlocked,
            "The browser blocked the Pleo popup. Call popup() directly in the click handler, before any await (or use redirect()); the user may also allow popups for this site.",
        ),
        1 => Error::new(
            crate::ErrorCode::PopupClosed,
            "The Pleo window was closed before the connection completed; nothing was shared. Offer to connect again.",
        ),
        _ => Error::new(
            crate::ErrorCode::PopupTimeout,
            cat!(
                "The Pleo window did not complete the connection within ",
                &decimal(timeout_ms.into()),
                " ms (popup timeoutMs), so it was closed. Offer to connect again."
            ),
        ),
    }))
}

/// `createPkce()`: `{ verifier, challenge, method }` from the first 32 of 64 CSPRNG bytes.
pub fn pkce(entropy: &[u8]) -> String {
    reply(split_entropy(entropy).map(|(bytes, _)| {
        let verifier = PkceCodeVerifier::from_entropy(bytes);
        let mut j = Json::default();
        j.field("verifier", verifier.secret())
            .field("challenge", verifier.challenge().as_str())
            .field("method", S256);
        j.close()
    }))
}

/// `codeChallenge(verifier)`: the S256 challenge as a JSON string.
pub fn challenge(verifier: &str) -> String {
    reply((|| {
        let verifier = string_argument(verifier, "codeChallenge(verifier) needs a string.")?;
        let mut j = Json::default();
        j.string(PkceCodeVerifier::new(verifier)?.challenge().as_str());
        Ok(j.0)
    })())
}

/// `generateState()`: a state from the first 32 of 64 CSPRNG bytes, as a JSON string.
pub fn state(entropy: &[u8]) -> String {
    reply(split_entropy(entropy).map(|(bytes, _)| {
        let mut j = Json::default();
        j.string(State::from_entropy(bytes).as_str());
        j.0
    }))
}

/// `parseCallback(url)`: the callback parameters, duplicates refused.
pub fn parse(url: &str) -> String {
    reply((|| {
        let url = string_argument(url, "parseCallback(url) needs the URL as a string.")?;
        let p = callback::parse(&url)?;
        let mut j = Json::default();
        j.field_opt("code", p.code.as_ref().map(|c| c.secret()))
            .field_opt("state", p.state.as_deref())
            .field_opt("error", p.error.as_deref())
            .field_opt("errorDescription", p.error_description.as_deref())
            .field_opt("errorUri", p.error_uri.as_deref())
            .field_opt("iss", p.iss.as_deref());
        Ok(j.close())
    })())
}

/// The one export: `op` picks the function; `args` holds its string arguments in order,
/// separated by NUL (every one is JSON written by `JSON.stringify`, or `location.href`, and
/// neither ever contains a raw NUL); `entropy`, `n` and `m` its other arguments (unused ones
/// empty or zero). The wrapper's `core()` is its only caller.
#[wasm_bindgen]
pub fn call(op: u32, args: &str, entropy: &[u8], n: f64, m: u32) -> String {
    let mut args = crate::text::pieces(args, 0);
    let mut next = || args.next().unwrap_or_default();
    let (a, b, c, d) = (next(), next(), next(), next());
    match op {
        0 => configure(a, b),
        1 => start(a, b, entropy, n, c, d, m == 1),
        2 => finish(a, b, c, n, d),
        3 => handed_off(a, b, n as u32, m),
        4 => pkce(entropy),
        5 => challenge(a),
        6 => state(entropy),
        7 => parse(a),
        8 => popup_failed(m, n as u32),
        _ => reply(Err(Error::new(
            crate::ErrorCode::InvalidParameter,
            "pleo-oauth: unknown operation; reinstall the package.",
        ))),
    }
}

/// The shipped module's runtime (`--features wasm-runtime`): a panic handler that traps, so
/// that no panic message or `core::fmt` is linked (clippy denies every panicking construct in
/// `src/`, so none is reachable by design), and a bump allocator.
#[cfg(feature = "wasm-runtime")]
mod runtime {
    use core::alloc::{GlobalAlloc, Layout};
    use core::arch::wasm32;
    use core::cell::UnsafeCell;
    use core::ptr::null_mut;

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
        wasm32::unreachable()
    }

    const PAGE: usize = 65_536;

    /// An arena: allocation bumps a pointer, freeing does nothing, and [`reset`] starts over.
    ///
    /// Invariant: the core keeps nothing between calls (sans-IO), so once an export has
    /// returned and the glue has copied its string out, nothing in the arena is live. The
    /// wrapper calls [`reset`] after every call (also one that trapped); memory grows only to the largest single
    /// call's need, and a trap in one call cannot leave the next with less. With `dealloc` a
    /// no-op, the compiler drops every `drop` of the core's strings and vectors — most of the
    /// size this allocator saves. `realloc` of the newest block grows it in place.
    /// Single-threaded, as wasm32-unknown-unknown is here.
    struct Bump(UnsafeCell<Heap>);

    struct Heap {
        base: usize,
        next: usize,
        end: usize,
    }

    // SAFETY: wasm32-unknown-unknown without atomics has one thread.
    unsafe impl Sync for Bump {}

    #[global_allocator]
    static ALLOCATOR: Bump = Bump(UnsafeCell::new(Heap {
        base: 0,
        next: 0,
        end: 0,
    }));

    /// Empties the arena. The wrapper calls it between calls, when nothing is live.
    #[wasm_bindgen::prelude::wasm_bindgen]
    pub fn reset() {
        // SAFETY: single-threaded; no export is running while the wrapper calls this one.
        let heap = unsafe { &mut *ALLOCATOR.0.get() };
        heap.next = heap.base;
    }

    impl Heap {
        /// Makes `[.., to)` usable, growing the memory when needed.
        fn reserve(&mut self, to: usize) -> bool {
            if self.base == 0 {
                self.base = wasm32::memory_size(0) * PAGE;
                self.next = self.base;
                self.end = self.base;
            }
            if to > self.end {
                let pages = (to - self.end).div_ceil(PAGE);
                if wasm32::memory_grow(0, pages) == usize::MAX {
                    return false;
                }
                self.end += pages * PAGE;
            }
            true
        }
    }

    unsafe impl GlobalAlloc for Bump {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: single-threaded, and no reference to the heap outlives this call.
            let heap = unsafe { &mut *self.0.get() };
            if !heap.reserve(0) {
                return null_mut();
            }
            let start = heap.next.next_multiple_of(layout.align());
            let Some(end) = start.checked_add(layout.size()) else {
                return null_mut();
            };
            if !heap.reserve(end) {
                return null_mut();
            }
            heap.next = end;
            start as *mut u8
        }

        unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: as in `alloc`.
            let heap = unsafe { &mut *self.0.get() };
            let start = ptr as usize;
            if start + layout.size() == heap.next {
                let Some(end) = start.checked_add(new_size) else {
                    return null_mut();
                };
                if !heap.reserve(end) {
                    return null_mut();
                }
                heap.next = end;
                return ptr;
            }
            // SAFETY: the caller's contract for realloc is the one alloc/dealloc need.
            unsafe {
                let new = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
                if !new.is_null() {
                    core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                }
                new
            }
        }
    }
}
