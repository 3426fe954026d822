//! `application/x-www-form-urlencoded` (WHATWG URL § 5), the encoding of OAuth query
//! parameters (RFC 6749 Appendix B) and of the stored transaction record.
//!
//! Invariant: [`append_pair`] and [`pairs`] agree with the `form_urlencoded` crate byte for
//! byte (the tests compare them); this module exists because that crate's generic code
//! costs about 3 KB of wasm for two loops.

use alloc::string::String;
use alloc::vec::Vec;

use crate::text::push_ascii;

/// Appends `name=value` (with `&` when `out` does not end a query start), form-encoded:
/// ASCII alphanumerics and `*-._` as they are, space as `+`, every other byte as `%XX`.
pub fn append_pair(out: &mut String, name: &str, value: &str) {
    if !matches!(out.as_bytes().last(), None | Some(b'?' | b'&')) {
        push_ascii(out, b'&');
    }
    encode(out, name);
    push_ascii(out, b'=');
    encode(out, value);
}

/// Appends `s` form-encoded (as [`append_pair`] writes names and values).
pub fn encode(out: &mut String, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                push_ascii(out, b)
            }
            b' ' => push_ascii(out, b'+'),
            _ => {
                push_ascii(out, b'%');
                // The hex digit of the low four bits, from one 16-byte string (4 B gzip less than
                // computing it).
                let hex = |n: u8| {
                    b"0123456789ABCDEF"
                        .get(usize::from(n & 15))
                        .copied()
                        .unwrap_or(b'0')
                };
                push_ascii(out, hex(b >> 4));
                push_ascii(out, hex(b));
            }
        }
    }
}

/// The name and value of one `&`-separated segment, decoded (`+` is a space, `%XX` a byte,
/// invalid UTF-8 replaced by U+FFFD).
pub fn decode_segment(segment: &str) -> (String, String) {
    let (name, value) = crate::text::cut(segment, b'=').unwrap_or((segment, ""));
    (decode(name), decode(value))
}

/// Every `name=value` pair of a query, in order; empty segments are skipped.
pub fn pairs(query: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for segment in crate::text::pieces(query, b'&') {
        if !segment.is_empty() {
            out.push(decode_segment(segment));
        }
    }
    out
}

/// The first name of a query that is one of `names` (RFC 6749 §3.1: a parameter is sent once,
/// so a query that already has one of ours cannot be extended with it).
#[allow(clippy::manual_find)] // the iterator chain costs 30 B more gzip in the shipped wasm
pub fn first_of(query: &str, names: &[&str]) -> Option<String> {
    for (name, _) in pairs(query) {
        if names.contains(&name.as_str()) {
            return Some(name);
        }
    }
    None
}

/// The values of `names` in a query, into `values` (which starts all `None`) in the order of
/// `names`, each present at most once; refused (`Err`) with the name that came twice.
/// `response` reads the query of an OAuth response (the callback): other names are skipped,
/// and an empty value counts as omitted. Otherwise (a stored record) any other name is
/// refused too (`Err("")`), and an empty value is kept. The callers' arrays are filled in
/// place (returning one costs a copy of it in each caller).
pub fn fields<'n>(
    query: &str,
    names: &[&'n str],
    values: &mut [Option<String>],
    response: bool,
) -> Result<(), &'n str> {
    for (name, value) in pairs(query) {
        // The name's index in `names`, by hand (no `position` and second lookup of the name).
        let mut i = 0;
        loop {
            match names.get(i) {
                Some(n) if **n == *name => {
                    if let Some(slot) = values.get_mut(i) {
                        if slot.replace(value).is_some() {
                            return Err(n);
                        }
                    }
                    break;
                }
                Some(_) => i += 1,
                None if response => break,
                None => return Err(""),
            }
        }
    }
    if response {
        // RFC 6749 §3.1: parameters sent without a value are treated as omitted (after the
        // repetition check, so `state=&state=x` is still a repetition).
        for v in values {
            if v.as_ref().is_some_and(String::is_empty) {
                *v = None;
            }
        }
    }
    Ok(())
}

pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    // Bytes are appended as one-byte slices, not by `push`: Vec<u8>::push would link a growth
    // path of its own.
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        // A hex digit's value, 16 for anything else (a number, not an `Option`: no pair of
        // them to return through memory).
        let hex = |j: usize| {
            bytes
                .get(j)
                .and_then(|&h| (h as char).to_digit(16))
                .unwrap_or(16)
        };
        let (hi, lo) = (hex(i + 1), hex(i + 2));
        match b {
            b'+' => out.extend_from_slice(b" "),
            b'%' if hi < 16 && lo < 16 => {
                out.extend_from_slice(&[(hi * 16 + lo) as u8]);
                i += 2;
            }
            _ => out.extend_from_slice(&[b]),
        }
        i += 1;
    }
    lossy(&out)
}

/// The bytes as UTF-8, each maximal invalid subpart replaced by U+FFFD (as
/// `String::from_utf8_lossy` does). From an empty `String`, not one with the bytes' capacity
/// (12 B gzip less; the arena grows its newest block in place).
fn lossy(bytes: &[u8]) -> String {
    let mut out = String::new();
    crate::text::utf8(bytes, Some(&mut out));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    const SAMPLES: [&str; 8] = [
        "",
        "plain",
        "a b+c&d=e",
        "é/#?%",
        "%zz%4",
        "%C3%A9%2x",
        "%FF%FE%E2%82x%F0%9F%98",
        "users:read export-jobs:read",
    ];

    #[test]
    fn encoding_matches_the_reference_crate() {
        for name in SAMPLES {
            for value in SAMPLES {
                let mut ours = String::new();
                append_pair(&mut ours, name, value);
                let theirs = form_urlencoded::Serializer::new(String::new())
                    .append_pair(name, value)
                    .finish();
                assert_eq!(ours, theirs);
            }
        }
    }

    #[test]
    fn parsing_matches_the_reference_crate() {
        let query = SAMPLES.join("&") + "&&x=1=2&=v&n&%3D=%26";
        let theirs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(pairs(&query), theirs);
    }
}
