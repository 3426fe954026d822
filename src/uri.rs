//! Just enough of RFC 3986 to check the URLs OAuth hands around, without a URL crate.
//!
//! Invariant: a [`WebUrl`] is an absolute `https:` URL, or an `http:` URL on a loopback host,
//! with a host, without user information, without a fragment, and without whitespace or
//! control characters. The original string is kept verbatim, because OAuth compares
//! redirect URIs as exact strings (RFC 6749 §3.1.2, RFC 9700 §4.1.3).

use alloc::borrow::ToOwned;
use alloc::string::String;

use crate::error::{Error, ErrorCode, Result};
use crate::messages::Msg;
use crate::text::{cut, has, pieces};

/// The five components of a URI reference, split as RFC 3986 Appendix B does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts<'a> {
    pub scheme: Option<&'a str>,
    pub authority: Option<&'a str>,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub fragment: Option<&'a str>,
}

/// RFC 3986 Appendix B: `^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?`.
pub fn split(uri: &str) -> Parts<'_> {
    let (rest, fragment) = match cut(uri, b'#') {
        Some((r, f)) => (r, Some(f)),
        None => (uri, None),
    };
    let (rest, query) = match cut(rest, b'?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (scheme, rest) = match rest.bytes().position(|b| b == b':' || b == b'/') {
        Some(i) if i > 0 && rest.as_bytes().get(i) == Some(&b':') => {
            (rest.get(..i), rest.get(i + 1..).unwrap_or(""))
        }
        _ => (None, rest),
    };
    let (authority, path) = match rest.strip_prefix("//") {
        Some(after) => match after.bytes().position(|b| b == b'/') {
            Some(i) => (after.get(..i), after.get(i..).unwrap_or("")),
            None => (Some(after), ""),
        },
        None => (None, rest),
    };
    Parts {
        scheme,
        authority,
        path,
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

/// A path on the current origin: one leading `/`, never `//` or a backslash (browsers read
/// `/\host` as `//host`), no whitespace or control characters.
pub fn is_same_origin_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !has(path, b'\\')
        && !path.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Hosts on which plain `http:` is accepted (RFC 8252 §7.3, and Pleo's "localhost during
/// development").
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

impl WebUrl {
    /// Parses and checks `raw`; `what` names the option in error messages, `code` is the
    /// error code to use (configuration or call argument).
    pub fn parse(raw: &str, what: &str, code: ErrorCode) -> Result<WebUrl> {
        let fail = |why: Msg| Error::new(code, msg!(why, what));
        if raw.is_empty() {
            return Err(fail(Msg::UrlEmpty));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail(Msg::UrlWhitespace));
        }
        let parts = split(raw);
        let Some(scheme) = parts.scheme else {
            return Err(fail(Msg::UrlNotAbsolute));
        };
        if parts.fragment.is_some() {
            // RFC 6749 §3.1.1 / §3.1.2: endpoint and redirection URIs MUST NOT include a fragment.
            return Err(fail(Msg::UrlFragment));
        }
        let authority = parts.authority.unwrap_or_default();
        if authority.is_empty() {
            return Err(fail(Msg::UrlNoHost));
        }
        if has(authority, b'@') {
            return Err(fail(Msg::UrlUserInfo));
        }
        let Some((host, port)) = host_and_port(authority) else {
            return Err(fail(Msg::UrlHost));
        };
        let host = host.to_ascii_lowercase();
        let scheme = if scheme.eq_ignore_ascii_case("https") {
            "https"
        } else if !scheme.eq_ignore_ascii_case("http") {
            return Err(fail(Msg::UrlScheme));
        } else if LOOPBACK_HOSTS.contains(&host.as_str()) {
            // RFC 9700 §2.6 / Pleo: plain http only for loopback during development.
            "http"
        } else {
            return Err(fail(Msg::UrlPlainHttp));
        };
        let origin = origin(scheme, &host, port);
        Ok(WebUrl {
            raw: raw.to_owned(),
            origin,
        })
    }

    /// A URL this crate checked earlier and serialised with its origin ([`Config::encode`]):
    /// taken as it is, not parsed again.
    ///
    /// [`Config::encode`]: crate::config::Config::encode
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

    /// The origin as a browser serialises `location.origin`: lower-case scheme and host, the
    /// port only when it is not the scheme's default.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The path, with the empty path of an http(s) URL read as `/` (as browsers serialise it).
    pub fn path(&self) -> &str {
        normalised_path(split(&self.raw).path)
    }

    /// The query without `?`, if any.
    pub fn query(&self) -> Option<&str> {
        split(&self.raw).query
    }
}

fn normalised_path(path: &str) -> &str {
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

/// The host and the port digits (leading zeros dropped, `None` when there is no port) of an
/// authority without user information; `None` unless the host is a name of
/// `[A-Za-z0-9._~-]` or an `[IPv6]` literal and the port is at most 65535.
fn host_and_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let bytes = authority.as_bytes();
    // The port follows the last ':' unless that ':' is inside an [IPv6] literal.
    let colon = bytes.iter().rposition(|&b| b == b':');
    let (host, port) = match colon {
        // (`has`, not a slice's `contains`: that links core's memchr, about 170 B gzip.)
        Some(i) if !has(authority.get(i..).unwrap_or_default(), b']') => {
            (authority.get(..i)?, authority.get(i + 1..)?)
        }
        _ => (authority, ""),
    };
    let valid_host = match host.as_bytes() {
        [b'[', v6 @ .., b']'] => {
            !v6.is_empty()
                && v6
                    .iter()
                    .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        }
        name => {
            !name.is_empty()
                && name
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
                && canonical_if_numeric(name)
        }
    };
    if !valid_host || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut number = 0u32;
    for b in port.bytes() {
        number = number * 10 + u32::from(b - b'0');
    }
    if number > 65_535 {
        return None;
    }
    let first_digit = port
        .bytes()
        .position(|b| b != b'0')
        .unwrap_or(port.len().saturating_sub(1));
    Some((host, port.get(first_digit..).filter(|p| !p.is_empty())))
}

/// A host whose last label is a number is an IPv4 address to a browser (WHATWG URL §
/// IPv4 parser), which rewrites `127.1` or `0x7f.1` to `127.0.0.1` and refuses `a.b.1`: only the
/// four-decimal form browsers keep as it is (no leading zeros, each part 0–255) is accepted.
fn canonical_if_numeric(host: &[u8]) -> bool {
    // "Ends in a number": the last label (one empty last label dropped: `0.` ends in `0`) is
    // decimal digits, or 0x and hex digits.
    let labels = match host {
        [rest @ .., b'.'] => rest,
        _ => host,
    };
    let last = labels.iter().rposition(|&b| b == b'.').map_or(0, |i| i + 1);
    let last = labels.get(last..).unwrap_or_default();
    let hex = match last {
        [b'0', b'x' | b'X', rest @ ..] => Some(rest),
        _ => None,
    };
    let numeric = match hex {
        Some(rest) => rest.iter().all(u8::is_ascii_hexdigit),
        None => !last.is_empty() && last.iter().all(u8::is_ascii_digit),
    };
    if !numeric {
        return true;
    }
    // Four parts of one to three digits, no leading zero, each at most 255.
    let (mut parts, mut digits, mut value) = (1, 0, 0u32);
    for &b in host {
        if b == b'.' {
            if digits == 0 {
                return false;
            }
            (parts, digits, value) = (parts + 1, 0, 0);
        } else if !b.is_ascii_digit() || (digits == 1 && value == 0) {
            return false;
        } else {
            (digits, value) = (digits + 1, value * 10 + u32::from(b - b'0'));
            if value > 255 {
                return false;
            }
        }
    }
    parts == 4 && digits > 0
}

/// `scheme://host[:port]` as browsers serialise an origin: the port only when it is not the
/// scheme's default. Scheme and host must already be lower case.
fn origin(scheme: &str, host: &str, port: Option<&str>) -> String {
    let default = if scheme == "https" { "443" } else { "80" };
    match port {
        Some(p) if p != default => cat!(scheme, "://", host, ":", p),
        _ => cat!(scheme, "://", host),
    }
}

/// Origin (as [`WebUrl::origin`]) and path of any absolute http(s) URL (such as
/// `location.href`), for the comparison with a stored redirect URI. `None` when the URL is not
/// absolute http(s).
pub fn origin_and_path(url: &str) -> Option<(String, &str)> {
    let parts = split(url);
    let scheme = parts.scheme?;
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return None;
    }
    let authority = parts.authority.filter(|a| !a.is_empty() && !has(a, b'@'))?;
    let (host, port) = host_and_port(authority)?;
    let origin = origin(
        &scheme.to_ascii_lowercase(),
        &host.to_ascii_lowercase(),
        port,
    );
    Some((origin, normalised_path(parts.path)))
}

/// The first piece of a URL's path or query that a browser rewrites when it navigates there
/// (WHATWG URL § path state: dot segments, also as `%2e`, are resolved; § percent-encode sets:
/// quotes, `<`, `>`, `` ` ``, `{`, `}`, `\`, and in the query `'`, and every non-ASCII character
/// are percent-encoded; `\` is read as `/`). A redirect URI with such a piece never compares
/// equal to the address the browser lands on, so it is refused where it is configured.
pub fn rewritten_by_browsers(url: &str) -> Option<&str> {
    let parts = split(url);
    for segment in pieces(parts.path, b'/') {
        let lower = segment.to_ascii_lowercase();
        if [".", "..", "%2e", "%2e%2e", ".%2e", "%2e."].contains(&lower.as_str()) {
            return Some(segment);
        }
    }
    let query = parts.query.unwrap_or_default();
    for (piece, also) in [(parts.path, 0u8), (query, b'\'')] {
        if let Some(i) = piece.bytes().position(|b| {
            !b.is_ascii()
                || matches!(b, b'"' | b'<' | b'>' | b'`' | b'{' | b'}' | b'\\')
                || b == also
        }) {
            return piece
                .get(i..)
                .and_then(|rest| rest.chars().next())
                .map(|c| {
                    let end = i + c.len_utf8();
                    piece.get(i..end).unwrap_or_default()
                });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    fn ok(raw: &str) -> WebUrl {
        WebUrl::parse(raw, "url", ErrorCode::InvalidConfig).unwrap()
    }
    fn err(raw: &str) -> Error {
        WebUrl::parse(raw, "url", ErrorCode::InvalidConfig).unwrap_err()
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

    #[test]
    fn whatwg_url_pieces_browsers_rewrite_are_found() {
        for (url, piece) in [
            ("https://a.example/a/../cb", ".."),
            ("https://a.example/./cb", "."),
            ("https://a.example/cb/.", "."),
            ("https://a.example/x/%2E%2e/cb", "%2E%2e"),
            ("https://a.example/c{b}", "{"),
            ("https://a.example/cällback", "ä"),
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
