//! The state a function builds once per cold start and hands to every request.

use crate::adapters::aws::{Cognito, Dynamo, RecordAction, Ses};
use crate::ports::{Identity, Mailer, PortResult, Table};
use std::sync::Arc;
use tokio::sync::OnceCell;

pub struct App {
    pub table: Arc<dyn Table>,
    /// The access audit's own append-only table (see `store::audit`).
    pub audit: Arc<dyn Table>,
    pub identity: Arc<dyn Identity>,
    pub mailer: Arc<dyn Mailer>,
    /// The portal's public address, for links in emails.
    pub portal_url: String,
    /// The `system` of the identifiers that carry the hospital's MRNs, in what its clinical
    /// systems send and in what the portal exports.
    pub mrn_system: String,
    secret: OnceCell<Vec<u8>>,
}

/// Where the AWS resources are: from the function's environment (set by the template),
/// or found/provisioned by the local run.
#[derive(Debug, Clone)]
pub struct AwsSettings {
    pub table: String,
    pub audit_table: String,
    pub user_pool_id: String,
    pub client_id: String,
    pub mail_from: String,
    pub portal_url: String,
    /// Set for the functions that read or write FHIR; the others keep the default.
    pub mrn_system: Option<String>,
}

/// The local run's MRN system unless `PORTAL_MRN_SYSTEM` names the hospital's.
pub const DEFAULT_MRN_SYSTEM: &str = "urn:oid:2.16.840.1.113883.19.5";

impl AwsSettings {
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("environment variable {name} is not set"));
        Ok(AwsSettings {
            table: var("PORTAL_TABLE")?,
            audit_table: var("PORTAL_AUDIT_TABLE")?,
            user_pool_id: var("PORTAL_USER_POOL_ID")?,
            client_id: var("PORTAL_CLIENT_ID")?,
            mail_from: var("PORTAL_MAIL_FROM")?,
            portal_url: var("PORTAL_URL")?,
            mrn_system: std::env::var(crate::records::MRN_SYSTEM_VAR).ok(),
        })
    }
}

impl App {
    pub fn new(table: Arc<dyn Table>, audit: Arc<dyn Table>, identity: Arc<dyn Identity>, mailer: Arc<dyn Mailer>, portal_url: &str) -> Self {
        App {
            table,
            audit,
            identity,
            mailer,
            portal_url: portal_url.trim_end_matches('/').to_owned(),
            mrn_system: DEFAULT_MRN_SYSTEM.to_owned(),
            secret: OnceCell::new(),
        }
    }

    pub fn with_mrn_system(mut self, system: Option<String>) -> Self {
        if let Some(system) = system.filter(|s| !s.is_empty()) {
            self.mrn_system = system;
        }
        self
    }

    /// The AWS backend: SDK clients built once from one shared configuration.
    pub fn aws(sdk: &aws_config::SdkConfig, settings: &AwsSettings) -> Self {
        let ses = aws_sdk_ses::config::Builder::from(sdk).interceptor(RecordAction("ses")).build();
        let mailer: Arc<dyn Mailer> = Arc::new(Ses::new(aws_sdk_ses::Client::from_conf(ses), &settings.mail_from));
        let cognito = aws_sdk_cognitoidentityprovider::config::Builder::from(sdk).interceptor(RecordAction("cognito-idp")).build();
        let identity = Cognito::new(aws_sdk_cognitoidentityprovider::Client::from_conf(cognito), &settings.user_pool_id, &settings.client_id);
        let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
        let table = Dynamo::new(dynamodb.clone(), &settings.table);
        let audit = Dynamo::new(dynamodb, &settings.audit_table);
        App::new(Arc::new(table), Arc::new(audit), Arc::new(identity), mailer, &settings.portal_url).with_mrn_system(settings.mrn_system.clone())
    }

    /// What a Lambda function runs on.
    pub async fn from_env() -> Result<Self, String> {
        let settings = AwsSettings::from_env()?;
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Ok(App::aws(&sdk, &settings))
    }

    /// The deployment's server secret, read once per cold start.
    pub async fn secret(&self) -> PortResult<&[u8]> {
        self.secret.get_or_try_init(|| crate::store::secret::get_or_create(self.table.as_ref())).await.map(Vec::as_slice)
    }
}
