//! The domain layer: what a sandbox instance holds and the rules it applies to requests, with
//! no HTTP in it. Its modules import only one another; the HTTP layer above turns their
//! answers into Halo-shaped replies.

pub mod attachments;
pub mod authorize;
pub mod churn;
pub mod clock;
pub mod config;
pub mod custom_fields;
pub mod faults;
pub mod journal;
pub mod lock;
pub mod outcome;
pub mod query;
pub mod rate_limit;
pub mod reads;
pub mod seed;
pub mod sql;
pub mod store;
pub mod tokens;
pub mod webhooks;
pub mod writes;
