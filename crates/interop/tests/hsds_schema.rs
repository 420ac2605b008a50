//! The HSDS export checked against the official Open Referral HSDS 3.0 schemas.
//!
//! The schemas live outside the repository, in a standards folder:
//! `$BACKBONE_STANDARDS_DIR/hsds-3.0/compiled/`, by default
//! `../../../shared/standards` from this crate. Without that folder the schema
//! tests print a loud `SKIPPED` line and pass, unless `BACKBONE_REQUIRE_STANDARDS=1`
//! (as in CI), where they fail.
//!
//! The compiled schemas are self-contained (no `$ref`), so no resolver is needed.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use domain::partnership::{Location, Organization, Sector, Service, ServiceStatus};
use domain::resource::Record;
use interop::hsds::export;
use jsonschema::{Draft, Validator};
use serde_json::Value;

const INITIATIVE: i64 = 1;

fn record<T>(id: i64, archived: bool, data: T) -> Record<T> {
    let at: DateTime<Utc> = DateTime::from_timestamp(1_500_000_000, 0).expect("valid timestamp");
    Record {
        id,
        initiative_id: Some(1),
        version: 1,
        archived,
        created_at: at,
        updated_at: at,
        data,
    }
}

fn org(
    id: i64,
    archived: bool,
    name: &str,
    identifier: Option<&str>,
    website: Option<&str>,
) -> Record<Organization> {
    record(
        id,
        archived,
        Organization {
            name: name.into(),
            sector: Sector::CivilSociety,
            identifier: identifier.map(Into::into),
            website: website.map(Into::into),
            description: if id == 1 {
                "Youth centre and after-school clubs.".into()
            } else {
                String::new()
            },
            translations: Default::default(),
        },
    )
}

fn location(id: i64, archived: bool, organization_id: i64, postal_code: &str) -> Record<Location> {
    record(
        id,
        archived,
        Location {
            organization_id,
            name: format!("Centre {id}"),
            address: "12 Herzl Street".into(),
            city: "Kiryat Malachi".into(),
            postal_code: postal_code.into(),
            country: "IL".into(),
            translations: Default::default(),
        },
    )
}

#[derive(Clone, Copy)]
struct ServiceSpec {
    id: i64,
    archived: bool,
    organization_id: i64,
    location_id: Option<i64>,
    name: &'static str,
    description: &'static str,
    url: Option<&'static str>,
    email: Option<&'static str>,
    status: ServiceStatus,
}

fn service(s: ServiceSpec) -> Record<Service> {
    record(
        s.id,
        s.archived,
        Service {
            organization_id: s.organization_id,
            location_id: s.location_id,
            name: s.name.into(),
            description: s.description.into(),
            url: s.url.map(Into::into),
            email: s.email.map(Into::into),
            status: s.status,
            translations: Default::default(),
        },
    )
}

/// The records of one initiative's services directory.
struct Directory {
    orgs: Vec<Record<Organization>>,
    locations: Vec<Record<Location>>,
    services: Vec<Record<Service>>,
}

impl Directory {
    fn export(&self, initiative: i64) -> Value {
        export(initiative, &self.orgs, &self.locations, &self.services)
    }
}

/// A small directory with every case the export must handle.
fn fixture() -> Directory {
    let orgs = vec![
        org(
            1,
            false,
            "Beit Noar",
            Some("IL-RA-580123456"),
            Some("https://beitnoar.example.org"),
        ),
        // No identifier, no website, no description; an empty website string.
        org(2, false, "Residents' Committee", None, Some("")),
        org(3, true, "Closed Association", Some("IL-RA-580999999"), None),
    ];
    let locations = vec![
        location(10, false, 1, "8305100"),
        location(11, true, 1, "8305100"),
        // Postal code unknown: HSDS still requires the field.
        location(12, false, 2, ""),
    ];
    let base = ServiceSpec {
        id: 0,
        archived: false,
        organization_id: 1,
        location_id: None,
        name: "",
        description: "",
        url: None,
        email: None,
        status: ServiceStatus::Active,
    };
    let services = vec![
        service(ServiceSpec {
            id: 100,
            location_id: Some(10),
            name: "Homework club",
            description: "Afternoons, grades 1-6.",
            url: Some("https://beitnoar.example.org/homework"),
            email: Some("club@beitnoar.example.org"),
            ..base
        }),
        service(ServiceSpec {
            id: 101,
            organization_id: 2,
            name: "Neighbourhood watch",
            status: ServiceStatus::TemporarilyClosed,
            ..base
        }),
        service(ServiceSpec {
            id: 102,
            organization_id: 2,
            location_id: Some(12),
            name: "Tenants' advice",
            ..base
        }),
        service(ServiceSpec {
            id: 103,
            archived: true,
            name: "Archived service",
            ..base
        }),
        service(ServiceSpec {
            id: 104,
            organization_id: 3,
            name: "Service of archived org",
            ..base
        }),
        service(ServiceSpec {
            id: 105,
            organization_id: 999,
            name: "Service of missing org",
            ..base
        }),
        // Listed, but its location is archived, so it has no service_at_location.
        service(ServiceSpec {
            id: 106,
            location_id: Some(11),
            name: "Moved away",
            status: ServiceStatus::Defunct,
            ..base
        }),
    ];
    Directory {
        orgs,
        locations,
        services,
    }
}

fn exported() -> Value {
    fixture().export(INITIATIVE)
}

fn items<'a>(doc: &'a Value, key: &str) -> &'a Vec<Value> {
    doc[key]
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` is not an array"))
}

fn names(doc: &Value, key: &str) -> Vec<String> {
    items(doc, key)
        .iter()
        .map(|i| i["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

// ---------------------------------------------------------------------------
// Loading the official schemas

/// `hsds-3.0/compiled/` in the standards folder, or `None` after printing why
/// the caller is skipped. Panics instead when `BACKBONE_REQUIRE_STANDARDS=1`.
fn compiled_schemas_dir() -> Option<PathBuf> {
    let root = std::env::var_os("BACKBONE_STANDARDS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/standards")
        });
    let dir = root.join("hsds-3.0/compiled");
    if dir.is_dir() {
        return Some(dir);
    }
    let required = std::env::var("BACKBONE_REQUIRE_STANDARDS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "HSDS schema conformance: standards folder not found at {} \
         (set BACKBONE_STANDARDS_DIR to a folder containing hsds-3.0/compiled/)",
        dir.display()
    );
    eprintln!(
        "SKIPPED: HSDS schema conformance — standards folder not found at {}",
        dir.display()
    );
    None
}

/// A validator for one compiled schema. The files carry no `$schema`; HSDS 3.0
/// is written for JSON Schema 2020-12, and formats (`uuid`, `uri`, `email`) are
/// checked, which 2020-12 otherwise treats as annotations only.
fn validator(dir: &std::path::Path, file: &str) -> Validator {
    let path = dir.join(file);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let schema: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));
    assert!(
        !text.contains("\"$ref\""),
        "{file} uses $ref: register the referenced files as resources"
    );
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("compile {file}: {e}"))
}

/// Every schema error of `item`, one line each.
fn errors(validator: &Validator, item: &Value) -> Vec<String> {
    validator
        .iter_errors(item)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

/// (document key, schema file) of the three HSDS objects the export produces.
const OBJECTS: [(&str, &str); 3] = [
    ("organizations", "organization.json"),
    ("services", "service.json"),
    ("service_at_locations", "service_at_location.json"),
];

// ---------------------------------------------------------------------------
// Conformance

#[test]
fn every_exported_item_validates_against_the_official_schema() {
    let Some(dir) = compiled_schemas_dir() else {
        return;
    };
    let doc = exported();
    let mut failures = Vec::new();
    for (key, file) in OBJECTS {
        let validator = validator(&dir, file);
        let list = items(&doc, key);
        // Guard against passing vacuously on an empty list.
        assert!(!list.is_empty(), "no {key} exported");
        for (i, item) in list.iter().enumerate() {
            for e in errors(&validator, item) {
                failures.push(format!("{key}[{i}] ({file}): {e}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "HSDS schema errors:\n{}\n\ndocument:\n{doc:#}",
        failures.join("\n")
    );
}

#[test]
fn the_validator_rejects_broken_items() {
    let Some(dir) = compiled_schemas_dir() else {
        return;
    };
    let doc = exported();
    let org_schema = validator(&dir, "organization.json");
    let service_schema = validator(&dir, "service.json");
    let sal_schema = validator(&dir, "service_at_location.json");

    let org = &items(&doc, "organizations")[0];
    assert!(
        errors(&org_schema, org).is_empty(),
        "the unbroken organization must be valid"
    );
    let mut no_name = org.clone();
    no_name.as_object_mut().unwrap().remove("name");
    assert!(
        !errors(&org_schema, &no_name).is_empty(),
        "an organization without a name was accepted"
    );

    let service = &items(&doc, "services")[0];
    let mut bad_status = service.clone();
    bad_status["status"] = "open".into();
    assert!(
        !errors(&service_schema, &bad_status).is_empty(),
        "an unknown service status was accepted"
    );
    // Formats must be enforced, or every id check above is toothless.
    let mut bad_id = service.clone();
    bad_id["id"] = "100".into();
    assert!(
        !errors(&service_schema, &bad_id).is_empty(),
        "a non-UUID id was accepted"
    );

    let sal = &items(&doc, "service_at_locations")[0];
    let mut no_state = sal.clone();
    no_state["location"]["addresses"][0]
        .as_object_mut()
        .unwrap()
        .remove("state_province");
    assert!(
        !errors(&sal_schema, &no_state).is_empty(),
        "an address without state_province was accepted"
    );
}

// ---------------------------------------------------------------------------
// Mapping (no schemas needed)

#[test]
fn archived_and_orphaned_records_are_left_out() {
    let doc = exported();
    assert_eq!(
        names(&doc, "organizations"),
        ["Beit Noar", "Residents' Committee"]
    );
    assert_eq!(
        names(&doc, "services"),
        [
            "Homework club",
            "Neighbourhood watch",
            "Tenants' advice",
            "Moved away"
        ]
    );
    // 100 → location 10 and 102 → location 12; 106's location is archived.
    let located: Vec<&str> = items(&doc, "service_at_locations")
        .iter()
        .map(|s| s["location"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(located, ["Centre 10", "Centre 12"]);
}

#[test]
fn fields_are_mapped_and_empty_strings_omitted() {
    let doc = exported();
    let orgs = items(&doc, "organizations");
    assert_eq!(orgs[0]["website"], "https://beitnoar.example.org");
    let ident = &orgs[0]["organization_identifiers"][0];
    assert_eq!(ident["identifier_scheme"], "IL-RA");
    assert_eq!(ident["identifier"], "580123456");
    assert_eq!(ident["organization_id"], orgs[0]["id"]);
    for absent in ["website", "organization_identifiers"] {
        assert!(orgs[1].get(absent).is_none(), "empty {absent} was exported");
    }
    // Required by HSDS, so present even when empty.
    assert_eq!(orgs[1]["description"], "");

    let services = items(&doc, "services");
    assert_eq!(services[0]["email"], "club@beitnoar.example.org");
    assert_eq!(services[0]["url"], "https://beitnoar.example.org/homework");
    assert_eq!(services[1]["status"], "temporarily closed");
    for absent in ["description", "url", "email"] {
        assert!(
            services[1].get(absent).is_none(),
            "empty {absent} was exported"
        );
    }

    let sal = &items(&doc, "service_at_locations")[0];
    let address = &sal["location"]["addresses"][0];
    assert_eq!(sal["location"]["location_type"], "physical");
    assert_eq!(
        (&address["address_1"], &address["city"]),
        (&"12 Herzl Street".into(), &"Kiryat Malachi".into())
    );
    assert_eq!(
        (&address["postal_code"], &address["country"]),
        (&"8305100".into(), &"IL".into())
    );
}

#[test]
fn ids_are_stable_uuids_and_references_resolve() {
    let first = exported();
    assert_eq!(first, exported(), "two exports of the same records differ");

    let elsewhere = fixture().export(2);
    assert_ne!(
        first["organizations"][0]["id"],
        elsewhere["organizations"][0]["id"]
    );

    let ids_of = |key: &str| -> Vec<String> {
        items(&first, key)
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (org_ids, service_ids) = (ids_of("organizations"), ids_of("services"));
    for id in org_ids
        .iter()
        .chain(&service_ids)
        .chain(&ids_of("service_at_locations"))
    {
        assert!(is_uuid(id), "{id} is not a UUID");
    }
    for s in items(&first, "services") {
        assert!(org_ids.contains(&s["organization_id"].as_str().unwrap().to_string()));
    }
    for sal in items(&first, "service_at_locations") {
        assert!(service_ids.contains(&sal["service_id"].as_str().unwrap().to_string()));
        assert_eq!(sal["location_id"], sal["location"]["id"]);
    }
}

/// Hyphenated 8-4-4-4-12 lowercase hex.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| {
            g.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}
