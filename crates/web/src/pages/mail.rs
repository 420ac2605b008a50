//! Notifications by email: what each message says, which messages are due,
//! and the page that stops them.
//!
//! - [`schedule`] looks at the meetings module's data and queues, each once
//!   (by its dedupe key), the agendas of coming meetings, decisions awaiting a
//!   member's position, action items due, and a weekly digest per member.
//!   `backbone serve` runs it; the sender there delivers the outbox.
//! - [`enqueue_invitation`] queues an invitation's link when it is made.
//! - `/unsubscribe/{token}`: GET shows what would stop (mail scanners follow
//!   links, so GET changes nothing); POST stops it.
//!
//! Every message is written in its recipient's language (the account's, else
//! the initiative's first, else English) from the text templates in
//! `templates/mail/`, and ends (but invitations) with its unsubscribe address.
//! Names of people appear only in messages to members of the same body.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};

use domain::meetings::records::{parse_local, parse_time_zone};
use domain::partnership::DEFAULT_AGENDA_NOTICE_DAYS;
use store::mail::{self as outbox, Mail, Recipient};
use store::{Store, StoreError};

use super::{Chrome, Submitted, render_status};
use crate::AppState;
use crate::error::{AppError, PageResult};
use crate::i18n::{self, Tr};
use crate::routes::{Access, Routes};
use crate::session::Ctx;

pub fn routes(r: Routes) -> Routes {
    r.get("/unsubscribe/{token}", Access::Public, unsubscribe_form)
        .post("/unsubscribe/{token}", Access::Public, unsubscribe)
}

// ---------------------------------------------------------------------------
// Messages.

/// The language of a message: the account's choice, else the initiative's
/// first language, else English.
pub fn language_for(account: Option<&str>, initiative_languages: &str) -> &'static str {
    account
        .and_then(i18n::supported)
        .or_else(|| {
            initiative_languages
                .split(',')
                .map(str::trim)
                .find_map(i18n::supported)
        })
        .unwrap_or("en")
}

/// `2026-12-03 18:00–19:30 (Asia/Jerusalem)`: the wall-clock time where the
/// meeting is, and the zone it is in.
pub fn when(starts_at: &str, ends_at: &str, time_zone: &str) -> String {
    let start = starts_at.replace('T', " ");
    let end = match (starts_at.split_once('T'), ends_at.split_once('T')) {
        (Some((d1, _)), Some((d2, t2))) if d1 == d2 => t2.to_string(),
        _ => ends_at.replace('T', " "),
    };
    format!("{start}–{end} ({time_zone})")
}

/// The unsubscribe line that ends a message.
struct Footer {
    text: String,
    url: String,
    token: String,
}

#[derive(Template)]
#[template(path = "mail/agenda.txt")]
struct AgendaMail<'a> {
    tr: Tr,
    greeting: String,
    intro: String,
    when: String,
    place: &'a str,
    online_url: Option<&'a str>,
    items: Vec<String>,
    link: String,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/decision.txt")]
struct DecisionMail<'a> {
    tr: Tr,
    greeting: String,
    intro: String,
    title: &'a str,
    proposal: &'a str,
    process: String,
    closes: Option<String>,
    link: String,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/action_due.txt")]
struct ActionMail {
    tr: Tr,
    greeting: String,
    intro: String,
    title: String,
    link: String,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/digest.txt")]
struct DigestMail {
    tr: Tr,
    greeting: String,
    meetings: Vec<String>,
    decisions: Vec<String>,
    actions: Vec<String>,
    footer: Footer,
}

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationMail {
    tr: Tr,
    intro: String,
    link: String,
    expires: String,
}

fn footer(
    tr: Tr,
    key: &store::accounts::SigningKey,
    base: &str,
    email: &str,
    kind: &str,
) -> Footer {
    let token = outbox::unsubscribe_token(key, email, kind);
    Footer {
        text: tr.t(&format!("mail-footer-{kind}")),
        url: format!("{base}/unsubscribe/{token}"),
        token,
    }
}

/// The host part of the base address, for Message-IDs.
fn host_of(base: &str) -> String {
    url_host(base).unwrap_or_else(|| "backbone.localhost".into())
}

fn url_host(base: &str) -> Option<String> {
    let rest = base.split_once("://").map(|(_, r)| r).unwrap_or(base);
    let host = rest.split(['/', ':', '?']).next()?;
    (!host.is_empty()).then(|| host.to_string())
}

fn render_text<T: Template>(t: &T) -> Result<String, StoreError> {
    t.render()
        .map_err(|e| StoreError::Database(sea_orm_custom(format!("cannot render a message: {e}"))))
}

fn sea_orm_custom(msg: String) -> store::DatabaseError {
    store::DatabaseError::Custom(msg)
}

/// How many messages one run of [`schedule`] queued, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scheduled {
    pub agendas: usize,
    pub decisions: usize,
    pub actions: usize,
    pub digests: usize,
}

impl Scheduled {
    pub fn total(&self) -> usize {
        self.agendas + self.decisions + self.actions + self.digests
    }
}

struct Ctxs {
    key: store::accounts::SigningKey,
    base: String,
    initiatives: HashMap<i64, store::mail::InitiativeNote>,
}

impl Ctxs {
    fn lang(&self, r: &Recipient, initiative: i64) -> Tr {
        let langs = self
            .initiatives
            .get(&initiative)
            .map(|i| i.languages.as_str())
            .unwrap_or("");
        Tr::new(language_for(r.language.as_deref(), langs))
    }
    fn slug(&self, initiative: i64) -> &str {
        self.initiatives
            .get(&initiative)
            .map(|i| i.slug.as_str())
            .unwrap_or("")
    }
    fn mail(&self, initiative: i64, key: String, kind: &str, r: &Recipient, tr: Tr) -> Mail {
        let f = footer(tr, &self.key, &self.base, &r.email, kind);
        Mail {
            initiative_id: Some(initiative),
            dedupe_key: key,
            kind: kind.into(),
            recipient_email: r.email.clone(),
            recipient_person_id: Some(r.person_id),
            recipient_user_id: r.user_id,
            language: tr.lang.into(),
            unsubscribe_url: Some(f.url),
            unsubscribe_token: Some(f.token),
            id_domain: host_of(&self.base),
            ..Mail::default()
        }
    }
}

/// The start of a meeting as an instant, from its local time and zone.
fn start_instant(starts_at: &str, time_zone: &str) -> Option<DateTime<Utc>> {
    let tz = parse_time_zone(time_zone)?;
    let local = parse_local(starts_at)?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Queue every notification that is due at `now` and was not queued before.
/// `base` is the address Backbone is reached at (`https://backbone.example.org`),
/// for the links in the messages. Cheap when nothing is due: a few indexed reads.
pub async fn schedule(
    store: &Store,
    base: &str,
    now: DateTime<Utc>,
) -> Result<Scheduled, StoreError> {
    let base = base.trim_end_matches('/').to_string();
    let c = Ctxs {
        key: store.signing_key().await?,
        base,
        initiatives: store
            .mail_initiatives()
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect(),
    };
    let today = now.date_naive();
    let mut done = Scheduled::default();
    let mut members: HashMap<i64, Vec<Recipient>> = HashMap::new();

    // Agendas of coming meetings, the body's notice ahead.
    let meetings = store
        .mail_meetings_between(today - Duration::days(1), today + Duration::days(61), true)
        .await?;
    for m in &meetings {
        let Some(start) = start_instant(&m.starts_at, &m.time_zone) else {
            continue;
        };
        let notice = m.agenda_notice_days.unwrap_or(DEFAULT_AGENDA_NOTICE_DAYS);
        if start < now || start.date_naive() > today + Duration::days(notice) {
            continue;
        }
        if let Entry::Vacant(e) = members.entry(m.body_id) {
            e.insert(store.mail_members(m.body_id, today).await?);
        }
        let items = store.mail_agenda(m.id).await?;
        for r in &members[&m.body_id] {
            let tr = c.lang(r, m.initiative_id);
            let lines = items
                .iter()
                .map(|i| {
                    let mut s = format!("{}. {}", i.position, i.title);
                    if let Some(p) = &i.presenter {
                        s.push_str(&format!(" — {p}"));
                    }
                    if let Some(n) = i.minutes_allotted {
                        s.push_str(&format!(
                            " ({})",
                            tr.t1("mail-minutes", "n", &n.to_string())
                        ));
                    }
                    if !i.description.trim().is_empty() {
                        s.push_str(&format!(
                            "\n   {}",
                            i.description.trim().replace('\n', "\n   ")
                        ));
                    }
                    s
                })
                .collect();
            let body = AgendaMail {
                tr,
                greeting: tr.t1("mail-greeting", "name", &r.name),
                intro: tr.tn(
                    "mail-agenda-intro",
                    &[("body", m.body_name.clone()), ("title", m.title.clone())],
                ),
                when: when(&m.starts_at, &m.ends_at, &m.time_zone),
                place: &m.place,
                online_url: m.online_url.as_deref(),
                items: lines,
                link: format!("{}/i/{}/meetings/{}", c.base, c.slug(m.initiative_id), m.id),
                footer: footer(tr, &c.key, &c.base, &r.email, outbox::AGENDA),
            };
            let mut mail = c.mail(
                m.initiative_id,
                format!("agenda:{}:{}", m.id, r.person_id),
                outbox::AGENDA,
                r,
                tr,
            );
            mail.subject = tr.tn(
                "mail-agenda-subject",
                &[
                    ("title", m.title.clone()),
                    ("date", m.starts_at.replace('T', " ")),
                ],
            );
            mail.body_text = render_text(&body)?;
            if store.enqueue_mail(&mail).await? == outbox::Enqueued::Queued {
                done.agendas += 1;
            }
        }
    }

    // Decisions awaiting a member's position.
    let decisions = store.mail_open_decisions(today).await?;
    let mut positions: HashMap<i64, HashSet<i64>> = HashMap::new();
    for d in &decisions {
        if let Entry::Vacant(e) = members.entry(d.body_id) {
            e.insert(store.mail_members(d.body_id, today).await?);
        }
        let held: HashSet<i64> = store.mail_positions(d.id).await?.into_iter().collect();
        for r in &members[&d.body_id] {
            if held.contains(&r.person_id) {
                continue;
            }
            let tr = c.lang(r, d.initiative_id);
            let body = DecisionMail {
                tr,
                greeting: tr.t1("mail-greeting", "name", &r.name),
                intro: tr.t1("mail-decision-intro", "body", &d.body_name),
                title: &d.title,
                proposal: &d.proposal,
                process: tr.t(&format!("decision-process-{}", d.process)),
                closes: d
                    .closes_on
                    .map(|day| tr.t1("mail-decision-closes", "date", &day.to_string())),
                link: format!(
                    "{}/i/{}/decisions/{}",
                    c.base,
                    c.slug(d.initiative_id),
                    d.id
                ),
                footer: footer(tr, &c.key, &c.base, &r.email, outbox::DECISION),
            };
            let mut mail = c.mail(
                d.initiative_id,
                format!("decision:{}:{}", d.id, r.person_id),
                outbox::DECISION,
                r,
                tr,
            );
            mail.subject = tr.t1("mail-decision-subject", "title", &d.title);
            mail.body_text = render_text(&body)?;
            if store.enqueue_mail(&mail).await? == outbox::Enqueued::Queued {
                done.decisions += 1;
            }
        }
        positions.insert(d.id, held);
    }

    // Action items due within two days, or overdue.
    let open_actions = store.mail_actions_due(today + Duration::days(3650)).await?;
    let mut people: HashMap<i64, Option<Recipient>> = HashMap::new();
    for x in open_actions
        .iter()
        .filter(|x| x.due_on <= today + Duration::days(2))
    {
        if let Entry::Vacant(e) = people.entry(x.owner_person_id) {
            e.insert(store.mail_person(x.owner_person_id).await?);
        }
        let Some(r) = &people[&x.owner_person_id] else {
            continue;
        };
        let tr = c.lang(r, x.initiative_id);
        let intro_key = if x.due_on < today {
            "mail-action-overdue"
        } else {
            "mail-action-due"
        };
        let body = ActionMail {
            tr,
            greeting: tr.t1("mail-greeting", "name", &r.name),
            intro: tr.tn(
                intro_key,
                &[
                    ("body", x.body_name.clone()),
                    ("date", x.due_on.to_string()),
                ],
            ),
            title: x.title.clone(),
            link: format!(
                "{}/i/{}/action-items/{}",
                c.base,
                c.slug(x.initiative_id),
                x.id
            ),
            footer: footer(tr, &c.key, &c.base, &r.email, outbox::ACTION_DUE),
        };
        let mut mail = c.mail(
            x.initiative_id,
            format!("action-due:{}:{}", x.id, x.due_on),
            outbox::ACTION_DUE,
            r,
            tr,
        );
        mail.subject = tr.tn(
            "mail-action-subject",
            &[("title", x.title.clone()), ("date", x.due_on.to_string())],
        );
        mail.body_text = render_text(&body)?;
        if store.enqueue_mail(&mail).await? == outbox::Enqueued::Queued {
            done.actions += 1;
        }
    }

    // The weekly digest: the first run of each ISO week.
    let week = today.iso_week();
    let suffix = format!(":{}-W{:02}", week.year(), week.week());
    let sent: HashSet<String> = store
        .mail_keys_like("digest:", &suffix)
        .await?
        .into_iter()
        .collect();
    let mut by_person: Vec<(Recipient, i64, Vec<i64>)> = vec![];
    for (r, body, initiative) in store.mail_all_members(today).await? {
        match by_person.last_mut() {
            Some((p, _, bodies)) if p.person_id == r.person_id => bodies.push(body),
            _ => by_person.push((r, initiative, vec![body])),
        }
    }
    let soon = store
        .mail_meetings_between(today, today + Duration::days(14), false)
        .await?;
    for (r, initiative, bodies) in &by_person {
        let key = format!("digest:{}{suffix}", r.person_id);
        if sent.contains(&key) {
            continue;
        }
        let tr = c.lang(r, *initiative);
        let meetings: Vec<String> = soon
            .iter()
            .filter(|m| bodies.contains(&m.body_id))
            .filter(|m| start_instant(&m.starts_at, &m.time_zone).is_some_and(|s| s >= now))
            .map(|m| {
                format!(
                    "{} — {}: {}",
                    when(&m.starts_at, &m.ends_at, &m.time_zone),
                    m.body_name,
                    m.title
                )
            })
            .collect();
        let awaiting: Vec<String> = decisions
            .iter()
            .filter(|d| bodies.contains(&d.body_id))
            .filter(|d| {
                !positions
                    .get(&d.id)
                    .is_some_and(|p| p.contains(&r.person_id))
            })
            .map(|d| {
                format!(
                    "{}: {} <{}/i/{}/decisions/{}>",
                    d.body_name,
                    d.title,
                    c.base,
                    c.slug(d.initiative_id),
                    d.id
                )
            })
            .collect();
        let actions: Vec<String> = open_actions
            .iter()
            .filter(|x| x.owner_person_id == r.person_id)
            .map(|x| {
                format!(
                    "{} ({})",
                    x.title,
                    tr.t1("mail-digest-due", "date", &x.due_on.to_string())
                )
            })
            .collect();
        if meetings.is_empty() && awaiting.is_empty() && actions.is_empty() {
            continue;
        }
        let body = DigestMail {
            tr,
            greeting: tr.t1("mail-greeting", "name", &r.name),
            meetings,
            decisions: awaiting,
            actions,
            footer: footer(tr, &c.key, &c.base, &r.email, outbox::DIGEST),
        };
        let mut mail = c.mail(*initiative, key, outbox::DIGEST, r, tr);
        let name = c
            .initiatives
            .get(initiative)
            .map(|i| i.name.clone())
            .unwrap_or_default();
        mail.subject = tr.tn(
            "mail-digest-subject",
            &[("initiative", name), ("week", format!("{}", week.week()))],
        );
        mail.body_text = render_text(&body)?;
        if store.enqueue_mail(&mail).await? == outbox::Enqueued::Queued {
            done.digests += 1;
        }
    }
    Ok(done)
}

/// Queue the email of a new invitation: its link as a full address under
/// `base`. Invitations are sent even to addresses that unsubscribed from
/// notifications.
pub async fn enqueue_invitation(
    store: &Store,
    base: &str,
    secret: &str,
    email: &str,
    initiative_name: &str,
    initiative_languages: &str,
) -> Result<(), StoreError> {
    let Some((id, initiative)) = store.mail_invitation(secret).await? else {
        return Err(StoreError::NotFound);
    };
    let base = base.trim_end_matches('/');
    let account = store.mail_user_language(email).await?;
    let tr = Tr::new(language_for(
        account.as_ref().and_then(|(_, l)| l.as_deref()),
        initiative_languages,
    ));
    let body = InvitationMail {
        tr,
        intro: tr.t1("mail-invitation-intro", "initiative", initiative_name),
        link: format!("{base}/invite/{secret}"),
        expires: tr.t1(
            "mail-invitation-expires",
            "days",
            &store::accounts::INVITATION_DAYS.to_string(),
        ),
    };
    let mail = Mail {
        initiative_id: initiative,
        dedupe_key: format!("invitation:{id}"),
        kind: outbox::INVITATION.into(),
        recipient_email: email.to_string(),
        recipient_person_id: None,
        recipient_user_id: account.map(|(id, _)| id),
        language: tr.lang.into(),
        subject: tr.t1("mail-invitation-subject", "initiative", initiative_name),
        body_text: render_text(&body)?,
        unsubscribe_url: None,
        unsubscribe_token: None,
        id_domain: host_of(base),
    };
    store.enqueue_mail(&mail).await?;
    Ok(())
}

/// The address Backbone is reached at: the configured public address, else the
/// scheme and `Host` of this request.
pub fn base_url(s: &AppState, headers: &axum::http::HeaderMap) -> String {
    if let Some(u) = s.config.public_url.as_deref().filter(|u| !u.is_empty()) {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let scheme = if crate::session::is_secure(s, headers) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

// ---------------------------------------------------------------------------
// The unsubscribe page.

#[derive(Template)]
#[template(path = "mail/unsubscribe.html")]
struct UnsubscribePage {
    c: Chrome,
    address: String,
    what: String,
    token: String,
    /// Already stopped (or just now).
    stopped: bool,
    all_stopped: bool,
}

async fn unsubscribe_page(s: &AppState, ctx: &Ctx, token: &str, status: StatusCode) -> PageResult {
    let key = s.store.signing_key().await?;
    let (email, kind) = s
        .store
        .unsubscribe_target(&key, token)
        .await?
        .ok_or(AppError::NotFound)?;
    let all_stopped = s.store.is_unsubscribed(&email, outbox::ALL).await?;
    let stopped = all_stopped || s.store.is_unsubscribed(&email, &kind).await?;
    let c = Chrome::new(ctx, ctx.tr.t("mail-unsubscribe-title"));
    let what = ctx.tr.t(&format!("mail-kind-{kind}"));
    render_status(
        status,
        &UnsubscribePage {
            c,
            address: outbox::mask_email(&email),
            what,
            token: token.to_string(),
            stopped,
            all_stopped,
        },
    )
}

/// What would stop, and a button to stop it. Changes nothing.
pub async fn unsubscribe_form(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> PageResult {
    unsubscribe_page(&s, &ctx, &token, StatusCode::OK).await
}

/// Stop the kind of message the token names (or, with `scope=all`, every
/// kind). The token is the secret: this form carries no CSRF token, so that
/// mail programs' one-click unsubscribe (RFC 8058) works too.
pub async fn unsubscribe(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let key = s.store.signing_key().await?;
    let (email, kind) = s
        .store
        .unsubscribe_target(&key, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    let kind = if sub.fields.get("scope").map(String::as_str) == Some("all") {
        outbox::ALL.to_string()
    } else {
        kind
    };
    s.store.unsubscribe(&email, &kind).await?;
    unsubscribe_page(&s, &ctx, &token, StatusCode::OK).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_speaks_its_recipients_language() {
        assert_eq!(language_for(Some("es"), "he,en"), "es");
        assert_eq!(language_for(None, "he,en"), "he");
        assert_eq!(language_for(Some("fr"), "fr,es"), "es");
        assert_eq!(language_for(None, ""), "en");
    }

    #[test]
    fn times_are_local_with_their_zone() {
        assert_eq!(
            when("2026-12-03T18:00", "2026-12-03T19:30", "Asia/Jerusalem"),
            "2026-12-03 18:00–19:30 (Asia/Jerusalem)"
        );
        assert_eq!(
            when("2026-12-03T23:00", "2026-12-04T01:00", "Europe/London"),
            "2026-12-03 23:00–2026-12-04 01:00 (Europe/London)"
        );
        assert_eq!(host_of("https://bb.example.org:8443/x"), "bb.example.org");
        assert_eq!(host_of(""), "backbone.localhost");
    }
}
