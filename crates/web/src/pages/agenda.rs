//! The agenda's pages: vision and objectives, ideas and their moderation, rounds, ballots and the systems map.

use crate::routes::Routes;

pub fn routes(r: Routes) -> Routes {
    r
}
