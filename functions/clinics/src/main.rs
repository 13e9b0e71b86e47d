//! Wiring only. The clinic list is static: no AWS client is built at all.

use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    portal::init_logging();
    lambda_http::run(service_fn(|req: Request| async move { Ok::<_, Error>(clinics::handle(req).await) })).await
}
