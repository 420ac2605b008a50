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
pub mod audit;
pub mod demo;
pub mod migrations;
pub mod partnership;
pub mod records;
pub mod schema;

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
    #[error("cannot open the database: {0}")]
    Open(#[from] DbErr),
    #[error("cannot create the data folder {0}: {1}")]
    Folder(String, std::io::Error),
}

impl Store {
    /// Connect to the database a URL names. SQLite files are created when missing,
    /// opened in WAL mode with a busy timeout and foreign keys on.
    pub async fn connect(url: &str) -> Result<Store, ConnectError> {
        let engine =
            Engine::of_url(url).ok_or_else(|| ConnectError::UnknownScheme(redact_url(url)))?;
        let mut opts = ConnectOptions::new(url.to_string());
        opts.sqlx_logging(false)
            .acquire_timeout(Duration::from_secs(10));
        match engine {
            Engine::Sqlite => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                if let Some(parent) = std::path::Path::new(path).parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| ConnectError::Folder(parent.display().to_string(), e))?;
                }
                opts.max_connections(4).min_connections(1);
                opts.map_sqlx_sqlite_opts(|o| {
                    use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
                    o.create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(Duration::from_secs(5))
                        .foreign_keys(true)
                });
            }
            Engine::Postgres => {
                opts.max_connections(16).min_connections(1);
            }
        }
        let db = Database::connect(opts).await?;
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

/// Current time, truncated to microseconds so both engines store it exactly.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{SubsecRound, Utc};
    Utc::now().trunc_subsecs(6)
}
