//! # pleo-oauth
//!
//! Connect a customer's Pleo account from a partner's web frontend: PKCE (S256), the
//! authorisation redirect, strict callback checks, and the handoff of the code to the
//! partner's backend, which exchanges it for tokens.
//!
//! The modules read top-down as the flow:
//! [`config`] → [`request`] ([`pkce`], [`state`]) → [`transaction`] → [`callback`] → [`handoff`].
//! All of them are pure Rust, tested natively. The browser edge (`browser`, compiled only for
//! `wasm32`) moves data between these and the page: storage, history, fetch, the JS exports.

pub mod callback;
pub mod config;
pub mod error;
pub mod handoff;
pub mod input;
pub mod pkce;
mod random;
pub mod request;
pub mod state;
pub mod transaction;
pub mod uri;

#[cfg(target_arch = "wasm32")]
pub mod browser;

pub use error::{Error, ErrorCode, Result};
