//! What the clinical records the hospital sends are made of, once read: their ids, when
//! they happened, and what a lab value says.

use super::{string_newtype, Reason};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

/// The portal's id of a record: derived from its source identity under the server secret
/// (see `records`), so the same resource sent again is the same record, and the id says
/// nothing of the hospital's own ids. Written as a UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecordId(uuid::Uuid);

impl RecordId {
    pub fn from_digest(digest: &[u8; 32]) -> Self {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        RecordId(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }
    /// A record the portal itself makes (a visit the office books): random.
    pub fn new() -> Self {
        RecordId(uuid::Uuid::new_v4())
    }
    pub fn parse(s: &str) -> Result<Self, Reason> {
        uuid::Uuid::parse_str(s).ok().filter(|u| u.get_version_num() == 4 && s.len() == 36).map(RecordId).ok_or_else(|| "is not a record id".into())
    }
}
impl Default for RecordId {
    fn default() -> Self {
        RecordId::new()
    }
}
string_newtype!(RecordId);
impl std::fmt::Display for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A FHIR `dateTime` as sent (a year, a month, a day, or an instant with its offset), kept
/// as written for people to read, with the UTC form that orders it among others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct When(String);

impl When {
    pub fn parse(s: &str) -> Result<Self, Reason> {
        let ok = match s.len() {
            4 => s.bytes().all(|b| b.is_ascii_digit()),
            7 => Date::parse(&format!("{s}-01"), format_description!("[year]-[month]-[day]")).is_ok(),
            10 => Date::parse(s, format_description!("[year]-[month]-[day]")).is_ok(),
            _ => OffsetDateTime::parse(s, &Rfc3339).is_ok(),
        };
        if ok && s.len() <= 40 {
            Ok(When(s.to_owned()))
        } else {
            Err("is not a FHIR dateTime".into())
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Orders as time does: an instant in UTC to the second, a date as written (so a date
    /// sorts before the instants of its day).
    pub fn sort_key(&self) -> String {
        match OffsetDateTime::parse(&self.0, &Rfc3339) {
            Ok(t) => t.to_offset(UtcOffset::UTC).format(&Rfc3339).unwrap_or_else(|_| self.0.clone()),
            Err(_) => self.0.clone(),
        }
    }
    /// The instant, when it is one (to tell a newer version from an older).
    pub fn instant(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(&self.0, &Rfc3339).ok()
    }
}
string_newtype!(When);

/// What a lab value is, against its range: the flag a family sees beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flag {
    Normal,
    High,
    Low,
    CriticalHigh,
    CriticalLow,
    Abnormal,
}

impl Flag {
    /// From a `v3-ObservationInterpretation` code.
    pub fn of_code(code: &str) -> Option<Flag> {
        Some(match code {
            "N" => Flag::Normal,
            "H" | "HU" => Flag::High,
            "L" | "LU" => Flag::Low,
            "HH" => Flag::CriticalHigh,
            "LL" => Flag::CriticalLow,
            "A" | "AA" => Flag::Abnormal,
            _ => return None,
        })
    }
    /// From the value and its range, when the sender gave no interpretation.
    pub fn of_range(value: f64, low: Option<f64>, high: Option<f64>) -> Option<Flag> {
        match (low, high) {
            (None, None) => None,
            (_, Some(h)) if value > h => Some(Flag::High),
            (Some(l), _) if value < l => Some(Flag::Low),
            _ => Some(Flag::Normal),
        }
    }
    pub fn words(self) -> &'static str {
        match self {
            Flag::Normal => "Normal",
            Flag::High => "High",
            Flag::Low => "Low",
            Flag::CriticalHigh => "Critical high",
            Flag::CriticalLow => "Critical low",
            Flag::Abnormal => "Abnormal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fhir_date_times_order_as_time() {
        // As written, a sorts after b; in time it is an hour earlier.
        let a = When::parse("2024-03-02T01:00:00+05:00").unwrap();
        let b = When::parse("2024-03-01T21:00:00Z").unwrap();
        assert!(a.sort_key() < b.sort_key(), "{} {}", a.sort_key(), b.sort_key());
        assert_eq!(When::parse("2024-03").unwrap().sort_key(), "2024-03");
        assert!(When::parse("2024-13").is_err());
        assert!(When::parse("yesterday").is_err());
        assert!(When::parse("2024-02-30").is_err());
    }

    #[test]
    fn flags_from_codes_and_from_ranges() {
        assert_eq!(Flag::of_code("HH"), Some(Flag::CriticalHigh));
        assert_eq!(Flag::of_code("X"), None);
        assert_eq!(Flag::of_range(5.0, Some(1.0), Some(4.0)), Some(Flag::High));
        assert_eq!(Flag::of_range(0.5, Some(1.0), None), Some(Flag::Low));
        assert_eq!(Flag::of_range(2.0, Some(1.0), Some(4.0)), Some(Flag::Normal));
        assert_eq!(Flag::of_range(2.0, None, None), None);
    }

    #[test]
    fn record_ids_round_trip() {
        let id = RecordId::from_digest(&[7u8; 32]);
        assert_eq!(RecordId::parse(&id.to_string()).unwrap(), id);
    }
}
