//! The platform CSPRNG: `crypto.getRandomValues` in the browser (getrandom's `wasm_js`
//! backend), the OS generator in native tests.

use crate::error::{Error, ErrorCode, Result};

/// `N` bytes from the CSPRNG.
pub fn bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|_| {
        Error::new(
            ErrorCode::InvalidConfig,
            "No secure random number generator is available (crypto.getRandomValues). Run pleo-oauth in a browser page.",
        )
    })?;
    Ok(buf)
}
