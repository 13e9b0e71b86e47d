//! The three ports every function uses. Each has an embedded adapter (local run) and an
//! AWS adapter (DynamoDB, Cognito, SES); the domain code above them is written once.

use crate::domain::TotpCode;
use async_trait::async_trait;
use serde_json::{Map, Value};
use std::fmt;

/// What a dependency can answer besides success. No variant carries PHI: adapters put
/// only the dependency's error code or message into `Unavailable`/`Rejected`/`Internal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortError {
    /// A conditional write failed (item exists / is gone / version moved).
    Conflict,
    /// Credentials, session, code or token refused.
    NotAuthorized,
    NotFound,
    /// Throttled, timed out, or down: the same call may succeed later.
    Unavailable(String),
    /// The dependency refused this request for good (e.g. SES MessageRejected).
    Rejected(String),
    Internal(String),
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}
impl std::error::Error for PortError {}

pub type PortResult<T> = Result<T, PortError>;

/// An item of the single table: a JSON object holding `pk` and `sk` among its attributes.
pub type Item = Map<String, Value>;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Key { pk: pk.into(), sk: sk.into() }
    }
}

/// The precondition of one write; the whole write (or transaction) fails with
/// `PortError::Conflict` when it does not hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    None,
    /// No item with this key exists.
    Absent,
    /// An item with this key exists.
    Present,
    /// The item exists and its attribute `version` equals this number.
    Version(u64),
    /// No item with this key exists, or its string attribute `attribute` equals `value`
    /// (a retry of the write that created it).
    AbsentOrEqual {
        attribute: &'static str,
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    Put { item: Item, condition: Condition },
    Delete { key: Key, condition: Condition },
}

/// One page of a partition: the items whose sort key starts with `prefix`, strictly after
/// the sort key `after` in the page's order, at most `limit` of them.
#[derive(Debug, Clone, Copy)]
pub struct PageOf<'a> {
    pub prefix: &'a str,
    pub after: Option<&'a str>,
    pub limit: usize,
    pub newest_first: bool,
}

impl PageOf<'_> {
    /// The highest key a sort key starting with `prefix` can have.
    pub fn end(&self) -> String {
        format!("{}\u{10FFFF}", self.prefix)
    }
    /// Whether `after` (a cursor, which callers send back) lies among the prefix's keys.
    pub fn after_in_range(&self) -> bool {
        self.after.is_none_or(|a| a.starts_with(self.prefix) && a < self.end().as_str())
    }
}

/// Single-table storage: GetItem, BatchGetItem, Query on the partition key, and writes that
/// are atomic as a group (TransactWriteItems). No Scan exists, by design.
#[async_trait]
pub trait Table: Send + Sync {
    async fn get(&self, key: &Key) -> PortResult<Option<Item>>;
    /// Items for these keys that exist (any order), however many keys.
    async fn get_many(&self, keys: &[Key]) -> PortResult<Vec<Item>>;
    /// All items of partition `pk` whose sort key starts with `sk_prefix`, in sort-key order.
    async fn query(&self, pk: &str, sk_prefix: &str) -> PortResult<Vec<Item>>;
    /// One page of partition `pk`, in sort-key order (or reversed when `newest_first`).
    async fn page(&self, pk: &str, page: PageOf<'_>) -> PortResult<Vec<Item>>;
    /// How many items partition `pk` holds (a queue's length for a menu), without reading
    /// them where the store can.
    async fn count(&self, pk: &str) -> PortResult<usize> {
        Ok(self.query(pk, "").await?.len())
    }
    /// All writes happen, or none. At most 25.
    async fn write(&self, writes: Vec<Write>) -> PortResult<()>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: String,
    pub expires_in: i64,
    /// The provider's refresh token: absent on a refresh, which keeps using the same one.
    /// It never leaves the server (see `store::sessions`).
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    Tokens(Tokens),
    NewPasswordRequired {
        session: String,
    },
    /// The user has two-step sign-in on: a code from their app finishes (`respond_totp`).
    TotpRequired {
        session: String,
    },
}

/// What the identity provider needs to create a sign-in.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// The provider's immutable user name (a UUID of ours, never shown to people).
    pub user_id: &'a str,
    pub email: &'a str,
    /// The office-assigned username, kept in step as `preferred_username`.
    pub username: &'a str,
    pub temporary_password: &'a str,
    pub groups: &'a [&'a str],
}

/// Sign-in and password life cycle, shaped after Cognito. `user_id` is always the
/// provider's immutable user name, never the office-assigned username. Every call that
/// sets a password (temporary, permanent, changed or reset) ends every session of the
/// user: a refresh token from before it no longer works.
#[async_trait]
pub trait Identity: Send + Sync {
    /// Creates the user with a temporary password, or, when the user already exists
    /// (a retried creation), gives it this new temporary password. Returns the `sub`.
    async fn create_user(&self, user: &NewUser<'_>) -> PortResult<String>;
    /// A new temporary password; the old one stops working; the user must change it.
    async fn set_temporary_password(&self, user_id: &str, password: &str) -> PortResult<()>;
    /// Sets a permanent password without a challenge (the bootstrap admin, and a password
    /// reset once `auth` has checked the emailed code and the security answer).
    async fn set_permanent_password(&self, user_id: &str, password: &str) -> PortResult<()>;
    async fn sign_in(&self, user_id: &str, password: &str) -> PortResult<SignIn>;
    /// Tokens, or `TotpRequired` when the user has two-step sign-in on.
    async fn complete_new_password(&self, user_id: &str, session: &str, new_password: &str) -> PortResult<SignIn>;
    async fn refresh(&self, refresh_token: &str) -> PortResult<Tokens>;
    /// Ends every session of the user the access token belongs to.
    async fn sign_out(&self, access_token: &str) -> PortResult<()>;
    /// Ends every session of the user (a copied session token was seen).
    async fn end_sessions(&self, user_id: &str) -> PortResult<()>;
    async fn change_password(&self, access_token: &str, current: &str, new: &str) -> PortResult<()>;
    /// Disabling also ends every session of the user.
    async fn set_enabled(&self, user_id: &str, enabled: bool) -> PortResult<()>;
    async fn set_username(&self, user_id: &str, username: &str) -> PortResult<()>;
    /// A new TOTP key for the user of the access token (Cognito's AssociateSoftwareToken),
    /// in base32. It waits for `verify_totp`; until then sign-in goes on as before.
    async fn associate_totp(&self, access_token: &str) -> PortResult<String>;
    /// Checks a code of the waiting key and turns two-step sign-in on with it: from then on
    /// `sign_in` answers `TotpRequired`. A wrong code is `NotAuthorized`.
    async fn verify_totp(&self, access_token: &str, code: &TotpCode) -> PortResult<()>;
    /// Finishes a sign-in that answered `TotpRequired`. A wrong code, or one already used,
    /// is `NotAuthorized`.
    async fn respond_totp(&self, user_id: &str, session: &str, code: &TotpCode) -> PortResult<Tokens>;
    /// Turns two-step sign-in off and forgets the key (a lost phone, or a family's choice).
    /// Sessions go on; a caller that wants them ended calls `end_sessions`.
    async fn remove_totp(&self, user_id: &str) -> PortResult<()>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &Email) -> PortResult<()>;
}
