//! Two-step sign-in codes: TOTP as RFC 6238 and every authenticator app have it (HMAC-SHA-1,
//! 6 digits, 30-second steps), and the `otpauth://` address a QR code carries to the app.

use super::{percent_encode, random_bytes, string_newtype, Reason};
use aws_lc_rs::hmac;

/// Seconds a code is good for.
pub const STEP_SECS: i64 = 30;
/// The name the authenticator app shows beside the code.
pub const ISSUER: &str = "Tufts Children's Patient Portal";

/// Six digits as a person types them from the app; spaces (apps show "123 456") are dropped.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct TotpCode(String);
string_newtype!(TotpCode);

impl TotpCode {
    pub fn parse(s: &str) -> Result<Self, Reason> {
        let digits: String = s.chars().filter(|c| *c != ' ').collect();
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(TotpCode(digits))
        } else {
            Err("must be the 6-digit code your authenticator app shows.".into())
        }
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for TotpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpCode(..)")
    }
}

/// A TOTP key: 20 random bytes (160 bits, the size RFC 4226 recommends for SHA-1).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

impl TotpSecret {
    pub fn generate() -> Self {
        TotpSecret(random_bytes::<20>().to_vec())
    }
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        TotpSecret(bytes)
    }
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// RFC 4648 base32 without padding: what a person types into the app.
    pub fn base32(&self) -> String {
        let mut out = String::with_capacity(self.0.len().div_ceil(5) * 8);
        for chunk in self.0.chunks(5) {
            let mut buf = [0u8; 5];
            buf[..chunk.len()].copy_from_slice(chunk);
            let bits = buf.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            let chars = (chunk.len() * 8).div_ceil(5);
            for i in 0..chars {
                out.push(BASE32[((bits >> (35 - 5 * i)) & 31) as usize] as char);
            }
        }
        out
    }

    /// The key from its base32 form (upper or lower case, no padding), as apps take it.
    pub fn from_base32(s: &str) -> Option<Self> {
        let (mut bits, mut held, mut out) = (0u32, 0u32, Vec::new());
        for c in s.bytes() {
            let v = BASE32.iter().position(|x| *x == c.to_ascii_uppercase())?;
            bits = (bits << 5) | v as u32;
            held += 5;
            if held >= 8 {
                held -= 8;
                out.push((bits >> held) as u8);
                bits &= (1 << held) - 1;
            }
        }
        Some(TotpSecret(out))
    }

    /// The code for the 30-second step `step` (HOTP of the step count, RFC 4226 §5.3).
    pub fn code_at(&self, step: i64) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &self.0);
        let tag = hmac::sign(&key, &step.to_be_bytes());
        let mac = tag.as_ref();
        let offset = usize::from(mac[mac.len() - 1] & 0x0f);
        let value = u32::from_be_bytes([mac[offset] & 0x7f, mac[offset + 1], mac[offset + 2], mac[offset + 3]]);
        format!("{:06}", value % 1_000_000)
    }

    /// The step `code` belongs to, if it is the current step's or a neighbour's (one step of
    /// clock drift either way, as RFC 6238 §5.2 suggests) and later than `after`, the step of
    /// the last code accepted: a code works once.
    pub fn accepts(&self, code: &TotpCode, now: i64, after: Option<i64>) -> Option<i64> {
        let current = now.div_euclid(STEP_SECS);
        (current - 1..=current + 1)
            .filter(|step| after.is_none_or(|last| *step > last))
            .find(|step| constant_time_eq(self.code_at(*step).as_bytes(), code.expose().as_bytes()))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The address an authenticator app reads from the QR code. `account` is the username, so
/// a person with several accounts can tell the codes apart.
pub fn otpauth_uri(account: &str, secret_base32: &str) -> String {
    let label = format!("{ISSUER}:{account}");
    format!(
        "otpauth://totp/{}?secret={secret_base32}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECS}",
        percent_encode(&label),
        percent_encode(ISSUER)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B's SHA-1 test vectors (its 8-digit codes, last 6 digits).
    #[test]
    fn codes_are_rfc_6238s() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        for (time, code) in [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")] {
            assert_eq!(secret.code_at(time / STEP_SECS), code);
        }
        assert_eq!(secret.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(TotpSecret::from_base32("gezdgnbvgy3tqojqgezdgnbvgy3tqojq"), Some(secret));
        assert_eq!(TotpSecret::from_base32("GE1"), None);
    }

    #[test]
    fn a_code_works_once_and_only_near_its_time() {
        let secret = TotpSecret::generate();
        let now = 1_800_000_000;
        let code = TotpCode::parse(&secret.code_at(now / STEP_SECS)).unwrap();
        let step = secret.accepts(&code, now, None).unwrap();
        assert_eq!(secret.accepts(&code, now, Some(step)), None);
        assert_eq!(secret.accepts(&code, now + 3 * STEP_SECS, None), None);
        assert!(TotpCode::parse("12345").is_err() && TotpCode::parse("12a456").is_err());
        assert_eq!(TotpCode::parse("123 456").unwrap().expose(), "123456");
    }

    #[test]
    fn the_address_names_the_issuer_and_account() {
        assert_eq!(
            otpauth_uri("fam.smith", "ABC"),
            "otpauth://totp/Tufts%20Children%27s%20Patient%20Portal%3Afam.smith?secret=ABC&issuer=Tufts%20Children%27s%20Patient%20Portal&algorithm=SHA1&digits=6&period=30"
        );
    }
}
