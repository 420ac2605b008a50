//! Persistence of the cases module: by-name lists, people, status events.
//!
//! People and events are volume data, not registry records: no per-row version
//! check, no per-row JSON snapshot, no page-cache generation bump per row.
//! Every write is one transaction with one `case_batches` row and one audit
//! entry (who, what, counts, and for an import the file's name and hash).
//! Audit entries about a person name the fields that changed, never their
//! values, so erasing a person leaves no personal data behind in the log.
//!
//! - [`people`]: adding, changing, viewing (audited one by one), erasing;
//!   the list as case workers see it.
//! - [`events`]: recording an event (checked against the person's history),
//!   the batch write path, the spells aggregate, the inactivity job.
//! - [`import`]: writing an HMIS export's people and events, idempotently.
//! - [`report`]: monthly reports, submission, the balance check, functional zero.
//! - [`demo`]: a year of Riverside Zero's list.

pub mod conference;
pub mod demo;
pub mod events;
pub mod import;
pub mod pages_support;
pub mod people;
pub mod referrals;
pub mod report;
pub mod triage;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, QueryResult};
use serde::Serialize;

use domain::cases::zero::Comparator;
use domain::validation::FieldErrors;

use crate::{Result, Store, StoreError, Timestamp, audit};

pub(crate) fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// Rows per multi-row `INSERT` (at most 11 columns: inside SQLite's limits).
pub(crate) const CHUNK: usize = 1000;

/// A by-name list and its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseList {
    pub id: i64,
    pub initiative_id: i64,
    pub name: String,
    /// Days without identification or contact after which a spell turns inactive.
    pub inactivity_days: u32,
    /// Functional zero for veterans: `lt` (fewer than the threshold) or `le`.
    pub veteran_comparator: Comparator,
    /// The community's point-in-time count of individuals (chronic threshold).
    pub pit_count: Option<u64>,
    pub created_at: Timestamp,
}

/// The settings a coordinator can change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSettings {
    pub name: String,
    pub inactivity_days: u32,
    pub veteran_comparator: Comparator,
    pub pit_count: Option<u64>,
}

impl ListSettings {
    pub fn named(name: &str) -> ListSettings {
        ListSettings {
            name: name.to_string(),
            inactivity_days: 90,
            veteran_comparator: Comparator::Lt,
            pit_count: None,
        }
    }

    /// From a form or a JSON body: `name`, `inactivity_days` (1–3650, default
    /// 90), `veteran_comparator` (`lt`/`le`), `pit_count`.
    pub fn parse(input: &domain::validation::FieldMap) -> Result<ListSettings, FieldErrors> {
        let mut p = domain::validation::Parser::new(input);
        let name = p.name("name", domain::validation::MAX_NAME);
        let days = p.opt_int("inactivity_days", 1, 3650).unwrap_or(90);
        let cmp = match input.get("veteran_comparator").map(|s| s.trim()) {
            None | Some("") => Some(Comparator::Lt),
            Some(_) => p.choice("veteran_comparator", Comparator::parse),
        };
        let pit = p.opt_int("pit_count", 0, 100_000_000);
        p.errors.finish(ListSettings {
            name,
            inactivity_days: days as u32,
            veteran_comparator: cmp.unwrap_or(Comparator::Lt),
            pit_count: pit.map(|v| v as u64),
        })
    }
}

const LIST_COLS: [&str; 7] = [
    "id",
    "initiative_id",
    "name",
    "inactivity_days",
    "veteran_comparator",
    "pit_count",
    "created_at",
];

fn list_of(r: &QueryResult) -> Result<CaseList> {
    let cmp: String = r.try_get("", "veteran_comparator")?;
    let days: i64 = r.try_get("", "inactivity_days")?;
    let pit: Option<i64> = r.try_get("", "pit_count")?;
    let at: chrono::DateTime<chrono::Utc> = r.try_get("", "created_at")?;
    Ok(CaseList {
        id: r.try_get("", "id")?,
        initiative_id: r.try_get("", "initiative_id")?,
        name: r.try_get("", "name")?,
        inactivity_days: days as u32,
        veteran_comparator: Comparator::parse(&cmp).unwrap_or(Comparator::Lt),
        pit_count: pit.map(|p| p as u64),
        created_at: at.into(),
    })
}

pub(crate) async fn list_in(
    conn: &impl ConnectionTrait,
    initiative: i64,
    id: i64,
) -> Result<CaseList> {
    let q = Query::select()
        .columns(LIST_COLS.map(a))
        .from(a("case_lists"))
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("initiative_id")).eq(initiative))
        .to_owned();
    let row = conn.query_one(&q).await?.ok_or(StoreError::NotFound)?;
    list_of(&row)
}

fn name_taken(name: &str) -> StoreError {
    StoreError::Invalid(FieldErrors::single(
        "name",
        "taken",
        format!("this initiative already has a list named {name:?}"),
    ))
}

impl Store {
    /// The initiative's lists, by name.
    pub async fn case_lists(&self, initiative: i64) -> Result<Vec<CaseList>> {
        let q = Query::select()
            .columns(LIST_COLS.map(a))
            .from(a("case_lists"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .order_by(a("name"), Order::Asc)
            .to_owned();
        self.db.query_all(&q).await?.iter().map(list_of).collect()
    }

    /// One list of the initiative (another initiative's list is not found).
    pub async fn case_list(&self, initiative: i64, id: i64) -> Result<CaseList> {
        list_in(&self.db, initiative, id).await
    }

    pub async fn case_list_named(&self, initiative: i64, name: &str) -> Result<Option<CaseList>> {
        let q = Query::select()
            .columns(LIST_COLS.map(a))
            .from(a("case_lists"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .and_where(Expr::col(a("name")).eq(name))
            .to_owned();
        self.db
            .query_one(&q)
            .await?
            .as_ref()
            .map(list_of)
            .transpose()
    }

    /// A new list, audited.
    pub async fn create_case_list(
        &self,
        initiative: i64,
        actor: Option<i64>,
        s: &ListSettings,
    ) -> Result<CaseList> {
        let txn = self.write_txn().await?;
        let id = create_list_in(&txn, initiative, actor, s).await?;
        let list = list_in(&txn, initiative, id).await?;
        txn.commit().await?;
        Ok(list)
    }

    /// Change a list's settings, audited with before and after (no personal data).
    pub async fn update_case_list(
        &self,
        initiative: i64,
        id: i64,
        actor: Option<i64>,
        s: &ListSettings,
    ) -> Result<CaseList> {
        let txn = self.write_txn().await?;
        let before = list_in(&txn, initiative, id).await?;
        if before.name != s.name && self.case_list_named(initiative, &s.name).await?.is_some() {
            return Err(name_taken(&s.name));
        }
        txn.execute(
            &Query::update()
                .table(a("case_lists"))
                .values([
                    (a("name"), s.name.clone().into()),
                    (a("inactivity_days"), i64::from(s.inactivity_days).into()),
                    (
                        a("veteran_comparator"),
                        s.veteran_comparator.as_str().into(),
                    ),
                    (a("pit_count"), s.pit_count.map(|p| p as i64).into()),
                ])
                .and_where(Expr::col(a("id")).eq(id))
                .to_owned(),
        )
        .await?;
        let after = list_in(&txn, initiative, id).await?;
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "case_list",
            id,
            "update",
            Some(&before),
            Some(&after),
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }
}

pub(crate) async fn create_list_in(
    txn: &sea_orm::DatabaseTransaction,
    initiative: i64,
    actor: Option<i64>,
    s: &ListSettings,
) -> Result<i64> {
    let exists = Query::select()
        .column(a("id"))
        .from(a("case_lists"))
        .and_where(Expr::col(a("initiative_id")).eq(initiative))
        .and_where(Expr::col(a("name")).eq(s.name.as_str()))
        .to_owned();
    if txn.query_one(&exists).await?.is_some() {
        return Err(name_taken(&s.name));
    }
    let id = crate::records::insert_id(
        txn,
        &Query::insert()
            .into_table(a("case_lists"))
            .columns(
                [
                    "initiative_id",
                    "name",
                    "inactivity_days",
                    "veteran_comparator",
                    "pit_count",
                    "created_at",
                ]
                .map(a),
            )
            .values_panic([
                initiative.into(),
                s.name.clone().into(),
                i64::from(s.inactivity_days).into(),
                s.veteran_comparator.as_str().into(),
                s.pit_count.map(|p| p as i64).into(),
                crate::now().into(),
            ])
            .returning_col(a("id"))
            .to_owned(),
    )
    .await?;
    let list = list_in(txn, initiative, id).await?;
    audit::append(
        txn,
        actor,
        Some(initiative),
        "case_list",
        id,
        "create",
        None::<&()>,
        Some(&list),
    )
    .await?;
    Ok(id)
}

/// One `case_batches` row: what a write brought in.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_batch(
    txn: &sea_orm::DatabaseTransaction,
    list: i64,
    source: &str,
    file_name: Option<&str>,
    file_hash: Option<&str>,
    counts: (usize, usize, usize),
    actor: Option<i64>,
    at: Timestamp,
) -> Result<i64> {
    crate::records::insert_id(
        txn,
        &Query::insert()
            .into_table(a("case_batches"))
            .columns(
                [
                    "list_id",
                    "source",
                    "file_name",
                    "file_hash",
                    "people_added",
                    "people_changed",
                    "events_added",
                    "recorded_by",
                    "recorded_at",
                ]
                .map(a),
            )
            .values_panic([
                list.into(),
                source.into(),
                file_name.map(str::to_string).into(),
                file_hash.map(str::to_string).into(),
                (counts.0 as i64).into(),
                (counts.1 as i64).into(),
                (counts.2 as i64).into(),
                actor.into(),
                at.into(),
            ])
            .returning_col(a("id"))
            .to_owned(),
    )
    .await
}
