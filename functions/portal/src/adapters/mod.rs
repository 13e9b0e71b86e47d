//! Adapters of the ports: `embedded` (the local run: files on disk, a local identity
//! provider, an outbox), `aws` (DynamoDB, Cognito, SES: the crate's features of the same
//! names) and `not_built` (a client a function does not build).

#[cfg(feature = "aws")]
pub mod aws;
pub mod embedded;
pub mod not_built;
