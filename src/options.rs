//! Option objects and arguments as the wrapper hands them over.
//!
//! Invariant: the wasm never touches a caller's JS value. The wrapper reads options (own
//! properties only, inside `try`) and checks their names and types against the tables of
//! [`crate::boundary`] — unknown names, wrong types and values JSON cannot hold are refused
//! there, with the messages of [`crate::messages`] — and hands the core what is left as one
//! `application/x-www-form-urlencoded` text, the codec the callback's query needs anyway: each
//! option `name=value` in the table's order, a list as its name repeated, a map as its name
//! repeated with a key and a value in turn, a number as its decimal text, an object's presence
//! as `name.=` and its options as `name.option=value`. The core reads it here and judges the
//! values (URLs, scopes, ranges): every rule lives in the core.

use alloc::string::String;
use alloc::vec::Vec;

use crate::form;
use crate::text::parse_decimal;

/// The options the wrapper wrote, in order.
#[derive(Debug, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    /// Reads the wrapper's form text (anything else reads as options that break a rule).
    pub fn parse(text: &str) -> Form {
        Form(form::pairs(text))
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        for (n, v) in &self.0 {
            if *n.as_str() == *name {
                return Some(v);
            }
        }
        None
    }

    /// Whether the object was given: `dotted` is its name and a dot (the form says `name.=`).
    pub fn has_object(&self, dotted: &str) -> bool {
        self.get(dotted).is_some()
    }

    /// Every name and value, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Every value of `name`, in order (a list).
    pub fn all(&self, name: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for (n, v) in &self.0 {
            if n == name {
                out.push(v.as_str());
            }
        }
        out
    }

    /// The key and value pairs of the map `name`, in order, as copies (what both readers keep).
    pub fn map(&self, name: &str) -> Vec<(String, String)> {
        // Pairs of consecutive values, by hand: `chunks(2)` linked a division and its panic.
        // A key is pushed with an empty value that the next value is appended to (an odd count:
        // the last key keeps it empty).
        let mut out: Vec<(String, String)> = Vec::new();
        let mut value_next = false;
        for (n, v) in &self.0 {
            if *n.as_str() != *name {
                continue;
            }
            if value_next {
                if let Some(last) = out.last_mut() {
                    last.1.push_str(v);
                }
            } else {
                out.push((v.clone(), String::new()));
            }
            value_next = !value_next;
        }
        out
    }

    /// The whole number `name` from `min` to `max`, `default` when absent: the one reader of
    /// every numeric option; `None` for anything but a whole number in range (the caller names
    /// its rule).
    #[inline(always)] // 41 B gzip less in the shipped wasm, measured
    pub fn whole(&self, name: &str, (min, max, default): (u32, u32, u32)) -> Option<u32> {
        let Some(text) = self.get(name) else {
            return Some(default);
        };
        match parse_decimal(text) {
            Some(n) if n >= u64::from(min) && n <= u64::from(max) => Some(n as u32),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::test_prelude::*;

    #[test]
    fn the_wrappers_form_reads_back() {
        let f = Form::parse(
            "clientId=c%26%3D&scopes=a%3Ab&scopes=c%3Ad&handoff.=&handoff.headers=X-A&handoff.headers=1%202&handoff.headers=X-B&handoff.headers=&n=600",
        );
        assert_eq!(f.get("clientId"), Some("c&="));
        assert_eq!(f.all("scopes"), ["a:b", "c:d"]);
        assert!(f.has_object("handoff.") && !f.has_object("environment."));
        let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
            p.iter().map(|&(k, v)| (k.into(), v.into())).collect()
        };
        assert_eq!(
            f.map("handoff.headers"),
            pairs(&[("X-A", "1 2"), ("X-B", "")])
        );
        // An odd count (the wrapper never sends one): the last name with an empty value.
        let odd = Form::parse("h=X-A&h=1&h=X-C");
        assert_eq!(odd.map("h"), pairs(&[("X-A", "1"), ("X-C", "")]));
        assert!(odd.map("none").is_empty());
        assert_eq!(f.whole("n", (1, 1000, 5)), Some(600));
        assert_eq!(f.whole("absent", (1, 1000, 5)), Some(5));
        for bad in [
            "0", "1001", "-1", "1.5", "NaN", "Infinity", "1e+21", "", " 1",
        ] {
            let f = Form::parse(&format!("n={}", bad.replace('+', "%2B")));
            assert_eq!(f.whole("n", (1, 1000, 5)), None, "{bad}");
        }
    }
}
