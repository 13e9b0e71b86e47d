//! The office's inbox: the conversations of its clinics (open ones, longest waiting first)
//! and their refill requests (oldest first); taking a conversation, closing it, internal
//! notes, and answering a refill request medication by medication. Each change carries the
//! version the office saw: of two people acting at once, one wins and the other gets 409.

use crate::{changed, no_conversation, no_refill_request};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::office::{self, Scope};
use portal::access::Grant;
use portal::domain::{ConversationId, ConversationStatus, RecordId, RefillRequestStatus, RefillStatus, RequestId, RequestStatus, Text};
use portal::http::{json, json_response, Caller};
use portal::ports::PortError;
use portal::records::notify;
use portal::store::appointments;
use portal::store::audit::Action;
use portal::store::conversations::{self as conversations, Conversation};
use portal::store::notes::{Note, NOTE_MAX};
use portal::store::refills::{self as refills, RefillRequest};
use portal::{queue, App, Problem};
use serde::Deserialize;
use serde_json::json;

/// What the inbox lists: `?kind=conversation` (the default) or `refill`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Conversation,
    Refill,
}

pub async fn inbox(app: &App, caller: &Caller, req: &Request) -> Result<Response<Body>, Problem> {
    let kind = queue::param(
        req,
        "kind",
        &[Kind::Conversation, Kind::Refill],
        |k| if k == Kind::Conversation { "conversation" } else { "refill" },
        Kind::Conversation,
    )?;
    let table = app.table.as_ref();
    match kind {
        Kind::Conversation => {
            let status = queue::param(req, "status", ConversationStatus::ALL, ConversationStatus::as_str, ConversationStatus::Open)?;
            queue::page(app, caller, req, Action::InboxRead, |clinic, after, limit| async move {
                conversations::inbox(table, clinic, status, after.as_deref(), limit).await
            })
            .await
        }
        Kind::Refill => {
            let status = queue::param(req, "status", RefillRequestStatus::ALL, RefillRequestStatus::as_str, RefillRequestStatus::Requested)?;
            queue::page(app, caller, req, Action::InboxRead, |clinic, after, limit| async move {
                refills::inbox(table, clinic, status, after.as_deref(), limit).await
            })
            .await
        }
    }
}

/// What waits for the office in the caller's clinics, for its menu: open appointment
/// requests, open conversations and refill requests. Counts only: no patient is named, so
/// nothing is read of any patient's and there is nothing to audit.
pub async fn counts(app: &App, caller: &Caller) -> Result<Response<Body>, Problem> {
    let scope = Scope::of(app, caller).await?;
    let table = app.table.as_ref();
    let (mut requests, mut open, mut refill) = (0, 0, 0);
    for clinic in scope.clinics() {
        requests += appointments::count(table, clinic, RequestStatus::Requested).await?;
        open += conversations::count(table, clinic, ConversationStatus::Open).await?;
        refill += refills::count(table, clinic, RefillRequestStatus::Requested).await?;
    }
    Ok(json_response(StatusCode::OK, &json!({ "appointment_requests": requests, "conversations": open, "refill_requests": refill })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Version {
    #[serde(deserialize_with = "portal::http::whole_number")]
    version: u64,
}

/// A change to a conversation (families were refused in `handle`): the
/// conversation, the access check, then `change` on it as it stands.
async fn on_conversation(
    app: &App,
    caller: &Caller,
    id: Option<ConversationId>,
    action: Action,
    work: impl AsyncFnOnce(&Grant, Conversation) -> Result<Response<Body>, Problem>,
) -> Result<Response<Body>, Problem> {
    let found = match id {
        Some(id) => conversations::get(app.table.as_ref(), &id).await?,
        None => None,
    };
    let current = found.ok_or_else(no_conversation)?;
    let patient = current.patient_id;
    office::change_found(app, caller, &patient, action, None, no_conversation(), async |grant| work(grant, current).await).await
}

/// Writes `next` over `current` as the office saw it (`version`).
async fn save(app: &App, current: &Conversation, version: u64, mut next: Conversation) -> Result<Response<Body>, Problem> {
    if current.version != version {
        return Err(changed());
    }
    match conversations::save(app.table.as_ref(), Some(current), &mut next, None).await {
        Ok(()) => Ok(json_response(StatusCode::OK, &next.item(false))),
        Err(PortError::Conflict) => Err(changed()),
        Err(e) => Err(e.into()),
    }
}

/// "Take" a conversation: the others of the clinic see who has it.
pub async fn take(app: &App, caller: &Caller, id: Option<ConversationId>, req: &Request) -> Result<Response<Body>, Problem> {
    let body: Version = json(req)?;
    on_conversation(app, caller, id, Action::ConversationTake, async |grant, current| {
        let next = Conversation { taken_by: Some(grant.account.username.to_string()), ..current.clone() };
        save(app, &current, body.version, next).await
    })
    .await
}

/// Closes a conversation; a family's reply opens it again.
pub async fn close(app: &App, caller: &Caller, id: Option<ConversationId>, req: &Request) -> Result<Response<Body>, Problem> {
    let body: Version = json(req)?;
    on_conversation(app, caller, id, Action::ConversationClose, async |_, current| {
        let next = Conversation { status: ConversationStatus::Closed, office_unread: 0, ..current.clone() };
        save(app, &current, body.version, next).await
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNote {
    text: Text<NOTE_MAX>,
}

/// An internal note: never shown to the family.
pub async fn note(app: &App, caller: &Caller, id: Option<ConversationId>, req: &Request) -> Result<Response<Body>, Problem> {
    let body: NewNote = json(req)?;
    on_conversation(app, caller, id, Action::ConversationNote, async |grant, current| {
        let note = Note::new(body.text.clone(), grant.account.username.to_string());
        conversations::add_note(app.table.as_ref(), &current.id, &note).await?;
        Ok(json_response(StatusCode::CREATED, &note))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    medication_id: RecordId,
    status: RefillStatus,
    #[serde(default)]
    reason: Option<Text<{ refills::NOTE_MAX }>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Answers {
    answers: portal::domain::Bounded<Answer, 1, 20>,
    #[serde(deserialize_with = "portal::http::whole_number")]
    version: u64,
}

/// The office's answer to some or all medications of a refill request: `approved` (sent to
/// the family's pharmacy, whose name is recorded), `denied` (with a reason the family sees)
/// or `needs-appointment`. Answered whole, the request leaves the open inbox.
pub async fn answer(app: &App, caller: &Caller, id: Option<RequestId>, req: &Request) -> Result<Response<Body>, Problem> {
    let body: Answers = json(req)?;
    for (i, a) in body.answers.as_slice().iter().enumerate() {
        if body.answers.as_slice()[..i].iter().any(|b| b.medication_id == a.medication_id) {
            return Err(Problem::invalid(format!("answers[{i}].medication_id"), "Each medication is answered once."));
        }
        if a.status == RefillStatus::Requested {
            return Err(Problem::invalid(format!("answers[{i}].status"), "status must be approved, denied or needs-appointment."));
        }
        if a.status == RefillStatus::Denied && a.reason.is_none() {
            return Err(Problem::invalid(format!("answers[{i}].reason"), "A denied medication needs a reason the family can read."));
        }
    }
    let found = match id {
        Some(id) => refills::get(app.table.as_ref(), &id).await?,
        None => None,
    };
    let current = found.ok_or_else(no_refill_request)?;
    let patient = current.patient_id;
    office::change_found(app, caller, &patient, Action::RefillRequestAnswer, None, no_refill_request(), async |grant| {
        if current.version != body.version {
            return Err(changed());
        }
        let mut next = RefillRequest { updated: portal::store::now_precise(), ..current.clone() };
        for (i, a) in body.answers.as_slice().iter().enumerate() {
            let item = next
                .items
                .iter_mut()
                .find(|it| it.medication_id == a.medication_id)
                .ok_or_else(|| Problem::invalid(format!("answers[{i}].medication_id"), "This medication is not in the request."))?;
            if item.status != RefillStatus::Requested {
                return Err(changed());
            }
            item.status = a.status;
            item.reason = a.reason.clone();
            item.sent_to = (a.status == RefillStatus::Approved).then(|| String::from(current.pharmacy.name.clone()));
        }
        if next.items.iter().all(|it| it.status != RefillStatus::Requested) {
            next.status = RefillRequestStatus::Answered;
        }
        match refills::update(app.table.as_ref(), &current, &mut next).await {
            Ok(()) => {}
            Err(PortError::Conflict) => return Err(changed()),
            Err(e) => return Err(e.into()),
        }
        notify::tell(app, &grant.patient, next.confidential).await;
        Ok(json_response(StatusCode::OK, &next))
    })
    .await
}
