//! The wrapper's option forms and what reads them: `options::Form` (never a panic),
//! `Config::from_form` and `AuthorizationUrlOptions::from_form` (refusals only with their own
//! codes), and, for a configuration that passes, `request::build`, whose URL must be one
//! `WebUrl`/`uri` read back. Also the URL and form parsers on the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pleo_oauth::config::Config;
use pleo_oauth::options::Form;
use pleo_oauth::pkce::{PkceCodeVerifier, DIGEST_BYTES};
use pleo_oauth::request::{self, AuthorizationUrlOptions, ENTROPY_BYTES};
use pleo_oauth::uri::{self, WebUrl};
use pleo_oauth::{form, ErrorCode};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let input = Form::parse(text);
    for popup in [false, true] {
        if let Err(e) = AuthorizationUrlOptions::from_form(&input, popup) {
            assert_eq!(e.code(), ErrorCode::InvalidParameter);
        }
    }
    match Config::from_form(&input) {
        Ok(config) => {
            // The CSPRNG's bytes and a digest after them (Web Crypto's, in the browser).
            let entropy = [7u8; ENTROPY_BYTES + DIGEST_BYTES];
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
