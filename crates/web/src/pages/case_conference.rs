//! Case conferencing and triage pages.

use crate::routes::Routes;

pub fn routes(r: Routes) -> Routes {
    r
}
