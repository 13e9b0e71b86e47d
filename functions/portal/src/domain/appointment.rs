//! What appointments are made of: the visits the hospital's schedule holds, and the
//! requests families send the clinic office ("New Appointment") with the office's answer.

use super::{has_control_chars, ids, Reason};
use serde::{Deserialize, Serialize};

super::random_id!(
    /// An appointment request (and a refill request) of a family's.
    RequestId,
    "is not a request id"
);

/// Free text people write (a reason, a note): trimmed, 1 to `MAX` characters, line breaks
/// allowed and no other control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    pub fn parse(s: &str) -> Result<Self, Reason> {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > MAX {
            return Err(format!("must be 1 to {MAX} characters long"));
        }
        if has_control_chars(&s.replace(['\n', '\r', '\t'], " ")) {
            return Err("must not contain control characters".into());
        }
        Ok(Text(s.replace("\r\n", "\n")))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl<const MAX: usize> TryFrom<String> for Text<MAX> {
    type Error = Reason;
    fn try_from(s: String) -> Result<Self, Reason> {
        Self::parse(&s)
    }
}
impl<const MAX: usize> From<Text<MAX>> for String {
    fn from(t: Text<MAX>) -> String {
        t.0
    }
}

ids! {
    /// Where a visit stands in the hospital's schedule.
    pub enum VisitStatus {
        Booked = "booked",
        Arrived = "arrived",
        Fulfilled = "fulfilled",
        Cancelled = "cancelled",
        NoShow = "noshow",
    }
}

ids! {
    /// What a request asks for. `Cancel` is made only by asking to cancel a booked visit.
    pub enum RequestKind {
        NewProblem = "new-problem",
        FollowUp = "follow-up",
        Other = "other",
        Cancel = "cancel",
    }
}

ids! {
    /// Where a request stands: `Requested` until the office answers it (`Scheduled`,
    /// `Declined`, or `Confirmed` for a cancellation), or the family withdraws it (`Cancelled`).
    pub enum RequestStatus {
        Requested = "requested",
        Scheduled = "scheduled",
        Declined = "declined",
        Cancelled = "cancelled",
        Confirmed = "confirmed",
    }
}

ids! {
    pub enum Day {
        Mon = "mon",
        Tue = "tue",
        Wed = "wed",
        Thu = "thu",
        Fri = "fri",
        Sat = "sat",
        Sun = "sun",
    }
}

ids! {
    pub enum TimeOfDay {
        Morning = "morning",
        Afternoon = "afternoon",
    }
}

/// A set of 1 to all of `T`'s values, each at most once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<T>", into = "Vec<T>")]
#[serde(bound(deserialize = "T: Deserialize<'de> + PartialEq", serialize = "T: Serialize + Clone"))]
pub struct Choices<T>(Vec<T>);

impl<T: PartialEq> TryFrom<Vec<T>> for Choices<T> {
    type Error = Reason;
    fn try_from(v: Vec<T>) -> Result<Self, Reason> {
        if v.is_empty() {
            return Err("must name at least one".into());
        }
        if v.iter().enumerate().any(|(i, x)| v[..i].contains(x)) {
            return Err("must name each at most once".into());
        }
        Ok(Choices(v))
    }
}
impl<T> From<Choices<T>> for Vec<T> {
    fn from(c: Choices<T>) -> Vec<T> {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keeps_line_breaks_and_refuses_other_controls() {
        assert_eq!(Text::<10>::parse(" a\r\nb ").unwrap().as_str(), "a\nb");
        assert!(Text::<10>::parse("a\u{7}b").is_err());
        assert!(Text::<3>::parse("abcd").is_err());
        assert!(Text::<3>::parse("  ").is_err());
    }

    #[test]
    fn choices_are_sets() {
        assert!(Choices::try_from(vec![Day::Mon, Day::Tue]).is_ok());
        assert!(Choices::try_from(vec![Day::Mon, Day::Mon]).is_err());
        assert!(Choices::<Day>::try_from(vec![]).is_err());
        assert!(RequestId::parse(&RequestId::new().to_string()).is_ok());
        assert!(RequestId::parse("x").is_err());
    }
}
