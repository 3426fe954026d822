//! Option objects as JavaScript hands them over, and strict reading of them.
//!
//! The browser edge turns any JS value into an [`Input`] without judging it; every judgement
//! (unknown option names, wrong types) is made here, natively tested, with messages that name
//! the option. This replaces a serde deserializer: it is smaller in wasm, and it sees every key
//! of an object, so a misspelt option is refused rather than ignored.

use crate::error::{Error, ErrorCode, Result};

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
    /// Anything else (function, symbol, bigint, a too deeply nested value), by its type name.
    Other(&'static str),
}

impl Input {
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
    pub fn into_fields(self, what: &str, allowed: &[&str], code: ErrorCode) -> Result<Fields> {
        let entries = match self {
            Input::Absent => Vec::new(),
            Input::Object(entries) => entries,
            other => return Err(wrong_type(what, "an object", &other, code)),
        };
        for (name, _) in &entries {
            if !allowed.contains(&name.as_str()) {
                let hint = allowed
                    .iter()
                    .find(|a| a.eq_ignore_ascii_case(name))
                    .map(|a| format!(" Did you mean \"{a}\"?"))
                    .unwrap_or_default();
                return Err(Error::new(
                    code,
                    format!(
                        "{what}: unknown option \"{name}\".{hint} The options are {}.",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(Fields { entries, code })
    }
}

fn wrong_type(what: &str, expected: &str, got: &Input, code: ErrorCode) -> Error {
    Error::new(
        code,
        format!("{what} must be {expected}, not {}.", got.type_name()),
    )
}

/// The fields of an options object, taken out one by one.
#[derive(Debug)]
pub struct Fields {
    entries: Vec<(String, Input)>,
    code: ErrorCode,
}

impl Fields {
    /// The error code used for this object's problems.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// Removes and returns a field (`Absent` when missing).
    pub fn take(&mut self, name: &str) -> Input {
        match self.entries.iter().position(|(n, _)| n == name) {
            Some(i) => self.entries.swap_remove(i).1,
            None => Input::Absent,
        }
    }

    /// An optional string.
    pub fn string(&mut self, name: &str, what: &str) -> Result<Option<String>> {
        match self.take(name) {
            Input::Absent => Ok(None),
            Input::String(s) => Ok(Some(s)),
            other => Err(wrong_type(what, "a string", &other, self.code)),
        }
    }

    /// An optional number.
    pub fn number(&mut self, name: &str, what: &str) -> Result<Option<f64>> {
        match self.take(name) {
            Input::Absent => Ok(None),
            Input::Number(n) => Ok(Some(n)),
            other => Err(wrong_type(what, "a number", &other, self.code)),
        }
    }

    /// An optional array of strings.
    pub fn strings(&mut self, name: &str, what: &str) -> Result<Option<Vec<String>>> {
        match self.take(name) {
            Input::Absent => Ok(None),
            Input::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Input::String(s) => Ok(s),
                    other => Err(wrong_type(
                        &format!("{what}[{i}]"),
                        "a string",
                        &other,
                        self.code,
                    )),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            other => Err(wrong_type(what, "an array of strings", &other, self.code)),
        }
    }

    /// An optional object whose values are all strings (free-form names), in order.
    pub fn string_map(&mut self, name: &str, what: &str) -> Result<Option<Vec<(String, String)>>> {
        match self.take(name) {
            Input::Absent => Ok(None),
            Input::Object(entries) => entries
                .into_iter()
                .map(|(k, v)| match v {
                    Input::String(s) => Ok((k, s)),
                    other => Err(wrong_type(
                        &format!("{what}[\"{k}\"]"),
                        "a string",
                        &other,
                        self.code,
                    )),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            other => Err(wrong_type(what, "an object of strings", &other, self.code)),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

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
            .into_fields("o", &names, ErrorCode::InvalidConfig)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
        assert!(
            e.message()
                .contains("unknown option \"redirectURI\". Did you mean \"redirectUri\"?"),
            "{}",
            e.message()
        );
        let e = object([("ttl", s("x"))])
            .into_fields("o", &names, ErrorCode::InvalidParameter)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidParameter);
        assert!(!e.message().contains("Did you mean"));
    }

    #[test]
    fn absent_is_an_empty_object_and_other_types_are_refused() {
        assert!(Input::Absent
            .into_fields("o", &[], ErrorCode::InvalidConfig)
            .is_ok());
        for (input, name) in [
            (s("x"), "string"),
            (Input::Array(vec![]), "array"),
            (Input::Other("function"), "function"),
        ] {
            let e = input
                .into_fields("o", &[], ErrorCode::InvalidConfig)
                .unwrap_err();
            assert_eq!(e.message(), format!("o must be an object, not {name}."));
        }
    }

    #[test]
    fn typed_getters_name_the_field_in_errors() {
        let mut f = object([
            ("n", s("1")),
            ("list", Input::Array(vec![s("a"), Input::Number(1.0)])),
            ("map", object([("k", Input::Bool(true))])),
        ])
        .into_fields("o", &["n", "list", "map"], ErrorCode::InvalidConfig)
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
}
