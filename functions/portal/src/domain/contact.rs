//! How to reach a patient and the people around them: "Pt Demographics" (address, phones,
//! email) and "Additional information" (emergency contacts, preferred pharmacy).

use super::{has_control_chars, PersonName, Reason};
use serde::{Deserialize, Deserializer, Serialize};

/// One line of free text: trimmed, 1 to `MAX` characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Line<const MAX: usize>(String);

impl<const MAX: usize> Line<MAX> {
    pub fn parse(s: &str) -> Result<Self, Reason> {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > MAX {
            return Err(format!("must be 1 to {MAX} characters long"));
        }
        if has_control_chars(s) {
            return Err("must not contain control characters".into());
        }
        Ok(Line(s.to_owned()))
    }
}
impl<const MAX: usize> TryFrom<String> for Line<MAX> {
    type Error = Reason;
    fn try_from(s: String) -> Result<Self, Reason> {
        Self::parse(&s)
    }
}
impl<const MAX: usize> From<Line<MAX>> for String {
    fn from(l: Line<MAX>) -> String {
        l.0
    }
}

/// A list of `MIN` to `MAX` entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<T>", into = "Vec<T>")]
#[serde(bound(deserialize = "T: Deserialize<'de>", serialize = "T: Serialize + Clone"))]
pub struct Bounded<T, const MIN: usize, const MAX: usize>(Vec<T>);

impl<T, const MIN: usize, const MAX: usize> Bounded<T, MIN, MAX> {
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }
}
impl<T, const MIN: usize, const MAX: usize> TryFrom<Vec<T>> for Bounded<T, MIN, MAX> {
    type Error = Reason;
    fn try_from(v: Vec<T>) -> Result<Self, Reason> {
        if v.len() < MIN || v.len() > MAX {
            return Err(if MIN == 0 { format!("must hold at most {MAX} entries") } else { format!("must hold {MIN} to {MAX} entries") });
        }
        Ok(Bounded(v))
    }
}
impl<T, const MIN: usize, const MAX: usize> From<Bounded<T, MIN, MAX>> for Vec<T> {
    fn from(b: Bounded<T, MIN, MAX>) -> Vec<T> {
        b.0
    }
}
impl<T, const MIN: usize, const MAX: usize> Default for Bounded<T, MIN, MAX> {
    /// Only meaningful for lists that may be empty.
    fn default() -> Self {
        Bounded(Vec::new())
    }
}

/// A telephone number as people write it: 7 to 15 digits, with spaces, dots, dashes and
/// brackets between them and an optional leading `+`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(s: &str) -> Result<Self, Reason> {
        let s = s.trim();
        let body = s.strip_prefix('+').unwrap_or(s);
        let digits = body.chars().filter(char::is_ascii_digit).count();
        let shaped = body.chars().all(|c| c.is_ascii_digit() || " .-()".contains(c));
        if !shaped || !(7..=15).contains(&digits) {
            return Err("must be a phone number of 7 to 15 digits".into());
        }
        Ok(PhoneNumber(s.to_owned()))
    }
}
super::string_newtype!(PhoneNumber);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhoneKind {
    Home,
    Mobile,
    Work,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phone {
    pub kind: PhoneKind,
    pub number: PhoneNumber,
}

/// The US Postal Service's codes of the states, DC, the territories and military mail.
pub const US_STATES: [&str; 62] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS",
    "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "AS", "GU", "MP", "PR", "VI", "UM", "FM", "MH", "AA", "AE", "AP",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UsState(String);

impl UsState {
    pub fn parse(s: &str) -> Result<Self, Reason> {
        let code = s.trim().to_ascii_uppercase();
        if US_STATES.contains(&code.as_str()) {
            Ok(UsState(code))
        } else {
            Err("must be a two-letter US state code such as MA".into())
        }
    }
}
super::string_newtype!(UsState);

/// A ZIP code: five digits, or ZIP+4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PostalCode(String);

impl PostalCode {
    pub fn parse(s: &str) -> Result<Self, Reason> {
        let s = s.trim();
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        let ok = (b.len() == 5 && digits(0..5)) || (b.len() == 10 && digits(0..5) && b[5] == b'-' && digits(6..10));
        if ok {
            Ok(PostalCode(s.to_owned()))
        } else {
            Err("must be a ZIP code such as 02115 or 02115-1234".into())
        }
    }
}
super::string_newtype!(PostalCode);

/// An empty second line is no second line.
fn empty_is_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Line<100>>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(s) if !s.trim().is_empty() => Line::parse(&s).map(Some).map_err(serde::de::Error::custom),
        _ => Ok(None),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub line1: Line<100>,
    #[serde(default, deserialize_with = "empty_is_none", skip_serializing_if = "Option::is_none")]
    pub line2: Option<Line<100>>,
    pub city: Line<60>,
    pub state: UsState,
    pub postal_code: PostalCode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyContact {
    pub name: PersonName,
    pub relationship: Line<50>,
    pub phones: Bounded<Phone, 1, 3>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pharmacy {
    pub name: Line<100>,
    pub address: Line<200>,
    pub phone: PhoneNumber,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_states_and_zip_codes() {
        for good in ["617-555-0100", "+1 (617) 555 0100", "6175550100", "555.0100"] {
            assert!(PhoneNumber::parse(good).is_ok(), "{good}");
        }
        for bad in ["555-010", "call me", "+1 617 555 0100 0100 99", "617_555_0100", "++16175550100"] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(UsState::parse("ma").map(String::from), Ok("MA".to_owned()));
        assert!(UsState::parse("XX").is_err());
        assert!(PostalCode::parse("02115").is_ok() && PostalCode::parse("02115-1234").is_ok());
        for bad in ["2115", "02115-12", "ABCDE", "02115 1234"] {
            assert!(PostalCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lines_and_lists_hold_their_limits() {
        assert!(Line::<5>::parse(" abc ").is_ok_and(|l| String::from(l) == "abc"));
        assert!(Line::<5>::parse("abcdef").is_err() && Line::<5>::parse("  ").is_err() && Line::<5>::parse("a\nb").is_err());
        assert!(Bounded::<u8, 1, 2>::try_from(vec![]).is_err());
        assert!(Bounded::<u8, 1, 2>::try_from(vec![1, 2, 3]).is_err());
        assert!(Bounded::<u8, 0, 2>::try_from(vec![]).is_ok());
        let a: Address = serde_json::from_str(r#"{"line1":"1 Main St","line2":"","city":"Boston","state":"MA","postal_code":"02115"}"#).unwrap();
        assert_eq!(a.line2, None);
        assert!(!serde_json::to_string(&a).unwrap().contains("line2"));
    }
}
