//! One visit as an iCalendar file (RFC 5545) for the family's calendar: where and when, and
//! with whom. Never its type, instructions or reason: a calendar is often shared or synced
//! to a work account.

use portal::domain::{Clinic, VisitStatus, When};
use portal::store::records::Visit;
use time::{OffsetDateTime, UtcOffset};

/// The calendar file of a visit; `patient_clinic` when the visit names no clinic.
pub fn event(v: &Visit, patient_clinic: &str, portal_url: &str, now: i64) -> String {
    let clinic = Clinic::parse(v.clinic.as_deref().unwrap_or(patient_clinic)).map(|c| c.name).unwrap_or("the clinic");
    let host = portal_url.split("://").nth(1).unwrap_or(portal_url).split(['/', ':']).next().unwrap_or("portal");
    let location = match &v.location {
        Some(l) => format!("{clinic}, {l}"),
        None => clinic.to_owned(),
    };
    let mut description = String::from("Details and instructions are in the patient portal.");
    if let Some(provider) = &v.provider {
        description = format!("With {provider}. {description}");
    }
    let status = if v.status == VisitStatus::Cancelled { "CANCELLED" } else { "CONFIRMED" };
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Pediatric Patient Portal//Appointments//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}@{}", v.id, host),
        format!("DTSTAMP:{}", utc(OffsetDateTime::from_unix_timestamp(now).unwrap_or(OffsetDateTime::UNIX_EPOCH))),
        format!("DTSTART:{}", utc_of(&v.start)),
        format!("DTEND:{}", utc_of(&v.end)),
        format!("SUMMARY:{}", text(&format!("Appointment at {clinic}"))),
        format!("LOCATION:{}", text(&location)),
        format!("DESCRIPTION:{}", text(&description)),
        format!("STATUS:{status}"),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    lines.iter().map(|l| fold(l)).collect::<Vec<_>>().concat()
}

fn utc(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", t.year(), t.month() as u8, t.day(), t.hour(), t.minute(), t.second())
}

/// Visits are filed with instants only (see `records::read::appointment`).
fn utc_of(w: &When) -> String {
    w.instant().map(utc).unwrap_or_default()
}

/// A TEXT value: backslash, semicolon, comma and line breaks escaped (RFC 5545 3.3.11).
fn text(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace('\n', "\\n")
}

/// A content line folded at 75 octets, without splitting a character, ended by CRLF.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal::domain::RecordId;

    #[test]
    fn an_event_in_utc_with_no_type_or_instructions() {
        let v = Visit {
            id: RecordId::new(),
            status: VisitStatus::Booked,
            start: When::parse("2026-12-03T09:30:00-05:00").unwrap(),
            end: When::parse("2026-12-03T10:00:00-05:00").unwrap(),
            clinic: None,
            provider: Some("Dr. Ana Ruiz, MD".into()),
            location: None,
            kind: Some("Diabetes follow-up".into()),
            instructions: Some("Fasting".into()),
            request_id: None,
            confidential: false,
        };
        let ics = event(&v, "pediatric-gi", "https://portal.example.org/", 0);
        assert!(ics.contains("DTSTART:20261203T143000Z\r\n"), "{ics}");
        assert!(ics.contains("LOCATION:Pediatric GI\r\n"));
        assert!(ics.contains("With Dr. Ana Ruiz\\, MD."));
        assert!(ics.contains(&format!("UID:{}@portal.example.org\r\n", v.id)));
        assert!(!ics.contains("Diabetes") && !ics.contains("Fasting"));
        assert!(ics.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(fold(&"é".repeat(50)).split("\r\n").next().unwrap().len(), 74);
    }
}
