//! Sending notifications: the outbox's sender and the scheduler that fills it.
//!
//! `backbone serve` starts one task that, every `--mail-interval-seconds`:
//!
//! 1. runs the scheduler (`web::pages::mail::schedule`) on its first tick and
//!    then at most once a minute: agendas, decisions awaiting a position, action
//!    items due, weekly digests, each queued once by its dedupe key;
//!    The same task runs the by-name lists' daily inactivity job, once per
//!    UTC day (`Store::run_case_inactivity`).
//! 2. sends every due message of the outbox, one at a time: claim it (which
//!    counts the attempt and keeps other server processes off it for a lease),
//!    send it, mark it sent at once.
//!
//! With `--smtp-url` the message goes to that SMTP server (lettre; `smtp://`
//! plain, `smtp://…?tls=required` STARTTLS, `smtps://` TLS, user and password in
//! the URL). Without it the message is written, as the bytes SMTP would have
//! carried (RFC 5322), to `mail/outbox/NNNNNNNNNN.eml` in the data folder (see
//! [`folder`]), made when the first message is written: first to a
//! temporary name, then renamed, so a file is whole or absent; a file already
//! there (a crash after the rename) is not written again.
//!
//! Guarantees. A mail server that is down or refuses a message: the attempt is
//! recorded and retried after 1, 2, 4 … minutes (at most an hour), 20 times;
//! nothing is lost. SIGTERM: the message in flight is finished and marked, then
//! the task stops; nothing is sent twice across a restart. The one window left
//! is a hard crash (power loss, SIGKILL) after the mail server accepted a message
//! and before it was marked sent: that message is sent again once the lease ends
//! (5 minutes), with the same Message-ID, so receiving systems can recognise the
//! copy. Delivery is therefore exactly once across restarts and outages, at least
//! once across a crash.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::watch;

use store::Store;
use store::mail::Outgoing;

/// How the sender is set up (from `backbone serve`'s flags).
pub struct Settings {
    pub smtp_url: Option<String>,
    pub from: String,
    /// Where messages go without SMTP.
    pub folder: PathBuf,
    pub interval: Duration,
    /// The address in the messages' links.
    pub base_url: String,
}

/// A started sender: [`Sender::run`] it until shutdown.
pub struct Sender {
    store: Store,
    from: Mailbox,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    folder: PathBuf,
    interval: Duration,
    base_url: String,
}

/// Where messages are written without SMTP: `mail/outbox/` in the data
/// folder, which for SQLite is the folder the database file is in (the same
/// as `--data-dir` unless `--database` names a file elsewhere).
pub fn folder(database_url: &str, data_dir: &str) -> PathBuf {
    let base = store::sqlite_path(database_url)
        .map(|p| {
            Path::new(p)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf()
        })
        .unwrap_or_else(|| PathBuf::from(data_dir));
    base.join("mail").join("outbox")
}

/// The scheduler runs at most this often.
const SCHEDULE_EVERY: Duration = Duration::from_secs(60);
/// Messages read from the outbox at a time.
const BATCH: u64 = 50;

impl Settings {
    /// Check the settings (a bad `--smtp-url` or `--mail-from` is refused by
    /// name) and make the sender.
    pub fn start(self, store: Store) -> Result<Sender, String> {
        let from: Mailbox = self
            .from
            .parse()
            .map_err(|e| format!("--mail-from {}: not an email address ({e})", self.from))?;
        let smtp = match &self.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("--smtp-url: {e} (expected smtp://HOST:PORT, smtp://USER:PASS@HOST?tls=required or smtps://USER:PASS@HOST)"))?
                    .timeout(Some(Duration::from_secs(60)))
                    .build(),
            ),
            None => {
                tracing::info!(folder = %self.folder.display(), "no --smtp-url: notifications are written to files");
                None
            }
        };
        Ok(Sender {
            store,
            from,
            smtp,
            folder: self.folder,
            interval: self.interval,
            base_url: self.base_url,
        })
    }
}

impl Sender {
    /// Schedule and send until `stop` turns true; the message in flight then
    /// is finished first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut scheduled: Option<Instant> = None;
        let mut inactivity_ran: Option<chrono::NaiveDate> = None;
        loop {
            if *stop.borrow() {
                break;
            }
            // The by-name lists' daily job: spells without contact for longer
            // than their list's inactivity days turn inactive (once a UTC day).
            let today = store::now().get().date_naive();
            if inactivity_ran != Some(today) {
                inactivity_ran = Some(today);
                match self.store.run_case_inactivity(today).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(events = n, "by-name lists: spells turned inactive"),
                    Err(e) => tracing::warn!(error = %e, "the inactivity job failed"),
                }
            }
            if scheduled.is_none_or(|t| t.elapsed() >= SCHEDULE_EVERY) {
                scheduled = Some(Instant::now());
                match web::pages::mail::schedule(&self.store, &self.base_url, store::now().get())
                    .await
                {
                    Ok(n) if n.total() > 0 => tracing::info!(
                        agendas = n.agendas,
                        decisions = n.decisions,
                        action_items = n.actions,
                        digests = n.digests,
                        "notifications queued"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "scheduling notifications failed"),
                }
            }
            self.deliver(&stop).await;
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = stop.wait_for(|s| *s) => break,
            }
        }
        tracing::info!("mail sender stopped");
    }

    /// Send what is due, until nothing is or `stop` turns true.
    async fn deliver(&self, stop: &watch::Receiver<bool>) {
        loop {
            let due = match self.store.due_mail(store::now(), BATCH).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the outbox failed");
                    return;
                }
            };
            if due.is_empty() {
                return;
            }
            for m in due {
                if *stop.borrow() {
                    return;
                }
                let m = match self.store.claim_mail(m.id, store::now()).await {
                    Ok(Some(m)) => m,
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming a message failed");
                        return;
                    }
                };
                let result = self.send(&m).await;
                let marked = match &result {
                    Ok(()) => self.store.mark_mail_sent(m.id, store::now()).await,
                    Err(e) => {
                        tracing::warn!(id = m.id, attempt = m.attempts, error = %e, "sending a notification failed; it will be retried");
                        self.store.mark_mail_failed(m.id, e, store::now()).await
                    }
                };
                if let Err(e) = marked {
                    tracing::warn!(id = m.id, error = %e, "recording a message's state failed");
                }
                if result.is_err() && self.smtp.is_some() {
                    // The server is likely down: wait for the next tick.
                    return;
                }
            }
        }
    }

    async fn send(&self, m: &Outgoing) -> Result<(), String> {
        let message = build(&self.from, m)?;
        match &self.smtp {
            Some(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            None => write_file(&self.folder, m.id, &message.formatted()).await,
        }
    }
}

/// The message as sent: plain text, its Message-ID from the outbox, and for
/// notifications the unsubscribe headers (RFC 2369, one-click RFC 8058).
pub fn build(from: &Mailbox, m: &Outgoing) -> Result<Message, String> {
    let to: Mailbox = m
        .recipient_email
        .parse()
        .map_err(|e| format!("the recipient is not an email address: {e}"))?;
    let mut b = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(m.subject.clone())
        .message_id(Some(m.message_id.clone()))
        .header(ContentType::TEXT_PLAIN)
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Content-Language"),
            m.language.clone(),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".into(),
        ));
    if let Some(u) = &m.unsubscribe_url {
        b = b
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{u}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    b.body(m.body_text.clone()).map_err(|e| e.to_string())
}

/// Write a message to `folder/ID.eml` whole or not at all; an existing file
/// (written before a crash) is kept as it is.
async fn write_file(folder: &std::path::Path, id: i64, bytes: &[u8]) -> Result<(), String> {
    let folder = folder.to_path_buf();
    let bytes = bytes.to_vec();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        std::fs::create_dir_all(&folder)
            .map_err(|e| format!("cannot create the mail folder {}: {e}", folder.display()))?;
        let path = folder.join(format!("{id:010}.eml"));
        if path.exists() {
            return Ok(());
        }
        let tmp = folder.join(format!(".{id:010}.eml.tmp"));
        let mut f = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
        f.write_all(&bytes).map_err(|e| e.to_string())?;
        f.sync_all().map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, &path).map_err(|e| e.to_string())?;
        if let Ok(dir) = std::fs::File::open(&folder) {
            let _ = dir.sync_all();
        }
        Ok(())
    })
    .await
    .map_err(|e| e.to_string())?
}
