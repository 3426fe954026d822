//! Option objects and arguments as the TypeScript wrapper hands them over, and strict reading
//! of them.
//!
//! The wasm never touches a caller's JS value: the wrapper reads it inside `try` (a throwing
//! getter or a revoked `Proxy` is caught there) and sends a JSON snapshot, with the values
//! JSON cannot hold tagged as `{"\u0000": "<kind>"}`. [`Input::from_json`] reads that snapshot;
//! every judgement (unknown option names, wrong types) is made here, natively tested, with
//! messages that name the option. Unknown names are refused, so a misspelt option fails
//! loudly instead of being ignored.

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{Error, ErrorCode, Result};
use crate::messages::Msg;

/// A JS value, reduced to the shapes options can take.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// `undefined` or `null`.
    Absent,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Input>),
    /// A plain object's own enumerable properties, in order.
    Object(Vec<(String, Input)>),
    /// Anything else (function, symbol, bigint, a value that could not be read, a too deeply
    /// nested value), by its type name.
    Other(&'static str),
}

/// How deep a snapshot may nest before the rest is [`Input::Other`] (the deepest real option,
/// `handoff.headers["X"]`, is at depth 2).
const MAX_DEPTH: u8 = 8;

impl Input {
    /// Reads the wrapper's JSON snapshot of a JS value. `null` is [`Input::Absent`] (the
    /// wrapper sends `undefined` as `null`); anything malformed is an [`Input::Other`].
    pub fn from_json(json: &str) -> Input {
        let mut p = Parser {
            s: json.as_bytes(),
            i: 0,
        };
        match p.value(0) {
            Some(v) if p.peek().is_none() => v,
            _ => Input::Other(UNREADABLE),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Input::Absent => "undefined",
            Input::Bool(_) => "boolean",
            Input::Number(_) => "number",
            Input::String(_) => "string",
            Input::Array(_) => "array",
            Input::Object(_) => "object",
            Input::Other(name) => name,
        }
    }

    /// Reads an options object whose names must all be in `allowed`; absent means empty.
    pub fn fields<'a>(
        &'a self,
        what: &str,
        allowed: &[&str],
        code: ErrorCode,
    ) -> Result<Fields<'a>> {
        let entries: &[(String, Input)] = match self {
            Input::Absent => &[],
            Input::Object(entries) => entries,
            other => return Err(wrong_type(what, "an object", other, code)),
        };
        for (name, _) in entries {
            if !allowed.contains(&name.as_str()) {
                // A different case (redirectURI) or a missing or extra letter at the end (scope).
                let options = crate::text::join(allowed, ", ");
                return Err(Error::new(
                    code,
                    match allowed.iter().find(|a| {
                        a.eq_ignore_ascii_case(name)
                            || (name.len() > 3
                                && (a.starts_with(name.as_str()) || name.starts_with(**a)))
                    }) {
                        Some(a) => msg!(Msg::UnknownOptionHint, what, name.as_str(), *a, options),
                        None => msg!(Msg::UnknownOption, what, name.as_str(), options),
                    },
                ));
            }
        }
        Ok(Fields { entries, code })
    }
}

const UNREADABLE: &str = "a value that could not be read (a getter or Proxy trap threw)";

fn wrong_type(what: &str, expected: &str, got: &Input, code: ErrorCode) -> Error {
    Error::new(code, msg!(Msg::WrongType, what, expected, got.type_name()))
}

/// The fields of an options object, read in place.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    entries: &'a [(String, Input)],
    code: ErrorCode,
}

impl<'a> Fields<'a> {
    /// The error code used for this object's problems.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// A field (`Absent` when missing).
    pub fn get(&self, name: &str) -> &'a Input {
        for (n, v) in self.entries {
            if n == name {
                return v;
            }
        }
        &Input::Absent
    }

    /// An optional string.
    pub fn string(&self, name: &str, what: &str) -> Result<Option<&'a str>> {
        match self.get(name) {
            Input::Absent => Ok(None),
            Input::String(s) => Ok(Some(s)),
            other => Err(wrong_type(what, "a string", other, self.code)),
        }
    }

    /// An optional number.
    pub fn number(&self, name: &str, what: &str) -> Result<Option<f64>> {
        match self.get(name) {
            Input::Absent => Ok(None),
            Input::Number(n) => Ok(Some(*n)),
            other => Err(wrong_type(what, "a number", other, self.code)),
        }
    }

    /// An optional whole number from `min` to `max`, `default` when absent: the one reader of
    /// every numeric option (a number of another type is `wrong_type`, one out of range or not
    /// whole is `out_of_range`).
    pub fn whole(
        &self,
        name: &str,
        what: &str,
        (min, max, default): (u32, u32, u32),
        out_of_range: impl FnOnce() -> Error,
    ) -> Result<u32> {
        let Some(v) = self.number(name, what)? else {
            return Ok(default);
        };
        // `v as u32` saturates (NaN → 0), so the round trip holds only for whole numbers in range.
        let n = v as u32;
        if f64::from(n) == v && n >= min && n <= max {
            Ok(n)
        } else {
            Err(out_of_range())
        }
    }

    /// An optional array of strings.
    pub fn strings(&self, name: &str, what: &str) -> Result<Option<Vec<&'a str>>> {
        let items = match self.get(name) {
            Input::Absent => return Ok(None),
            Input::Array(items) => items,
            other => return Err(wrong_type(what, "an array of strings", other, self.code)),
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item {
                Input::String(s) => out.push(s.as_str()),
                other => {
                    let what = cat!(what, "[", &crate::text::decimal(i as u64), "]");
                    return Err(wrong_type(&what, "a string", other, self.code));
                }
            }
        }
        Ok(Some(out))
    }

    /// An optional object whose values are all strings (free-form names), in order.
    pub fn string_map(&self, name: &str, what: &str) -> Result<Option<Vec<(&'a str, &'a str)>>> {
        let entries = match self.get(name) {
            Input::Absent => return Ok(None),
            Input::Object(entries) => entries,
            other => return Err(wrong_type(what, "an object of strings", other, self.code)),
        };
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match v {
                Input::String(s) => out.push((k.as_str(), s.as_str())),
                other => {
                    let what = cat!(what, "[\"", k, "\"]");
                    return Err(wrong_type(&what, "a string", other, self.code));
                }
            }
        }
        Ok(Some(out))
    }
}

/// A JSON reader (RFC 8259) for the wrapper's snapshots, which `JSON.stringify` writes: no
/// whitespace between tokens, no trailing commas, no comments; depth-bounded, never recursing
/// past [`MAX_DEPTH`]. Anything else is unreadable.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let found = self.peek() == Some(b);
        self.i += usize::from(found);
        found
    }

    fn literal(&mut self, word: &[u8], v: Input) -> Option<Input> {
        let end = self.i + word.len();
        if self.s.get(self.i..end) != Some(word) {
            return None;
        }
        self.i = end;
        Some(v)
    }

    fn value(&mut self, depth: u8) -> Option<Input> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'n' => self.literal(b"null", Input::Absent),
            b't' => self.literal(b"true", Input::Bool(true)),
            b'f' => self.literal(b"false", Input::Bool(false)),
            b'"' => self.string().map(Input::String),
            open @ (b'[' | b'{') => {
                // One loop for both: an object's members carry a key, an array's do not.
                self.i += 1;
                let object = open == b'{';
                let close = open + 2; // `]` and `}` follow `[` and `{` by two in ASCII
                let mut members = Vec::new();
                let mut items = Vec::new();
                if !self.eat(close) {
                    loop {
                        if object {
                            let key = self.string()?;
                            if !self.eat(b':') {
                                return None;
                            }
                            members.push((key, self.value(depth + 1)?));
                        } else {
                            items.push(self.value(depth + 1)?);
                        }
                        if self.eat(close) {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Some(if object {
                    tagged(members)
                } else {
                    Input::Array(items)
                })
            }
            _ => self.number().map(Input::Number),
        }
    }

    /// A JSON string; `\uXXXX` escapes decoded, a surrogate as U+FFFD.
    fn string(&mut self) -> Option<String> {
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while !matches!(self.s.get(self.i), Some(b'"' | b'\\') | None) {
                self.i += 1;
            }
            out.push_str(core::str::from_utf8(self.s.get(start..self.i)?).ok()?);
            let b = *self.s.get(self.i)?;
            self.i += 1;
            if b == b'"' {
                return Some(out);
            }
            let e = *self.s.get(self.i)?;
            self.i += 1;
            out.push(match e {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                // JSON.stringify escapes only control characters and lone surrogates this way
                // (a surrogate pair is written as the character itself), so a surrogate here is
                // lone: U+FFFD, as TextEncoder would have made of it.
                b'u' => char::from_u32(self.hex4()?).unwrap_or('\u{FFFD}'),
                _ => return None,
            });
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.s.get(self.i..self.i + 4)?;
        self.i += 4;
        let mut n = 0;
        for &d in digits {
            n = n * 16 + (d as char).to_digit(16)?;
        }
        Some(n)
    }

    /// A JSON number: an integer exactly (to 2^53), anything with a fraction or an exponent as
    /// NaN — no option takes anything but a whole number, and NaN is refused by every range.
    fn number(&mut self) -> Option<f64> {
        let start = self.i;
        self.eat(b'-');
        let mut value = 0.0;
        let mut digits = 0;
        let mut whole = true;
        while let Some(b) = self.peek() {
            match b {
                b'0'..=b'9' => {
                    value = value * 10.0 + f64::from(b - b'0');
                    digits += 1;
                }
                b'.' | b'e' | b'E' | b'+' | b'-' if digits > 0 => whole = false,
                _ => break,
            }
            self.i += 1;
        }
        if digits == 0 {
            return None;
        }
        Some(match (whole, self.s.get(start) == Some(&b'-')) {
            (false, _) => f64::NAN,
            (true, true) => -value,
            (true, false) => value,
        })
    }
}

/// An object, or the wrapper's tag for a value JSON cannot hold.
fn tagged(entries: Vec<(String, Input)>) -> Input {
    match entries.as_slice() {
        [(key, Input::String(kind))] if key == "\0" => Input::Other(match kind.as_str() {
            "function" => "function",
            "symbol" => "symbol",
            "bigint" => "bigint",
            "number" => return Input::Number(f64::NAN),
            "deep" => "a too deeply nested value",
            "instance" => {
                "an instance of a class (a Map, Headers, URLSearchParams…); give a plain object"
            }
            _ => UNREADABLE,
        }),
        _ => Input::Object(entries),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    /// `{ "a": …, … }` built from pairs, for tests.
    pub(crate) fn object<const N: usize>(pairs: [(&str, Input); N]) -> Input {
        Input::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    pub(crate) fn s(v: &str) -> Input {
        Input::String(v.to_owned())
    }

    #[test]
    fn unknown_names_are_refused_with_a_hint() {
        let names = ["clientId", "redirectUri"];
        let e = object([("redirectURI", s("x"))])
            .fields("o", &names, ErrorCode::InvalidConfig)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
        assert!(
            e.message()
                .contains("unknown option \"redirectURI\". Did you mean \"redirectUri\"?"),
            "{}",
            e.message()
        );
        let e = object([("ttl", s("x"))])
            .fields("o", &names, ErrorCode::InvalidParameter)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidParameter);
        assert!(!e.message().contains("Did you mean"));
        // A letter missing or extra at the end.
        let names = ["clientId", "scopes"];
        for typo in ["scope", "clientIds"] {
            let e = object([(typo, s("x"))])
                .fields("o", &names, ErrorCode::InvalidConfig)
                .unwrap_err();
            assert!(e.message().contains("Did you mean"), "{}", e.message());
        }
    }

    #[test]
    fn absent_is_an_empty_object_and_other_types_are_refused() {
        assert!(Input::Absent
            .fields("o", &[], ErrorCode::InvalidConfig)
            .is_ok());
        for (input, name) in [
            (s("x"), "string"),
            (Input::Array(vec![]), "array"),
            (Input::Other("function"), "function"),
        ] {
            let e = input
                .fields("o", &[], ErrorCode::InvalidConfig)
                .unwrap_err();
            assert_eq!(e.message(), format!("o must be an object, not {name}."));
        }
    }

    #[test]
    fn typed_getters_name_the_field_in_errors() {
        let input = object([
            ("n", s("1")),
            ("list", Input::Array(vec![s("a"), Input::Number(1.0)])),
            ("map", object([("k", Input::Bool(true))])),
        ]);
        let f = input
            .fields("o", &["n", "list", "map"], ErrorCode::InvalidConfig)
            .unwrap();
        assert_eq!(
            f.number("n", "o.n").unwrap_err().message(),
            "o.n must be a number, not string."
        );
        assert_eq!(
            f.strings("list", "o.list").unwrap_err().message(),
            "o.list[1] must be a string, not number."
        );
        assert_eq!(
            f.string_map("map", "o.map").unwrap_err().message(),
            "o.map[\"k\"] must be a string, not boolean."
        );
        assert_eq!(f.string("missing", "o.missing").unwrap(), None);
    }

    #[test]
    fn json_snapshots_read_as_the_values_the_wrapper_saw() {
        let v = Input::from_json(
            r#"{"a":"x\"\\\/\b\f\n\r\t\u00e9😀\u001f","n":[600,-3],"t":true,"f":false,"z":null,"o":{}}"#,
        );
        assert_eq!(
            v,
            object([
                ("a", s("x\"\\/\u{8}\u{c}\n\r\té😀\u{1f}")),
                (
                    "n",
                    Input::Array(vec![Input::Number(600.0), Input::Number(-3.0)])
                ),
                ("t", Input::Bool(true)),
                ("f", Input::Bool(false)),
                ("z", Input::Absent),
                ("o", Input::Object(vec![])),
            ])
        );
        assert_eq!(Input::from_json("null"), Input::Absent);
        for not_whole in ["-1.5", "2e3", "0.25E-1", "1.", "1e"] {
            assert!(
                matches!(Input::from_json(not_whole), Input::Number(n) if n.is_nan()),
                "{not_whole}"
            );
        }
        assert_eq!(
            Input::from_json(r#""\ud800x""#),
            s("\u{FFFD}x"),
            "a lone surrogate"
        );
    }

    #[test]
    fn the_wrappers_tags_name_what_json_cannot_hold() {
        for (tag, name) in [
            ("function", "function"),
            ("symbol", "symbol"),
            ("bigint", "bigint"),
            ("deep", "a too deeply nested value"),
            ("unreadable", UNREADABLE),
        ] {
            let json = std::format!(r#"{{"\u0000":"{tag}"}}"#);
            assert_eq!(Input::from_json(&json), Input::Other(name));
        }
        assert!(
            matches!(Input::from_json(r#"{"\u0000":"number"}"#), Input::Number(n) if n.is_nan())
        );
        // An object that merely has the tag among other keys stays an object.
        assert!(matches!(
            Input::from_json(r#"{"\u0000":"symbol","a":1}"#),
            Input::Object(_)
        ));
    }

    #[test]
    fn malformed_or_too_deep_json_is_unreadable_never_a_panic() {
        let deep = "[".repeat(10) + &"]".repeat(10);
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\"}",
            "{\"a\":1,}",
            "tru",
            "-",
            "+1",
            ".5",
            " 1",
            "[1, 2]",
            "{\"a\": 1}",
            "\"\\x\"",
            "\"\\u12\"",
            "\"abc",
            "[1] [2]",
            "{\"a\" 1}",
            "\u{0}",
            &deep,
        ] {
            assert_eq!(Input::from_json(bad), Input::Other(UNREADABLE), "{bad:?}");
        }
        let ok = "[".repeat(8) + &"]".repeat(8);
        assert!(matches!(Input::from_json(&ok), Input::Array(_)));
    }
}
