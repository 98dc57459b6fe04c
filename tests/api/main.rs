//! Integration tests: the real server on port 0, driven over HTTP as a client would.
//! One binary for all of them (faster to link); each `db_test!` runs on every
//! configured backend.

mod common;

mod alerts;
mod auth;
mod cli;
mod durability;
mod graphql;
mod hostile;
mod ingest;
mod loki;
mod loki_clients;
mod multiprocess;
mod paging;
mod report_csv;
mod rest;
mod schema_file;
mod stats;
mod status;
mod subscriptions;
