//! sea-orm entities: one module per table, plain mappings with no behaviour.
//! Timestamps are microseconds since the Unix epoch (see the migration crate).

pub mod alert;
pub mod alert_rule;
pub mod log_entry;
