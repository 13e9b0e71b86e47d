//! Wiring only. Needs only PORTAL_URL: the user pool points at this function, so it cannot
//! be told the pool's ids without a circular dependency (and needs none).

use aws_lambda_events::event::cognito::CognitoEventUserPoolsCustomMessage;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    portal::init_logging();
    let portal_url: &'static str = Box::leak(std::env::var("PORTAL_URL").map_err(|_| "PORTAL_URL is not set")?.into_boxed_str());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<CognitoEventUserPoolsCustomMessage>| async move {
        Ok::<_, Error>(custom_message::shape(portal_url, event.payload))
    }))
    .await
}
