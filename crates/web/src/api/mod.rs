//! The JSON API under `/api/v1`, described by [`openapi`] at `/api/openapi.json`.
//!
//! Scripts authenticate with a bearer token (`backbone token create`); the
//! browser may use its session cookie plus `X-CSRF-Token` for writes. Errors are
//! `{ "error": code, "message": …, "fields": {…} }`. Updates must carry the
//! `version` they were based on; a stale one gets 409 with the current values.

mod agenda;
mod cases;
mod cases_import;
mod decisions;
mod extract;
mod fund;
mod funding;
mod funding_transitions;
mod measurement;
mod meeting_room;
mod meetings;
pub mod openapi;
mod platform;
mod records;
mod referrals;
mod surveys;

pub use extract::{
    ApiJson, ApiPath, ApiQuery, ArchiveJson, BodyField, JsonType, ListBody, Paging, body_fields_of,
};
use platform::*;
pub use records::hsds_document;
use records::*;

use domain::access::Action;

use crate::kinds::Kind;
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    use Access::{Account, Admin, Public};
    #[allow(non_snake_case)]
    let In = |action| Access::Initiative(action, "initiative");
    let r = r
        .get("/api/openapi.json", Public, openapi::document)
        .get("/api/v1/me", Account, me)
        .get("/api/v1/networks", Account, list_networks)
        .post("/api/v1/networks", Admin, create_network)
        .get("/api/v1/networks/{id}", Account, get_network)
        .put("/api/v1/networks/{id}", Admin, update_network)
        .post("/api/v1/networks/{id}/archive", Admin, archive_network)
        .post("/api/v1/networks/{id}/restore", Admin, restore_network)
        .get("/api/v1/initiatives", Account, list_initiatives)
        .post("/api/v1/initiatives", Admin, create_initiative)
        .get(
            "/api/v1/initiatives/{slug}",
            In(Action::Read),
            get_initiative,
        )
        .put(
            "/api/v1/initiatives/{slug}",
            In(Action::Update),
            update_initiative,
        )
        .post(
            "/api/v1/initiatives/{slug}/archive",
            In(Action::Archive),
            archive_initiative,
        )
        .post(
            "/api/v1/initiatives/{slug}/restore",
            Admin,
            restore_initiative,
        )
        .get(
            "/api/v1/initiatives/{slug}/table",
            In(Action::Read),
            table_view,
        )
        .get(
            "/api/v1/initiatives/{slug}/audit",
            In(Action::ReadAudit),
            audit,
        )
        .get("/api/v1/initiatives/{slug}/hsds", In(Action::Read), hsds);
    let r = crate::kinds::KINDS.iter().fold(r, |r, k| (k.api)(r));
    let r = agenda::routes(r);
    let r = measurement::routes(r);
    let r = funding::routes(r);
    let r = funding_transitions::routes(r);
    let r = fund::routes(r);
    let r = meetings::routes(r);
    let r = meeting_room::routes(r);
    let r = decisions::routes(r);
    let r = cases::routes(r);
    let r = cases_import::routes(r);
    let r = referrals::routes(r);
    surveys::routes(r)
}

/// The API routes of one kind of registry record (see [`crate::kinds::KINDS`]).
pub fn kind_routes<T: Kind>(r: Routes) -> Routes {
    let base = format!("/api/v1/initiatives/{{slug}}/{}", T::PATH);
    let on = |action| Access::record(action, T::KIND);
    let r = r
        .get(&base, on(Action::Read), list::<T>)
        .post(&base, on(Action::Create), create::<T>)
        .get(&format!("{base}/{{id}}"), on(Action::Read), get_one::<T>)
        .put(&format!("{base}/{{id}}"), on(Action::Update), update::<T>)
        .post(
            &format!("{base}/{{id}}/archive"),
            on(Action::Archive),
            archive::<T>,
        )
        .post(
            &format!("{base}/{{id}}/restore"),
            on(Action::Restore),
            restore::<T>,
        );
    let r = if T::MERGE {
        r.post(
            &format!("{base}/{{id}}/merge"),
            on(Action::Archive),
            records::merge::<T>,
        )
    } else {
        r
    };
    if crate::access::contact_fields::<T>().is_empty() {
        return r;
    }
    r.post(
        &format!("{base}/{{id}}/erase"),
        on(Action::Update),
        erase::<T>,
    )
}
