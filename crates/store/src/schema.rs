//! What the database actually holds, read from its catalogue: used to check the
//! migrations against the kinds' declarations on both engines.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::{Engine, Result, Store};

/// One column as the database describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbColumn {
    pub name: String,
    /// The declared type, lower case (`bigint`, `text`, `date`, `boolean`,
    /// `timestamp with time zone`, `numeric`, `jsonb`…; SQLite's declared names).
    pub ty: String,
    pub nullable: bool,
}

/// A unique index: its columns, and whether it is partial (e.g. live records only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbUnique {
    pub name: String,
    pub columns: Vec<String>,
}

impl Store {
    fn stmt(&self, sql: String) -> Statement {
        let backend = match self.engine {
            Engine::Sqlite => DbBackend::Sqlite,
            Engine::Postgres => DbBackend::Postgres,
        };
        Statement::from_string(backend, sql)
    }

    /// The columns of `table` (a name from a declaration, never user input).
    pub async fn table_columns(&self, table: &str) -> Result<Vec<DbColumn>> {
        let sql = match self.engine {
            Engine::Sqlite => format!(
                "SELECT name, lower(type) AS ty, CASE WHEN \"notnull\" = 1 OR pk = 1 THEN 0 ELSE 1 END AS nullable FROM pragma_table_info('{table}') ORDER BY cid"
            ),
            Engine::Postgres => format!(
                "SELECT column_name::text AS name, lower(data_type)::text AS ty, CASE WHEN is_nullable = 'YES' THEN 1 ELSE 0 END AS nullable FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{table}' ORDER BY ordinal_position"
            ),
        };
        let rows = self.db.query_all_raw(self.stmt(sql)).await?;
        rows.iter()
            .map(|r| {
                Ok(DbColumn {
                    name: r.try_get("", "name")?,
                    ty: r.try_get("", "ty")?,
                    nullable: r.try_get::<i32>("", "nullable")? == 1,
                })
            })
            .collect()
    }

    /// The unique indexes of `table` with their columns.
    pub async fn unique_indexes(&self, table: &str) -> Result<Vec<DbUnique>> {
        let sql = match self.engine {
            Engine::Sqlite => format!(
                "SELECT il.name AS name, ii.name AS col FROM pragma_index_list('{table}') il, pragma_index_info(il.name) ii WHERE il.\"unique\" = 1 ORDER BY il.name, ii.seqno"
            ),
            Engine::Postgres => format!(
                "SELECT i.relname::text AS name, a.attname::text AS col FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(x.indkey) WHERE t.relname = '{table}' AND x.indisunique ORDER BY i.relname, array_position(x.indkey::int2[], a.attnum)"
            ),
        };
        let rows = self.db.query_all_raw(self.stmt(sql)).await?;
        let mut out: Vec<DbUnique> = vec![];
        for r in rows {
            let name: String = r.try_get("", "name")?;
            let col: String = r.try_get("", "col")?;
            match out.last_mut() {
                Some(u) if u.name == name => u.columns.push(col),
                _ => out.push(DbUnique {
                    name,
                    columns: vec![col],
                }),
            }
        }
        Ok(out)
    }
}
