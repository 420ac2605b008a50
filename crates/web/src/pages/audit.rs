//! The audit log of an initiative: who changed what, when, with values before
//! and after (coordinators).

use askama::Template;
use axum::extract::{Query, State};

use store::audit::{Entry, Filter};

use super::{Chrome, PageQuery, render};
use crate::AppState;
use crate::access::{Audit, Authorized};
use crate::error::PageResult;

#[derive(Template)]
#[template(path = "audit_content.html")]
struct AuditContent<'a> {
    c: &'a Chrome,
    entries: Vec<Entry>,
    page: u64,
    more: bool,
}

pub async fn audit(
    State(s): State<AppState>,
    auth: Authorized<Audit>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let page = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let per = 50;
    let c = Chrome::new(ctx, ctx.tr.t("audit-title")).in_initiative(i, g, "audit");
    let key = format!("audit:{page}:{}", c.lang());
    let content = super::cached_part(&s, &auth.view, key, async {
        let mut entries = auth
            .registry(&s.store)
            .audit(Filter {
                limit: per + 1,
                offset: (page - 1) * per,
                ..Default::default()
            })
            .await?;
        let more = entries.len() as u64 > per;
        entries.truncate(per as usize);
        super::render_part(&AuditContent {
            c: &c,
            entries,
            page,
            more,
        })
    })
    .await?;
    render(&super::Page {
        c,
        content,
        archive: None,
    })
}
