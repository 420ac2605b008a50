//! The durable outbox of notifications, the addresses that opted out, and what
//! the notifications are made of.
//!
//! A notification is a row in `mail_outbox`, queued once: its `dedupe_key`
//! ("agenda:12:7": the agenda of meeting 12 to person 7) is unique, and a second
//! enqueue of the same key does nothing, on both engines (`ON CONFLICT DO
//! NOTHING`). Its Message-ID is made when it is queued, so a message sent again
//! after a crash carries the same Message-ID as the first attempt.
//!
//! The sender (`backbone serve`) claims one due message at a time: the claim
//! counts the attempt and pushes `next_attempt_at` a lease ahead, so that a
//! second server process does not send it meanwhile and a process that died
//! while sending leaves it to be tried again once the lease ends. A failed
//! attempt is retried after 1, 2, 4 … minutes (at most an hour); after
//! [`MAX_ATTEMPTS`] the message is `failed` and stays in the table for an
//! operator to see. `last_error` holds the mail server's answer, never the
//! message's content.
//!
//! An address that unsubscribed from a kind (or from `all`) is skipped when a
//! message of that kind is queued; invitations and password resets are never
//! suppressed.
//!
//! The outbox is its own log (who was sent what, when, after how many
//! attempts): its state changes are not copied into the audit log. An
//! unsubscription is a person's choice and is audited.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::RngCore;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use serde::Serialize;

use crate::accounts::SigningKey;
use crate::{Result, Store, StoreError, Timestamp, audit};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// Kinds of notification, as kept in `mail_outbox.kind` and unsubscribed from.
pub const AGENDA: &str = "agenda";
pub const DECISION: &str = "decision";
pub const ACTION_DUE: &str = "action-due";
pub const DIGEST: &str = "digest";
pub const INVITATION: &str = "invitation";
/// A password reset link someone asked for.
pub const PASSWORD_RESET: &str = "password-reset";
/// Unsubscribing from this stops every kind (but invitations and password
/// resets, which a person asked for or needs to get in).
pub const ALL: &str = "all";
/// The kinds one can unsubscribe from.
pub const UNSUBSCRIBABLE: &[&str] = &[AGENDA, DECISION, ACTION_DUE, DIGEST, ALL];

/// After this many failed attempts a message is given up (`failed`).
pub const MAX_ATTEMPTS: i64 = 20;
/// How long a claimed message is left to the process that claimed it before
/// another may try it (longer than the mail client's own timeout).
pub const LEASE_MINUTES: i64 = 5;

/// Wait before the next attempt after `attempts` failed ones: 1, 2, 4 …
/// minutes, at most an hour.
pub fn backoff(attempts: i64) -> Duration {
    let exp = Ord::clamp(attempts, 1, 7) - 1;
    Duration::minutes(Ord::min(1i64 << exp, 60))
}

/// A message to queue.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub initiative_id: Option<i64>,
    pub dedupe_key: String,
    pub kind: String,
    pub recipient_email: String,
    pub recipient_person_id: Option<i64>,
    pub recipient_user_id: Option<i64>,
    pub language: String,
    pub subject: String,
    pub body_text: String,
    /// The address that stops this kind for the recipient (`List-Unsubscribe`).
    pub unsubscribe_url: Option<String>,
    /// The secret in that address ([`unsubscribe_token`]), by which the
    /// unsubscribe page finds the address and kind.
    pub unsubscribe_token: Option<String>,
    /// The right-hand side of the Message-ID (`<…@DOMAIN>`).
    pub id_domain: String,
}

/// What happened to a message handed to [`enqueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    Queued,
    /// A message with this dedupe key was queued before.
    Duplicate,
    /// The address unsubscribed from this kind (or from all).
    Unsubscribed,
}

/// A queued message as the sender sends it.
#[derive(Debug, Clone, Serialize)]
pub struct Outgoing {
    pub id: i64,
    pub dedupe_key: String,
    pub kind: String,
    pub recipient_email: String,
    pub language: String,
    pub subject: String,
    pub body_text: String,
    pub unsubscribe_url: Option<String>,
    pub message_id: String,
    pub attempts: i64,
    pub status: String,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A new Message-ID: random, so it is unique across servers and restarts.
fn new_message_id(domain: &str) -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    let domain = domain
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        .collect::<String>();
    let domain = if domain.is_empty() {
        "backbone.localhost".to_string()
    } else {
        domain
    };
    format!("<{}@{domain}>", hex::encode(b))
}

/// Queue a message in the caller's transaction (or on the store's connection):
/// nothing when its dedupe key was queued before or its address unsubscribed
/// from its kind.
pub async fn enqueue(conn: &impl ConnectionTrait, mail: &Mail) -> Result<Enqueued> {
    let email = mail.recipient_email.trim().to_lowercase();
    let asked_for = mail.kind == INVITATION || mail.kind == PASSWORD_RESET;
    if !asked_for && unsubscribed_in(conn, &email, &mail.kind).await? {
        return Ok(Enqueued::Unsubscribed);
    }
    let now = crate::now();
    let q = Query::insert()
        .into_table(a("mail_outbox"))
        .columns([
            a("initiative_id"),
            a("dedupe_key"),
            a("kind"),
            a("recipient_email"),
            a("recipient_person_id"),
            a("recipient_user_id"),
            a("language"),
            a("subject"),
            a("body_text"),
            a("unsubscribe_url"),
            a("unsubscribe_token"),
            a("created_at"),
            a("status"),
            a("attempts"),
            a("next_attempt_at"),
            a("message_id"),
        ])
        .values_panic([
            mail.initiative_id.into(),
            mail.dedupe_key.as_str().into(),
            mail.kind.as_str().into(),
            email.into(),
            mail.recipient_person_id.into(),
            mail.recipient_user_id.into(),
            mail.language.as_str().into(),
            mail.subject.as_str().into(),
            mail.body_text.as_str().into(),
            mail.unsubscribe_url.clone().into(),
            mail.unsubscribe_token.clone().into(),
            now.into(),
            "queued".into(),
            0i64.into(),
            now.into(),
            new_message_id(&mail.id_domain).into(),
        ])
        .on_conflict(OnConflict::column(a("dedupe_key")).do_nothing().to_owned())
        .to_owned();
    let res = conn.execute(&q).await?;
    Ok(if res.rows_affected() == 1 {
        Enqueued::Queued
    } else {
        Enqueued::Duplicate
    })
}

async fn unsubscribed_in(conn: &impl ConnectionTrait, email: &str, kind: &str) -> Result<bool> {
    let q = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from(a("mail_unsubscribes"))
        .and_where(Expr::col(a("email")).eq(email))
        .and_where(Expr::col(a("kind")).is_in([kind, ALL]))
        .to_owned();
    Ok(crate::records::count(conn, &q).await? > 0)
}

fn read_outgoing(r: &QueryResult) -> Result<Outgoing> {
    Ok(Outgoing {
        id: r.try_get("", "id")?,
        dedupe_key: r.try_get("", "dedupe_key")?,
        kind: r.try_get("", "kind")?,
        recipient_email: r.try_get("", "recipient_email")?,
        language: r.try_get("", "language")?,
        subject: r.try_get("", "subject")?,
        body_text: r.try_get("", "body_text")?,
        unsubscribe_url: r.try_get("", "unsubscribe_url")?,
        message_id: r.try_get("", "message_id")?,
        attempts: r.try_get("", "attempts")?,
        status: r.try_get("", "status")?,
        next_attempt_at: r.try_get("", "next_attempt_at")?,
        last_error: r.try_get("", "last_error")?,
        sent_at: r.try_get("", "sent_at")?,
    })
}

const OUTGOING_COLUMNS: &[&str] = &[
    "id",
    "dedupe_key",
    "kind",
    "recipient_email",
    "language",
    "subject",
    "body_text",
    "unsubscribe_url",
    "message_id",
    "attempts",
    "status",
    "next_attempt_at",
    "last_error",
    "sent_at",
];

impl Store {
    /// Queue a message (see [`enqueue`]).
    pub async fn enqueue_mail(&self, mail: &Mail) -> Result<Enqueued> {
        enqueue(&self.db, mail).await
    }

    /// Queued messages whose time has come, oldest due first.
    pub async fn due_mail(&self, now: Timestamp, limit: u64) -> Result<Vec<Outgoing>> {
        let q = Query::select()
            .columns(OUTGOING_COLUMNS.iter().map(|c| a(c)))
            .from(a("mail_outbox"))
            .and_where(Expr::col(a("status")).eq("queued"))
            .and_where(Expr::col(a("next_attempt_at")).lte(now))
            .order_by(a("next_attempt_at"), Order::Asc)
            .order_by(a("id"), Order::Asc)
            .limit(limit)
            .to_owned();
        self.db
            .query_all(&q)
            .await?
            .iter()
            .map(read_outgoing)
            .collect()
    }

    /// Take a due message for sending: counts the attempt and keeps it from
    /// others for [`LEASE_MINUTES`]. `None` when another process took it first
    /// or it is no longer due.
    pub async fn claim_mail(&self, id: i64, now: Timestamp) -> Result<Option<Outgoing>> {
        let res = self
            .db
            .execute(
                &Query::update()
                    .table(a("mail_outbox"))
                    .value(a("attempts"), Expr::col(a("attempts")).add(1))
                    .value(a("next_attempt_at"), now + Duration::minutes(LEASE_MINUTES))
                    .and_where(Expr::col(a("id")).eq(id))
                    .and_where(Expr::col(a("status")).eq("queued"))
                    .and_where(Expr::col(a("next_attempt_at")).lte(now))
                    .to_owned(),
            )
            .await?;
        if res.rows_affected() != 1 {
            return Ok(None);
        }
        self.mail(id).await.map(Some)
    }

    /// One outbox row.
    pub async fn mail(&self, id: i64) -> Result<Outgoing> {
        let q = Query::select()
            .columns(OUTGOING_COLUMNS.iter().map(|c| a(c)))
            .from(a("mail_outbox"))
            .and_where(Expr::col(a("id")).eq(id))
            .to_owned();
        let row = self.db.query_one(&q).await?.ok_or(StoreError::NotFound)?;
        read_outgoing(&row)
    }

    /// Every outbox row, oldest first (tests and operators).
    pub async fn outbox(&self) -> Result<Vec<Outgoing>> {
        let q = Query::select()
            .columns(OUTGOING_COLUMNS.iter().map(|c| a(c)))
            .from(a("mail_outbox"))
            .order_by(a("id"), Order::Asc)
            .to_owned();
        self.db
            .query_all(&q)
            .await?
            .iter()
            .map(read_outgoing)
            .collect()
    }

    /// The mail server accepted the message.
    pub async fn mark_mail_sent(&self, id: i64, now: Timestamp) -> Result<()> {
        self.db
            .execute(
                &Query::update()
                    .table(a("mail_outbox"))
                    .value(a("status"), "sent")
                    .value(a("sent_at"), now)
                    .value(a("last_error"), Option::<String>::None)
                    .and_where(Expr::col(a("id")).eq(id))
                    .to_owned(),
            )
            .await?;
        // An invitation's text holds the secret of its link: once it is sent,
        // the outbox keeps no copy.
        self.db
            .execute(
                &Query::update()
                    .table(a("mail_outbox"))
                    .value(a("body_text"), "")
                    .and_where(Expr::col(a("id")).eq(id))
                    .and_where(Expr::col(a("kind")).eq(INVITATION))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    /// An attempt failed: try again after [`backoff`], or give up after
    /// [`MAX_ATTEMPTS`]. `error` is the mail server's answer (cut to 500
    /// characters).
    pub async fn mark_mail_failed(&self, id: i64, error: &str, now: Timestamp) -> Result<()> {
        let m = self.mail(id).await?;
        let attempts = Ord::max(m.attempts, 1);
        let error: String = error.chars().take(500).collect();
        let status = if attempts >= MAX_ATTEMPTS {
            "failed"
        } else {
            "queued"
        };
        self.db
            .execute(
                &Query::update()
                    .table(a("mail_outbox"))
                    .value(a("status"), status)
                    .value(a("last_error"), error)
                    .value(a("next_attempt_at"), now + backoff(attempts))
                    .and_where(Expr::col(a("id")).eq(id))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    /// Stop messages of `kind` (or of every kind, [`ALL`]) to `email`. Audited;
    /// a second time changes nothing.
    pub async fn unsubscribe(&self, email: &str, kind: &str) -> Result<()> {
        if !UNSUBSCRIBABLE.contains(&kind) {
            return Err(StoreError::Invalid(
                domain::validation::FieldErrors::single(
                    "kind",
                    "unknown_choice",
                    "kind is not a kind of notification",
                ),
            ));
        }
        let email = email.trim().to_lowercase();
        let txn = self.write_txn().await?;
        let res = txn
            .execute(
                &Query::insert()
                    .into_table(a("mail_unsubscribes"))
                    .columns([a("email"), a("kind"), a("created_at")])
                    .values_panic([email.as_str().into(), kind.into(), crate::now().into()])
                    .on_conflict(
                        OnConflict::columns([a("email"), a("kind")])
                            .do_nothing()
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        if res.rows_affected() == 1 {
            let after = serde_json::json!({"email": email, "kind": kind});
            audit::append(
                &txn,
                None,
                None,
                "mail_unsubscribe",
                0,
                "create",
                None::<&()>,
                Some(&after),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Whether `email` unsubscribed from `kind` (or from all).
    pub async fn is_unsubscribed(&self, email: &str, kind: &str) -> Result<bool> {
        unsubscribed_in(&self.db, &email.trim().to_lowercase(), kind).await
    }
}

/// The secret of an unsubscribe address: the server's HMAC-SHA256 (its
/// signing key) of the address and the kind. It names neither: the unsubscribe
/// page finds them through the messages that carried it
/// ([`Store::unsubscribe_target`]), so no address appears in a URL or a log.
pub fn unsubscribe_token(key: &SigningKey, email: &str, kind: &str) -> String {
    let msg = format!("{}\n{kind}", email.trim().to_lowercase());
    key.sign("unsubscribe", &msg)
}

impl Store {
    /// The address and kind an unsubscribe token stands for; `None` for a token
    /// no message carried, or one this server's key did not make.
    pub async fn unsubscribe_target(
        &self,
        key: &SigningKey,
        token: &str,
    ) -> Result<Option<(String, String)>> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let q = Query::select()
            .columns([a("recipient_email"), a("kind")])
            .from(a("mail_outbox"))
            .and_where(Expr::col(a("unsubscribe_token")).eq(token))
            .limit(1)
            .to_owned();
        let Some(row) = self.db.query_one(&q).await? else {
            return Ok(None);
        };
        let (email, kind): (String, String) = (
            row.try_get("", "recipient_email")?,
            row.try_get("", "kind")?,
        );
        let msg = format!("{email}\n{kind}");
        Ok(
            (UNSUBSCRIBABLE.contains(&kind.as_str()) && key.verify("unsubscribe", &msg, token))
                .then_some((email, kind)),
        )
    }
}

/// `a•••@example.org`: enough for its owner to recognise, no more.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".into(),
    }
}

// ---------------------------------------------------------------------------
// What the notifications are made of. Plain reads across the meetings tables;
// the scheduler (`web::pages::mail`) turns them into messages.

/// A person who receives notifications: a current member of a body (or an
/// action item's owner) with an email address.
#[derive(Debug, Clone, Serialize)]
pub struct Recipient {
    pub person_id: i64,
    pub name: String,
    pub email: String,
    pub user_id: Option<i64>,
    /// The linked account's language, if it chose one.
    pub language: Option<String>,
}

/// A meeting as a notification tells of it.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingNote {
    pub id: i64,
    pub initiative_id: i64,
    pub body_id: i64,
    pub body_name: String,
    pub title: String,
    pub starts_at: String,
    pub ends_at: String,
    pub time_zone: String,
    pub place: String,
    pub online_url: Option<String>,
    pub agenda_notice_days: Option<i64>,
}

/// An agenda item as sent with its meeting's agenda.
#[derive(Debug, Clone, Serialize)]
pub struct AgendaLine {
    pub position: i64,
    pub title: String,
    pub description: String,
    pub presenter: Option<String>,
    pub minutes_allotted: Option<i64>,
}

/// A decision still open.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionNote {
    pub id: i64,
    pub initiative_id: i64,
    pub body_id: i64,
    pub body_name: String,
    pub title: String,
    pub proposal: String,
    pub process: String,
    pub closes_on: Option<NaiveDate>,
}

/// An open action item.
#[derive(Debug, Clone, Serialize)]
pub struct ActionNote {
    pub id: i64,
    pub initiative_id: i64,
    pub body_name: String,
    pub title: String,
    pub due_on: NaiveDate,
    pub owner_person_id: i64,
}

/// An initiative's slug, name and first language.
#[derive(Debug, Clone, Serialize)]
pub struct InitiativeNote {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub languages: String,
}

/// Raw SQL with `?` placeholders, numbered for PostgreSQL.
fn stmt(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DbBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for ch in sql.chars() {
            if ch == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(ch);
            }
        }
        out
    } else {
        sql.to_string()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

fn read_meeting(r: &QueryResult) -> Result<MeetingNote> {
    Ok(MeetingNote {
        id: r.try_get("", "id")?,
        initiative_id: r.try_get("", "initiative_id")?,
        body_id: r.try_get("", "body_id")?,
        body_name: r.try_get("", "body_name")?,
        title: r.try_get("", "title")?,
        starts_at: r.try_get("", "starts_at")?,
        ends_at: r.try_get("", "ends_at")?,
        time_zone: r.try_get("", "time_zone")?,
        place: r.try_get("", "place")?,
        online_url: r.try_get("", "online_url")?,
        agenda_notice_days: r.try_get("", "agenda_notice_days")?,
    })
}

fn read_decision(r: &QueryResult) -> Result<DecisionNote> {
    Ok(DecisionNote {
        id: r.try_get("", "id")?,
        initiative_id: r.try_get("", "initiative_id")?,
        body_id: r.try_get("", "body_id")?,
        body_name: r.try_get("", "body_name")?,
        title: r.try_get("", "title")?,
        proposal: r.try_get("", "proposal")?,
        process: r.try_get("", "process")?,
        closes_on: r.try_get("", "closes_on")?,
    })
}

fn read_recipient(r: &QueryResult) -> Result<Recipient> {
    Ok(Recipient {
        person_id: r.try_get("", "person_id")?,
        name: r.try_get("", "name")?,
        email: r.try_get("", "email")?,
        user_id: r.try_get("", "user_id")?,
        language: r.try_get("", "language")?,
    })
}

const MEETING_COLUMNS: &str = "m.id, m.initiative_id, m.body_id, b.name AS body_name, m.title, \
     m.starts_at, m.ends_at, m.time_zone, m.place, m.online_url, b.agenda_notice_days";

const RECIPIENT_COLUMNS: &str = "p.id AS person_id, p.name, p.email, p.user_id, u.language";

impl Store {
    async fn mail_raw(&self, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>> {
        Ok(self
            .db
            .query_all_raw(stmt(self.mail_backend(), sql, values))
            .await?)
    }

    fn mail_backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Planned, live meetings of live bodies whose local start falls on a day
    /// from `from` to `to` (inclusive), with at least one agenda item when
    /// `with_agenda`; in order of start.
    pub async fn mail_meetings_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        with_agenda: bool,
    ) -> Result<Vec<MeetingNote>> {
        let agenda = if with_agenda {
            " AND EXISTS (SELECT 1 FROM agenda_items ai WHERE ai.meeting_id = m.id \
               AND ai.archived_at IS NULL)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {MEETING_COLUMNS} FROM meetings m JOIN bodies b ON b.id = m.body_id \
             WHERE m.archived_at IS NULL AND b.archived_at IS NULL AND m.status = 'planned' \
             AND m.starts_at >= ? AND m.starts_at < ?{agenda} ORDER BY m.starts_at, m.id"
        );
        let from = from.format("%Y-%m-%d").to_string();
        let to = (to + Duration::days(1)).format("%Y-%m-%d").to_string();
        self.mail_raw(&sql, vec![from.into(), to.into()])
            .await?
            .iter()
            .map(read_meeting)
            .collect()
    }

    /// A meeting's live agenda items in order, with the presenters' names.
    pub async fn mail_agenda(&self, meeting_id: i64) -> Result<Vec<AgendaLine>> {
        let rows = self
            .mail_raw(
                "SELECT ai.position, ai.title, ai.description, ai.minutes_allotted, \
                 p.name AS presenter FROM agenda_items ai \
                 LEFT JOIN people p ON p.id = ai.presenter_person_id AND p.archived_at IS NULL \
                 WHERE ai.meeting_id = ? AND ai.archived_at IS NULL ORDER BY ai.position, ai.id",
                vec![meeting_id.into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AgendaLine {
                    position: r.try_get("", "position")?,
                    title: r.try_get("", "title")?,
                    description: r.try_get("", "description")?,
                    presenter: r.try_get("", "presenter")?,
                    minutes_allotted: r.try_get("", "minutes_allotted")?,
                })
            })
            .collect()
    }

    /// Current members of a body on `today` with an email address, once each.
    pub async fn mail_members(&self, body_id: i64, today: NaiveDate) -> Result<Vec<Recipient>> {
        let sql = format!(
            "SELECT DISTINCT {RECIPIENT_COLUMNS} FROM memberships ms \
             JOIN people p ON p.id = ms.person_id LEFT JOIN users u ON u.id = p.user_id \
             WHERE ms.body_id = ? AND ms.archived_at IS NULL AND p.archived_at IS NULL \
             AND p.email IS NOT NULL AND p.email <> '' AND ms.start_date <= ? \
             AND (ms.end_date IS NULL OR ms.end_date >= ?) ORDER BY p.id"
        );
        self.mail_raw(&sql, vec![body_id.into(), today.into(), today.into()])
            .await?
            .iter()
            .map(read_recipient)
            .collect()
    }

    /// Every person who is a current member of some body on `today` and has an
    /// email address, with the bodies they sit on.
    pub async fn mail_all_members(&self, today: NaiveDate) -> Result<Vec<(Recipient, i64, i64)>> {
        let sql = format!(
            "SELECT DISTINCT {RECIPIENT_COLUMNS}, ms.body_id, p.initiative_id FROM memberships ms \
             JOIN people p ON p.id = ms.person_id JOIN bodies b ON b.id = ms.body_id \
             LEFT JOIN users u ON u.id = p.user_id \
             WHERE ms.archived_at IS NULL AND p.archived_at IS NULL AND b.archived_at IS NULL \
             AND p.email IS NOT NULL AND p.email <> '' AND ms.start_date <= ? \
             AND (ms.end_date IS NULL OR ms.end_date >= ?) ORDER BY p.id, ms.body_id"
        );
        self.mail_raw(&sql, vec![today.into(), today.into()])
            .await?
            .iter()
            .map(|r| {
                Ok((
                    read_recipient(r)?,
                    r.try_get("", "body_id")?,
                    r.try_get("", "initiative_id")?,
                ))
            })
            .collect()
    }

    /// Live decisions of live bodies without an outcome, whose closing day (if
    /// any) is not past.
    pub async fn mail_open_decisions(&self, today: NaiveDate) -> Result<Vec<DecisionNote>> {
        self.mail_raw(
            "SELECT d.id, d.initiative_id, d.body_id, b.name AS body_name, d.title, d.proposal, \
             d.process, d.closes_on FROM decisions d JOIN bodies b ON b.id = d.body_id \
             WHERE d.archived_at IS NULL AND b.archived_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM decision_outcomes o WHERE o.decision_id = d.id) \
             AND (d.closes_on IS NULL OR d.closes_on >= ?) ORDER BY d.id",
            vec![today.into()],
        )
        .await?
        .iter()
        .map(read_decision)
        .collect()
    }

    /// The people who hold a live position on a decision.
    pub async fn mail_positions(&self, decision_id: i64) -> Result<Vec<i64>> {
        self.mail_raw(
            "SELECT person_id FROM decision_positions WHERE decision_id = ? \
             AND superseded_at IS NULL",
            vec![decision_id.into()],
        )
        .await?
        .iter()
        .map(|r| Ok(r.try_get("", "person_id")?))
        .collect()
    }

    /// Open, live action items owned by a person, due on or before `until`.
    pub async fn mail_actions_due(&self, until: NaiveDate) -> Result<Vec<ActionNote>> {
        self.mail_raw(
            "SELECT x.id, x.initiative_id, b.name AS body_name, x.title, x.due_on, \
             x.owner_person_id FROM action_items x JOIN bodies b ON b.id = x.body_id \
             WHERE x.archived_at IS NULL AND x.status = 'open' \
             AND x.owner_person_id IS NOT NULL AND x.due_on <= ? ORDER BY x.due_on, x.id",
            vec![until.into()],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(ActionNote {
                id: r.try_get("", "id")?,
                initiative_id: r.try_get("", "initiative_id")?,
                body_name: r.try_get("", "body_name")?,
                title: r.try_get("", "title")?,
                due_on: r.try_get("", "due_on")?,
                owner_person_id: r.try_get("", "owner_person_id")?,
            })
        })
        .collect()
    }

    /// A live person with an email address, as a recipient.
    pub async fn mail_person(&self, person_id: i64) -> Result<Option<Recipient>> {
        let sql = format!(
            "SELECT {RECIPIENT_COLUMNS} FROM people p LEFT JOIN users u ON u.id = p.user_id \
             WHERE p.id = ? AND p.archived_at IS NULL AND p.email IS NOT NULL AND p.email <> ''"
        );
        self.mail_raw(&sql, vec![person_id.into()])
            .await?
            .first()
            .map(read_recipient)
            .transpose()
    }

    /// Every live initiative's slug, name and languages.
    pub async fn mail_initiatives(&self) -> Result<Vec<InitiativeNote>> {
        self.mail_raw(
            "SELECT id, slug, name, languages FROM initiatives WHERE archived_at IS NULL \
             ORDER BY id",
            vec![],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(InitiativeNote {
                id: r.try_get("", "id")?,
                slug: r.try_get("", "slug")?,
                name: r.try_get("", "name")?,
                languages: r.try_get("", "languages")?,
            })
        })
        .collect()
    }

    /// The dedupe keys already queued that start with `prefix` and end with
    /// `suffix` (the week's digests).
    pub async fn mail_keys_like(&self, prefix: &str, suffix: &str) -> Result<Vec<String>> {
        let pattern = format!("{prefix}%{suffix}");
        self.mail_raw(
            "SELECT dedupe_key FROM mail_outbox WHERE dedupe_key LIKE ?",
            vec![pattern.into()],
        )
        .await?
        .iter()
        .map(|r| Ok(r.try_get("", "dedupe_key")?))
        .collect()
    }

    /// An invitation's id and initiative by the secret of its link.
    pub async fn mail_invitation(&self, secret: &str) -> Result<Option<(i64, Option<i64>)>> {
        let hash = crate::accounts::sha256_hex(secret);
        self.mail_raw(
            "SELECT id, initiative_id FROM invitations WHERE token_hash = ?",
            vec![hash.into()],
        )
        .await?
        .first()
        .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "initiative_id")?)))
        .transpose()
    }

    /// The language an account chose, by its email address.
    pub async fn mail_user_language(&self, email: &str) -> Result<Option<(i64, Option<String>)>> {
        self.mail_raw(
            "SELECT id, language FROM users WHERE email = ?",
            vec![email.trim().to_lowercase().into()],
        )
        .await?
        .first()
        .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "language")?)))
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let mins: Vec<i64> = (1..=9).map(|n| backoff(n).num_minutes()).collect();
        assert_eq!(mins, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn addresses_are_masked() {
        assert_eq!(mask_email("ana@example.org"), "a•••@example.org");
        assert_eq!(mask_email("nonsense"), "•••");
    }

    #[test]
    fn message_ids_are_unique_and_well_formed() {
        let a = new_message_id("example.org");
        let b = new_message_id("example.org");
        assert_ne!(a, b);
        assert!(a.starts_with('<') && a.ends_with("@example.org>"));
        assert!(new_message_id("").ends_with("@backbone.localhost>"));
    }
}
