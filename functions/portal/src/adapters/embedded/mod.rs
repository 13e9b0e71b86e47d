mod file_table;
mod local_idp;
mod outbox;

pub use file_table::FileTable;
pub use local_idp::LocalIdp;
pub use outbox::Outbox;

use crate::jwt::{Signer, Verifier};
use crate::ports::{Mailer, Table};
use crate::App;
use std::sync::Arc;

/// The embedded backend entirely in memory (mail into a temporary outbox): for tests of
/// handlers that need a whole portal but no files of their own.
pub fn in_memory(portal_url: &str) -> Result<(App, Verifier, Arc<Outbox>), String> {
    let table: Arc<dyn Table> = Arc::new(FileTable::in_memory());
    let outbox = Arc::new(Outbox::new(std::env::temp_dir().join(format!("portal-outbox-{}", uuid::Uuid::new_v4())), "portal@example.org")?);
    let mailer: Arc<dyn Mailer> = outbox.clone();
    let idp = LocalIdp::new(table.clone(), mailer.clone(), Signer::from_pkcs8(&Signer::generate_pkcs8()?)?, portal_url);
    let verifier = idp.verifier();
    Ok((App::new(table, Arc::new(idp), mailer, portal_url), verifier, outbox))
}
