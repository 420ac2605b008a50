//! Referrals and their measures.
//!
//! Organizations are checked to be the initiative's (live registry records);
//! a person, when given, must be on one of the initiative's lists. Audit
//! entries name the fields written, never the values (a referral's outcome
//! and its person are personal).

use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, QueryResult};
use serde::Serialize;

use domain::cases::person::Race;
use domain::cases::referrals::{Referral, RiskLevel, Split, SplitBy, split};
use domain::validation::FieldErrors;

use super::a;
use crate::{Result, Store, StoreError, Timestamp, audit};

/// A referral as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferralRow {
    pub id: i64,
    #[serde(flatten)]
    pub referral: Referral,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLS: [&str; 16] = [
    "id",
    "person_id",
    "referral_type",
    "from_organization_id",
    "to_organization_id",
    "risk_level",
    "race_ethnicity",
    "neighbourhood",
    "referred_on",
    "accepted_on",
    "first_service_on",
    "outcome",
    "closed_on",
    "closed_reason",
    "created_at",
    "updated_at",
];

fn row_of(r: &QueryResult) -> Result<ReferralRow> {
    let risk: String = r.try_get("", "risk_level")?;
    let race: Option<String> = r.try_get("", "race_ethnicity")?;
    let ts = |c: &str| -> Result<Timestamp> {
        let t: chrono::DateTime<chrono::Utc> = r.try_get("", c)?;
        Ok(t.into())
    };
    Ok(ReferralRow {
        id: r.try_get("", "id")?,
        referral: Referral {
            referral_type: r.try_get("", "referral_type")?,
            from_organization_id: r.try_get("", "from_organization_id")?,
            to_organization_id: r.try_get("", "to_organization_id")?,
            person_id: r.try_get("", "person_id")?,
            risk_level: RiskLevel::parse(&risk).unwrap_or(RiskLevel::Low),
            race_ethnicity: race.as_deref().and_then(Race::parse),
            neighbourhood: r.try_get("", "neighbourhood")?,
            referred_on: r.try_get("", "referred_on")?,
            accepted_on: r.try_get("", "accepted_on")?,
            first_service_on: r.try_get("", "first_service_on")?,
            outcome: r.try_get("", "outcome")?,
            closed_on: r.try_get("", "closed_on")?,
            closed_reason: r.try_get("", "closed_reason")?,
        },
        created_at: ts("created_at")?,
        updated_at: ts("updated_at")?,
    })
}

fn values(r: &Referral) -> Vec<(&'static str, sea_orm::sea_query::Value)> {
    vec![
        ("person_id", r.person_id.into()),
        ("referral_type", r.referral_type.clone().into()),
        ("from_organization_id", r.from_organization_id.into()),
        ("to_organization_id", r.to_organization_id.into()),
        ("risk_level", r.risk_level.as_str().into()),
        (
            "race_ethnicity",
            r.race_ethnicity.map(|x| x.as_str().to_string()).into(),
        ),
        ("neighbourhood", r.neighbourhood.clone().into()),
        ("referred_on", r.referred_on.into()),
        ("accepted_on", r.accepted_on.into()),
        ("first_service_on", r.first_service_on.into()),
        ("outcome", r.outcome.clone().into()),
        ("closed_on", r.closed_on.into()),
        ("closed_reason", r.closed_reason.clone().into()),
    ]
}

/// The fields that differ between two versions (names only).
fn changed(before: &Referral, after: &Referral) -> Vec<&'static str> {
    values(before)
        .into_iter()
        .zip(values(after))
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, _)| x.0)
        .collect()
}

async fn check(conn: &impl ConnectionTrait, initiative: i64, r: &Referral) -> Result<()> {
    let mut e = FieldErrors::default();
    for (f, id) in [
        ("from_organization_id", r.from_organization_id),
        ("to_organization_id", r.to_organization_id),
    ] {
        let Some(id) = id else { continue };
        let q = Query::select()
            .column(a("id"))
            .from(a("organizations"))
            .and_where(Expr::col(a("id")).eq(id))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .and_where(Expr::col(a("archived_at")).is_null())
            .to_owned();
        if conn.query_one(&q).await?.is_none() {
            e.add(
                f,
                "unknown_organization",
                format!("{f} is not an organization of this initiative"),
            );
        }
    }
    if let Some(p) = r.person_id {
        let q = Query::select()
            .column(a("id"))
            .from(a("case_people"))
            .and_where(Expr::col(a("id")).eq(p))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .to_owned();
        if conn.query_one(&q).await?.is_none() {
            e.add(
                "person_id",
                "unknown_person",
                "person_id is not a person on this initiative's lists",
            );
        }
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(e))
    }
}

async fn referral_in(conn: &impl ConnectionTrait, initiative: i64, id: i64) -> Result<ReferralRow> {
    let q = Query::select()
        .columns(COLS.map(a))
        .from(a("case_referrals"))
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("initiative_id")).eq(initiative))
        .to_owned();
    row_of(&conn.query_one(&q).await?.ok_or(StoreError::NotFound)?)
}

/// Insert a checked referral; its id.
pub(crate) async fn insert_in(
    txn: &sea_orm::DatabaseTransaction,
    initiative: i64,
    actor: Option<i64>,
    r: &Referral,
) -> Result<i64> {
    check(txn, initiative, r).await?;
    let now = crate::now();
    let mut cols = vec![
        a("initiative_id"),
        a("recorded_by"),
        a("created_at"),
        a("updated_at"),
    ];
    let mut vals: Vec<sea_orm::sea_query::SimpleExpr> =
        vec![initiative.into(), actor.into(), now.into(), now.into()];
    for (c, v) in values(r) {
        cols.push(a(c));
        vals.push(v.into());
    }
    crate::records::insert_id(
        txn,
        &Query::insert()
            .into_table(a("case_referrals"))
            .columns(cols)
            .values_panic(vals)
            .returning_col(a("id"))
            .to_owned(),
    )
    .await
}

impl Store {
    /// The initiative's referrals, latest referred first.
    pub async fn referrals(&self, initiative: i64) -> Result<Vec<ReferralRow>> {
        let q = Query::select()
            .columns(COLS.map(a))
            .from(a("case_referrals"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .order_by(a("referred_on"), Order::Desc)
            .order_by(a("id"), Order::Desc)
            .to_owned();
        self.db.query_all(&q).await?.iter().map(row_of).collect()
    }

    pub async fn referral(&self, initiative: i64, id: i64) -> Result<ReferralRow> {
        referral_in(&self.db, initiative, id).await
    }

    /// The referrals as a case worker reads them: the read is audited (one
    /// entry naming how many rows were shown), like the list by name.
    pub async fn view_referrals(
        &self,
        initiative: i64,
        actor: Option<i64>,
    ) -> Result<Vec<ReferralRow>> {
        let rows = self.referrals(initiative).await?;
        let txn = self.write_txn().await?;
        audit::append_read(
            &txn,
            actor,
            initiative,
            "case_referral",
            0,
            "view",
            Some(serde_json::json!({ "rows": rows.len() })),
        )
        .await?;
        txn.commit().await?;
        Ok(rows)
    }

    /// One referral as a case worker reads it, audited.
    pub async fn view_referral(
        &self,
        initiative: i64,
        id: i64,
        actor: Option<i64>,
    ) -> Result<ReferralRow> {
        let row = referral_in(&self.db, initiative, id).await?;
        let txn = self.write_txn().await?;
        audit::append_read(&txn, actor, initiative, "case_referral", id, "view", None).await?;
        txn.commit().await?;
        Ok(row)
    }

    /// A new referral, checked and audited by field name.
    pub async fn create_referral(
        &self,
        initiative: i64,
        actor: Option<i64>,
        r: &Referral,
    ) -> Result<ReferralRow> {
        let txn = self.write_txn().await?;
        let id = insert_in(&txn, initiative, actor, r).await?;
        let fields: Vec<&str> = values(r)
            .into_iter()
            .filter(|(_, v)| *v != sea_orm::sea_query::Value::String(None))
            .map(|(c, _)| c)
            .collect();
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "case_referral",
            id,
            "create",
            None::<&()>,
            Some(&serde_json::json!({ "fields": fields })),
        )
        .await?;
        let row = referral_in(&txn, initiative, id).await?;
        txn.commit().await?;
        Ok(row)
    }

    /// Change a referral (accepted, first service, outcome, closed…), audited
    /// by the names of the fields that changed.
    pub async fn update_referral(
        &self,
        initiative: i64,
        id: i64,
        actor: Option<i64>,
        r: &Referral,
    ) -> Result<ReferralRow> {
        let txn = self.write_txn().await?;
        let before = referral_in(&txn, initiative, id).await?;
        check(&txn, initiative, r).await?;
        let mut vals: Vec<(sea_orm::sea_query::Alias, sea_orm::sea_query::SimpleExpr)> = values(r)
            .into_iter()
            .map(|(c, v)| (a(c), v.into()))
            .collect();
        vals.push((a("updated_at"), crate::now().into()));
        txn.execute(
            &Query::update()
                .table(a("case_referrals"))
                .values(vals)
                .and_where(Expr::col(a("id")).eq(id))
                .to_owned(),
        )
        .await?;
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "case_referral",
            id,
            "update",
            None::<&()>,
            Some(&serde_json::json!({ "fields": changed(&before.referral, r) })),
        )
        .await?;
        let row = referral_in(&txn, initiative, id).await?;
        txn.commit().await?;
        Ok(row)
    }

    /// The measures split by `by`, with gaps to `reference` (default: the
    /// largest group); small cells suppressed unless `small_cells`.
    pub async fn referral_measures(
        &self,
        initiative: i64,
        by: SplitBy,
        reference: Option<&str>,
        small_cells: bool,
    ) -> Result<Split> {
        let rows = self.referrals(initiative).await?;
        let rs: Vec<Referral> = rows.into_iter().map(|r| r.referral).collect();
        Ok(split(&rs, by, reference, small_cells))
    }
}
