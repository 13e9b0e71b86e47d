//! The words of the emails the portal sends. They hold a username, a secret and the
//! portal's address, and never anything about a patient or a clinic.

use time::{format_description::well_known::Rfc3339, Duration, OffsetDateTime};

pub const CREDENTIALS_SUBJECT: &str = "Portal login information";
pub const RESET_SUBJECT: &str = "Reset your portal password";

pub fn credentials(portal_url: &str, username: &str, temporary_password: &str, issued: OffsetDateTime) -> (String, String) {
    let expires = (issued + Duration::days(crate::domain::TemporaryPassword::VALID_DAYS))
        .replace_nanosecond(0)
        .unwrap_or(issued)
        .format(&Rfc3339)
        .unwrap_or_default();
    let text = format!(
        "Your provider's office has set up your patient portal account.\n\
         \n\
         Username: {username}\n\
         Temporary password: {temporary_password}\n\
         \n\
         Sign in at {portal_url} . You will be asked to choose a new password and three security questions.\n\
         The temporary password expires at {expires} (UTC). If it has expired, ask your provider's office to resend your login information.\n\
         \n\
         If you did not expect this email, contact your provider's office.\n"
    );
    (CREDENTIALS_SUBJECT.to_owned(), text)
}

/// `<portal>/reset-password?username=<username>&code=<code>`.
fn reset_link(portal_url: &str, username: &str, code: &str) -> String {
    format!(
        "{}/reset-password?username={}&code={}",
        portal_url.trim_end_matches('/'),
        crate::domain::percent_encode(username),
        crate::domain::percent_encode(code)
    )
}

pub fn reset(portal_url: &str, username: &str, code: &str) -> (String, String) {
    let link = reset_link(portal_url, username, code);
    let text = format!(
        "Someone asked to reset the password of your patient portal account.\n\
         \n\
         To choose a new password, open this link within one hour:\n\
         {link}\n\
         \n\
         You will be asked one of your security questions.\n\
         If you did not ask for this, you can ignore this email: your password stays as it is.\n"
    );
    (RESET_SUBJECT.to_owned(), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_email_has_the_contract_lines() {
        let (subject, text) = credentials("https://portal.example", "jsmith", "Tmp-PASSWORD-123", OffsetDateTime::UNIX_EPOCH);
        assert_eq!(subject, "Portal login information");
        assert!(text.lines().any(|l| l == "Username: jsmith"));
        assert!(text.lines().any(|l| l == "Temporary password: Tmp-PASSWORD-123"));
        assert!(text.contains("https://portal.example"));
        assert!(text.contains("expires at 1970-01-04T00:00:00Z"));
    }

    #[test]
    fn reset_links() {
        assert_eq!(reset_link("https://p.example/", "j.smith", "123456"), "https://p.example/reset-password?username=j.smith&code=123456");
        assert!(reset_link("https://p.example", "j", "a:b").ends_with("code=a%3Ab"));
    }
}
