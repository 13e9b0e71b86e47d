//! `portal-local`: the whole portal in one process on 127.0.0.1:3000 (the local run).
//!
//! `portal-local`            serve (PORTAL_BACKEND=embedded, the default, or aws)
//! `portal-local --routes`   print every route with its function and authorizer, as JSON
//! `portal-local --audit-ids` print the ids of audit actions and security events, as JSON
//! `portal-local bootstrap-admin`  create `admin` on the configured backend and exit
//! `portal-local import FILE|-`    hand a FHIR Bundle to the running local run (`POST /dev/fhir`)

use portal_local::{backend, import, routes, server};

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    if arg.as_deref() == Some("--routes") {
        println!("{}", serde_json::to_string_pretty(&routes::table()).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    if arg.as_deref() == Some("--audit-ids") {
        let ids = serde_json::json!({
            "actions": portal::store::audit::Action::ALL,
            "security_events": portal::store::security::Event::ALL,
        });
        println!("{ids:#}");
        return ExitCode::SUCCESS;
    }
    if arg.as_deref() == Some("import") {
        let addr = std::env::var("PORTAL_ADDR").ok().filter(|a| !a.is_empty()).unwrap_or_else(|| "127.0.0.1:3000".into());
        return import::run(std::env::args().nth(2).as_deref(), &addr).await;
    }
    portal::init_logging();
    let result = async {
        let settings = backend::Settings::from_env()?;
        let local = backend::build(&settings).await?;
        backend::bootstrap_admin(&local.app).await?;
        if arg.as_deref() == Some("bootstrap-admin") {
            return Ok(());
        }
        server::serve(local, &settings.addr).await
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("portal-local: {why}");
            ExitCode::FAILURE
        }
    }
}
