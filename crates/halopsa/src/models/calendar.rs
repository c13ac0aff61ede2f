//! Calendar appointments and agent timesheets.

use super::codec::model;
use super::date::HaloDate;
use crate::id::Id;
use serde_json::Number;

model! {
    /// An appointment or task (`/Appointment`).
    pub struct Appointment at "Appointment" {
        /// The appointment id.
        id: Id,
        /// The subject.
        subject: String,
        /// The customer.
        client_id: Id,
        /// The agent.
        agent_id: Id,
        /// The ticket it belongs to.
        ticket_id: Id,
        /// When it starts.
        start_date: HaloDate,
        /// When it ends.
        end_date: HaloDate,
        /// The note.
        note: String,
    }
}

model! {
    /// An agent's timesheet for one day (`/Timesheet`): keyed by `(agent_id, date)`; `id` is 0
    /// when no record exists.
    pub struct Timesheet at "Timesheet" {
        /// The timesheet id (0 when none exists).
        id: Id,
        /// The agent.
        agent_id: Id,
        /// The day.
        date: HaloDate,
        /// Hours worked.
        actual_hours: Number,
        /// Hours expected.
        target_hours: Number,
    }
}
