//! Adapters of the ports: `embedded` (the local run: files on disk, a local identity
//! provider, an outbox) and `aws` (DynamoDB, Cognito, SES).

pub mod aws;
pub mod embedded;
