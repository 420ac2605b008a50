//! The durable outbox of notifications (being written).
