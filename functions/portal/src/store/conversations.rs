//! Conversations of families with the clinic office ("Messages"). A conversation is held
//! whole under its own key (with the version two offices race on, and the unread counters
//! of each side), in the patient's list (by last activity) and in its clinic's inbox (by
//! how long the family has waited); every change writes all three in one transaction with
//! the message it adds, so a page is one Query and an unread count is never counted.
//!
//! | item                        | pk                                    | sk                           |
//! |-----------------------------|---------------------------------------|------------------------------|
//! | conversation                | CONV#<id>                             | CONV                         |
//! | a message                   | CONV#<id>                             | MSG#<sent at>#<uuid>         |
//! | the office's note           | CONV#<id>                             | NOTE#… (see `notes`)         |
//! | the patient's conversations | PATIENT#<id>                          | CONVS#<last message>#<id>    |
//! | the office's inbox          | INBOX#<clinic>#conversation#<status>  | <waiting since>#<id>         |

use super::notes::{self, Note};
use super::{from_item, held, now_precise, page_of, sk_of, to_item};
use crate::domain::{ConversationId, ConversationStatus, Line, PatientId, Side, Text};
use crate::ports::{Condition, Key, PageOf, PortResult, Table, Write};
use serde::{Deserialize, Serialize};

pub const SUBJECT_MAX: usize = 120;
pub const BODY_MAX: usize = 5000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub patient_id: PatientId,
    pub clinic: String,
    pub subject: Line<SUBJECT_MAX>,
    pub status: ConversationStatus,
    /// Marked so by a patient aged 12 to 17: kept from parents and guardians.
    pub confidential: bool,
    pub created: String,
    pub last_message_at: String,
    /// When the family's oldest message the office has not answered was sent; the last
    /// message's time when the office spoke last. The inbox's order.
    pub waiting_since: String,
    /// The office's messages the family has not read, and the family's the office has not.
    pub family_unread: u32,
    pub office_unread: u32,
    /// The username of the staff member who took it.
    pub taken_by: Option<String>,
    pub version: u64,
}

impl crate::queue::Queued for Conversation {
    fn patient_id(&self) -> PatientId {
        self.patient_id
    }
    fn since(&self) -> &str {
        &self.waiting_since
    }
    fn listed(&self) -> serde_json::Value {
        self.item(false)
    }
}

impl crate::access::Marked for Conversation {
    fn confidential(&self) -> bool {
        self.confidential
    }
}

/// Who wrote a message: a family member or someone of the office, by name, and the office's
/// clinic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Author {
    pub kind: Side,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clinic: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub from: Author,
    pub body: Text<BODY_MAX>,
    pub sent_at: String,
}

impl Message {
    pub fn new(from: Author, body: Text<BODY_MAX>) -> Message {
        Message { id: uuid::Uuid::new_v4().to_string(), from, body, sent_at: now_precise() }
    }
}

impl Conversation {
    /// As lists show it, with the unread count of the reader's side (`family`, or the office).
    pub fn item(&self, family: bool) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "clinic": self.clinic,
            "subject": self.subject,
            "status": self.status,
            "unread": if family { self.family_unread } else { self.office_unread },
            "last_message_at": self.last_message_at,
            "confidential": self.confidential,
            "taken_by": self.taken_by,
            "version": self.version,
        })
    }

    /// A new conversation of the family's with the office of `clinic`, opened by `first`.
    pub fn new(patient_id: PatientId, clinic: &str, subject: Line<SUBJECT_MAX>, confidential: bool, first: &Message) -> Conversation {
        Conversation {
            id: ConversationId::new(),
            patient_id,
            clinic: clinic.to_owned(),
            subject,
            status: ConversationStatus::Open,
            confidential,
            created: first.sent_at.clone(),
            last_message_at: first.sent_at.clone(),
            waiting_since: first.sent_at.clone(),
            family_unread: 0,
            office_unread: 1,
            taken_by: None,
            version: 0,
        }
    }

    /// The conversation once `m` is added: a family's message opens it and waits for the
    /// office; the office's answers it.
    pub fn with(&self, m: &Message) -> Conversation {
        let mut next = Conversation { last_message_at: m.sent_at.clone(), ..self.clone() };
        match m.from.kind {
            Side::Family => {
                if self.status == ConversationStatus::Closed || self.office_unread == 0 {
                    next.waiting_since = m.sent_at.clone();
                }
                next.status = ConversationStatus::Open;
                next.office_unread += 1;
            }
            Side::Staff => {
                next.waiting_since = m.sent_at.clone();
                next.office_unread = 0;
                next.family_unread += 1;
            }
        }
        next
    }
}

fn pk(id: &ConversationId) -> String {
    format!("CONV#{id}")
}

fn own_key(id: &ConversationId) -> Key {
    Key::new(pk(id), "CONV")
}

/// The prefix of the patient's conversations (list cursors start with it).
pub const PATIENT_PREFIX: &str = "CONVS#";

fn inbox_pk(clinic: &str, status: ConversationStatus) -> String {
    format!("INBOX#{clinic}#conversation#{}", status.as_str())
}

fn copies(c: &Conversation) -> [Key; 2] {
    [
        Key::new(format!("PATIENT#{}", c.patient_id), format!("{PATIENT_PREFIX}{}#{}", c.last_message_at, c.id)),
        Key::new(inbox_pk(&c.clinic, c.status), format!("{}#{}", c.waiting_since, c.id)),
    ]
}

/// Writes `next` over `current` (none: a new conversation) with the message it adds, in one
/// transaction; `Conflict` when someone changed the conversation meanwhile.
pub async fn save(table: &dyn Table, current: Option<&Conversation>, next: &mut Conversation, message: Option<&Message>) -> PortResult<()> {
    let (condition, before) = match current {
        Some(c) => (Condition::Version(c.version), copies(c).to_vec()),
        None => (Condition::Absent, Vec::new()),
    };
    next.version = current.map_or(1, |c| c.version + 1);
    let mut writes = held(next, &own_key(&next.id), condition, &copies(next), &before)?;
    if let Some(m) = message {
        let key = Key::new(pk(&next.id), format!("MSG#{}#{}", m.sent_at, m.id));
        writes.push(Write::Put { item: to_item(&key, m, None)?, condition: Condition::Absent });
    }
    table.write(writes).await
}

/// A conversation with its messages and the office's notes, oldest first, in one read.
pub async fn read(table: &dyn Table, id: &ConversationId) -> PortResult<Option<(Conversation, Vec<Message>, Vec<Note>)>> {
    let (mut conversation, mut messages, mut notes) = (None, Vec::new(), Vec::new());
    for item in table.query(&pk(id), "").await? {
        let sk = sk_of(&item);
        if sk.starts_with("MSG#") {
            messages.extend(from_item::<Message>(item)?);
        } else if sk.starts_with(notes::PREFIX) {
            notes.extend(from_item::<Note>(item)?);
        } else {
            conversation = from_item::<Conversation>(item)?;
        }
    }
    Ok(conversation.map(|c| (c, messages, notes)))
}

pub async fn get(table: &dyn Table, id: &ConversationId) -> PortResult<Option<Conversation>> {
    match table.get(&own_key(id)).await? {
        Some(item) => from_item(item),
        None => Ok(None),
    }
}

pub async fn add_note(table: &dyn Table, id: &ConversationId, note: &Note) -> PortResult<()> {
    notes::add(table, &pk(id), note).await
}

/// A page of the patient's conversations, latest activity first.
pub async fn of_patient(table: &dyn Table, patient: &PatientId, after: Option<&str>, limit: usize) -> PortResult<Vec<(String, Conversation)>> {
    page_of(table, &format!("PATIENT#{patient}"), PageOf { prefix: PATIENT_PREFIX, after, limit, newest_first: true }).await
}

/// A page of one clinic's inbox of conversations in this status, longest waiting first.
pub async fn inbox(
    table: &dyn Table,
    clinic: &str,
    status: ConversationStatus,
    after: Option<&str>,
    limit: usize,
) -> PortResult<Vec<(String, Conversation)>> {
    page_of(table, &inbox_pk(clinic, status), PageOf { prefix: "", after, limit, newest_first: false }).await
}

/// How many conversations of a clinic are in this status (the office menu's count).
pub async fn count(table: &dyn Table, clinic: &str, status: ConversationStatus) -> PortResult<usize> {
    table.count(&inbox_pk(clinic, status)).await
}
