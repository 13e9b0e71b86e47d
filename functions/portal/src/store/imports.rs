//! What the hospital's systems sent: one record per bundle received, with its counts and
//! the reasons its refused entries were refused, for the admins' "Imports" page. No PHI:
//! reasons are the portal's own words, and no name, id or value of a resource is kept.
//! Records expire after 90 days.
//!
//! | item   | pk      | sk                                        |
//! |--------|---------|-------------------------------------------|
//! | import | IMPORTS | <time, microseconds>#<uuid> (as `audit`) |

use super::now_precise;
use super::{now, to_item};
use crate::ports::{Condition, Key, PageOf, PortResult, Table, Write};
use serde::{Deserialize, Serialize};

const PARTITION: &str = "IMPORTS";
const KEEP_SECS: i64 = 90 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    /// The entry's place in the bundle, from 0.
    pub index: usize,
    pub resource_type: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Import {
    pub id: String,
    pub received: String,
    pub entries: usize,
    pub accepted: usize,
    pub refused: usize,
    pub refusals: Vec<Refusal>,
    /// Why the whole bundle was refused (not JSON, not a Bundle, too large...), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Import {
    pub fn new(entries: usize, refusals: Vec<Refusal>, problem: Option<String>) -> Self {
        Import {
            id: uuid::Uuid::new_v4().to_string(),
            received: now_precise(),
            entries,
            accepted: entries - refusals.len(),
            refused: refusals.len(),
            refusals,
            problem,
        }
    }
}

pub async fn record(table: &dyn Table, import: &Import) -> PortResult<()> {
    let key = Key::new(PARTITION, format!("{}#{}", import.received, import.id));
    table.write(vec![Write::Put { item: to_item(&key, import, Some(now() + KEEP_SECS))?, condition: Condition::Absent }]).await
}

/// One page of imports, newest first, after the one whose sort key is `after`.
pub async fn page(table: &dyn Table, after: Option<&str>, limit: usize) -> PortResult<Vec<(String, Import)>> {
    super::page_of(table, PARTITION, PageOf { prefix: "", after, limit, newest_first: true }).await
}
