use super::{has_control_chars, string_newtype, Reason};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The office-assigned username, as typed (kept for display). Equality and lookups use
/// `key()`, the lower-cased form, so usernames are case-insensitive everywhere.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub const MAX: usize = 64;
    pub fn parse(s: &str) -> Result<Self, Reason> {
        let ok_first = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        let ok_rest = s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if s.len() < 3 || s.len() > Self::MAX {
            return Err(format!("must be 3 to {} characters long", Self::MAX));
        }
        if !ok_first || !ok_rest {
            return Err("may hold only letters, digits, '.', '_' and '-', and must start with a letter or digit".into());
        }
        Ok(Username(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The case-folded form every comparison and storage key uses.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}
impl PartialEq for Username {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
string_newtype!(Username);
impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(s: &str) -> Result<Self, Reason> {
        let s = s.trim();
        if s.len() > 254 {
            return Err("must be at most 254 characters long".into());
        }
        let bad = || Err("is not a valid email address".to_string());
        // Printable ASCII only: mail to other addresses cannot be delivered by SES.
        if !s.is_ascii() {
            return bad();
        }
        let Some((local, domain)) = s.split_once('@').filter(|(_, d)| !d.contains('@')) else { return bad() };
        if local.is_empty() || local.len() > 64 || domain.len() < 3 || !domain.contains('.') {
            return bad();
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"'))
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return bad();
        }
        Ok(EmailAddress(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_newtype!(EmailAddress);

/// A given or family name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub const MAX: usize = 100;
    pub fn parse(s: &str) -> Result<Self, Reason> {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > Self::MAX {
            return Err(format!("must be 1 to {} characters long", Self::MAX));
        }
        if has_control_chars(s) {
            return Err("must not contain control characters".into());
        }
        Ok(PersonName(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_newtype!(PersonName);

/// The hospital's medical record number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mrn(String);

impl Mrn {
    pub fn parse(s: &str) -> Result<Self, Reason> {
        if s.is_empty() || s.len() > 20 || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err("must be 1 to 20 letters or digits".into());
        }
        Ok(Mrn(s.to_owned()))
    }
}
string_newtype!(Mrn);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_compare_case_insensitively() {
        let a = Username::parse("JSmith").unwrap();
        let b = Username::parse("jsmith").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.key(), "jsmith");
        assert_eq!(a.as_str(), "JSmith");
    }

    #[test]
    fn usernames_refuse_bad_shapes() {
        for bad in ["ab", "-abc", "a b c", "abc@d", &"a".repeat(65), "ümlaut"] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
        assert!(Username::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn emails() {
        assert!(EmailAddress::parse("parent@example.org").is_ok());
        for bad in ["no-at", "two@@example.com", "a@b@example.org", "a@b", "a@.com", "a b@c.org", "@example.org", "x@example..org"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_and_mrns() {
        assert!(PersonName::parse(" Ada ").is_ok_and(|n| n.as_str() == "Ada"));
        assert!(PersonName::parse("").is_err());
        assert!(PersonName::parse(&"x".repeat(101)).is_err());
        assert!(PersonName::parse("a\u{0}b").is_err());
        assert!(Mrn::parse("AB12345").is_ok());
        assert!(Mrn::parse("12-34").is_err());
    }
}
