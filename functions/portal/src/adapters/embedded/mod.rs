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

/// Writes a file only its owner may read or write (mode 0600): the embedded backend's files
/// hold PHI, mail with temporary passwords, and the signing key.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    // A file that existed before keeps its mode through open: set it.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(bytes)
}

/// A portal on the given table and mailer with a local identity provider under a fresh
/// signing key: for tests that need a whole portal, some of it their own (a failing
/// table, a mocked SES).
pub fn app_on(table: Arc<dyn Table>, mailer: Arc<dyn Mailer>, portal_url: &str) -> Result<(App, Verifier), String> {
    let idp = LocalIdp::new(table.clone(), Signer::from_pkcs8(&Signer::generate_pkcs8()?)?, &LocalIdp::generate_sealing_key(), portal_url)?;
    let verifier = idp.verifier();
    Ok((App::new(table, Arc::new(FileTable::in_memory()), Arc::new(idp), mailer, portal_url), verifier))
}

/// The embedded backend entirely in memory, mail into a temporary outbox.
pub fn in_memory(portal_url: &str) -> Result<(App, Verifier, Arc<Outbox>), String> {
    let outbox = Arc::new(Outbox::new(std::env::temp_dir().join(format!("portal-outbox-{}", uuid::Uuid::new_v4())), "portal@example.org")?);
    let (app, verifier) = app_on(Arc::new(FileTable::in_memory()), outbox.clone(), portal_url)?;
    Ok((app, verifier, outbox))
}
