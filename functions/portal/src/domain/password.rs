use super::{random_bytes, Reason};

/// A password someone chose: 12 to 256 characters, no composition rules, and not
/// guessable (zxcvbn score 3 or more, with the username and email as known inputs).
/// Our code checks this on every path that sets a password, because Cognito only checks
/// length and moto checks nothing.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN: usize = 12;
    pub const MAX: usize = 256;
    /// zxcvbn's cost grows fast with length; past this many characters the prefix decides.
    const ESTIMATE_PREFIX: usize = 64;

    pub fn parse(password: &str, user_inputs: &[&str]) -> Result<Self, Reason> {
        let len = password.chars().count();
        if len < Self::MIN {
            return Err(format!("must be at least {} characters long", Self::MIN));
        }
        if len > Self::MAX {
            return Err(format!("must be at most {} characters long", Self::MAX));
        }
        let prefix: String = password.chars().take(Self::ESTIMATE_PREFIX).collect();
        let estimate = zxcvbn::zxcvbn(&prefix, user_inputs);
        if (estimate.score() as u8) < 3 {
            let why = estimate
                .feedback()
                .and_then(|f| f.warning().map(|w| w.to_string()))
                .filter(|w| !w.is_empty())
                .unwrap_or_else(|| "It is too easy to guess.".into());
            return Err(format!("is too easy to guess: {why} Use a longer phrase of several unrelated words."));
        }
        Ok(NewPassword(password.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// A password as someone typed it to sign in or to prove who they are: only its length is
/// bounded; it is never logged (`Debug` hides it).
#[derive(Clone, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct GivenPassword(String);

impl GivenPassword {
    pub fn expose(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for GivenPassword {
    type Error = Reason;
    fn try_from(s: String) -> Result<Self, Reason> {
        if s.is_empty() || s.chars().count() > NewPassword::MAX {
            return Err(format!("must be 1 to {} characters long", NewPassword::MAX));
        }
        Ok(GivenPassword(s))
    }
}
impl std::fmt::Debug for GivenPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GivenPassword(***)")
    }
}

/// A short opaque string from a client (session, reset code): bounded, printable.
#[derive(Clone, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Opaque(String);

impl Opaque {
    pub const MAX: usize = 4096;
    pub fn expose(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Opaque {
    type Error = Reason;
    fn try_from(s: String) -> Result<Self, Reason> {
        if s.is_empty() || s.chars().count() > Self::MAX || s.chars().any(char::is_control) {
            return Err(format!("must be 1 to {} printable characters", Self::MAX));
        }
        Ok(Opaque(s))
    }
}
impl std::fmt::Debug for Opaque {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Opaque(***)")
    }
}

/// A random temporary password for the credential email.
pub struct TemporaryPassword(String);

impl TemporaryPassword {
    pub const VALID_DAYS: i64 = 3;
    /// No look-alikes (0/O, 1/l/I) so it can be typed from a printed email.
    const ALPHABET: &'static [u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    const LEN: usize = 20;

    pub fn generate() -> Self {
        let bytes = random_bytes::<{ Self::LEN * 2 }>();
        let n = Self::ALPHABET.len() as u16;
        let s: String = bytes
            .chunks(2)
            // 16 random bits modulo 56 has a bias below 0.1%: irrelevant at 115 bits.
            .map(|c| Self::ALPHABET[(u16::from_le_bytes([c[0], c[1]]) % n) as usize] as char)
            .collect();
        TemporaryPassword(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for TemporaryPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TemporaryPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_limits() {
        assert!(NewPassword::parse("short", &[]).unwrap_err().contains("at least 12"));
        let long = "correct horse battery staple ".repeat(10);
        assert!(NewPassword::parse(&long, &[]).unwrap_err().contains("at most 256"));
    }

    #[test]
    fn guessable_passwords_are_refused_with_a_reason() {
        for weak in ["password1234", "aaaaaaaaaaaa", "qwertyuiop12", "123456789012"] {
            let why = NewPassword::parse(weak, &[]).unwrap_err();
            assert!(why.starts_with("is too easy to guess"), "{weak}: {why}");
        }
        // The username is a known input: using it does not make a password strong.
        assert!(NewPassword::parse("jsmith-family", &["jsmith-family"]).is_err());
    }

    #[test]
    fn strong_passwords_pass() {
        assert!(NewPassword::parse("violet kettle marching uphill", &[]).is_ok());
        assert!(format!("{:?}", NewPassword::parse("violet kettle marching uphill", &[]).unwrap()).contains("***"));
    }

    #[test]
    fn temporary_passwords_are_random_and_strong() {
        let a = TemporaryPassword::generate();
        let b = TemporaryPassword::generate();
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().len() >= 16);
        assert!(NewPassword::parse(a.expose(), &[]).is_ok());
    }
}
