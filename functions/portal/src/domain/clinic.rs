use serde::Serialize;

/// The 18 participating clinics, named exactly as the hospital's FAQ names them.
pub const CLINICS: [Clinic; 18] = [
    Clinic::new("pediatric-cardiology", "Pediatric Cardiology"),
    Clinic::new("pediatric-endocrine", "Pediatric Endocrine"),
    Clinic::new("pediatric-ent-audiology-slp", "Pediatric ENT, Audiology, SLP"),
    Clinic::new("pediatric-genetics-metabolism", "Pediatric Genetics Metabolism"),
    Clinic::new("pediatric-gi", "Pediatric GI"),
    Clinic::new("pediatric-infectious-disease", "Pediatric Infectious Disease"),
    Clinic::new("pediatric-nephrology", "Pediatric Nephrology"),
    Clinic::new("pediatric-neurology", "Pediatric Neurology"),
    Clinic::new("pediatric-orthopedics", "Pediatric Orthopedics"),
    Clinic::new("pediatric-physical-med-rehab", "Pediatric Physical Med & Rehab"),
    Clinic::new("pediatric-primary-care", "Pediatric Primary Care"),
    Clinic::new("pediatric-pulmonary", "Pediatric Pulmonary"),
    Clinic::new("pediatric-rheumatology", "Pediatric Rheumatology"),
    Clinic::new("pediatric-specialty-center-chelmsford", "Pediatric Specialty Center - Chelmsford"),
    Clinic::new("pediatric-specialty-center-lawrence", "Pediatric Specialty Center - Lawrence"),
    Clinic::new("pediatric-specialty-center-woburn", "Pediatric Specialty Center - Woburn"),
    Clinic::new("pediatric-surgery", "Pediatric Surgery"),
    Clinic::new("pediatric-urology", "Pediatric Urology"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Clinic {
    pub id: &'static str,
    pub name: &'static str,
}

impl Clinic {
    const fn new(id: &'static str, name: &'static str) -> Self {
        Clinic { id, name }
    }
    pub fn parse(id: &str) -> Result<Clinic, super::Reason> {
        CLINICS.iter().find(|c| c.id == id).copied().ok_or_else(|| "is not one of the participating clinics (see GET /api/clinics)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_slugs_of_the_names() {
        for c in CLINICS {
            let mut slug = String::new();
            for ch in c.name.chars() {
                if ch.is_ascii_alphanumeric() {
                    slug.push(ch.to_ascii_lowercase());
                } else if !slug.ends_with('-') {
                    slug.push('-');
                }
            }
            assert_eq!(slug.trim_end_matches('-'), c.id);
        }
        assert!(Clinic::parse("pediatric-gi").is_ok());
        assert!(Clinic::parse("Pediatric GI").is_err());
    }
}
