//! Builds the portal on the chosen backend: embedded (files under PORTAL_DATA_DIR, the
//! local identity provider, the `.eml` outbox) or AWS (PORTAL_BACKEND=aws: the SDK
//! adapters, provisioning the table, user pool, client, groups and sender identity on an
//! empty endpoint such as moto's).

use crate::routes::Apps;
use portal::adapters::embedded::{write_private, FileTable, LocalIdp, Outbox};
use portal::app::{AwsSettings, WithIdentityAndMail};
use portal::domain::{EmailAddress, NewPassword, TemporaryPassword};
use portal::jwt::{Jwks, Signer, Verifier};
use portal::ports::{Mailer, Table};
use portal::sdk::{cognito, config, dynamodb, ses};
use portal::App;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    Embedded,
    Aws,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: String,
    pub data_dir: PathBuf,
    pub backend: Backend,
    pub portal_url: String,
    pub mail_from: String,
    /// `PORTAL_STAFF_MFA=off`: staff and admins sign in without two-step sign-in (a demo on
    /// a laptop only; the template has no such switch).
    pub staff_two_step: bool,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        let addr = env_or("PORTAL_ADDR", "127.0.0.1:3000");
        let staff_two_step = match env_or("PORTAL_STAFF_MFA", "on").as_str() {
            "on" => true,
            "off" => false,
            other => return Err(format!("PORTAL_STAFF_MFA must be \"on\" or \"off\", not {other:?}")),
        };
        let backend = match env_or("PORTAL_BACKEND", "embedded").as_str() {
            "embedded" => Backend::Embedded,
            "aws" => Backend::Aws,
            other => return Err(format!("PORTAL_BACKEND must be \"embedded\" or \"aws\", not {other:?}")),
        };
        Ok(Settings {
            portal_url: env_or("PORTAL_URL", &format!("http://{addr}")),
            addr,
            data_dir: PathBuf::from(env_or("PORTAL_DATA_DIR", ".portal")),
            backend,
            mail_from: env_or("PORTAL_MAIL_FROM", "portal@example.org"),
            staff_two_step,
        })
    }
}

pub struct Local {
    /// The whole portal's state, with every client (the bootstrap admin).
    pub app: App,
    /// Each function's share of it: only the clients its Lambda builds.
    pub apps: Apps,
    /// Checks bearer tokens as API Gateway's JWT authorizer would.
    pub verifier: Verifier,
    /// The embedded backend's mail, listed at GET /dev/outbox.
    pub outbox: Option<Arc<Outbox>>,
    /// Whether the server listens on loopback only (set by `server::serve`): the outbox is
    /// listed only then.
    pub loopback: bool,
}

impl Local {
    fn new(app: App, verifier: Verifier, outbox: Option<Arc<Outbox>>) -> Self {
        Local { apps: Apps::of(&app), app, verifier, outbox, loopback: false }
    }
}

pub async fn build(s: &Settings) -> Result<Local, String> {
    let mut local = match s.backend {
        Backend::Embedded => embedded(s)?,
        Backend::Aws => aws(s).await?,
    };
    if !s.staff_two_step {
        tracing::warn!("PORTAL_STAFF_MFA=off: staff and admins sign in without two-step sign-in. For a demo on this computer only.");
        local.app.staff_two_step = false;
        local.apps = Apps::of(&local.app);
    }
    Ok(local)
}

fn embedded(s: &Settings) -> Result<Local, String> {
    private_dir(&s.data_dir)?;
    let table: Arc<dyn Table> = Arc::new(FileTable::open(s.data_dir.join("table.json"))?);
    let outbox = Arc::new(Outbox::new(s.data_dir.join("outbox"), &s.mail_from)?);
    let key_path = s.data_dir.join("idp-signing-key.der");
    let key = match std::fs::read(&key_path) {
        Ok(der) => {
            // A key file of an earlier version may be readable by others: not any more.
            set_private(&key_path, 0o600)?;
            der
        }
        Err(_) => {
            let der = Signer::generate_pkcs8()?;
            write_private(&key_path, &der).map_err(|e| format!("{}: {e}", key_path.display()))?;
            der
        }
    };
    let mailer: Arc<dyn Mailer> = outbox.clone();
    let idp = LocalIdp::new(table.clone(), Signer::from_pkcs8(&key)?, &sealing_key(&s.data_dir)?, &s.portal_url)?;
    let verifier = idp.verifier();
    let audit: Arc<dyn Table> = Arc::new(FileTable::open(s.data_dir.join("audit.json"))?);
    let app = App::new(table, audit, Arc::new(idp), mailer, &s.portal_url).with_mrn_system(std::env::var(portal::records::MRN_SYSTEM_VAR).ok());
    Ok(Local::new(app, verifier, Some(outbox)))
}

/// The key that seals two-step sign-in keys in the table, beside the signing key (mode 0600).
fn sealing_key(dir: &std::path::Path) -> Result<[u8; 32], String> {
    let path = dir.join("idp-sealing-key");
    match std::fs::read(&path) {
        Ok(bytes) => bytes.try_into().map_err(|_| format!("{}: not a 32-byte key", path.display())),
        Err(_) => {
            let key = LocalIdp::generate_sealing_key();
            write_private(&path, &key).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(key)
        }
    }
}

/// The data directory, readable by its owner only: it holds PHI, mail and the signing key.
fn private_dir(dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    set_private(dir, 0o700)
}

fn set_private(path: &std::path::Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| format!("{}: {e}", path.display()))
}

async fn aws(s: &Settings) -> Result<Local, String> {
    // The SDK's default providers (a developer's profile, say), with the functions' HTTPS client.
    let sdk = config::defaults(config::BehaviorVersion::latest()).http_client(portal::app::https_client()?).load().await;
    let region = sdk.region().map(|r| r.to_string()).ok_or("AWS_REGION is not set")?;
    let table = env_or("PORTAL_TABLE", "portal");
    let audit_table = env_or("PORTAL_AUDIT_TABLE", "portal-audit");
    let dynamodb = dynamodb::Client::new(&sdk);
    ensure_table(&dynamodb, &table).await?;
    ensure_table(&dynamodb, &audit_table).await?;
    let idp = cognito::Client::new(&sdk);
    let (user_pool_id, client_id) = match (std::env::var("PORTAL_USER_POOL_ID"), std::env::var("PORTAL_CLIENT_ID")) {
        // A deployed stack: the template made the pool, groups and sender identity.
        (Ok(pool), Ok(client)) => (pool, client),
        _ => {
            let ids = ensure_user_pool(&idp).await?;
            ensure_groups(&idp, &ids.0).await?;
            ses::Client::new(&sdk)
                .verify_email_identity()
                .email_address(&s.mail_from)
                .send()
                .await
                .map_err(|e| format!("verifying the sender: {}", ses::error::DisplayErrorContext(&e)))?;
            ids
        }
    };
    let jwks_url = match std::env::var("AWS_ENDPOINT_URL") {
        Ok(endpoint) => format!("{}/{user_pool_id}/.well-known/jwks.json", endpoint.trim_end_matches('/')),
        Err(_) => format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}/.well-known/jwks.json"),
    };
    let jwks = fetch_jwks(&jwks_url).await?;
    let verifier = Verifier { issuer: format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"), client_id: client_id.clone(), jwks };
    let settings = AwsSettings {
        table,
        audit_table,
        user_pool_id,
        client_id,
        mail_from: s.mail_from.clone(),
        portal_url: s.portal_url.clone(),
        mrn_system: std::env::var(portal::records::MRN_SYSTEM_VAR).ok(),
    };
    tracing::info!(table = %settings.table, user_pool = %settings.user_pool_id, "AWS backend ready");
    Ok(Local::new(App::aws::<WithIdentityAndMail>(&sdk, &settings), verifier, None))
}

async fn ensure_groups(idp: &cognito::Client, user_pool_id: &str) -> Result<(), String> {
    for group in ["admin", "staff"] {
        let made = idp.create_group().user_pool_id(user_pool_id).group_name(group).send().await;
        if let Err(e) = made {
            if e.as_service_error().is_none_or(|s| !s.is_group_exists_exception()) {
                return Err(format!("creating group {group}: {}", cognito::error::DisplayErrorContext(&e)));
            }
        }
    }
    Ok(())
}

async fn ensure_table(client: &dynamodb::Client, name: &str) -> Result<(), String> {
    use dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
    match client.describe_table().table_name(name).send().await {
        Ok(_) => return Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => return Err(format!("describing table {name}: {}", dynamodb::error::DisplayErrorContext(&e))),
    }
    let attr = |n: &str| AttributeDefinition::builder().attribute_name(n).attribute_type(ScalarAttributeType::S).build();
    let key = |n: &str, t| KeySchemaElement::builder().attribute_name(n).key_type(t).build();
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk").map_err(|e| e.to_string())?)
        .attribute_definitions(attr("sk").map_err(|e| e.to_string())?)
        .key_schema(key("pk", KeyType::Hash).map_err(|e| e.to_string())?)
        .key_schema(key("sk", KeyType::Range).map_err(|e| e.to_string())?)
        .send()
        .await
        .map_err(|e| format!("creating table {name}: {}", dynamodb::error::DisplayErrorContext(&e)))?;
    Ok(())
}

/// The local run's user pool and app client, found by name or made like the template's.
async fn ensure_user_pool(client: &cognito::Client) -> Result<(String, String), String> {
    use cognito::types::{
        AccountRecoverySettingType, AdminCreateUserConfigType, ExplicitAuthFlowsType, PasswordPolicyType, RecoveryOptionNameType, RecoveryOptionType,
        UserPoolPolicyType,
    };
    const NAME: &str = "portal-local";
    let err = |what: &str, e: &dyn std::fmt::Display| format!("{what}: {e}");
    let pools =
        client.list_user_pools().max_results(60).send().await.map_err(|e| err("listing user pools", &cognito::error::DisplayErrorContext(&e)))?;
    let pool_id = match pools.user_pools().iter().find(|p| p.name() == Some(NAME)).and_then(|p| p.id()) {
        Some(id) => id.to_owned(),
        None => {
            let policy = PasswordPolicyType::builder()
                .minimum_length(NewPassword::MIN as i32)
                .require_lowercase(false)
                .require_uppercase(false)
                .require_numbers(false)
                .require_symbols(false)
                .temporary_password_validity_days(TemporaryPassword::VALID_DAYS as i32)
                .build();
            let made = client
                .create_user_pool()
                .pool_name(NAME)
                .policies(UserPoolPolicyType::builder().password_policy(policy).build())
                .admin_create_user_config(AdminCreateUserConfigType::builder().allow_admin_create_user_only(true).build())
                // As the template: no self-service recovery, reset codes are the portal's.
                .account_recovery_setting(
                    AccountRecoverySettingType::builder()
                        .recovery_mechanisms(
                            RecoveryOptionType::builder()
                                .name(RecoveryOptionNameType::AdminOnly)
                                .priority(1)
                                .build()
                                .map_err(|e| err("recovery setting", &e))?,
                        )
                        .build(),
                )
                .send()
                .await
                .map_err(|e| err("creating the user pool", &cognito::error::DisplayErrorContext(&e)))?;
            let id = made.user_pool().and_then(|p| p.id()).ok_or("the new user pool has no id")?.to_owned();
            // As the template: two-step sign-in with an authenticator app, which `auth`
            // requires of staff and admins and families may turn on.
            client
                .set_user_pool_mfa_config()
                .user_pool_id(&id)
                .mfa_configuration(cognito::types::UserPoolMfaType::Optional)
                .software_token_mfa_configuration(cognito::types::SoftwareTokenMfaConfigType::builder().enabled(true).build())
                .send()
                .await
                .map_err(|e| err("setting two-step sign-in", &cognito::error::DisplayErrorContext(&e)))?;
            id
        }
    };
    let clients = client
        .list_user_pool_clients()
        .user_pool_id(&pool_id)
        .max_results(60)
        .send()
        .await
        .map_err(|e| err("listing app clients", &cognito::error::DisplayErrorContext(&e)))?;
    if let Some(id) = clients.user_pool_clients().iter().find(|c| c.client_name() == Some(NAME)).and_then(|c| c.client_id()) {
        return Ok((pool_id, id.to_owned()));
    }
    let made = client
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name(NAME)
        .generate_secret(false)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .prevent_user_existence_errors(cognito::types::PreventUserExistenceErrorTypes::Enabled)
        .send()
        .await
        .map_err(|e| err("creating the app client", &cognito::error::DisplayErrorContext(&e)))?;
    let id = made.user_pool_client().and_then(|c| c.client_id()).ok_or("the new app client has no id")?;
    Ok((pool_id, id.to_owned()))
}

async fn fetch_jwks(url: &str) -> Result<Jwks, String> {
    use http_body_util::{BodyExt, Empty};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|e| format!("TLS set-up: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let uri: lambda_http::http::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
    let res = client.get(uri).await.map_err(|e| format!("fetching {url}: {e}"))?;
    if !res.status().is_success() {
        return Err(format!("fetching {url}: HTTP {}", res.status()));
    }
    let body = res.into_body().collect().await.map_err(|e| format!("reading {url}: {e}"))?.to_bytes();
    serde_json::from_slice(&body).map_err(|e| format!("{url} is not a JWKS: {e}"))
}

/// Creates `admin` on an empty store. Its password is PORTAL_ADMIN_PASSWORD, or generated
/// and printed once; it is permanent (no first-login challenge).
pub async fn bootstrap_admin(app: &App) -> Result<(), String> {
    let (password, generated) = match std::env::var("PORTAL_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (TemporaryPassword::generate().expose().to_owned(), true),
    };
    let password = NewPassword::parse(&password, &["admin"]).map_err(|why| format!("PORTAL_ADMIN_PASSWORD {why}"))?;
    let email = EmailAddress::parse(&env_or("PORTAL_ADMIN_EMAIL", "admin@example.org")).map_err(|why| format!("PORTAL_ADMIN_EMAIL {why}"))?;
    let created = portal::onboarding::bootstrap_admin(app, &email, &password).await.map_err(|p| format!("creating admin: {}", p.detail))?;
    if created && generated {
        println!(
            "Created the hospital admin account.\n  Username: admin\n  Password: {}\nKeep it safe: it is shown only this once.",
            password.expose()
        );
    }
    Ok(())
}
