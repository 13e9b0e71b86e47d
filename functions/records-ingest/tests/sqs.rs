//! `events/records-ingest/three-bundles-one-bad.json`, an SQS batch of three bundles whose
//! second is cut off, through the function: only the bad message comes back as a failure,
//! the good ones are filed, and the same batch again files nothing twice.

use aws_lambda_events::sqs::SqsEvent;
use portal::domain::{BirthDate, PatientId, PersonName};
use portal::store::patients::{self, Patient};
use portal::store::records::{self, Immunization, Kind, LabResult};
use std::path::PathBuf;

const PATIENT: &str = "3c2f6d1a-8b4e-4f7a-9c1d-2e5b7a9f0c13";
const BAD: &str = "8e7f6a5b-4c3d-4e2f-8a1b-0c9d8e7f6a5b";

fn event() -> SqsEvent {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/records-ingest/three-bundles-one-bad.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn only_the_bad_bundle_is_reported_and_a_second_delivery_changes_nothing() {
    let (app, _, _) = portal::adapters::embedded::in_memory("http://127.0.0.1:3000").unwrap();
    let name = |s: &str| PersonName::parse(s).unwrap();
    let patient = Patient {
        id: PatientId::parse(PATIENT).unwrap(),
        ..Patient::new(name("Ava"), name("Example"), BirthDate::parse("2019-02-11").unwrap(), "pediatric-primary-care", None)
    };
    patients::create(app.table.as_ref(), &patient).await.unwrap();

    for delivery in 1..=2 {
        let response = records_ingest::handle(&app, event()).await;
        let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(failed, [BAD], "delivery {delivery}");

        let results: Vec<(String, LabResult)> = records::page(app.table.as_ref(), &patient.id, Kind::Result, None, 10).await.unwrap();
        assert_eq!(results.len(), 1, "delivery {delivery}");
        let (_, hemoglobin) = &results[0];
        assert_eq!((hemoglobin.name.as_str(), hemoglobin.code.code.as_str(), hemoglobin.status.as_str()), ("Hemoglobin", "718-7", "final"));
        assert_eq!(hemoglobin.value, Some(records::LabValue::Number(12.9)));
        let shots: Vec<Immunization> = records::immunizations(app.table.as_ref(), &patient.id).await.unwrap();
        assert_eq!(shots.len(), 1, "delivery {delivery}");
        assert_eq!((shots[0].vaccine.cvx.as_str(), shots[0].dose_number), ("20", Some(3)));
    }
    // Each delivery of each bundle is one import record; the bad one says why.
    let imports = portal::store::imports::page(app.table.as_ref(), None, 10).await.unwrap();
    assert_eq!(imports.len(), 6);
    assert_eq!(imports.iter().filter(|(_, i)| i.problem.as_deref() == Some("The body is not JSON.")).count(), 2);
}
