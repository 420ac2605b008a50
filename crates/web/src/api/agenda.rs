//! The agenda in the JSON API.

use crate::routes::Routes;

pub fn routes(r: Routes) -> Routes {
    r
}
