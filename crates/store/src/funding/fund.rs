//! The community investment fund's store path. Calls are registry records
//! (`domain::funding::fund::FundCall`, through `records`); applications,
//! assessors, conflict declarations, scores, awards with their agreement,
//! payment instalments and progress reports are plain rows written here, one
//! transaction per action and one audit entry per write. Listings read each
//! table once for a whole call (no query per application).

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, QueryResult, TransactionTrait};
use serde::Serialize;

use domain::access::Role;
use domain::funding::fund::{
    self as rules, Application, FundCall, Instalment, parse_scores, weighted_score,
};
use domain::resource::Record;
use domain::validation::{FieldErrors, FieldMap};

use crate::accounts::{User, insert_user_in, prepare_user};
use crate::records::{count, get_in, insert_id};
use crate::{Result, Store, StoreError, audit};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

fn refused(field: &str, code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(FieldErrors::single(field, code, message))
}

/// A stored application.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationRow {
    pub id: i64,
    pub call_id: i64,
    pub user_id: i64,
    pub submitted_on: NaiveDate,
    #[serde(flatten)]
    pub data: Application,
}

/// One assessor's scores of one application.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreRow {
    pub application_id: i64,
    pub user_id: i64,
    pub assessor: String,
    /// In the call's order of criteria.
    pub scores: Vec<i64>,
    /// `Σ score × weight`, hundredths of a point.
    pub weighted: i64,
}

/// A declared conflict of interest.
#[derive(Debug, Clone, Serialize)]
pub struct ConflictRow {
    pub application_id: i64,
    pub user_id: i64,
    pub assessor: String,
    pub note: String,
}

/// An award and its grant agreement.
#[derive(Debug, Clone, Serialize)]
pub struct AwardRow {
    pub application_id: i64,
    pub call_id: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub awarded_on: NaiveDate,
    /// A reference to the decision (a body's minutes, a resolution).
    pub decision: String,
    pub agreement_signed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    pub id: i64,
    pub reported_on: NaiveDate,
    pub text: String,
}

/// Everything about one call, each table read once.
#[derive(Debug, Clone)]
pub struct CallView {
    pub call: Record<FundCall>,
    pub assessors: Vec<(i64, String)>,
    pub applications: Vec<ApplicationRow>,
    pub scores: Vec<ScoreRow>,
    pub conflicts: Vec<ConflictRow>,
    pub awards: Vec<AwardRow>,
}

impl CallView {
    pub fn awarded_total(&self) -> i64 {
        self.awards.iter().map(|a| a.amount_minor).sum()
    }
    /// `(application id, mean, rank)`, best first.
    pub fn ranking(&self) -> Vec<(i64, rules::Mean, usize)> {
        let v: Vec<(i64, Vec<i64>)> = self
            .applications
            .iter()
            .map(|app| {
                (
                    app.id,
                    self.scores
                        .iter()
                        .filter(|s| s.application_id == app.id)
                        .map(|s| s.weighted)
                        .collect(),
                )
            })
            .collect();
        rules::ranking(&v)
    }
    pub fn award_of(&self, app: i64) -> Option<&AwardRow> {
        self.awards.iter().find(|a| a.application_id == app)
    }
}

/// One application with what is attached to it.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    pub call: CallView,
    pub application: ApplicationRow,
    pub payments: Vec<Instalment>,
    pub reports: Vec<ReportRow>,
}

impl ApplicationView {
    pub fn award(&self) -> Option<&AwardRow> {
        self.call.award_of(self.application.id)
    }
}

/// An applicant's own application, for their account page.
#[derive(Debug, Clone, Serialize)]
pub struct MyApplication {
    pub id: i64,
    pub title: String,
    pub call: String,
    pub initiative: String,
    pub amount_minor: i64,
    pub currency: String,
    pub submitted_on: NaiveDate,
    pub scored: bool,
    pub awarded_minor: Option<i64>,
}

/// Who submits a public application: a signed-in account, or a new account
/// made with the application (the contact email and a password).
pub enum Applicant<'a> {
    Account(i64),
    New { password: &'a str },
}

/// One grant for the 360Giving export.
#[derive(Debug, Clone)]
pub struct Grant {
    pub application: ApplicationRow,
    pub award: AwardRow,
    pub call: Record<FundCall>,
    pub payments: Vec<Instalment>,
}

fn app_columns() -> Vec<&'static str> {
    vec![
        "id",
        "call_id",
        "user_id",
        "organization_name",
        "org_identifier",
        "contact_name",
        "contact_email",
        "title",
        "description",
        "amount_minor",
        "currency",
        "sdg",
        "language",
        "submitted_on",
    ]
}

fn read_app(r: &QueryResult) -> Result<ApplicationRow> {
    Ok(ApplicationRow {
        id: r.try_get("", "id")?,
        call_id: r.try_get("", "call_id")?,
        user_id: r.try_get("", "user_id")?,
        submitted_on: r.try_get("", "submitted_on")?,
        data: Application {
            organization_name: r.try_get("", "organization_name")?,
            org_identifier: r.try_get("", "org_identifier")?,
            contact_name: r.try_get("", "contact_name")?,
            contact_email: r.try_get("", "contact_email")?,
            title: r.try_get("", "title")?,
            description: r.try_get("", "description")?,
            amount_minor: r.try_get("", "amount_minor")?,
            currency: r.try_get("", "currency")?,
            sdg: r.try_get("", "sdg")?,
            language: r.try_get("", "language")?,
        },
    })
}

fn read_award(r: &QueryResult) -> Result<AwardRow> {
    Ok(AwardRow {
        application_id: r.try_get("", "application_id")?,
        call_id: r.try_get("", "call_id")?,
        amount_minor: r.try_get("", "amount_minor")?,
        currency: r.try_get("", "currency")?,
        awarded_on: r.try_get("", "awarded_on")?,
        decision: r.try_get("", "decision")?,
        agreement_signed_on: r.try_get("", "agreement_signed_on")?,
    })
}

async fn applications_where(
    conn: &impl ConnectionTrait,
    col: &str,
    value: i64,
) -> Result<Vec<ApplicationRow>> {
    let q = Query::select()
        .columns(app_columns().into_iter().map(a))
        .from(a("fund_applications"))
        .and_where(Expr::col(a(col)).eq(value))
        .order_by(a("id"), Order::Asc)
        .to_owned();
    conn.query_all(&q).await?.iter().map(read_app).collect()
}

/// Rows of `table` joined with the user's name, for every application of a call.
async fn per_call(
    conn: &impl ConnectionTrait,
    table: &str,
    cols: &[&str],
    call: i64,
) -> Result<Vec<QueryResult>> {
    let q = Query::select()
        .columns(cols.iter().map(|c| (a(table), a(c))))
        .expr_as(
            Expr::col((a("users"), a("display_name"))),
            a("assessor_name"),
        )
        .from(a(table))
        .inner_join(
            a("fund_applications"),
            Expr::col((a("fund_applications"), a("id"))).equals((a(table), a("application_id"))),
        )
        .inner_join(
            a("users"),
            Expr::col((a("users"), a("id"))).equals((a(table), a("user_id"))),
        )
        .and_where(Expr::col((a("fund_applications"), a("call_id"))).eq(call))
        .order_by((a(table), a("application_id")), Order::Asc)
        .order_by((a(table), a("user_id")), Order::Asc)
        .to_owned();
    Ok(conn.query_all(&q).await?)
}

async fn call_in(
    conn: &DatabaseTransaction,
    initiative: i64,
    call: i64,
) -> Result<Record<FundCall>> {
    match get_in::<FundCall>(conn, Some(initiative), call).await? {
        Some(c) if !c.archived => Ok(c),
        _ => Err(StoreError::NotFound),
    }
}

async fn load_call(conn: &impl ConnectionTrait, call: Record<FundCall>) -> Result<CallView> {
    let id = call.id;
    let assessors = {
        let q = Query::select()
            .column((a("users"), a("id")))
            .column((a("users"), a("display_name")))
            .from(a("fund_assessors"))
            .inner_join(
                a("users"),
                Expr::col((a("users"), a("id"))).equals((a("fund_assessors"), a("user_id"))),
            )
            .and_where(Expr::col((a("fund_assessors"), a("call_id"))).eq(id))
            .order_by((a("users"), a("display_name")), Order::Asc)
            .to_owned();
        conn.query_all(&q)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "display_name")?)))
            .collect::<Result<Vec<(i64, String)>>>()?
    };
    let applications = applications_where(conn, "call_id", id).await?;
    let scores = per_call(
        conn,
        "fund_scores",
        &["application_id", "user_id", "scores", "weighted"],
        id,
    )
    .await?
    .iter()
    .map(|r| {
        let text: String = r.try_get("", "scores")?;
        Ok(ScoreRow {
            application_id: r.try_get("", "application_id")?,
            user_id: r.try_get("", "user_id")?,
            assessor: r.try_get("", "assessor_name")?,
            scores: text.split(',').filter_map(|s| s.parse().ok()).collect(),
            weighted: r.try_get("", "weighted")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let conflicts = per_call(
        conn,
        "fund_conflicts",
        &["application_id", "user_id", "note"],
        id,
    )
    .await?
    .iter()
    .map(|r| {
        Ok(ConflictRow {
            application_id: r.try_get("", "application_id")?,
            user_id: r.try_get("", "user_id")?,
            assessor: r.try_get("", "assessor_name")?,
            note: r.try_get("", "note")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let awards = {
        let q = Query::select()
            .columns(
                [
                    "application_id",
                    "call_id",
                    "amount_minor",
                    "currency",
                    "awarded_on",
                    "decision",
                    "agreement_signed_on",
                ]
                .map(a),
            )
            .from(a("fund_awards"))
            .and_where(Expr::col(a("call_id")).eq(id))
            .order_by(a("application_id"), Order::Asc)
            .to_owned();
        conn.query_all(&q)
            .await?
            .iter()
            .map(read_award)
            .collect::<Result<Vec<_>>>()?
    };
    Ok(CallView {
        call,
        assessors,
        applications,
        scores,
        conflicts,
        awards,
    })
}

async fn payments_of(conn: &impl ConnectionTrait, app: i64) -> Result<Vec<Instalment>> {
    let q = Query::select()
        .columns([a("due_on"), a("amount_minor")])
        .from(a("fund_payments"))
        .and_where(Expr::col(a("application_id")).eq(app))
        .order_by(a("position"), Order::Asc)
        .to_owned();
    conn.query_all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(Instalment {
                due_on: r.try_get("", "due_on")?,
                amount_minor: r.try_get("", "amount_minor")?,
            })
        })
        .collect()
}

/// An application of `initiative` with its call (in `txn`).
async fn application_in(
    txn: &DatabaseTransaction,
    initiative: i64,
    app: i64,
) -> Result<ApplicationView> {
    let q = Query::select()
        .columns(app_columns().into_iter().map(a))
        .from(a("fund_applications"))
        .and_where(Expr::col(a("id")).eq(app))
        .and_where(Expr::col(a("initiative_id")).eq(initiative))
        .to_owned();
    let row = txn.query_one(&q).await?.ok_or(StoreError::NotFound)?;
    let application = read_app(&row)?;
    let call = call_in(txn, initiative, application.call_id).await?;
    let call = load_call(txn, call).await?;
    let payments = payments_of(txn, app).await?;
    let q = Query::select()
        .columns([a("id"), a("reported_on"), a("text")])
        .from(a("fund_reports"))
        .and_where(Expr::col(a("application_id")).eq(app))
        .order_by(a("reported_on"), Order::Asc)
        .order_by(a("id"), Order::Asc)
        .to_owned();
    let reports = txn
        .query_all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(ReportRow {
                id: r.try_get("", "id")?,
                reported_on: r.try_get("", "reported_on")?,
                text: r.try_get("", "text")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ApplicationView {
        call,
        application,
        payments,
        reports,
    })
}

async fn is_assessor(txn: &DatabaseTransaction, call: i64, user: i64) -> Result<bool> {
    Ok(count(
        txn,
        &Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(a("fund_assessors"))
            .and_where(Expr::col(a("call_id")).eq(call))
            .and_where(Expr::col(a("user_id")).eq(user))
            .to_owned(),
    )
    .await?
        > 0)
}

fn not_assessor() -> StoreError {
    refused(
        "assessor",
        "not_assessor",
        "only the call's assessors declare conflicts and score its applications; the coordinator chooses them on the call's page",
    )
}

async fn write_application(
    txn: &DatabaseTransaction,
    initiative: i64,
    call: i64,
    user: i64,
    app: &Application,
    today: NaiveDate,
) -> Result<i64> {
    let q = Query::insert()
        .into_table(a("fund_applications"))
        .columns(
            app_columns()
                .into_iter()
                .skip(1)
                .map(a)
                .chain([a("initiative_id")]),
        )
        .values_panic([
            call.into(),
            user.into(),
            app.organization_name.as_str().into(),
            app.org_identifier.clone().into(),
            app.contact_name.as_str().into(),
            app.contact_email.as_str().into(),
            app.title.as_str().into(),
            app.description.as_str().into(),
            app.amount_minor.into(),
            app.currency.as_str().into(),
            app.sdg.as_str().into(),
            app.language.as_str().into(),
            today.into(),
            initiative.into(),
        ])
        .returning_col(a("id"))
        .to_owned();
    let id = insert_id(txn, &q).await?;
    audit::append(
        txn,
        Some(user),
        Some(initiative),
        "fund_application",
        id,
        "submit",
        None::<&()>,
        Some(app),
    )
    .await?;
    Ok(id)
}

async fn write_award(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    award: &AwardRow,
) -> Result<()> {
    txn.execute(
        &Query::insert()
            .into_table(a("fund_awards"))
            .columns(
                [
                    "application_id",
                    "initiative_id",
                    "call_id",
                    "amount_minor",
                    "currency",
                    "awarded_on",
                    "decision",
                    "agreement_signed_on",
                ]
                .map(a),
            )
            .values_panic([
                award.application_id.into(),
                initiative.into(),
                award.call_id.into(),
                award.amount_minor.into(),
                award.currency.as_str().into(),
                award.awarded_on.into(),
                award.decision.as_str().into(),
                award.agreement_signed_on.into(),
            ])
            .to_owned(),
    )
    .await?;
    audit::append(
        txn,
        actor,
        Some(initiative),
        "fund_application",
        award.application_id,
        "award",
        None::<&()>,
        Some(award),
    )
    .await
}

async fn write_schedule(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    app: i64,
    before: &[Instalment],
    schedule: &[Instalment],
) -> Result<()> {
    txn.execute(
        &Query::delete()
            .from_table(a("fund_payments"))
            .and_where(Expr::col(a("application_id")).eq(app))
            .to_owned(),
    )
    .await?;
    let mut q = Query::insert();
    q.into_table(a("fund_payments")).columns(
        [
            "application_id",
            "initiative_id",
            "position",
            "due_on",
            "amount_minor",
        ]
        .map(a),
    );
    for (n, i) in schedule.iter().enumerate() {
        q.values_panic([
            app.into(),
            initiative.into(),
            (n as i64).into(),
            i.due_on.into(),
            i.amount_minor.into(),
        ]);
    }
    txn.execute(&q).await?;
    audit::append(
        txn,
        actor,
        Some(initiative),
        "fund_application",
        app,
        "set_payments",
        Some(&before),
        Some(&schedule),
    )
    .await
}

fn award_fields(input: &FieldMap, call: &FundCall) -> Result<(i64, String, NaiveDate, String)> {
    let mut p = domain::validation::Parser::new(input);
    let currency = input
        .get("currency")
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| call.currency.clone());
    let cur = if domain::funding::money::parse_currency(&currency).is_some() {
        currency.clone()
    } else {
        call.currency.clone()
    };
    let amount = rules::read_amount(&mut p, input, "amount", &cur);
    let awarded_on = p.date("awarded_on");
    let decision = p
        .opt_text("decision", domain::validation::MAX_NAME, false)
        .unwrap_or_default();
    match awarded_on {
        Some(d) if p.errors.is_empty() => Ok((amount, currency, d, decision)),
        _ => Err(StoreError::Invalid(p.errors)),
    }
}

/// A call as the portal shows it (every live call is public: it is a call
/// for applications).
pub type PublicCall = Record<FundCall>;

impl Store {
    /// The initiative's live calls, for its portal.
    pub async fn public_fund_calls(&self, initiative: i64) -> Result<Vec<PublicCall>> {
        self.list::<FundCall>(Some(initiative), crate::records::ListOptions::all())
            .await
    }

    /// A call of the initiative with its assessors, applications, scores,
    /// conflicts and awards (six queries, whatever the number of applications).
    pub async fn fund_call(&self, initiative: i64, call: i64) -> Result<CallView> {
        let txn = self.db.begin().await?;
        let c = call_in(&txn, initiative, call).await?;
        let v = load_call(&txn, c).await?;
        txn.commit().await?;
        Ok(v)
    }

    /// One application of the initiative with its call, payments and reports.
    pub async fn fund_application(&self, initiative: i64, app: i64) -> Result<ApplicationView> {
        let txn = self.db.begin().await?;
        let v = application_in(&txn, initiative, app).await?;
        txn.commit().await?;
        Ok(v)
    }

    /// Submit an application to `call` on `today`: refused unless the call is
    /// open. A new applicant's account is created in the same transaction
    /// (its email is the contact email); an address that has an account must
    /// sign in first.
    pub async fn submit_application(
        &self,
        initiative: i64,
        call: i64,
        applicant: Applicant<'_>,
        input: &FieldMap,
        today: NaiveDate,
    ) -> Result<(i64, Option<User>)> {
        let prepared = match &applicant {
            Applicant::New { password } => {
                let email = input.get("contact_email").map(String::as_str).unwrap_or("");
                let name = input.get("contact_name").map(String::as_str).unwrap_or("");
                Some(
                    prepare_user(
                        email,
                        if name.trim().is_empty() { "-" } else { name },
                        Some(password),
                    )
                    .await?,
                )
            }
            Applicant::Account(_) => None,
        };
        let txn = self.write_txn().await?;
        let c = call_in(&txn, initiative, call).await?;
        c.data.check_open(today).map_err(StoreError::Invalid)?;
        let app = Application::parse(input, &c.data).map_err(StoreError::Invalid)?;
        let (user, new) = match (applicant, prepared) {
            (Applicant::Account(u), _) => (u, None),
            (Applicant::New { .. }, Some((email, hash))) => {
                let u = insert_user_in(&txn, &email, app.contact_name.trim(), hash, false)
                    .await
                    .map_err(|e| match e {
                        StoreError::Invalid(_) => refused(
                            "contact_email",
                            "taken",
                            "an account with this email exists: sign in first, then apply",
                        ),
                        e => e,
                    })?;
                (u.id, Some(u))
            }
            (Applicant::New { .. }, None) => unreachable!("a new account is prepared above"),
        };
        let id = write_application(&txn, initiative, call, user, &app, today).await?;
        txn.commit().await?;
        Ok((id, new))
    }

    /// A user's own applications, in every initiative (one query).
    pub async fn my_applications(&self, user: i64) -> Result<Vec<MyApplication>> {
        let q = Query::select()
            .column((a("fund_applications"), a("id")))
            .column((a("fund_applications"), a("title")))
            .column((a("fund_applications"), a("amount_minor")))
            .column((a("fund_applications"), a("currency")))
            .column((a("fund_applications"), a("submitted_on")))
            .expr_as(Expr::col((a("fund_calls"), a("name"))), a("call_name"))
            .expr_as(Expr::col((a("initiatives"), a("name"))), a("initiative_name"))
            .expr_as(
                Expr::col((a("fund_awards"), a("amount_minor"))),
                a("awarded_minor"),
            )
            .expr_as(
                Expr::cust(
                    "(SELECT COUNT(*) FROM fund_scores s WHERE s.application_id = fund_applications.id)",
                ),
                a("scores"),
            )
            .from(a("fund_applications"))
            .inner_join(
                a("fund_calls"),
                Expr::col((a("fund_calls"), a("id")))
                    .equals((a("fund_applications"), a("call_id"))),
            )
            .inner_join(
                a("initiatives"),
                Expr::col((a("initiatives"), a("id")))
                    .equals((a("fund_applications"), a("initiative_id"))),
            )
            .left_join(
                a("fund_awards"),
                Expr::col((a("fund_awards"), a("application_id")))
                    .equals((a("fund_applications"), a("id"))),
            )
            .and_where(Expr::col((a("fund_applications"), a("user_id"))).eq(user))
            .order_by((a("fund_applications"), a("id")), Order::Desc)
            .to_owned();
        self.db
            .query_all(&q)
            .await?
            .iter()
            .map(|r| {
                Ok(MyApplication {
                    id: r.try_get("", "id")?,
                    title: r.try_get("", "title")?,
                    call: r.try_get("", "call_name")?,
                    initiative: r.try_get("", "initiative_name")?,
                    amount_minor: r.try_get("", "amount_minor")?,
                    currency: r.try_get("", "currency")?,
                    submitted_on: r.try_get("", "submitted_on")?,
                    scored: r.try_get::<i64>("", "scores")? > 0,
                    awarded_minor: r.try_get("", "awarded_minor")?,
                })
            })
            .collect()
    }

    /// Make `user` (who must hold a role in the initiative) an assessor of `call`.
    pub async fn add_fund_assessor(
        &self,
        actor: Option<i64>,
        initiative: i64,
        call: i64,
        user: i64,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        call_in(&txn, initiative, call).await?;
        let roles = count(
            &txn,
            &Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(a("role_grants"))
                .and_where(Expr::col(a("user_id")).eq(user))
                .and_where(Expr::col(a("initiative_id")).eq(initiative))
                .to_owned(),
        )
        .await?;
        if roles == 0 {
            return Err(refused(
                "user_id",
                "no_role",
                "an assessor must hold a role in this initiative",
            ));
        }
        if is_assessor(&txn, call, user).await? {
            return Ok(());
        }
        txn.execute(
            &Query::insert()
                .into_table(a("fund_assessors"))
                .columns([a("call_id"), a("user_id"), a("initiative_id")])
                .values_panic([call.into(), user.into(), initiative.into()])
                .to_owned(),
        )
        .await?;
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "fund_call",
            call,
            "add_assessor",
            None::<&()>,
            Some(&serde_json::json!({ "user_id": user })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// `assessor` declares a conflict of interest on an application: from
    /// then on they are recused from scoring it.
    pub async fn declare_fund_conflict(
        &self,
        initiative: i64,
        app: i64,
        assessor: i64,
        note: &str,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        let v = application_in(&txn, initiative, app).await?;
        if !is_assessor(&txn, v.call.call.id, assessor).await? {
            return Err(not_assessor());
        }
        if v.call
            .conflicts
            .iter()
            .any(|c| c.application_id == app && c.user_id == assessor)
        {
            return Ok(());
        }
        if v.call
            .scores
            .iter()
            .any(|s| s.application_id == app && s.user_id == assessor)
        {
            // The score given before the declaration no longer counts.
            txn.execute(
                &Query::delete()
                    .from_table(a("fund_scores"))
                    .and_where(Expr::col(a("application_id")).eq(app))
                    .and_where(Expr::col(a("user_id")).eq(assessor))
                    .to_owned(),
            )
            .await?;
        }
        let note = note
            .trim()
            .chars()
            .take(domain::funding::records::MAX_ANSWER)
            .collect::<String>();
        txn.execute(
            &Query::insert()
                .into_table(a("fund_conflicts"))
                .columns([
                    a("application_id"),
                    a("user_id"),
                    a("initiative_id"),
                    a("note"),
                ])
                .values_panic([
                    app.into(),
                    assessor.into(),
                    initiative.into(),
                    note.as_str().into(),
                ])
                .to_owned(),
        )
        .await?;
        audit::append(
            &txn,
            Some(assessor),
            Some(initiative),
            "fund_application",
            app,
            "declare_conflict",
            None::<&()>,
            Some(&serde_json::json!({ "user_id": assessor, "note": note })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// `assessor` scores an application, one score per criterion (`score_{key}`
    /// fields). Refused for someone who is not an assessor of the call and
    /// for an assessor who declared a conflict on this application. Gives the
    /// weighted score.
    pub async fn score_fund_application(
        &self,
        initiative: i64,
        app: i64,
        assessor: i64,
        input: &FieldMap,
    ) -> Result<i64> {
        let txn = self.write_txn().await?;
        let v = application_in(&txn, initiative, app).await?;
        if !is_assessor(&txn, v.call.call.id, assessor).await? {
            return Err(not_assessor());
        }
        if v.call
            .conflicts
            .iter()
            .any(|c| c.application_id == app && c.user_id == assessor)
        {
            return Err(refused(
                "assessor",
                "conflict_of_interest",
                "you declared a conflict of interest on this application: you are recused and may not score it",
            ));
        }
        let criteria = v.call.call.data.criteria_list();
        let scores = parse_scores(&criteria, input).map_err(StoreError::Invalid)?;
        let weighted = weighted_score(&criteria, &scores);
        let before = v
            .call
            .scores
            .iter()
            .find(|s| s.application_id == app && s.user_id == assessor)
            .cloned();
        let text = scores
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(",");
        if before.is_some() {
            txn.execute(
                &Query::delete()
                    .from_table(a("fund_scores"))
                    .and_where(Expr::col(a("application_id")).eq(app))
                    .and_where(Expr::col(a("user_id")).eq(assessor))
                    .to_owned(),
            )
            .await?;
        }
        txn.execute(
            &Query::insert()
                .into_table(a("fund_scores"))
                .columns([
                    a("application_id"),
                    a("user_id"),
                    a("initiative_id"),
                    a("scores"),
                    a("weighted"),
                ])
                .values_panic([
                    app.into(),
                    assessor.into(),
                    initiative.into(),
                    text.as_str().into(),
                    weighted.into(),
                ])
                .to_owned(),
        )
        .await?;
        audit::append(
            &txn,
            Some(assessor),
            Some(initiative),
            "fund_application",
            app,
            "score",
            before
                .as_ref()
                .map(|b| serde_json::json!({ "scores": b.scores, "weighted": b.weighted }))
                .as_ref(),
            Some(&serde_json::json!({ "scores": scores, "weighted": weighted })),
        )
        .await?;
        txn.commit().await?;
        Ok(weighted)
    }

    /// Award an application (`amount` or `amount_minor`, optional `currency`,
    /// `awarded_on`, optional `decision`): refused over the request, over
    /// what remains of the call's budget, in another currency, or twice.
    pub async fn award_fund_application(
        &self,
        actor: Option<i64>,
        initiative: i64,
        app: i64,
        input: &FieldMap,
    ) -> Result<AwardRow> {
        let txn = self.write_txn().await?;
        let v = application_in(&txn, initiative, app).await?;
        if v.award().is_some() {
            return Err(refused(
                "amount",
                "already_awarded",
                "this application has already been awarded",
            ));
        }
        let call = &v.call.call;
        let (amount, currency, awarded_on, decision) = award_fields(input, &call.data)?;
        rules::check_award(
            amount,
            &currency,
            v.application.data.amount_minor,
            &call.data,
            v.call.awarded_total(),
        )
        .map_err(StoreError::Invalid)?;
        let award = AwardRow {
            application_id: app,
            call_id: call.id,
            amount_minor: amount,
            currency,
            awarded_on,
            decision,
            agreement_signed_on: None,
        };
        write_award(&txn, actor, initiative, &award).await?;
        txn.commit().await?;
        Ok(award)
    }

    /// Record the day the grant agreement was signed.
    pub async fn sign_fund_agreement(
        &self,
        actor: Option<i64>,
        initiative: i64,
        app: i64,
        signed_on: NaiveDate,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        let v = application_in(&txn, initiative, app).await?;
        let Some(award) = v.award() else {
            return Err(refused(
                "signed_on",
                "not_awarded",
                "a grant agreement follows an award: award the application first",
            ));
        };
        if signed_on < award.awarded_on {
            return Err(refused(
                "signed_on",
                "before_award",
                format!(
                    "the agreement cannot be signed before the award ({})",
                    award.awarded_on
                ),
            ));
        }
        txn.execute(
            &Query::update()
                .table(a("fund_awards"))
                .value(a("agreement_signed_on"), signed_on)
                .and_where(Expr::col(a("application_id")).eq(app))
                .to_owned(),
        )
        .await?;
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "fund_application",
            app,
            "sign_agreement",
            Some(&serde_json::json!({ "agreement_signed_on": award.agreement_signed_on })),
            Some(&serde_json::json!({ "agreement_signed_on": signed_on })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Replace an award's payment schedule; the instalments must sum to the award.
    pub async fn set_fund_payments(
        &self,
        actor: Option<i64>,
        initiative: i64,
        app: i64,
        schedule: &[Instalment],
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        let v = application_in(&txn, initiative, app).await?;
        let Some(award) = v.award() else {
            return Err(refused(
                "schedule",
                "not_awarded",
                "a payment schedule follows an award: award the application first",
            ));
        };
        rules::check_schedule(schedule, &award.currency, award.amount_minor)
            .map_err(StoreError::Invalid)?;
        write_schedule(&txn, actor, initiative, app, &v.payments, schedule).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The payment schedule of an award from its text form (see
    /// `domain::funding::fund::parse_schedule`).
    pub async fn set_fund_payments_text(
        &self,
        actor: Option<i64>,
        initiative: i64,
        app: i64,
        text: &str,
    ) -> Result<()> {
        let v = self.fund_application(initiative, app).await?;
        let Some(award) = v.award() else {
            return Err(refused(
                "schedule",
                "not_awarded",
                "a payment schedule follows an award: award the application first",
            ));
        };
        let s = rules::parse_schedule(text, &award.currency, award.amount_minor)
            .map_err(StoreError::Invalid)?;
        self.set_fund_payments(actor, initiative, app, &s).await
    }

    /// Add a progress report to an awarded grant.
    pub async fn add_fund_report(
        &self,
        actor: Option<i64>,
        initiative: i64,
        app: i64,
        reported_on: NaiveDate,
        text: &str,
    ) -> Result<i64> {
        let text = text.trim();
        if text.is_empty() {
            return Err(refused("text", "required", "text is required"));
        }
        if text.chars().count() > domain::funding::records::MAX_ANSWER {
            return Err(refused(
                "text",
                "too_long",
                "text must be at most 5000 characters",
            ));
        }
        let txn = self.write_txn().await?;
        let v = application_in(&txn, initiative, app).await?;
        if v.award().is_none() {
            return Err(refused(
                "text",
                "not_awarded",
                "progress reports follow an award: award the application first",
            ));
        }
        let id = insert_id(
            &txn,
            &Query::insert()
                .into_table(a("fund_reports"))
                .columns([
                    a("application_id"),
                    a("initiative_id"),
                    a("reported_on"),
                    a("text"),
                ])
                .values_panic([
                    app.into(),
                    initiative.into(),
                    reported_on.into(),
                    text.into(),
                ])
                .returning_col(a("id"))
                .to_owned(),
        )
        .await?;
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "fund_application",
            app,
            "report",
            None::<&()>,
            Some(&serde_json::json!({ "reported_on": reported_on, "text": text })),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// The awarded grants of an initiative (of one call when given), with their
    /// payment schedules, for the 360Giving export.
    pub async fn awarded_grants(&self, initiative: i64, call: Option<i64>) -> Result<Vec<Grant>> {
        let txn = self.db.begin().await?;
        let mut q = Query::select();
        q.column(a("id"))
            .from(a("fund_calls"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .and_where(Expr::col(a("archived_at")).is_null())
            .order_by(a("id"), Order::Asc);
        if let Some(c) = call {
            q.and_where(Expr::col(a("id")).eq(c));
        }
        let ids: Vec<i64> = txn
            .query_all(&q)
            .await?
            .iter()
            .map(|r| r.try_get("", "id"))
            .collect::<std::result::Result<_, _>>()?;
        if let Some(c) = call
            && ids.is_empty()
        {
            return Err(refused(
                "fund",
                "not_found",
                format!("no call {c} in this initiative"),
            ));
        }
        let mut out = vec![];
        for id in ids {
            let c = call_in(&txn, initiative, id).await?;
            let v = load_call(&txn, c).await?;
            let pq = Query::select()
                .columns([a("application_id"), a("due_on"), a("amount_minor")])
                .from(a("fund_payments"))
                .and_where(
                    Expr::col(a("application_id")).in_subquery(
                        Query::select()
                            .column(a("application_id"))
                            .from(a("fund_awards"))
                            .and_where(Expr::col(a("call_id")).eq(id))
                            .to_owned(),
                    ),
                )
                .order_by(a("application_id"), Order::Asc)
                .order_by(a("position"), Order::Asc)
                .to_owned();
            let payments: Vec<(i64, Instalment)> = txn
                .query_all(&pq)
                .await?
                .iter()
                .map(|r| {
                    Ok((
                        r.try_get("", "application_id")?,
                        Instalment {
                            due_on: r.try_get("", "due_on")?,
                            amount_minor: r.try_get("", "amount_minor")?,
                        },
                    ))
                })
                .collect::<Result<_>>()?;
            for award in &v.awards {
                let Some(app) = v.applications.iter().find(|x| x.id == award.application_id) else {
                    continue;
                };
                out.push(Grant {
                    application: app.clone(),
                    award: award.clone(),
                    call: v.call.clone(),
                    payments: payments
                        .iter()
                        .filter(|(a, _)| *a == award.application_id)
                        .map(|(_, i)| i.clone())
                        .collect(),
                });
            }
        }
        txn.commit().await?;
        Ok(out)
    }
}

/// The demo's users taking part in the fund: (email local part, name).
const DEMO_ASSESSORS: &[&str] = &["Noa Peretz", "Yossi Abebe"];

/// This part of the Kiryat Malachi demo (see `super::demo`): a Wigan-style
/// Community Investment Fund run by the Rashi Foundation, one round of six
/// applications from invented community organizations, two assessors (one
/// declared conflict), two awards with agreements and payment schedules, and
/// one progress report.
pub(crate) async fn demo(
    txn: &DatabaseTransaction,
    funding: &super::demo::Funding,
) -> crate::Result<()> {
    use crate::accounts::grant_role_in;
    use crate::records::create_in;
    let i = funding.initiative;
    let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("valid demo date");
    let call = FundCall {
        name: "Community Investment Fund 2025".into(),
        description: "Savings from the partnership's services reinvested in the community: grants for community organizations that let residents do more for each other (after Wigan's Communities Investment Fund).".into(),
        budget_minor: 50_000_000,
        currency: "ILS".into(),
        criteria: "need=40;impact=30;feasibility=30".into(),
        eligibility: "Community organizations and residents' groups active in Kiryat Malachi.".into(),
        opens_on: d(2025, 1, 15),
        closes_on: d(2025, 3, 15),
        organization_id: funding.orgs.rashi,
        sdg: "11.3,4.2".into(),
    };
    let call = create_in(txn, None, Some(i), &call).await?.id;
    let mut assessors = vec![];
    for name in DEMO_ASSESSORS {
        let email = format!(
            "fund.{}@demo.example.org",
            name.to_lowercase().replace(' ', ".")
        );
        let u = insert_user_in(txn, &email, name, None, false).await?;
        grant_role_in(txn, None, u.id, i, Role::Partner).await?;
        txn.execute(
            &Query::insert()
                .into_table(a("fund_assessors"))
                .columns([a("call_id"), a("user_id"), a("initiative_id")])
                .values_panic([call.into(), u.id.into(), i.into()])
                .to_owned(),
        )
        .await?;
        assessors.push(u.id);
    }
    // (organization, org-id, contact, title, amount in shekels, SDG, language,
    //  scores of the first and the second assessor; None: a declared conflict)
    type Demo = (
        &'static str,
        Option<&'static str>,
        &'static str,
        &'static str,
        i64,
        &'static str,
        &'static str,
        Option<[i64; 3]>,
        Option<[i64; 3]>,
    );
    let apps: &[Demo] = &[
        (
            "Beit Shemesh Street Community Hub",
            Some("IL-RA-580000201"),
            "Miriam Levi",
            "A community hub in the old neighbourhood",
            240_000,
            "11.3",
            "he",
            Some([5, 4, 4]),
            Some([4, 5, 4]),
        ),
        (
            "Parents of Little Ones Circle",
            Some("IL-RA-580000202"),
            "Rachel Amsalem",
            "Playgroups for parents of toddlers",
            80_000,
            "4.2",
            "he",
            Some([4, 4, 3]),
            Some([4, 3, 4]),
        ),
        (
            "Kiryat Malachi Youth Band",
            None,
            "Daniel Tesfaye",
            "Rehearsal room and instruments",
            60_000,
            "",
            "en",
            Some([3, 3, 4]),
            None,
        ),
        (
            "Neighbours Help Neighbours",
            Some("IL-RA-580000203"),
            "Avi Cohen",
            "Volunteer drivers for older residents",
            50_000,
            "11.2",
            "he",
            Some([4, 3, 3]),
            Some([3, 3, 3]),
        ),
        (
            "Green Courtyards Group",
            None,
            "Lea Ben-David",
            "Shared gardens between housing blocks",
            45_000,
            "11.7",
            "en",
            Some([2, 3, 4]),
            Some([3, 2, 3]),
        ),
        (
            "Amharic Reading Corner",
            Some("IL-RA-580000204"),
            "Tigist Alemu",
            "Bilingual reading hour in the library",
            30_000,
            "4.6",
            "en",
            Some([3, 4, 5]),
            Some([4, 4, 4]),
        ),
    ];
    let criteria =
        rules::parse_criteria("need=40;impact=30;feasibility=30").expect("demo criteria");
    let mut ids = vec![];
    for (n, (org, orgid, contact, title, amount, sdg, lang, s1, s2)) in apps.iter().enumerate() {
        let email = format!("applicant{}@demo.example.org", n + 1);
        let user = insert_user_in(txn, &email, contact, None, false).await?;
        let app = Application {
            organization_name: org.to_string(),
            org_identifier: orgid.map(String::from),
            contact_name: contact.to_string(),
            contact_email: email.clone(),
            title: title.to_string(),
            description: format!(
                "{title}: what we will do, with whom, and how residents take part."
            ),
            amount_minor: amount * 100,
            currency: "ILS".into(),
            sdg: sdg.to_string(),
            language: lang.to_string(),
        };
        let id = write_application(txn, i, call, user.id, &app, d(2025, 2, 1 + n as u32)).await?;
        for (who, s) in assessors.iter().zip([s1, s2]) {
            match s {
                Some(s) => {
                    txn.execute(
                        &Query::insert()
                            .into_table(a("fund_scores"))
                            .columns([
                                a("application_id"),
                                a("user_id"),
                                a("initiative_id"),
                                a("scores"),
                                a("weighted"),
                            ])
                            .values_panic([
                                id.into(),
                                (*who).into(),
                                i.into(),
                                s.map(|x| x.to_string()).join(",").into(),
                                weighted_score(&criteria, s).into(),
                            ])
                            .to_owned(),
                    )
                    .await?;
                }
                None => {
                    txn.execute(
                        &Query::insert()
                            .into_table(a("fund_conflicts"))
                            .columns([
                                a("application_id"),
                                a("user_id"),
                                a("initiative_id"),
                                a("note"),
                            ])
                            .values_panic([
                                id.into(),
                                (*who).into(),
                                i.into(),
                                "I play in the band's Friday sessions.".into(),
                            ])
                            .to_owned(),
                    )
                    .await?;
                }
            }
        }
        ids.push(id);
    }
    // Two awards: the hub (₪200,000 of ₪240,000 asked) and the parents' circle.
    for (id, amount, schedule) in [
        (
            ids[0],
            20_000_000,
            vec![(d(2025, 5, 1), 12_000_000), (d(2025, 11, 1), 8_000_000)],
        ),
        (ids[1], 8_000_000, vec![(d(2025, 5, 1), 8_000_000)]),
    ] {
        write_award(
            txn,
            None,
            i,
            &AwardRow {
                application_id: id,
                call_id: call,
                amount_minor: amount,
                currency: "ILS".into(),
                awarded_on: d(2025, 4, 6),
                decision: "Steering Committee, 6 April 2025, item 3".into(),
                agreement_signed_on: Some(d(2025, 4, 20)),
            },
        )
        .await?;
        let s: Vec<Instalment> = schedule
            .into_iter()
            .map(|(due_on, amount_minor)| Instalment {
                due_on,
                amount_minor,
            })
            .collect();
        write_schedule(txn, None, i, id, &[], &s).await?;
    }
    txn.execute(
        &Query::insert()
            .into_table(a("fund_reports"))
            .columns([a("application_id"), a("initiative_id"), a("reported_on"), a("text")])
            .values_panic([
                ids[0].into(),
                i.into(),
                d(2025, 9, 30).into(),
                "The hub opened in June: a homework club four afternoons a week, a Friday repair café, and 140 residents through the door in the first three months.".into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}
