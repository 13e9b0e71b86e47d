//! Wiring only: clients built once per cold start, then every request to `auth::handle`.

use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    portal::init_logging();
    let app: &'static portal::App = Box::leak(Box::new(portal::App::from_env::<auth::Clients>().await?));
    lambda_http::run(service_fn(move |req: Request| async move { Ok::<_, Error>(auth::handle(app, req).await) })).await
}
