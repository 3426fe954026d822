//! A strict reader of one JSON object (RFC 8259) whose members the server rules look at: the
//! handoff body and the token endpoint's answer.
//!
//! Invariant: the input is one object and nothing else (whitespace around it allowed); every
//! member name is read once — a repeated name voids the whole object (RFC 8259 §4 leaves
//! duplicates to the reader: a reader that kept the first or the last would let a body mean
//! two things); strings are unescaped exactly (`\uXXXX` surrogate pairs joined, a lone
//! surrogate refused); nested arrays and objects are checked and kept as text, iteratively, so no
//! input exhausts the stack. Sizes are the callers' to bound before reading.

use alloc::string::String;
use alloc::vec::Vec;

/// A member's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A string, unescaped.
    Str(String),
    /// A number, as written (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
    Num(String),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An array or an object, as written (checked, not read).
    Nested(String),
}

/// The members of one JSON object, in order; `None` for anything else, or an object that names
/// a member twice.
pub fn object(text: &str) -> Option<Vec<(String, Value)>> {
    let b = text.as_bytes();
    let mut i = 0;
    skip_ws(b, &mut i);
    expect(b, &mut i, b'{')?;
    let mut members: Vec<(String, Value)> = Vec::new();
    skip_ws(b, &mut i);
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            skip_ws(b, &mut i);
            let name = string(b, &mut i)?;
            if members.iter().any(|(n, _)| *n == name) {
                return None;
            }
            skip_ws(b, &mut i);
            expect(b, &mut i, b':')?;
            skip_ws(b, &mut i);
            let value = value(b, &mut i)?;
            members.push((name, value));
            skip_ws(b, &mut i);
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    skip_ws(b, &mut i);
    (i == b.len()).then_some(members)
}

fn skip_ws(b: &[u8], i: &mut usize) {
    while matches!(b.get(*i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        *i += 1;
    }
}

fn expect(b: &[u8], i: &mut usize, c: u8) -> Option<()> {
    (b.get(*i) == Some(&c)).then(|| *i += 1)
}

fn value(b: &[u8], i: &mut usize) -> Option<Value> {
    match b.get(*i)? {
        b'"' => string(b, i).map(Value::Str),
        b't' => literal(b, i, "true").map(|()| Value::Bool(true)),
        b'f' => literal(b, i, "false").map(|()| Value::Bool(false)),
        b'n' => literal(b, i, "null").map(|()| Value::Null),
        b'{' | b'[' => {
            let start = *i;
            nested(b, i)?;
            let text = core::str::from_utf8(b.get(start..*i)?).ok()?;
            Some(Value::Nested(text.into()))
        }
        _ => {
            let start = *i;
            number(b, i)?;
            let text = core::str::from_utf8(b.get(start..*i)?).ok()?;
            Some(Value::Num(text.into()))
        }
    }
}

fn literal(b: &[u8], i: &mut usize, word: &str) -> Option<()> {
    let end = *i + word.len();
    (b.get(*i..end)? == word.as_bytes()).then(|| *i = end)
}

/// RFC 8259 §6: a number ([`json_number`]).
fn number(b: &[u8], i: &mut usize) -> Option<()> {
    json_number(b, i).then_some(())
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` (RFC 8259 §6; moved here from the browser
/// core, which reads no JSON: its `appState` is parsed by the wrapper).
fn json_number(b: &[u8], i: &mut usize) -> bool {
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let digits = |i: &mut usize| {
        let start = *i;
        while at(*i).is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if at(*i) == b'-' {
        *i += 1;
    }
    // `0`, or digits not starting with `0`.
    let lead = at(*i);
    let start = *i;
    if !digits(i) || (lead == b'0' && *i > start + 1) {
        return false;
    }
    if at(*i) == b'.' {
        *i += 1;
        if !digits(i) {
            return false;
        }
    }
    // `e` or `E` (they differ by the ASCII case bit).
    if at(*i) | 0x20 == b'e' {
        *i += 1;
        if matches!(at(*i), b'+' | b'-') {
            *i += 1;
        }
        if !digits(i) {
            return false;
        }
    }
    true
}

/// A string at `b[*i]` (the opening quote), unescaped.
fn string(b: &[u8], i: &mut usize) -> Option<String> {
    expect(b, i, b'"')?;
    let mut out: Vec<u8> = Vec::new();
    loop {
        match *b.get(*i)? {
            b'"' => {
                *i += 1;
                return String::from_utf8(out).ok();
            }
            b'\\' => {
                *i += 1;
                let c = *b.get(*i)?;
                *i += 1;
                let plain = match c {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 0x08,
                    b'f' => 0x0C,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'u' => {
                        let mut code = hex4(b, i)?;
                        if (0xD800..0xDC00).contains(&code) {
                            // A high surrogate must be followed by an escaped low one.
                            expect(b, i, b'\\')?;
                            expect(b, i, b'u')?;
                            let low = hex4(b, i)?;
                            if !(0xDC00..0xE000).contains(&low) {
                                return None;
                            }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                        }
                        let ch = char::from_u32(code)?;
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        continue;
                    }
                    _ => return None,
                };
                out.push(plain);
            }
            c if c < 0x20 => return None,
            c => {
                out.push(c);
                *i += 1;
            }
        }
    }
}

fn hex4(b: &[u8], i: &mut usize) -> Option<u32> {
    let digits = core::str::from_utf8(b.get(*i..*i + 4)?).ok()?;
    if !digits.bytes().all(|d| d.is_ascii_hexdigit()) {
        return None;
    }
    *i += 4;
    u32::from_str_radix(digits, 16).ok()
}

/// An array or object at `b[*i]`, checked to its end (a stack of open brackets, not recursion).
fn nested(b: &[u8], i: &mut usize) -> Option<()> {
    let mut open: Vec<u8> = Vec::new();
    loop {
        skip_ws(b, i);
        match *b.get(*i)? {
            c @ (b'{' | b'[') => {
                *i += 1;
                skip_ws(b, i);
                // `]` and `}` follow `[` and `{` by two in ASCII.
                if b.get(*i) == Some(&(c + 2)) {
                    *i += 1;
                } else {
                    open.push(c);
                    if c == b'{' {
                        string(b, i)?;
                        skip_ws(b, i);
                        expect(b, i, b':')?;
                    }
                    continue;
                }
            }
            _ => {
                value(b, i)?;
            }
        }
        // After a value: close brackets, or a comma and the next member.
        loop {
            let Some(&c) = open.last() else {
                return Some(());
            };
            skip_ws(b, i);
            match *b.get(*i)? {
                b',' => {
                    *i += 1;
                    if c == b'{' {
                        skip_ws(b, i);
                        string(b, i)?;
                        skip_ws(b, i);
                        expect(b, i, b':')?;
                    }
                    break;
                }
                x if x == c + 2 => {
                    *i += 1;
                    open.pop();
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    #[test]
    fn rfc8259_reads_one_object_with_every_kind_of_member() {
        let m = object(
            r#" { "a" : "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00" , "n": -1.5e+3, "t": true, "f": false, "z": null, "o": {"k": [1, {"j": []}, "s"]}, "e": {} } "#,
        )
        .unwrap();
        assert_eq!(m[0], ("a".into(), s("x\"\\/\u{8}\u{c}\n\r\té😀")));
        assert_eq!(m[1].1, Value::Num("-1.5e+3".into()));
        assert_eq!(m[2].1, Value::Bool(true));
        assert_eq!(m[3].1, Value::Bool(false));
        assert_eq!(m[4].1, Value::Null);
        assert_eq!(
            m[5].1,
            Value::Nested(r#"{"k": [1, {"j": []}, "s"]}"#.into())
        );
        assert_eq!(m[6].1, Value::Nested("{}".into()));
        assert_eq!(object("{}").unwrap(), vec![]);
    }

    #[test]
    fn rfc8259_s4_a_name_given_twice_voids_the_object() {
        assert!(object(r#"{"a":"1","a":"2"}"#).is_none());
        // Also when spelled with an escape.
        assert!(object(r#"{"a":"1","\u0061":"2"}"#).is_none());
        // Nested objects are not read: their names are theirs.
        assert!(object(r#"{"a":{"b":1,"b":2}}"#).is_some());
    }

    #[test]
    fn anything_but_exactly_one_object_is_refused() {
        for bad in [
            "",
            "[]",
            "\"s\"",
            "{",
            "{}{}",
            "{} x",
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":-}"#,
            r#"{"a":tru}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\udc00"}"#,
            r#"{"a":"\ud800\u0041"}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a":[1,]}"#,
            r#"{"a":[1 2]}"#,
            r#"{"a":{"b"}}"#,
            r#"{"a":[}"#,
            r#"{"a":"unterminated}"#,
        ] {
            assert!(object(bad).is_none(), "{bad:?}");
        }
    }

    /// The number cases of the browser core's former `text::is_json` test, where the grammar
    /// now lives.
    #[test]
    fn rfc8259_s6_numbers() {
        for good in ["0", "-0", "12", "-1.5e+3", "1E9", "0.25"] {
            let m = object(&format!("{{\"n\":{good}}}")).unwrap();
            assert_eq!(m[0].1, Value::Num(good.into()), "{good}");
        }
        for bad in ["01", "1.", ".5", "1e", "+1", "-", "NaN", "Infinity"] {
            assert!(object(&format!("{{\"n\":{bad}}}")).is_none(), "{bad}");
        }
    }

    #[test]
    fn deep_nesting_cannot_exhaust_the_stack() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200_000), "]".repeat(200_000));
        assert!(object(&deep).is_some());
        let open = format!("{{\"a\":{}}}", "[".repeat(200_000));
        assert!(object(&open).is_none());
    }
}
