//! The `records-ingest` function: the hospital's systems put FHIR Bundles on the records
//! queue, and this files them (`portal::records::ingest`), one message a bundle. A bundle
//! that was read is done, whatever its entries' outcomes: a refused entry is refused for
//! good, and the admins see it under "Imports". A bundle that was not (not a Bundle, or the
//! store failed part-way) is reported back by its message id, so the queue delivers it
//! again and, after its last try, moves it to the dead-letter queue, which raises an alarm.
//! Only failed messages come back (`ReportBatchItemFailures`), and applying a bundle twice
//! changes nothing, so a retry never repeats or loses a record.

/// The SDK clients this function builds besides the table: new records are told to the family by email.
pub type Clients = portal::app::WithMail;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use portal::App;

pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.unwrap_or_default();
        let body = message.body.unwrap_or_default();
        match portal::records::ingest(app, body.as_bytes()).await {
            Ok(done) => tracing::info!(message_id = %id, refused = done.refused, "bundle filed"),
            Err(problem) => {
                tracing::warn!(message_id = %id, status = problem.status.as_u16(), "bundle not filed: the queue delivers it again");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
        }
    }
    response
}
