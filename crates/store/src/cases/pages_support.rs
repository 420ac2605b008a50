//! What the by-name list pages need beyond the lists' own functions: which
//! list a person is on, and a person's spells.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};

use super::a;
use super::report::StoredSpell;
use crate::{Result, Store, StoreError};

impl Store {
    /// The list a person of the initiative is on (another initiative's person
    /// is not found).
    pub async fn case_person_list(&self, initiative: i64, person: i64) -> Result<i64> {
        let q = Query::select()
            .column(a("list_id"))
            .from(a("case_people"))
            .and_where(Expr::col(a("id")).eq(person))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .to_owned();
        let row = self.db.query_one(&q).await?.ok_or(StoreError::NotFound)?;
        Ok(row.try_get("", "list_id")?)
    }

    /// A person's spells on a list, in order.
    pub async fn case_person_spells(&self, list: i64, person: i64) -> Result<Vec<StoredSpell>> {
        super::events::person_on_list(&self.db, list, person).await?;
        super::report::person_spells(&self.db, person).await
    }
}
