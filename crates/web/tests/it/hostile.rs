//! Hostile input and error formats: every route, both engines.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::access::Role;
use testkit::{Auth, Engine, Res, TestApp, both_engines};

fn content_type(r: &Res) -> &str {
    r.headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// An answer in the API's error format.
fn assert_json_error(r: &Res, status: StatusCode, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    assert!(
        content_type(r).starts_with("application/json"),
        "{what}: JSON expected, got {} {}",
        content_type(r),
        r.body
    );
    let v = r.json();
    assert!(
        v["error"].is_string() && v["message"].is_string(),
        "{what}: {v}"
    );
}

/// An answer as a translated HTML error page.
fn assert_html_error(r: &Res, status: StatusCode, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    assert!(
        content_type(r).starts_with("text/html") && r.body.contains("<html"),
        "{what}: an HTML page expected, got {} {}",
        content_type(r),
        r.body
    );
}

/// Every API route as (method, path template, query parameter names), read from
/// the OpenAPI document the server publishes.
fn api_routes() -> Vec<(Method, String, Vec<String>)> {
    let doc = web::api::openapi::build();
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let m: Method = method.to_uppercase().parse().unwrap();
            let query = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "query")
                        .map(|p| p["name"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            out.push((m, path.clone(), query));
        }
    }
    out
}

/// Every page route as (method, path template, query parameter names).
fn page_routes() -> Vec<(Method, String, Vec<String>)> {
    let g = Method::GET;
    let p = Method::POST;
    let mut v: Vec<(Method, &str, &[&str])> = vec![
        (g.clone(), "/", &[]),
        (g.clone(), "/lang", &["lang", "back"]),
        (g.clone(), "/login", &["next"]),
        (p.clone(), "/login", &[]),
        (g.clone(), "/invite/{token}", &[]),
        (p.clone(), "/invite/{token}", &[]),
        (g.clone(), "/account", &[]),
        (p.clone(), "/account/tokens/{id}/revoke", &[]),
        (g.clone(), "/networks", &[]),
        (p.clone(), "/networks/{id}", &[]),
        (g.clone(), "/networks/{id}/edit", &[]),
        (p.clone(), "/networks/{id}/archive", &[]),
        (p.clone(), "/i/{slug}/archive", &[]),
        (g.clone(), "/i/{slug}", &[]),
        (g.clone(), "/i/{slug}/edit", &[]),
        (p.clone(), "/i/{slug}/edit", &[]),
        (g.clone(), "/i/{slug}/table", &[]),
        (g.clone(), "/i/{slug}/audit", &["page"]),
        (g.clone(), "/i/{slug}/access", &[]),
        (p.clone(), "/i/{slug}/access", &[]),
        (p.clone(), "/i/{slug}/access/revoke", &[]),
        (p.clone(), "/i/{slug}/invitations/{id}/withdraw", &[]),
        (g.clone(), "/i/{slug}/hsds.json", &[]),
        (g.clone(), "/p/{slug}", &[]),
        (g.clone(), "/p/{slug}/", &[]),
    ];
    let kinds: Vec<String> = api_routes()
        .iter()
        .filter_map(|(_, path, _)| {
            let rest = path.strip_prefix("/api/v1/initiatives/{slug}/")?;
            let (kind, tail) = rest.split_once('/')?;
            (tail == "{id}").then(|| kind.to_string())
        })
        .collect();
    assert!(kinds.len() >= 8, "{kinds:?}");
    let mut owned: Vec<(Method, String, Vec<String>)> = v
        .drain(..)
        .map(|(m, p, q)| (m, p.to_string(), q.iter().map(|s| s.to_string()).collect()))
        .collect();
    for k in kinds {
        let base = format!("/i/{{slug}}/{k}");
        owned.push((g.clone(), base.clone(), vec!["archived".into()]));
        owned.push((p.clone(), base.clone(), vec![]));
        owned.push((g.clone(), format!("{base}/new"), vec![]));
        owned.push((g.clone(), format!("{base}/{{id}}"), vec![]));
        owned.push((p.clone(), format!("{base}/{{id}}"), vec![]));
        owned.push((g.clone(), format!("{base}/{{id}}/edit"), vec![]));
        owned.push((p.clone(), format!("{base}/{{id}}/archive"), vec![]));
        owned.push((p.clone(), format!("{base}/{{id}}/restore"), vec![]));
    }
    owned
}

/// The template with every `{param}` filled with a valid value, except the
/// `poisoned` one (by position), which gets `%00`.
fn fill(template: &str, poisoned: Option<usize>) -> (String, usize) {
    let mut out = String::new();
    let mut n = 0;
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        let name = &rest[start + 1..end];
        out.push_str(if poisoned == Some(n) {
            "%00"
        } else if name == "slug" {
            "kiryat-malachi"
        } else {
            "1"
        });
        n += 1;
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    (out, n)
}

async fn send(app: &TestApp, who: &Auth, m: &Method, uri: &str, api: bool) -> Res {
    let mut b = Request::builder()
        .method(m.clone())
        .uri(uri)
        .header(header::ACCEPT_LANGUAGE, "en");
    let body = if api {
        b = b.header(
            header::AUTHORIZATION,
            format!("Bearer {}", who.token.clone().unwrap()),
        );
        if *m != Method::GET {
            b = b.header(header::CONTENT_TYPE, "application/json");
            Body::from(r#"{"version": 1}"#)
        } else {
            Body::empty()
        }
    } else {
        b = b.header(header::COOKIE, who.cookie.clone().unwrap());
        if *m != Method::GET {
            b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(format!("_csrf={}&_version=1", who.csrf))
        } else {
            Body::empty()
        }
    };
    app.send(b.body(body).unwrap()).await
}

/// `%00` in any path parameter or query value of any route is a 400 in the
/// route's own format, before it reaches the database (PostgreSQL answered 500).
async fn nul_bytes_in_urls_are_refused_everywhere(e: Engine) {
    let app = TestApp::new(e).await;
    let admin = app.user("admin@example.org", true, &[]).await;
    let coordinator = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let mut checked = 0;
    for (api, routes) in [(true, api_routes()), (false, page_routes())] {
        for (m, template, query) in routes {
            let (_, params) = fill(&template, None);
            let mut uris = vec![];
            for i in 0..params {
                uris.push(fill(&template, Some(i)).0);
            }
            let (valid, _) = fill(&template, None);
            for q in &query {
                uris.push(format!("{valid}?{q}=%00"));
                uris.push(format!("{valid}?{q}=a%01b"));
            }
            for uri in uris {
                for who in [&admin, &coordinator] {
                    let r = send(&app, who, &m, &uri, api).await;
                    let what = format!("{m} {uri}");
                    assert!(!r.status.is_server_error(), "{what}: {}", r.body);
                    if api {
                        assert_json_error(&r, StatusCode::BAD_REQUEST, &what);
                    } else {
                        assert_html_error(&r, StatusCode::BAD_REQUEST, &what);
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 200, "{checked} requests");
    // The cases first reported.
    for uri in [
        "/api/v1/initiatives/%00",
        "/api/v1/initiatives/kiryat-malachi/audit?kind=%00",
    ] {
        let r = app.api(Method::GET, uri, Some(&coordinator), None).await;
        assert_json_error(&r, StatusCode::BAD_REQUEST, uri);
    }
    let r = app.get("/p/%00/", None).await;
    assert_html_error(&r, StatusCode::BAD_REQUEST, "/p/%00/");
    // Encoded text that is not a control character still works.
    let r = app
        .get("/i/kiryat-malachi/audit?page=1", Some(&coordinator))
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

/// A NUL byte in a form field or JSON string value is a field error.
async fn nul_bytes_in_bodies_are_field_errors(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/initiatives/kiryat-malachi/organizations",
            Some(&c),
            Some(serde_json::json!({"name": "Nul\u{0}Org", "sector": "nonprofit"})),
        )
        .await;
    assert_json_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "JSON body");
    assert!(r.json()["fields"]["name"].is_string(), "{}", r.body);
    let r = app
        .post_form(
            "/i/kiryat-malachi/organizations",
            &c,
            &[("name", "Nul\0Org"), ("sector", "nonprofit")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The login form never reaches the accounts table with one.
    let login = app.get("/login", None).await;
    let pre = login.cookie();
    let token = pre.split('=').nth(1).unwrap().to_string();
    let r = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/login")
                .header(header::COOKIE, pre.clone())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "_csrf={token}&email=c%00%40example.org&password=x"
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let count = app
        .store()
        .count::<domain::partnership::Organization>(
            Some(
                app.store()
                    .initiative_by_slug("kiryat-malachi")
                    .await
                    .unwrap()
                    .id,
            ),
            true,
        )
        .await
        .unwrap();
    assert!(count > 0);
}

/// Every error answers in the format of where it was sent.
async fn errors_answer_in_the_format_of_where_they_were_sent(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    for path in [
        "/api/v1/nope",
        "/api/nope",
        "/api/v1/initiatives/kiryat-malachi/nope",
    ] {
        let r = app.api(Method::GET, path, Some(&c), None).await;
        assert_json_error(&r, StatusCode::NOT_FOUND, path);
        assert_eq!(r.json()["error"], "not_found");
    }
    let r = app
        .api(Method::DELETE, "/api/v1/initiatives", Some(&c), None)
        .await;
    assert_json_error(&r, StatusCode::METHOD_NOT_ALLOWED, "DELETE on a list");
    for path in [
        "/i/kiryat-malachi/organizations?archived=a&archived=b",
        "/i/kiryat-malachi/audit?page=x",
        "/i/kiryat-malachi/organizations/abc",
        "/i/kiryat-malachi/organizations/99999999999999999999999",
    ] {
        let r = app.get(path, Some(&c)).await;
        assert!(r.status.is_client_error(), "{path}: {}", r.status);
        assert_html_error(&r, r.status, path);
    }
    let r = app
        .get("/i/kiryat-malachi/organizations?archived[]=x", Some(&c))
        .await;
    assert!(!content_type(&r).starts_with("text/plain"), "{}", r.body);
    // Malformed JSON to archive and restore.
    let org = app
        .api(
            Method::GET,
            "/api/v1/initiatives/kiryat-malachi/organizations?per_page=1",
            Some(&c),
            None,
        )
        .await
        .json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    for action in ["archive", "restore"] {
        for body in ["{not json", r#"{"version": "seven"}"#, "[1,2]"] {
            let r = app
                .send(
                    Request::builder()
                        .method(Method::POST)
                        .uri(format!(
                            "/api/v1/initiatives/kiryat-malachi/organizations/{org}/{action}"
                        ))
                        .header(
                            header::AUTHORIZATION,
                            format!("Bearer {}", c.token.clone().unwrap()),
                        )
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(body))
                        .unwrap(),
                )
                .await;
            assert!(r.status.is_client_error(), "{action} {body}: {}", r.status);
            assert_json_error(&r, r.status, &format!("{action} with {body}"));
        }
    }
    // A form posted as something else is an HTML page too.
    let r = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/i/kiryat-malachi/organizations")
                .header(header::COOKIE, c.cookie.clone().unwrap())
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("hello"))
                .unwrap(),
        )
        .await;
    assert_html_error(&r, r.status, "a form sent as text/plain");
}

/// Non-public answers are never stored by browsers or proxies; HSTS over TLS.
async fn responses_say_how_they_may_be_cached(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let cache = |r: &Res| {
        r.headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    for path in [
        "/",
        "/i/kiryat-malachi",
        "/i/kiryat-malachi/organizations",
        "/account",
        "/p/kiryat-malachi/",
    ] {
        let r = app.get(path, Some(&c)).await;
        assert_eq!(cache(&r), "no-store", "signed in: {path}");
    }
    for path in [
        "/api/v1/me",
        "/api/v1/initiatives",
        "/api/v1/initiatives/kiryat-malachi/people",
        "/api/v1/nope",
        "/api/openapi.json",
    ] {
        let r = app.api(Method::GET, path, Some(&c), None).await;
        assert_eq!(cache(&r), "no-store", "bearer token: {path}");
    }
    let r = app.api(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(cache(&r), "no-store", "a 401");
    let r = app
        .post_form(
            "/i/kiryat-malachi/access",
            &c,
            &[("email", "new@example.org"), ("role", "partner")],
        )
        .await;
    assert_eq!(cache(&r), "no-store", "the page showing an invitation link");
    let link = r.invite_link();
    for path in [
        format!("/invite/{link}"),
        "/invite/nope".into(),
        "/login".into(),
    ] {
        let r = app.get(&path, None).await;
        assert_eq!(cache(&r), "no-store", "{path}");
    }
    // Public: the portal seen anonymously, and the stylesheet.
    let r = app.get("/p/kiryat-malachi/", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!cache(&r).contains("no-store"), "{}", cache(&r));
    let r = app.get("/static/app.css", None).await;
    assert!(cache(&r).starts_with("public"), "{}", cache(&r));
    // HSTS only over TLS.
    assert!(!r.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
    let r = app
        .send(
            Request::builder()
                .uri("/login")
                .header("x-forwarded-proto", "https")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        r.headers[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
    let secure = web::router(web::AppState::new(
        app.store().clone(),
        web::Config {
            secure_cookies: true,
            ..Default::default()
        },
    ));
    let r = testkit::send_to(
        &secure,
        Request::builder()
            .uri("/p/kiryat-malachi/")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        r.headers[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
}

both_engines!(
    nul_bytes_in_urls_are_refused_everywhere,
    nul_bytes_in_bodies_are_field_errors,
    errors_answer_in_the_format_of_where_they_were_sent,
    responses_say_how_they_may_be_cached
);

/// The OpenAPI document states the limits the server enforces.
#[test]
fn openapi_states_the_limits() {
    let doc = web::api::openapi::build();
    let s = &doc["components"]["schemas"];
    let body = &s["BodyInput"];
    assert_eq!(body["additionalProperties"], false);
    for f in ["cadence_min_days", "cadence_max_days"] {
        assert_eq!(body["properties"][f]["minimum"], 1, "{f}");
        assert_eq!(body["properties"][f]["maximum"], 366, "{f}");
    }
    assert_eq!(body["properties"]["name"]["minLength"], 1);
    assert!(s["OrganizationUpdate"]["properties"]["identifier"]["pattern"].is_string());
    assert!(s["NetworkInput"]["properties"]["slug"]["pattern"].is_string());
    let list = &doc["paths"]["/api/v1/initiatives/{slug}/people"]["get"];
    let param = |name: &str| {
        list["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["schema"]
            .clone()
    };
    assert_eq!(param("page")["maximum"], 1_000_000);
    assert_eq!(param("per_page")["maximum"], 500);
    assert!(param("slug")["pattern"].is_string());
    let restore = &doc["paths"]["/api/v1/initiatives/{slug}/people/{id}/restore"]["post"];
    for status in ["400", "401", "403", "404", "409", "422"] {
        assert!(restore["responses"][status].is_object(), "restore {status}");
    }
    assert!(list["responses"]["400"].is_object(), "malformed queries");
}
