//! Partners keep their own entries: a coordinator invites a partner to speak
//! for one of the initiative's organizations; the partner then edits that
//! organization and adds and edits its services and locations, by form and
//! by API, and nothing else; the coordinator sees who changed what in the
//! audit log.

use axum::http::{Method, StatusCode};
use domain::access::Role;
use serde_json::{Value, json};
use testkit::{Auth, Engine, TestApp, both_engines};

const I: &str = "/i/kiryat-malachi";
const API: &str = "/api/v1/initiatives/kiryat-malachi";

/// A record made through the API by `who`: its id.
async fn made(app: &TestApp, who: &Auth, path: &str, body: Value) -> i64 {
    let r = app
        .api(
            Method::POST,
            &format!("{API}/{path}"),
            Some(who),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.body);
    r.json()["id"].as_i64().unwrap()
}

/// PUT `path` as `who`: the record as stored (read by `reader`) with
/// `changes` over it.
async fn changed(
    app: &TestApp,
    reader: &Auth,
    who: &Auth,
    path: &str,
    changes: Value,
) -> testkit::Res {
    let url = format!("{API}/{path}");
    let r = app.api(Method::GET, &url, Some(reader), None).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    let mut body = r.json();
    let obj = body.as_object_mut().unwrap();
    for k in [
        "id",
        "initiative_id",
        "archived",
        "created_at",
        "updated_at",
    ] {
        obj.remove(k);
    }
    for (k, v) in changes.as_object().unwrap() {
        obj.insert(k.clone(), v.clone());
    }
    app.api(Method::PUT, &url, Some(who), Some(body)).await
}

async fn version(app: &TestApp, who: &Auth, path: &str) -> i64 {
    let r = app
        .api(Method::GET, &format!("{API}/{path}"), Some(who), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.json()["version"].as_i64().unwrap()
}

async fn partners_keep_their_own_entries(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let org = |name: &str| json!({"name": name, "sector": "civil_society", "description": ""});
    let own = made(&app, &c, "organizations", org("Zq Own Shelter")).await;
    let other = made(&app, &c, "organizations", org("Zq Other Clinic")).await;
    let location = |o: i64, name: &str| json!({"organization_id": o, "name": name, "address": "1 Main St", "city": "Lod", "country": "IL"});
    let others_service = made(
        &app,
        &c,
        "services",
        json!({"organization_id": other, "name": "Zq Other Meals", "description": ""}),
    )
    .await;
    let others_location = made(&app, &c, "locations", location(other, "Zq Other Hall")).await;

    // The coordinator invites a partner to speak for its organization.
    let page = app.get(&format!("{I}/access"), Some(&c)).await;
    assert!(
        page.body.contains("Speaks for organization"),
        "{}",
        page.body
    );
    assert!(page.body.contains("name=\"organization_id\""));
    assert!(page.body.contains("for=\"f-organization\""), "a label");
    let own_s = own.to_string();
    let r = app
        .post_form(
            &format!("{I}/access"),
            &c,
            &[
                ("email", "viewer@example.org"),
                ("role", "viewer"),
                ("organization_id", &own_s),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "only a partner");
    let r = app
        .post_form(
            &format!("{I}/access"),
            &c,
            &[
                ("email", "partner@example.org"),
                ("role", "partner"),
                ("organization_id", "999999"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not one of ours"
    );
    let r = app
        .post_form(
            &format!("{I}/access"),
            &c,
            &[
                ("email", "partner@example.org"),
                ("role", "partner"),
                ("organization_id", &own_s),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("(for Zq Own Shelter)"),
        "the open invitation"
    );
    let link = r.invite_link();

    // The partner accepts with its own account.
    let p = app.user("partner@example.org", false, &[]).await;
    let r = app.post_form(&format!("/invite/{link}"), &p, &[]).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let page = app.get(&format!("{I}/access"), Some(&c)).await;
    assert!(
        page.body.contains("Partner (for Zq Own Shelter)"),
        "{}",
        page.body
    );
    let home = app.get(I, Some(&p)).await;
    assert!(home.body.contains("Your organization: Zq Own Shelter"));
    assert!(home.body.contains(&format!("{I}/organizations/{own}\"")));

    // Its organization offers Edit; another's does not, and neither archives.
    let show = app.get(&format!("{I}/organizations/{own}"), Some(&p)).await;
    assert!(show.body.contains(&format!("/organizations/{own}/edit")));
    assert!(!show.body.contains(&format!("/organizations/{own}/archive")));
    let show = app
        .get(&format!("{I}/organizations/{other}"), Some(&p))
        .await;
    assert!(!show.body.contains(&format!("/organizations/{other}/edit")));
    let list = app.get(&format!("{I}/services"), Some(&p)).await;
    assert!(list.body.contains(&format!("{I}/services/new")), "New");
    let list = app.get(&format!("{I}/bodies"), Some(&p)).await;
    assert!(!list.body.contains(&format!("{I}/bodies/new")), "no New");

    // It edits its organization by form…
    let r = app
        .get(&format!("{I}/organizations/{own}/edit"), Some(&p))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = version(&app, &p, &format!("organizations/{own}")).await;
    let r = app
        .post_form(
            &format!("{I}/organizations/{own}"),
            &p,
            &[
                ("_version", &v.to_string()),
                ("name", "Zq Own Shelter and Kitchen"),
                ("sector", "civil_society"),
                ("description", "Beds and meals."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // …and by API.
    let r = changed(
        &app,
        &c,
        &p,
        &format!("organizations/{own}"),
        json!({"website": "https://shelter.example.org"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["name"], "Zq Own Shelter and Kitchen");

    // It adds a service (with a new location, on the way) and a location.
    let r = app.get(&format!("{I}/services/new"), Some(&p)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Zq Own Shelter and Kitchen"));
    assert!(
        !r.body.contains("Zq Other Clinic"),
        "only its organizations"
    );
    let r = app
        .post_form(
            &format!("{I}/services"),
            &p,
            &[
                ("organization_id", &own_s),
                ("name", "Zq Night Shelter"),
                ("description", "Beds."),
                ("status", "active"),
                ("new_location_name", "Zq Shelter House"),
                ("new_location_address", "2 Side St"),
                ("new_location_city", "Lod"),
                ("new_location_country", "IL"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let service: i64 = r
        .location()
        .split('/')
        .nth(4)
        .and_then(|s| s.split('?').next())
        .and_then(|s| s.parse().ok())
        .expect("the new service's page");
    let loc = made(&app, &p, "locations", location(own, "Zq Own Annex")).await;
    let r = changed(
        &app,
        &c,
        &p,
        &format!("locations/{loc}"),
        json!({"city": "Ramla"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Nothing else.
    let other_s = other.to_string();
    let forbidden = |what: &str, r: testkit::Res| {
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.body);
    };
    forbidden(
        "another organization's edit form",
        app.get(&format!("{I}/organizations/{other}/edit"), Some(&p))
            .await,
    );
    let v = version(&app, &p, &format!("organizations/{other}")).await;
    forbidden(
        "another organization by form",
        app.post_form(
            &format!("{I}/organizations/{other}"),
            &p,
            &[
                ("_version", &v.to_string()),
                ("name", "Taken"),
                ("sector", "civil_society"),
                ("description", ""),
            ],
        )
        .await,
    );
    forbidden(
        "another organization by API",
        changed(
            &app,
            &c,
            &p,
            &format!("organizations/{other}"),
            json!({"name": "Taken"}),
        )
        .await,
    );
    forbidden(
        "another organization's service",
        changed(
            &app,
            &c,
            &p,
            &format!("services/{others_service}"),
            json!({"organization_id": own}),
        )
        .await,
    );
    forbidden(
        "another organization's location",
        changed(
            &app,
            &c,
            &p,
            &format!("locations/{others_location}"),
            json!({"city": "Ramla"}),
        )
        .await,
    );
    let v = version(&app, &p, &format!("services/{service}")).await;
    forbidden(
        "moving its service to another organization",
        changed(
            &app,
            &c,
            &p,
            &format!("services/{service}"),
            json!({"organization_id": other, "location_id": null}),
        )
        .await,
    );
    forbidden(
        "moving its service by form",
        app.post_form(
            &format!("{I}/services/{service}"),
            &p,
            &[
                ("_version", &v.to_string()),
                ("organization_id", &other_s),
                ("name", "Zq Night Shelter"),
                ("description", "Beds."),
                ("status", "active"),
            ],
        )
        .await,
    );
    forbidden(
        "a service for another organization",
        app.post_form(
            &format!("{I}/services"),
            &p,
            &[
                ("organization_id", &other_s),
                ("name", "Zq Planted"),
                ("description", ""),
                ("status", "active"),
            ],
        )
        .await,
    );
    forbidden(
        "a location for another organization",
        app.api(
            Method::POST,
            &format!("{API}/locations"),
            Some(&p),
            Some(location(other, "Zq Planted Hall")),
        )
        .await,
    );
    forbidden(
        "a new organization",
        app.api(
            Method::POST,
            &format!("{API}/organizations"),
            Some(&p),
            Some(org("Zq Another")),
        )
        .await,
    );
    forbidden(
        "archiving its service",
        app.post_form(
            &format!("{I}/services/{service}/archive"),
            &p,
            &[("_version", &v.to_string())],
        )
        .await,
    );
    forbidden(
        "archiving its organization by API",
        app.api(
            Method::POST,
            &format!("{API}/organizations/{own}/archive"),
            Some(&p),
            Some(json!({})),
        )
        .await,
    );
    forbidden(
        "a body",
        app.api(
            Method::POST,
            &format!("{API}/bodies"),
            Some(&p),
            Some(json!({"name": "Zq Board", "kind": "steering_committee"})),
        )
        .await,
    );
    forbidden(
        "a body by form",
        app.post_form(&format!("{I}/bodies"), &p, &[("name", "Zq Board")])
            .await,
    );
    forbidden(
        "the audit log",
        app.get(&format!("{I}/audit"), Some(&p)).await,
    );

    // The coordinator sees who changed what.
    let audit = app.get(&format!("{I}/audit"), Some(&c)).await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(audit.body.contains("partner@example.org"), "the partner");
    assert!(
        audit.body.contains("Zq Own Shelter and Kitchen"),
        "the change"
    );
    assert!(audit.body.contains("Zq Night Shelter"));
    let entries = app
        .store()
        .audit(&store::audit::Filter {
            kind: Some("organization".into()),
            record_id: Some(own),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let updates: Vec<_> = entries.iter().filter(|e| e.action == "update").collect();
    assert_eq!(updates.len(), 2, "the form's and the API's");
    assert!(
        updates.iter().all(|e| e.actor_user_id == Some(p.user_id)),
        "the partner's own writes"
    );
}

both_engines!(partners_keep_their_own_entries);
