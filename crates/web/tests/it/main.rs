//! Store and API tests. Every test runs on SQLite and on PostgreSQL, each on a
//! fresh database (see `testkit`).

mod access;
mod accounts;
mod agenda_api;
mod agenda_pages;
mod api;
mod cases_api;
mod cases_conferencing_pages;
mod cases_import;
mod cases_pages;
mod cases_referrals;
mod cases_store;
mod conflict;
mod fund;
mod fund_api;
mod funding_ledger;
mod funding_records;
mod funding_transitions;
mod hostile;
mod mail_outbox;
mod matrix;
mod measurement_api;
mod measurement_pages;
mod measurement_store;
mod measurement_upload;
mod meetings_calendar;
mod meetings_decisions;
mod meetings_pages;
mod meetings_room;
mod ops;
mod pages;
mod registry;
mod schema;
mod surveys;
mod validation;
mod work_plans;
