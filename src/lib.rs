//! # pleo-oauth
//!
//! Connect a customer's Pleo account from a partner's web frontend: PKCE (S256), the
//! authorisation redirect, strict callback checks, and the handoff of the code to the
//! partner's backend, which exchanges it for tokens.
//!
//! The modules read top-down as the flow:
//! [`config`] → [`request`] ([`pkce`], [`state`]) → [`transaction`] → [`callback`] → [`handoff`],
//! then, on the partner's backend, `server` (`--features server`: the handoff body, the bound
//! check, the token endpoint and refresh rotation; never in the browser module).
//! All of them are pure Rust over strings and bytes (sans-IO), tested natively: randomness,
//! the clock, storage, the address bar and `fetch` are the caller's. The browser edge (`wasm`)
//! runs the operations declared in [`boundary`] for the TypeScript wrapper, which does
//! the I/O; data crosses as strings the wrapper produced, never as a caller's JS value.
//!
//! Written for size: `no_std` + `alloc`, no `core::fmt` on any path the wasm export reaches
//! (messages are concatenated with [`cat!`]), no generic iterator adaptors in hot paths.
#![no_std]

extern crate alloc;
// Everything but the shipped wasm links std (native tests, `wasm-pack test`, clippy). The
// shipped module (`--features wasm-runtime`) brings its own panic handler and allocator.
#[cfg(not(all(target_arch = "wasm32", feature = "wasm-runtime")))]
extern crate std;

#[macro_use]
pub mod text;
#[macro_use]
pub mod messages;

pub mod boundary;
pub mod callback;
pub mod config;
pub mod error;
pub mod form;
pub mod handoff;
pub mod options;
pub mod pkce;
pub mod protocol;
pub mod request;
// The backend half: not in the browser module (`--features server`).
#[cfg(feature = "server")]
pub mod server;
// Native code and the server build only: the browser module takes the platform's digest
// (Web Crypto; `pkce::PkceCodeChallenge::from_digest`).
#[cfg(not(all(
    target_arch = "wasm32",
    feature = "wasm-runtime",
    not(feature = "server")
)))]
pub mod sha256;
pub mod state;
pub mod transaction;
pub mod uri;

pub mod wasm;

pub use error::{Error, ErrorCode, Result};

/// What the crate's `no_std` leaves out of the native tests' prelude.
#[cfg(test)]
#[allow(unused_imports)]
mod test_prelude {
    pub use std::borrow::ToOwned;
    pub use std::string::{String, ToString};
    pub use std::vec::Vec;
    pub use std::{format, vec};
}
