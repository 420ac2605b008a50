//! Test support: a fresh database per test on SQLite or PostgreSQL, and the
//! whole router driven in-process.
//!
//! Every store and API test runs on both engines through [`both_engines!`]. A
//! PostgreSQL test gets its own database (`CREATE DATABASE`, dropped afterwards);
//! a SQLite test its own file. Set `BACKBONE_TEST_POSTGRES` to the admin URL of
//! the server to use (default `postgres://postgres@127.0.0.1:5432/postgres`).

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use rand::Rng;
use tower::ServiceExt;

use domain::access::Role;
pub use store::Engine;
use store::Store;

/// Run an `async fn(Engine)` test once per engine:
/// `both_engines!(my_test);` makes `my_test::sqlite` and `my_test::postgres`.
#[macro_export]
macro_rules! both_engines {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Engine::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::Engine::Postgres).await
            }
        }
    )+};
}

pub fn postgres_admin_url() -> String {
    std::env::var("BACKBONE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Option<String>,
    dir: Option<std::path::PathBuf>,
}

fn random_name() -> String {
    let n: u64 = rand::thread_rng().r#gen();
    format!("bb_test_{n:016x}")
}

impl TestDb {
    pub async fn new(engine: Engine) -> TestDb {
        match engine {
            Engine::Sqlite => {
                let dir = std::env::temp_dir().join(random_name());
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = format!("sqlite://{}/test.db", dir.display());
                let store = Store::connect(&url).await.expect("open SQLite");
                store.migrate().await.expect("migrate SQLite");
                TestDb {
                    store,
                    url,
                    cleanup: None,
                    dir: Some(dir),
                }
            }
            Engine::Postgres => {
                let admin_url = postgres_admin_url();
                let admin = Store::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL is required for this test and did not answer at {admin_url}: {e}. Start it or set BACKBONE_TEST_POSTGRES.")
                });
                let name = random_name();
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap_or(admin_url.clone());
                let url = format!("{base}/{name}");
                let store = Store::connect(&url)
                    .await
                    .expect("open PostgreSQL test database");
                store.migrate().await.expect("migrate PostgreSQL");
                TestDb {
                    store,
                    url,
                    cleanup: Some(name),
                    dir: None,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.cleanup.take() {
            // Drop on a separate runtime: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(admin) = Store::connect(&postgres_admin_url()).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The product, in-process, on a fresh database with the demo loaded.
pub struct TestApp {
    pub db: TestDb,
    pub router: Router,
}

/// Who makes a request: a browser session (cookie + CSRF token) or an API token.
#[derive(Clone, Debug, Default)]
pub struct Auth {
    pub user_id: i64,
    pub cookie: Option<String>,
    pub csrf: String,
    pub token: Option<String>,
}

pub struct Res {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Res {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    /// `name=value` of the first cookie the response sets.
    pub fn cookie(&self) -> String {
        let set = self
            .headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("a Set-Cookie header");
        set.split(';').next().unwrap_or("").to_string()
    }
    /// The secret of the invitation link shown on the page (`/invite/SECRET`).
    pub fn invite_link(&self) -> String {
        let rest = self
            .body
            .split("/invite/")
            .nth(1)
            .unwrap_or_else(|| panic!("no invitation link in: {}", self.body));
        rest.split(['<', '"']).next().unwrap_or("").to_string()
    }
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl TestApp {
    pub async fn new(engine: Engine) -> TestApp {
        let db = TestDb::new(engine).await;
        db.store.load_demo().await.expect("load demo");
        let router = web::router(web::AppState::new(db.store.clone(), web::Config::default()));
        TestApp { db, router }
    }

    /// A second "server process" on the same database.
    pub fn another_process(&self) -> Router {
        web::router(web::AppState::new(
            self.db.store.clone(),
            web::Config::default(),
        ))
    }

    pub fn store(&self) -> &Store {
        &self.db.store
    }

    /// A user with roles (`(slug, role)`), signed in with a session and holding an API token.
    pub async fn user(&self, email: &str, admin: bool, roles: &[(&str, Role)]) -> Auth {
        let s = self.store();
        let u = s
            .create_user(email, email, Some("correct horse battery"), admin)
            .await
            .expect("create user");
        for (slug, role) in roles {
            let i = s.initiative_by_slug(slug).await.expect("initiative");
            s.grant_role(None, u.id, i.id, *role).await.expect("grant");
        }
        let (secret, csrf) = s.create_session(u.id).await.expect("session");
        let (_, token) = s.create_api_token(u.id, "test").await.expect("token");
        Auth {
            user_id: u.id,
            cookie: Some(format!("bb_session={secret}")),
            csrf,
            token: Some(token),
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Res {
        send_to(&self.router, req).await
    }

    /// GET a page as a browser session (or anonymously).
    pub async fn get(&self, path: &str, auth: Option<&Auth>) -> Res {
        let mut b = Request::builder()
            .uri(path)
            .header(header::ACCEPT_LANGUAGE, "en");
        if let Some(c) = auth.and_then(|a| a.cookie.clone()) {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).expect("request")).await
    }

    /// POST a form as a browser session; the session's CSRF token is added.
    pub async fn post_form(&self, path: &str, auth: &Auth, fields: &[(&str, &str)]) -> Res {
        let mut pairs: Vec<(&str, &str)> = vec![("_csrf", auth.csrf.as_str())];
        pairs.extend_from_slice(fields);
        self.post_form_raw(path, auth, &pairs).await
    }

    /// POST a form exactly as given (no CSRF token added).
    pub async fn post_form_raw(&self, path: &str, auth: &Auth, fields: &[(&str, &str)]) -> Res {
        let body = serde_urlencoded::to_string(fields).expect("form");
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT_LANGUAGE, "en");
        if let Some(c) = &auth.cookie {
            b = b.header(header::COOKIE, c.clone());
        }
        self.send(b.body(Body::from(body)).expect("request")).await
    }

    /// POST a multipart form as a browser session, as an upload page sends
    /// it: the session's CSRF token, `fields`, then `file` (name, CSV content).
    pub async fn post_file(
        &self,
        path: &str,
        auth: &Auth,
        fields: &[(&str, &str)],
        (file_name, content): (&str, &str),
    ) -> Res {
        let part = |name: &str, value: &str| {
            format!("--b0\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        };
        let mut body = part("_csrf", &auth.csrf);
        for (k, v) in fields {
            body.push_str(&part(k, v));
        }
        body.push_str(&format!(
            "--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n--b0--\r\n"
        ));
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=b0")
            .header(header::ACCEPT_LANGUAGE, "en");
        if let Some(c) = &auth.cookie {
            b = b.header(header::COOKIE, c.clone());
        }
        self.send(b.body(Body::from(body)).expect("request")).await
    }

    /// Call the JSON API with the user's bearer token.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        auth: Option<&Auth>,
        body: Option<serde_json::Value>,
    ) -> Res {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = auth.and_then(|a| a.token.clone()) {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(b.body(body).expect("request")).await
    }
}

pub async fn send_to(router: &Router, req: Request<Body>) -> Res {
    let res = router
        .clone()
        .oneshot(req)
        .await
        .expect("infallible router");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    Res {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// The Python interpreter with the test tools of `xtask/python-requirements.txt`
/// (`icalendar`, `python-dateutil`, `aiosmtpd`), as `cargo xtask test` sets
/// `BACKBONE_PYTHON`; otherwise `target/py-venv` if it was made. Without it the
/// test that needs it (`purpose`) says loudly that it was skipped, unless
/// `BACKBONE_REQUIRE_PYTHON` is set (as CI does), where it fails.
pub fn python(purpose: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("BACKBONE_PYTHON")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/py-venv/bin/python");
            venv.exists().then_some(venv)
        });
    if found.is_none() {
        assert!(
            std::env::var_os("BACKBONE_REQUIRE_PYTHON").is_none(),
            "{purpose} needs the Python test tools: run `cargo xtask test`, or set BACKBONE_PYTHON"
        );
        eprintln!(
            "SKIPPED: {purpose}: no Python test tools (run `cargo xtask test` once, or set BACKBONE_PYTHON)"
        );
    }
    found
}
