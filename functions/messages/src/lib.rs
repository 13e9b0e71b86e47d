//! The `messages` function: "Messages" (conversations of a family with the clinic office:
//! "Send A Message", replies, the office taking and closing them) and "Refill medications"
//! (refill requests the office answers medication by medication), with the office's inbox of
//! both. One function because the office works them from one inbox, and a family reaches
//! both under "Messages". Every route asks `access` first, which writes the audit record,
//! and shows a conversation or request only when `Grant::sees` it.

/// The SDK clients this function builds besides the table: an answer is told to the family by email.
pub type Clients = portal::app::WithMail;

mod conversations;
mod office;
mod refills;

use lambda_http::{Body, Request, Response};
use portal::access::office::only as office_only;
use portal::domain::{ConversationId, RequestId};
use portal::http::{serve, Caller};
use portal::routes::messages::Endpoint;
use portal::{App, Problem};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    serve(req, |endpoint, params, req| async move {
        let caller = Caller::from_request(&req)?;
        let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
        let id = param("patient_id");
        let conversation = || ConversationId::parse(param("conversation_id")).ok();
        let request = || RequestId::parse(param("request_id")).ok();
        // The office's routes: families get 403 before a body or parameter is judged.
        if matches!(
            endpoint,
            Endpoint::Inbox | Endpoint::Counts | Endpoint::Take | Endpoint::Close | Endpoint::ConversationNote | Endpoint::AnswerRefill
        ) {
            office_only(app, &caller).await?;
        }
        match endpoint {
            Endpoint::Conversations => conversations::list(app, &caller, id, &req).await,
            Endpoint::NewConversation => conversations::create(app, &caller, id, &req).await,
            Endpoint::Conversation => conversations::open(app, &caller, id, conversation()).await,
            Endpoint::Reply => conversations::reply(app, &caller, id, conversation(), &req).await,
            Endpoint::RefillRequests => refills::list(app, &caller, id, &req).await,
            Endpoint::NewRefillRequest => refills::create(app, &caller, id, &req).await,
            Endpoint::Inbox => office::inbox(app, &caller, &req).await,
            Endpoint::Counts => office::counts(app, &caller).await,
            Endpoint::Take => office::take(app, &caller, conversation(), &req).await,
            Endpoint::Close => office::close(app, &caller, conversation(), &req).await,
            Endpoint::ConversationNote => office::note(app, &caller, conversation(), &req).await,
            Endpoint::AnswerRefill => office::answer(app, &caller, request(), &req).await,
        }
    })
    .await
}

fn no_conversation() -> Problem {
    Problem::not_found("No conversation with this id.")
}

fn no_refill_request() -> Problem {
    Problem::not_found("No refill request with this id.")
}

/// A conflict of two people acting on one thing at once.
fn changed() -> Problem {
    Problem::conflict("Someone else changed this meanwhile. Reload it to see where it stands.")
}
