//! Typed models of Halo objects.
//!
//! Every field is optional and every model keeps the fields it does not name in `extra`, so a
//! read-modify-write never drops data: decoding then encoding an object gives it back unchanged,
//! explicit `null`s included, except that ids sent as `3.0` or `"3"` come back as `3`.
//! Partial updates start from `Default` and set only what changes.

mod action;
mod agent;
mod asset;
mod attachment;
mod calendar;
mod codec;
mod customer;
mod date;
mod field;
mod finance;
mod kb;
mod report;
mod setup;
mod ticket;
mod webhook;

#[cfg(test)]
mod tests;

pub use action::Action;
pub use agent::{Agent, Team};
pub use asset::Asset;
pub use attachment::Attachment;
pub use calendar::{Appointment, Timesheet};
pub use customer::{Client, Site, User};
pub use date::HaloDate;
pub(crate) use date::instant;
pub use field::{CustomField, FieldInfo};
pub use finance::{Contract, Invoice, InvoiceLine, Item, Quote, Supplier};
pub use kb::KbArticle;
pub use report::{Report, ReportData, ReportRows};
pub use setup::{Priority, Status, TicketType};
pub use ticket::{Opportunity, Project, Ticket};
pub use webhook::{Webhook, WebhookEvent, WebhookPayload, parse_webhook_body};

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// A Halo resource's object.
pub trait Model: Serialize + DeserializeOwned + Clone + Debug {
    /// The path below `/api` (as in [`crate::resource::RESOURCES`]).
    const PATH: &'static str;

    /// The id as text (integers and GUIDs alike); `None` when absent, empty or `0`, which Halo
    /// reads as "create".
    fn id(&self) -> Option<String>;
}
