//! The HMIS import page of a by-name list: upload a zip file of an HMIS CSV
//! FY2024 export; every file is checked, then the people and their events are
//! written into the list in one batch, or nothing is written and every problem
//! is listed by file, row and column. Re-uploading the same export writes
//! nothing. Messages never quote a value from the export.

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use domain::access::Action;
use domain::cases::events::Source;
use interop::hmis::{self, Located};
use store::StoreError;
use store::cases::CaseList;
use store::cases::import::{ImportSummary, Incoming};

use super::{Chrome, render, render_status};
use crate::AppState;
use crate::access::{Authorized, CaseWork};
use crate::error::{AppError, PageResult};
use crate::routes::{Access, Routes};

/// The largest export the page and the API accept.
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;

pub fn routes(r: Routes) -> Routes {
    let work = Access::Initiative(Action::CaseWork, "case_person");
    r.get("/i/{slug}/cases/{id}/import", work, form)
        .post_with_limit("/i/{slug}/cases/{id}/import", work, upload, MAX_UPLOAD)
}

/// What an upload came to.
pub(crate) enum Outcome {
    Imported {
        summary: ImportSummary,
        warnings: Vec<Located>,
    },
    Refused {
        errors: Vec<Located>,
        warnings: Vec<Located>,
    },
}

/// Check an uploaded zip file and, when it can be imported, write it into the
/// list (one batch, audited; nothing when nothing changed).
pub(crate) async fn import_zip(
    s: &AppState,
    list: &CaseList,
    actor: i64,
    file_name: &str,
    bytes: &[u8],
) -> Result<Outcome, AppError> {
    let files = match hmis::read_zip_bytes(file_name, bytes) {
        Ok(f) => f,
        Err(errors) => {
            return Ok(Outcome::Refused {
                errors,
                warnings: vec![],
            });
        }
    };
    let export = match hmis::check(&files, list.inactivity_days) {
        Ok(e) => e,
        Err(r) => {
            return Ok(Outcome::Refused {
                errors: r.errors,
                warnings: r.warnings,
            });
        }
    };
    let incoming: Vec<Incoming> = export
        .people
        .iter()
        .map(|p| Incoming {
            external_id: p.personal_id.clone(),
            person: p.person.clone(),
            events: p
                .events
                .iter()
                .map(|e| (e.occurred_on, e.kind, e.chronic))
                .collect(),
        })
        .collect();
    let hash = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(bytes))
    };
    match s
        .store
        .import_case_people(
            list.initiative_id,
            &list.name,
            Some(actor),
            Source::Hmis,
            file_name,
            &hash,
            &incoming,
        )
        .await
    {
        Ok(summary) => Ok(Outcome::Imported {
            summary,
            warnings: export.warnings,
        }),
        // People whose history in Backbone does not fit the export: each named
        // by PersonalID (an HMIS key, not a personal value).
        Err(StoreError::Invalid(fields)) => {
            let errors = fields
                .0
                .into_iter()
                .map(|(field, e)| {
                    let id = field.strip_prefix("PersonalID ").unwrap_or(&field);
                    let row = export
                        .people
                        .iter()
                        .find(|p| p.personal_id == id)
                        .map(|p| p.client_row);
                    Located {
                        file: "Client.csv".into(),
                        row,
                        column: Some("PersonalID".into()),
                        code: e.code,
                        message: e.message,
                    }
                })
                .collect();
            Ok(Outcome::Refused {
                errors,
                warnings: export.warnings,
            })
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "cases/import.html")]
struct ImportPage {
    c: Chrome,
    slug: String,
    list_id: i64,
    list_name: String,
    /// The file field's error (no file sent).
    error: String,
    /// The summary's lines, when the export was imported.
    summary: Vec<String>,
    errors: Vec<Located>,
    warnings: Vec<Located>,
}

fn page(auth: &Authorized<CaseWork>, list: &CaseList) -> ImportPage {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let slug = i.data.slug.clone();
    let c = Chrome::new(ctx, ctx.tr.t("cases-import-title"))
        .in_initiative(i, g, "cases")
        .crumb(format!("/i/{slug}/cases/{}", list.id), list.name.clone());
    ImportPage {
        c,
        slug,
        list_id: list.id,
        list_name: list.name.clone(),
        error: String::new(),
        summary: vec![],
        errors: vec![],
        warnings: vec![],
    }
}

async fn form(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    let list = s.store.case_list(auth.initiative().id, id).await?;
    render(&page(&auth, &list))
}

async fn upload(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Path((_, id)): Path<(String, i64)>,
    form: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let list = s.store.case_list(auth.initiative().id, id).await?;
    let mut file = None;
    // A body that is not a form with a file (an empty form) is refused below
    // like a form without a file: nothing is written.
    if let Ok(mut form) = form {
        let mut csrf = None;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| AppError::BadRequest(format!("the upload could not be read: {e}")))?
        {
            match field.name().unwrap_or("") {
                "_csrf" => csrf = field.text().await.ok(),
                "file" => {
                    let name = field.file_name().unwrap_or("export.zip").to_string();
                    let bytes = field.bytes().await.map_err(|_| AppError::TooLarge)?;
                    file = Some((name, bytes));
                }
                _ => {}
            }
        }
        auth.ctx.check_csrf(csrf.as_deref())?;
    }
    let mut p = page(&auth, &list);
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        p.error = auth.ctx.tr.t("cases-import-no-file");
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &p);
    };
    // The file's name is shown in messages: only its last part, and not too long.
    let name: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("export.zip")
        .chars()
        .filter(|c| !c.is_control())
        .take(255)
        .collect();
    let tr = &auth.ctx.tr;
    match import_zip(&s, &list, auth.user.id, &name, &bytes).await? {
        Outcome::Imported { summary, warnings } => {
            let n = |k: &str, v: usize| tr.t1(k, "count", &v.to_string());
            p.summary = vec![if summary.batch_id.is_none() {
                tr.t("cases-import-nothing-changed")
            } else {
                tr.t("cases-import-done")
            }];
            p.summary.extend([
                n("cases-import-people-added", summary.people_added),
                n("cases-import-people-changed", summary.people_changed),
                n("cases-import-people-unchanged", summary.people_unchanged),
                n("cases-import-events-added", summary.events_added),
                n("cases-import-events-voided", summary.events_voided),
                n("cases-import-warnings-count", warnings.len()),
            ]);
            if summary.people_erased_skipped > 0 {
                p.summary.push(n(
                    "cases-import-erased-skipped",
                    summary.people_erased_skipped,
                ));
            }
            p.warnings = warnings;
            render(&p)
        }
        Outcome::Refused { errors, warnings } => {
            p.errors = errors;
            p.warnings = warnings;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}
