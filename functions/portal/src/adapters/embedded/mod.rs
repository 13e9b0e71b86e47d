mod file_table;
mod local_idp;
mod outbox;

pub use file_table::FileTable;
pub use local_idp::LocalIdp;
pub use outbox::Outbox;
