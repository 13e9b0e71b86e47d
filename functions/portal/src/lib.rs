//! What every function of the portal shares: domain types, the HTTP conventions, the
//! ports (table, identity, mail) with their embedded and AWS adapters, and the entities.

pub mod access;
pub mod adapters;
pub mod app;
pub mod calls;
pub mod domain;
pub mod fhir;
pub mod http;
pub mod jwt;
pub mod messages;
pub mod onboarding;
pub mod ports;
pub mod problem;
pub mod queue;
pub mod records;
pub mod routes;
pub mod store;
pub mod trail;

pub use app::App;
pub use problem::Problem;

/// Logs as one JSON object a line, without ANSI colours, as CloudWatch reads them.
/// Handlers log ids, routes and outcomes only: never a body, a token or a name.
/// `RUST_LOG` is one level (`info` unless it names another): the per-target filter would
/// link a regular-expression engine into every function for nothing.
pub fn init_logging() {
    let level = std::env::var("RUST_LOG").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(tracing_subscriber::filter::LevelFilter::INFO);
    let _ = tracing_subscriber::fmt().json().with_max_level(level).with_target(false).with_current_span(false).without_time().try_init();
}

/// The SDK crates, re-exported so every crate of the workspace uses the same versions and
/// the same lean feature set.
#[cfg(feature = "aws")]
pub mod sdk {
    pub use aws_config as config;
    #[cfg(feature = "cognito")]
    pub use aws_sdk_cognitoidentityprovider as cognito;
    pub use aws_sdk_dynamodb as dynamodb;
    #[cfg(feature = "ses")]
    pub use aws_sdk_ses as ses;
}
