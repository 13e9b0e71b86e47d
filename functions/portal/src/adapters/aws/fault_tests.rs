//! Fault paths of the AWS adapters, with the SDK answering as the services do (real error
//! bodies through the SDK's own deserialisers), via aws-smithy-mocks.

use super::{Cognito, Dynamo, Ses};
use crate::adapters::embedded::FileTable;
use crate::domain::{EmailAddress, Relationship, Username};
use crate::onboarding::{self, NewAccount};
use crate::ports::{Condition, Email, Identity, Key, Mailer, PortError, Table, Write};
use crate::store::accounts::{self, Creation, PatientLink};
use aws_sdk_cognitoidentityprovider as cognito;
use aws_sdk_dynamodb as dynamodb;
use aws_sdk_ses as ses;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_runtime_api::http::{Response as HttpResponse, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use std::sync::Arc;

fn json_error(kind: &str) -> HttpResponse {
    HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(format!(r#"{{"__type":"{kind}","message":"injected"}}"#)))
}

fn query_error(code: &str) -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(400).unwrap(),
        SdkBody::from(format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        )),
    )
}

fn item() -> crate::ports::Item {
    serde_json::json!({"pk": "A", "sk": "B", "version": 1}).as_object().unwrap().clone()
}

#[tokio::test]
async fn dynamodb_throttling_is_unavailable_not_a_crash() {
    let rule = mock!(dynamodb::Client::get_item)
        .then_http_response(|| json_error("com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"));
    let client = mock_client!(dynamodb, RuleMode::MatchAny, [&rule], |c| c.retry_config(RetryConfig::disabled()));
    let table = Dynamo::new(client, "portal");
    let err = table.get(&Key::new("A", "B")).await.unwrap_err();
    assert!(matches!(err, PortError::Unavailable(ref code) if code == "ProvisionedThroughputExceededException"), "{err:?}");
}

#[tokio::test]
async fn dynamodb_conditional_failures_are_conflicts_single_and_in_transactions() {
    let put = mock!(dynamodb::Client::put_item).then_http_response(|| json_error("com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"));
    let client = mock_client!(dynamodb, RuleMode::MatchAny, [&put], |c| c.retry_config(RetryConfig::disabled()));
    let table = Dynamo::new(client, "portal");
    let single = table.write(vec![Write::Put { item: item(), condition: Condition::Absent }]).await;
    assert_eq!(single, Err(PortError::Conflict));

    let tx = mock!(dynamodb::Client::transact_write_items).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(400).unwrap(),
            SdkBody::from(r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"cancelled","CancellationReasons":[{"Code":"None"},{"Code":"ConditionalCheckFailed","Message":"The conditional request failed"}]}"#),
        )
    });
    let client = mock_client!(dynamodb, RuleMode::MatchAny, [&tx], |c| c.retry_config(RetryConfig::disabled()));
    let table = Dynamo::new(client, "portal");
    let writes =
        vec![Write::Put { item: item(), condition: Condition::None }, Write::Delete { key: Key::new("C", "D"), condition: Condition::Present }];
    assert_eq!(table.write(writes).await, Err(PortError::Conflict));
}

#[tokio::test]
async fn cognito_too_many_requests_is_unavailable() {
    let rule = mock!(cognito::Client::admin_initiate_auth).then_http_response(|| json_error("TooManyRequestsException"));
    let client = mock_client!(cognito, RuleMode::MatchAny, [&rule], |c| c.retry_config(RetryConfig::disabled()));
    let idp = Cognito::new(client, "pool", "client");
    let err = idp.sign_in("user", "pw").await.unwrap_err();
    assert!(matches!(err, PortError::Unavailable(_)), "{err:?}");

    let wrong = mock!(cognito::Client::admin_initiate_auth).then_http_response(|| json_error("NotAuthorizedException"));
    let client = mock_client!(cognito, RuleMode::MatchAny, [&wrong], |c| c.retry_config(RetryConfig::disabled()));
    let idp = Cognito::new(client, "pool", "client");
    assert_eq!(idp.sign_in("user", "pw").await, Err(PortError::NotAuthorized));
}

#[tokio::test]
async fn ses_message_rejected_is_rejected() {
    let rule = mock!(ses::Client::send_email).then_http_response(|| query_error("MessageRejected"));
    let client = mock_client!(ses, RuleMode::MatchAny, [&rule], |c| c.retry_config(RetryConfig::disabled()));
    let err = Ses::new(client, "p@example.org").send(&Email { to: "a@example.org".into(), subject: "s".into(), text: "t".into() }).await.unwrap_err();
    assert_eq!(err, PortError::Rejected("MessageRejected".into()));
}

/// SES rejects the first credential email: the office gets a 503 saying to send the same
/// request again, and doing so finishes the account (one account, a working email).
#[tokio::test]
async fn a_rejected_credential_email_leaves_an_account_that_the_same_request_finishes() {
    let rule = mock!(ses::Client::send_email)
        .sequence()
        .http_response(|| query_error("MessageRejected"))
        .output(|| ses::operation::send_email::SendEmailOutput::builder().message_id("m").build().unwrap())
        .build();
    let client = mock_client!(ses, RuleMode::Sequential, [&rule], |c| c.retry_config(RetryConfig::disabled()));
    let table: Arc<dyn Table> = Arc::new(FileTable::in_memory());
    let (app, _) = crate::adapters::embedded::app_on(table.clone(), Arc::new(Ses::new(client, "p@example.org")), "http://x").unwrap();
    let link = PatientLink { patient_id: crate::domain::PatientId::new(), relationship: Relationship::Parent };
    let new = NewAccount::family(Username::parse("family1").unwrap(), EmailAddress::parse("f@example.org").unwrap(), Some(link));
    let first = onboarding::create(&app, &new).await.unwrap_err();
    assert_eq!(first.status, 503);
    let rec = accounts::get_username(table.as_ref(), &new.username).await.unwrap().unwrap();
    assert_eq!(rec.creation, Creation::EmailPending);

    let other = NewAccount { email: EmailAddress::parse("someone-else@example.org").unwrap(), ..new.clone() };
    assert_eq!(onboarding::create(&app, &other).await.unwrap_err().status, 409, "another request may not take the half-made account");

    let account = onboarding::create(&app, &new).await.unwrap();
    assert_eq!(account.user_id, rec.user_id, "the retry finished the same account");
    assert_eq!(rule.num_calls(), 2);
    let rec = accounts::get_username(table.as_ref(), &new.username).await.unwrap().unwrap();
    assert_eq!(rec.creation, Creation::Done);
    assert_eq!(onboarding::create(&app, &new).await.unwrap_err().status, 409, "a finished account is not created twice");
}

#[tokio::test]
async fn a_page_drops_the_item_it_starts_after_and_follows_short_answers() {
    use crate::ports::PageOf;
    use dynamodb::operation::query::QueryOutput;
    use dynamodb::types::AttributeValue;
    let attrs = |sk: &str| {
        std::collections::HashMap::from([("pk".to_owned(), AttributeValue::S("A".into())), ("sk".to_owned(), AttributeValue::S(sk.into()))])
    };
    // The first answer holds the `after` item and stops short (as at DynamoDB's 1 MB), so
    // the adapter asks again from where it stopped.
    let first = mock!(dynamodb::Client::query)
        .match_requests(|q| q.exclusive_start_key().is_none() && q.limit() == Some(3) && !q.scan_index_forward().unwrap_or(true))
        .then_output(move || {
            QueryOutput::builder().items(attrs("5")).items(attrs("4")).last_evaluated_key("sk", AttributeValue::S("4".into())).build()
        });
    let second = mock!(dynamodb::Client::query)
        .match_requests(|q| q.exclusive_start_key().is_some())
        .then_output(move || QueryOutput::builder().items(attrs("3")).items(attrs("2")).items(attrs("1")).build());
    let client = mock_client!(dynamodb, RuleMode::MatchAny, [&first, &second]);
    let table = Dynamo::new(client, "audit");
    let page = table.page("A", PageOf { prefix: "", after: Some("5"), limit: 2, newest_first: true }).await.unwrap();
    let sks: Vec<_> = page.iter().map(crate::store::sk_of).collect();
    assert_eq!(sks, ["4", "3"]);
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
}

/// Issue 11: an entry of a FHIR bundle is filed in one TransactWriteItems with its source
/// item. When DynamoDB fails that write, nothing of the entry exists (no item was put or
/// deleted on its own), and the bundle is answered 503 so the sender sends it again.
#[tokio::test]
async fn a_dynamodb_failure_while_filing_an_entry_leaves_nothing_of_it() {
    use dynamodb::operation::batch_get_item::BatchGetItemOutput;
    use dynamodb::operation::get_item::GetItemOutput;
    use dynamodb::types::AttributeValue;
    use std::collections::HashMap;
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let patient = crate::domain::PatientId::new();
    let secret = mock!(dynamodb::Client::get_item)
        .match_requests(|r| r.key().and_then(|k| k.get("pk")).is_some_and(|pk| pk == &AttributeValue::S("CONFIG".into())))
        .then_output(move || {
            let item = HashMap::from([("pk".into(), s("CONFIG")), ("sk".into(), s("SECRET")), ("secret".into(), s(&"ab".repeat(32)))]);
            GetItemOutput::builder().set_item(Some(item)).build()
        });
    // The MRN names one patient: its claim in one clinic.
    let claims = mock!(dynamodb::Client::batch_get_item).then_output(move || {
        let claim = HashMap::from([
            ("pk".into(), s("CLINIC#pediatric-cardiology")),
            ("sk".into(), s("MRNCLAIM#A100")),
            ("id".into(), s(&patient.to_string())),
        ]);
        BatchGetItemOutput::builder().responses("portal", vec![claim]).build()
    });
    let unfiled = mock!(dynamodb::Client::get_item).then_output(|| GetItemOutput::builder().build());
    let filing = mock!(dynamodb::Client::transact_write_items)
        .match_requests(|t| t.transact_items().len() == 4 && t.transact_items().iter().all(|i| i.put().is_some()))
        .then_http_response(|| {
            HttpResponse::new(
                StatusCode::try_from(500).unwrap(),
                SdkBody::from(r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected"}"#),
            )
        });
    let put_alone = mock!(dynamodb::Client::put_item).then_output(|| dynamodb::operation::put_item::PutItemOutput::builder().build());
    let delete_alone = mock!(dynamodb::Client::delete_item).then_output(|| dynamodb::operation::delete_item::DeleteItemOutput::builder().build());
    let rules = [&secret, &claims, &unfiled, &filing, &put_alone, &delete_alone];
    let client = mock_client!(dynamodb, RuleMode::MatchAny, rules, |c| c.retry_config(RetryConfig::disabled()));
    let table: Arc<dyn Table> = Arc::new(Dynamo::new(client, "portal"));
    let outbox = crate::adapters::embedded::Outbox::new(std::env::temp_dir().join(format!("ft-{}", uuid::Uuid::new_v4())), "p@example.org").unwrap();
    let (app, _) = crate::adapters::embedded::app_on(table, Arc::new(outbox), "http://x").unwrap();

    let bundle = serde_json::json!({"resourceType": "Bundle", "type": "batch", "entry": [{"resource": {
        "resourceType": "Observation", "id": "lab-1", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}], "text": "Hemoglobin"},
        "subject": {"identifier": {"system": crate::app::DEFAULT_MRN_SYSTEM, "value": "A100"}},
        "effectiveDateTime": "2026-03-04T09:30:00Z", "valueQuantity": {"value": 12.9, "unit": "g/dL"}}}]});
    let problem = crate::records::ingest(&app, bundle.to_string().as_bytes()).await.err().expect("a failed filing is not a success");
    assert_eq!(problem.status, 503);
    assert_eq!(filing.num_calls(), 1, "the source item, the result by id, by time and in its code's history: one transaction");
    assert_eq!((put_alone.num_calls(), delete_alone.num_calls()), (0, 0), "nothing of the entry was written outside it (nor an import record)");
    assert_eq!((secret.num_calls(), claims.num_calls(), unfiled.num_calls()), (1, 1, 1));
}
