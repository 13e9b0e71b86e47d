//! "Medical Record > Lab Diagnostic Reports": the reports, and one with its conclusion and
//! its results.

use crate::results::Item;
use crate::shown;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use portal::access::{self, Who};
use portal::domain::{RecordId, When};
use portal::http::{json_response, Caller, Paging};
use portal::store::audit::Action;
use portal::store::records::{self as store, Kind, LabResult, Report};
use portal::{App, Problem};
use serde::Serialize;

#[derive(Serialize)]
struct Listed<'a> {
    id: RecordId,
    name: &'a str,
    status: &'a str,
    issued: Option<&'a When>,
    /// Of the results there, that the reader may see.
    result_count: usize,
}

#[derive(Serialize)]
struct Detail<'a> {
    id: RecordId,
    name: &'a str,
    status: &'a str,
    issued: Option<&'a When>,
    effective: Option<&'a When>,
    conclusion: Option<&'a str>,
    results: Vec<Item<'a>>,
}

pub async fn list(app: &App, caller: &Caller, id: &str, paging: Paging) -> Result<Response<Body>, Problem> {
    let grant = access::patient(app, caller, id, Who::Anyone, Action::ReportsRead).await?;
    let read: Vec<(String, Report)> =
        store::page(app.table.as_ref(), &grant.patient.id, Kind::Report, paging.after.as_deref(), paging.limit + 1).await?;
    // A report counts the results that are there to open: one read for the whole page, so
    // a result withdrawn since (entered in error) or hidden from the reader is not counted.
    let listed: Vec<RecordId> = read.iter().flat_map(|(_, r)| &r.results).filter(|x| grant.sees(*x)).map(|x| x.id).collect();
    let present = grant.visible(store::by_ids::<LabResult>(app.table.as_ref(), &grant.patient.id, Kind::Result, &listed).await?);
    let page = paging.answer_with(read, |r| {
        let listed = Listed {
            id: r.id,
            name: &r.name,
            status: &r.status,
            issued: r.issued.as_ref(),
            result_count: r.results.iter().filter(|x| present.iter().any(|p| p.id == x.id)).count(),
        };
        grant.sees(&r).then(|| serde_json::to_value(listed).unwrap_or_default())
    });
    Ok(json_response(StatusCode::OK, &page))
}

pub async fn one(app: &App, caller: &Caller, id: &str, report: Option<RecordId>) -> Result<Response<Body>, Problem> {
    let grant = crate::one(app, caller, id, Action::ReportRead, Kind::Report, report).await?;
    let r: Report = shown(&grant, store::one_in(Kind::Report, grant.items.clone())?)?;
    let ids: Vec<RecordId> = r.results.iter().filter(|x| grant.sees(*x)).map(|x| x.id).collect();
    let mut results: Vec<LabResult> = grant.visible(store::by_ids(app.table.as_ref(), &grant.patient.id, Kind::Result, &ids).await?);
    // In the report's order.
    results.sort_by_key(|x| ids.iter().position(|id| *id == x.id));
    let detail = Detail {
        id: r.id,
        name: &r.name,
        status: &r.status,
        issued: r.issued.as_ref(),
        effective: r.effective.as_ref(),
        conclusion: r.conclusion.as_deref(),
        results: results.iter().map(Item::from).collect(),
    };
    Ok(json_response(StatusCode::OK, &detail))
}
