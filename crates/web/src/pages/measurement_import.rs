//! Uploading a spreadsheet of values or indicators, with its status on a page.
//!
//! An upload starts a job in the background and the browser is sent to the
//! job's page. That page shows where the import stands (rows checked, values
//! written). When the import is done, it shows what changed, or every refused
//! row with its row, column and reason, and then nothing has been written. The
//! page waits up to two seconds for a job to finish before it answers, so a
//! small file shows its result at once. A long one shows a progress bar and a
//! link to look again: there is no automatic refresh, which would take the
//! page away from someone still reading it.
//!
//! Jobs live in memory, for the user who started them, for an hour.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use domain::access::Action;
use domain::measurement::import::RowError;

use super::{Chrome, render};
use crate::AppState;
use crate::access::{Authorized, Read, Report};
use crate::error::{AppError, PageResult};
use crate::imports::{self, ImportError, Progress, Stage};
use crate::routes::{Access, Routes};

/// The largest spreadsheet the page accepts (the command line takes any size).
pub const MAX_UPLOAD: usize = 32 * 1024 * 1024;
/// How many refused rows the page lists (the count says how many in all).
const SHOWN_ERRORS: usize = 200;
const KEEP: Duration = Duration::from_secs(3600);

pub fn routes(r: Routes) -> Routes {
    let read = Access::Initiative(Action::Read, "initiative");
    let report = Access::Initiative(Action::Report, "initiative");
    r.get("/i/{slug}/measurement/import", report, upload_form)
        .post_with_limit("/i/{slug}/measurement/import", report, upload, MAX_UPLOAD)
        .get("/i/{slug}/measurement/import/{job}", report, job_page)
        .get(
            "/i/{slug}/measurement/template/values.csv",
            read,
            values_template,
        )
        .get(
            "/i/{slug}/measurement/template/indicators.csv",
            read,
            indicators_template,
        )
}

/// Where one import stands.
#[derive(Debug, Clone)]
enum Status {
    Running(Option<Progress>),
    /// Rows added, changed and unchanged.
    Done(usize, usize, usize),
    Refused {
        errors: Vec<RowError>,
        total: usize,
    },
    /// The database failed (logged; the page says nothing was written).
    Failed,
}

struct Job {
    user: i64,
    initiative: i64,
    file_name: String,
    started: Instant,
    status: Status,
}

/// The imports started from pages, by id.
#[derive(Default)]
pub struct Jobs(Mutex<HashMap<String, Job>>);

impl Jobs {
    fn start(&self, user: i64, initiative: i64, file_name: &str) -> String {
        use rand::Rng;
        let id = format!("{:016x}", rand::thread_rng().r#gen::<u64>());
        let mut jobs = self.0.lock().expect("jobs lock");
        jobs.retain(|_, j| j.started.elapsed() < KEEP || matches!(j.status, Status::Running(_)));
        jobs.insert(
            id.clone(),
            Job {
                user,
                initiative,
                file_name: file_name.to_string(),
                started: Instant::now(),
                status: Status::Running(None),
            },
        );
        id
    }
    fn set(&self, id: &str, status: Status) {
        if let Some(j) = self.0.lock().expect("jobs lock").get_mut(id) {
            j.status = status;
        }
    }
    /// A job of this user in this initiative (anyone else's is not found).
    fn get(&self, id: &str, user: i64, initiative: i64) -> Option<(String, Status)> {
        let jobs = self.0.lock().expect("jobs lock");
        jobs.get(id)
            .filter(|j| j.user == user && j.initiative == initiative)
            .map(|j| (j.file_name.clone(), j.status.clone()))
    }
}

#[derive(Template)]
#[template(path = "measurement_import.html")]
struct UploadPage {
    c: Chrome,
    slug: String,
    can_define: bool,
    error: String,
}

#[derive(Template)]
#[template(path = "measurement_import_job.html")]
struct JobPage {
    c: Chrome,
    slug: String,
    id: String,
    file_name: String,
    running: bool,
    stage: String,
    done: usize,
    total: usize,
    summary: String,
    errors: Vec<RowError>,
    total_errors: usize,
    failure: String,
}

fn chrome(auth: &Authorized<impl crate::access::Need>, title: String) -> Chrome {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    Chrome::new(ctx, title)
        .in_initiative(i, g, "measurement")
        .crumb(
            format!("/i/{}/measurement", i.data.slug),
            ctx.tr.t("measurement-import-back"),
        )
}

async fn upload_form(auth: Authorized<Report>) -> PageResult {
    let c = chrome(&auth, auth.ctx.tr.t("measurement-import-title"));
    render(&UploadPage {
        slug: auth.initiative().data.slug.clone(),
        can_define: auth.grants().allows_on(Action::Create, "indicator"),
        error: String::new(),
        c,
    })
}

async fn upload(
    State(s): State<AppState>,
    auth: Authorized<Report>,
    mut form: Multipart,
) -> PageResult {
    let (mut csrf, mut what, mut file) = (None, String::from("values"), None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("the upload could not be read: {e}")))?
    {
        match field.name().unwrap_or("") {
            "_csrf" => csrf = field.text().await.ok(),
            "what" => what = field.text().await.unwrap_or_default(),
            "file" => {
                let name = field.file_name().unwrap_or("upload.csv").to_string();
                let bytes = field.bytes().await.map_err(|_| AppError::TooLarge)?;
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    auth.ctx.check_csrf(csrf.as_deref())?;
    let slug = auth.initiative().data.slug.clone();
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let c = chrome(&auth, auth.ctx.tr.t("measurement-import-title"));
        return super::render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &UploadPage {
                slug,
                can_define: auth.grants().allows_on(Action::Create, "indicator"),
                error: auth.ctx.tr.t("measurement-import-no-file"),
                c,
            },
        );
    };
    let defining = what == "indicators";
    if defining {
        crate::access::refusal(domain::access::decide_record(
            auth.grants(),
            Action::Create,
            "indicator",
        ))?;
    }
    let initiative = auth.initiative().id;
    let user = auth.user.id;
    let id = s.imports.start(user, initiative, &name);
    let (jobs, store, job) = (s.imports.clone(), s.store.clone(), id.clone());
    tokio::spawn(async move {
        let on_progress = {
            let (jobs, job) = (jobs.clone(), job.clone());
            move |p: Progress| jobs.set(&job, Status::Running(Some(p)))
        };
        let outcome = if defining {
            imports::import_indicators(&store, initiative, Some(user), &bytes, &name)
                .await
                .map(|r| (r.added, r.changed, r.unchanged))
        } else {
            imports::import_values(&store, initiative, Some(user), &bytes, &name, &on_progress)
                .await
                .map(|r| (r.added, r.changed, r.unchanged))
        };
        let status = match outcome {
            Ok((added, changed, unchanged)) => Status::Done(added, changed, unchanged),
            Err(ImportError::Store(e)) => {
                tracing::error!(error = %e, "an import failed in the database");
                Status::Failed
            }
            Err(e) => {
                let errors = e.errors();
                Status::Refused {
                    total: errors.len(),
                    errors: errors.into_iter().take(SHOWN_ERRORS).collect(),
                }
            }
        };
        jobs.set(&job, status);
    });
    Ok(Redirect::to(&format!("/i/{slug}/measurement/import/{id}")).into_response())
}

async fn job_page(
    State(s): State<AppState>,
    auth: Authorized<Report>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let (initiative, user) = (auth.initiative().id, auth.user.id);
    let mut found = s
        .imports
        .get(&id, user, initiative)
        .ok_or(AppError::NotFound)?;
    // A small file is done in well under this: show its result at once.
    let until = Instant::now() + Duration::from_secs(2);
    while matches!(found.1, Status::Running(_)) && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(100)).await;
        found = s
            .imports
            .get(&id, user, initiative)
            .ok_or(AppError::NotFound)?;
    }
    let tr = &auth.ctx.tr;
    let (file_name, status) = found;
    let mut page = JobPage {
        c: chrome(&auth, tr.t("measurement-import-status")),
        slug,
        id,
        file_name,
        running: false,
        stage: String::new(),
        done: 0,
        total: 0,
        summary: String::new(),
        errors: Vec::new(),
        total_errors: 0,
        failure: String::new(),
    };
    match status {
        Status::Running(p) => {
            page.running = true;
            if let Some(p) = p {
                page.stage = tr.t(match p.stage {
                    Stage::Checking => "measurement-import-checking",
                    Stage::Writing => "measurement-import-writing",
                });
                (page.done, page.total) = (p.done, p.total);
            } else {
                page.stage = tr.t("measurement-import-reading");
            }
        }
        Status::Done(added, changed, unchanged) => {
            page.summary = if added == 0 && changed == 0 {
                tr.t1(
                    "measurement-import-nothing",
                    "unchanged",
                    &unchanged.to_string(),
                )
            } else {
                tr.tn(
                    "measurement-import-done",
                    &[
                        ("added", added.to_string()),
                        ("changed", changed.to_string()),
                        ("unchanged", unchanged.to_string()),
                    ],
                )
            };
        }
        Status::Refused { errors, total } => {
            page.errors = errors;
            page.total_errors = total;
        }
        Status::Failed => page.failure = tr.t("measurement-import-failed"),
    }
    render(&page)
}

fn csv(name: &str, body: String) -> PageResult {
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        // A byte-order mark, so that spreadsheet programs read UTF-8 (Hebrew
        // option names among them); imports accept it.
        format!("\u{feff}{body}"),
    )
        .into_response())
}

async fn values_template(State(s): State<AppState>, auth: Authorized<Read>) -> PageResult {
    let indicators = s.store.indicators(auth.initiative().id).await?;
    csv(
        "values-template.csv",
        imports::value_template_csv(&indicators),
    )
}

async fn indicators_template(_auth: Authorized<Read>) -> PageResult {
    csv("indicators-template.csv", imports::indicator_template_csv())
}

/// The job registry a server keeps (see [`Jobs`]).
pub fn jobs() -> Arc<Jobs> {
    Arc::new(Jobs::default())
}
