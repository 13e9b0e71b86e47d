//! Lab results: the list ("Latest lab results", "View all results") and one result with its
//! chart's points.

use crate::shown;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use portal::access::{self, Who};
use portal::domain::{Flag, RecordId, When};
use portal::http::{json_response, Caller, Paging};
use portal::store::audit::Action;
use portal::store::records::{self as store, Code, Kind, LabResult, LabValue, Range};
use portal::{App, Problem};
use serde::Serialize;

/// A result as lists show it.
#[derive(Serialize)]
pub struct Item<'a> {
    id: RecordId,
    name: &'a str,
    code: &'a Code,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a LabValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'a str>,
    flag: Option<Flag>,
    status: &'a str,
    effective: &'a When,
    issued: Option<&'a When>,
    #[serde(skip_serializing_if = "Option::is_none")]
    report_id: Option<RecordId>,
}

impl<'a> From<&'a LabResult> for Item<'a> {
    fn from(r: &'a LabResult) -> Self {
        Item {
            id: r.id,
            name: &r.name,
            code: &r.code,
            value: r.value.as_ref(),
            unit: r.unit.as_deref(),
            flag: r.flag,
            status: &r.status,
            effective: &r.effective,
            issued: r.issued.as_ref(),
            report_id: r.report_id,
        }
    }
}

#[derive(Serialize)]
struct Point<'a> {
    effective: &'a When,
    value: &'a LabValue,
}

#[derive(Serialize)]
struct Detail<'a> {
    #[serde(flatten)]
    item: Item<'a>,
    reference_range: Option<&'a Range>,
    interpretation: Option<&'a str>,
    note: Option<&'a str>,
    performer: Option<&'a str>,
    history: Vec<Point<'a>>,
}

pub async fn list(app: &App, caller: &Caller, id: &str, paging: Paging) -> Result<Response<Body>, Problem> {
    let grant = access::patient(app, caller, id, Who::Anyone, Action::ResultsRead).await?;
    let read: Vec<(String, LabResult)> =
        store::page(app.table.as_ref(), &grant.patient.id, Kind::Result, paging.after.as_deref(), paging.limit + 1).await?;
    let page = paging.answer_with(read, |r| grant.sees(&r).then(|| serde_json::to_value(Item::from(&r)).unwrap_or_default()));
    Ok(json_response(StatusCode::OK, &page))
}

pub async fn one(app: &App, caller: &Caller, id: &str, result: Option<RecordId>) -> Result<Response<Body>, Problem> {
    let grant = crate::one(app, caller, id, Action::ResultRead, Kind::Result, result).await?;
    let r: LabResult = shown(&grant, store::one_in(Kind::Result, grant.items.clone())?)?;
    let earlier = store::history(app.table.as_ref(), &grant.patient.id, &r.code).await?;
    let until = r.effective.sort_key();
    let history = grant.visible(earlier.into_iter().filter(|e| e.effective.sort_key() <= until).collect());
    let detail = Detail {
        item: Item::from(&r),
        reference_range: r.reference_range.as_ref(),
        interpretation: r.interpretation.as_deref(),
        note: r.note.as_deref(),
        performer: r.performer.as_deref(),
        history: history.iter().filter_map(|e| Some(Point { effective: &e.effective, value: e.value.as_ref()? })).collect(),
    };
    Ok(json_response(StatusCode::OK, &detail))
}
