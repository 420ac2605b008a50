//! Work plans: activities per sphere, milestones, and the division of labour.

use crate::routes::Routes;

pub fn routes(r: Routes) -> Routes {
    r
}
