//! Every message the core gives, declared once: what went wrong and what to do, for the partner
//! developer reading a console (docs/API.md § Errors), and a short sentence for the partner's
//! end user (`PleoOAuthError.userMessage`).
//!
//! Invariant: a message is a [`Msg`] and its arguments; each `{}` of its template takes the
//! next argument. No argument is ever a secret (no code, verifier, state or token). The shipped
//! wasm carries only the numbers (an error answers `msg` and `args`): the wrapper renders them
//! from pkg-template/src/messages.ts, which `cargo test` generates from [`TEMPLATES`] and which
//! a page loads only when an error is reported, so the texts cost nothing until then. Native
//! code and tests render them with [`render`].
//!
//! Every [`Msg`] also names a [`User`] sentence, written for the person who clicked "Connect to
//! Pleo": what happened and what they can do, in their terms. A user sentence takes no
//! argument, so it can never quote a URL parameter, the server's `error_description` or
//! anything else that came with the request; it is chosen by the message alone.

use alloc::string::String;
use alloc::vec::Vec;

macro_rules! users {
    ($($(#[$doc:meta])* $name:ident = $text:expr,)*) => {
        /// A sentence for the end user (`PleoOAuthError.userMessage`): its text is
        /// [`USER_TEXTS`]`[user as usize]`. No placeholder: nothing of the request is quoted.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum User { $($(#[$doc])* $name,)* }
        /// The end-user sentences, in the order of [`User`].
        pub const USER_TEXTS: &[&str] = &[$($text,)*];
    };
}

macro_rules! messages {
    ($($(#[$doc:meta])* $name:ident = $user:ident, $text:expr,)*) => {
        /// A message of the core: its template is [`TEMPLATES`]`[msg as usize]`, its end-user
        /// sentence [`USERS`]`[msg as usize]`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Msg { $($(#[$doc])* $name,)* }
        /// The templates, in the order of [`Msg`].
        pub const TEMPLATES: &[&str] = &[$($text,)*];
        /// The end-user sentence of each [`Msg`], in its order.
        pub const USERS: &[User] = &[$(User::$user,)*];
        /// Every [`Msg`], in order (for the generated TypeScript and the tests).
        #[cfg(test)]
        pub(crate) fn all_msgs() -> alloc::vec::Vec<Msg> {
            alloc::vec![$(Msg::$name,)*]
        }
    };
}

users! {
    /// A configuration rule is broken: only the site's developers can fix it.
    Setup = "Connecting to Pleo is not set up correctly on this site. Please contact the site's support.",
    /// The app called pleo-oauth wrongly, or gave it something it cannot handle.
    Site = "Something went wrong on this site while connecting to Pleo. Please try again later, or contact the site's support.",
    /// The WebAssembly module or popup.js could not be loaded.
    Load = "This page could not load what it needs to connect to Pleo. Reload the page and try again.",
    /// No working CSPRNG.
    Browser = "Your browser could not create the secure values needed to connect to Pleo. Please try again in an up-to-date browser.",
    /// Web Storage is blocked or full.
    Storage = "Your browser did not let this site store the data it needs to connect to Pleo. Allow site data for this site (or free some space) and try again.",
    /// The page is no OAuth callback.
    NotACallback = "This page is only for returning from Pleo. Please start connecting to Pleo again from the site.",
    /// A callback that fails a check: repeated or missing parameters, another issuer or page.
    Check = "The answer from Pleo did not pass a security check, so nothing was connected. Please start connecting again.",
    /// No pending connection for the callback's state.
    UnknownState = "This return from Pleo does not match a connection started in this browser, so nothing was connected. Please start connecting again.",
    /// The connection outlived its time to live.
    Expired = "The connection to Pleo took too long and expired. Please start connecting again.",
    /// The user declined at Pleo (`access_denied`).
    Denied = "You cancelled the connection to Pleo.",
    /// Pleo refused the request for another reason.
    Refused = "Pleo could not approve the connection. Please try again later, or contact the site's support.",
    /// The exchange at the partner's backend failed.
    Exchange = "Pleo approved the connection, but this site could not complete it. Please try again in a moment.",
    /// The bound handoff's start at the partner's backend failed.
    Start = "This site could not start connecting to Pleo. Please try again in a moment.",
    /// A reload of the callback, or Back and Approve again.
    AlreadyHandled = "This connection to Pleo is already complete.",
    /// The browser refused the popup.
    PopupBlocked = "Your browser blocked the Pleo window. Allow pop-ups for this site and try again.",
    /// The user closed the popup.
    PopupClosed = "The Pleo window was closed before connecting finished. Please try again.",
    /// The popup's time ran out.
    PopupTimeout = "The Pleo window was open too long without finishing, so it was closed. Please try again.",
}

messages! {
    // Configuration (src/config.rs).
    OptionsMissing = Setup, "PleoOAuth.create needs an options object with clientId, redirectUri and scopes.",
    StorageUnavailable = Storage, "{} is not available (blocked by the browser's privacy settings or a sandboxed frame). pleo-oauth needs it to remember the connection between the redirect and the callback.",
    StorageRefused = Storage, "{} refused the operation (full, or blocked). Free some space or allow site storage, then try again.",
    RedirectUriRequired = Setup, "redirectUri is required: the exact redirect URI registered with Pleo.",
    RedirectUriRewritten = Setup, "redirectUri has \"{}\", which browsers rewrite (resolve or percent-encode) before the callback page sees it, so no callback would match. Register and use the URL exactly as the address bar shows it.",
    RedirectUriCallbackParameter = Setup, "redirectUri has a \"{}\" query parameter, which the callback itself carries. Register a redirect URI without code, state, error, error_description, error_uri or iss in its query.",
    StorageName = Setup, "storage must be \"session\" or \"local\", not \"{}\".",
    TransactionTtl = Setup, "transactionTtlSeconds must be a whole number of seconds from 1 to {}.",
    PageOrigin = Setup, "redirectUri is on {} but this page is on {}: the connection is remembered in this origin's storage, so the callback on {} could not find it. Open the app on {}, or register and use a redirect URI on {} (http://localhost and http://127.0.0.1 are different origins).",
    PageOriginNull = Setup, "redirectUri is on {} but this page is on {}: the connection is remembered in this origin's storage, so the callback on {} could not find it. Open the app on {}, or register and use a redirect URI on {} (http://localhost and http://127.0.0.1 are different origins). In unit tests, give the DOM environment a URL (jsdom: testEnvironmentOptions.url; happy-dom: the url setting).",
    ClientIdRequired = Setup, "clientId is required: the OAuth client ID Pleo issued to you.",
    ClientIdEmpty = Setup, "clientId is empty: give the OAuth client ID Pleo issued to you.",
    ClientIdCharacters = Setup, "clientId contains characters a client ID cannot have (non-ASCII, control characters, or surrounding spaces); copy it again from Pleo.",
    ScopesEmpty = Setup, "scopes must list at least one scope, such as [\"users:read\"].",
    ScopeForm = Setup, "scopes[{}] \"{}\" is not of the form resource:permission (letters, digits, -, _ and . on each side), e.g. \"users:read\".",
    ScopeTwice = Setup, "scopes lists \"{}\" twice.",
    EnvironmentUnknown = Setup, "environment \"{}\" is unknown: use \"production\", \"staging\" or { authorizationEndpoint }.",
    EndpointRequired = Setup, "environment.authorizationEndpoint is required in a custom environment.",
    EndpointReservedParameter = Setup, "environment.authorizationEndpoint already has a \"{}\" query parameter; pleo-oauth sets it itself.",
    EnvironmentType = Setup, "environment must be \"production\", \"staging\" or { authorizationEndpoint, issuer? }.",
    IssuerQuery = Setup, "environment.issuer must not have a query (RFC 8414 §2).",
    HandoffUrlForm = Setup, "{} must be a path on this origin such as /api/pleo/exchange, or an absolute https: URL.",
    HandoffUrlFragment = Setup, "{} must not contain a fragment (#…).",
    HandoffUrlRequired = Setup, "handoff.url is required: the path of your backend's exchange endpoint.",
    Credentials = Setup, "handoff.credentials must be \"same-origin\", \"include\" or \"omit\", not \"{}\".",
    HeaderName = Setup, "handoff.headers has an invalid header name \"{}\".",
    HeaderTwice = Setup, "handoff.headers sets \"{}\" twice.",
    HeaderForbidden = Setup, "handoff.headers may not set \"{}\": the browser or pleo-oauth controls it.",
    HeaderLineBreak = Setup, "handoff.headers[\"{}\"] contains a line break or NUL.",
    HeaderLatin1 = Setup, "handoff.headers[\"{}\"] contains characters beyond ISO-8859-1, which an HTTP header cannot carry; percent-encode the value.",
    HandoffTimeout = Setup, "handoff.timeoutMs must be a whole number of milliseconds from 1 to {}.",
    ClientRecord = Site, "pleo-oauth: this client's record is unreadable; create the client again with PleoOAuth.create.",

    // Options objects and arguments: given by the wrapper, which checks names and types
    // against the tables of src/boundary.rs (pkg-template/src/index.ts `form`).
    UnknownOption = Site, "{}: unknown option \"{}\". The options are {}.",
    UnknownOptionHint = Site, "{}: unknown option \"{}\". Did you mean \"{}\"? The options are {}.",
    WrongType = Site, "{} must be {}, not {}.",
    WrongTypeInstance = Site, "{} must be {}, not an instance of a class (a Map, Headers, URLSearchParams…); give a plain object.",
    WrongTypeUnreadable = Site, "{} must be {}, not a value that could not be read (a getter or Proxy trap threw).",

    // URLs (src/uri.rs): the first argument names the option.
    UrlEmpty = Setup, "{} is empty; give an absolute URL such as https://app.example.com/pleo/callback.",
    UrlWhitespace = Setup, "{} contains whitespace or control characters; give the URL exactly as registered, without them.",
    UrlNotAbsolute = Setup, "{} must be an absolute URL starting with https:// (or http://localhost:… during development), not a path.",
    UrlFragment = Setup, "{} must not contain a fragment (#…).",
    UrlNoHost = Setup, "{} has no host; give an absolute URL such as https://app.example.com/….",
    UrlUserInfo = Setup, "{} must not contain user information (user@host).",
    UrlHost = Setup, "{} has an invalid host or port.",
    UrlPlainHttp = Setup, "{} must use https:; plain http: is allowed only on localhost, 127.0.0.1 or [::1].",
    UrlScheme = Setup, "{} must use https: (or http: on localhost).",

    // The request (src/request.rs, src/pkce.rs).
    PopupTimeout = Site, "popup timeoutMs must be a whole number of milliseconds from 1 to 3600000 (one hour).",
    NoRandomness = Browser, "crypto.getRandomValues is missing or failed, so nothing was stored. Run pleo-oauth in a browser page with working Web Crypto, then try again.",
    NoDigest = Browser, "crypto.subtle.digest (Web Crypto's SHA-256) is missing or failed, so nothing was stored. Browsers offer it only in a secure context: serve the page over https (or localhost during development), then try again.",
    ExtraParamEmpty = Site, "extraParams has an empty parameter name.",
    ExtraParamReserved = Site, "extraParams may not set \"{}\": pleo-oauth sets it from the configuration.",
    ExtraParamInEndpoint = Site, "extraParams may not set \"{}\": environment.authorizationEndpoint's query already has it.",
    ReturnTo = Site, "returnTo must be a path on this site starting with a single \"/\", such as \"/settings/integrations\".",
    AppStateKind = Site, "appState must be a JSON value (plain objects, arrays, strings, finite numbers, booleans, null), but it holds {}, which JSON.stringify would drop or cannot write. Keep such values in your app and put a key to them in appState.",
    AppStateSize = Site, "appState is {} bytes as JSON; at most 4096 are kept. Keep large state in your app and put a key to it in appState.",
    VerifierLength = Site, "The code verifier must be 43 to 128 characters long (RFC 7636 §4.1); this one has {}.",
    VerifierCharacters = Site, "The code verifier may contain only A-Z, a-z, 0-9 and - . _ ~ (RFC 7636 §4.1).",

    // The callback (src/callback.rs), in the order of its checks.
    CallbackUrl = Site, "handleCallback(url) needs the whole callback URL, such as location.href (not a path or a query string).",
    CallbackUrlType = Site, "handleCallback(url) needs the callback URL as a string, a URL or a Location (or nothing, for location.href).",
    DuplicateParameter = Check, "The callback URL has the parameter \"{}\" more than once; it was not sent by Pleo. Start the connection again.",
    NotACallback = NotACallback, "This URL has neither \"code\" nor \"error\": it is not an OAuth callback. Call handleCallback() only on your redirect URI page when Pleo sends the user there (a reload after connecting is already_handled for transactionTtlSeconds).",
    MissingState = Check, "The callback has no \"state\", so it cannot be tied to a connection started in this browser. Start the connection again.",
    AlreadyHandled = AlreadyHandled, "This connection was already completed in this browser (the page was reloaded, or the user went Back and approved again); nothing was sent to your backend again. Send the user on to error.returnTo, and show the connection's status from your backend.",
    UnknownState = UnknownState, "No connection started in this browser matches this callback's state. Likely causes: it was started in another tab while storage is \"session\" (per tab; use storage: \"local\" to share it between tabs), in another browser, or so long ago that it was forgotten; or the link was replayed or forged. Ask the user to connect again from your app.",
    Expired = Expired, "The connection expired before Pleo redirected back (the user took longer than transactionTtlSeconds). Ask the user to connect again; raise transactionTtlSeconds if this happens often.",
    IssuerNotConfigured = Check, "This connection was started with environment.issuer {}, this client has {} (possible mix-up attack). Use the same environment on the callback page, and ask the user to connect again.",
    IssuerMissing = Check, "The callback has no \"iss\" but the issuer \"{}\" is configured. Check environment.issuer.",
    IssuerMismatch = Check, "The callback came from issuer \"{}\", not the configured \"{}\" (possible mix-up attack). Start the connection again.",
    RedirectUriMismatch = Check, "This callback page is not the redirect URI the connection was started with ({}). Call handleCallback() on that page.",
    AccessDenied = Denied, "Pleo answered the authorisation request with error \"{}\"{}. The user declined (or cancelled) the connection; offer to try again.",
    AuthorizationError = Refused, "Pleo answered the authorisation request with error \"{}\"{}. Check the client ID, redirect URI and scopes registered with Pleo, then start again.",
    MissingCode = Check, "The callback has no authorisation code, so it did not come from Pleo as sent. Ask the user to connect again.",

    // The handoff (src/handoff.rs): the exchange (step 10) and the bound handoff's start.
    ExchangeTimedOut = Exchange, "The handoff endpoint {} did not answer within {} ms (handoff.timeoutMs). The code was not exchanged; check your backend's logs, then ask the user to connect again.",
    ExchangeStatus = Exchange, "The handoff endpoint {} answered HTTP {}. The code was not exchanged; check your backend's logs, then ask the user to connect again.",
    ExchangeUnreachable = Exchange, "The handoff endpoint {} could not be reached (network error, a redirect, or a cross-origin request refused by CORS). The code was not exchanged; check your backend's logs, then ask the user to connect again.",
    StartTimedOut = Start, "The handoff endpoint {} did not answer within {} ms (handoff.timeoutMs). Nothing was started; check your backend's logs, then ask the user to connect again.",
    StartStatus = Start, "The handoff endpoint {} answered HTTP {}. Nothing was started; check your backend's logs, then ask the user to connect again.",
    StartUnreachable = Start, "The handoff endpoint {} could not be reached (network error, a redirect, or a cross-origin request refused by CORS). Nothing was started; check your backend's logs, then ask the user to connect again.",

    // The popup.
    PopupBlocked = PopupBlocked, "The browser blocked the Pleo popup. Call popup() directly in the click handler, before any await (or use redirect()); the user may also allow popups for this site.",
    PopupClosed = PopupClosed, "The Pleo window was closed before the connection completed; nothing was shared. Offer to connect again.",
    PopupTimedOut = PopupTimeout, "The Pleo window did not complete the connection within {} ms (popup timeoutMs), so it was closed. Offer to connect again.",

    // The edge (src/wasm.rs).
    ChallengeArgument = Site, "codeChallenge(verifier) needs a string.",
    ParseArgument = Site, "parseCallback(url) needs the URL as a string.",
    UnknownOperation = Load, "pleo-oauth: unknown operation; reinstall the package.",
    NotText = Site, "pleo-oauth: an argument is not text.",
    /// Only the wrapper gives it: a call that trapped (an input larger than the module's memory).
    TooLarge = Site, "pleo-oauth: an argument is too large to process.",
    // The wrapper's loader of this module (pkg-template/src/index.ts `load`): the real cause.
    LoadNoFiles = Load, "pleo-oauth could not load its WebAssembly module: it is the local file {}, and this runtime cannot read files (Node >= 20.16 can).",
    LoadRead = Load, "pleo-oauth could not load its WebAssembly module: could not read {} ({}); reinstall pleo-oauth.",
    LoadDownload = Load, "pleo-oauth could not load its WebAssembly module: could not download {} ({}): the network is down, or a proxy or an extension blocked it.",
    LoadStatus = Load, "pleo-oauth could not load its WebAssembly module: HTTP {} for {}: serve pleo_oauth_bg.wasm next to index.js (bundlers do this when they see new URL(…, import.meta.url)).",
    LoadNotWasm = Load, "pleo-oauth could not load its WebAssembly module: {} answered {}, which is not WebAssembly: serve the file itself (a fallback page answered instead?).",
    LoadPopup = Load, "pleo-oauth could not load popup.js, its popup code (serve it next to index.js): {}.",
    LoadCompile = Load, "pleo-oauth could not load its WebAssembly module: {}.",
    LoadCspConnect = Load, "pleo-oauth could not load its WebAssembly module: the page's Content-Security-Policy blocked it ({}): allow {} in connect-src.",
    LoadCspScript = Load, "pleo-oauth could not load its WebAssembly module: the page's Content-Security-Policy blocked it ({}): allow 'wasm-unsafe-eval' in script-src.",
    /// Only the wrapper gives it: `PleoOAuth.create` during server-side rendering.
    NotInBrowser = Site, "PleoOAuth.create needs a browser: call it on the client (for example in an effect or an event handler), not during server-side rendering.",
}

/// A message and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Which message.
    pub msg: Msg,
    /// What fills its `{}`s, in order, as the wasm answers them: `&a=<value>` each, the value
    /// form-encoded (src/wasm.rs `error_fields` appends the text as it is; [`Message::args`]
    /// reads it back).
    pub args: String,
}

impl From<Msg> for Message {
    fn from(msg: Msg) -> Message {
        Message {
            msg,
            args: String::new(),
        }
    }
}

impl Message {
    /// A message and its arguments, written once as the wasm answers them (no `Vec` of copies
    /// encoded again by the reply), built out of line: every `msg!` site passes only a list of
    /// string slices (building the `Vec` at each of the ~35 sites cost the module 1,000 B raw,
    /// 104 gzip, measured).
    #[inline(never)]
    pub fn with(msg: Msg, args: &[&str]) -> Message {
        let mut text = String::new();
        for a in args {
            text.push_str("&a=");
            crate::form::encode(&mut text, a);
        }
        Message { msg, args: text }
    }

    /// The arguments, in order (what [`Message::with`] was given).
    pub fn args(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (_, value) in crate::form::pairs(&self.args) {
            out.push(value);
        }
        out
    }
}

/// A [`Message`] with arguments: `msg!(Msg::ScopeTwice, scope)`.
#[macro_export]
macro_rules! msg {
    ($msg:expr $(, $arg:expr)* $(,)?) => {
        $crate::messages::Message::with($msg, &[$(::core::convert::AsRef::<str>::as_ref(&$arg)),*])
    };
}

/// The template with its `{}`s filled in order (what the wrapper does with the same table).
pub fn render(message: &Message) -> String {
    let template = TEMPLATES
        .get(message.msg as usize)
        .copied()
        .unwrap_or_default();
    fill(template, &message.args())
}

/// The end-user sentence of a message (what the wrapper sets as `userMessage`).
pub fn user_text(msg: Msg) -> &'static str {
    USERS
        .get(msg as usize)
        .and_then(|user| USER_TEXTS.get(*user as usize))
        .copied()
        .unwrap_or_default()
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

    #[test]
    fn arguments_are_read_back_as_given() {
        // What a reply's members could be confused with, and what form encoding changes.
        let hostile = [
            "",
            "a=b&a=c",
            "&msg=0&code=x",
            "100% + 1",
            "\0\u{1}\n\"'\\",
            "é ✓ 🔑",
            "%41+%2B",
        ];
        let m = Message::with(Msg::IssuerMismatch, &hostile);
        assert_eq!(m.args(), hostile.map(String::from));
        assert_eq!(
            Message::with(Msg::Expired, &[]).args(),
            Vec::<String>::new()
        );
        assert_eq!(
            Message::from(Msg::Expired),
            Message::with(Msg::Expired, &[])
        );
    }

    #[test]
    fn every_message_has_a_short_user_sentence_without_placeholders() {
        assert_eq!(USERS.len(), TEMPLATES.len());
        for (i, msg) in all_msgs().into_iter().enumerate() {
            let user = user_text(msg);
            assert!(!user.is_empty(), "{msg:?} has no user sentence");
            // Nothing of the request can be quoted: no placeholder, no option or parameter name.
            assert!(
                !user.contains('{') && !user.contains('}'),
                "{msg:?}: {user}"
            );
            for word in [
                "error_description",
                "state",
                "code",
                "redirectUri",
                "handoff",
                "pleo-oauth",
                "http",
            ] {
                assert!(
                    !user.contains(word),
                    "{msg:?}'s user sentence names {word}: {user}"
                );
            }
            assert!(user.len() <= 160, "{msg:?}'s user sentence is long: {user}");
            assert!(user.ends_with('.'), "{msg:?}: {user}");
            assert_ne!(user, TEMPLATES[i]);
        }
        assert_eq!(
            user_text(Msg::AccessDenied),
            "You cancelled the connection to Pleo."
        );
        // Every sentence is used by some message.
        for (u, text) in USER_TEXTS.iter().enumerate() {
            assert!(
                USERS.iter().any(|x| *x as usize == u),
                "unused user sentence: {text}"
            );
        }
    }
}
