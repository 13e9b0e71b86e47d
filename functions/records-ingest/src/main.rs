//! Wiring only: clients built once per cold start, then every SQS batch to
//! `records_ingest::handle`.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    portal::init_logging();
    let app: &'static portal::App = Box::leak(Box::new(portal::App::from_env::<records_ingest::Clients>().await?));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(records_ingest::handle(app, event.payload).await)
    }))
    .await
}
