//! The query layer. GraphQL resolvers and REST handlers both call these functions
//! with the same filter and page types, so a REST call and its GraphQL twin return
//! the same rows by construction. Nothing here knows about HTTP or GraphQL.

pub mod alerts;
pub mod ingest;
pub mod logs;
pub mod page;
pub mod report;
pub mod retention;
pub mod rules;
pub mod stats;
pub mod status;
