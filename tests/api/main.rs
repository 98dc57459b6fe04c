//! Integration tests: the real server on port 0, driven over HTTP as a client would.
//! One binary for all of them (faster to link); each `db_test!` runs on every
//! configured backend.

mod common;

mod alerts;
mod auth;
mod bench;
mod browser;
mod cli;
mod durability;
mod graphql;
mod hostile;
mod ingest;
mod loki;
mod loki_clients;
mod metrics;
mod multiprocess;
mod openapi;
mod paging;
mod report_csv;
mod report_url;
mod rest;
mod retention;
mod schema_file;
mod shutdown;
mod stats;
mod status;
mod subscriptions;
