//! See the funding module's documentation (`domain::funding`).

use crate::routes::Routes;

pub fn routes(r: Routes) -> Routes {
    r
}
