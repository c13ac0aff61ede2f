//! Which change signal a resource has, decided from its row in the resource table and the
//! spec's query parameters (never from its name).

use crate::Table;
use halopsa::resource::{IdKind, IdLookup};

/// How a resource is brought up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signal {
    /// The list takes `lastupdatefromdate` and the row has a change field: read what changed
    /// since the cursor (less the lag window).
    ChangedSince(&'static str),
    /// Actions (ids numbered per ticket): read the actions changed since the cursor, across
    /// tickets, in one request.
    TicketActions,
    /// An unpaged list (statuses, teams...): fetched whole, vanished rows removed.
    Whole,
    /// A paged list with no change signal: walked whole, vanished rows removed.
    Walk,
}

impl Signal {
    /// A word for summaries.
    pub fn word(self) -> &'static str {
        match self {
            Signal::ChangedSince(_) => "changed since",
            Signal::TicketActions => "actions of changed tickets",
            Signal::Whole => "whole list",
            Signal::Walk => "full walk",
        }
    }
}

/// Whether `GET path` takes the query parameter `name` (the spec's table).
pub(crate) fn takes(path: &str, name: &str) -> bool {
    halopsa::filter::params_for("GET", path).is_some_and(|ps| ps.iter().any(|p| p.name == name))
}

/// The signal of `table`'s resource.
pub(crate) fn signal(table: &Table) -> Signal {
    let r = table.resource;
    if r.id == IdKind::PerTicket {
        return Signal::TicketActions;
    }
    match r.change_field {
        Some(field) if takes(r.path, "lastupdatefromdate") => Signal::ChangedSince(field),
        _ if !r.paged => Signal::Whole,
        _ => Signal::Walk,
    }
}

/// Whether a sweep can ask for every id in one request (`idonly=true`).
pub(crate) fn sweeps_by_idonly(table: &Table) -> bool {
    table.resource.id_lookup == IdLookup::IdOnly && takes(table.resource.path, "idonly")
}
