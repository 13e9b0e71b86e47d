//! Wiring only. The pages are built into the binary: no AWS client is built at all.

use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    portal::init_logging();
    lambda_http::run(service_fn(|req: Request| async move { Ok::<_, Error>(web::handle(&req)) })).await
}
