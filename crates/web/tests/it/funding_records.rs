//! Funding tests (see `domain::funding`).
