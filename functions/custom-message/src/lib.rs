//! The Cognito CustomMessage trigger: Cognito's forgot-password email carries our reset
//! link (`<portal>/reset-password?username=<username>&code=<code>`), in the portal's words.
//! Every other message is left as Cognito makes it.

use aws_lambda_events::event::cognito::{CognitoEventUserPoolsCustomMessage, CognitoEventUserPoolsCustomMessageTriggerSource as Source};
use portal::messages;

pub fn shape(portal_url: &str, mut event: CognitoEventUserPoolsCustomMessage) -> CognitoEventUserPoolsCustomMessage {
    if event.cognito_event_user_pools_header.trigger_source != Some(Source::ForgotPassword) {
        return event;
    }
    // Cognito's own user name is our internal id; people know the office-assigned one.
    let Some(username) = event.request.user_attributes.get("preferred_username").and_then(|v| v.as_str()).map(str::to_owned) else {
        return event;
    };
    let code = event.request.code_parameter.clone().unwrap_or_else(|| messages::CODE_PLACEHOLDER.to_owned());
    let (subject, text) = messages::reset(portal_url, &username, &code);
    event.response.email_subject = Some(subject);
    event.response.email_message = Some(html(&text));
    event
}

/// Cognito sends the message as HTML: escape it and keep the line breaks.
fn html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\n', "<br>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str) -> CognitoEventUserPoolsCustomMessage {
        let path = format!("{}/../../events/custom-message/{name}.json", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn forgot_password_mail_carries_the_reset_link_with_cognitos_placeholder() {
        let e = event("forgot-password");
        let username = e.request.user_attributes["preferred_username"].as_str().unwrap().to_owned();
        let out = shape("https://portal.example.org", e);
        assert_eq!(out.response.email_subject.as_deref(), Some(messages::RESET_SUBJECT));
        let body = out.response.email_message.unwrap();
        let link = format!("https://portal.example.org/reset-password?username={username}&amp;code={{####}}");
        assert!(body.contains(&link), "{body}");
    }

    #[test]
    fn other_messages_are_left_alone() {
        for name in ["admin-create-user", "other"] {
            let before = event(name);
            let after = shape("https://portal.example.org", before.clone());
            assert_eq!(after.response.email_message, before.response.email_message);
            assert_eq!(after.response.email_subject, before.response.email_subject);
        }
    }
}
