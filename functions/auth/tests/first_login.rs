//! First login stores the security answers after the identity provider accepted the new
//! password. When that write fails the first login is undone, so no account is left with a
//! password but no security questions, and doing it again succeeds.

use async_trait::async_trait;
use lambda_http::{Body, Request};
use portal::adapters::embedded::{FileTable, Outbox};
use portal::domain::{EmailAddress, Username};
use portal::onboarding::{self, NewAccount};
use portal::ports::{Item, Key, PageOf, PortError, PortResult, Table, Write};
use portal::App;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The embedded table, except that writes of account items fail while `broken` is set.
struct AccountWritesFail {
    inner: FileTable,
    broken: AtomicBool,
}

#[async_trait]
impl Table for AccountWritesFail {
    async fn get(&self, key: &Key) -> PortResult<Option<Item>> {
        self.inner.get(key).await
    }
    async fn get_many(&self, keys: &[Key]) -> PortResult<Vec<Item>> {
        self.inner.get_many(keys).await
    }
    async fn query(&self, pk: &str, sk_prefix: &str) -> PortResult<Vec<Item>> {
        self.inner.query(pk, sk_prefix).await
    }
    async fn page(&self, pk: &str, page: PageOf<'_>) -> PortResult<Vec<Item>> {
        self.inner.page(pk, page).await
    }
    async fn write(&self, writes: Vec<Write>) -> PortResult<()> {
        let account_sk = portal::store::accounts::account_key("any").sk;
        let touches_account = writes.iter().any(|w| matches!(w, Write::Put { item, .. } if item["sk"] == account_sk.as_str()));
        if touches_account && self.broken.load(Ordering::SeqCst) {
            return Err(PortError::Unavailable("injected".into()));
        }
        self.inner.write(writes).await
    }
}

fn post(path: &str, body: Value) -> Request {
    lambda_http::http::Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn call(app: &App, path: &str, body: Value) -> (u16, Value) {
    let res = auth::handle(app, post(path, body)).await;
    let status = res.status().as_u16();
    (status, serde_json::from_slice(res.body().as_ref()).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_failed_answers_write_undoes_the_first_login_and_a_second_one_succeeds() {
    let table = Arc::new(AccountWritesFail { inner: FileTable::in_memory(), broken: AtomicBool::new(false) });
    let outbox = Arc::new(Outbox::new(std::env::temp_dir().join(format!("fl-{}", uuid::Uuid::new_v4())), "p@example.org").unwrap());
    let (app, _) = portal::adapters::embedded::app_on(table.clone(), outbox.clone(), "http://x").unwrap();
    let new = NewAccount::family(Username::parse("family7").unwrap(), EmailAddress::parse("f7@example.org").unwrap(), None);
    onboarding::create(&app, &new).await.unwrap();
    let mail = outbox.list().remove(0).text;
    let temporary = mail.lines().find_map(|l| l.strip_prefix("Temporary password: ")).unwrap().to_owned();
    let chosen = "violet kettle marching uphill";
    let questions = json!([
        {"question_id": "first-pet", "answer": "Rex"},
        {"question_id": "first-car", "answer": "Volvo"},
        {"question_id": "first-job", "answer": "Bakery"},
    ]);
    let challenge = |password: &str| json!({"username": "family7", "password": password});

    let (status, body) = call(&app, "/api/auth/login", challenge(&temporary)).await;
    assert_eq!((status, body["challenge"].as_str()), (200, Some("NEW_PASSWORD_REQUIRED")));
    table.broken.store(true, Ordering::SeqCst);
    let first = json!({"username": "family7", "session": body["session"], "new_password": chosen, "security_questions": questions});
    let (status, _) = call(&app, "/api/auth/first-login", first).await;
    assert_eq!(status, 503);
    table.broken.store(false, Ordering::SeqCst);

    // Undone: the chosen password leads to the first-login challenge again, not to tokens.
    let (status, body) = call(&app, "/api/auth/login", challenge(chosen)).await;
    assert_eq!((status, body["challenge"].as_str()), (200, Some("NEW_PASSWORD_REQUIRED")), "{body}");
    let again = json!({"username": "family7", "session": body["session"], "new_password": chosen, "security_questions": questions});
    let (status, body) = call(&app, "/api/auth/first-login", again).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());

    let rec = portal::store::accounts::get_username(table.as_ref(), &new.username).await.unwrap().unwrap();
    let account = portal::store::accounts::get_account_only(table.as_ref(), rec.sub.as_deref().unwrap()).await.unwrap().unwrap();
    assert_eq!(account.answers.len(), 3);
}
