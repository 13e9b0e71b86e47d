//! Every API Gateway event in events/ reaches its function's handler (no 404/405) and gets
//! a well-formed answer that is not a server error; signed-in events act as the bootstrap
//! admin; `$default` events reach `web`. Also the CLI's route table.

use portal::domain::{EmailAddress, NewPassword};
use portal::routes::Function;
use std::path::PathBuf;

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

#[tokio::test]
async fn every_route_event_is_answered_by_its_function() {
    let (app, _, _) = portal::adapters::embedded::in_memory("http://127.0.0.1:3000").unwrap();
    let password = NewPassword::parse("violet kettle marching uphill", &[]).unwrap();
    portal::onboarding::bootstrap_admin(&app, &EmailAddress::parse("admin@example.org").unwrap(), &password).await.unwrap();
    let admin = portal::store::accounts::get_username(app.table.as_ref(), &portal::domain::Username::parse("admin").unwrap()).await.unwrap().unwrap();
    let admin_sub = admin.sub.unwrap();

    // Each function with only its own clients, as on AWS: an event needing another is a 500.
    let apps = portal_local::routes::Apps::of(&app);
    let mut answered = std::collections::HashSet::new();
    for &function in Function::ALL {
        let (name, routes) = (function.name(), function.routes());
        let dir = events_dir().join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        assert!(!files.is_empty(), "no events for {name}");
        for file in files {
            let mut event: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            if let Some(claims) = event.pointer_mut("/requestContext/authorizer/jwt/claims") {
                claims["sub"] = serde_json::Value::String(admin_sub.clone());
            }
            let route_key = event["routeKey"].as_str().unwrap().to_owned();
            assert!(
                routes.iter().any(|r| format!("{} {}", r.method, r.path) == route_key),
                "{}: {route_key} is not a route of {name}",
                file.display()
            );
            let req = lambda_http::request::from_str(&event.to_string()).unwrap();
            let res = portal_local::routes::handle(function, &apps, req).await;
            let status = res.status().as_u16();
            assert!(status < 500 && status != 405, "{}: {status}", file.display());
            if status >= 400 {
                assert_eq!(res.headers()["content-type"], "application/problem+json", "{}", file.display());
                let body: serde_json::Value = serde_json::from_slice(res.body().as_ref()).unwrap();
                assert!(!body["type"].as_str().unwrap().ends_with("/no-such-route"), "{}: not routed", file.display());
            }
            answered.insert(route_key);
        }
    }
    let routes: usize = Function::ALL.iter().map(|f| f.routes().len()).sum();
    assert_eq!(answered.len(), routes, "a route without an event");
}

/// API Gateway's `$default` route goes to `web`: pages for page paths, the portal's own
/// 404/405 problem for any other `/api/...` request.
#[test]
fn default_route_events_are_answered_by_web() {
    let dir = events_dir().join("web");
    let (mut pages, mut api) = (0, 0);
    for file in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
        let event: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(event["routeKey"], "$default", "{}", file.display());
        let res = web::handle(&lambda_http::request::from_str(&event.to_string()).unwrap());
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        if event["rawPath"].as_str().unwrap().starts_with("/api/") {
            assert!(matches!(res.status().as_u16(), 404 | 405), "{}", file.display());
            assert_eq!(content_type, "application/problem+json");
            api += 1;
        } else {
            assert_eq!((res.status().as_u16(), content_type.as_str()), (200, "text/html; charset=utf-8"), "{}", file.display());
            pages += 1;
        }
    }
    assert!(pages > 0 && api > 0, "events/web/ needs a page event and an /api event");
}

#[test]
fn routes_flag_prints_the_table() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portal-local")).arg("--routes").output().unwrap();
    assert!(out.status.success());
    let table: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(table.len(), Function::ALL.iter().map(|f| f.routes().len()).sum::<usize>());
    assert!(table.iter().any(|r| r["method"] == "PUT"
        && r["path"] == "/api/admin/accounts/{username}/username"
        && r["function"] == "accounts"
        && r["auth"] == "jwt"));
    assert!(table
        .iter()
        .any(|r| r["method"] == "GET" && r["path"] == "/api/patients/{patient_id}/demographics" && r["function"] == "profile" && r["auth"] == "jwt"));
}
