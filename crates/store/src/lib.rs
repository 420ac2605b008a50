//! Backbone's persistence: one data-access layer for SQLite and PostgreSQL.
//!
//! The engine is chosen by the URL scheme alone (`sqlite://PATH` or
//! `postgres://…`); anything else is an error, never a silent fallback. Queries are
//! built with sea-query so the same code speaks both dialects; where the engines
//! must differ (connection settings, online backup) the difference is one `match`
//! on [`Engine`] in this crate.
//!
//! Layout:
//! - [`migrations`]: the schema, applied on start and by `backbone migrate`.
//! - [`records`]: the life of every partnership record — create, versioned update
//!   (a stale edit is a [`StoreError::Conflict`]), archive — each change written
//!   together with its audit entry in one transaction.
//! - [`accounts`]: users, sessions, API tokens, role grants, invitations, login throttling.
//! - [`audit`]: reading the audit log.
//! - [`partnership`]: the registry's read models (who is at the table, services directory).

pub mod accounts;
pub mod agenda;
pub mod audit;
pub mod cases;
pub mod demo;
pub mod duplicates;
pub mod funding;
pub mod mail;
pub mod measurement;
pub mod meetings;
pub mod migrations;
pub mod partnership;
pub mod records;
pub mod schema;
pub mod survey;

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

pub use sea_orm::DbErr as DatabaseError;

use domain::validation::FieldErrors;

/// The two storage engines Backbone runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// Which engine a database URL names; `None` for anything else.
    pub fn of_url(url: &str) -> Option<Engine> {
        if url.starts_with("sqlite://") || url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The record changed since the caller read it: `current` holds its values now.
    #[error("the record was changed by someone else")]
    Conflict { current: serde_json::Value },
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A handle on the database; cheap to clone (a connection pool inside).
#[derive(Clone, Debug)]
pub struct Store {
    pub db: DatabaseConnection,
    pub engine: Engine,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("unsupported database URL (expected sqlite://PATH or postgres://USER@HOST/DB): {0}")]
    UnknownScheme(String),
    #[error("cannot open the database {target}: {source}")]
    Open { target: String, source: DbErr },
    #[error("cannot create the data folder {0}: {1}")]
    Folder(String, std::io::Error),
    #[error(
        "cannot write to {0}: {1} (Backbone needs to write the database and its journal there)"
    )]
    NotWritable(String, std::io::Error),
    #[error(
        "no database at {0}: this command does not create one (check --data-dir or --database)"
    )]
    Missing(String),
    #[error(
        "the SQLite database {path} is damaged: {detail}. Restore it from a backup (see the README)"
    )]
    Damaged { path: String, detail: String },
    #[error("cannot reach PostgreSQL at {0}: {1}")]
    Unreachable(String, String),
}

/// The file a `sqlite://` URL names (query parameters dropped).
pub fn sqlite_path(url: &str) -> Option<&str> {
    if Engine::of_url(url) != Some(Engine::Sqlite) {
        return None;
    }
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    Some(path.split('?').next().unwrap_or(path))
}

/// `host:port` of a PostgreSQL URL (never its user or password).
pub fn postgres_target(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}:{}",
            u.host_str()
                .filter(|h| !h.is_empty())
                .unwrap_or("localhost"),
            u.port().unwrap_or(5432)
        ),
        Err(_) => "(unparsable URL)".into(),
    }
}

/// Whether a folder accepts new files (an existing read-only one does not).
fn check_writable(folder: &std::path::Path) -> Result<(), ConnectError> {
    let probe = folder.join(format!(".backbone-write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(ConnectError::NotWritable(folder.display().to_string(), e)),
    }
}

impl Store {
    /// Connect to the database a URL names. SQLite files are created when missing,
    /// opened in WAL mode with `synchronous=FULL` (an acknowledged write survives a
    /// power loss; docs/decisions/0004-durability.md), a busy timeout and foreign
    /// keys on, and checked with `PRAGMA quick_check`: a damaged file is refused.
    pub async fn connect(url: &str) -> Result<Store, ConnectError> {
        Self::connect_with(url, true).await
    }

    /// Connect to a database that must exist already: commands that only read
    /// (backup, export, …) never create a database where none was.
    pub async fn connect_existing(url: &str) -> Result<Store, ConnectError> {
        Self::connect_with(url, false).await
    }

    async fn connect_with(url: &str, create: bool) -> Result<Store, ConnectError> {
        let engine =
            Engine::of_url(url).ok_or_else(|| ConnectError::UnknownScheme(redact_url(url)))?;
        let mut opts = ConnectOptions::new(url.to_string());
        opts.sqlx_logging(false)
            .acquire_timeout(Duration::from_secs(10));
        let target = match engine {
            Engine::Sqlite => {
                let path = sqlite_path(url).unwrap_or_default().to_string();
                let file = std::path::Path::new(&path);
                let parent = file
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                if !create && !file.is_file() {
                    return Err(ConnectError::Missing(path));
                }
                std::fs::create_dir_all(parent)
                    .map_err(|e| ConnectError::Folder(parent.display().to_string(), e))?;
                check_writable(parent)?;
                if file.exists() {
                    std::fs::OpenOptions::new()
                        .read(true)
                        .write(true)
                        .open(file)
                        .map_err(|e| ConnectError::NotWritable(path.clone(), e))?;
                }
                opts.max_connections(4).min_connections(1);
                opts.map_sqlx_sqlite_opts(move |o| {
                    use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
                    o.create_if_missing(create)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Full)
                        .busy_timeout(Duration::from_secs(5))
                        .foreign_keys(true)
                });
                path
            }
            Engine::Postgres => {
                let target = postgres_target(url);
                // A refused or unanswered connection is reported in seconds, naming
                // where it went (the pool would otherwise retry until its timeout).
                if url::Url::parse(url).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty())) {
                    match tokio::time::timeout(
                        Duration::from_secs(5),
                        tokio::net::TcpStream::connect(&target),
                    )
                    .await
                    {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => return Err(ConnectError::Unreachable(target, e.to_string())),
                        Err(_) => {
                            return Err(ConnectError::Unreachable(
                                target,
                                "no answer within 5 s".into(),
                            ));
                        }
                    }
                }
                opts.max_connections(16).min_connections(1);
                target
            }
        };
        let db = Database::connect(opts)
            .await
            .map_err(|source| ConnectError::Open {
                target: target.clone(),
                source,
            })?;
        if engine == Engine::Sqlite {
            let damaged = |detail: String| ConnectError::Damaged {
                path: target.clone(),
                detail,
            };
            let rows = db
                .query_all_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Sqlite,
                    "PRAGMA quick_check",
                ))
                .await
                .map_err(|e| damaged(e.to_string()))?;
            let lines: Vec<String> = rows
                .iter()
                .filter_map(|r| r.try_get_by_index::<String>(0).ok())
                .collect();
            if lines != ["ok"] {
                let mut detail = lines.into_iter().take(3).collect::<Vec<_>>().join("; ");
                if detail.is_empty() {
                    detail = "quick_check returned nothing".into();
                }
                return Err(damaged(detail));
            }
        }
        Ok(Store { db, engine })
    }

    /// Apply every pending migration.
    pub async fn migrate(&self) -> Result<Vec<&'static str>, DbErr> {
        migrations::apply(&self.db).await
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        self.db.execute_unprepared("SELECT 1").await.is_ok()
    }

    /// A real read of a real table (the first initiative's id, slug and
    /// generation), as `/healthz` needs: `SELECT 1` succeeds on a database whose
    /// tables are gone or unreadable. One indexed row: about as cheap as `SELECT 1`.
    pub async fn health(&self) -> Result<(), DbErr> {
        use sea_orm::sea_query::{Alias, Query};
        let q = Query::select()
            .columns([
                Alias::new("id"),
                Alias::new("slug"),
                Alias::new("generation"),
            ])
            .from(Alias::new("initiatives"))
            .limit(1)
            .to_owned();
        self.db.query_one(&q).await?;
        Ok(())
    }

    /// Run a statement as is (test databases are created and dropped with it).
    pub async fn execute_unprepared(&self, sql: &str) -> Result<()> {
        self.db.execute_unprepared(sql).await?;
        Ok(())
    }

    /// (connections open, of which idle) in the pool, for `/metrics`.
    pub fn pool_stats(&self) -> (u32, usize) {
        match self.engine {
            Engine::Sqlite => {
                let p = self.db.get_sqlite_connection_pool();
                (p.size(), p.num_idle())
            }
            Engine::Postgres => {
                let p = self.db.get_postgres_connection_pool();
                (p.size(), p.num_idle())
            }
        }
    }

    /// A consistent online copy of a SQLite database (`VACUUM INTO`), taken while
    /// the server keeps running. PostgreSQL is backed up with `pg_dump`.
    pub async fn backup_sqlite(&self, path: &str) -> Result<(), StoreError> {
        match self.engine {
            Engine::Sqlite => {
                let escaped = path.replace('\'', "''");
                self.db
                    .execute_unprepared(&format!("VACUUM INTO '{escaped}'"))
                    .await?;
                Ok(())
            }
            Engine::Postgres => Err(StoreError::Invalid(FieldErrors::single(
                "database",
                "unsupported",
                "backup of PostgreSQL is done with pg_dump; see the README",
            ))),
        }
    }

    /// Whether the database holds no initiative yet (the demo loads only then).
    pub async fn is_empty(&self) -> Result<bool, DbErr> {
        use sea_orm::sea_query::{Alias, Expr, Query};
        let q = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(Alias::new("initiatives"))
            .to_owned();
        let row = self.db.query_one(&q).await?;
        let n: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
        Ok(n == 0)
    }
}

/// A database URL with its password hidden, for error messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// A point in time as Backbone stores it: UTC, whole seconds.
///
/// Every timestamp written goes through this type, so SQLite (which keeps
/// timestamps as text) holds exactly one encoding, RFC 3339 with a `+00:00`
/// offset and no fraction — `2026-11-24T02:44:04+00:00` — and text comparison
/// orders them correctly; PostgreSQL holds the same instant in `timestamptz`.
/// (sqlx writes a fraction of a second with 0, 3, 6 or 9 digits depending on its
/// value; with whole seconds there is none.) See docs/decisions/0006-timestamps.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(chrono::DateTime<chrono::Utc>);

impl Timestamp {
    pub fn new(t: chrono::DateTime<chrono::Utc>) -> Self {
        use chrono::SubsecRound;
        Timestamp(t.trunc_subsecs(0))
    }
    pub fn get(self) -> chrono::DateTime<chrono::Utc> {
        self.0
    }
    /// The text SQLite holds for this instant.
    pub fn sqlite_text(self) -> String {
        self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
    }
}

impl serde::Serialize for Timestamp {
    /// As chrono writes an instant in UTC: `2026-11-24T02:44:04Z`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl From<chrono::DateTime<chrono::Utc>> for Timestamp {
    fn from(t: chrono::DateTime<chrono::Utc>) -> Self {
        Timestamp::new(t)
    }
}

impl From<Timestamp> for chrono::DateTime<chrono::Utc> {
    fn from(t: Timestamp) -> Self {
        t.0
    }
}

impl From<Timestamp> for sea_orm::sea_query::Value {
    fn from(t: Timestamp) -> Self {
        sea_orm::sea_query::Value::ChronoDateTimeUtc(Some(t.0))
    }
}

impl sea_orm::sea_query::Nullable for Timestamp {
    fn null() -> sea_orm::sea_query::Value {
        sea_orm::sea_query::Value::ChronoDateTimeUtc(None)
    }
}

impl std::ops::Add<chrono::Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: chrono::Duration) -> Timestamp {
        Timestamp::new(self.0 + d)
    }
}

impl std::ops::Sub<chrono::Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: chrono::Duration) -> Timestamp {
        Timestamp::new(self.0 - d)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.sqlite_text())
    }
}

/// The current time, as stored (see [`Timestamp`]).
pub fn now() -> Timestamp {
    Timestamp::new(chrono::Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_one_encoding() {
        use chrono::TimeZone;
        for nanos in [0, 1, 120_000_000, 123_000_000, 123_456_000, 123_456_789] {
            let t = chrono::Utc
                .with_ymd_and_hms(2026, 11, 24, 2, 44, 4)
                .unwrap()
                + chrono::Duration::nanoseconds(nanos);
            assert_eq!(Timestamp::new(t).sqlite_text(), "2026-11-24T02:44:04+00:00");
        }
        let t = now() + chrono::Duration::days(7) - chrono::Duration::minutes(15);
        assert_eq!(t.sqlite_text().len(), "2026-11-24T02:44:04+00:00".len());
    }
}
