//! (being written)

use crate::routes::Routes;

pub fn routes(r: Routes) -> Routes {
    r
}

/// This module's paths and schemas in the OpenAPI document.
pub fn openapi(_d: &mut super::openapi::Doc) {}
