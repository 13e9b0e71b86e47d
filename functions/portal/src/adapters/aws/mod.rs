#[cfg(feature = "cognito")]
mod cognito;
mod dynamo;
#[cfg(feature = "ses")]
mod ses;

#[cfg(feature = "cognito")]
pub use cognito::Cognito;
pub use dynamo::Dynamo;
#[cfg(feature = "ses")]
pub use ses::Ses;

use crate::ports::PortError;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Records every call of an SDK client as its IAM action (`<service prefix>:<operation>`)
/// for the request's log line (see `calls`). DynamoDB's adapter records its own, per table.
#[derive(Debug)]
pub struct RecordAction(pub &'static str);

impl Intercept for RecordAction {
    fn name(&self) -> &'static str {
        "RecordAction"
    }
    // Not `read_before_execution`: a client's interceptor runs that before the operation's
    // configuration (with its `Metadata`) is loaded.
    fn read_before_serialization(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(op) = cfg.load::<Metadata>() {
            crate::calls::action(format!("{}:{}", self.0, op.name()));
        }
        Ok(())
    }
}

/// How an SDK error maps onto the port's errors. Only the service's error code goes into
/// the message: SDK errors can quote request data, which may hold PHI.
pub(crate) fn port_error<E: ProvideErrorMetadata, R>(
    err: &SdkError<E, R>,
    conflict: &[&str],
    not_authorized: &[&str],
    rejected: &[&str],
) -> PortError {
    match err {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown");
            if conflict.contains(&code) {
                PortError::Conflict
            } else if not_authorized.contains(&code) {
                PortError::NotAuthorized
            } else if rejected.contains(&code) {
                PortError::Rejected(code.to_owned())
            } else if THROTTLED.contains(&code) {
                PortError::Unavailable(code.to_owned())
            } else {
                PortError::Internal(code.to_owned())
            }
        }
        SdkError::TimeoutError(_) => PortError::Unavailable("timeout".into()),
        SdkError::DispatchFailure(_) => PortError::Unavailable("dispatch failure".into()),
        SdkError::ResponseError(_) => PortError::Unavailable("unreadable response".into()),
        _ => PortError::Internal("request could not be built".into()),
    }
}

/// Retrying later may succeed.
const THROTTLED: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "InternalErrorException",
    "ServiceUnavailable",
    "TooManyRequestsException",
    "LimitExceededException",
    "TransactionConflictException",
];

#[cfg(all(test, feature = "cognito", feature = "ses"))]
mod fault_tests;
