use super::port_error;
use crate::ports::{Email, Mailer, PortError, PortResult};
use async_trait::async_trait;
use aws_sdk_ses::types::{Body, Content, Destination, Message};
use aws_sdk_ses::Client;

pub struct Ses {
    client: Client,
    from: String,
}

impl Ses {
    pub fn new(client: Client, from: impl Into<String>) -> Self {
        Ses { client, from: from.into() }
    }
}

fn content(s: &str) -> PortResult<Content> {
    Content::builder().data(s).charset("UTF-8").build().map_err(|e| PortError::Internal(e.to_string()))
}

#[async_trait]
impl Mailer for Ses {
    async fn send(&self, email: &Email) -> PortResult<()> {
        let message = Message::builder().subject(content(&email.subject)?).body(Body::builder().text(content(&email.text)?).build()).build();
        self.client
            .send_email()
            .source(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .message(message)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| port_error(&e, &[], &[], &["MessageRejected", "MailFromDomainNotVerifiedException", "AccountSendingPausedException"]))
    }
}
