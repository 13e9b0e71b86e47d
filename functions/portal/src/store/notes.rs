//! The office's internal notes on what a family sent (an appointment request, a
//! conversation): kept in the partition of what they are about, after its own item, and
//! never in a family's answer.
//!
//! | item | pk                                 | sk                  |
//! |------|------------------------------------|---------------------|
//! | note | APPTREQ#<id>, CONV#<id>            | NOTE#<time>#<uuid>  |

use super::{now_precise, to_item};
use crate::domain::Text;
use crate::ports::{Condition, Key, PortResult, Table, Write};
use serde::{Deserialize, Serialize};

pub const NOTE_MAX: usize = 2000;

/// The prefix of the notes' sort keys.
pub const PREFIX: &str = "NOTE#";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub text: Text<NOTE_MAX>,
    /// The username of the staff member or admin who wrote it.
    pub author: String,
    pub at: String,
}

impl Note {
    pub fn new(text: Text<NOTE_MAX>, author: String) -> Note {
        Note { text, author, at: now_precise() }
    }
}

/// Adds a note to the partition `pk`.
pub async fn add(table: &dyn Table, pk: &str, note: &Note) -> PortResult<()> {
    let key = Key::new(pk, format!("{PREFIX}{}#{}", note.at, uuid::Uuid::new_v4()));
    table.write(vec![Write::Put { item: to_item(&key, note, None)?, condition: Condition::Absent }]).await
}
