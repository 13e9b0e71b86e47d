//! Accounts, the office-assigned username that points at each, and the links from an
//! account to the patients it may act for.

use super::{from_item, pk_of, sk_of, to_item};
use crate::domain::{PatientId, PersonName, QuestionId, Relationship, Role, SecretHash, Username};
use crate::ports::{Condition, Item, Key, PortResult, Table, Write};
use serde::{Deserialize, Serialize};

/// Where a new account is in its creation. Creation is a resumable sequence (reserve the
/// username, create the sign-in, store the account, send the email), so a failure at any
/// step is repaired by simply repeating the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Creation {
    Reserved,
    EmailPending,
    Done,
}

/// `USERNAME#<lower>`: the unique, case-insensitive username and what it points at.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UsernameRecord {
    pub username: Username,
    /// The identity provider's immutable user name.
    pub user_id: String,
    pub sub: Option<String>,
    pub creation: Creation,
    /// Digest of what the creating request asked for: a repeat may resume, another may not.
    pub request: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub sub: String,
    pub user_id: String,
    pub username: Username,
    pub email: String,
    /// Staff and admins only: account holders' names are the patients' business.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<(PersonName, PersonName)>,
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Clinic ids, for staff.
    #[serde(default)]
    pub clinics: Vec<String>,
    #[serde(default)]
    pub answers: Vec<(QuestionId, SecretHash)>,
    /// Two-step sign-in is on (the identity provider holds the key).
    #[serde(default)]
    pub two_step: bool,
    pub enabled: bool,
    pub version: u64,
}

impl Account {
    /// "admin", "staff" or "family": the highest role the account holds.
    pub fn kind(&self) -> &'static str {
        [Role::Admin, Role::Staff].into_iter().find(|r| self.roles.contains(r)).map_or("family", |r| r.group())
    }
    /// Staff and admins: they reach many patients' records, so two-step sign-in is required.
    pub fn is_hospital_person(&self) -> bool {
        self.roles.iter().any(|r| matches!(r, Role::Admin | Role::Staff))
    }
    /// "Given Family", for the staff and admins who have a name here.
    pub fn full_name(&self) -> Option<String> {
        self.name.as_ref().map(|(given, family)| format!("{} {}", given.as_str(), family.as_str()))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatientLink {
    pub patient_id: PatientId,
    pub relationship: Relationship,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct HolderLink {
    sub: String,
    relationship: Relationship,
}

pub fn username_key(username: &Username) -> Key {
    Key::new(format!("USERNAME#{}", username.key()), "USERNAME")
}

pub fn account_key(sub: &str) -> Key {
    Key::new(format!("ACCOUNT#{sub}"), "ACCOUNT")
}

pub async fn get_username(table: &dyn Table, username: &Username) -> PortResult<Option<UsernameRecord>> {
    match table.get(&username_key(username)).await? {
        Some(item) => from_item(item),
        None => Ok(None),
    }
}

/// Claims the username; `Conflict` when anyone holds it, in any letter case.
pub async fn reserve_username(table: &dyn Table, rec: &UsernameRecord) -> PortResult<()> {
    let item = to_item(&username_key(&rec.username), rec, None)?;
    table.write(vec![Write::Put { item, condition: Condition::Absent }]).await
}

pub async fn set_username_record(table: &dyn Table, rec: &UsernameRecord) -> PortResult<()> {
    let item = to_item(&username_key(&rec.username), rec, None)?;
    table.write(vec![Write::Put { item, condition: Condition::Present }]).await
}

/// The account, and the links to its patients, in one Query.
pub async fn get_account(table: &dyn Table, sub: &str) -> PortResult<Option<(Account, Vec<PatientLink>)>> {
    let items = table.query(&format!("ACCOUNT#{sub}"), "").await?;
    let mut account = None;
    let mut links = Vec::new();
    for item in items {
        if sk_of(&item) == "ACCOUNT" {
            account = from_item::<Account>(item)?;
        } else if sk_of(&item).starts_with("PATIENT#") {
            links.extend(from_item::<PatientLink>(item)?);
        }
    }
    Ok(account.map(|a| (a, links)))
}

/// The account, its link to one patient (when it has one) and the items of the other keys
/// given, in one BatchGetItem: the access check reads the caller's side and the patient's
/// in a single round trip.
pub async fn get_with_link(
    table: &dyn Table,
    sub: &str,
    patient_id: &PatientId,
    more: &[Key],
) -> PortResult<(Option<Account>, Option<PatientLink>, Vec<Item>)> {
    let (account_key, (link_key, _)) = (account_key(sub), link_keys(sub, patient_id));
    let keys: Vec<Key> = [account_key.clone(), link_key.clone()].into_iter().chain(more.iter().cloned()).collect();
    let (mut account, mut link, mut rest) = (None, None, Vec::new());
    for item in table.get_many(&keys).await? {
        let pk = pk_of(&item);
        if pk == account_key.pk && sk_of(&item) == account_key.sk {
            account = from_item::<Account>(item)?;
        } else if pk == link_key.pk && sk_of(&item) == link_key.sk {
            link = from_item::<PatientLink>(item)?;
        } else {
            rest.push(item);
        }
    }
    Ok((account, link, rest))
}

/// An account (the caller's, say) and a username's record, in one BatchGetItem.
pub async fn get_account_and_username(
    table: &dyn Table,
    sub: &str,
    username: Option<&Username>,
) -> PortResult<(Option<Account>, Option<UsernameRecord>)> {
    let keys: Vec<Key> = std::iter::once(account_key(sub)).chain(username.map(username_key)).collect();
    let (mut account, mut record) = (None, None);
    for item in table.get_many(&keys).await? {
        if sk_of(&item) == "ACCOUNT" {
            account = from_item::<Account>(item)?;
        } else {
            record = from_item::<UsernameRecord>(item)?;
        }
    }
    Ok((account, record))
}

pub async fn get_account_only(table: &dyn Table, sub: &str) -> PortResult<Option<Account>> {
    match table.get(&account_key(sub)).await? {
        Some(item) => from_item(item),
        None => Ok(None),
    }
}

/// Several accounts by `sub`, in as few round trips as BatchGetItem allows.
pub async fn get_many(table: &dyn Table, subs: &[&str]) -> PortResult<Vec<Account>> {
    if subs.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<Key> = subs.iter().map(|s| account_key(s)).collect();
    let mut out = Vec::new();
    for item in table.get_many(&keys).await? {
        out.extend(from_item::<Account>(item)?);
    }
    Ok(out)
}

/// Stores a newly created account and its patient link (if any) and moves the username
/// record on, all at once. Repeating it after a partial failure writes the same items.
pub async fn store_new_account(table: &dyn Table, account: &Account, link: Option<&PatientLink>, rec: &UsernameRecord) -> PortResult<()> {
    let mut writes = vec![
        Write::Put { item: to_item(&account_key(&account.sub), account, None)?, condition: Condition::None },
        Write::Put { item: to_item(&username_key(&rec.username), rec, None)?, condition: Condition::Present },
    ];
    if let Some(link) = link {
        writes.extend(link_writes(&account.sub, link)?);
    }
    table.write(writes).await
}

/// Both directions of a link: the account lists its patients, the patient its holders.
fn link_keys(sub: &str, patient_id: &PatientId) -> (Key, Key) {
    (Key::new(format!("ACCOUNT#{sub}"), format!("PATIENT#{patient_id}")), Key::new(format!("PATIENT#{patient_id}"), format!("ACCOUNT#{sub}")))
}

/// `PATIENT#<id>` / `OWNER`: which account is the patient's own. Written with the link in
/// one transaction, on the condition that no other account holds it, so two racing
/// requests can never give one patient two own accounts.
fn owner_key(patient_id: &PatientId) -> Key {
    Key::new(format!("PATIENT#{patient_id}"), "OWNER")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Owner {
    sub: String,
}

fn link_writes(sub: &str, link: &PatientLink) -> PortResult<Vec<Write>> {
    let (fwd, back) = link_keys(sub, &link.patient_id);
    let holder = HolderLink { sub: sub.to_owned(), relationship: link.relationship };
    let mut writes = vec![
        Write::Put { item: to_item(&fwd, link, None)?, condition: Condition::None },
        Write::Put { item: to_item(&back, &holder, None)?, condition: Condition::None },
    ];
    if link.relationship == Relationship::Own {
        let owner = Owner { sub: sub.to_owned() };
        // A repeated write of the same link (a resumed account creation) holds too.
        let condition = Condition::AbsentOrEqual { attribute: "sub", value: sub.to_owned() };
        writes.push(Write::Put { item: to_item(&owner_key(&link.patient_id), &owner, None)?, condition });
    }
    Ok(writes)
}

/// Lets the account act for one more patient; `Conflict` when it is to be the patient's own
/// account and the patient has another.
pub async fn link(table: &dyn Table, sub: &str, link: &PatientLink) -> PortResult<()> {
    table.write(link_writes(sub, link)?).await
}

/// Ends the account's link to the patient (and, for an own account, its claim).
pub async fn unlink(table: &dyn Table, sub: &str, link: &PatientLink) -> PortResult<()> {
    let (fwd, back) = link_keys(sub, &link.patient_id);
    let mut writes = vec![Write::Delete { key: fwd, condition: Condition::None }, Write::Delete { key: back, condition: Condition::None }];
    if link.relationship == Relationship::Own {
        writes.push(Write::Delete { key: owner_key(&link.patient_id), condition: Condition::None });
    }
    table.write(writes).await
}

/// The accounts that hold a link to the patient, with their relationship.
pub async fn holders(table: &dyn Table, patient_id: &PatientId) -> PortResult<Vec<(String, Relationship)>> {
    let mut out = Vec::new();
    for item in table.query(&format!("PATIENT#{patient_id}"), "ACCOUNT#").await? {
        out.extend(from_item::<HolderLink>(item)?.map(|h| (h.sub, h.relationship)));
    }
    Ok(out)
}

/// Writes the account if nobody changed it since it was read (optimistic concurrency).
pub async fn update_account(table: &dyn Table, account: &Account) -> PortResult<Account> {
    let mut next = account.clone();
    next.version += 1;
    let item = to_item(&account_key(&next.sub), &next, None)?;
    table.write(vec![Write::Put { item, condition: Condition::Version(account.version) }]).await?;
    Ok(next)
}

/// Moves an account to a new username atomically: the new name is claimed (or the whole
/// change fails with `Conflict`), the old mapping goes, the account records the new name.
pub async fn rename(table: &dyn Table, account: &Account, old: &UsernameRecord, new: Username) -> PortResult<Account> {
    let mut next = account.clone();
    next.username = new.clone();
    next.version += 1;
    let new_rec = UsernameRecord { username: new, ..old.clone() };
    let mut writes = vec![Write::Put { item: to_item(&account_key(&next.sub), &next, None)?, condition: Condition::Version(account.version) }];
    if username_key(&new_rec.username) == username_key(&old.username) {
        // Only the letter case changes: the same mapping item is rewritten.
        writes.push(Write::Put { item: to_item(&username_key(&new_rec.username), &new_rec, None)?, condition: Condition::Present });
    } else {
        writes.push(Write::Put { item: to_item(&username_key(&new_rec.username), &new_rec, None)?, condition: Condition::Absent });
        writes.push(Write::Delete { key: username_key(&old.username), condition: Condition::Present });
    }
    table.write(writes).await?;
    Ok(next)
}
