//! The bare function: answers every API Gateway event with 200 "hello", and does nothing
//! else, so its cold start is the runtime's own.

use lambda_http::{service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_: Request| async { Ok::<_, Error>(Response::new(Body::from("hello"))) })).await
}
