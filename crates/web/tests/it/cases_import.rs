//! Importing an HMIS export into a by-name list, through the page and the
//! API: a small export written here, imported with people and report figures
//! as computed by hand; the same export again changes nothing; a bad one is
//! refused with every problem located and nothing written; a partner is
//! refused.

use std::collections::BTreeMap;
use std::io::Write;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::access::Role;
use domain::cases::person::Population;
use domain::cases::report::Month;
use store::audit::Filter;
use store::cases::ListSettings;
use testkit::{Auth, Engine, Res, TestApp, both_engines};

const SLUG: &str = "kiryat-malachi";

type Row = &'static [(&'static str, &'static str)];

/// The export: ES project P1; client A (veteran) enters on 2025-01-10 and exits
/// to permanent housing (435) on 2025-02-20; client B enters on 2025-02-01 and
/// gets a service on 2025-03-05. The export ends on 2025-03-31.
fn rows() -> Vec<(&'static str, Row)> {
    vec![
        (
            "Export",
            &[
                ("ExportID", "X1"),
                ("ExportStartDate", "2025-01-01"),
                ("ExportEndDate", "2025-03-31"),
            ],
        ),
        ("Project", &[("ProjectID", "P1"), ("ProjectType", "1")]),
        (
            "Client",
            &[
                ("PersonalID", "A"),
                ("FirstName", "Alma"),
                ("LastName", "Secretname"),
                ("DOB", "1980-01-01"),
                ("VeteranStatus", "1"),
                ("Woman", "1"),
            ],
        ),
        (
            "Client",
            &[
                ("PersonalID", "B"),
                ("FirstName", "Boaz"),
                ("DOB", "1990-05-05"),
                ("VeteranStatus", "0"),
                ("Man", "1"),
            ],
        ),
        (
            "Enrollment",
            &[
                ("EnrollmentID", "E1"),
                ("PersonalID", "A"),
                ("ProjectID", "P1"),
                ("EntryDate", "2025-01-10"),
                ("HouseholdID", "H1"),
                ("RelationshipToHoH", "1"),
                ("LivingSituation", "116"),
                ("DisablingCondition", "0"),
            ],
        ),
        (
            "Enrollment",
            &[
                ("EnrollmentID", "E2"),
                ("PersonalID", "B"),
                ("ProjectID", "P1"),
                ("EntryDate", "2025-02-01"),
                ("HouseholdID", "H2"),
                ("RelationshipToHoH", "1"),
                ("LivingSituation", "116"),
                ("DisablingCondition", "0"),
            ],
        ),
        (
            "Exit",
            &[
                ("ExitID", "X1"),
                ("EnrollmentID", "E1"),
                ("PersonalID", "A"),
                ("ExitDate", "2025-02-20"),
                ("Destination", "435"),
            ],
        ),
        (
            "Services",
            &[
                ("ServicesID", "S1"),
                ("EnrollmentID", "E2"),
                ("PersonalID", "B"),
                ("DateProvided", "2025-03-05"),
                ("RecordType", "200"),
                ("TypeProvided", "1"),
            ],
        ),
    ]
}

const FILES: [&str; 7] = [
    "Export",
    "Client",
    "Project",
    "Enrollment",
    "Exit",
    "Services",
    "CurrentLivingSituation",
];

/// The export's CSV files: each with the FY2024 header; a required value not
/// given gets a default of its type. `mend` may change a file's text.
fn csv_files(mend: &dyn Fn(&str, String) -> String) -> Vec<(String, String)> {
    // File → [(column, type, nulls allowed)].
    let mut spec: BTreeMap<&str, Vec<(&str, &str, bool)>> = BTreeMap::new();
    for line in interop::hmis::COLUMNS_CSV.lines().skip(1) {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() < 5 {
            continue;
        }
        spec.entry(f[0])
            .or_default()
            .push((f[2], f[3], f[4] != "0"));
    }
    let rows = rows();
    FILES
        .iter()
        .map(|file| {
            let cols = &spec[file];
            let mut text = cols.iter().map(|c| c.0).collect::<Vec<_>>().join(",") + "\n";
            for (_, vals) in rows.iter().filter(|(f, _)| f == file) {
                let line: Vec<String> = cols
                    .iter()
                    .map(|(name, kind, nulls)| {
                        if let Some((_, v)) = vals.iter().find(|(c, _)| c == name) {
                            return v.to_string();
                        }
                        if *nulls {
                            return String::new();
                        }
                        match *kind {
                            "date" => "2025-01-01".into(),
                            "datetime" => "2025-01-01 00:00:00".into(),
                            "numeric" | "integer" => "0".into(),
                            _ if *name == "DateDeleted" => String::new(),
                            _ => "x".into(),
                        }
                    })
                    .collect();
                text += &(line.join(",") + "\n");
            }
            let name = format!("{file}.csv");
            let text = mend(&name, text);
            (name, text)
        })
        .collect()
}

fn zip_of(files: &[(String, String)]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in files {
        zip.start_file(format!("export/{name}"), opts).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

fn good_zip() -> Vec<u8> {
    zip_of(&csv_files(&|_, t| t))
}

/// The good export with Exit.csv's destination out of range and an
/// enrollment pointing at a project that is not there.
fn bad_zip() -> Vec<u8> {
    zip_of(&csv_files(&|name, t| match name {
        "Exit.csv" => t.replace(",435,", ",999,"),
        "Enrollment.csv" => t.replacen("E2,B,P1,", "E2,B,P9,", 1),
        _ => t,
    }))
}

async fn upload_page(app: &TestApp, who: &Auth, list: i64, zip: Option<&[u8]>) -> Res {
    let mut body = format!(
        "--b0\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{}\r\n",
        who.csrf
    )
    .into_bytes();
    if let Some(z) = zip {
        body.extend_from_slice(
            b"--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"export.zip\"\r\nContent-Type: application/zip\r\n\r\n",
        );
        body.extend_from_slice(z);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--b0--\r\n");
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/i/{SLUG}/cases/{list}/import"))
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=b0")
        .header(header::ACCEPT_LANGUAGE, "en")
        .header(header::COOKIE, who.cookie.clone().unwrap())
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

async fn upload_api(app: &TestApp, who: &Auth, list: i64, zip: Vec<u8>) -> Res {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!(
            "/api/v1/initiatives/{SLUG}/cases/{list}/import?file_name=hmis.zip"
        ))
        .header(header::CONTENT_TYPE, "application/zip")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", who.token.clone().unwrap()),
        )
        .body(Body::from(zip))
        .unwrap();
    app.send(req).await
}

/// (people on the list, audit entries of the initiative).
async fn state(app: &TestApp, initiative: i64, list: i64) -> (usize, usize) {
    let people = app
        .store()
        .case_roster(
            initiative,
            list,
            Population::All,
            None,
            chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(),
            None,
        )
        .await
        .unwrap()
        .len();
    let audit = app
        .store()
        .audit(&Filter {
            initiative: Some(initiative),
            kind: None,
            record_id: None,
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len();
    (people, audit)
}

async fn an_hmis_export_through_the_page_and_the_api(engine: Engine) {
    let app = TestApp::new(engine).await;
    let worker = app
        .user("w@example.org", false, &[(SLUG, Role::CaseWorker)])
        .await;
    let partner = app
        .user("p@example.org", false, &[(SLUG, Role::Partner)])
        .await;
    let store = app.store();
    let km = store.initiative_by_slug(SLUG).await.unwrap().id;
    let list = store
        .create_case_list(km, None, &ListSettings::named("HMIS import test"))
        .await
        .unwrap()
        .id;

    // The form: one h1, a labelled file input.
    let form = app
        .get(&format!("/i/{SLUG}/cases/{list}/import"), Some(&worker))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert_eq!(form.body.matches("<h1").count(), 1);
    assert!(form.body.contains("<label for=\"file\">"));

    // A form without a file: 422, the error beside the field, nothing written.
    let before = state(&app, km, list).await;
    let r = upload_page(&app, &worker, list, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"file-error\""), "{}", r.body);
    // An empty form as the access matrix sends it: 422 too.
    let r = app
        .post_form(
            &format!("/i/{SLUG}/cases/{list}/import"),
            &worker,
            &[("_version", "0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A bad export: 422 with each problem located, nothing written.
    let r = upload_page(&app, &worker, list, Some(&bad_zip())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("<td dir=\"ltr\"><bdi>Exit.csv</bdi></td><td dir=\"ltr\">2</td><td dir=\"ltr\"><bdi>Destination</bdi></td>"), "{}", r.body);
    assert!(r.body.contains("<bdi>Enrollment.csv</bdi></td><td dir=\"ltr\">3</td><td dir=\"ltr\"><bdi>ProjectID</bdi></td>"), "{}", r.body);
    assert!(!r.body.contains("Secretname"));
    assert_eq!(state(&app, km, list).await, before);
    let r = upload_api(&app, &worker, list, bad_zip()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let j = r.json();
    assert_eq!(j["error"], "invalid");
    let located: Vec<String> = j["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}|{}|{}|{}",
                e["file"].as_str().unwrap(),
                e["row"],
                e["column"].as_str().unwrap(),
                e["code"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        located,
        [
            "Exit.csv|2|Destination|bad_code",
            "Enrollment.csv|3|ProjectID|broken_reference"
        ]
    );
    assert!(j["warnings"].is_array());
    assert!(!r.body.contains("Secretname"));
    assert_eq!(state(&app, km, list).await, before);

    // A partner is refused, on the page and through the API.
    let partner_page = app
        .get(&format!("/i/{SLUG}/cases/{list}/import"), Some(&partner))
        .await;
    assert_eq!(partner_page.status, StatusCode::FORBIDDEN);
    let r = upload_page(&app, &partner, list, Some(&good_zip())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = upload_api(&app, &partner, list, good_zip()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(state(&app, km, list).await, before);

    // The good export through the page: two people, four events.
    let r = upload_page(&app, &worker, list, Some(&good_zip())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("role=\"status\""), "{}", r.body);
    assert!(r.body.contains("The export was imported."), "{}", r.body);
    assert!(
        r.body.contains("People added: \u{2068}2\u{2069}") || r.body.contains("People added: 2"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("Events added: \u{2068}4\u{2069}") || r.body.contains("Events added: 4"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("Secretname"));
    let after = state(&app, km, list).await;
    assert_eq!(after.0, 2);
    assert_eq!(after.1, before.1 + 1, "one audit entry for the import");

    // Figures by hand (actively homeless at the month's end, newly identified,
    // housing placements, moved to inactive): January, A identified and still
    // active; February, B identified and A housed (2025-02-20), so B alone is
    // active; March, B still active (a contact on 03-05, within 90 days of
    // the export's end). A is the veteran: housed in February.
    let m = |month| Month { year: 2025, month };
    let reports = store
        .case_monthly(km, list, Population::All, m(1), m(3), None)
        .await
        .unwrap();
    let fig = |i: usize| {
        let r = &reports[i];
        (
            r.actively_homeless,
            r.newly_identified,
            r.housing_placements,
            r.moved_to_inactive,
        )
    };
    assert_eq!(fig(0), (1, 1, 0, 0));
    assert_eq!(fig(1), (1, 1, 1, 0));
    assert_eq!(fig(2), (1, 0, 0, 0));
    let vets = store
        .case_monthly(km, list, Population::Veterans, m(2), m(2), None)
        .await
        .unwrap();
    assert_eq!(vets[0].housing_placements, 1);
    assert_eq!(vets[0].actively_homeless, 0);

    // The same export again through the API: nothing changed, no audit entry.
    let r = upload_api(&app, &worker, list, good_zip()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["batch_id"], serde_json::Value::Null);
    assert_eq!(j["people_unchanged"], 2);
    assert_eq!(j["people_added"], 0);
    assert_eq!(j["events_added"], 0);
    assert!(j["warnings"].is_array());
    assert_eq!(state(&app, km, list).await, after);

    // The page in Hebrew renders right to left.
    let he = app
        .send(
            Request::builder()
                .uri(format!("/i/{SLUG}/cases/{list}/import"))
                .header(header::ACCEPT_LANGUAGE, "he")
                .header(header::COOKIE, worker.cookie.clone().unwrap())
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(he.body.contains("dir=\"rtl\"") && he.body.contains("ייבוא"));
}

both_engines!(an_hmis_export_through_the_page_and_the_api);
