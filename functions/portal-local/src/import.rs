//! `portal-local import FILE` (or `-` for standard input): hands a FHIR Bundle to the
//! running local run at `POST /dev/fhir`, as the hospital's engine hands bundles to the
//! queue on AWS, and prints the `batch-response`. It goes through the server, not the data
//! files: the embedded table lives in the server's memory, and a second writer to its file
//! would lose one side's writes.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::io::Read;
use std::process::ExitCode;

/// Exit 0 when every entry was taken, 1 when some were refused, 2 when the bundle was not.
pub async fn run(source: Option<&str>, addr: &str) -> ExitCode {
    match post(source, addr).await {
        Ok((status, body)) => {
            println!("{body}");
            let refused = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["entry"].as_array().map(|e| e.iter().filter(|e| e["response"]["status"] == "422").count()));
            match (status, refused) {
                (200, Some(0)) => ExitCode::SUCCESS,
                (200, Some(_)) => ExitCode::from(1),
                _ => ExitCode::from(2),
            }
        }
        Err(why) => {
            eprintln!("portal-local import: {why}");
            ExitCode::from(2)
        }
    }
}

async fn post(source: Option<&str>, addr: &str) -> Result<(u16, String), String> {
    let bundle = match source {
        None => return Err("name a FHIR Bundle file, or - for standard input".into()),
        Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map_err(|e| format!("reading standard input: {e}"))?;
            buf
        }
        Some(path) => std::fs::read(path).map_err(|e| format!("{path}: {e}"))?,
    };
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let req = hyper::Request::post(format!("http://{addr}/dev/fhir"))
        .header("content-type", "application/fhir+json")
        .body(Full::new(Bytes::from(bundle)))
        .map_err(|e| e.to_string())?;
    let res = client.request(req).await.map_err(|e| format!("is the local run serving on {addr}? {e}"))?;
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.map_err(|e| format!("reading the answer: {e}"))?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}
