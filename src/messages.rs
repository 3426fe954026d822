//! Every message the core gives, declared once: what went wrong and what to do, for the partner
//! developer reading a console (docs/API.md § Errors).
//!
//! Invariant: a message is a [`Msg`] and its arguments; each `{}` of its template takes the
//! next argument. No argument is ever a secret (no code, verifier, state or token). The shipped
//! wasm carries only the numbers (an error answers `msg` and `args`): the wrapper renders them
//! from pkg-template/src/messages.ts, which `cargo test` generates from [`TEMPLATES`] and which
//! a page loads only when an error is reported, so the texts cost nothing until then. Native
//! code and tests render them with [`render`].

use alloc::string::String;
use alloc::vec::Vec;

macro_rules! messages {
    ($($(#[$doc:meta])* $name:ident = $text:expr,)*) => {
        /// A message of the core: its template is [`TEMPLATES`]`[msg as usize]`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Msg { $($(#[$doc])* $name,)* }
        /// The templates, in the order of [`Msg`].
        pub const TEMPLATES: &[&str] = &[$($text,)*];
        /// Every [`Msg`], in order (for the generated TypeScript and the tests).
        #[cfg(test)]
        pub(crate) fn all_msgs() -> alloc::vec::Vec<Msg> {
            alloc::vec![$(Msg::$name,)*]
        }
    };
}

messages! {
    // Configuration (src/config.rs).
    OptionsMissing = "PleoOAuth.create needs an options object with clientId, redirectUri and scopes.",
    StorageUnavailable = "{} is not available (blocked by the browser's privacy settings or a sandboxed frame). pleo-oauth needs it to remember the connection between the redirect and the callback.",
    StorageRefused = "{} refused the operation (full, or blocked). Free some space or allow site storage, then try again.",
    RedirectUriRequired = "redirectUri is required: the exact redirect URI registered with Pleo.",
    RedirectUriRewritten = "redirectUri has \"{}\", which browsers rewrite (resolve or percent-encode) before the callback page sees it, so no callback would match. Register and use the URL exactly as the address bar shows it.",
    RedirectUriCallbackParameter = "redirectUri has a \"{}\" query parameter, which the callback itself carries. Register a redirect URI without code, state, error, error_description, error_uri or iss in its query.",
    StorageName = "storage must be \"session\" or \"local\", not \"{}\".",
    TransactionTtl = "transactionTtlSeconds must be a whole number of seconds from 1 to {}.",
    PageOrigin = "redirectUri is on {} but this page is on {}: the connection is remembered in this origin's storage, so the callback on {} could not find it. Open the app on {}, or register and use a redirect URI on {} (http://localhost and http://127.0.0.1 are different origins).",
    PageOriginNull = "redirectUri is on {} but this page is on {}: the connection is remembered in this origin's storage, so the callback on {} could not find it. Open the app on {}, or register and use a redirect URI on {} (http://localhost and http://127.0.0.1 are different origins). In unit tests, give the DOM environment a URL (jsdom: testEnvironmentOptions.url; happy-dom: the url setting).",
    ClientIdRequired = "clientId is required: the OAuth client ID Pleo issued to you.",
    ClientIdEmpty = "clientId is empty: give the OAuth client ID Pleo issued to you.",
    ClientIdCharacters = "clientId contains characters a client ID cannot have (non-ASCII, control characters, or surrounding spaces); copy it again from Pleo.",
    ScopesEmpty = "scopes must list at least one scope, such as [\"users:read\"].",
    ScopeForm = "scopes[{}] \"{}\" is not of the form resource:permission (letters, digits, -, _ and . on each side), e.g. \"users:read\".",
    ScopeTwice = "scopes lists \"{}\" twice.",
    EnvironmentUnknown = "environment \"{}\" is unknown: use \"production\", \"staging\" or { authorizationEndpoint }.",
    EndpointRequired = "environment.authorizationEndpoint is required in a custom environment.",
    EndpointReservedParameter = "environment.authorizationEndpoint already has a \"{}\" query parameter; pleo-oauth sets it itself.",
    EnvironmentType = "environment must be \"production\", \"staging\" or { authorizationEndpoint, issuer? }.",
    IssuerQuery = "environment.issuer must not have a query (RFC 8414 §2).",
    HandoffUrlForm = "{} must be a path on this origin such as /api/pleo/exchange, or an absolute https: URL.",
    HandoffUrlFragment = "{} must not contain a fragment (#…).",
    HandoffUrlRequired = "handoff.url is required: the path of your backend's exchange endpoint.",
    Credentials = "handoff.credentials must be \"same-origin\", \"include\" or \"omit\", not \"{}\".",
    HeaderName = "handoff.headers has an invalid header name \"{}\".",
    HeaderTwice = "handoff.headers sets \"{}\" twice.",
    HeaderForbidden = "handoff.headers may not set \"{}\": the browser or pleo-oauth controls it.",
    HeaderLineBreak = "handoff.headers[\"{}\"] contains a line break or NUL.",
    HeaderLatin1 = "handoff.headers[\"{}\"] contains characters beyond ISO-8859-1, which an HTTP header cannot carry; percent-encode the value.",
    HandoffTimeout = "handoff.timeoutMs must be a whole number of milliseconds from 1 to {}.",
    ClientRecord = "pleo-oauth: this client's record is unreadable; create the client again with PleoOAuth.create.",

    // Options objects and arguments: given by the wrapper, which checks names and types
    // against the tables of src/boundary.rs (pkg-template/src/index.ts `form`).
    UnknownOption = "{}: unknown option \"{}\". The options are {}.",
    UnknownOptionHint = "{}: unknown option \"{}\". Did you mean \"{}\"? The options are {}.",
    WrongType = "{} must be {}, not {}.",
    WrongTypeInstance = "{} must be {}, not an instance of a class (a Map, Headers, URLSearchParams…); give a plain object.",
    WrongTypeUnreadable = "{} must be {}, not a value that could not be read (a getter or Proxy trap threw).",

    // URLs (src/uri.rs): the first argument names the option.
    UrlEmpty = "{} is empty; give an absolute URL such as https://app.example.com/pleo/callback.",
    UrlWhitespace = "{} contains whitespace or control characters; give the URL exactly as registered, without them.",
    UrlNotAbsolute = "{} must be an absolute URL starting with https:// (or http://localhost:… during development), not a path.",
    UrlFragment = "{} must not contain a fragment (#…).",
    UrlNoHost = "{} has no host; give an absolute URL such as https://app.example.com/….",
    UrlUserInfo = "{} must not contain user information (user@host).",
    UrlHost = "{} has an invalid host or port.",
    UrlPlainHttp = "{} must use https:; plain http: is allowed only on localhost, 127.0.0.1 or [::1].",
    UrlScheme = "{} must use https: (or http: on localhost).",

    // The request (src/request.rs, src/pkce.rs).
    PopupTimeout = "popup timeoutMs must be a whole number of milliseconds from 1 to 3600000 (one hour).",
    NoRandomness = "crypto.getRandomValues is missing or failed, so nothing was stored. Run pleo-oauth in a browser page with working Web Crypto, then try again.",
    ExtraParamEmpty = "extraParams has an empty parameter name.",
    ExtraParamReserved = "extraParams may not set \"{}\": pleo-oauth sets it from the configuration.",
    ExtraParamInEndpoint = "extraParams may not set \"{}\": environment.authorizationEndpoint's query already has it.",
    ReturnTo = "returnTo must be a path on this site starting with a single \"/\", such as \"/settings/integrations\".",
    AppStateKind = "appState must be a JSON value (plain objects, arrays, strings, finite numbers, booleans, null), but it holds {}, which JSON.stringify would drop or cannot write. Keep such values in your app and put a key to them in appState.",
    AppStateSize = "appState is {} bytes as JSON; at most 4096 are kept. Keep large state in your app and put a key to it in appState.",
    AppStateJson = "appState could not be written as JSON. Give a plain JSON value.",
    VerifierLength = "The code verifier must be 43 to 128 characters long (RFC 7636 §4.1); this one has {}.",
    VerifierCharacters = "The code verifier may contain only A-Z, a-z, 0-9 and - . _ ~ (RFC 7636 §4.1).",

    // The callback (src/callback.rs), in the order of its checks.
    CallbackUrl = "handleCallback(url) needs the whole callback URL, such as location.href (not a path or a query string).",
    CallbackUrlType = "handleCallback(url) needs the callback URL as a string, a URL or a Location (or nothing, for location.href).",
    DuplicateParameter = "The callback URL has the parameter \"{}\" more than once; it was not sent by Pleo. Start the connection again.",
    NotACallback = "This URL has neither \"code\" nor \"error\": it is not an OAuth callback. Call handleCallback() only on your redirect URI page when Pleo sends the user there (a reload after connecting is already_handled for transactionTtlSeconds).",
    MissingState = "The callback has no \"state\", so it cannot be tied to a connection started in this browser. Start the connection again.",
    AlreadyHandled = "This connection was already completed in this browser (the page was reloaded, or the user went Back and approved again); nothing was sent to your backend again. Send the user on to error.returnTo, and show the connection's status from your backend.",
    UnknownState = "No connection started in this browser matches this callback's state. Likely causes: it was started in another tab while storage is \"session\" (per tab; use storage: \"local\" to share it between tabs), in another browser, or so long ago that it was forgotten; or the link was replayed or forged. Ask the user to connect again from your app.",
    Expired = "The connection expired before Pleo redirected back (the user took longer than transactionTtlSeconds). Ask the user to connect again; raise transactionTtlSeconds if this happens often.",
    IssuerNotConfigured = "This connection was started with environment.issuer {}, this client has {} (possible mix-up attack). Use the same environment on the callback page, and ask the user to connect again.",
    IssuerMissing = "The callback has no \"iss\" but the issuer \"{}\" is configured. Check environment.issuer.",
    IssuerMismatch = "The callback came from issuer \"{}\", not the configured \"{}\" (possible mix-up attack). Start the connection again.",
    RedirectUriMismatch = "This callback page is not the redirect URI the connection was started with ({}). Call handleCallback() on that page.",
    AccessDenied = "Pleo answered the authorisation request with error \"{}\"{}. The user declined (or cancelled) the connection; offer to try again.",
    AuthorizationError = "Pleo answered the authorisation request with error \"{}\"{}. Check the client ID, redirect URI and scopes registered with Pleo, then start again.",
    MissingCode = "The callback has no authorisation code, so it did not come from Pleo as sent. Ask the user to connect again.",

    // The handoff (src/handoff.rs): the exchange (step 10) and the bound handoff's start.
    ExchangeTimedOut = "The handoff endpoint {} did not answer within {} ms (handoff.timeoutMs). The code was not exchanged; check your backend's logs, then ask the user to connect again.",
    ExchangeStatus = "The handoff endpoint {} answered HTTP {}. The code was not exchanged; check your backend's logs, then ask the user to connect again.",
    ExchangeUnreachable = "The handoff endpoint {} could not be reached (network error, a redirect, or a cross-origin request refused by CORS). The code was not exchanged; check your backend's logs, then ask the user to connect again.",
    StartTimedOut = "The handoff endpoint {} did not answer within {} ms (handoff.timeoutMs). Nothing was started; check your backend's logs, then ask the user to connect again.",
    StartStatus = "The handoff endpoint {} answered HTTP {}. Nothing was started; check your backend's logs, then ask the user to connect again.",
    StartUnreachable = "The handoff endpoint {} could not be reached (network error, a redirect, or a cross-origin request refused by CORS). Nothing was started; check your backend's logs, then ask the user to connect again.",

    // The popup.
    PopupBlocked = "The browser blocked the Pleo popup. Call popup() directly in the click handler, before any await (or use redirect()); the user may also allow popups for this site.",
    PopupClosed = "The Pleo window was closed before the connection completed; nothing was shared. Offer to connect again.",
    PopupTimedOut = "The Pleo window did not complete the connection within {} ms (popup timeoutMs), so it was closed. Offer to connect again.",

    // The edge (src/wasm.rs).
    ChallengeArgument = "codeChallenge(verifier) needs a string.",
    ParseArgument = "parseCallback(url) needs the URL as a string.",
    UnknownOperation = "pleo-oauth: unknown operation; reinstall the package.",
    NotText = "pleo-oauth: an argument is not text.",
    /// Only the wrapper gives it: a call that trapped (an input larger than the module's memory).
    TooLarge = "pleo-oauth: an argument is too large to process.",
    // The wrapper's loader of this module (pkg-template/src/index.ts `load`): the real cause.
    LoadNoFiles = "pleo-oauth could not load its WebAssembly module: it is the local file {}, and this runtime cannot read files (Node >= 20.16 can).",
    LoadRead = "pleo-oauth could not load its WebAssembly module: could not read {} ({}); reinstall pleo-oauth.",
    LoadDownload = "pleo-oauth could not load its WebAssembly module: could not download {} ({}): the network is down, or a proxy or an extension blocked it.",
    LoadStatus = "pleo-oauth could not load its WebAssembly module: HTTP {} for {}: serve pleo_oauth_bg.wasm next to index.js (bundlers do this when they see new URL(…, import.meta.url)).",
    LoadNotWasm = "pleo-oauth could not load its WebAssembly module: {} answered {}, which is not WebAssembly: serve the file itself (a fallback page answered instead?).",
    LoadPopup = "pleo-oauth could not load popup.js, its popup code (serve it next to index.js): {}.",
    LoadCompile = "pleo-oauth could not load its WebAssembly module: {}.",
    LoadCspConnect = "pleo-oauth could not load its WebAssembly module: the page's Content-Security-Policy blocked it ({}): allow {} in connect-src.",
    LoadCspScript = "pleo-oauth could not load its WebAssembly module: the page's Content-Security-Policy blocked it ({}): allow 'wasm-unsafe-eval' in script-src.",
    /// Only the wrapper gives it: PleoOAuth.create() outside a browser.
    NeedsBrowser = "PleoOAuth.create needs a browser: call it on the client (for example in an effect or an event handler), not during server-side rendering.",
}

/// A message and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Which message.
    pub msg: Msg,
    /// What fills its `{}`s, in order.
    pub args: Vec<String>,
}

impl From<Msg> for Message {
    fn from(msg: Msg) -> Message {
        Message {
            msg,
            args: Vec::new(),
        }
    }
}

/// A [`Message`] with arguments: `msg!(Msg::ScopeTwice, scope)`.
#[macro_export]
macro_rules! msg {
    ($msg:expr $(, $arg:expr)* $(,)?) => {
        $crate::messages::Message {
            msg: $msg,
            args: alloc::vec![$(alloc::string::String::from($arg)),*],
        }
    };
}

/// The template with its `{}`s filled in order (what the wrapper does with the same table).
pub fn render(message: &Message) -> String {
    let template = TEMPLATES
        .get(message.msg as usize)
        .copied()
        .unwrap_or_default();
    fill(template, &message.args)
}

/// `template` with each `{}` replaced by the next of `args`.
pub fn fill(template: &str, args: &[String]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    for (i, piece) in template.split("{}").enumerate() {
        if i > 0 {
            out.push_str(args.next().map_or("", String::as_str));
        }
        out.push_str(piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    #[test]
    fn templates_are_filled_in_order() {
        assert_eq!(
            render(&msg!(Msg::IssuerMismatch, "https://evil", "https://good")),
            "The callback came from issuer \"https://evil\", not the configured \"https://good\" (possible mix-up attack). Start the connection again."
        );
        assert_eq!(
            render(&Msg::Expired.into()),
            TEMPLATES[Msg::Expired as usize]
        );
    }
}
