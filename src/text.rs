//! Strings without `core::fmt`: concatenation, decimal numbers, JSON output (the server
//! build's).
//!
//! Invariant: nothing here formats through `core::fmt`, so the shipped wasm carries none of
//! its machinery (about 7 KB). [`Json`] writes valid JSON for any input string (RFC 8259 §7).

use alloc::string::String;

/// Concatenates `&str` pieces into a new `String`: `cat!("a", b, "c")`. One shared function
/// behind it, so that each message costs its pieces' addresses rather than inlined pushes.
#[macro_export]
macro_rules! cat {
    ($($piece:expr),* $(,)?) => {
        $crate::text::concat(&[$($piece),*])
    };
}

/// At most `max` bytes of `s`, cut at a character boundary and then marked with `…`.
pub fn bounded(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.into();
    }
    // The longest head of at most `max` bytes that ends at a character boundary (`get` checks
    // it; the empty head always does).
    let mut end = max;
    loop {
        if let Some(head) = s.get(..end) {
            return cat!(head, "…");
        }
        end -= 1;
    }
}

/// The pieces, one after the other.
#[inline(never)]
pub fn concat(pieces: &[&str]) -> String {
    let mut s = String::new();
    for piece in pieces {
        s.push_str(piece);
    }
    s
}

/// Appends the ASCII byte `b` (every caller's is ASCII; a higher one would be cut to 7 bits):
/// one out-of-line append that the compiler knows is one byte, instead of `String::push(char)`,
/// whose UTF-8 encoding of wider characters is then not linked at all (34 B gzip less).
#[inline(never)]
pub fn push_ascii(out: &mut String, b: u8) {
    out.push_str(char::from(b & 0x7f).encode_utf8(&mut [0; 4]));
}

/// The decimal digits of `n`.
pub fn decimal(n: u64) -> String {
    let mut out = String::new();
    digits(&mut out, n);
    out
}

/// Appends the decimal digits of `n`: those of `n / 10` first (at most 19 calls deep), then
/// the last one (no buffer of 20 to copy from).
pub fn digits(out: &mut String, n: u64) {
    if n >= 10 {
        digits(out, n / 10);
    }
    push_ascii(out, b'0' + (n % 10) as u8);
}

/// Whether `bytes` are UTF-8 (RFC 3629); with `out`, they are copied into it, each maximal
/// invalid subpart replaced by U+FFFD (Unicode §3.9, as `String::from_utf8_lossy` does). One
/// scanner instead of `core::str::from_utf8`, which costs about 700 B of wasm. The checked
/// sequences are copied as they are, a run at a time ([`checked`]), not decoded into
/// characters and encoded again (104 B gzip less).
pub fn utf8(bytes: &[u8], mut out: Option<&mut String>) -> bool {
    let mut valid = true;
    let mut i = 0;
    // The start of the checked bytes not yet copied to `out`.
    let mut run = 0;
    while let Some(&b) = bytes.get(i) {
        let len = match b {
            0x00..=0x7F => 1,
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => 0,
        };
        // Unicode Table 3-7: the second byte's range depends on the first; every later one is
        // 80..=BF.
        let (mut lo, mut hi) = match b {
            0xE0 => (0xA0, 0xBF),
            0xED => (0x80, 0x9F),
            0xF0 => (0x90, 0xBF),
            0xF4 => (0x80, 0x8F),
            _ => (0x80, 0xBF),
        };
        let mut j = 1;
        while j < len {
            match bytes.get(i + j) {
                Some(&c) if (lo..=hi).contains(&c) => {}
                _ => break,
            }
            (lo, hi) = (0x80, 0xBF);
            j += 1;
        }
        if j != len {
            valid = false;
            if let Some(out) = out.as_deref_mut() {
                out.push_str(checked(bytes.get(run..i)));
                #[allow(clippy::single_char_add_str)] // push(char) encodes it: 22 B gzip more
                out.push_str("\u{FFFD}");
            }
            run = i + j;
        }
        i += j;
    }
    if let Some(out) = out {
        out.push_str(checked(bytes.get(run..)));
    }
    valid
}

/// Bytes [`utf8`] found to be whole UTF-8 sequences, as text.
fn checked(bytes: Option<&[u8]>) -> &str {
    let bytes = bytes.unwrap_or_default();
    debug_assert!(core::str::from_utf8(bytes).is_ok());
    // SAFETY: `utf8` passes only whole sequences it checked byte by byte against Unicode
    // Table 3-7 (well-formed UTF-8, RFC 3629), so they are valid UTF-8: the tests hold it to
    // `core::str::from_utf8` on every sequence of up to three bytes and every four-byte one a
    // valid lead starts, and every debug build checks each run again (above).
    unsafe { core::str::from_utf8_unchecked(bytes) }
}

/// Base64url without padding (RFC 4648 §5), as PKCE (RFC 7636 §4.1, §4.2) and the state use.
/// A loop of its own instead of the `base64` crate: its generic engine and the `Debug` its
/// `expect` reaches cost about 3 KB of wasm for the two 32-byte values encoded per flow.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // One pass over the bytes: each shifted into an accumulator, a character out for every six
    // bits it holds, then the last bits padded with zeros (no `=`: RFC 7636 Appendix A).
    let mut out = String::new();
    let mut acc = 0u32;
    let mut bits = 0;
    let sextet = |out: &mut String, n: u32| {
        push_ascii(
            out,
            ALPHABET.get((n & 63) as usize).copied().unwrap_or(b'A'),
        );
    };
    for &b in bytes {
        acc = acc << 8 | u32::from(b);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            sextet(&mut out, acc >> bits);
        }
    }
    if bits > 0 {
        sextet(&mut out, acc << (6 - bits));
    }
    out
}

/// The parts of `s` before and after the first `byte` (ASCII), if it occurs. Byte-wise
/// searching instead of `str` patterns: their searchers cost about 1 KB of wasm. An index loop
/// and one `split_at_checked`, not `bytes().position` and two `get`s (78 B gzip less, with
/// [`has`] sharing it).
pub fn cut(s: &str, byte: u8) -> Option<(&str, &str)> {
    let mut i = 0;
    loop {
        if *s.as_bytes().get(i)? == byte {
            let (before, after) = s.split_at_checked(i)?;
            return Some((before, after.get(1..)?));
        }
        i += 1;
    }
}

/// Whether `s` contains the ASCII `byte`.
pub fn has(s: &str, byte: u8) -> bool {
    cut(s, byte).is_some()
}

/// The pieces of `s` between the ASCII `byte`s, like `str::split(char)`.
pub fn pieces(s: &str, byte: u8) -> Pieces<'_> {
    Pieces {
        rest: Some(s),
        byte,
    }
}

/// See [`pieces`].
pub struct Pieces<'a> {
    rest: Option<&'a str>,
    byte: u8,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        Some(match cut(rest, self.byte) {
            Some((piece, after)) => {
                self.rest = Some(after);
                piece
            }
            None => {
                self.rest = None;
                rest
            }
        })
    }
}

/// The `n`th of the space-separated words of `words` (from 0), empty when there are fewer: one
/// string instead of a table of pointers.
#[allow(clippy::explicit_counter_loop)] // enumerate() costs more in the shipped wasm
pub fn nth_word(words: &str, n: usize) -> &str {
    let mut i = 0;
    for word in pieces(words, b' ') {
        if i == n {
            return word;
        }
        i += 1;
    }
    ""
}

/// `items` joined by `separator`.
#[inline(always)] // 25 B gzip less in the shipped wasm, measured
pub fn join(items: &[&str], separator: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(item);
    }
    out
}

/// The value of a string of 1 to 20 ASCII digits, if it fits in a `u64` (what [`decimal`]
/// writes); `None` for anything else.
pub fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut n = 0u64;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        // No checked_mul: on wasm32 it is a 128-bit multiplication (__multi3) for one bound.
        let digit = u64::from(b - b'0');
        if n > (u64::MAX - digit) / 10 {
            return None;
        }
        n = n * 10 + digit;
    }
    Some(n)
}

/// A JSON text under construction: the server build's replies (src/server/ops.rs) and the
/// generated messages.ts. The browser module's replies are forms (src/wasm.rs `Reply`).
#[derive(Default)]
pub struct Json(pub String);

impl Json {
    /// Writes `"key":`, after `{` on the first member and `,` before the others.
    pub fn key(&mut self, key: &str) -> &mut Self {
        self.separate(b'{');
        self.string(key);
        push_ascii(&mut self.0, b':');
        self
    }

    /// An array element: a JSON string after `[` or `,`.
    pub fn item(&mut self, value: &str) -> &mut Self {
        self.separate(b'[');
        self.string(value)
    }

    /// A `,` before a further element of an array being written with [`Json::raw`].
    #[inline(always)] // 14 B gzip less in the shipped wasm, measured
    pub fn separate_item(&mut self) -> &mut Self {
        self.separate(b'[');
        self
    }

    /// Opens the text with `open`, or puts `,` after a previous member or element.
    fn separate(&mut self, open: u8) {
        // The last byte, not the last character: the text ends in ASCII whenever it matters
        // (`{`, `[`), and no character decoding is linked for it.
        match self.0.as_bytes().last() {
            None => push_ascii(&mut self.0, open),
            Some(b'{' | b'[') => {}
            Some(_) => push_ascii(&mut self.0, b','),
        }
    }

    /// A JSON string (RFC 8259 §7): quotes, backslashes and control characters escaped, every
    /// other run of characters copied as it is.
    pub fn string(&mut self, value: &str) -> &mut Self {
        push_ascii(&mut self.0, b'"');
        let mut run = 0;
        for (i, b) in value.bytes().enumerate() {
            if b == b'"' || b == b'\\' || b < 0x20 {
                self.0.push_str(value.get(run..i).unwrap_or_default());
                run = i + 1;
                push_ascii(&mut self.0, b'\\');
                match b {
                    b'"' | b'\\' => push_ascii(&mut self.0, b),
                    // Below 0x20: the first hex digit is 0 or 1.
                    _ => {
                        self.0.push_str(if b < 16 { "u000" } else { "u001" });
                        // `0`–`9`, then `a`–`f` (`a` is 39 past `9` + 1).
                        let n = b & 15;
                        push_ascii(&mut self.0, b'0' + n + if n > 9 { 39 } else { 0 });
                    }
                }
            }
        }
        self.0.push_str(value.get(run..).unwrap_or_default());
        push_ascii(&mut self.0, b'"');
        self
    }

    /// `"key":"value"`.
    pub fn field(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key).string(value)
    }

    /// `"key":"value"` when there is a value.
    pub fn field_opt(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.field(key, v);
        }
        self
    }

    /// Raw JSON text (a number, a nested object written by another `Json`, `[`/`]`, `}`).
    pub fn raw(&mut self, json: &str) -> &mut Self {
        self.0.push_str(json);
        self
    }

    /// Closes the object and returns the text.
    pub fn close(mut self) -> String {
        if self.0.is_empty() {
            push_ascii(&mut self.0, b'{');
        }
        push_ascii(&mut self.0, b'}');
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    /// RFC 3629 / Unicode §3.9: every sequence of up to three bytes whose first byte is not
    /// ASCII, then around them, against `core::str::from_utf8` and `String::from_utf8_lossy`.
    #[test]
    fn utf8_agrees_with_std_on_every_short_sequence() {
        let check = |bytes: &[u8]| {
            let mut out = String::new();
            let valid = utf8(bytes, Some(&mut out));
            assert_eq!(valid, core::str::from_utf8(bytes).is_ok(), "{bytes:x?}");
            assert_eq!(out, String::from_utf8_lossy(bytes), "{bytes:x?}");
            assert_eq!(utf8(bytes, None), valid);
        };
        for a in 0x80..=0xFFu8 {
            check(&[a]);
            for b in 0..=0xFFu8 {
                check(&[a, b]);
                for c in [
                    0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xE0, 0xF0, 0xFF,
                ] {
                    check(&[a, b, c]);
                    check(&[b'x', a, b, c, 0x80, 0xBF, b'y']);
                }
            }
        }
        // Every four-byte sequence a four-byte lead starts (the last byte from the edges of
        // the ranges).
        for a in 0xF0..=0xF4u8 {
            for b in 0..=0xFFu8 {
                for c in 0..=0xFFu8 {
                    for d in [0x00, 0x7F, 0x80, 0xBF, 0xC0, 0xFF] {
                        check(&[a, b, c, d]);
                    }
                }
            }
        }
        for s in [
            "",
            "plain",
            "é",
            "€uro",
            "😀",
            "a\u{10FFFF}b",
            "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}",
        ] {
            check(s.as_bytes());
        }
    }

    #[test]
    fn parse_decimal_reads_what_decimal_writes_and_nothing_else() {
        for n in [0, 7, 600_000, u64::MAX] {
            assert_eq!(parse_decimal(&decimal(n)), Some(n));
        }
        for bad in [
            "",
            "-1",
            "+1",
            "1e3",
            " 1",
            "18446744073709551616",
            "18446744073709551619",
            "99999999999999999999",
            "１",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn bounded_cuts_at_a_character_boundary_and_marks_the_cut() {
        assert_eq!(bounded("", 0), "");
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("abc", 5), "abc");
        assert_eq!(bounded("abcd", 3), "abc…");
        assert_eq!(bounded("abcd", 0), "…");
        // "é" is two bytes, "€" three: a cut inside one keeps the characters before it.
        assert_eq!(bounded("aé", 2), "a…");
        assert_eq!(bounded("aé", 3), "aé");
        assert_eq!(bounded("€€", 5), "€…");
        assert_eq!(bounded("€€", 4), "€…");
        assert_eq!(bounded("€€", 2), "…");
        assert_eq!(bounded("€€", 6), "€€");
    }

    #[test]
    fn decimal_digits() {
        assert_eq!(decimal(0), "0");
        assert_eq!(decimal(600_000), "600000");
        assert_eq!(decimal(u64::MAX), "18446744073709551615");
    }

    #[test]
    fn json_escapes_every_character_json_requires() {
        let mut j = Json::default();
        j.field("a", "q\"b\\c\n\u{1}é\u{2028}");
        j.key("n").raw("3");
        assert_eq!(
            j.close(),
            "{\"a\":\"q\\\"b\\\\c\\u000a\\u0001é\u{2028}\",\"n\":3}"
        );
        assert_eq!(Json::default().close(), "{}");
    }

    #[test]
    fn base64url_matches_the_reference_crate() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine as _;
        let bytes: Vec<u8> = (0..=255u8).rev().collect();
        for len in 0..70 {
            assert_eq!(
                base64url(&bytes[..len]),
                URL_SAFE_NO_PAD.encode(&bytes[..len])
            );
        }
    }

    #[test]
    fn byte_cuts_and_pieces_match_str_split() {
        for s in ["", "a", "&", "a&b", "&a&&b&", "é&ü"] {
            let ours: Vec<&str> = pieces(s, b'&').collect();
            let std: Vec<&str> = s.split('&').collect();
            assert_eq!(ours, std, "{s:?}");
            assert_eq!(cut(s, b'&'), s.split_once('&'));
            assert_eq!(has(s, b'&'), s.contains('&'));
        }
        // A byte that is not ASCII is never cut at (it is no character of its own).
        for byte in [0xC3, 0xA9, 0xFF] {
            assert_eq!(cut("aé&éb", byte), None);
            assert!(!has("é", byte));
        }
    }

    #[test]
    fn nth_word_counts_from_zero() {
        let words = "same-origin include omit";
        assert_eq!(
            [0, 1, 2, 3, 99].map(|n| nth_word(words, n)),
            ["same-origin", "include", "omit", "", ""]
        );
        assert_eq!(nth_word("", 0), "");
    }

    #[test]
    fn join_puts_the_separator_between() {
        assert_eq!(join(&[], ", "), "");
        assert_eq!(join(&["a"], ", "), "a");
        assert_eq!(join(&["a", "b", "c"], " "), "a b c");
    }

    #[test]
    fn cat_joins_pieces() {
        let n = decimal(7);
        assert_eq!(cat!("a", &n, "b"), "a7b");
    }
}
