//! The local run's mail: each email an RFC 5322 `.eml` file under `<data dir>/outbox/`.

use crate::ports::{Email, Mailer, PortError, PortResult};
use async_trait::async_trait;
use std::path::PathBuf;
use time::format_description::well_known::Rfc2822;

pub struct Outbox {
    dir: PathBuf,
    from: String,
}

impl Outbox {
    pub fn new(dir: PathBuf, from: &str) -> Result<Self, String> {
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Outbox { dir, from: from.to_owned() })
    }

    /// Every email sent, newest first.
    pub fn list(&self) -> Vec<Email> {
        let mut names: Vec<_> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names.reverse();
        names.iter().filter_map(|p| std::fs::read_to_string(p).ok()).filter_map(|raw| parse(&raw)).collect()
    }
}

fn parse(raw: &str) -> Option<Email> {
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let header =
        |name: &str| head.split("\r\n").find_map(|l| l.split_once(": ").filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.to_owned()));
    Some(Email { to: header("To")?, subject: header("Subject")?, text: body.replace("\r\n", "\n") })
}

#[async_trait]
impl Mailer for Outbox {
    async fn send(&self, email: &Email) -> PortResult<()> {
        let now = time::OffsetDateTime::now_utc();
        let id = uuid::Uuid::new_v4();
        let raw = format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{id}@portal.local>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
            self.from,
            email.to,
            email.subject,
            now.format(&Rfc2822).unwrap_or_default(),
            email.text.replace('\n', "\r\n"),
        );
        // The name sorts by time, so the listing is newest first without reading dates.
        let name = format!("{:020}-{id}.eml", now.unix_timestamp_nanos());
        let tmp = self.dir.join(format!("{name}.tmp"));
        let path = self.dir.join(name);
        tokio::task::spawn_blocking(move || super::write_private(&tmp, raw.as_bytes()).and_then(|_| std::fs::rename(&tmp, path)))
            .await
            .map_err(|e| PortError::Internal(e.to_string()))?
            .map_err(|e| PortError::Unavailable(format!("outbox: {e}")))
    }
}
