//! The wrapper's JSON snapshots and what reads them: `Input::from_json` (bounded depth, never a
//! panic), `Config::from_input` and `AuthorizationUrlOptions::from_input` (refusals only with
//! their own codes), and, for a configuration that passes, `request::build`, whose URL must be
//! one `WebUrl`/`uri` read back. Also the URL and form parsers on the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pleo_oauth::config::Config;
use pleo_oauth::input::Input;
use pleo_oauth::pkce::PkceCodeVerifier;
use pleo_oauth::request::{self, AuthorizationUrlOptions, ENTROPY_BYTES};
use pleo_oauth::uri::{self, WebUrl};
use pleo_oauth::{form, ErrorCode};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let input = Input::from_json(text);
    let options = AuthorizationUrlOptions::from_input(&input);
    if let Err(e) = &options {
        assert_eq!(e.code(), ErrorCode::InvalidParameter);
    }
    match Config::from_input(&input) {
        Ok(config) => {
            let entropy = [7u8; ENTROPY_BYTES];
            let r = request::build(&config, AuthorizationUrlOptions::default(), &entropy, 0)
                .expect("a valid configuration builds a request");
            assert!(r.url.starts_with(config.authorization_endpoint.as_str()));
            assert!(uri::split(&r.url).fragment.is_none());
        }
        Err(e) => assert_eq!(e.code(), ErrorCode::InvalidConfig),
    }

    if let Ok(url) = WebUrl::parse(text, "url", ErrorCode::InvalidConfig) {
        assert_eq!(
            uri::origin_and_path(text),
            Some((url.origin().to_owned(), url.path()))
        );
    }
    let _ = uri::rewritten_by_browsers(text);
    let _ = form::pairs(text);
    let _ = PkceCodeVerifier::new(text.to_owned());
});
