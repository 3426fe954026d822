//! Just enough of RFC 3986 to check the URLs OAuth hands around, without a URL crate.
//!
//! Invariant: a [`WebUrl`] is an absolute `https:` URL, or an `http:` URL on a loopback host,
//! with a host, without user information, without a fragment, and without whitespace or
//! control characters. The original string is kept verbatim, because OAuth compares
//! redirect URIs as exact strings (RFC 6749 §3.1.2, RFC 9700 §4.1.3).

use alloc::borrow::ToOwned;
use alloc::string::String;

use crate::error::{ErrorCode, Result};
use crate::messages::Msg;
use crate::text::{cut, digits, has, parse_decimal, pieces};

/// The five components of a URI reference, split as RFC 3986 Appendix B does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts<'a> {
    pub scheme: Option<&'a str>,
    pub authority: Option<&'a str>,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub fragment: Option<&'a str>,
}

/// `s` cut at its first `byte` (ASCII): what comes before it, and what follows it if it
/// occurs (`s` whole and `None` when it does not).
#[inline(always)] // 16 B gzip less in the shipped wasm, measured
fn cut_or_whole(s: &str, byte: u8) -> (&str, Option<&str>) {
    match cut(s, byte) {
        Some((head, tail)) => (head, Some(tail)),
        None => (s, None),
    }
}

/// RFC 3986 Appendix B: `^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?`: the
/// fragment after the first `#`, the query after the first `?` before it, the scheme before the
/// first `:` when no `/` comes earlier, the authority after `//` up to the next `/`.
pub fn split(uri: &str) -> Parts<'_> {
    let (rest, fragment) = cut_or_whole(uri, b'#');
    let (mut rest, query) = cut_or_whole(rest, b'?');
    let (mut scheme, mut authority) = (None, None);
    if let (name, Some(after)) = cut_or_whole(rest, b':') {
        if !name.is_empty() && !has(name, b'/') {
            (scheme, rest) = (Some(name), after);
        }
    }
    if let [b'/', b'/', ..] = rest.as_bytes() {
        let after = rest.get(2..).unwrap_or_default();
        let (name, _) = cut_or_whole(after, b'/');
        // The path keeps its `/`.
        (authority, rest) = (Some(name), after.get(name.len()..).unwrap_or_default());
    }
    Parts {
        scheme,
        authority,
        path: rest,
        query,
        fragment,
    }
}

/// A validated absolute web URL (see the module invariant).
#[derive(Clone, PartialEq, Eq)]
pub struct WebUrl {
    raw: String,
    origin: String,
}

impl core::fmt::Debug for WebUrl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("WebUrl").field(&self.raw).finish()
    }
}

/// Whether `s` holds whitespace or a control character (`char::is_whitespace`,
/// `char::is_control`), or the ASCII byte `also`: read from the UTF-8 bytes, without decoding
/// (no `Chars`, no Unicode table).
fn blank_or(s: &str, also: u8) -> bool {
    // Read from the end: each byte and the two after it (0 past the end), as one number.
    let mut window = 0u32;
    for &b in s.as_bytes().iter().rev() {
        window = u32::from(b) << 16 | window >> 8;
        if b == also
            || matches!(
                window,
                // U+0000–U+0020; U+007F; U+0080–U+00A0 (C1 controls, NEL, NBSP); U+1680;
                // U+2000–U+200A, U+2028, U+2029, U+202F; U+205F; U+3000.
                0..=0x20_FFFF
                    | 0x7F_0000..=0x7F_FFFF
                    | 0xC2_8000..=0xC2_A0FF
                    | 0xE1_9A80
                    | 0xE2_8080..=0xE2_808A
                    | 0xE2_80A8
                    | 0xE2_80A9
                    | 0xE2_80AF
                    | 0xE2_819F
                    | 0xE3_8080
            )
        {
            return true;
        }
    }
    false
}

/// A path on the current origin: one leading `/`, never `//` or a backslash (browsers read
/// `/\host` as `//host`), no whitespace or control characters.
pub fn is_same_origin_path(path: &str) -> bool {
    matches!(path.as_bytes(), [b'/', rest @ ..] if rest.first().copied() != Some(b'/'))
        && !blank_or(path, b'\\')
}

/// Whether `s` is one of the space-separated `words`, ignoring ASCII case (the loopback hosts,
/// the dot segments): one out-of-line loop for both.
#[inline(never)]
fn one_of(words: &str, s: &str) -> bool {
    pieces(words, b' ').any(|w| w.eq_ignore_ascii_case(s))
}

/// Hosts on which plain `http:` is accepted (RFC 8252 §7.3, and Pleo's "localhost during
/// development").
/// Separated by spaces (one string: no table of pointers in the module).
const LOOPBACK_HOSTS: &str = "localhost 127.0.0.1 [::1]";

impl WebUrl {
    /// Parses and checks `raw`; `what` names the option in error messages, `code` is the
    /// error code to use (configuration or call argument).
    pub fn parse(raw: &str, what: &str, code: ErrorCode) -> Result<WebUrl> {
        match check(raw) {
            Ok(origin) => Ok(WebUrl {
                raw: raw.to_owned(),
                origin,
            }),
            Err(why) => Err(crate::error::quoting(code, why, what)),
        }
    }

    /// A URL this crate checked earlier and serialised with its origin ([`Config::encode`]):
    /// taken as it is, not parsed again.
    ///
    /// [`Config::encode`]: crate::config::Config::encode
    #[inline(never)] // 24 B gzip less in the shipped wasm than inlined at its two sites, measured
    pub(crate) fn checked(raw: &str, origin: &str) -> WebUrl {
        WebUrl {
            raw: raw.to_owned(),
            origin: origin.to_owned(),
        }
    }

    /// The URL exactly as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The URL exactly as given, as the `String` it is kept in (no copy).
    pub(crate) fn into_raw(self) -> String {
        self.raw
    }

    /// The origin as a browser serialises `location.origin`: lower-case scheme and host, the
    /// port only when it is not the scheme's default.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The path, with the empty path of an http(s) URL read as `/` (as browsers serialise it).
    #[inline(always)] // 27 B gzip less in the shipped wasm, measured
    pub fn path(&self) -> &str {
        normalised_path(split(&self.raw).path)
    }

    /// The query without `?`, if any.
    #[inline(always)] // 61 B gzip less in the shipped wasm, measured
    pub fn query(&self) -> Option<&str> {
        split(&self.raw).query
    }
}

/// [`WebUrl::parse`]'s rules in order: the origin of `raw`, or the first rule it breaks.
fn check(raw: &str) -> core::result::Result<String, Msg> {
    if raw.is_empty() {
        return Err(Msg::UrlEmpty);
    }
    if blank_or(raw, 0) {
        return Err(Msg::UrlWhitespace);
    }
    let parts = split(raw);
    let Some(scheme) = parts.scheme else {
        return Err(Msg::UrlNotAbsolute);
    };
    if parts.fragment.is_some() {
        // RFC 6749 §3.1.1 / §3.1.2: endpoint and redirection URIs MUST NOT include a fragment.
        return Err(Msg::UrlFragment);
    }
    let authority = parts.authority.unwrap_or_default();
    // (An empty authority or one with user information never has a valid host: which rule
    // it breaks is told only on failure.)
    let Some((host, port)) = host_and_port(authority) else {
        return Err(if authority.is_empty() {
            Msg::UrlNoHost
        } else if has(authority, b'@') {
            Msg::UrlUserInfo
        } else {
            Msg::UrlHost
        });
    };
    let Some(https) = web_scheme(scheme) else {
        return Err(Msg::UrlScheme);
    };
    if !https && !one_of(LOOPBACK_HOSTS, host) {
        // RFC 9700 §2.6 / Pleo: plain http only for loopback during development.
        return Err(Msg::UrlPlainHttp);
    }
    Ok(origin(https, host, port))
}

/// `Some(true)` for `https`, `Some(false)` for `http` (in any case), `None` for any other scheme.
#[inline(always)] // 10 B gzip less in the shipped wasm, measured
fn web_scheme(scheme: &str) -> Option<bool> {
    if scheme.eq_ignore_ascii_case("https") {
        Some(true)
    } else {
        scheme.eq_ignore_ascii_case("http").then_some(false)
    }
}

fn normalised_path(path: &str) -> &str {
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

/// The host and the port number (`None` when there is no port or no digit) of an authority;
/// `None` unless the host is a name of `[A-Za-z0-9._~-]` or an `[IPv6]` literal and the port
/// is at most five digits and 65535 (so never for an empty authority or user information).
fn host_and_port(authority: &str) -> Option<(&str, Option<u64>)> {
    let bytes = authority.as_bytes();
    // The port follows the last ':' unless a ']' (the end of an [IPv6] literal) comes after it.
    let mut colon = bytes.len();
    let mut i = bytes.len();
    while let Some(before) = i.checked_sub(1) {
        i = before;
        match bytes.get(i) {
            Some(b':') => {
                colon = i;
                break;
            }
            Some(b']') => break,
            _ => {}
        }
    }
    let host = authority.get(..colon)?;
    let port = authority.get(colon + 1..).unwrap_or_default();
    let port = if port.is_empty() {
        None
    } else {
        Some(parse_decimal(port).filter(|&n| port.len() <= 5 && n <= 65_535)?)
    };
    let (v6, name) = match host.as_bytes() {
        [b'[', v6 @ .., b']'] => (true, v6),
        name => (false, name),
    };
    if v6 {
        // (`[]` is no host; `word` refuses an empty name itself.)
        if name.is_empty() {
            return None;
        }
        for &b in name {
            // Hex digits, '.' and ':'.
            if !has("0123456789ABCDEFabcdef.:", b) {
                return None;
            }
        }
    } else if !crate::config::word(host, "._~-") {
        // (The out-of-line helper scopes, header names and PKCE verifiers use.)
        return None;
    }
    (v6 || canonical_if_numeric(name)).then_some((host, port))
}

/// A host whose last label is a number is an IPv4 address to a browser (WHATWG URL §
/// IPv4 parser), which rewrites `127.1` or `0x7f.1` to `127.0.0.1` and refuses `a.b.1`: only the
/// four-decimal form browsers keep as it is (no leading zeros, each part 0–255) is accepted.
fn canonical_if_numeric(host: &[u8]) -> bool {
    // One pass over the labels. "Ends in a number": the last label (one empty last label
    // dropped: `0.` ends in `0`) is decimal digits, or 0x and hex digits; `numeric` is that of
    // the last non-empty label, unless an empty one followed it. Of the current label: its
    // length, whether it is all decimal digits, whether it is 0x and hex digits so far. And
    // whether the host so far is parts of one to three digits, no leading zero, each at most
    // 255 (`value` held at 256 once above).
    let (mut parts, mut len, mut value) = (1, 0, 0u32);
    let (mut decimal, mut hex, mut quad, mut numeric) = (true, true, true, false);
    for &b in host {
        if b == b'.' {
            numeric &= len > 0;
            quad &= len > 0;
            (parts, len, value, decimal, hex) = (parts + 1, 0, 0, true, true);
        } else {
            hex &= match len {
                0 => b == b'0',
                1 => b | 0x20 == b'x',
                _ => has("0123456789ABCDEFabcdef", b),
            };
            decimal &= b.is_ascii_digit();
            // No digit after a leading 0.
            quad &= decimal && !(len == 1 && value == 0);
            value = (value * 10 + u32::from(b & 0xf)).min(256);
            quad &= value <= 255;
            len += 1;
            numeric = decimal || len > 1 && hex;
        }
    }
    !numeric || quad && parts == 4 && len > 0
}

/// `scheme://host[:port]` as browsers serialise an origin: lower case, the port only when it
/// is not the scheme's default.
fn origin(https: bool, host: &str, port: Option<u64>) -> String {
    let (scheme, default) = if https {
        ("https://", 443)
    } else {
        ("http://", 80)
    };
    let mut origin = cat!(scheme, host);
    if let Some(p) = port.filter(|&p| p != default) {
        crate::text::push_ascii(&mut origin, b':');
        digits(&mut origin, p);
    }
    origin.make_ascii_lowercase();
    origin
}

/// Origin (as [`WebUrl::origin`]) and path of any absolute http(s) URL (such as
/// `location.href`), for the comparison with a stored redirect URI. `None` when the URL is not
/// absolute http(s).
#[inline(always)] // 32 B gzip less in the shipped wasm, measured
pub fn origin_and_path(url: &str) -> Option<(String, &str)> {
    let parts = split(url);
    let https = web_scheme(parts.scheme?)?;
    let (host, port) = host_and_port(parts.authority?)?;
    Some((origin(https, host, port), normalised_path(parts.path)))
}

/// The dot segments, `.` and `..`, also with either dot spelt `%2e` (compared ignoring case).
/// Separated by spaces (one string: no table of pointers in the module).
const DOT_SEGMENTS: &str = ". .. %2e .%2e %2e. %2e%2e";

/// The first character of `piece` that a browser percent-encodes (see below), or `also`.
fn encoded_by_browsers(piece: &str, also: u8) -> Option<&str> {
    let bytes = piece.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if !b.is_ascii() || has("\"<>`{}\\", b) || b == also {
            // The whole character: its UTF-8 length is told by its first byte's leading ones.
            return piece.get(i..)?.get(..(b.leading_ones() as usize).max(1));
        }
        i += 1;
    }
    None
}

/// The first piece of a URL's path or query that a browser rewrites when it navigates there
/// (WHATWG URL § path state: dot segments, also as `%2e`, are resolved; § percent-encode sets:
/// quotes, `<`, `>`, `` ` ``, `{`, `}`, `\`, and in the query `'`, and every non-ASCII character
/// are percent-encoded; `\` is read as `/`). A redirect URI with such a piece never compares
/// equal to the address the browser lands on, so it is refused where it is configured.
pub fn rewritten_by_browsers(url: &str) -> Option<&str> {
    let parts = split(url);
    for segment in pieces(parts.path, b'/') {
        if one_of(DOT_SEGMENTS, segment) {
            return Some(segment);
        }
    }
    encoded_by_browsers(parts.path, 0)
        .or_else(|| encoded_by_browsers(parts.query.unwrap_or_default(), b'\''))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    fn ok(raw: &str) -> WebUrl {
        WebUrl::parse(raw, "url", ErrorCode::InvalidConfig).unwrap()
    }
    fn err(raw: &str) -> crate::Error {
        WebUrl::parse(raw, "url", ErrorCode::InvalidConfig).unwrap_err()
    }

    /// `blank_or` reads `char::is_whitespace` and `char::is_control` from the bytes: every
    /// character alone, and between others.
    #[test]
    fn blank_is_whitespace_or_control_for_every_character() {
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            let blank = c.is_whitespace() || c.is_control();
            let alone = c.to_string();
            assert_eq!(blank_or(&alone, 0), blank, "{:?}", c);
            assert_eq!(
                blank_or(&format!("a{c}é"), b'\\'),
                blank || c == '\\',
                "{:?}",
                c
            );
            assert!(blank_or(&format!("{c}\\"), b'\\'));
        }
    }

    /// Every ASCII character in a host name and in an `[IPv6]` literal: accepted exactly when
    /// the rule above names it.
    #[test]
    fn host_characters_are_exactly_the_named_ones() {
        for c in 0u8..=127 {
            let ch = char::from(c);
            let name = c.is_ascii_alphanumeric() || b"._~-".contains(&c);
            assert_eq!(host_and_port(&format!("a{ch}b")).is_some(), name, "{c:#x}");
            let v6 = c.is_ascii_hexdigit() || b".:".contains(&c);
            assert_eq!(host_and_port(&format!("[{ch}]")).is_some(), v6, "{c:#x}");
        }
    }

    #[test]
    fn splits_like_rfc3986_appendix_b() {
        let p = split("https://a.example:8443/p/q?x=1&y=2#frag");
        assert_eq!(p.scheme, Some("https"));
        assert_eq!(p.authority, Some("a.example:8443"));
        assert_eq!(p.path, "/p/q");
        assert_eq!(p.query, Some("x=1&y=2"));
        assert_eq!(p.fragment, Some("frag"));
        let p = split("/relative?x#");
        assert_eq!(p.scheme, None);
        assert_eq!(p.authority, None);
        assert_eq!(p.path, "/relative");
        assert_eq!(p.fragment, Some(""));
    }

    #[test]
    fn accepts_https_and_loopback_http() {
        assert_eq!(
            ok("https://app.example.com/cb").origin(),
            "https://app.example.com"
        );
        ok("http://localhost:3000/cb");
        ok("http://127.0.0.1/cb");
        ok("http://[::1]:8080/cb");
        ok("HTTPS://App.Example.com:443/cb?tenant=1");
    }

    #[test]
    fn rejects_plain_http_elsewhere_fragments_userinfo_and_junk() {
        assert!(err("http://app.example.com/cb").message().contains("https"));
        assert!(err("https://app.example.com/cb#x")
            .message()
            .contains("fragment"));
        assert!(err("https://user:pw@app.example.com/cb")
            .message()
            .contains("user information"));
        assert!(err("/cb").message().contains("absolute"));
        assert!(err("").message().contains("empty"));
        assert!(err("https:///cb").message().contains("no host"));
        assert!(err("https://app.example.com:99999/cb")
            .message()
            .contains("port"));
        assert!(err("https://app example.com/cb")
            .message()
            .contains("whitespace"));
        assert!(err("javascript://x/%0aalert(1)")
            .message()
            .contains("https"));
        assert!(err("http://localhost.evil.com/cb")
            .message()
            .contains("https"));
        assert!(err("https://[zz]/cb").message().contains("host"));
    }

    #[test]
    fn origin_normalises_case_and_default_port() {
        let a = ok("HTTPS://App.Example.com:443");
        assert_eq!(a.origin(), "https://app.example.com");
        assert_eq!(a.path(), "/");
        let (o, p) = origin_and_path("https://app.example.com/?code=x").unwrap();
        assert_eq!(o, a.origin());
        assert_eq!(p, "/");
        assert_eq!(
            origin_and_path("http://LocalHost:03000/cb?x").unwrap().0,
            "http://localhost:3000"
        );
        assert_eq!(
            origin_and_path("http://[::1]:80/").unwrap().0,
            "http://[::1]"
        );
        assert_eq!(
            origin_and_path("https://a.example:0/").unwrap().0,
            "https://a.example:0"
        );
        assert_eq!(
            origin_and_path("https://a.example:/").unwrap().0,
            "https://a.example"
        );
        assert!(origin_and_path("https://a.example:65536/").is_none());
        assert!(origin_and_path("https://a.example:1x/").is_none());
        // WHATWG IPv4 parser: numeric hosts browsers rewrite or refuse.
        for rewritten in [
            "127.1",
            "0",
            "0x7f.0.0.1",
            "127.000.0.1",
            "1.2.3.256",
            "a.b.1",
            "1.2.3.4.5",
        ] {
            assert!(
                origin_and_path(&format!("https://{rewritten}/")).is_none(),
                "{rewritten}"
            );
        }
        for kept in ["127.0.0.1", "10.0.0.255", "a.example", "1a.example", "x.0a"] {
            assert!(
                origin_and_path(&format!("https://{kept}/")).is_some(),
                "{kept}"
            );
        }
        assert!(origin_and_path("file:///etc/passwd").is_none());
    }

    /// `DOT_SEGMENTS` is exactly `.` or `%2e` (any case), once or twice: every segment of up to
    /// seven bytes from `.`, `%`, `2`, `e`, `E`, `x`, against that rule written out.
    #[test]
    fn dot_segments_are_one_or_two_dots_either_spelt() {
        fn dot(s: &[u8]) -> Option<&[u8]> {
            match s {
                [b'.', rest @ ..] | [b'%', b'2', b'e' | b'E', rest @ ..] => Some(rest),
                _ => None,
            }
        }
        let alphabet = b".%2eEx";
        let mut segments = vec![String::new()];
        let mut last = segments.clone();
        for _ in 0..7 {
            last = last
                .iter()
                .flat_map(|s| {
                    alphabet
                        .iter()
                        .map(move |&b| format!("{s}{}", char::from(b)))
                })
                .collect();
            segments.extend(last.iter().cloned());
        }
        for segment in segments {
            let rule = dot(segment.as_bytes())
                .is_some_and(|rest| rest.is_empty() || dot(rest).is_some_and(<[u8]>::is_empty));
            assert_eq!(one_of(DOT_SEGMENTS, &segment), rule, "{segment}");
            let url = format!("https://a.example/a/{segment}/b");
            assert_eq!(
                rewritten_by_browsers(&url) == Some(segment.as_str()),
                rule,
                "{url}"
            );
        }
    }

    /// An empty host, bare or in brackets, with or without a port, is no host.
    #[test]
    fn an_empty_host_is_refused() {
        for authority in ["", "[]", ":443", "[]:443", "[", "]"] {
            assert_eq!(host_and_port(authority), None, "{authority}");
        }
        assert_eq!(host_and_port("[::1]:8080"), Some(("[::1]", Some(8080))));
    }

    /// A last label `0x` and one byte is a hex number (so refused) exactly when the byte is a
    /// hex digit, for every byte but the dot.
    #[test]
    fn a_0x_label_is_numeric_iff_hex_digits_follow() {
        for b in (0u8..=255).filter(|&b| b != b'.') {
            assert_eq!(
                canonical_if_numeric(&[b'0', b'x', b]),
                !b.is_ascii_hexdigit(),
                "{b:#x}"
            );
            assert_eq!(
                canonical_if_numeric(&[b'a', b'.', b'0', b'X', b]),
                !b.is_ascii_hexdigit(),
                "{b:#x}"
            );
        }
    }

    #[test]
    fn whatwg_url_pieces_browsers_rewrite_are_found() {
        for (url, piece) in [
            ("https://a.example/a/../cb", ".."),
            ("https://a.example/./cb", "."),
            ("https://a.example/cb/.", "."),
            ("https://a.example/x/%2E%2e/cb", "%2E%2e"),
            ("https://a.example/c{b}", "{"),
            ("https://a.example/cällback", "ä"),
            ("https://a.example/c€b", "€"),
            ("https://a.example/cb?x=😀y", "😀"),
            ("https://a.example/cb?x=y€", "€"),
            ("https://a.example/c`b", "`"),
            ("https://a.example/c\\b", "\\"),
            ("https://a.example/cb?x=\"y\"", "\""),
            ("https://a.example/cb?x='y'", "'"),
        ] {
            assert_eq!(rewritten_by_browsers(url), Some(piece), "{url}");
        }
        for url in [
            "https://a.example/pleo/callback",
            "https://a.example/cb?x=1&y=%20z",
            "https://a.example/it's/c%7Bb%7D/...x/.x",
            "https://a.example",
        ] {
            assert_eq!(rewritten_by_browsers(url), None, "{url}");
        }
    }
}
