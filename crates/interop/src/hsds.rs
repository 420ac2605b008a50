//! The services directory as Open Referral HSDS 3.0.
//!
//! [`export`] turns an initiative's organizations, locations and services into
//! the three HSDS 3.0 core objects: `organizations`, `services` and
//! `service_at_locations` (each with its location nested, the way the HSDS API
//! returns it). Every item is meant to validate against the official compiled
//! schemas (`organization.json`, `service.json`, `service_at_location.json`);
//! the tests in `tests/hsds_schema.rs` check exactly that.
//!
//! HSDS ids must be UUIDs, while Backbone's ids are integers per table. Each
//! HSDS id is therefore a name-based UUID (version 5) of (initiative id, kind,
//! numeric id) — things that never change, unlike a slug a coordinator may edit:
//! the same record gets the same id on every export, so a directory that imports
//! the feed twice updates its entries instead of duplicating them.
//!
//! What is left out: archived records, services and locations whose
//! organization is archived or missing, and `service_at_location` entries whose
//! location is archived or missing (the service itself is still listed).

use std::collections::BTreeMap;

use domain::partnership::{Location, Organization, Service};
use domain::resource::Record;
use domain::validation::is_org_identifier;
use serde_json::{Map, Value, json};

/// The kinds of HSDS object Backbone gives an id to (the `kind` of [`stable_id`]).
/// They are part of the name an id is derived from, so they must never change
/// once published.
pub mod kind {
    pub const ORGANIZATION: &str = "organization";
    pub const ORGANIZATION_IDENTIFIER: &str = "organization_identifier";
    pub const SERVICE: &str = "service";
    pub const LOCATION: &str = "location";
    pub const ADDRESS: &str = "address";
    pub const SERVICE_AT_LOCATION: &str = "service_at_location";
}

/// Backbone's namespace for name-based UUIDs (itself a random version 4 UUID),
/// so that our ids cannot collide with another system hashing similar names.
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_bytes([
    0x6f, 0x1c, 0x2a, 0x4e, 0x93, 0x0d, 0x4b, 0x57, 0xa6, 0x21, 0x58, 0xd3, 0x0c, 0x7e, 0x94, 0xb2,
]);

/// The HSDS 3.0 document of one initiative's services directory:
/// `{ "organizations": [...], "services": [...], "service_at_locations": [...] }`.
///
/// Items keep the order of the input slices, so the same input gives the same
/// document byte for byte.
pub fn export(
    initiative_id: i64,
    organizations: &[Record<Organization>],
    locations: &[Record<Location>],
    services: &[Record<Service>],
) -> Value {
    let ids = Ids(initiative_id);
    let live_orgs: BTreeMap<i64, &Record<Organization>> = organizations
        .iter()
        .filter(|o| !o.archived)
        .map(|o| (o.id, o))
        .collect();
    // A location of an archived organization is no longer a place anyone can go.
    let live_locations: BTreeMap<i64, &Record<Location>> = locations
        .iter()
        .filter(|l| !l.archived && live_orgs.contains_key(&l.data.organization_id))
        .map(|l| (l.id, l))
        .collect();
    let live_services: Vec<&Record<Service>> = services
        .iter()
        .filter(|s| !s.archived && live_orgs.contains_key(&s.data.organization_id))
        .collect();

    let service_at_locations: Vec<Value> = live_services
        .iter()
        .filter_map(|s| {
            let location = live_locations.get(&s.data.location_id?)?;
            Some(service_at_location(&ids, s, location))
        })
        .collect();

    json!({
        "organizations": organizations
            .iter()
            .filter(|o| !o.archived)
            .map(|o| organization(&ids, o))
            .collect::<Vec<_>>(),
        "services": live_services.iter().map(|s| service(&ids, s)).collect::<Vec<_>>(),
        "service_at_locations": service_at_locations,
    })
}

/// The stable HSDS id of a Backbone record: a name-based (version 5) UUID of
/// (`initiative_id`, `kind`, `id`) in Backbone's namespace, lowercase and
/// hyphenated. None of the three ever changes.
pub fn stable_id(initiative_id: i64, kind: &str, id: i64) -> String {
    let name = format!("initiative/{initiative_id}/{kind}/{id}");
    uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes())
        .hyphenated()
        .to_string()
}

/// Ids within one initiative.
struct Ids(i64);

impl Ids {
    fn of(&self, kind: &str, id: i64) -> String {
        stable_id(self.0, kind, id)
    }
}

/// An HSDS `organization`. `description` is required by the schema, so it is
/// sent even when Backbone has none.
fn organization(ids: &Ids, org: &Record<Organization>) -> Value {
    let id = ids.of(kind::ORGANIZATION, org.id);
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert("name".into(), json!(org.data.name));
    out.insert("description".into(), json!(org.data.description));
    put_opt(&mut out, "website", org.data.website.as_deref());
    if let Some(identifier) = org
        .data
        .identifier
        .as_deref()
        .and_then(|s| organization_identifier(ids, org.id, &id, s))
    {
        out.insert("organization_identifiers".into(), json!([identifier]));
    }
    Value::Object(out)
}

/// An org-id identifier such as `IL-RA-580123456`, split the way HSDS wants it:
/// `identifier_scheme` is the org-id.guide list code (`IL-RA`) and `identifier`
/// the value within that list (`580123456`), as in the schema's own example
/// (`GB-COH` / `1234567`). `None` for empty or non-org-id values, whose scheme
/// we could not name.
fn organization_identifier(
    ids: &Ids,
    org_id: i64,
    org_uuid: &str,
    identifier: &str,
) -> Option<Value> {
    let identifier = identifier.trim();
    if !is_org_identifier(identifier) {
        return None;
    }
    // org-id: two-letter country (or XI/XM), list code, then the value, which may itself contain '-'.
    let mut parts = identifier.splitn(3, '-');
    let (country, list, value) = (parts.next()?, parts.next()?, parts.next()?);
    Some(json!({
        "id": ids.of(kind::ORGANIZATION_IDENTIFIER, org_id),
        "organization_id": org_uuid,
        "identifier_scheme": format!("{country}-{list}"),
        "identifier_type": "org-id",
        "identifier": value,
    }))
}

/// An HSDS `service`. `status` uses the same four words as HSDS's enum.
fn service(ids: &Ids, s: &Record<Service>) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(ids.of(kind::SERVICE, s.id)));
    out.insert(
        "organization_id".into(),
        json!(ids.of(kind::ORGANIZATION, s.data.organization_id)),
    );
    out.insert("name".into(), json!(s.data.name));
    put_opt(&mut out, "description", Some(&s.data.description));
    put_opt(&mut out, "url", s.data.url.as_deref());
    put_opt(&mut out, "email", s.data.email.as_deref());
    out.insert("status".into(), json!(s.data.status.as_str()));
    Value::Object(out)
}

/// An HSDS `service_at_location`: a Backbone service has at most one location,
/// so the link takes its id from the service.
fn service_at_location(ids: &Ids, s: &Record<Service>, location: &Record<Location>) -> Value {
    json!({
        "id": ids.of(kind::SERVICE_AT_LOCATION, s.id),
        "service_id": ids.of(kind::SERVICE, s.id),
        "location_id": ids.of(kind::LOCATION, location.id),
        "location": hsds_location(ids, location),
    })
}

/// An HSDS `location`. Backbone only records places people can walk into, so
/// `location_type` is always `physical`.
fn hsds_location(ids: &Ids, location: &Record<Location>) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(ids.of(kind::LOCATION, location.id)));
    out.insert("location_type".into(), json!("physical"));
    out.insert(
        "organization_id".into(),
        json!(ids.of(kind::ORGANIZATION, location.data.organization_id)),
    );
    put_opt(&mut out, "name", Some(&location.data.name));
    if let Some(address) = address(ids, location) {
        out.insert("addresses".into(), json!([address]));
    }
    Value::Object(out)
}

/// The location's street address, or `None` when it has no street, city or
/// country (Backbone requires all three, so this only happens to bad data).
///
/// HSDS 3.0 requires `state_province` and `postal_code` on every address, even
/// in countries that have neither; Backbone does not record a state or
/// province and treats the postal code as optional, so an unknown one is sent
/// as "" (what the schema allows for "required but unknown").
fn address(ids: &Ids, location: &Record<Location>) -> Option<Value> {
    let l = &location.data;
    let (street, city, country) = (
        non_empty(&l.address)?,
        non_empty(&l.city)?,
        non_empty(&l.country)?,
    );
    Some(json!({
        "id": ids.of(kind::ADDRESS, location.id),
        "location_id": ids.of(kind::LOCATION, location.id),
        "address_1": street,
        "city": city,
        "state_province": "",
        "postal_code": l.postal_code.trim(),
        "country": country.to_ascii_uppercase(),
        "address_type": "physical",
    }))
}

/// Insert an optional string only when it has content: HSDS readers treat ""
/// as a value, and `""` would fail the `uri` and `email` formats anyway.
fn put_opt(out: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value.and_then(non_empty) {
        out.insert(key.into(), json!(v));
    }
}

fn non_empty(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lowercase, hyphenated 8-4-4-4-12 hex, version 5, RFC 9562 variant.
    fn is_v5_uuid(s: &str) -> bool {
        let groups: Vec<&str> = s.split('-').collect();
        let shape_ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
            && groups.iter().all(|g| {
                g.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            });
        shape_ok && groups[2].starts_with('5') && groups[3].starts_with(['8', '9', 'a', 'b'])
    }

    #[test]
    fn ids_are_stable_version_5_uuids() {
        let id = stable_id(1, kind::ORGANIZATION, 7);
        assert!(is_v5_uuid(&id), "{id} is not a version 5 UUID");
        assert_eq!(id, stable_id(1, kind::ORGANIZATION, 7));
    }

    #[test]
    fn ids_differ_by_initiative_kind_and_number() {
        let base = stable_id(1, kind::SERVICE, 7);
        for other in [
            stable_id(2, kind::SERVICE, 7),
            stable_id(1, kind::ORGANIZATION, 7),
            stable_id(1, kind::SERVICE, 8),
            stable_id(1, kind::SERVICE, -7),
            stable_id(17, kind::SERVICE, 1),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn org_id_identifiers_are_split_into_scheme_and_value() {
        let ids = Ids(1);
        let v = organization_identifier(&ids, 1, "org", "IL-RA-580-123").unwrap();
        assert_eq!(v["identifier_scheme"], "IL-RA");
        assert_eq!(v["identifier"], "580-123");
        assert!(organization_identifier(&ids, 1, "org", "not an org-id").is_none());
        assert!(organization_identifier(&ids, 1, "org", "  ").is_none());
    }
}
