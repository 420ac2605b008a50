//! (being written)

use domain::meetings::records::ActionItem;
use domain::resource::Record;

use crate::{Result, Store};

impl Store {
    /// Open action items of the meeting's body that were due before the
    /// meeting starts: they roll onto its agenda.
    pub async fn carried_actions(
        &self,
        _initiative: i64,
        _meeting_id: i64,
    ) -> Result<Vec<Record<ActionItem>>> {
        Ok(vec![])
    }
}
