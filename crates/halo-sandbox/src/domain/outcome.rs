//! What a resource operation answers: JSON for a 200, or a refusal in Halo's terms (the HTTP
//! layer makes the replies).

use crate::domain::query::BadParam;

/// A successful answer.
#[derive(Debug)]
pub enum Done {
    /// Stored JSON (one object), sent as it is.
    Stored(String),
    /// One page of a list, to be wrapped in the resource's list shape.
    Listed(Page),
    /// JSON made for this answer (an empty timesheet).
    Made(String),
    /// A write's answer: the objects a POST saved or a delete's id, as JSON.
    Written {
        /// The reply.
        text: String,
        /// The ids saved or deleted (see [`crate::domain::journal::JournalEntry::written`]).
        ids: Vec<String>,
    },
}

/// One page of a list, before its wrapper.
#[derive(Debug)]
pub struct Page {
    /// `page_no` and `page_size` to echo, when paging was asked.
    pub paging: Option<(i64, u32)>,
    /// Objects matching the filters, on every page.
    pub total: u64,
    /// The page's objects, as JSON text.
    pub rows: Vec<String>,
}

/// Why a resource operation did not succeed.
#[derive(Debug)]
pub enum Refusal {
    /// The token's scopes do not cover the resource: reading, or with `write` changing, `area`.
    Denied {
        /// Whether a change was asked.
        write: bool,
        /// The scope area (`tickets`, `admin`...).
        area: &'static str,
    },
    /// The resource does not support the method asked.
    NotSupported,
    /// No object of `path` has this id.
    Missing {
        /// The resource's path.
        path: &'static str,
        /// The id asked, as sent.
        id: String,
    },
    /// A parameter or body Halo refuses, with Halo's message.
    Invalid(String),
    /// A body or a file over a size limit (Halo's answer is 413), with the message naming
    /// the limit.
    TooLarge(String),
    /// Elements of a posted array of several refused, each with its position (nothing saved).
    Elements(Vec<(usize, Fault)>),
    /// SQLite failed (never expected).
    Store(rusqlite::Error),
}

/// Why one posted element is refused: the field at fault when known, and Halo's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The field (`client_id`), or `None` when the element as a whole is at fault.
    pub field: Option<&'static str>,
    /// Halo's message.
    pub message: String,
}

impl From<BadParam> for Refusal {
    fn from(e: BadParam) -> Self {
        Refusal::Invalid(e.0)
    }
}

impl From<rusqlite::Error> for Refusal {
    fn from(e: rusqlite::Error) -> Self {
        Refusal::Store(e)
    }
}

/// A resource operation's answer.
pub type Answer = Result<Done, Refusal>;
