//! What the hospital's admins watch: "Security events" (sign-ins, lock-outs, password
//! changes and resets, and what the office did to accounts, newest first, with the accounts
//! by username) and "Imports" (the bundles the hospital's systems sent, and what was refused).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::office::Scope;
use portal::http::{json_response, Caller};
use portal::store::{accounts, imports, security};
use portal::trail;
use portal::{App, Problem};
use serde::Serialize;

#[derive(Serialize)]
struct Entry {
    at: String,
    event: security::Event,
    outcome: String,
    /// The usernames of the acting and the target account, where there is one.
    actor: Option<String>,
    target: Option<String>,
    request_id: String,
}

pub async fn page(app: &App, caller: &Caller, req: &Request) -> Result<Response<Body>, Problem> {
    // Security events are keyed like the access audit: the same paging and cursor check.
    let paging = trail::paging(req)?;
    Scope::admin(app, caller).await?;
    let read = security::page(app.audit.as_ref(), paging.after.as_deref(), paging.limit + 1).await?;
    let mut subs: Vec<&str> = read.iter().flat_map(|(_, r)| [r.actor.as_deref(), r.target.as_deref()]).flatten().collect();
    subs.sort_unstable();
    subs.dedup();
    let known = accounts::get_many(app.table.as_ref(), &subs).await?;
    let username = |sub: &Option<String>| {
        let sub = sub.as_deref()?;
        known.iter().find(|a| a.sub == sub).map(|a| a.username.to_string())
    };
    let entries = read
        .iter()
        .map(|(sk, r)| {
            let entry = Entry {
                at: r.at.clone(),
                event: r.event,
                outcome: r.outcome.clone(),
                actor: username(&r.actor),
                target: username(&r.target),
                request_id: r.request_id.clone(),
            };
            (sk.clone(), entry)
        })
        .collect();
    Ok(json_response(StatusCode::OK, &paging.answer(entries)))
}

pub async fn imports(app: &App, caller: &Caller, req: &Request) -> Result<Response<Body>, Problem> {
    // Imports are keyed like the access audit: the same paging and cursor check.
    let paging = trail::paging(req)?;
    Scope::admin(app, caller).await?;
    let read = imports::page(app.table.as_ref(), paging.after.as_deref(), paging.limit + 1).await?;
    Ok(json_response(StatusCode::OK, &paging.answer(read)))
}
