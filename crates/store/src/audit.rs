//! The audit log: who changed what, when, with the values before and after.
//!
//! Entries are only ever appended, in the same transaction as the change they
//! describe. The product offers no way to edit or delete them.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde::Serialize;

use crate::{Result, Store};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor_name: Option<String>,
    pub kind: String,
    pub record_id: i64,
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn append<B: Serialize, A: Serialize>(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: Option<i64>,
    kind: &str,
    record_id: i64,
    action: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<()> {
    let encode = |v: Option<&dyn erased::Json>| -> Result<Option<String>> {
        v.map(|v| v.to_json()).transpose()
    };
    let before = encode(before.map(|b| b as &dyn erased::Json))?;
    let after = encode(after.map(|b| b as &dyn erased::Json))?;
    let q = Query::insert()
        .into_table(a("audit_log"))
        .columns([
            a("at"),
            a("actor_user_id"),
            a("initiative_id"),
            a("kind"),
            a("record_id"),
            a("action"),
            a("before"),
            a("after"),
        ])
        .values_panic([
            crate::now().into(),
            actor.into(),
            initiative.into(),
            kind.into(),
            record_id.into(),
            action.into(),
            before.into(),
            after.into(),
        ])
        .to_owned();
    txn.execute(&q).await?;
    // Whatever the log records about an initiative changes it: its rendered
    // pages (the audit log among them) are stale from now on.
    if let Some(i) = initiative {
        txn.execute(
            &Query::update()
                .table(a("initiatives"))
                .value(a("generation"), Expr::col(a("generation")).add(1))
                .and_where(Expr::col(a("id")).eq(i))
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

/// An entry for a read of personal data (a person's record viewed, a list
/// with names seen, an export). Unlike [`append`] it leaves the initiative's
/// generation alone: a read changes no page anyone else sees.
pub(crate) async fn append_read(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    kind: &str,
    record_id: i64,
    action: &str,
    after: Option<serde_json::Value>,
) -> Result<()> {
    let after = after.map(|v| v.to_string());
    let q = Query::insert()
        .into_table(a("audit_log"))
        .columns([
            a("at"),
            a("actor_user_id"),
            a("initiative_id"),
            a("kind"),
            a("record_id"),
            a("action"),
            a("before"),
            a("after"),
        ])
        .values_panic([
            crate::now().into(),
            actor.into(),
            initiative.into(),
            kind.into(),
            record_id.into(),
            action.into(),
            Option::<String>::None.into(),
            after.into(),
        ])
        .to_owned();
    txn.execute(&q).await?;
    Ok(())
}

mod erased {
    /// A value the log can store; encoding failures are errors, never a NULL.
    pub trait Json {
        fn to_json(&self) -> crate::Result<String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> crate::Result<String> {
            serde_json::to_string(self).map_err(|e| {
                crate::StoreError::Database(sea_orm::DbErr::Custom(format!(
                    "cannot encode an audit value: {e}"
                )))
            })
        }
    }
}

/// Filter for reading the log.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub initiative: Option<i64>,
    pub kind: Option<String>,
    pub record_id: Option<i64>,
    /// Who made the change.
    pub actor: Option<i64>,
    /// From this moment on (included).
    pub from: Option<DateTime<Utc>>,
    /// Before this moment (excluded).
    pub until: Option<DateTime<Utc>>,
    pub limit: u64,
    pub offset: u64,
}

impl Store {
    /// Newest first.
    pub async fn audit(&self, f: &Filter) -> Result<Vec<Entry>> {
        let mut q = Query::select();
        q.columns([
            (a("audit_log"), a("id")),
            (a("audit_log"), a("at")),
            (a("audit_log"), a("actor_user_id")),
            (a("audit_log"), a("kind")),
            (a("audit_log"), a("record_id")),
            (a("audit_log"), a("action")),
            (a("audit_log"), a("before")),
            (a("audit_log"), a("after")),
        ])
        .expr_as(Expr::col((a("users"), a("display_name"))), a("actor_name"))
        .from(a("audit_log"))
        .left_join(
            a("users"),
            Expr::col((a("users"), a("id"))).equals((a("audit_log"), a("actor_user_id"))),
        );
        if let Some(i) = f.initiative {
            q.and_where(Expr::col((a("audit_log"), a("initiative_id"))).eq(i));
        }
        if let Some(k) = &f.kind {
            q.and_where(Expr::col((a("audit_log"), a("kind"))).eq(k.as_str()));
        }
        if let Some(r) = f.record_id {
            q.and_where(Expr::col((a("audit_log"), a("record_id"))).eq(r));
        }
        if let Some(u) = f.actor {
            q.and_where(Expr::col((a("audit_log"), a("actor_user_id"))).eq(u));
        }
        if let Some(t) = f.from {
            q.and_where(Expr::col((a("audit_log"), a("at"))).gte(t));
        }
        if let Some(t) = f.until {
            q.and_where(Expr::col((a("audit_log"), a("at"))).lt(t));
        }
        q.order_by((a("audit_log"), a("id")), Order::Desc)
            .limit(if f.limit == 0 { 100 } else { f.limit })
            .offset(f.offset);
        let rows = self.db.query_all(&q).await?;
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        rows.iter()
            .map(|r| {
                Ok(Entry {
                    id: r.try_get("", "id")?,
                    at: r.try_get("", "at")?,
                    actor_user_id: r.try_get("", "actor_user_id")?,
                    actor_name: r.try_get("", "actor_name")?,
                    kind: r.try_get("", "kind")?,
                    record_id: r.try_get("", "record_id")?,
                    action: r.try_get("", "action")?,
                    before: parse(r.try_get("", "before")?),
                    after: parse(r.try_get("", "after")?),
                })
            })
            .collect()
    }
}
