//! "Messages" for a family, and the conversation itself for the office: the patient's
//! conversations (latest activity first, with the reader's side's unread count), "Send A
//! Message", opening one (which marks it read for the reader's side) and replying.

use crate::{changed, no_conversation};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::{self, Grant, Who};
use portal::domain::{ConversationId, Line, Side, Text};
use portal::http::{idempotency_key, json, json_response, Caller, Paging};
use portal::ports::PortError;
use portal::records::notify;
use portal::store::audit::Action;
use portal::store::conversations::{self as store, Author, Conversation, Message, BODY_MAX, SUBJECT_MAX};
use portal::store::idempotency;
use portal::{App, Problem};
use serde::Deserialize;
use serde_json::{json, Value};

/// Who is writing: the family by their username (account holders' names are the patient's
/// business), the office by name and clinic.
fn author(grant: &Grant, clinic: &str) -> Author {
    let a = &grant.account;
    let name = a.full_name().unwrap_or_else(|| a.username.to_string());
    if grant.acting.is_family() {
        Author { kind: Side::Family, name: a.username.to_string(), clinic: None }
    } else {
        Author { kind: Side::Staff, name, clinic: Some(clinic.to_owned()) }
    }
}

pub async fn list(app: &App, caller: &Caller, id: &str, req: &Request) -> Result<Response<Body>, Problem> {
    let paging = Paging::of_list(req, store::PATIENT_PREFIX)?;
    let grant = access::patient(app, caller, id, Who::Anyone, Action::ConversationsRead).await?;
    let read = store::of_patient(app.table.as_ref(), &grant.patient.id, paging.after.as_deref(), paging.limit + 1).await?;
    let family = grant.acting.is_family();
    Ok(json_response(StatusCode::OK, &paging.answer_with(read, |c| grant.sees(&c).then(|| c.item(family)))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct New {
    clinic: String,
    subject: Line<SUBJECT_MAX>,
    body: Text<BODY_MAX>,
    #[serde(default)]
    confidential: bool,
}

/// "Send A Message": a new conversation with the office of one of the patient's clinics.
pub async fn create(app: &App, caller: &Caller, id: &str, req: &Request) -> Result<Response<Body>, Problem> {
    let body: New = json(req)?;
    let idem = idempotency_key(req)?;
    access::change(app, caller, id, Who::Family, Action::ConversationCreate, None, async |grant| {
        if body.clinic != grant.patient.clinic {
            return Err(Problem::invalid("clinic", "clinic must be one of the patient's clinics."));
        }
        grant.may_mark(body.confidential)?;
        idempotency::once(app.table.as_ref(), &caller.sub, idem, &idempotency::fingerprint(req), || async {
            let first = Message::new(author(grant, &body.clinic), body.body.clone());
            let mut c = Conversation::new(grant.patient.id, &body.clinic, body.subject.clone(), body.confidential, &first);
            store::save(app.table.as_ref(), None, &mut c, Some(&first)).await?;
            Ok((StatusCode::CREATED, c.item(true)))
        })
        .await
    })
    .await
}

/// The conversation, when it is the patient's and the caller may see it.
fn of_patient(grant: &Grant, c: Option<Conversation>) -> Result<Conversation, Problem> {
    c.filter(|c| c.patient_id == grant.patient.id && grant.sees(c)).ok_or_else(no_conversation)
}

/// Opening a conversation: its messages (and for the office its notes), marked read for
/// the reader's side.
pub async fn open(app: &App, caller: &Caller, id: &str, conversation: Option<ConversationId>) -> Result<Response<Body>, Problem> {
    let grant = access::patient(app, caller, id, Who::Anyone, Action::ConversationRead).await?;
    let table = app.table.as_ref();
    let found = match conversation {
        Some(c) => store::read(table, &c).await?,
        None => None,
    };
    let (c, messages, notes) = found.ok_or_else(no_conversation)?;
    let c = of_patient(&grant, Some(c))?;
    let family = grant.acting.is_family();
    let unread = if family { c.family_unread } else { c.office_unread };
    let mut shown = c.clone();
    if unread > 0 {
        let mut next = if family { Conversation { family_unread: 0, ..c.clone() } } else { Conversation { office_unread: 0, ..c.clone() } };
        // Read by someone else of the same side meanwhile, or answered: shown as it was read.
        match store::save(table, Some(&c), &mut next, None).await {
            Ok(()) => shown = next,
            Err(PortError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut v = shown.item(family);
    if let Value::Object(map) = &mut v {
        map.insert("messages".into(), json!(messages));
        if !family {
            map.insert("notes".into(), json!(notes));
        }
    }
    Ok(json_response(StatusCode::OK, &v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reply {
    body: Text<BODY_MAX>,
}

/// A message in the conversation, from the family (which opens it again) or the office
/// (which tells the family).
pub async fn reply(app: &App, caller: &Caller, id: &str, conversation: Option<ConversationId>, req: &Request) -> Result<Response<Body>, Problem> {
    let body: Reply = json(req)?;
    let idem = idempotency_key(req)?;
    access::change(app, caller, id, Who::Anyone, Action::ConversationReply, None, async |grant| {
        let table = app.table.as_ref();
        // Whether what was added is confidential (who is told of it).
        let confidential = std::sync::OnceLock::new();
        let sent = idempotency::once(table, &caller.sub, idem, &idempotency::fingerprint(req), || async {
            // Two messages at once are both kept: the one that lost the race is added again.
            for _ in 0..3 {
                let current = match conversation {
                    Some(c) => store::get(table, &c).await?,
                    None => None,
                };
                let current = of_patient(grant, current)?;
                let m = Message::new(author(grant, &current.clinic), body.body.clone());
                let mut next = current.with(&m);
                match store::save(table, Some(&current), &mut next, Some(&m)).await {
                    Ok(()) => {
                        let _ = confidential.set(current.confidential);
                        return Ok((StatusCode::CREATED, json!(m)));
                    }
                    Err(PortError::Conflict) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            Err(changed())
        })
        .await?;
        if let (false, Some(&confidential)) = (grant.acting.is_family(), confidential.get()) {
            notify::tell(app, &grant.patient, confidential).await;
        }
        Ok(sent)
    })
    .await
}
