//! The browser edge: the operations of [`crate::boundary::OPS`] over strings, and the shipped
//! module's exports and runtime.
//!
//! Invariant: no protocol rule lives here, and no JS value crosses. Every operation takes
//! strings (the options the wrapper checked and wrote as forms, percent-encoded arguments,
//! storage records as keys and values in turn, `location.href`, the client record
//! [`configure`] issued), CSPRNG
//! bytes (and the platform's SHA-256 digest of the verifier they make) and the clock, runs the
//! pure core, and answers one form-encoded text ([`Reply`]: `name=value` pairs, every name and
//! value encoded whole, which the wrapper reads with `URLSearchParams`): the operation's
//! members (`ok` for a reply of one value; lists and objects as forms of their own in one
//! member), or an error's (`code`, `msg`, `a`…, [`error_fields`]). No `core::fmt`, no JSON
//! writer: the form encoding is the one the options and the records need anyway.
//! The wrapper does all I/O (storage, history, fetch) with what these return. Nothing is kept
//! between calls. Compiled on every target, so the native tests drive the shipped path too;
//! only the exports and the runtime are wasm32's.

use alloc::string::String;
use alloc::vec::Vec;

use crate::boundary::Op;
use crate::callback;
use crate::config::Config;
use crate::error::Context;
use crate::error::{invalid_parameter, Error, Result};
use crate::form;
use crate::handoff::{self, Response};
use crate::messages::Msg;
use crate::options::Form;
use crate::pkce::{PkceCodeChallenge, PkceCodeVerifier, S256};
use crate::request::{self, split_entropy, AuthorizationUrlOptions};
use crate::state::State;
use crate::text::parse_decimal;
use crate::transaction;

/// A reply (or a part of one) under construction: form-encoded `name=value` pairs
/// ([`form::append_pair`]), which the wrapper reads with `URLSearchParams`. Every name and
/// value is encoded whole (`&`, `=`, `%` and `+` included), so no text — a URL piece, a stored
/// record, `appState` — can end its field or add one.
#[derive(Default)]
struct Reply(String);

impl Reply {
    /// `name=value`.
    fn field(&mut self, name: &str, value: &str) -> &mut Self {
        form::append_pair(&mut self.0, name, value);
        self
    }

    /// `name=<the decimal digits of n>` (digits need no encoding: written in place, not
    /// through a `String` of their own; inlined: 7 B gzip less than out of line, measured).
    #[inline(always)]
    fn number(&mut self, name: &str, n: u64) -> &mut Self {
        form::append_pair(&mut self.0, name, "");
        crate::text::digits(&mut self.0, n);
        self
    }

    /// `name=value` when there is a value.
    fn field_opt(&mut self, name: &str, value: &Option<String>) -> &mut Self {
        if let Some(v) = value {
            self.field(name, v);
        }
        self
    }
}

/// A reply of one value: `ok=<value>`.
fn ok(value: &str) -> Reply {
    let mut j = Reply::default();
    j.field("ok", value);
    j
}

/// The reply's text: its members, or an error's ([`error_fields`]).
fn reply(result: Result<Reply>) -> String {
    result
        .unwrap_or_else(|e| {
            let mut j = Reply::default();
            error_fields(&mut j, &e);
            j
        })
        .0
}

/// An error as members of the reply itself: `code`, `msg` (the message's number), one `a` per
/// argument in order, and the details it has. No successful reply has a `msg` of its own: the
/// wrapper tells the two apart by it.
fn error_fields(j: &mut Reply, e: &Error) {
    let m = e.message_parts();
    j.field("code", e.code().as_str())
        .number("msg", m.msg as u64);
    j.0.push_str(&m.args);
    if let Some(d) = e.authorization_details() {
        j.field("error", &d.error)
            .field_opt("errorDescription", &d.error_description)
            .field_opt("errorUri", &d.error_uri);
    }
    if let Some(status) = e.status() {
        j.number("status", status.into());
    }
    if let Some(c) = e.context() {
        context_fields(j, c);
    }
}

/// `returnTo` and `appState`: `appState` is the text `JSON.stringify` wrote at the start,
/// opaque here (read back from storage, any script of the origin may have rewritten it); the
/// wrapper parses it where it hands it out (`core`'s `edit` in index.ts: one that does not
/// parse makes the record count as none).
fn context_fields(j: &mut Reply, c: &Context) {
    j.field_opt("returnTo", &c.return_to)
        .field_opt("appState", &c.app_state);
}

/// The client record [`configure`] issued (configure once: later operations never read the
/// options again); a broken one is `invalid_config` ([`Config::decode`]).
fn client(record: &str) -> Result<Config> {
    Config::decode(record)
}

/// A call argument (a URL or a verifier), percent-encoded by the wrapper, which checked that
/// it is a string.
fn argument(encoded: &str) -> String {
    form::decode(encoded)
}

/// `PleoOAuth.create` on the page at `origin` (`location.origin`): checks the options, once;
/// answers the client record later operations take instead of the options, and what the
/// wrapper needs for its I/O: `client`, `storage`, and with a handoff also `url`, `startUrl?`,
/// `credentials`, `headers` and `timeoutMs` — `headers` the request's headers as a form of
/// their own (`name=value` pairs, which `URLSearchParams` reads as the pairs `fetch` takes),
/// including the two the library sets itself.
pub fn configure(options: &str, origin: &str) -> String {
    reply(Config::from_form(&Form::parse(options)).and_then(|c| {
        c.check_page_origin(origin)?;
        let mut j = Reply::default();
        j.field("client", &c.encode())
            .field("storage", c.storage.name());
        if let Some(h) = &c.handoff {
            let mut headers = Reply::default();
            for (name, value) in &h.headers {
                headers.field(name, value);
            }
            // The two the library sets itself.
            headers
                .field("Content-Type", "application/json")
                .field(handoff::REQUESTED_WITH.0, handoff::REQUESTED_WITH.1);
            j.field("url", &h.url)
                .field_opt("startUrl", &h.start_url)
                .field(
                    "credentials",
                    crate::text::nth_word(crate::config::CREDENTIALS_MODES, h.credentials as usize),
                )
                .field("headers", &headers.0)
                .number("timeoutMs", h.timeout_ms.into());
        }
        Ok(j)
    }))
}

/// `authorizationUrl()`: a fresh request from 64 CSPRNG bytes and the platform's SHA-256
/// digest of the verifier they make ([`verifier`]; [`request::split`]), and what to do in storage:
/// `url`, `key`, `record`, `sweep?` — `sweep`, when the sweep is due by its `schedule` (the value
/// under [`transaction::SWEEP_KEY`], empty for none), is the schedule to store once the
/// records [`sweep`] names are removed. `app_state` is `JSON.stringify(appState)` (see
/// [`AuthorizationUrlOptions::app_state`]), empty for none. For `popup()` (`popup` true) the
/// options may hold `timeoutMs`, the transaction is the popup's, and the answer adds `state`
/// and `timeoutMs`. With a bound handoff, `bind`: what to POST to `handoff.startUrl` first, as
/// a form of its own (the wrapper writes it as JSON).
pub fn start(
    record: &str,
    call: &str,
    entropy: &[u8],
    now_ms: f64,
    schedule: &str,
    app_state: &str,
    popup: bool,
) -> String {
    reply((|| {
        let c = client(record)?;
        let (mut options, timeout_ms) =
            AuthorizationUrlOptions::from_form(&Form::parse(call), popup)?;
        options.app_state = (!app_state.is_empty()).then(|| app_state.into());
        let now_ms = now_ms as u64;
        let mut r = request::build(&c, options, entropy, now_ms)?;
        r.transaction.popup = popup;
        let mut j = Reply::default();
        j.field("url", &r.url)
            .field("key", &r.transaction.storage_key())
            .field("record", &r.transaction.encode());
        if c.bound {
            // RFC 9700 §4.5: what the bound handoff registers with the backend first.
            let mut bind = Reply::default();
            bind.field("state", r.transaction.state.as_str())
                .field("code_challenge", r.challenge.as_str());
            j.field("bind", &bind.0);
        }
        if popup {
            j.field("state", r.transaction.state.as_str())
                .number("timeoutMs", timeout_ms.into());
        }
        // Once per time to live at most: no record outlives two of them unswept. The next
        // sweep is due when this transaction expires, one time to live from now.
        if transaction::sweep_due(schedule, now_ms) {
            j.number("sweep", r.transaction.expires_at_ms);
        }
        Ok(j)
    })())
}

/// The sweep: of this library's records in storage (`stored`), the keys of those expired or
/// unreadable ([`transaction::is_stale`]), each as a member's name (its value empty): the
/// wrapper hands over only keys that start with [`transaction::KEY_PREFIX`], so none is a name
/// the reply's reading gives a meaning to (`ok`, `msg`). `stored` is the wrapper's list of
/// them: keys and values in turn, separated by U+0001 (the wrapper hands over no key or value
/// holding one, or a NUL: those it reads as an empty, unreadable record). Nothing is decoded:
/// the records are the core's own text.
pub fn sweep(stored: &str, now_ms: f64) -> String {
    let mut j = Reply::default();
    let mut pieces = crate::text::pieces(stored, 1);
    while let (Some(k), Some(v)) = (pieces.next(), pieces.next()) {
        if transaction::is_stale(k, v, now_ms as u64) {
            j.field(k, "");
        }
    }
    j.0
}

/// `handleCallback()`, first: the key of the one record [`finish`] reads (`ok`; empty when
/// there is none to read).
pub fn locate(url: &str) -> String {
    ok(&callback::record_key(&argument(url)).unwrap_or_default()).0
}

/// `handleCallback()`, steps 1–9 for the client `record`, given the value in storage under
/// the key [`locate`] named (`stored`, empty for none), on the page at `here`
/// (`location.href`); `via` `"popup"` when the window waiting for a `popup()` hands the
/// callback its popup relayed ([`callback::Via`]), else empty. Answers `store`: the storage
/// edits to make first, whatever the outcome, as a form of their own (`key=value`, an empty
/// value removes: no record the core writes is empty); `clean?`, the address step 9 leaves
/// (path, query, fragment) after a completed callback — success or error — when `url` is
/// `here`; then on success `returnTo?`, `appState?`, `handoff` (a form of `code`,
/// `codeVerifier`, `redirectUri`, `state`) and `body` (a form of `code`, `code_verifier`,
/// `redirect_uri`, `state`, which the wrapper POSTs to `handoff.url` as JSON: step 10), or the
/// error's members.
pub fn finish(record: &str, url: &str, stored: &str, now_ms: f64, here: &str, via: &str) -> String {
    // A broken client record: no storage edit, and its error.
    let callback::Handled {
        store,
        clean,
        outcome,
    } = match client(record) {
        Ok(c) => callback::handle(
            &c,
            &argument(url),
            here,
            stored,
            match via {
                "popup" => callback::Via::Popup,
                _ => callback::Via::Page,
            },
            now_ms as u64,
        ),
        Err(e) => callback::Handled {
            store: Vec::new(),
            clean: None,
            outcome: Err(e),
        },
    };
    let mut edits = Reply::default();
    for (key, value) in &store {
        edits.field(
            key,
            match value {
                Some(v) => v,
                None => "",
            },
        );
    }
    let mut j = Reply::default();
    j.field("store", &edits.0).field_opt("clean", &clean);
    match outcome {
        Ok(s) => {
            let v = s.verified;
            let mut payload = Reply::default();
            payload
                .field("code", v.code.secret())
                .field("codeVerifier", v.verifier.secret())
                .field("redirectUri", &v.redirect_uri)
                .field("state", v.state.as_str());
            let mut body = Reply::default();
            body.field("code", v.code.secret())
                .field("code_verifier", v.verifier.secret())
                .field("redirect_uri", &v.redirect_uri)
                .field("state", v.state.as_str());
            context_fields(&mut j, &v.context);
            j.field("handoff", &payload.0).field("body", &body.0);
        }
        Err(e) => error_fields(&mut j, &e),
    }
    j.0
}

/// The outcome of a handoff request to `url` (the wrapper holds the handoff's URLs and
/// timeout from [`configure`]): `request` `"start"` for `handoff.startUrl` (anything else:
/// the exchange at `handoff.url`, step 10), `response` what the wrapper saw (`0` no response,
/// `1` timed out, `2` a response with HTTP `status`). An empty reply on success.
pub fn handed_off(
    request: &str,
    url: &str,
    timeout_ms: &str,
    response: &str,
    status: &str,
) -> String {
    let number = |s: &str| {
        parse_decimal(s)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    };
    let response = match response {
        "1" => Response::TimedOut,
        "2" => Response::Status(u16::try_from(number(status)).unwrap_or(0)),
        _ => Response::None,
    };
    let request = match request {
        "start" => handoff::Request::Start,
        _ => handoff::Request::Exchange,
    };
    reply(handoff::outcome(request, response, url, number(timeout_ms)).map(|()| Reply::default()))
}

/// Why `popup()` failed, as its error: `why` `"0"` blocked, `"1"` closed by the user, `"2"`
/// timed out after `timeout_ms`.
pub fn popup_failed(why: &str, timeout_ms: &str) -> String {
    reply(Err(match why {
        "0" => Error::new(crate::ErrorCode::PopupBlocked, Msg::PopupBlocked),
        "1" => Error::new(crate::ErrorCode::PopupClosed, Msg::PopupClosed),
        _ => crate::error::quoting(
            crate::ErrorCode::PopupTimeout,
            Msg::PopupTimedOut,
            timeout_ms,
        ),
    }))
}

/// `createPkce()`: `verifier`, `challenge`, `method` from 64 CSPRNG bytes and the platform's
/// SHA-256 digest of the verifier they make ([`verifier`]), as a start takes them
/// ([`request::split`]).
pub fn pkce(input: &[u8]) -> String {
    reply(request::split(input).map(|(_, verifier, challenge)| {
        let mut j = Reply::default();
        j.field("verifier", verifier.secret())
            .field("challenge", challenge.as_str())
            .field("method", S256);
        j
    }))
}

/// `codeChallenge(verifier)`: the S256 challenge (`ok`), from the platform's SHA-256 `digest`
/// of the verifier; the verifier is checked first (`invalid_parameter`), then the digest
/// ([`PkceCodeChallenge::from_digest`]).
pub fn challenge(verifier: &str, digest: &[u8]) -> String {
    reply((|| {
        PkceCodeVerifier::new(argument(verifier))?;
        Ok(ok(PkceCodeChallenge::from_digest(digest)?.as_str()))
    })())
}

/// Before a start or `createPkce()`: the verifier 64 CSPRNG bytes make
/// ([`request::verifier`]), as `ok`, for the wrapper to digest.
pub fn verifier(entropy: &[u8]) -> String {
    reply(request::verifier(entropy).map(|v| ok(v.secret())))
}

/// `generateState()`: a state from the first 32 of 64 CSPRNG bytes, as `ok`.
pub fn state(entropy: &[u8]) -> String {
    reply(split_entropy(entropy).map(|(bytes, _)| ok(State::from_entropy(bytes).as_str())))
}

/// `parseCallback(url)`: the callback parameters, duplicates refused.
pub fn parse(url: &str) -> String {
    reply((|| {
        let url = argument(url);
        let p = callback::parse(&url)?;
        let [code, state, error, error_description, error_uri, iss] = &p.0;
        let mut j = Reply::default();
        j.field_opt("code", code)
            .field_opt("state", state)
            .field_opt("error", error)
            .field_opt("errorDescription", error_description)
            .field_opt("errorUri", error_uri)
            .field_opt("iss", iss);
        Ok(j)
    })())
}

/// Runs operation `op` ([`crate::boundary::OPS`]) on its string arguments (`args`, separated
/// by NUL), `entropy` and the clock `now_ms`.
pub fn dispatch(op: u32, args: &str, entropy: &[u8], now_ms: f64) -> String {
    // The server build (`--features server`) answers its own operations too.
    #[cfg(feature = "server")]
    if let Some(reply) = crate::server::ops::dispatch(op, args, now_ms) {
        return reply;
    }
    let mut args = crate::text::pieces(args, 0);
    let mut next = || args.next().unwrap_or_default();
    let (a, b, c, d, e) = (next(), next(), next(), next(), next());
    match Op::from_number(op) {
        Some(Op::Configure) => configure(a, b),
        // One call site of `start` for both (97 B gzip less than two, measured).
        Some(op @ (Op::Start | Op::Popup)) => start(a, b, entropy, now_ms, c, d, op == Op::Popup),
        Some(Op::Finish) => finish(a, b, c, now_ms, d, e),
        Some(Op::Locate) => locate(a),
        Some(Op::Sweep) => sweep(a, now_ms),
        Some(Op::HandedOff) => handed_off(a, b, c, d, e),
        Some(Op::PopupFailed) => popup_failed(a, b),
        Some(Op::Pkce) => pkce(entropy),
        Some(Op::Challenge) => challenge(a, entropy),
        Some(Op::State) => state(entropy),
        Some(Op::Parse) => parse(a),
        Some(Op::Verifier) => verifier(entropy),
        None => reply(Err(invalid_parameter(Msg::UnknownOperation))),
    }
}

/// The shipped module's exports: no wasm-bindgen glue, two functions over its memory. The
/// wrapper asks [`exports::input`] for room, writes the entropy bytes and then the UTF-8
/// arguments there, and calls [`exports::call`], which answers a pointer to the reply's length
/// (`u32`, little endian) followed by its UTF-8 bytes. Nothing is kept between calls, so
/// `input` empties the arena first (also after a call that trapped).
#[cfg(all(target_arch = "wasm32", feature = "wasm-runtime"))]
mod exports {
    use alloc::vec::Vec;

    /// Empties the arena and returns `len` bytes of room for the next call's input.
    #[no_mangle]
    pub extern "C" fn input(len: usize) -> *mut u8 {
        super::runtime::reset();
        let mut room = Vec::<u8>::with_capacity(len);
        let ptr = room.as_mut_ptr();
        core::mem::forget(room);
        ptr
    }

    /// Runs `op` on the input at `ptr`: `entropy_len` bytes of entropy, then `args_len` bytes of
    /// UTF-8 arguments.
    #[no_mangle]
    pub extern "C" fn call(
        op: u32,
        ptr: *const u8,
        entropy_len: usize,
        args_len: usize,
        now_ms: f64,
    ) -> *const u8 {
        // SAFETY: `ptr` is the room `input` returned for at least `entropy_len + args_len`
        // bytes, which the wrapper wrote; nothing else uses it during this call.
        let bytes = unsafe { core::slice::from_raw_parts(ptr, entropy_len + args_len) };
        let (entropy, args) = bytes.split_at(entropy_len.min(bytes.len()));
        let reply = if crate::text::utf8(args, None) {
            // SAFETY: `text::utf8` found the bytes to be UTF-8 (RFC 3629; the tests hold it to
            // `core::str::from_utf8` on every input they generate).
            super::dispatch(
                op,
                unsafe { core::str::from_utf8_unchecked(args) },
                entropy,
                now_ms,
            )
        } else {
            super::reply(Err(super::invalid_parameter(super::Msg::NotText)))
        };
        let mut out = (reply.len() as u32).to_le_bytes().to_vec();
        out.extend_from_slice(reply.as_bytes());
        let ptr = out.as_ptr();
        core::mem::forget(out);
        ptr
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
    ///
    /// The arena starts at the linker's `__heap_base` (above the stack and the data) and ends
    /// at the memory's current size: the only state is the next free address, 0 before the
    /// first allocation after a [`reset`].
    struct Bump(UnsafeCell<usize>);

    // SAFETY: wasm32-unknown-unknown without atomics has one thread.
    unsafe impl Sync for Bump {}

    #[global_allocator]
    static ALLOCATOR: Bump = Bump(UnsafeCell::new(0));

    unsafe extern "C" {
        /// The first address after the stack and the data (defined by the linker).
        static __heap_base: u8;
    }

    /// Empties the arena; [`super::exports::input`] calls it before each call, when nothing is
    /// live.
    pub fn reset() {
        // SAFETY: single-threaded; no export is running while the wrapper calls this one.
        unsafe { *ALLOCATOR.0.get() = 0 };
    }

    /// Makes `[.., to)` usable, growing the memory when needed (counted in pages, so that no
    /// product can overflow), and makes `to` the next free address.
    fn claim(next: &mut usize, to: usize) {
        let pages = to.div_ceil(PAGE);
        let have = wasm32::memory_size(0);
        if pages > have && wasm32::memory_grow(0, pages - have) == usize::MAX {
            exhausted();
        }
        *next = to;
    }

    /// Out of memory (an input larger than the module can grow to): the call traps here, and
    /// the next call starts with an empty arena. Trapping instead of answering null leaves
    /// `handle_alloc_error` (whose message formats the size through `core::fmt`) unreachable.
    fn exhausted() -> ! {
        wasm32::unreachable()
    }

    unsafe impl GlobalAlloc for Bump {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: single-threaded, and no reference to the arena outlives this call.
            let next = unsafe { &mut *self.0.get() };
            if *next == 0 {
                *next = &raw const __heap_base as usize;
            }
            let Some(start) = next.checked_next_multiple_of(layout.align()) else {
                exhausted();
            };
            let Some(end) = start.checked_add(layout.size()) else {
                exhausted();
            };
            claim(next, end);
            start as *mut u8
        }

        unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: as in `alloc`.
            let next = unsafe { &mut *self.0.get() };
            let start = ptr as usize;
            if start + layout.size() == *next {
                let Some(end) = start.checked_add(new_size) else {
                    exhausted();
                };
                claim(next, end);
                return ptr;
            }
            // SAFETY: the caller's contract for realloc is the one alloc/dealloc need; `alloc`
            // never answers null.
            unsafe {
                let new = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    /// Text a hostile callback, script or storage could hand over: the reply's own separators
    /// and names, an encoded `&`, a NUL, U+0001, a space, a `+`, non-ASCII, JSON punctuation.
    const HOSTILE: &str = "x&msg=0&code=invalid_config&a=1&ok=%26&store=k%3Dv\u{0}\u{1} +é\"}";

    /// The members of a reply as `URLSearchParams` reads them (the reference crate).
    fn members(reply: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(reply.as_bytes())
            .into_owned()
            .collect()
    }

    fn names(reply: &str) -> Vec<String> {
        members(reply).into_iter().map(|(n, _)| n).collect()
    }

    fn value(reply: &str, name: &str) -> String {
        members(reply)
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .unwrap_or_default()
    }

    /// A string as the wrapper hands it over (percent-encoded).
    fn enc(s: &str) -> String {
        let mut out = String::new();
        form::encode(&mut out, s);
        out
    }

    #[test]
    fn configure_answers_the_credentials_mode_given() {
        for (given, mode) in [
            ("", "same-origin"),
            ("&handoff.credentials=same-origin", "same-origin"),
            ("&handoff.credentials=include", "include"),
            ("&handoff.credentials=omit", "omit"),
        ] {
            let io = configure(
                &cat!(
                    "clientId=c&redirectUri=https%3A%2F%2Fapp.example.com%2Fcb&scopes=users%3Aread&handoff.=&handoff.url=%2Fx",
                    given
                ),
                "https://app.example.com",
            );
            assert_eq!(value(&io, "credentials"), mode, "{io}");
        }
    }

    #[test]
    fn no_text_ends_its_member_or_adds_one() {
        // A callback's parameters.
        let url = cat!(
            "https://x.example/cb?code=",
            &enc(HOSTILE),
            "&error_description=",
            &enc(HOSTILE)
        );
        assert_eq!(
            members(&parse(&enc(&url))),
            [("code", HOSTILE), ("errorDescription", HOSTILE)].map(|(n, v)| (n.into(), v.into()))
        );
        // An error's argument.
        let msg = crate::text::decimal(Msg::PopupTimedOut as u64);
        assert_eq!(
            members(&popup_failed("2", HOSTILE)),
            [("code", "popup_timeout"), ("msg", &msg), ("a", HOSTILE)]
                .map(|(n, v)| (n.into(), v.into()))
        );
        // A flow whose appState and error_description are hostile: an authorization_error with
        // the connection's context, then the storage edits as a form of their own.
        let origin = "https://app.example.com";
        let cb = "https://app.example.com/cb";
        let io = configure(
            &cat!(
                "clientId=c&redirectUri=",
                &enc(cb),
                "&scopes=users%3Aread&handoff.=&handoff.url=%2Fx&handoff.headers=X-A&handoff.headers=",
                &enc("v&X-B=w")
            ),
            origin,
        );
        assert_eq!(
            names(&io),
            [
                "client",
                "storage",
                "url",
                "credentials",
                "headers",
                "timeoutMs"
            ]
        );
        assert_eq!(
            members(&value(&io, "headers")),
            [
                ("X-A", "v&X-B=w"),
                ("Content-Type", "application/json"),
                ("X-Requested-With", "pleo-oauth")
            ]
            .map(|(n, v)| (n.into(), v.into()))
        );
        let client = value(&io, "client");
        let mut entropy: Vec<u8> = (0..64).collect();
        let v = value(&verifier(&entropy), "ok");
        {
            use sha2::Digest;
            entropy.extend(sha2::Sha256::digest(v.as_bytes()));
        }
        let started = start(
            &client,
            "returnTo=%2Fback",
            &entropy,
            1e12,
            "",
            HOSTILE,
            false,
        );
        assert_eq!(names(&started), ["url", "key", "record", "sweep"]);
        let state = value(&started, "key").replace(transaction::KEY_PREFIX, "");
        let callback = cat!(
            cb,
            "?error=access_denied&error_description=",
            &enc(HOSTILE),
            "&state=",
            &state
        );
        let finished = finish(
            &client,
            &enc(&callback),
            &value(&started, "record"),
            1e12 + 1.0,
            &callback,
            "",
        );
        assert_eq!(
            names(&finished),
            [
                "store",
                "clean",
                "code",
                "msg",
                "a",
                "a",
                "error",
                "errorDescription",
                "returnTo",
                "appState"
            ]
        );
        assert_eq!(value(&finished, "errorDescription"), HOSTILE);
        assert_eq!(value(&finished, "appState"), HOSTILE);
        let edits = members(&value(&finished, "store"));
        assert!(
            !edits.is_empty()
                && edits
                    .iter()
                    .all(|(k, v)| k.starts_with(transaction::KEY_PREFIX) && !v.is_empty()),
            "{edits:?}"
        );
    }
}
