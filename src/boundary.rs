//! The one declared boundary between the TypeScript wrapper and the core (docs/API.md is the
//! public contract; this is the private one under it).
//!
//! Invariant: every operation the wrapper can ask for is a row of [`OPS`], with its number,
//! its name and the names of its string arguments in order. Every call has the same shape —
//! `op`, up to [`ENTROPY_BYTES`] CSPRNG bytes, the string arguments (NUL-separated; none can
//! hold a NUL: they are `JSON.stringify` output, `location.href`, or a record the core wrote)
//! and the clock in milliseconds — so no argument changes meaning between operations. The
//! wrapper's `Op` (pkg-template/src/ops.ts) and its `PleoOAuthErrorCode` are generated from /
//! checked against this file by `cargo test` (`ts_side_is_in_step`), so they cannot drift.
//!
//! [`ENTROPY_BYTES`]: crate::request::ENTROPY_BYTES

/// An operation of the core (src/wasm.rs `dispatch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Op {
    /// `create()`: checks the options once; answers the client record and what the I/O needs.
    Configure = 0,
    /// `authorizationUrl()` / `redirect()`: a fresh request and its storage edits.
    Start = 1,
    /// `popup()`: as [`Op::Start`], with `timeoutMs` and the state to wait for.
    Popup = 2,
    /// `handleCallback()`: steps 1–9 and the storage edits, whatever the outcome.
    Finish = 3,
    /// A handoff request's outcome (step 10, or the bound handoff's start).
    HandedOff = 4,
    /// Why `popup()` ended without a callback.
    PopupFailed = 5,
    /// `createPkce()`.
    Pkce = 6,
    /// `codeChallenge(verifier)`.
    Challenge = 7,
    /// `generateState()`.
    State = 8,
    /// `parseCallback(url)`.
    Parse = 9,
    /// `handleCallback()`, first: the key of the one record [`Op::Finish`] needs.
    Locate = 10,
    /// `authorizationUrl()`, when [`Op::Start`] says the sweep is due: the records to drop.
    Sweep = 11,
    /// Before [`Op::Start`], [`Op::Popup`] and [`Op::Pkce`]: the verifier the CSPRNG bytes make,
    /// for the wrapper to digest (Web Crypto's SHA-256).
    Verifier = 12,
}

/// Every operation: its number, its name, and its string arguments in order. Entropy is
/// given to [`Op::State`] and [`Op::Verifier`] (64 CSPRNG bytes), and to [`Op::Start`],
/// [`Op::Popup`] and [`Op::Pkce`] followed by the platform's SHA-256 digest of the verifier
/// [`Op::Verifier`] answered for them (32 bytes); [`Op::Challenge`] is given the digest of
/// its verifier alone. The clock to [`Op::Start`], [`Op::Popup`], [`Op::Finish`] and
/// [`Op::Sweep`].
pub const OPS: [(Op, &str, &[&str]); 13] = [
    (Op::Configure, "Configure", &["options", "origin"]),
    (
        Op::Start,
        "Start",
        &["client", "options", "schedule", "appState"],
    ),
    (
        Op::Popup,
        "Popup",
        &["client", "options", "schedule", "appState"],
    ),
    (
        Op::Finish,
        "Finish",
        &["client", "url", "record", "here", "via"],
    ),
    (
        Op::HandedOff,
        "HandedOff",
        &["request", "url", "timeoutMs", "response", "status"],
    ),
    (Op::PopupFailed, "PopupFailed", &["why", "timeoutMs"]),
    (Op::Pkce, "Pkce", &[]),
    (Op::Challenge, "Challenge", &["verifier"]),
    (Op::State, "State", &[]),
    (Op::Parse, "Parse", &["url"]),
    (Op::Locate, "Locate", &["url"]),
    (Op::Sweep, "Sweep", &["records"]),
    (Op::Verifier, "Verifier", &[]),
];

/// How the wrapper reads an option of a caller's object, and so how it hands it to the core
/// ([`crate::options`]). Names and kinds are the wrapper's to check (own properties only);
/// values are the core's to judge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    Str,
    /// An array of strings (scopes).
    List,
    /// A plain object of strings (headers, extra parameters).
    Map,
    /// A number, handed over as its decimal text.
    Num,
    /// A plain object whose options are the table of the same name ([`HANDOFF`]).
    Obj,
    /// A preset's name, or a plain object of the [`ENVIRONMENT`] table.
    Env,
    /// Any JSON value (`appState`), handed over apart as `JSON.stringify`'s text.
    Json,
}

/// The options of `PleoOAuth.create` (docs/API.md `PleoOAuthOptions`).
pub const CREATE: [(&str, Kind); 7] = [
    ("clientId", Kind::Str),
    ("redirectUri", Kind::Str),
    ("scopes", Kind::List),
    ("environment", Kind::Env),
    ("handoff", Kind::Obj),
    ("storage", Kind::Str),
    ("transactionTtlSeconds", Kind::Num),
];
/// The options of a custom `environment` (docs/API.md `CustomEnvironment`).
pub const ENVIRONMENT: [(&str, Kind); 2] =
    [("authorizationEndpoint", Kind::Str), ("issuer", Kind::Str)];
/// The options of `handoff` (docs/API.md `HandoffOptions`).
pub const HANDOFF: [(&str, Kind); 5] = [
    ("url", Kind::Str),
    ("startUrl", Kind::Str),
    ("credentials", Kind::Str),
    ("headers", Kind::Map),
    ("timeoutMs", Kind::Num),
];
/// The options of `authorizationUrl()` / `redirect()` (docs/API.md `AuthorizationUrlOptions`).
pub const START: [(&str, Kind); 3] = [
    ("returnTo", Kind::Str),
    ("extraParams", Kind::Map),
    ("appState", Kind::Json),
];
/// The options of `popup()` (docs/API.md `PopupOptions`): those of [`START`] and `timeoutMs`.
pub const POPUP: [(&str, Kind); 4] = [
    ("returnTo", Kind::Str),
    ("extraParams", Kind::Map),
    ("appState", Kind::Json),
    ("timeoutMs", Kind::Num),
];

impl Op {
    /// The operation numbered `n`, if any (a match, not a table: the compiler answers the
    /// in-range number itself, no list of them is shipped).
    pub fn from_number(n: u32) -> Option<Op> {
        Some(match n {
            0 => Op::Configure,
            1 => Op::Start,
            2 => Op::Popup,
            3 => Op::Finish,
            4 => Op::HandedOff,
            5 => Op::PopupFailed,
            6 => Op::Pkce,
            7 => Op::Challenge,
            8 => Op::State,
            9 => Op::Parse,
            10 => Op::Locate,
            11 => Op::Sweep,
            12 => Op::Verifier,
            _ => return None,
        })
    }
}

/// An operation of the server build (`--features server`, src/server/ops.rs), for
/// `pleo-oauth/server`; numbered from 100, apart from the browser's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ServerOp {
    /// The bound handoff's registration body, read strictly.
    Registration = 100,
    /// The handoff body, read strictly: its state, to find the registration.
    Handoff = 101,
    /// The handoff body read again, the bound check, and the token request for its code.
    Exchange = 102,
    /// The token request for a refresh token.
    Refresh = 103,
    /// The token endpoint's answer, read strictly, with the refresh token to keep.
    Tokens = 104,
    /// Whether an access token is due for a refresh.
    Due = 105,
}

/// Every server operation: its number, its name, and its string arguments in order (the clock
/// is given to all).
pub const SERVER_OPS: [(ServerOp, &str, &[&str]); 6] = [
    (ServerOp::Registration, "Registration", &["body"]),
    (ServerOp::Handoff, "Handoff", &["body", "redirectUri"]),
    (
        ServerOp::Exchange,
        "Exchange",
        &[
            "body",
            "redirectUri",
            "clientId",
            "clientSecret",
            "tokenEndpoint",
            "bound",
            "registeredState",
            "registeredChallenge",
            "registrationExpiresAt",
        ],
    ),
    (
        ServerOp::Refresh,
        "Refresh",
        &["clientId", "clientSecret", "tokenEndpoint", "refreshToken"],
    ),
    (
        ServerOp::Tokens,
        "Tokens",
        &["status", "body", "usedRefreshToken"],
    ),
    (ServerOp::Due, "Due", &["expiresAt", "issuedAt", "skewMs"]),
];

impl ServerOp {
    /// The server operation numbered `n`, if any.
    pub fn from_number(n: u32) -> Option<ServerOp> {
        SERVER_OPS
            .iter()
            .map(|(op, _, _)| *op)
            .find(|op| *op as u32 == n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::messages::{all_msgs, Msg, TEMPLATES, USERS, USER_TEXTS};
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    /// The TypeScript side of the boundary, as generated from [`OPS`].
    fn ops_ts() -> String {
        let mut s = String::from(
            "// Generated from src/boundary.rs by `cargo test` (UPDATE_BOUNDARY=1 rewrites it): do not edit.\n\
             /** The core's operations; the string arguments of each, in order, in its comment. */\n\
             export const enum Op {\n",
        );
        for (op, name, args) in OPS {
            s.push_str(&format!(
                "  /** ({}) */\n  {} = {},\n",
                args.join(", "),
                name,
                op as u32
            ));
        }
        s.push_str("}\n");
        s.push_str("/** The server build's operations (pleo-oauth/server); the string arguments of each, in order. */\nexport const enum ServerOp {\n");
        for (op, name, args) in SERVER_OPS {
            s.push_str(&format!(
                "  /** ({}) */\n  {} = {},\n",
                args.join(", "),
                name,
                op as u32
            ));
        }
        s.push_str("}\n");
        s.push_str(
            "/**\n * The options tables (src/boundary.rs): each option its kind's letter, then its name — s a\n * string, l an array of strings, m an object of strings, n a number, o an object (the table of\n * its name), e a preset name or an object (the ENVIRONMENT table), j any JSON value (handed\n * over apart).\n */\n",
        );
        for (name, table) in [
            ("CREATE", &CREATE[..]),
            ("ENVIRONMENT", &ENVIRONMENT[..]),
            ("HANDOFF", &HANDOFF[..]),
            ("START", &START[..]),
            ("POPUP", &POPUP[..]),
        ] {
            let fields: Vec<String> = table
                .iter()
                .map(|(n, k)| {
                    let k = match k {
                        Kind::Str => "s",
                        Kind::List => "l",
                        Kind::Map => "m",
                        Kind::Num => "n",
                        Kind::Obj => "o",
                        Kind::Env => "e",
                        Kind::Json => "j",
                    };
                    format!("{k}{n}")
                })
                .collect();
            s.push_str(&format!(
                "export const {name} = \"{}\";\n",
                fields.join(" ")
            ));
        }
        s.push_str(&format!(
            "/** How many messages there are: a messages.js of another build has another count. */\nexport const MESSAGE_COUNT = {};\n",
            TEMPLATES.len()
        ));
        s.push_str(&format!(
            "/** The prefix of every storage key this library writes (src/transaction.rs). */\nexport const KEY_PREFIX = \"{}\";\n",
            crate::transaction::KEY_PREFIX
        ));

        s.push_str(&format!(
            "/** Pleo's token endpoints, for pleo-oauth/server (src/protocol.rs). */\nexport const TOKEN_ENDPOINTS = {{ production: \"{}\", staging: \"{}\" }};\n",
            crate::protocol::PRODUCTION_TOKEN_ENDPOINT,
            crate::protocol::STAGING_TOKEN_ENDPOINT
        ));
        s.push_str("/** The core's messages (src/messages.rs `Msg`): their templates are in messages.ts. */\nexport const enum Msg {\n");
        for (i, name) in msg_names().iter().enumerate() {
            s.push_str(&format!("  {name} = {i},\n"));
        }
        s.push_str("}\n");
        s
    }

    /// The names of [`Msg`], in order, read from its `Debug`.
    fn msg_names() -> Vec<String> {
        (0..TEMPLATES.len())
            .map(|i| format!("{:?}", msg_number(i)))
            .collect()
    }

    fn msg_number(i: usize) -> Msg {
        all_msgs()[i]
    }

    /// The messages module of the wrapper: the templates, loaded when an error is reported.
    fn messages_ts() -> String {
        let mut s = String::from(
            "// Generated from src/messages.rs by `cargo test` (UPDATE_BOUNDARY=1 rewrites it): do not edit.\n\
             // The templates of the core's messages, by number (Msg); each {} takes the next argument.\n\
             export default [\n",
        );
        let json = |t: &str| {
            let mut j = crate::text::Json::default();
            j.string(t);
            j.0
        };
        for t in TEMPLATES {
            s.push_str(&format!("  {},\n", json(t)));
        }
        s.push_str("];\n");
        s.push_str("// The end user's sentences (PleoOAuthError.userMessage), by number (User): none takes an argument.\nconst users = [\n");
        for t in USER_TEXTS {
            s.push_str(&format!("  {},\n", json(t)));
        }
        s.push_str("];\n");
        let numbers: Vec<String> = USERS.iter().map(|u| (*u as usize).to_string()).collect();
        s.push_str(&format!(
            "// The end user's sentence of each message, by number (Msg).\nexport const user: string[] = [{}].map((i) => users[i]!);\n",
            numbers.join(", ")
        ));
        s
    }

    #[test]
    fn every_message_has_a_template_and_a_name() {
        let all = all_msgs();
        assert_eq!(all.len(), TEMPLATES.len());
        for (i, m) in all.iter().enumerate() {
            assert_eq!(*m as usize, i);
            assert!(!TEMPLATES[i].is_empty());
        }
    }

    #[test]
    fn ops_are_numbered_in_order_and_found_by_number() {
        for (i, (op, _, _)) in OPS.iter().enumerate() {
            assert_eq!(*op as u32, i as u32);
            assert_eq!(Op::from_number(i as u32), Some(*op));
        }
        assert_eq!(Op::from_number(OPS.len() as u32), None);
    }

    /// The wrapper's `Op` is this file's [`OPS`], and its `PleoOAuthErrorCode` union is exactly
    /// [`ErrorCode::ALL`]: a new operation or code is one edit here plus the generated file.
    #[test]
    fn ts_side_is_in_step() {
        let root = env!("CARGO_MANIFEST_DIR");
        let path = format!("{root}/pkg-template/src/ops.ts");
        for (path, want) in [
            (path, ops_ts()),
            (
                format!("{root}/pkg-template/src/messages.ts"),
                messages_ts(),
            ),
        ] {
            if std::env::var_os("UPDATE_BOUNDARY").is_some() {
                std::fs::write(&path, &want).unwrap();
            }
            let have = std::fs::read_to_string(&path).unwrap_or_default();
            assert_eq!(
                have, want,
                "{path} is not in step with src/boundary.rs and src/messages.rs: run UPDATE_BOUNDARY=1 cargo test"
            );
        }

        let index = std::fs::read_to_string(format!("{root}/pkg-template/src/index.ts")).unwrap();
        let start = index
            .find("export type PleoOAuthErrorCode =")
            .expect("index.ts declares PleoOAuthErrorCode");
        let union = &index[start..start + index[start..].find(';').unwrap()];
        let codes: Vec<&str> = union.split('"').skip(1).step_by(2).collect();
        let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            codes, all,
            "index.ts PleoOAuthErrorCode and src/error.rs ErrorCode::ALL differ"
        );
    }
}
