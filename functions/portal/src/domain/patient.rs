use super::Reason;
use serde::{Deserialize, Serialize};
use time::{macros::format_description, Date, OffsetDateTime};

super::random_id!(
    /// A patient of the portal.
    PatientId,
    "is not a patient id"
);

/// A plain calendar date of birth: not in the future, not before 1900.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BirthDate(Date);

impl BirthDate {
    pub fn parse(s: &str) -> Result<Self, Reason> {
        // Exactly YYYY-MM-DD: the parser would also take a signed year ("+2019-04-01").
        let shaped = s.len() == 10 && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !shaped {
            return Err("must be a real date written YYYY-MM-DD".into());
        }
        let date = Date::parse(s, format_description!("[year]-[month]-[day]")).map_err(|_| "must be a real date written YYYY-MM-DD".to_string())?;
        if date > OffsetDateTime::now_utc().date() {
            return Err("must not be in the future".into());
        }
        if date.year() < 1900 {
            return Err("must not be before 1900".into());
        }
        Ok(BirthDate(date))
    }
}
impl BirthDate {
    /// Whole years of age on `day`. Someone born on 29 February comes of age on 1 March
    /// in a common year.
    pub fn age_on(&self, day: Date) -> i32 {
        let had_birthday = (day.month() as u8, day.day()) >= (self.0.month() as u8, self.0.day());
        day.year() - self.0.year() - if had_birthday { 0 } else { 1 }
    }
}

impl TryFrom<String> for BirthDate {
    type Error = Reason;
    fn try_from(s: String) -> Result<Self, Reason> {
        BirthDate::parse(&s)
    }
}
impl From<BirthDate> for String {
    fn from(d: BirthDate) -> String {
        let (y, m, day) = (d.0.year(), d.0.month() as u8, d.0.day());
        format!("{y:04}-{m:02}-{day:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birth_dates() {
        assert_eq!(String::from(BirthDate::parse("2019-04-01").unwrap()), "2019-04-01");
        for bad in ["2019-02-30", "not-a-date", "2999-01-01", "1899-12-31", "2019-4-1"] {
            assert!(BirthDate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ages_turn_on_the_birthday() {
        let born = BirthDate::parse("2008-06-15").unwrap();
        let day = |s| Date::parse(s, format_description!("[year]-[month]-[day]")).unwrap();
        assert_eq!(born.age_on(day("2026-06-14")), 17);
        assert_eq!(born.age_on(day("2026-06-15")), 18);
        assert_eq!(born.age_on(day("2008-06-15")), 0);
        let leap = BirthDate::parse("2008-02-29").unwrap();
        assert_eq!(leap.age_on(day("2026-02-28")), 17);
        assert_eq!(leap.age_on(day("2026-03-01")), 18);
    }

    #[test]
    fn patient_ids() {
        let id = PatientId::new();
        assert_eq!(PatientId::parse(&id.to_string()).unwrap(), id);
        assert!(PatientId::parse("not-a-uuid").is_err());
        assert!(PatientId::parse("00000000-0000-1000-8000-000000000000").is_err(), "v1 is not ours");
    }
}
