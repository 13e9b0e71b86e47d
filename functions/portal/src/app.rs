//! The state a function builds once per cold start and hands to every request, and which
//! SDK clients it builds (`Clients`).

use crate::adapters::not_built::NotBuilt;
use crate::ports::{Identity, Mailer, PortResult, Table};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// The clients a function builds besides the table: the ones its routes call, and no other.
/// Each client costs cold-start time and binary size (issue 14), so each function's crate
/// names its set (`pub type Clients = …`), its `main.rs` builds that set
/// (`App::from_env::<Clients>()`), and the local run hands each function an `App` holding only
/// that set (`App::only`). A route that calls a client its function lacks answers 500 and logs
/// it on both backends, so the scenario suite shows the sets are right.
pub trait Clients {
    /// Cognito: sign-in and account changes.
    const IDENTITY: bool;
    /// SES: credential, reset and notification emails.
    const MAIL: bool;
}

/// The table alone (`profile`, `records`).
pub enum TableOnly {}
/// The table and SES (`records-ingest`, `appointments`, `messages`: they notify families).
pub enum WithMail {}
/// The table, Cognito and SES (`auth`, `accounts`, and the local run as a whole).
pub enum WithIdentityAndMail {}

impl Clients for TableOnly {
    const IDENTITY: bool = false;
    const MAIL: bool = false;
}
impl Clients for WithMail {
    const IDENTITY: bool = false;
    const MAIL: bool = true;
}
impl Clients for WithIdentityAndMail {
    const IDENTITY: bool = true;
    const MAIL: bool = true;
}

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
    /// Whether staff and admins must pass two-step sign-in: always on AWS; the local run's
    /// `PORTAL_STAFF_MFA=off` relaxes it for a demo on a laptop.
    pub staff_two_step: bool,
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
            staff_two_step: true,
            secret: OnceCell::new(),
        }
    }

    pub fn with_mrn_system(mut self, system: Option<String>) -> Self {
        if let Some(system) = system.filter(|s| !s.is_empty()) {
            self.mrn_system = system;
        }
        self
    }

    /// This app with only the clients of `C`: the others are `NotBuilt`. The local run's
    /// `App` for one function.
    pub fn only<C: Clients>(&self) -> App {
        App {
            table: self.table.clone(),
            audit: self.audit.clone(),
            identity: if C::IDENTITY { self.identity.clone() } else { Arc::new(NotBuilt("cognito-idp")) },
            mailer: if C::MAIL { self.mailer.clone() } else { Arc::new(NotBuilt("ses")) },
            portal_url: self.portal_url.clone(),
            mrn_system: self.mrn_system.clone(),
            staff_two_step: self.staff_two_step,
            secret: OnceCell::new(),
        }
    }

    /// The deployment's server secret, read once per cold start.
    pub async fn secret(&self) -> PortResult<&[u8]> {
        self.secret.get_or_try_init(|| crate::store::secret::get_or_create(self.table.as_ref())).await.map(Vec::as_slice)
    }
}

#[cfg(feature = "aws")]
mod aws {
    use super::{App, AwsSettings, Clients};
    use crate::adapters::aws::Dynamo;
    use crate::adapters::not_built::NotBuilt;
    use crate::ports::{Identity, Mailer};
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
    use aws_smithy_runtime_api::client::http::SharedHttpClient;
    use std::sync::Arc;

    /// The roots AWS's endpoints chain to (Amazon Trust Services: Amazon Root CA 1 to 4 and
    /// Starfield Services Root CA G2), compiled in: reading and parsing the host's whole
    /// certificate store cost more at each cold start than the rest of the clients' set-up.
    const AMAZON_ROOTS: [&[u8]; 5] = [
        include_bytes!("adapters/aws/roots/AmazonRootCA1.pem"),
        include_bytes!("adapters/aws/roots/AmazonRootCA2.pem"),
        include_bytes!("adapters/aws/roots/AmazonRootCA3.pem"),
        include_bytes!("adapters/aws/roots/AmazonRootCA4.pem"),
        include_bytes!("adapters/aws/roots/SFSRootCAG2.pem"),
    ];

    /// The one HTTPS client every SDK client of the process shares.
    pub fn https_client() -> Result<SharedHttpClient, String> {
        let trust = AMAZON_ROOTS.iter().fold(TrustStore::empty().with_native_roots(false), |t, pem| t.with_pem_certificate(*pem));
        let tls = TlsContext::builder().with_trust_store(trust).build().map_err(|e| format!("TLS set-up: {e}"))?;
        Ok(aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc)).tls_context(tls).build_https())
    }

    /// A Lambda function's SDK configuration. Lambda puts the region and the role's
    /// credentials in the environment, so the function reads them there and links none of
    /// the SDK's other providers (profile files, SSO, STS, the instance metadata service).
    /// Built directly rather than by `aws_config::defaults(..).load()`, whose loaders look for
    /// profile files and settings on a blocking thread at every cold start; the service
    /// clients' own defaults give retries, timeouts, the sleep and the clock.
    fn lambda_sdk_config() -> Result<aws_config::SdkConfig, String> {
        use aws_sdk_dynamodb::config::SharedCredentialsProvider;
        let region = std::env::var("AWS_REGION").map_err(|_| "environment variable AWS_REGION is not set".to_owned())?;
        Ok(aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region))
            .credentials_provider(SharedCredentialsProvider::new(aws_config::environment::EnvironmentVariableCredentialsProvider::new()))
            .http_client(https_client()?)
            .build())
    }

    impl App {
        /// The AWS backend with the clients of `C`, each built once from one shared configuration.
        pub fn aws<C: Clients>(sdk: &aws_config::SdkConfig, settings: &AwsSettings) -> Self {
            let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
            let table = Dynamo::new(dynamodb.clone(), &settings.table);
            let audit = Dynamo::new(dynamodb, &settings.audit_table);
            App::new(Arc::new(table), Arc::new(audit), identity::<C>(sdk, settings), mailer::<C>(sdk, settings), &settings.portal_url)
                .with_mrn_system(settings.mrn_system.clone())
        }

        /// What a Lambda function runs on.
        pub async fn from_env<C: Clients>() -> Result<Self, String> {
            let settings = AwsSettings::from_env()?;
            Ok(App::aws::<C>(&lambda_sdk_config()?, &settings))
        }
    }

    /// The Lambda configuration makes calls that work (the tests' AWS backend is the local
    /// run's configuration, not this one): signed with the environment's keys for its region,
    /// and retried after a 500, so the retry policy, the sleep and the clock are there. Only the
    /// HTTP client is replaced, by one that answers as DynamoDB would.
    #[cfg(test)]
    #[tokio::test]
    async fn the_lambda_configuration_signs_and_retries_a_call() {
        use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
        use aws_smithy_types::body::SdkBody;
        let exchange = |status: u16, body: &'static str| {
            let request = http::Request::builder().uri("https://dynamodb.eu-west-3.amazonaws.com/").body(SdkBody::empty()).unwrap();
            ReplayEvent::new(request, http::Response::builder().status(status).body(SdkBody::from(body)).unwrap())
        };
        let replay = StaticReplayClient::new(vec![exchange(500, "{}"), exchange(200, r#"{"TableNames":[]}"#)]);
        // No other test of this crate reads these variables.
        std::env::set_var("AWS_REGION", "eu-west-3");
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDLAMBDATEST");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "secret");
        let sdk = lambda_sdk_config().unwrap().into_builder().http_client(replay.clone()).build();
        let tables = aws_sdk_dynamodb::Client::new(&sdk).list_tables().send().await.unwrap();
        assert!(tables.table_names().is_empty());
        let sent: Vec<String> = replay.actual_requests().map(|r| r.headers().get("authorization").unwrap_or_default().to_owned()).collect();
        assert_eq!(sent.len(), 2, "the 500 is retried once");
        assert!(sent.iter().all(|a| a.contains("Credential=AKIDLAMBDATEST/") && a.contains("/eu-west-3/dynamodb/aws4_request")), "{sent:?}");
    }

    // `C::IDENTITY` and `C::MAIL` are constants of each function's set: the branch a function
    // does not take is not compiled into it, and with it the SDK client's code.
    fn identity<C: Clients>(sdk: &aws_config::SdkConfig, settings: &AwsSettings) -> Arc<dyn Identity> {
        const { assert!(!C::IDENTITY || cfg!(feature = "cognito"), "a function that builds Cognito needs the portal crate's `cognito` feature") };
        #[cfg(feature = "cognito")]
        if C::IDENTITY {
            use crate::adapters::aws::{Cognito, RecordAction};
            let config = aws_sdk_cognitoidentityprovider::config::Builder::from(sdk).interceptor(RecordAction("cognito-idp")).build();
            return Arc::new(Cognito::new(aws_sdk_cognitoidentityprovider::Client::from_conf(config), &settings.user_pool_id, &settings.client_id));
        }
        let _ = (sdk, settings);
        Arc::new(NotBuilt("cognito-idp"))
    }

    fn mailer<C: Clients>(sdk: &aws_config::SdkConfig, settings: &AwsSettings) -> Arc<dyn Mailer> {
        const { assert!(!C::MAIL || cfg!(feature = "ses"), "a function that builds SES needs the portal crate's `ses` feature") };
        #[cfg(feature = "ses")]
        if C::MAIL {
            use crate::adapters::aws::{RecordAction, Ses};
            let config = aws_sdk_ses::config::Builder::from(sdk).interceptor(RecordAction("ses")).build();
            return Arc::new(Ses::new(aws_sdk_ses::Client::from_conf(config), &settings.mail_from));
        }
        let _ = (sdk, settings);
        Arc::new(NotBuilt("ses"))
    }
}

#[cfg(feature = "aws")]
pub use aws::https_client;
