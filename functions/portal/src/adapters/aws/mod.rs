mod cognito;
mod dynamo;
mod ses;

pub use cognito::Cognito;
pub use dynamo::Dynamo;
pub use ses::Ses;

use crate::ports::PortError;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// How an SDK error maps onto the port's errors. Only the service's error code goes into
/// the message: SDK errors can quote request data, which may hold PHI.
pub(crate) fn port_error<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>, conflict: &[&str], not_authorized: &[&str], rejected: &[&str]) -> PortError {
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

#[cfg(test)]
mod fault_tests;
