//! `Idempotency-Key` on creates: the first request with a key runs; a retry with the same
//! key and body gets the first answer and creates nothing; the same key with another body
//! is refused. Records live 24 hours.

use super::{from_item, now, sha256_hex, to_item};
use crate::http::json_response;
use crate::ports::{Condition, Key, PortError, Table, Write};
use crate::problem::Problem;
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::future::Future;

const TTL_SECS: i64 = 24 * 3600;

/// Set on an answer that repeats the first one for a retried key, so the caller (and the
/// audit, see `replayed`) can tell a replay from a new create.
pub const REPLAYED: &str = "idempotent-replayed";

/// Whether an answer of `once` repeats an earlier one.
pub fn replayed(res: &Response<Body>) -> bool {
    res.headers().contains_key(REPLAYED)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    request: String,
    status: Option<u16>,
    body: Option<Value>,
}

fn key(sub: &str, idem: &str) -> Key {
    Key::new(format!("IDEM#{sub}#{idem}"), "IDEM")
}

/// What a create under a patient's path compares a retry by: the path (the patient, the
/// conversation or visit it is for: ids in any letter case) and the body, so one key used
/// for two of them is two different requests.
pub fn fingerprint(req: &lambda_http::Request) -> Vec<u8> {
    [req.uri().path().to_ascii_lowercase().as_bytes(), b"\x1f", req.body().as_ref()].concat()
}

/// Runs `create` at most once per (caller, key). Without a key it simply runs.
pub async fn once<F, Fut>(table: &dyn Table, sub: &str, idem: Option<String>, request: &[u8], create: F) -> Result<Response<Body>, Problem>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, Value), Problem>>,
{
    let Some(idem) = idem else {
        let (status, body) = create().await?;
        return Ok(json_response(status, &body));
    };
    let k = key(sub, &idem);
    let digest = sha256_hex(request);
    let pending = Record { request: digest.clone(), status: None, body: None };
    match table.write(vec![Write::Put { item: to_item(&k, &pending, Some(now() + TTL_SECS))?, condition: Condition::Absent }]).await {
        Ok(()) => {}
        Err(PortError::Conflict) => {
            let earlier = match table.get(&k).await? {
                Some(item) => from_item::<Record>(item)?,
                None => None,
            };
            return match earlier {
                Some(Record { request, .. }) if request != digest => Err(Problem::conflict("This Idempotency-Key was used for a different request.")),
                Some(Record { status: Some(status), body: Some(body), .. }) => {
                    let status = StatusCode::from_u16(status).map_err(|_| Problem::internal())?;
                    let mut res = json_response(status, &body);
                    res.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
                    Ok(res)
                }
                _ => Err(Problem::conflict("A request with this Idempotency-Key is still in progress. Retry shortly.")),
            };
        }
        Err(e) => return Err(e.into()),
    }
    match create().await {
        Ok((status, body)) => {
            let done = Record { request: digest, status: Some(status.as_u16()), body: Some(body.clone()) };
            // If this write fails the create still happened; a retry then finds the pending
            // record and is told to wait, never a second create.
            if let Ok(item) = to_item(&k, &done, Some(now() + TTL_SECS)) {
                let _ = table.write(vec![Write::Put { item, condition: Condition::Present }]).await;
            }
            Ok(json_response(status, &body))
        }
        Err(problem) => {
            // The create did not complete: free the key so the same request may be retried.
            let _ = table.write(vec![Write::Delete { key: k, condition: Condition::None }]).await;
            Err(problem)
        }
    }
}
