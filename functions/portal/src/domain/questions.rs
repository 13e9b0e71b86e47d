use super::Reason;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};

/// The fixed list people pick their three security questions from.
pub const QUESTIONS: [(&str, &str); 10] = [
    ("first-pet", "What was the name of your first pet?"),
    ("birth-city", "In what city were you born?"),
    ("first-school", "What was the name of your first school?"),
    ("childhood-street", "What street did you live on as a child?"),
    ("favorite-teacher", "What was the last name of your favorite teacher?"),
    ("first-car", "What was the make of your first car?"),
    ("childhood-friend", "What is the first name of your childhood best friend?"),
    ("parents-met", "In what city did your parents meet?"),
    ("childhood-book", "What was your favorite book as a child?"),
    ("first-job", "Where did you work your first job?"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct QuestionId(&'static str);

// By hand: a derived impl would tie the input's lifetime to the `'static` field.
impl<'de> Deserialize<'de> for QuestionId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        QuestionId::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl QuestionId {
    pub fn parse(id: &str) -> Result<Self, Reason> {
        QUESTIONS
            .iter()
            .find(|(q, _)| *q == id)
            .map(|(q, _)| QuestionId(q))
            .ok_or_else(|| "is not one of the security questions (see GET /api/auth/security-questions)".into())
    }
    pub fn at(index: usize) -> Self {
        QuestionId(QUESTIONS[index % QUESTIONS.len()].0)
    }
    pub fn id(&self) -> &'static str {
        self.0
    }
    pub fn text(&self) -> &'static str {
        QUESTIONS.iter().find(|(q, _)| *q == self.0).map(|(_, t)| *t).unwrap_or_default()
    }
}
impl From<QuestionId> for String {
    fn from(q: QuestionId) -> String {
        q.0.to_owned()
    }
}

pub const ANSWER_MAX: usize = 200;

/// Case and runs of white space folded, so "  Rex  THE dog" matches "rex the dog".
pub fn normalise_answer(answer: &str) -> Result<String, Reason> {
    if answer.chars().count() > ANSWER_MAX {
        return Err(format!("must be at most {ANSWER_MAX} characters long"));
    }
    let folded = answer.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    if folded.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(folded)
}

/// A salted argon2id hash (PHC string) of a secret: a normalised security answer, or a
/// password in the embedded identity provider. The secret itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretHash(String);

impl SecretHash {
    pub fn of(normalised: &str) -> Result<Self, Reason> {
        let salt = SaltString::encode_b64(&super::random_bytes::<16>()).map_err(|_| "could not be stored".to_string())?;
        Argon2::default().hash_password(normalised.as_bytes(), &salt).map(|h| SecretHash(h.to_string())).map_err(|_| "could not be stored".into())
    }
    pub fn matches(&self, normalised: &str) -> bool {
        PasswordHash::new(&self.0).map(|h| Argon2::default().verify_password(normalised.as_bytes(), &h).is_ok()).unwrap_or(false)
    }
    /// Spends the same work as `matches` when there is nothing to compare against, so an
    /// unknown username costs as much time as a known one.
    pub fn burn(normalised: &str) {
        let _ = Self::of(normalised);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_fold_case_and_spaces() {
        assert_eq!(normalise_answer("  Rex  THE\tdog ").unwrap(), "rex the dog");
        assert!(normalise_answer("   ").is_err());
        assert!(normalise_answer(&"x".repeat(201)).is_err());
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = SecretHash::of("rex the dog").unwrap();
        assert!(h.0.starts_with("$argon2id$"));
        assert!(h.matches("rex the dog"));
        assert!(!h.matches("rex"));
        assert_ne!(h, SecretHash::of("rex the dog").unwrap(), "salted");
    }

    #[test]
    fn question_ids() {
        assert!(QUESTIONS.len() >= 8);
        assert_eq!(QuestionId::parse("first-pet").unwrap().text(), QUESTIONS[0].1);
        assert!(QuestionId::parse("favourite-colour").is_err());
    }
}
