//! HTML pages. Server-rendered, usable without JavaScript, translated.

pub mod access;
pub mod account;
pub mod agenda;
pub mod audit;
pub mod auth;
pub mod case_conference;
pub mod cases;
pub mod cases_import;
pub mod decisions;
pub mod fund;
pub mod funding;
pub mod funding_transitions;
pub mod initiative;
pub mod mail;
pub mod measurement;
pub mod measurement_import;
pub mod meeting_room;
pub mod meetings;
pub mod network_measurement;
pub mod networks;
pub mod portal;
pub mod portal_cases;
pub mod portal_meetings;
pub mod records;
pub mod records_import;
pub mod referrals;
pub mod surveys;
pub mod users;
pub mod work_plans;

use askama::Template;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use domain::access::{Action, Grants};
use domain::partnership::Initiative;
use domain::resource::Record;

use crate::error::{AppError, PageError, PageResult};
use crate::i18n::{LANGUAGES, Tr};
use crate::session::{Ctx, language};

/// The frame around every page: language, direction, who is signed in, where
/// they are.
pub struct Chrome {
    pub tr: Tr,
    pub title: String,
    pub user: Option<String>,
    pub is_admin: bool,
    pub csrf: String,
    pub path: String,
    /// Slug and name of the initiative the page belongs to.
    pub initiative: Option<(String, String)>,
    /// Which initiative section is current (for `aria-current`).
    pub section: &'static str,
    pub can_edit: bool,
    pub can_audit: bool,
    pub crumbs: Vec<(String, String)>,
    /// A status line above the content ("Saved."), announced politely.
    pub notice: String,
}

impl Chrome {
    pub fn new(ctx: &Ctx, title: impl Into<String>) -> Self {
        Chrome {
            user: ctx.session.as_ref().map(|s| s.user.display_name.clone()),
            is_admin: ctx.session.as_ref().is_some_and(|s| s.user.is_admin),
            csrf: ctx.csrf().to_string(),
            ..Chrome::anonymous(ctx.tr, ctx.path.clone(), title.into())
        }
    }

    /// The frame for a visitor nobody has identified (error pages).
    pub fn anonymous(tr: Tr, path: String, title: String) -> Self {
        Chrome {
            tr,
            title,
            user: None,
            is_admin: false,
            csrf: String::new(),
            path,
            initiative: None,
            section: "",
            can_edit: false,
            can_audit: false,
            crumbs: vec![],
            notice: String::new(),
        }
    }

    pub fn in_initiative(
        mut self,
        i: &Record<Initiative>,
        g: &Grants,
        section: &'static str,
    ) -> Self {
        let first = i.data.languages.split(',').next().unwrap_or("");
        let name = i
            .data
            .translations
            .pick("name", self.tr.lang, first)
            .map_or_else(|| i.data.name.clone(), |(_, t)| t.to_string());
        self.initiative = Some((i.data.slug.clone(), name.clone()));
        self.section = section;
        self.can_edit = g.allows(Action::Update);
        self.can_audit = g.allows(Action::ReadAudit);
        self.crumbs.push((format!("/i/{}", i.data.slug), name));
        self
    }

    pub fn crumb(mut self, href: impl Into<String>, label: impl Into<String>) -> Self {
        self.crumbs.push((href.into(), label.into()));
        self
    }

    pub fn t(&self, key: &str) -> String {
        self.tr.t(key)
    }
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.tr.t1(key, name, value)
    }
    pub fn t2(&self, key: &str, a: &str, av: &str, b: &str, bv: &str) -> String {
        self.tr.tn(key, &[(a, av.to_string()), (b, bv.to_string())])
    }
    pub fn t3(&self, key: &str, abc: &[(&str, &String); 3]) -> String {
        let v: Vec<(&str, String)> = abc.iter().map(|(k, v)| (*k, v.to_string())).collect();
        self.tr.tn(key, &v)
    }
    pub fn lang(&self) -> &'static str {
        self.tr.lang
    }
    /// ` lang=… dir=…` for typed content in another language than the page.
    pub fn lang_of(&self, text: &str) -> &'static str {
        self.tr.lang_attrs(text)
    }
    /// A record's `field` as this page's reader sees it, with its `lang`/`dir`
    /// attributes: its translation into the reader's language, or else `text`
    /// (in the initiative's first of `languages`).
    pub fn shown(
        &self,
        t: &domain::translations::Translations,
        field: &str,
        text: &str,
        languages: &str,
    ) -> (String, String) {
        let first = languages.split(',').next().unwrap_or("").trim();
        match t.pick(field, self.tr.lang, first) {
            Some((lang, tx)) => (tx.to_string(), self.lang_in(tx, Some(lang), first)),
            None => (text.to_string(), self.lang_in(text, None, first)),
        }
    }
    /// The `lang`/`dir` attributes of a record's text: `Some(lang)` for a
    /// translation, `None` for the main text, which is in the initiative's
    /// `first` language — unless its script says otherwise (a record written
    /// before its initiative declared languages). Empty in the page's language.
    pub fn lang_in(&self, text: &str, lang: Option<&str>, first: &str) -> String {
        let lang = lang.or_else(|| {
            let by_script = crate::i18n::content_language(text);
            let first_fits = !first.is_empty()
                && match by_script {
                    Some("latin") => crate::i18n::latin_script(first),
                    Some(code) => code == first,
                    // No letters (a number): nothing to say.
                    None => false,
                };
            first_fits.then_some(first)
        });
        match lang {
            Some(l) if l == self.tr.lang => String::new(),
            Some(l) => {
                let dir = if crate::i18n::right_to_left(l) {
                    "rtl"
                } else {
                    "ltr"
                };
                format!(" lang=\"{l}\" dir=\"{dir}\"")
            }
            None => self.lang_of(text).to_string(),
        }
    }
    pub fn dir(&self) -> &'static str {
        self.tr.dir()
    }
    pub fn languages(&self) -> &'static [(&'static str, &'static str)] {
        LANGUAGES
    }
    pub fn back(&self) -> String {
        crate::error::urlencode(&self.path)
    }
    /// `aria-current="page"` for the current section.
    pub fn current(&self, section: &str) -> &'static str {
        if self.section == section {
            "page"
        } else {
            "false"
        }
    }
    pub fn islug(&self) -> String {
        self.initiative
            .as_ref()
            .map(|(s, _)| s.clone())
            .unwrap_or_default()
    }
    /// The navigation of an initiative: (section, href, label).
    pub fn sections(&self) -> Vec<(&'static str, String, String)> {
        let Some((slug, _)) = &self.initiative else {
            return vec![];
        };
        let mut v = vec![
            ("home", format!("/i/{slug}"), self.t("nav-home")),
            ("table", format!("/i/{slug}/table"), self.t("nav-table")),
            ("agenda", format!("/i/{slug}/agenda"), self.t("nav-agenda")),
            (
                "work-plans",
                format!("/i/{slug}/work-plans"),
                self.t("nav-work-plans"),
            ),
            (
                "measurement",
                format!("/i/{slug}/measurement"),
                self.t("meas-nav"),
            ),
            (
                "funding",
                format!("/i/{slug}/funding"),
                self.t("funding-title"),
            ),
            (
                "meetings",
                format!("/i/{slug}/calendar"),
                self.t("meetings-title"),
            ),
            ("cases", format!("/i/{slug}/cases"), self.t("cases-nav")),
        ];
        v.extend(crate::kinds::KINDS.iter().filter(|k| k.nav).map(|k| {
            (
                k.path,
                format!("/i/{slug}/{}", k.path),
                self.t(&format!("nav-{}", k.path)),
            )
        }));
        if self.can_audit {
            v.push(("access", format!("/i/{slug}/access"), self.t("nav-access")));
            v.push(("audit", format!("/i/{slug}/audit"), self.t("nav-audit")));
        }
        v.push(("portal", format!("/p/{slug}/"), self.t("nav-portal")));
        v
    }
}

/// `?page=N` of a paged listing.
#[derive(serde::Deserialize, Default)]
pub struct PageQuery {
    pub page: Option<u64>,
}

/// Paging of a listing page: every row is reachable, none is dropped silently.
#[derive(Clone, Copy)]
pub struct Pager {
    pub page: u64,
    pub per: u64,
}

/// Links to the neighbouring pages, for `pages.html`.
pub struct Pages {
    pub last: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub label: String,
}

impl Pager {
    pub fn new(page: Option<u64>, per: u64) -> Self {
        Pager {
            page: page.unwrap_or(1).clamp(1, 1_000_000),
            per,
        }
    }
    pub fn options(&self) -> store::records::ListOptions {
        store::records::ListOptions {
            include_archived: false,
            limit: self.per,
            offset: (self.page - 1) * self.per,
        }
    }
    /// `base` may carry a query already (`?archived=1`).
    pub fn links(&self, c: &Chrome, base: &str, total: i64) -> Pages {
        let last = (total.max(0) as u64).div_ceil(self.per).max(1);
        let sep = if base.contains('?') { '&' } else { '?' };
        let href = |p: u64| format!("{base}{sep}page={p}");
        let label = c.tr.tn(
            "pages-label",
            &[
                ("page", self.page.to_string()),
                ("last", last.to_string()),
                ("total", total.to_string()),
            ],
        );
        Pages {
            last,
            prev: (self.page > 1).then(|| href(self.page - 1)),
            next: (self.page < last).then(|| href(self.page + 1)),
            label,
        }
    }
}

/// A rendered page part, from the page cache when the initiative has not changed
/// since it was rendered (see [`crate::cache`]). `key` must name everything the
/// part depends on besides the initiative's generation: the page, the language,
/// what the viewer may see; the part must hold nothing personal to the viewer
/// (no CSRF token, no name of the signed-in user).
pub async fn cached_part(
    s: &crate::AppState,
    view: &store::partnership::InitiativeView,
    key: String,
    make: impl std::future::Future<Output = Result<String, AppError>>,
) -> Result<std::sync::Arc<String>, AppError> {
    let key = format!(
        "{key}:{}:{}:{}",
        view.initiative.id,
        view.generation,
        viewer_class(&view.grants)
    );
    if let Some(html) = s.pages.get(&key) {
        return Ok(html);
    }
    let html = make.await?;
    Ok(s.pages.put(key, html))
}

/// What a viewer may see, as far as rendered parts differ: editing links, contact
/// details, pay. Two viewers of the same class see the same part.
fn viewer_class(g: &Grants) -> String {
    use domain::access::{Decision, decide};
    use domain::resource::Class;
    let allow = |action, kind, class| decide(g, action, kind, class) == Decision::Allow;
    // A partner's own entries carry editing links: the organizations it
    // speaks for are part of what it sees.
    let own: Vec<String> = g.organizations.iter().map(i64::to_string).collect();
    format!(
        "{}{}{}{}{}",
        u8::from(allow(Action::Update, "registry", Class::Ordinary)),
        u8::from(allow(Action::Read, "person", Class::Contact)),
        u8::from(allow(Action::Read, "membership", Class::Pay)),
        u8::from(allow(Action::ReadAudit, "initiative", Class::Ordinary)),
        if own.is_empty() {
            String::new()
        } else {
            format!("o{}", own.join(","))
        },
    )
}

/// Render a template into a string (for a cached part).
pub fn render_part<T: Template>(t: &T) -> Result<String, AppError> {
    t.render().map_err(|e| {
        tracing::error!(error = %e, "template failed");
        AppError::Internal
    })
}

/// Render a template as a 200 page.
pub fn render<T: Template>(t: &T) -> PageResult {
    render_status(StatusCode::OK, t)
}

pub fn render_status<T: Template>(status: StatusCode, t: &T) -> PageResult {
    match t.render() {
        Ok(body) => Ok((status, Html(body)).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            Err(PageError(AppError::Internal))
        }
    }
}

#[derive(Template)]
#[template(path = "page.html")]
pub struct Page {
    pub c: Chrome,
    /// Rendered content, possibly from the page cache.
    pub content: std::sync::Arc<String>,
    /// (action, version) of the admin's archive form, when shown.
    pub archive: Option<(String, i64)>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    heading: String,
    message: String,
}

/// Every error answers in the format of where it was sent: JSON under `/api/`,
/// a translated HTML page elsewhere.
///
/// Page handlers return an empty response carrying the [`AppError`]; it is
/// rendered here. Responses nobody formatted — axum's plain-text rejections (a
/// malformed query string, a non-numeric id in a path, a body that is not JSON),
/// a bare 405 — are converted too, keeping their status and headers.
pub async fn error_pages(req: Request, next: Next) -> Response {
    let api = crate::input::is_api(req.uri().path());
    let tr = language(req.headers());
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    if let Some(err) = res.extensions().get::<AppError>().cloned() {
        return if api {
            err.into_response()
        } else {
            error_page(tr, path, &err, err.status())
        };
    }
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    // Machine endpoints answer in plain text on purpose.
    if path == "/healthz" || path == "/metrics" {
        return res;
    }
    let formatted = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("text/html"));
    if formatted {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.remove(axum::http::header::CONTENT_TYPE);
    let (code, err) = plain_error(status, text);
    let mut converted = if api {
        let body = serde_json::json!({ "error": code, "message": err.message() });
        (status, axum::Json(body)).into_response()
    } else {
        error_page(tr, path, &err, status)
    };
    for (name, value) in parts.headers.iter() {
        converted.headers_mut().insert(name.clone(), value.clone());
    }
    converted
}

/// The code and error that stand for a status nobody formatted.
fn plain_error(status: StatusCode, text: String) -> (&'static str, AppError) {
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
    } else {
        text
    };
    match status {
        StatusCode::NOT_FOUND => ("not_found", AppError::NotFound),
        StatusCode::FORBIDDEN => ("forbidden", AppError::Forbidden),
        StatusCode::UNAUTHORIZED => (
            "unauthorized",
            AppError::Unauthorized {
                next: String::new(),
            },
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", AppError::TooLarge),
        StatusCode::TOO_MANY_REQUESTS => ("too_many_requests", AppError::TooManyRequests),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", AppError::BadRequest(message)),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", AppError::BadRequest(message))
        }
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid", AppError::BadRequest(message)),
        StatusCode::REQUEST_TIMEOUT => ("timeout", AppError::BadRequest(message)),
        StatusCode::SERVICE_UNAVAILABLE => ("unavailable", AppError::Internal),
        s if s.is_server_error() => ("internal", AppError::Internal),
        _ => ("bad_request", AppError::BadRequest(message)),
    }
}

/// The translated HTML page for an error, with the given status.
fn error_page(tr: crate::i18n::Tr, path: String, err: &AppError, status: StatusCode) -> Response {
    let heading = tr.t(&format!("error-page-{}", err.code()));
    // Pages show the translated text; the API carries the detailed English message.
    let message = tr.t(&format!("error-page-{}-text", err.code()));
    let c = Chrome::anonymous(tr, path, heading.clone());
    match (ErrorPage {
        c,
        heading,
        message,
    })
    .render()
    {
        Ok(body) => (status, Html(body)).into_response(),
        Err(_) => status.into_response(),
    }
}

pub async fn not_found() -> PageError {
    PageError(AppError::NotFound)
}

/// Read a submitted form into field map, plus the CSRF token and version.
pub struct Submitted {
    pub fields: domain::validation::FieldMap,
    pub csrf: Option<String>,
    pub version: Option<i64>,
    /// The values the editor saw when the form opened (`_was_{field}`), for
    /// merging a save into someone else's (see `domain::edits`).
    pub seen: domain::validation::FieldMap,
}

impl Submitted {
    /// A new record's empty slug made from its name ("Lod Early Years" →
    /// `lod-early-years`); see `domain::validation::slug_from`.
    pub fn slug_from_name(&mut self) {
        if self.fields.get("slug").is_none_or(|v| v.trim().is_empty()) {
            let made = domain::validation::slug_from(self.fields.get("name").map_or("", |n| n));
            self.fields.insert("slug".into(), made);
        }
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut s = Submitted {
            fields: Default::default(),
            csrf: None,
            version: None,
            seen: Default::default(),
        };
        for (k, v) in pairs {
            match k.as_str() {
                "_csrf" => s.csrf = Some(v),
                "_version" => s.version = v.parse().ok(),
                _ if k.starts_with("_was_") => {
                    s.seen.insert(k["_was_".len()..].to_string(), v);
                }
                _ => {
                    s.fields.insert(k, v);
                }
            }
        }
        s
    }
}
