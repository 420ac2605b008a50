//! Store and API tests. Every test runs on SQLite and on PostgreSQL, each on a
//! fresh database (see `testkit`).

mod access;
mod api;
mod conflict;
mod hostile;
mod ops;
mod pages;
mod schema;
mod validation;
