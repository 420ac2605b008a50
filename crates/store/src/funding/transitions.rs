//! See the module documentation in `super`.

use sea_orm::DatabaseTransaction;

/// This part of the Kiryat Malachi demo (see `super::demo`).
pub(crate) async fn demo(
    _txn: &DatabaseTransaction,
    _funding: &super::demo::Funding,
) -> crate::Result<()> {
    Ok(())
}
